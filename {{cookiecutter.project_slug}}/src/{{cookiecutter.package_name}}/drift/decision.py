"""The decision: per-column tests and effect sizes from the counts (statistics.py), corrected
across columns, against the thresholds of params.yaml's `drift:` section (params.DriftParams)."""

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..params import DriftParams
from ..tasks import HIGHER_IS_BETTER
from .statistics import (
    chi_square,
    corrected_p_values,
    decile_groups,
    grouped,
    jensen_shannon,
    ks_from_counts,
    psi,
    wasserstein_from_counts,
)
from .summary import CategorySummary, CurrentSummary, NumericSummary
from .tails import distance_unit

DECISIONS = ("no_drift", "drift")
# What the current metrics are compared with, by the reference's source (check.Reference):
# a released model's test metrics, or, before any release, the workspace's.
BASELINES = {"production": "at release", "workspace": "in the workspace's test metrics"}
PSI_BINS = 10
HISTOGRAM_BINS = 20
# (kind, test, statistic, p, effect name, effect, psi, unseen, histogram) of one column.
RawTest = tuple[str, str, float, float, str, float, float, dict[str, int], dict[str, Any]]


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
    reasons: list[str]  # why it drifted, in words; [] when it did not
    unseen: dict[str, int]  # categories absent from the reference: {category: current count}
    histogram: dict[str, Any]  # {"labels", "reference", "current"} shares, for the reports


@dataclass(frozen=True)
class PerformanceDecay:
    """The model's metrics on current data that carries the target, against its release."""

    metric: str
    release: float
    current: float
    relative_decay: float  # > 0: worse than at release
    decayed: bool
    metrics: dict[str, dict[str, Any]]  # metric name -> {"release": value, "current": value}
    # The current value's 95% bootstrap interval on the current rows (None: not computed).
    interval: tuple[float, float] | None = None


@dataclass(frozen=True)
class DriftResult:
    decision: str  # no_drift | drift
    reasons: list[str]
    drifted_share: float  # drifted feature columns / feature columns
    drifted_columns: list[str]
    columns: list[ColumnDrift]  # features, then the target (when present)
    predictions: ColumnDrift | None
    performance: PerformanceDecay | None
    current_rows: int
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(value: object) -> Any:
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


def _raw_test(spec: dict[str, Any], current: NumericSummary | CategorySummary) -> RawTest:
    """(kind, test, statistic, p, effect name, effect, psi, unseen, histogram) before correction."""
    if isinstance(current, NumericSummary):  # spec["kind"] == "numeric" (summary.py)
        return _numeric_test(spec, current)
    return _category_test(spec, current)


def _numeric_test(spec: dict[str, Any], current: NumericSummary) -> RawTest:
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
    scale = distance_unit(spec)
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


def _category_test(spec: dict[str, Any], current: CategorySummary) -> RawTest:
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


def numeric_histogram(
    edges: npt.ArrayLike,
    reference_counts: npt.NDArray[np.float64],
    current_counts: npt.NDArray[np.float64],
    n_bins: int = HISTOGRAM_BINS,
) -> dict[str, Any]:
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


def _column_drift(
    name: str,
    role: str,
    spec: dict[str, Any],
    current: NumericSummary | CategorySummary,
    corrected: float,
    raw: RawTest,
    settings: DriftParams,
) -> ColumnDrift:
    kind, test, statistic, p_value, effect_name, effect, stability, unseen, histogram = raw
    reference_rows = int(spec["n"])
    reference_null_rate = spec["nulls"] / reference_rows if reference_rows else 0.0
    current_null_rate = current.nulls / current.rows if current.rows else 0.0
    null_change = current_null_rate - reference_null_rate
    floors = settings.min_effect
    floor = floors.wasserstein if kind == "numeric" else floors.jensen_shannon
    reasons: list[str] = []
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


def compare(
    profile: dict[str, Any],
    summary: CurrentSummary,
    settings: DriftParams,
    performance: PerformanceDecay | None = None,
    reference_source: str = "production",
) -> DriftResult:
    """The DriftResult of the current `summary` against `profile`, decided by `settings`.

    Every compared column (features, the target when present, the predictions when
    summarized) is one test in the multiple-testing correction. The decision is `drift` when
    the share of drifted feature columns reaches settings.drifted_share, or the target or the
    predictions drifted, or `performance` (a PerformanceDecay) decayed. `reference_source`
    (a key of BASELINES) says what the reference's metrics are.
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
            f"{performance.metric} {_moved(performance.metric)} from {performance.release:.4f} "
            f"{BASELINES[reference_source]} to "
            f"{performance.current:.4f} ({performance.relative_decay:.1%} worse > "
            f"{settings.max_metric_decay:.0%}{_interval_text(performance)})"
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
        settings=settings.model_dump(),
    )


def _moved(metric: str) -> str:
    """How a worse value moves: a score falls, an error (rmse, log_loss) rises."""
    return "fell" if HIGHER_IS_BETTER[metric] else "rose"


def _drifted(result: ColumnDrift) -> bool:
    return result.role == "target" and result.drifted


def _interval_text(performance: PerformanceDecay) -> str:
    if performance.interval is None:
        return ""
    low, high = performance.interval
    return f", beyond noise: 95% interval {low:.4f} to {high:.4f}"
