"""The rows batch scoring reads and writes, the same on every engine: the input's format, the
features the model needs, and the output's columns (the keys, the prediction and the class
probabilities, typed alike however the rows were read, the model's version and the time)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..contract.stream import suffix_format
from ..errors import CouldNotCheck
from .model import ScoringModel

ROW = "row"  # the row's position in the input, when the contract declares no `ids`


def input_format(path: str) -> str:
    found = suffix_format(path)
    if found is not None:
        return found
    raise CouldNotCheck(f"cannot tell whether {path} is CSV or Parquet", "name it .csv or .parquet")


def require_features(model: ScoringModel, source: str, names: Iterable[str]) -> None:
    present = set(names)
    missing = [name for name in model.schema.features if name not in present]
    if missing:
        raise CouldNotCheck(
            f"{source} lacks the feature columns {', '.join(missing)} that model "
            f"{model.version} needs",
            "deliver every feature column of schema.yaml (the target may be absent)",
        )


def predicted_schema(model: ScoringModel) -> pa.Schema:
    """The types of predicted_columns: a classifier's prediction is one of its classes."""
    classes = getattr(model.pipeline, "classes_", None)
    kind = pa.float64() if classes is None else pa.array(np.asarray(classes)).type
    fields = [pa.field("prediction", kind)]
    if classes is not None and hasattr(model.pipeline, "predict_proba"):
        fields += [pa.field(f"probability_{label}", pa.float64()) for label in model.classes or []]
    return pa.schema(fields)


def predicted_columns(model: ScoringModel, frame: pd.DataFrame) -> dict[str, pa.Array]:
    """The prediction and the class probabilities of a typed frame's rows."""
    predictions, probabilities = model.predict(frame)
    columns = {"prediction": pa.array(predictions)}
    if probabilities is not None:
        for index, label in enumerate(model.classes or []):
            columns[f"probability_{label}"] = pa.array(probabilities[:, index])
    schema = predicted_schema(model)
    return {name: values.cast(schema.field(name).type) for name, values in columns.items()}


def labelled(
    model: ScoringModel, keys: dict[str, Any], predicted: dict[str, Any], scored_at: datetime
) -> pa.Table:
    """The output rows: the keys (ids, or the row's position), the predicted columns, the
    model's version and commit and the time."""
    columns = {**keys, **predicted}
    rows = len(next(iter(predicted.values())))
    columns["model_version"] = pa.repeat(pa.scalar(model.version, pa.string()), rows)
    columns["model_commit"] = pa.repeat(pa.scalar(model.commit, pa.string()), rows)
    columns["scored_at"] = pa.repeat(pa.scalar(scored_at, pa.timestamp("s", tz="UTC")), rows)
    return pa.table(columns)
