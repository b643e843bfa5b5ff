"""The metrics each task reports, and the quality gate that knows which way is better."""

from dataclasses import dataclass

import numpy as np
from sklearn import metrics as sk

from .errors import ProjectError

# {task: {metric: higher_is_better}}. The template's generation hook keeps the same names.
METRICS = {
    "binary_classification": {
        "accuracy": True,
        "balanced_accuracy": True,
        "f1": True,
        "precision": True,
        "recall": True,
        "roc_auc": True,
        "log_loss": False,
    },
    "multiclass_classification": {
        "accuracy": True,
        "balanced_accuracy": True,
        "f1_macro": True,
        "precision_macro": True,
        "recall_macro": True,
        "roc_auc_ovr": True,
        "log_loss": False,
    },
    "regression": {"rmse": False, "mae": False, "r2": True},
}
HIGHER_IS_BETTER = {name: better for task in METRICS.values() for name, better in task.items()}
DIGITS = 6


def binary_metrics(y_true, y_pred, probabilities, classes, positive_label):
    positive = list(classes).index(positive_label)
    scores = {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y_true, y_pred),
        "f1": sk.f1_score(y_true, y_pred, pos_label=positive_label, zero_division=0),
        "precision": sk.precision_score(y_true, y_pred, pos_label=positive_label, zero_division=0),
        "recall": sk.recall_score(y_true, y_pred, pos_label=positive_label, zero_division=0),
        "roc_auc": sk.roc_auc_score(
            np.asarray(y_true) == positive_label, probabilities[:, positive]
        ),
        "log_loss": sk.log_loss(y_true, probabilities, labels=classes),
    }
    return scores


def multiclass_metrics(y_true, y_pred, probabilities, classes):
    macro = {"average": "macro", "zero_division": 0}
    return {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y_true, y_pred),
        "f1_macro": sk.f1_score(y_true, y_pred, **macro),
        "precision_macro": sk.precision_score(y_true, y_pred, **macro),
        "recall_macro": sk.recall_score(y_true, y_pred, **macro),
        "roc_auc_ovr": sk.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=classes),
        "log_loss": sk.log_loss(y_true, probabilities, labels=classes),
    }


def regression_metrics(y_true, y_pred):
    return {
        "rmse": sk.root_mean_squared_error(y_true, y_pred),
        "mae": sk.mean_absolute_error(y_true, y_pred),
        "r2": sk.r2_score(y_true, y_pred),
    }


def compute_metrics(task, y_true, y_pred, probabilities=None, classes=None, positive_label=None):
    """{metric: value} for the task, rounded; classification needs probabilities and classes."""
    if task == "binary_classification":
        values = binary_metrics(y_true, y_pred, probabilities, classes, positive_label)
    elif task == "multiclass_classification":
        values = multiclass_metrics(y_true, y_pred, probabilities, classes)
    elif task == "regression":
        values = regression_metrics(y_true, y_pred)
    else:
        raise ProjectError(f"task {task!r} is unknown", f"use one of {', '.join(METRICS)}")
    return {name: round(float(values[name]), DIGITS) for name in METRICS[task]}


@dataclass(frozen=True)
class GateResult:
    metric: str
    value: float
    threshold: float
    higher_is_better: bool

    @property
    def passed(self):
        # NaN compares false both ways, so a metric that could not be computed fails.
        if self.higher_is_better:
            return self.value >= self.threshold
        return self.value <= self.threshold

    def __str__(self):
        sign = ">=" if self.higher_is_better else "<="
        verdict = "passed" if self.passed else "FAILED"
        return f"{self.metric} {self.value:.4f} (must be {sign} {self.threshold}): {verdict}"


def gate(metrics, metric, threshold):
    """Whether `metrics[metric]` meets `threshold`: at least it for scores, at most for errors."""
    if metric not in HIGHER_IS_BETTER:
        raise ProjectError(
            f"gate.metric {metric!r} in params.yaml is not a known metric",
            f"use one of {', '.join(sorted(HIGHER_IS_BETTER))}",
        )
    if metric not in metrics:
        raise ProjectError(
            f"gate.metric {metric!r} is not among the computed metrics ({', '.join(metrics)})",
            "set gate.metric in params.yaml to one of those",
        )
    return GateResult(metric, float(metrics[metric]), float(threshold), HIGHER_IS_BETTER[metric])
