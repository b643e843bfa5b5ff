import json

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT, TASKS, demo_frame, demo_schema, model_params, read_yaml

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.pipeline.evaluate import (
    MAX_CURVE_POINTS,
    PLOTS_BY_TASK,
    binary_curves,
    evenly_thinned,
    feature_importance,
    regression_tables,
    score,
)
from {{ cookiecutter.package_name }}.pipeline.features import build_pipeline
from {{ cookiecutter.package_name }}.pipeline.metrics import positive_label_of
from {{ cookiecutter.package_name }}.tasks import METRICS

QUICK_FAMILY = {
    "binary_classification": "logistic",
    "multiclass_classification": "logistic",
    "regression": "linear",
}


def fitted(task, n_rows=300):
    schema = demo_schema(task)
    frame = demo_frame(task, n_rows)
    model = build_pipeline(schema, task, model_params(QUICK_FAMILY[task]))
    return model.fit(frame[schema.features], frame[schema.target]), schema


def test_the_plot_files_are_the_ones_dvc_yaml_lists(trained_project, task):
    listed = [next(iter(entry)) for entry in read_yaml(PROJECT_ROOT / "dvc.yaml")["plots"]]
    assert sorted(f"plots/{name}" for name in PLOTS_BY_TASK[task]) == sorted(listed)
    written = sorted(path.name for path in (trained_project / "plots").iterdir())
    assert written == sorted(PLOTS_BY_TASK[task])


def test_metrics_json_is_flat_rounded_and_only_the_tasks(trained_project, task):
    metrics = json.loads((trained_project / "metrics.json").read_text())
    assert list(metrics) == list(METRICS[task])
    assert all(isinstance(value, float) for value in metrics.values())
    assert all(round(value, 6) == value for value in metrics.values())


@pytest.mark.parametrize("task", TASKS)
def test_score_returns_the_tasks_metrics_and_tables(task):
    model, schema = fitted(task)
    test = demo_frame(task, 200, seed=1)
    metrics, tables = score(model, test, schema, task, seed=0)
    assert list(metrics) == list(METRICS[task])
    expected = set(PLOTS_BY_TASK[task]) - {"feature_importance.csv"}
    assert set(tables) == expected
    for name, table in tables.items():
        assert len(table) <= 1000, name
    if "confusion_matrix.csv" in tables:
        assert list(tables["confusion_matrix.csv"].columns) == ["actual", "predicted"]
        assert len(tables["confusion_matrix.csv"]) == 200


def test_curves_are_thinned_and_keep_their_ends():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 5000)
    scores = np.clip(y_true * 0.3 + rng.random(5000), 0, 1)
    curves = binary_curves(y_true, scores, positive_label=1)
    roc, pr = curves["roc.csv"], curves["precision_recall.csv"]
    assert list(roc.columns) == ["fpr", "tpr"]
    assert list(pr.columns) == ["recall", "precision"]
    assert len(roc) <= MAX_CURVE_POINTS
    assert len(pr) <= MAX_CURVE_POINTS
    assert roc.iloc[0].tolist() == [0.0, 0.0]
    assert roc.iloc[-1].tolist() == [1.0, 1.0]
    assert roc["fpr"].is_monotonic_increasing


def test_evenly_thinned_keeps_short_tables_whole():
    table = pd.DataFrame({"x": range(10)})
    assert evenly_thinned(table, 20) is table
    assert evenly_thinned(pd.DataFrame({"x": range(1000)}), 5)["x"].tolist() == [
        0,
        250,
        500,
        749,
        999,
    ]


def test_regression_tables_hold_residuals():
    tables = regression_tables(pd.Series([10.0, 20.0, 30.0]), np.array([12.0, 18.0, 30.0]), 0)
    residuals = tables["residuals.csv"]
    assert list(residuals.columns) == ["predicted", "residual"]
    assert residuals["predicted"].tolist() == [12.0, 18.0, 30.0]
    assert residuals["residual"].tolist() == [-2.0, 2.0, 0.0]
    assert list(tables["predictions.csv"].columns) == ["actual", "predicted"]


def test_feature_importance_ranks_the_informative_column_first():
    schema = parse_schema(
        {
            "target": "y",
            "columns": {
                "signal": {"dtype": "float"},
                "noise": {"dtype": "float"},
                "y": {"dtype": "float"},
            },
        }
    )
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"signal": rng.normal(size=500), "noise": rng.normal(size=500)})
    frame["y"] = 3 * frame["signal"] + rng.normal(scale=0.1, size=500)
    model = build_pipeline(schema, "regression", model_params("linear"))
    model.fit(frame[schema.features], frame["y"])
    table = feature_importance(model, frame, schema, "regression", seed=0)
    assert table["feature"].tolist() == ["signal", "noise"]
    assert table["importance"].iloc[0] > 1


def test_positive_label_defaults_to_the_last_class_and_must_be_learned():
    schema = demo_schema("multiclass_classification")
    assert positive_label_of(schema, ["no", "yes"]) == "yes"
    binary = demo_schema("binary_classification")
    assert positive_label_of(binary, [0, 1]) == 1
    with pytest.raises(ProjectError, match="not a class the model learned"):
        positive_label_of(binary, [2, 3])
    with pytest.raises(ProjectError, match="the training data holds one class"):
        positive_label_of(binary, [1])


def test_a_retraining_commit_holds_every_output_kept_in_git():
    from {{ cookiecutter.package_name }}.drift.retrain import COMMITTED

    stages = read_yaml(PROJECT_ROOT / "dvc.yaml")["stages"]
    in_git = [
        path
        for stage in stages.values()
        for kind in ("outs", "metrics")
        for entry in stage.get(kind, [])
        if isinstance(entry, dict)
        for path, options in entry.items()
        if options.get("cache") is False
    ]
    assert "reports/slices.json" in in_git
    assert [path for path in in_git if not path.startswith(COMMITTED)] == []
