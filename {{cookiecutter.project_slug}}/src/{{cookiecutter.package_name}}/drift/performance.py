"""Predictions for the prediction-drift test and, when the current data is labelled, the
model's metrics on it against those at release (performance decay)."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contract.schema import Schema
from ..contract.stream import model_input
from ..pipeline.metrics import positive_label_of
from ..pipeline.predictions import predicted
from ..pipeline.resampling import Outcomes, bootstrap, interval
from ..tasks import HIGHER_IS_BETTER
from .decision import PerformanceDecay

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from .labels import Labels

# A metric on a few thousand labelled rows moves by several percent from sample to sample (the
# demo model's roc_auc on fresh 2,000-row batches of its own population: 0.754 to 0.799), so a
# decay counts only when even the favourable end of the current value's 95% bootstrap interval
# is past drift.max_metric_decay. Past NOISE_MAX_ROWS rows the noise is negligible and the
# point value decides.
NOISE_RESAMPLES = 200
NOISE_MAX_ROWS = 50_000
NOISE_SEED = 0


class PerformanceTracker:
    """Predicts chunk by chunk for the prediction-drift test, and, when the chunks carry the
    target, keeps the target and the model's scores (one or a few numbers per row, never the
    rows) for the metrics at the end."""

    def __init__(
        self, model: "Pipeline", schema: Schema, task: str, labels: "Labels | None" = None
    ) -> None:
        self.model, self.schema, self.task, self.labels = model, schema, task, labels
        self.targets: list[npt.NDArray[Any]] = []
        self.predictions: list[npt.NDArray[Any]] = []
        self.probabilities: list[npt.NDArray[np.float64]] = []

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[Any]:
        predictions, probabilities = predicted(self.model, model_input(frame, self.schema.features))
        if self.labels is not None:
            frame = self.labels.attach(frame, self.schema.target)
        if self.schema.target in frame.columns:
            # Rows whose label has not arrived (yet) are predicted, not scored.
            target = frame[self.schema.target]
            known = target.notna().to_numpy()
            self.targets.append(target[known].to_numpy())
            self.predictions.append(predictions[known])
            if probabilities is not None:
                self.probabilities.append(probabilities[known])
        return predictions

    def decay(
        self, release_metrics: Mapping[str, Any], metric: str, max_decay: float
    ) -> PerformanceDecay | None:
        """PerformanceDecay of `metric`, or None when the data had no target."""
        if not self.targets:
            return None
        outcomes = self._outcomes()
        current = outcomes.metrics()
        if metric not in current or metric not in release_metrics:
            return None
        release, now = float(release_metrics[metric]), float(current[metric])
        relative = _relative_decay(metric, release, now)
        interval = _noise_interval(outcomes, metric) if relative > max_decay else None
        favourable = None
        if interval is not None:
            favourable = interval[1] if HIGHER_IS_BETTER[metric] else interval[0]
        within_noise = (
            favourable is not None and _relative_decay(metric, release, favourable) <= max_decay
        )
        return PerformanceDecay(
            metric=metric,
            release=release,
            current=now,
            relative_decay=relative,
            decayed=relative > max_decay and not within_noise,
            metrics={
                name: {"release": release_metrics.get(name), "current": value}
                for name, value in current.items()
            },
            interval=interval,
        )

    def _outcomes(self) -> Outcomes:
        """The labelled rows' targets and the model's outputs."""
        y_true = _joined(self.targets)
        y_pred = _joined(self.predictions)
        if self.task == "regression":
            return Outcomes(self.task, y_true.astype(float), y_pred)
        classes = list(self.model.classes_)
        y_true = pd.Series(y_true).astype(type(classes[0])).to_numpy()
        positive = positive_label_of(self.schema, classes)
        probabilities = _joined(self.probabilities)
        return Outcomes(self.task, y_true, y_pred, probabilities, classes, positive)


def _joined(parts: list[npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """The chunks' arrays as one, which replaces them: holding both would double the memory
    the metrics start from (5M rows: 160 MB of targets, predictions and probabilities)."""
    joined = np.concatenate(parts)
    parts[:] = [joined]
    return joined


def _relative_decay(metric: str, release: float, now: float) -> float:
    worse = (release - now) if HIGHER_IS_BETTER[metric] else (now - release)
    return worse / abs(release) if release else worse


def _noise_interval(outcomes: Outcomes, metric: str) -> tuple[float, float] | None:
    """The 95% percentile interval of `metric` over seeded resamples of the rows; None past
    NOISE_MAX_ROWS rows or when too few resamples give a value (e.g. one class only)."""
    if len(outcomes) > NOISE_MAX_ROWS:
        return None
    return interval(bootstrap(outcomes, NOISE_RESAMPLES, NOISE_SEED)[metric])
