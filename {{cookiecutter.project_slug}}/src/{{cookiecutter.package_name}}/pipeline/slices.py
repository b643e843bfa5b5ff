"""The primary metric per category of each categorical feature: where the model is worse for
one group than for everyone (what an audit of a model asks first). Written by the evaluate stage
to reports/slices.json; the pull-request report and the model card show the same table."""

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..contract.schema import Schema
from ..tasks import HIGHER_IS_BETTER
from .resampling import CONFIDENCE, Outcomes, bootstrap, interval

TOP_CATEGORIES = 5  # per feature, by rows
MISSING = "(missing)"


def slice_table(
    frame: pd.DataFrame, outcomes: Outcomes, schema: Schema, metric: str
) -> dict[str, Any]:
    """{"metric", "whole", "confidence", "slices": [{"feature", "category", "rows", "value",
    "low", "high", "worse"}]}; `worse` when the slice's interval lies wholly on the bad side of
    the whole test set's value. Undefined values (e.g. roc_auc on one class) are None."""
    whole = _metric(outcomes, metric)
    slices = []
    for feature in schema.categorical_features:
        column = frame[feature].reset_index(drop=True)
        for category, rows in column.value_counts(dropna=False).head(TOP_CATEGORIES).items():
            members = column.isna() if pd.isna(category) else column == category
            part = outcomes.take(np.flatnonzero(members.to_numpy()))
            slices.append(_slice(feature, category, int(rows), part, metric, whole))
    return {"metric": metric, "whole": whole, "confidence": CONFIDENCE, "slices": slices}


def _slice(
    feature: str, category: object, rows: int, part: Outcomes, metric: str, whole: float | None
) -> dict[str, Any]:
    value = _metric(part, metric)
    bounds = interval(bootstrap(part, metrics=[metric])[metric]) if value is not None else None
    low, high = bounds if bounds is not None else (None, None)
    worse = False
    if whole is not None and low is not None and high is not None:
        worse = high < whole if HIGHER_IS_BETTER[metric] else low > whole
    label = MISSING if pd.isna(category) else category
    return {
        "feature": feature,
        "category": label.item() if isinstance(label, np.generic) else label,
        "rows": rows,
        "value": value,
        "low": _rounded(low),
        "high": _rounded(high),
        "worse": worse,
    }


def _metric(outcomes: Outcomes, metric: str) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns on a one-class slice
        try:
            value = outcomes.metrics()[metric]
        except ValueError:
            return None
    return value if np.isfinite(value) else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
