"""Drift statistics: current data against the reference profile (models/profile.json).

No file or network access here: `summarize_batches` folds chunks of current data into counts
per reference bin and category (memory stays flat: one chunk at a time), and `compare` turns
those counts into per-column tests, effect sizes and one decision, with the thresholds of
params.yaml's `drift:` section (`DriftSettings.from_params`).

Numeric columns: a two-sample Kolmogorov-Smirnov test computed from the binned CDFs at the
stored quantile edges (with one edge per distinct value it equals scipy's `ks_2samp`), the
normalized Wasserstein distance as effect size, and PSI over reference deciles for comparison.
Category columns: a two-sample chi-square test on the 2 x K table of counts (categories never
seen in training count) and the Jensen-Shannon distance. P-values are corrected across every
tested column (Bonferroni or Benjamini-Hochberg); a column drifts when its corrected p-value is
below alpha and its effect reaches a small floor, or when its missing-value rate moved.
"""

import datetime
import math
from collections import Counter
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from .errors import ProjectError
from .profile import bin_count_array

CORRECTIONS = ("bonferroni", "benjamini-hochberg")
WINDOWS = ("replace", "append", "last_n")
FORMATS = ("auto", "csv", "parquet")
DECISIONS = ("no_drift", "drift")
PSI_BINS = 10  # reference deciles: PSI's usual resolution
PSI_FLOOR = 1e-4  # share used for an empty bin, so PSI stays finite
HISTOGRAM_BINS = 20
# scipy's exact kstwo distribution slows down beyond this effective sample size (seconds at
# 1e6); the asymptotic Kolmogorov distribution agrees to three digits there.
KSTWO_MAX_N = 50_000


class CouldNotCheck(ProjectError):
    """The current data cannot be checked: missing, empty, unreadable or off the contract."""

    exit_code = 3


# --- settings ----------------------------------------------------------------------------------

# params.yaml key (dotted, below `drift:`) -> DriftSettings field
PARAM_KEYS = {
    "source": "source",
    "format": "format",
    "chunk_rows": "chunk_rows",
    "min_rows": "min_rows",
    "alpha": "alpha",
    "correction": "correction",
    "min_effect.wasserstein": "min_wasserstein",
    "min_effect.jensen_shannon": "min_jensen_shannon",
    "max_null_rate_change": "max_null_rate_change",
    "drifted_share": "drifted_share",
    "max_metric_decay": "max_metric_decay",
    "output_dir": "output_dir",
    "simulate": "simulate",
    "simulation.start": "simulation_start",
    "simulation.per_day": "simulation_per_day",
    "simulation.max": "simulation_max",
    "simulation.rows": "simulation_rows",
    "retrain_on_drift": "retrain_on_drift",
    "window.policy": "window",
    "window.batches": "window_batches",
}


