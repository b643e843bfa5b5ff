"""The evaluate stage's test predictions, kept as a pipeline output so that a later report can
compare two models on the same rows without running either again (the pull-request report reads
the base revision's copy through DVC, checked against that revision's dvc.lock)."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..contract.schema import Schema
from ..errors import ProjectError
from .metrics import positive_label_of
from .resampling import Outcomes

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# Written in the file's metadata: what the columns mean.
METADATA_KEY = b"outcomes"
PROBABILITY_PREFIX = "probability:"
KEY_COLUMN = "row_key"


def predicted(
    model: "Pipeline", features: pd.DataFrame
) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64] | None]:
    """(predictions, class probabilities or None: a regressor) from one pass through the model.

    A classifier's prediction is its most probable class: what scikit-learn's own `predict`
    computes for the tree ensembles, from the same probabilities. Calling `predict` and then
    `predict_proba` would transform every row and walk every tree twice. Evaluation, scoring,
    serving and drift checks all predict through here, so a row gets one answer everywhere.
    """
    classes = getattr(model, "classes_", None)
    if classes is None or not hasattr(model, "predict_proba"):
        return np.asarray(model.predict(features)), None
    probabilities = model.predict_proba(features)
    return np.asarray(classes)[probabilities.argmax(axis=1)], probabilities


def outcomes_of(model: "Pipeline", frame: pd.DataFrame, schema: Schema, task: str) -> Outcomes:
    """The model's predictions (and class probabilities) on labelled rows."""
    y_true = frame[schema.target].to_numpy()
    features = frame[schema.features]
    y_pred, probabilities = predicted(model, features)
    # A row's identity across revisions: its values, not its position.
    keys = pd.util.hash_pandas_object(frame[[*schema.features, schema.target]], index=False)
    keys = keys.to_numpy()
    if task == "regression":
        return Outcomes(task, y_true, np.asarray(y_pred), keys=keys)
    classes = list(model.classes_)
    positive = positive_label_of(schema, classes) if task == "binary_classification" else None
    return Outcomes(task, y_true, y_pred, probabilities, classes, positive, keys)


def write_outcomes(outcomes: Outcomes, path: str | Path) -> None:
    columns: dict[str, object] = {"actual": outcomes.y_true, "predicted": outcomes.y_pred}
    if outcomes.keys is not None:
        columns[KEY_COLUMN] = outcomes.keys
    classes = [_plain(label) for label in outcomes.classes or ()]
    if outcomes.probabilities is not None:
        for index, label in enumerate(classes):
            columns[f"{PROBABILITY_PREFIX}{label}"] = outcomes.probabilities[:, index]
    table = pa.table(columns)
    meaning = {
        "task": outcomes.task,
        "classes": classes,
        "positive_label": _plain(outcomes.positive_label),
    }
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meaning).encode()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def read_outcomes(path: str | Path) -> Outcomes:
    table = pq.read_table(path)
    metadata = (table.schema.metadata or {}).get(METADATA_KEY)
    if metadata is None:
        raise ProjectError(
            f"{path} is not a test-predictions file written by the evaluate stage",
            "run `dvc repro evaluate` to write it again",
        )
    meaning = json.loads(metadata)
    classes = meaning["classes"] or None
    probabilities = None
    if classes:
        columns = [f"{PROBABILITY_PREFIX}{label}" for label in classes]
        probabilities = np.column_stack([table.column(c).to_numpy() for c in columns])
    return Outcomes(
        meaning["task"],
        table.column("actual").to_numpy(zero_copy_only=False),
        table.column("predicted").to_numpy(zero_copy_only=False),
        probabilities,
        classes,
        meaning["positive_label"],
        table.column(KEY_COLUMN).to_numpy() if KEY_COLUMN in table.column_names else None,
    )


def _plain(value: object) -> object:
    """A JSON-able class label (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value
