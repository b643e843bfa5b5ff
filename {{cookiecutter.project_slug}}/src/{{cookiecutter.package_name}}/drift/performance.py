"""Predictions for the prediction-drift test and, when the current data is labelled, the
model's metrics on it against those at release (performance decay)."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contract.schema import Schema
from ..pipeline.metrics import compute_metrics, positive_label_of
from ..tasks import CLASSIFICATION_TASKS, HIGHER_IS_BETTER
from .decision import PerformanceDecay

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


class PerformanceTracker:
    """Predicts chunk by chunk for the prediction-drift test, and, when the chunks carry the
    target, keeps the target and the model's scores (one or a few numbers per row, never the
    rows) for the metrics at the end."""

    def __init__(self, model: "Pipeline", schema: Schema, task: str) -> None:
        self.model, self.schema, self.task = model, schema, task
        self.targets: list[npt.NDArray[Any]] = []
        self.predictions: list[npt.NDArray[Any]] = []
        self.probabilities: list[npt.NDArray[np.float64]] = []

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        # Integers arrive as nullable Int64; the model was fitted on plain numbers.
        return frame[self.schema.features].apply(
            lambda values: values.astype("float64") if values.dtype == "Int64" else values
        )

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[Any]:
        features = self.features(frame)
        predictions = self.model.predict(features)
        if self.schema.target in frame.columns:
            self.targets.append(frame[self.schema.target].to_numpy())
            self.predictions.append(predictions)
            if self.task in CLASSIFICATION_TASKS:
                self.probabilities.append(self.model.predict_proba(features))
        return predictions

    def decay(
        self, release_metrics: Mapping[str, Any], metric: str, max_decay: float
    ) -> PerformanceDecay | None:
        """PerformanceDecay of `metric`, or None when the data had no target."""
        if not self.targets:
            return None
        y_true = np.concatenate(self.targets)
        y_pred = np.concatenate(self.predictions)
        if self.task == "regression":
            current = compute_metrics(self.task, y_true.astype(float), y_pred)
        else:
            classes = list(self.model.classes_)
            y_true = pd.Series(y_true).astype(type(classes[0])).to_numpy()
            positive = positive_label_of(self.schema, classes)
            current = compute_metrics(
                self.task, y_true, y_pred, np.concatenate(self.probabilities), classes, positive
            )
        if metric not in current or metric not in release_metrics:
            return None
        release, now = float(release_metrics[metric]), float(current[metric])
        worse = (release - now) if HIGHER_IS_BETTER[metric] else (now - release)
        relative = worse / abs(release) if release else worse
        return PerformanceDecay(
            metric=metric,
            release=release,
            current=now,
            relative_decay=relative,
            decayed=relative > max_decay,
            metrics={
                name: {"release": release_metrics.get(name), "current": value}
                for name, value in current.items()
            },
        )