@dataclass(frozen=True)
class DriftSettings:
    """params.yaml `drift:`; the defaults are the generated project's (see its comments)."""

    source: str = "data/current/{date}.parquet"
    format: str = "auto"
    chunk_rows: int = 200_000
    min_rows: int = 200
    alpha: float = 0.05
    correction: str = "bonferroni"
    min_wasserstein: float = 0.02
    min_jensen_shannon: float = 0.02
    max_null_rate_change: float = 0.05
    drifted_share: float = 0.1
    max_metric_decay: float = 0.05
    output_dir: str = "reports/drift"
    simulate: bool = False
    simulation_start: str = "2026-01-01"
    simulation_per_day: float = 0.02
    simulation_max: float = 1.5
    simulation_rows: int = 2000
    retrain_on_drift: bool = False
    window: str = "append"
    window_batches: int = 4

    @classmethod
    def from_params(cls, params):
        """Settings from params.yaml's `drift:` section; a missing key keeps its default."""
        section = params.get("drift")
        if not isinstance(section, dict):
            raise ProjectError(
                "params.yaml has no `drift:` section",
                "add it (a freshly generated project shows every drift setting)",
            )
        values = {}
        for key, name in PARAM_KEYS.items():
            found, value = _lookup(section, key)
            if found:
                # YAML reads an unquoted 2026-01-01 as a date.
                values[name] = value.isoformat() if isinstance(value, datetime.date) else value
        unknown = sorted(_flat_keys(section) - set(PARAM_KEYS))
        if unknown:
            raise ProjectError(
                f"params.yaml sets unknown drift settings: {', '.join(unknown)}",
                f"use only {', '.join(PARAM_KEYS)} (below `drift:`)",
            )
        settings = cls(**values)
        settings.check()
        return settings

    def check(self):
        """A ProjectError naming the first setting out of its range."""
        by_field = {name: key for key, name in PARAM_KEYS.items()}
        for setting in fields(self):
            value, kind = getattr(self, setting.name), setting.type
            wanted = (int, float) if kind is float else kind
            if (isinstance(value, bool) and kind is not bool) or not isinstance(value, wanted):
                _bad(by_field[setting.name], value, f"a {kind.__name__}")
        for name, choices in [
            ("correction", CORRECTIONS),
            ("window", WINDOWS),
            ("format", FORMATS),
        ]:
            if getattr(self, name) not in choices:
                _bad(by_field[name], getattr(self, name), f"one of {', '.join(choices)}")
        for name in ("alpha", "drifted_share"):
            if not 0 < getattr(self, name) <= 1:
                _bad(by_field[name], getattr(self, name), "a number in (0, 1]")
        for name in ("min_wasserstein", "min_jensen_shannon", "max_null_rate_change"):
            if not 0 <= getattr(self, name) <= 1:
                _bad(by_field[name], getattr(self, name), "a number in [0, 1]")
        for name in ("max_metric_decay", "simulation_per_day", "simulation_max"):
            if not 0 <= getattr(self, name) < math.inf:
                _bad(by_field[name], getattr(self, name), "a number >= 0")
        for name in ("chunk_rows", "min_rows", "simulation_rows", "window_batches"):
            if getattr(self, name) < 1:
                _bad(by_field[name], getattr(self, name), "a whole number >= 1")
        if not self.source.strip():
            _bad("source", self.source, "a path, glob or URL of the current data")


def _lookup(section, dotted):
    value = section
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _flat_keys(section, prefix=""):
    keys = set()
    for key, value in section.items():
        name = f"{prefix}{key}"
        nested = {k for k in PARAM_KEYS if k.startswith(f"{name}.")}
        keys |= _flat_keys(value, f"{name}.") if nested and isinstance(value, dict) else {name}
    return keys


def _bad(key, value, wanted):
    raise ProjectError(f"drift.{key} in params.yaml is {value!r}", f"set it to {wanted}")


# --- summarizing current data -------------------------------------------------------------------


@dataclass
class NumericSummary:
    """Counts of current values per reference bin (profile.bin_counts), and the summed
    distances of values outside the reference range (for an exact Wasserstein tail)."""

    counts: np.ndarray
    rows: int = 0
    nulls: int = 0
    below_distance: float = 0.0
    above_distance: float = 0.0

    def add(self, values, edges):
        numbers = _numbers(values)
        present = numbers[~np.isnan(numbers)]
        self.rows += len(numbers)
        self.nulls += len(numbers) - len(present)
        if len(edges):
            self.counts += bin_count_array(present, edges)
            self.below_distance += float(np.sum(edges[0] - present[present < edges[0]]))
            self.above_distance += float(np.sum(present[present > edges[-1]] - edges[-1]))


@dataclass
class CategorySummary:
    """Counts of current values per category (text, as the profile keeps them)."""

    counts: Counter = field(default_factory=Counter)
    rows: int = 0
    nulls: int = 0

    def add(self, values, _edges=None):
        values = pd.Series(values)
        present = values.dropna()
        self.rows += len(values)
        self.nulls += len(values) - len(present)
        self.counts.update(present.astype(str).value_counts().to_dict())


