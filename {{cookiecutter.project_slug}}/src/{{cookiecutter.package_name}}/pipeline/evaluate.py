"""The evaluate stage: score the model on the test split; write metrics.json, plot tables, the
test predictions (for later comparisons) and the metric per slice.

The plot tables are exactly the files dvc.yaml's top-level `plots:` lists for the task.
"""

import json
import logging
import shutil
from typing import TYPE_CHECKING

import joblib
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import precision_recall_curve, roc_curve

from .. import paths
from ..contract.schema import Schema, load_schema
from ..params import Params
from .features import limited_threads
from .gate import judge
from .predictions import outcomes_of, write_outcomes
from .resampling import Outcomes
from .slices import slice_table

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

PLOTS_BY_TASK = {
    "binary_classification": (
        "confusion_matrix.csv",
        "roc.csv",
        "precision_recall.csv",
        "feature_importance.csv",
    ),
    "multiclass_classification": ("confusion_matrix.csv", "feature_importance.csv"),
    "regression": ("predictions.csv", "residuals.csv", "feature_importance.csv"),
}
# Curves keep their shape with a few hundred points; more only slows the rendered report.
MAX_CURVE_POINTS = 200
MAX_SCATTER_POINTS = 1000
# Permutation importance predicts n_features * n_repeats times: bounded rows keep it quick.
MAX_IMPORTANCE_ROWS = 1000
IMPORTANCE_REPEATS = 3
IMPORTANCE_SCORING = {
    "binary_classification": "roc_auc",
    "multiclass_classification": "f1_macro",
    "regression": "neg_root_mean_squared_error",
}
DIGITS = 6


def evenly_thinned(table: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """At most max_rows rows, evenly spaced, first and last kept: a curve keeps its shape."""
    if len(table) <= max_rows:
        return table
    keep = np.unique(np.linspace(0, len(table) - 1, max_rows).round().astype(int))
    return table.iloc[keep]


def binary_curves(
    y_true: npt.ArrayLike, positive_scores: npt.ArrayLike, positive_label: object
) -> dict[str, pd.DataFrame]:
    is_positive = np.asarray(y_true) == positive_label
    fpr, tpr, _ = roc_curve(is_positive, positive_scores)
    precision, recall, _ = precision_recall_curve(is_positive, positive_scores)
    roc = pd.DataFrame({"fpr": fpr, "tpr": tpr})
    precision_recall = pd.DataFrame({"recall": recall, "precision": precision})
    return {
        "roc.csv": evenly_thinned(roc, MAX_CURVE_POINTS),
        "precision_recall.csv": evenly_thinned(precision_recall, MAX_CURVE_POINTS),
    }


def regression_tables(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, seed: int
) -> dict[str, pd.DataFrame]:
    table = pd.DataFrame({"actual": np.asarray(y_true), "predicted": y_pred})
    if len(table) > MAX_SCATTER_POINTS:
        table = table.sample(n=MAX_SCATTER_POINTS, random_state=seed)
    residuals = pd.DataFrame(
        {"predicted": table["predicted"], "residual": table["actual"] - table["predicted"]}
    )
    return {
        "predictions.csv": table.sort_values("actual"),
        "residuals.csv": residuals.sort_values("predicted"),
    }


def feature_importance(
    model: "Pipeline", frame: pd.DataFrame, schema: Schema, task: str, seed: int
) -> pd.DataFrame:
    """Mean drop in the task's score when a column is shuffled, on at most 1000 test rows."""
    sample = frame.sample(n=min(len(frame), MAX_IMPORTANCE_ROWS), random_state=seed)
    result = permutation_importance(
        model,
        sample[schema.features],
        sample[schema.target],
        scoring=IMPORTANCE_SCORING[task],
        n_repeats=IMPORTANCE_REPEATS,
        random_state=seed,
    )
    table = pd.DataFrame({"feature": schema.features, "importance": result.importances_mean})
    return table.sort_values("importance", ascending=False, kind="stable")


def plot_tables(outcomes: Outcomes, seed: int) -> dict[str, pd.DataFrame]:
    """The task's plot tables except feature importance."""
    if outcomes.task == "regression":
        return regression_tables(outcomes.y_true, outcomes.y_pred, seed)
    tables = {
        "confusion_matrix.csv": pd.DataFrame(
            {"actual": outcomes.y_true, "predicted": outcomes.y_pred}
        )
    }
    if outcomes.task == "binary_classification":
        assert outcomes.probabilities is not None and outcomes.classes is not None
        positive = list(outcomes.classes).index(outcomes.positive_label)
        scores = outcomes.probabilities[:, positive]
        tables.update(binary_curves(outcomes.y_true, scores, outcomes.positive_label))
    return tables


def score(
    model: "Pipeline", frame: pd.DataFrame, schema: Schema, task: str, seed: int
) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """metrics.json's content and the task's plot tables except feature importance."""
    outcomes = outcomes_of(model, frame, schema, task)
    return outcomes.metrics(), plot_tables(outcomes, seed)


def evaluate_file(params: Params) -> None:
    task = params.task
    schema = load_schema(paths.SCHEMA)
    model = joblib.load(paths.MODEL)
    test = pd.read_parquet(paths.TEST_SPLIT)
    seed = params.model.seed
    with limited_threads():
        outcomes = outcomes_of(model, test, schema, task)
        tables = plot_tables(outcomes, seed)
        tables["feature_importance.csv"] = feature_importance(model, test, schema, task, seed)
    metrics = outcomes.metrics()
    paths.METRICS.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    write_outcomes(outcomes, paths.TEST_PREDICTIONS)
    slices = slice_table(test, outcomes, schema, params.gate.metric)
    paths.SLICES.write_text(json.dumps(slices, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(paths.PLOTS, ignore_errors=True)  # the folder is this stage's output alone
    paths.PLOTS.mkdir(parents=True)
    for name in PLOTS_BY_TASK[task]:
        tables[name].round(DIGITS).to_csv(paths.PLOTS / name, index=False)
    LOGGER.info(", ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
    # The gate is reported, not enforced, here: a failing stage would leave its outputs
    # unrecorded, and the pull-request and release workflows need them to show why it failed.
    report = judge(metrics, None, params.gate)
    LOGGER.info(
        f"gate (threshold only; `make gate` also compares with production): "
        f"{report.threshold_line()}"
    )
