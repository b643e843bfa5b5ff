"""How sure a metric is: the task's metrics on bootstrap resamples of labelled rows.

`compute_metrics` (scikit-learn) is the definition of every metric and gives each point value.
A resample is a vector of row counts, and every metric here is a weighted sum, so one matrix of
counts (resamples x rows) gives all resamples at once: 1,000 resamples of 1,000 rows take tens of
milliseconds, where calling scikit-learn per resample takes about 30 s. The generated tests check
that both agree on every resample, metric and task.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from ..tasks import METRICS
from .metrics import compute_metrics

Array = npt.NDArray[Any]
Floats = npt.NDArray[np.float64]

RESAMPLES = 1000
SEED = 0
CONFIDENCE = 0.95
# The metrics `_classification` gives, and those `_positive_class` gives (binary tasks).
COUNTED_METRICS = {
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "precision_macro",
    "recall_macro",
}
POSITIVE_CLASS_METRICS = {"precision", "recall", "f1"}
# Resamples are drawn in blocks so that a block's counts matrix stays near 32 MB.
BLOCK_CELLS = 4_000_000


@dataclass(frozen=True)
class Ranking:
    """Where each positive row's score falls among the negative rows' scores: all the ROC AUC
    of a resample needs besides its row counts."""

    positive_rows: Array
    negative_order: Array  # the negative rows, by score
    below: Array  # per positive row: how many negatives score lower
    at_most: Array  # per positive row: how many negatives score lower or the same


def ranking(truth: Array, scores: Floats) -> Ranking:
    positive_rows, negative_rows = np.flatnonzero(truth), np.flatnonzero(~truth)
    negative_order = negative_rows[np.argsort(scores[negative_rows], kind="stable")]
    negative_scores, positive_scores = scores[negative_order], scores[positive_rows]
    return Ranking(
        positive_rows,
        negative_order,
        np.searchsorted(negative_scores, positive_scores, side="left"),
        np.searchsorted(negative_scores, positive_scores, side="right"),
    )


@dataclass(frozen=True)
class Outcomes:
    """What a model said about labelled rows: enough for the task's metrics on any resample."""

    task: str
    y_true: Array
    y_pred: Array
    probabilities: Floats | None = None
    classes: Sequence[object] | None = None
    positive_label: object = None
    keys: Array | None = None  # one hash per row of its features and target, when known

    def __len__(self) -> int:
        return len(self.y_true)

    def take(self, rows: npt.NDArray[np.int64]) -> "Outcomes":
        probabilities = None if self.probabilities is None else self.probabilities[rows]
        keys = None if self.keys is None else self.keys[rows]
        return Outcomes(
            self.task,
            self.y_true[rows],
            self.y_pred[rows],
            probabilities,
            self.classes,
            self.positive_label,
            keys,
        )

    def metrics(self) -> dict[str, float]:
        """The task's metrics on these rows, as metrics.json reports them."""
        return compute_metrics(
            self.task,
            self.y_true,
            self.y_pred,
            self.probabilities,
            self.classes,
            self.positive_label,
        )

    @cached_property
    def _rankings(self) -> list[Ranking]:
        """The scores' ranking per class an AUC is taken for (binary: the positive class),
        sorted once for every block of resamples."""
        assert self.probabilities is not None and self.classes is not None
        classes = list(self.classes)
        binary = self.task == "binary_classification"
        labels = [self.positive_label] if binary else classes
        return [
            ranking(self.y_true == label, self.probabilities[:, classes.index(label)])
            for label in labels
        ]

    def weighted(self, counts: Floats, metrics: Sequence[str] | None = None) -> dict[str, Floats]:
        """{metric: one value per row of `counts`} (resamples x rows; NaN where undefined, e.g.
        roc_auc on a resample holding one class), for `metrics` (default: all the task's)."""
        wanted = _task_metrics(self.task, metrics)
        if self.task == "regression":
            values = _regression(self.y_true.astype(float), self.y_pred.astype(float), counts)
            return {name: values[name] for name in wanted}
        assert self.probabilities is not None and self.classes is not None
        classes = list(self.classes)
        values = {}
        # Each group of metrics is computed only when asked for: a slice's interval needs one
        # metric, and on 1,000 resamples of many rows every group costs seconds.
        if set(wanted) & COUNTED_METRICS:
            values |= _classification(self.y_true, self.y_pred, classes, counts)
        if "log_loss" in wanted:
            per_row = _row_log_loss(self.y_true, self.probabilities, classes)
            values["log_loss"] = _mean(counts, per_row)
        if self.task == "binary_classification":
            if set(wanted) & POSITIVE_CLASS_METRICS:
                truth, said = self.y_true == self.positive_label, self.y_pred == self.positive_label
                values |= _positive_class(truth, said, counts)
            if "roc_auc" in wanted:
                values["roc_auc"] = _roc_auc(self._rankings[0], counts)
        elif "roc_auc_ovr" in wanted:
            aucs = [_roc_auc(ranks, counts) for ranks in self._rankings]
            values["roc_auc_ovr"] = np.mean(aucs, axis=0)  # NaN when a class is missing
        return {name: values[name] for name in wanted}