@dataclass
class CurrentSummary:
    """What `compare` needs of the current data: rows, and per column (and for the model's
    predictions, when a `predict` was given) a NumericSummary or CategorySummary. Columns the
    data lacks (only the target may be absent) are not in `columns`."""

    rows: int = 0
    columns: dict = field(default_factory=dict)
    predictions: object = None


def _numbers(values):
    try:
        return pd.to_numeric(pd.Series(values), errors="raise").to_numpy(
            dtype=float, na_value=np.nan
        )
    except (TypeError, ValueError) as error:
        raise CouldNotCheck(
            f"column {getattr(values, 'name', '?')!r} holds values that are not numbers ({error})",
            "fix the current data, or schema.yaml if the column's type changed",
        ) from None


def _new_summary(column_profile):
    if column_profile["kind"] == "numeric":
        edges = np.asarray(column_profile["edges"], dtype=float)
        return NumericSummary(np.zeros(len(edges) + 1, dtype=np.int64)), edges
    return CategorySummary(), None


def summarize_batches(profile, batches, predict=None):
    """Fold frames of current data into a CurrentSummary against `profile`'s bins.

    `batches` yields pandas DataFrames (any number of rows each); only their running counts
    are kept. Every profiled column must be in every frame, except the target, which may be
    absent throughout. `predict(frame)` (optional) returns the model's predictions for a frame,
    summarized against profile["predictions"].
    """
    summary = CurrentSummary()
    target = profile.get("target")
    specs = {name: _new_summary(spec) for name, spec in profile["columns"].items()}
    prediction_spec = _new_summary(profile["predictions"]) if predict is not None else None
    has_target = None
    for number, frame in enumerate(batches, start=1):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"batch {number} is a {type(frame).__name__}, not a DataFrame")
        missing = [name for name in specs if name not in frame.columns]
        frame_has_target = target not in missing
        missing = [name for name in missing if name != target]
        if missing:
            raise CouldNotCheck(
                f"the current data lacks the column(s) {', '.join(missing)}",
                "provide every column schema.yaml lists (the target may be left out)",
            )
        if has_target is None:
            has_target = frame_has_target
        elif has_target != frame_has_target:
            raise CouldNotCheck(
                f"the target column {target!r} is in some chunks of the current data only",
                "give it in every file of the batch, or in none",
            )
        summary.rows += len(frame)
        for name, (column_summary, edges) in specs.items():
            if name in frame.columns:
                column_summary.add(frame[name], edges)
        if prediction_spec is not None and len(frame):
            prediction_spec[0].add(pd.Series(predict(frame), name="prediction"), prediction_spec[1])
    summary.columns = {
        name: column_summary
        for name, (column_summary, _) in specs.items()
        if name != target or has_target
    }
    if prediction_spec is not None:
        summary.predictions = prediction_spec[0]
    return summary


# --- statistics ---------------------------------------------------------------------------------


def binned_cdfs(reference_counts, current_counts):
    """Both CDFs at the right end of every bin but the last (where both are 1)."""
    reference = np.cumsum(reference_counts)[:-1] / np.sum(reference_counts)
    current = np.cumsum(current_counts)[:-1] / np.sum(current_counts)
    return reference, current


def ks_from_counts(reference_counts, current_counts):
    """(statistic, p-value) of the two-sample KS test on binned data: the largest CDF gap over
    bin boundaries, and the p-value scipy's ks_2samp(method="asymp") gives for it."""
    n, m = int(np.sum(reference_counts)), int(np.sum(current_counts))
    reference, current = binned_cdfs(reference_counts, current_counts)
    statistic = float(np.max(np.abs(reference - current))) if len(reference) else 0.0
    larger, smaller = max(n, m), min(n, m)
    effective_n = larger * smaller / (larger + smaller)
    if effective_n <= KSTWO_MAX_N:
        p_value = stats.kstwo.sf(statistic, np.round(effective_n))
    else:
        p_value = stats.kstwobign.sf(statistic * math.sqrt(effective_n))
    return statistic, float(np.clip(p_value, 0, 1))


