"""The profile stage: a compact reference profile of the training data for drift checks.

Numeric columns keep quantile edges and the reference counts per bin, so a drift check bins
current data against them (`bin_counts`) instead of storing raw data. Category
columns keep counts per category. The production model's predictions on the training split
are profiled the same way, to watch prediction drift.
"""

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import paths
from ..contract.schema import Column, Schema, load_schema
from ..params import Params
from ..tasks import CLASSIFICATION_TASKS
from .features import limited_threads

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def quantile_edges(values: npt.NDArray[np.float64], n_quantiles: int) -> npt.NDArray[np.float64]:
    """The n_quantiles + 1 quantile edges of the values, duplicates (ties) removed, sorted.

    inverted_cdf makes every edge a value seen in training: whole numbers stay whole, and a
    column with few distinct values gets one bin per value.
    """
    quantiles = np.linspace(0, 1, n_quantiles + 1)
    return np.unique(np.quantile(values, quantiles, method="inverted_cdf"))


def bin_counts(values: npt.ArrayLike, edges: npt.ArrayLike) -> list[int]:
    """len(edges) + 1 counts: [0] below edges[0], [i] in [edges[i-1], edges[i]), [-1] from
    edges[-1] up. The open outer bins catch current data outside the reference range."""
    return bin_count_array(values, edges).tolist()


def bin_count_array(values: npt.ArrayLike, edges: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """bin_counts as an int64 array (NaN counts in the last bin, as it sorts after edges[-1]).

    The values are sorted (a copy) and the edges looked up in them: numpy's vectorized sort is
    several times faster than a binary search per value among a thousand edges, which
    mispredicts a branch at almost every step. Per chunk of a drift check, so memory is flat.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    below = np.searchsorted(ordered, np.asarray(edges, dtype=float), side="left")
    return np.diff(below, prepend=0, append=len(ordered))


def numeric_profile(values: pd.Series, n_quantiles: int) -> dict[str, Any]:
    present = values.dropna().to_numpy(dtype=float)
    profile: dict[str, Any] = {
        "kind": "numeric",
        "n": len(values),
        "nulls": int(values.isna().sum()),
    }
    if len(present) == 0:
        empty: dict[str, Any] = {
            "mean": None,
            "std": None,
            "min": None,
            "max": None,
            "edges": [],
            "counts": [],
        }
        return {**profile, **empty}
    edges = quantile_edges(present, n_quantiles)
    return {
        **profile,
        "mean": float(present.mean()),
        "std": float(present.std(ddof=1)) if len(present) > 1 else None,
        "min": float(present.min()),
        "max": float(present.max()),
        "edges": edges.tolist(),
        "counts": bin_counts(present, edges),
    }


def category_profile(
    values: pd.Series, categories: Iterable[object] | None = None
) -> dict[str, Any]:
    """Counts per category: the allowed ones (zeros included) first, then any others seen."""
    labels = [str(value) for value in values.dropna()]
    observed = pd.Series(labels, dtype=object).value_counts()
    order = [str(value) for value in categories or ()]
    order += sorted(label for label in observed.index if label not in order)
    return {
        "kind": "category",
        "n": len(values),
        "nulls": int(values.isna().sum()),
        "counts": {label: int(observed.get(label, 0)) for label in order},
    }


def column_profile(values: pd.Series, column: Column, n_quantiles: int) -> dict[str, Any]:
    if column.is_categorical:
        return category_profile(values, column.categories)
    return numeric_profile(values, n_quantiles)


def prediction_profile(
    model: "Pipeline", frame: pd.DataFrame, features: list[str], task: str, n_quantiles: int
) -> dict[str, Any]:
    predictions = pd.Series(model.predict(frame[features]))
    if task in CLASSIFICATION_TASKS:
        return category_profile(predictions, model.classes_.tolist())
    return numeric_profile(predictions, n_quantiles)


def build_profile(
    frame: pd.DataFrame, schema: Schema, model: "Pipeline", task: str, n_quantiles: int
) -> dict[str, Any]:
    return {
        "task": task,
        "target": schema.target,
        "rows": len(frame),
        "quantiles": n_quantiles,
        "columns": {
            name: column_profile(frame[name], column, n_quantiles)
            for name, column in schema.columns.items()
        },
        "predictions": prediction_profile(model, frame, schema.features, task, n_quantiles),
    }


def profile_file(params: Params) -> None:
    n_quantiles = params.profile.quantiles
    frame = pd.read_parquet(paths.TRAIN_SPLIT)
    schema, model = load_schema(paths.SCHEMA), joblib.load(paths.MODEL)
    with limited_threads():
        profile = build_profile(frame, schema, model, params.task, n_quantiles)
    paths.PROFILE.parent.mkdir(parents=True, exist_ok=True)
    # Compact: thousands of edges per column would fill screens with one number per line.
    paths.PROFILE.write_text(json.dumps(profile, separators=(",", ":")) + "\n", encoding="utf-8")
    LOGGER.info(
        f"profiled {len(frame)} training rows x {len(profile['columns'])} columns: {paths.PROFILE}"
    )
