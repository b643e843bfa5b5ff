import math

import numpy as np
import pytest
from sklearn import metrics as sk

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import GateParams
from {{ cookiecutter.package_name }}.pipeline.gate import judge
from {{ cookiecutter.package_name }}.pipeline.metrics import compute_metrics, precision_recall_f1
from {{ cookiecutter.package_name }}.tasks import METRICS


def gate(metrics, metric, threshold):
    """The gate on its threshold alone (no model in production)."""
    return judge(metrics, None, GateParams(metric=metric, threshold=threshold))


def test_every_task_has_its_metrics_with_a_direction():
    assert set(METRICS) == {"binary_classification", "multiclass_classification", "regression"}
    assert METRICS["regression"] == {"rmse": False, "mae": False, "r2": True}
    assert METRICS["binary_classification"]["log_loss"] is False
    assert METRICS["multiclass_classification"]["f1_macro"] is True


def test_the_projects_gate_uses_one_of_its_tasks_metrics(project_params):
    assert project_params.gate.metric in METRICS[project_params.task]


def test_binary_metrics_on_a_known_example():
    y_true = np.array(["no", "yes", "yes", "no"])
    y_pred = np.array(["no", "yes", "no", "no"])
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    values = compute_metrics(
        "binary_classification", y_true, y_pred, probabilities, ["no", "yes"], "yes"
    )
    assert list(values) == list(METRICS["binary_classification"])
    assert values["accuracy"] == 0.75
    assert values["precision"] == 1.0
    assert values["recall"] == 0.5
    assert values["roc_auc"] == 1.0
    assert values["log_loss"] == round(-np.mean(np.log([0.9, 0.8, 0.4, 0.7])), 6)


def test_the_positive_label_decides_precision_and_recall():
    y_true, y_pred = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    probabilities = np.array([[0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.1, 0.9]])
    as_one = compute_metrics("binary_classification", y_true, y_pred, probabilities, [0, 1], 1)
    as_zero = compute_metrics("binary_classification", y_true, y_pred, probabilities, [0, 1], 0)
    assert (as_one["precision"], as_one["recall"]) == (round(2 / 3, 6), 1.0)
    assert (as_zero["precision"], as_zero["recall"]) == (1.0, 0.5)
    assert as_one["roc_auc"] == as_zero["roc_auc"] == 1.0


def test_multiclass_metrics_are_macro_averaged():
    classes = ["a", "b", "c"]
    y_true = np.array(["a", "b", "c", "c"])
    y_pred = np.array(["a", "b", "c", "a"])
    probabilities = np.eye(3)[[0, 1, 2, 0]] * 0.9 + 0.1 / 3
    values = compute_metrics("multiclass_classification", y_true, y_pred, probabilities, classes)
    assert list(values) == list(METRICS["multiclass_classification"])
    assert values["recall_macro"] == round((1 + 1 + 0.5) / 3, 6)
    assert values["accuracy"] == 0.75


@pytest.mark.parametrize("seed", range(6))
def test_precision_recall_and_f1_from_one_count_are_scikit_learns(seed):
    rng = np.random.default_rng(seed)
    n_classes = 2 + seed % 3
    y_true = rng.integers(0, n_classes, 300)
    # Seed 0 never predicts the positive class: precision and F1 are zero by zero_division.
    y_pred = np.zeros(300, dtype=int) if seed == 0 else rng.integers(0, n_classes, 300)
    averaging = {"average": "binary", "pos_label": 1} if n_classes == 2 else {"average": "macro"}
    expected = [
        score(y_true, y_pred, zero_division=0, **averaging)
        for score in (sk.precision_score, sk.recall_score, sk.f1_score)
    ]
    assert list(precision_recall_f1(y_true, y_pred, **averaging)) == expected


def test_regression_metrics_on_a_known_example():
    values = compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert values == {
        "rmse": round(math.sqrt(4 / 3), 6),
        "mae": round(2 / 3, 6),
        "r2": round(1 - 4 / 2, 6),
    }


@pytest.mark.parametrize(
    ("metric", "value", "threshold", "passed"),
    [
        ("roc_auc", 0.80, 0.75, True),
        ("roc_auc", 0.75, 0.75, True),
        ("roc_auc", 0.70, 0.75, False),
        ("rmse", 10.0, 25.0, True),
        ("rmse", 30.0, 25.0, False),
        ("log_loss", 0.4, 0.5, True),
        ("r2", 0.4, 0.5, False),
        ("roc_auc", float("nan"), 0.5, False),
        ("rmse", float("nan"), 25.0, False),
    ],
)
def test_gate_knows_which_way_is_better(metric, value, threshold, passed):
    result = gate({metric: value}, metric, threshold)
    assert result.passed is passed
    assert result.threshold_passed is passed
    assert result.production is None
    assert ("passed" if passed else "FAILED") in result.threshold_line()
    assert (">=" if result.higher_is_better else "<=") in result.threshold_line()


def test_gate_refuses_unknown_or_missing_metrics():
    with pytest.raises(ProjectError, match="not a known metric") as raised:
        gate({"rmse": 1.0}, "rsme", 2)
    assert "rmse" in raised.value.fix
    with pytest.raises(ProjectError, match="not among the computed metrics"):
        gate({"rmse": 1.0}, "roc_auc", 0.7)