def wasserstein_from_counts(reference_counts, current_counts, edges, below=0.0, above=0.0):
    """Wasserstein-1 distance between the binned distributions: the area between the CDFs,
    each bin's gap spanning the bin's width; current values outside the reference range add
    their summed distance to it (`below`, `above`). Exact with one edge per distinct value."""
    edges = np.asarray(edges, dtype=float)
    if len(edges) < 2:
        return float((below + above) / max(np.sum(current_counts), 1))
    reference, current = binned_cdfs(reference_counts, current_counts)
    # reference/current[k] is the CDF just below edges[k]; it holds on [edges[k-1], edges[k]).
    inner = np.sum(np.abs(reference[1:] - current[1:]) * np.diff(edges))
    return float(inner + (below + above) / np.sum(current_counts))


def psi(reference_counts, current_counts):
    """Population stability index over the given bins (empty shares floored at PSI_FLOOR)."""
    reference = np.maximum(np.asarray(reference_counts) / np.sum(reference_counts), PSI_FLOOR)
    current = np.maximum(np.asarray(current_counts) / np.sum(current_counts), PSI_FLOOR)
    return float(np.sum((current - reference) * np.log(current / reference)))


def decile_groups(reference_counts, n_groups=PSI_BINS):
    """The coarse group of each fine bin: bins are grouped by the reference share below them,
    so each group holds about 1/n_groups of the reference."""
    reference = np.asarray(reference_counts, dtype=float)
    below = (np.cumsum(reference) - reference) / reference.sum()
    return np.minimum((below * n_groups).astype(int), n_groups - 1)


def grouped(counts, groups, n_groups):
    return np.bincount(groups, weights=np.asarray(counts, dtype=float), minlength=n_groups)