def resample_counts(n_rows: int, resamples: int = RESAMPLES, seed: int = SEED) -> Iterator[Floats]:
    """Blocks of bootstrap resamples as row counts (resamples x rows). The draws are those of
    `rng.integers(0, n_rows, n_rows)` per resample, in order, from one seeded generator."""
    rng = np.random.default_rng(seed)
    block = max(1, BLOCK_CELLS // max(n_rows, 1))
    for start in range(0, resamples, block):
        size = min(block, resamples - start)
        counts = np.empty((size, n_rows))
        for resample in counts:
            resample[:] = np.bincount(rng.integers(0, n_rows, n_rows), minlength=n_rows)
        yield counts


def bootstrap(
    outcomes: Outcomes,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    metrics: Sequence[str] | None = None,
) -> dict[str, Floats]:
    """{metric: its value on each resample}, for `metrics` (default: all the task's)."""
    counts = resample_counts(len(outcomes), resamples, seed)
    blocks = [outcomes.weighted(block, metrics) for block in counts]
    return {name: np.concatenate([b[name] for b in blocks]) for name in blocks[0]}


def same_rows(base: Outcomes, new: Outcomes) -> bool:
    """Whether two models' outcomes describe the same rows in the same order (then a change
    between them can be tested pairwise): the rows' keys agree, or, for outcomes without keys,
    their targets."""
    if len(base) != len(new):
        return False
    if base.keys is not None and new.keys is not None:
        return bool(np.array_equal(base.keys, new.keys))
    return bool(np.array_equal(base.y_true, new.y_true))


def paired_differences(
    base: Outcomes, new: Outcomes, resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, Floats]:
    """{metric: new - base on each resample}. Paired when both describe the same rows in the
    same order (one resample scores both models on the same rows), else each is resampled on
    its own (independent draws), which gives wider intervals."""
    if same_rows(base, new):
        differences: dict[str, list[Floats]] = {}
        for counts in resample_counts(len(new), resamples, seed):
            before, after = base.weighted(counts), new.weighted(counts)
            for name in after.keys() & before.keys():
                differences.setdefault(name, []).append(after[name] - before[name])
        return {name: np.concatenate(parts) for name, parts in differences.items()}
    before, after = bootstrap(base, resamples, seed), bootstrap(new, resamples, seed + 1)
    return {name: after[name] - before[name] for name in after.keys() & before.keys()}


def interval(values: Floats, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The percentile interval of the finite values; None when fewer than half are finite."""
    finite = values[np.isfinite(values)]
    if len(finite) < max(1, len(values) // 2):
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def _task_metrics(task: str, metrics: Sequence[str] | None) -> list[str]:
    """The requested metrics in the task's order; all of them when none are named."""
    known = list(METRICS[task])
    if metrics is None:
        return known
    unknown = sorted(set(metrics) - set(known))
    if unknown:
        raise ValueError(f"{', '.join(unknown)} are not metrics of {task}: use {', '.join(known)}")
    return [name for name in known if name in metrics]


def _mean(counts: Floats, per_row: Floats) -> Floats:
    return (counts @ per_row) / counts.sum(axis=1)


def _ratio(numerator: Floats, denominator: Floats, empty: float) -> Floats:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, empty)


def _classification(
    y_true: Array, y_pred: Array, classes: list[object], counts: Floats
) -> dict[str, Floats]:
    """accuracy, balanced accuracy and the macro precision/recall/F1 over the labels present
    in the resample (scikit-learn's rule: those in y_true or y_pred)."""
    labels = list(dict.fromkeys([*classes, *np.unique(y_true), *np.unique(y_pred)]))
    per_label: dict[str, list[Floats]] = {"precision": [], "recall": [], "f1": [], "seen": []}
    recalls = []
    for label in labels:
        actual, predicted = (y_true == label).astype(float), (y_pred == label).astype(float)
        true_positive = counts @ (actual * predicted)
        actual_n, predicted_n = counts @ actual, counts @ predicted
        per_label["precision"].append(_ratio(true_positive, predicted_n, 0.0))
        per_label["recall"].append(_ratio(true_positive, actual_n, 0.0))
        per_label["f1"].append(_ratio(2 * true_positive, actual_n + predicted_n, 0.0))
        per_label["seen"].append((actual_n + predicted_n > 0).astype(float))
        recalls.append(_ratio(true_positive, actual_n, np.nan))
    seen = np.stack(per_label["seen"])
    macro = {
        f"{name}_macro": (np.stack(per_label[name]) * seen).sum(axis=0) / seen.sum(axis=0)
        for name in ("precision", "recall", "f1")
    }
    correct = (y_true == y_pred).astype(float)
    with np.errstate(invalid="ignore"):
        balanced = np.nanmean(np.stack(recalls), axis=0)
    return {"accuracy": _mean(counts, correct), "balanced_accuracy": balanced, **macro}


def _positive_class(truth: Array, said: Array, counts: Floats) -> dict[str, Floats]:
    truth, said = truth.astype(float), said.astype(float)
    true_positive = counts @ (truth * said)
    actual_n, predicted_n = counts @ truth, counts @ said
    return {
        "precision": _ratio(true_positive, predicted_n, 0.0),
        "recall": _ratio(true_positive, actual_n, 0.0),
        "f1": _ratio(2 * true_positive, actual_n + predicted_n, 0.0),
    }


def _row_log_loss(y_true: Array, probabilities: Floats, classes: list[object]) -> Floats:
    eps = np.finfo(probabilities.dtype).eps
    index = {label: position for position, label in enumerate(classes)}
    true_column = np.array([index[label] for label in y_true])
    chosen = probabilities[np.arange(len(y_true)), true_column]
    return -np.log(np.clip(chosen, eps, 1 - eps))


def _roc_auc(ranks: Ranking, counts: Floats) -> Floats:
    """The area under the ROC curve per resample: the weighted share of (positive, negative)
    pairs ranked right, ties counting half (what scikit-learn's trapezoids give).

    Per positive row, the negatives scored below it and those scored at most as high are two
    positions in the negatives' running count (in score order), so the pairs come from one
    cumulative sum over negative rows and two lookups per positive row. Every sum is of whole
    (or half) counts, so it is exact whatever the order of the additions."""
    negatives_so_far = np.zeros((len(counts), len(ranks.negative_order) + 1))
    np.cumsum(counts[:, ranks.negative_order], axis=1, out=negatives_so_far[:, 1:])
    positive_counts = counts[:, ranks.positive_rows]
    # Twice the pairs ranked right: (below + at_most) counts tied negatives once, others twice.
    lookups = negatives_so_far[:, ranks.below] + negatives_so_far[:, ranks.at_most]
    twice_right = positive_counts * lookups
    pairs = positive_counts.sum(axis=1) * negatives_so_far[:, -1]
    return _ratio(twice_right.sum(axis=1) / 2, pairs, np.nan)


def _regression(y_true: Floats, y_pred: Floats, counts: Floats) -> dict[str, Floats]:
    errors = y_true - y_pred
    total = counts.sum(axis=1)
    squared = (counts @ errors**2) / total
    mean = (counts @ y_true) / total
    spread = (counts * (y_true[None, :] - mean[:, None]) ** 2).sum(axis=1) / total
    # scikit-learn's r2 on a constant target: 1 for a perfect fit, else 0.
    r2 = np.where(spread > 0, 1 - _ratio(squared, spread, 0.0), np.where(squared == 0, 1.0, 0.0))
    return {"rmse": np.sqrt(squared), "mae": (counts @ np.abs(errors)) / total, "r2": r2}
