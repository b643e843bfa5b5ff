"""Computing the metrics each task reports (tasks.py names them and which way is better)."""

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from sklearn import metrics as sk

from ..contract.schema import Schema
from ..errors import ProjectError
from ..tasks import METRICS

DIGITS = 6


def binary_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    probabilities: npt.NDArray[np.float64],
    classes: Sequence[object],
    positive_label: object,
) -> dict[str, float]:
    positive = list(classes).index(positive_label)
    precision, recall, f1 = precision_recall_f1(
        y_true, y_pred, average="binary", pos_label=positive_label
    )
    scores = {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y_true, y_pred),
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "roc_auc": sk.roc_auc_score(
            np.asarray(y_true) == positive_label, probabilities[:, positive]
        ),
        "log_loss": sk.log_loss(y_true, probabilities, labels=classes),
    }
    return scores


def multiclass_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    probabilities: npt.NDArray[np.float64],
    classes: Sequence[object],
) -> dict[str, float]:
    precision, recall, f1 = precision_recall_f1(y_true, y_pred, average="macro")
    return {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y_true, y_pred),
        "f1_macro": f1,
        "precision_macro": precision,
        "recall_macro": recall,
        "roc_auc_ovr": sk.roc_auc_score(y_true, probabilities, multi_class="ovr", labels=classes),
        "log_loss": sk.log_loss(y_true, probabilities, labels=classes),
    }


def precision_recall_f1(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, **averaging: object
) -> tuple[float, float, float]:
    """Precision, recall and F1 (zero where undefined) from one count of the classes:
    scikit-learn's precision_score, recall_score and f1_score each count them again (one
    labelled million rows: 0.1 s a count), and return these same numbers."""
    precision, recall, f1, _ = sk.precision_recall_fscore_support(
        y_true, y_pred, beta=1, zero_division=0, **averaging
    )
    return precision, recall, f1


def regression_metrics(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, float]:
    return {
        "rmse": sk.root_mean_squared_error(y_true, y_pred),
        "mae": sk.mean_absolute_error(y_true, y_pred),
        "r2": sk.r2_score(y_true, y_pred),
    }


def compute_metrics(
    task: str,
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    probabilities: npt.NDArray[np.float64] | None = None,
    classes: Sequence[object] | None = None,
    positive_label: object = None,
) -> dict[str, float]:
    """{metric: value} for the task, rounded; classification needs probabilities and classes."""
    if task == "binary_classification":
        assert probabilities is not None and classes is not None
        values = binary_metrics(y_true, y_pred, probabilities, classes, positive_label)
    elif task == "multiclass_classification":
        assert probabilities is not None and classes is not None
        values = multiclass_metrics(y_true, y_pred, probabilities, classes)
    elif task == "regression":
        values = regression_metrics(y_true, y_pred)
    else:
        raise ProjectError(f"task {task!r} is unknown", f"use one of {', '.join(METRICS)}")
    return {name: round(float(values[name]), DIGITS) for name in METRICS[task]}


def positive_label_of(schema: Schema, classes: Iterable[object]) -> object:
    """The class binary metrics score: schema.yaml's positive_label, else scikit-learn's
    convention (the last class). Every caller (evaluate, drift's performance check) uses it."""
    classes = list(classes)
    if len(classes) < 2:
        raise ProjectError(
            f"the training data holds one class ({', '.join(map(str, classes))}) of "
            f"{schema.target!r}: a classifier needs at least two",
            "add rows of the other class to the data, or choose a regression task",
        )
    label = schema.positive_label if schema.positive_label is not None else classes[-1]
    if label not in classes:
        raise ProjectError(
            f"positive_label {label!r} in schema.yaml is not a class the model learned "
            f"({', '.join(map(str, classes))})",
            "set positive_label in schema.yaml to one of those classes",
        )
    return label