def chi_square(reference_counts, current_counts):
    """(statistic, p-value) of scipy's chi2_contingency on the 2 x K table; categories empty in
    both samples are dropped, and fewer than two categories left means nothing to test."""
    table = np.array([reference_counts, current_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    result = stats.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def jensen_shannon(reference_counts, current_counts):
    """Jensen-Shannon distance (base 2: 0 same, 1 disjoint) between two count vectors."""
    reference, current = np.asarray(reference_counts), np.asarray(current_counts)
    if reference.sum() == 0 or current.sum() == 0:
        return 0.0
    return float(jensenshannon(reference, current, base=2))


def corrected_p_values(p_values, method):
    """Bonferroni (p * k, capped at 1) or Benjamini-Hochberg adjusted p-values, in order."""
    p_values = np.asarray(p_values, dtype=float)
    if len(p_values) == 0:
        return p_values
    if method == "bonferroni":
        return np.minimum(p_values * len(p_values), 1.0)
    if method == "benjamini-hochberg":
        return stats.false_discovery_control(p_values, method="bh")
    raise ProjectError(f"correction {method!r} is unknown", f"use one of {', '.join(CORRECTIONS)}")


# --- comparing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnDrift:
    """One column's (or the predictions') reference-vs-current comparison."""

    column: str
    role: str  # feature | target | prediction
    kind: str  # numeric | category
    test: str  # ks | chi2
    statistic: float
    p_value: float
    corrected_p_value: float
    effect_name: str  # wasserstein_normalized | jensen_shannon
    effect: float
    psi: float
    reference_rows: int
    current_rows: int
    reference_null_rate: float
    current_null_rate: float
    null_rate_change: float
    drifted: bool
    reasons: list  # why it drifted, in words; [] when it did not
    unseen: dict  # categories absent from the reference: {category: current count}
    histogram: dict  # {"labels", "reference", "current"} shares, for the reports


@dataclass(frozen=True)
class PerformanceDecay:
    """The model's metrics on current data that carries the target, against its release."""

    metric: str
    release: float
    current: float
    relative_decay: float  # > 0: worse than at release
    decayed: bool
    metrics: dict  # metric name -> {"release": value, "current": value}


@dataclass(frozen=True)
class DriftResult:
    decision: str  # no_drift | drift
    reasons: list
    drifted_share: float  # drifted feature columns / feature columns
    drifted_columns: list
    columns: list  # ColumnDrift for features, then the target (when present)
    predictions: ColumnDrift | None
    performance: PerformanceDecay | None
    current_rows: int
    settings: dict

    def to_dict(self):
        return _plain(asdict(self))


def _plain(value):
    """JSON-ready: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _raw_test(spec, current):
    """(kind, test, statistic, p, effect name, effect, psi, unseen, histogram) before correction."""
    if spec["kind"] == "numeric":
        return _numeric_test(spec, current)
    return _category_test(spec, current)


def _numeric_test(spec, current):
    reference_counts = np.asarray(spec["counts"], dtype=float)
    current_counts = current.counts.astype(float)
    if reference_counts.sum() == 0 or current_counts.sum() == 0:
        return ("numeric", "ks", 0.0, 1.0, "wasserstein_normalized", 0.0, 0.0, {}, {})
    statistic, p_value = ks_from_counts(reference_counts, current_counts)
    distance = wasserstein_from_counts(
        reference_counts,
        current_counts,
        spec["edges"],
        current.below_distance,
        current.above_distance,
    )
    scale = spec.get("std") or (spec["max"] - spec["min"]) or 1.0
    groups = decile_groups(reference_counts)
    stability = psi(
        grouped(reference_counts, groups, PSI_BINS), grouped(current_counts, groups, PSI_BINS)
    )
    histogram = numeric_histogram(spec["edges"], reference_counts, current_counts)
    return (
        "numeric",
        "ks",
        statistic,
        p_value,
        "wasserstein_normalized",
        distance / scale,
        stability,
        {},
        histogram,
    )


def _category_test(spec, current):
    reference = {str(key): int(value) for key, value in spec["counts"].items()}
    labels = [*reference, *sorted(label for label in current.counts if label not in reference)]
    reference_counts = np.array([reference.get(label, 0) for label in labels], dtype=float)
    current_counts = np.array([current.counts.get(label, 0) for label in labels], dtype=float)
    unseen = {label: int(current.counts[label]) for label in labels if label not in reference}
    if reference_counts.sum() == 0 or current_counts.sum() == 0:
        return ("category", "chi2", 0.0, 1.0, "jensen_shannon", 0.0, 0.0, unseen, {})
    statistic, p_value = chi_square(reference_counts, current_counts)
    histogram = {
        "labels": labels,
        "reference": (reference_counts / reference_counts.sum()).tolist(),
        "current": (current_counts / current_counts.sum()).tolist(),
    }
    return (
        "category",
        "chi2",
        statistic,
        p_value,
        "jensen_shannon",
        jensen_shannon(reference_counts, current_counts),
        psi(reference_counts, current_counts),
        unseen,
        histogram,
    )


def numeric_histogram(edges, reference_counts, current_counts, n_bins=HISTOGRAM_BINS):
    """Shares per equal-width bin over the reference range (fine bins placed by their left
    edge), plus a first bar for current values below the range when there are any."""
    edges = np.asarray(edges, dtype=float)
    low, high = edges[0], edges[-1]
    width = (high - low) / n_bins if high > low else 1.0
    # Fine bin 0 lies below the range; bin i >= 1 starts at edges[i - 1].
    starts = np.concatenate([[low - width], edges])
    positions = np.clip(np.floor((starts - low) / width), -1, n_bins - 1).astype(int) + 1
    reference = np.bincount(positions, weights=reference_counts, minlength=n_bins + 1)
    current = np.bincount(positions, weights=current_counts, minlength=n_bins + 1)
    labels = [f"< {low:.4g}"] + [f"{low + i * width:.4g}" for i in range(n_bins)]
    keep = slice(0 if current[0] > 0 else 1, None)
    return {
        "labels": labels[keep],
        "reference": (reference / reference.sum())[keep].tolist(),
        "current": (current / current.sum())[keep].tolist(),
    }


def _column_drift(name, role, spec, current, corrected, raw, settings):
    kind, test, statistic, p_value, effect_name, effect, stability, unseen, histogram = raw
    reference_rows = int(spec["n"])
    reference_null_rate = spec["nulls"] / reference_rows if reference_rows else 0.0
    current_null_rate = current.nulls / current.rows if current.rows else 0.0
    null_change = current_null_rate - reference_null_rate
    floor = settings.min_wasserstein if kind == "numeric" else settings.min_jensen_shannon
    reasons = []
    if corrected < settings.alpha and effect >= floor:
        reasons.append(
            f"{test} corrected p {corrected:.2g} < {settings.alpha} and "
            f"{effect_name} {effect:.3f} >= {floor}"
        )
    if abs(null_change) >= settings.max_null_rate_change and abs(null_change) > 0:
        reasons.append(
            f"missing values {reference_null_rate:.1%} -> {current_null_rate:.1%} "
            f"(change >= {settings.max_null_rate_change:.0%})"
        )
    return ColumnDrift(
        column=name,
        role=role,
        kind=kind,
        test=test,
        statistic=statistic,
        p_value=p_value,
        corrected_p_value=float(corrected),
        effect_name=effect_name,
        effect=float(effect),
        psi=stability,
        reference_rows=reference_rows,
        current_rows=current.rows,
        reference_null_rate=reference_null_rate,
        current_null_rate=current_null_rate,
        null_rate_change=null_change,
        drifted=bool(reasons),
        reasons=reasons,
        unseen=unseen,
        histogram=histogram,
    )


def compare(profile, summary, settings, performance=None):
    """The DriftResult of the current `summary` against `profile`, decided by `settings`.

    Every compared column (features, the target when present, the predictions when
    summarized) is one test in the multiple-testing correction. The decision is `drift` when
    the share of drifted feature columns reaches settings.drifted_share, or the target or the
    predictions drifted, or `performance` (a PerformanceDecay) decayed.
    """
    target = profile.get("target")
    compared = [
        (name, "target" if name == target else "feature", profile["columns"][name], current)
        for name, current in summary.columns.items()
    ]
    if summary.predictions is not None:
        compared.append(("prediction", "prediction", profile["predictions"], summary.predictions))
    raw = [_raw_test(spec, current) for _, _, spec, current in compared]
    corrected = corrected_p_values([result[3] for result in raw], settings.correction)
    results = [
        _column_drift(name, role, spec, current, p, result, settings)
        for (name, role, spec, current), p, result in zip(compared, corrected, raw, strict=True)
    ]
    columns = [result for result in results if result.role != "prediction"]
    predictions = next((result for result in results if result.role == "prediction"), None)
    features = [result for result in columns if result.role == "feature"]
    drifted = [result.column for result in features if result.drifted]
    share = len(drifted) / len(features) if features else 0.0
    reasons = []
    if drifted and share >= settings.drifted_share:
        reasons.append(
            f"{len(drifted)} of {len(features)} feature columns drifted ({share:.0%} >= "
            f"{settings.drifted_share:.0%}): {', '.join(drifted)}"
        )
    reasons += [f"target {result.column!r} drifted" for result in columns if _drifted(result)]
    if predictions is not None and predictions.drifted:
        reasons.append("the model's predictions drifted")
    if performance is not None and performance.decayed:
        reasons.append(
            f"{performance.metric} fell from {performance.release:.4f} at release to "
            f"{performance.current:.4f} ({performance.relative_decay:.1%} worse > "
            f"{settings.max_metric_decay:.0%})"
        )
    return DriftResult(
        decision="drift" if reasons else "no_drift",
        reasons=reasons,
        drifted_share=share,
        drifted_columns=drifted,
        columns=columns,
        predictions=predictions,
        performance=performance,
        current_rows=summary.rows,
        settings=asdict(settings),
    )


def _drifted(result):
    return result.role == "target" and result.drifted
