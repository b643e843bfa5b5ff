"""Request records checked against the served model's contract, and turned into the frame the
model scores. The rules come from schema.yaml (types, ranges, categories, required columns), so
a bad record is refused with the field and the rule, before the model sees it."""

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ..contract.rules import INT64_MAX, INT64_MIN
from ..contract.schema import Column, Schema

Record = type[BaseModel]
MAX_RECORDS = 10_000  # per request: bigger batches belong to `predict` (batch scoring)


def _field_type(column: Column) -> Any:
    if column.categories is not None:
        kind: Any = Literal[tuple(column.categories)]
    else:
        kind = {"integer": int, "float": float, "category": str}[column.dtype]
    return kind | None if column.nullable else kind


def _field(column: Column) -> tuple[Any, Any]:
    # A nullable column may be left out (it is missing); every other feature is required.
    default: Any = None if column.nullable else ...
    low, high = _limits(column)
    return _field_type(column), Field(default, ge=low, le=high)


def _limits(column: Column) -> tuple[Any, Any]:
    """The column's range; an integer's within int64 (the contract's dtype rule; the
    prediction log holds integers as int64)."""
    if column.categories is not None:  # a list of codes is the rule; no range beside it
        return None, None
    if column.dtype != "integer":
        return column.min, column.max
    low = INT64_MIN if column.min is None else max(column.min, INT64_MIN)
    high = INT64_MAX if column.max is None else min(column.max, INT64_MAX)
    return low, high


def record_model(schema: Schema) -> type[BaseModel]:
    """A pydantic model of one record: every feature, the optional ids, nothing else (a
    misspelt column is refused rather than silently scored as missing)."""
    fields: dict[str, Any] = {name: _field(schema.columns[name]) for name in schema.features}
    fields |= {name: (str | int | None, None) for name in schema.ids}
    return create_model("Record", __config__=ConfigDict(extra="forbid", strict=False), **fields)


def checked_rows(record: Record, body: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, errors) for a request body of one record or a list of them. Each error is
    pydantic's, located as FastAPI locates body errors: ("body", [index,] field)."""
    many = isinstance(body, list)
    if many and not 0 < len(body) <= MAX_RECORDS:
        problem = f"a list of 1 to {MAX_RECORDS} records, not {len(body)}"
        return [], [{"type": "list_length", "loc": ("body",), "msg": problem, "input": None}]
    rows, errors = [], []
    for index, item in enumerate(body if many else [body]):
        try:
            rows.append(record.model_validate(item).model_dump())
        except ValidationError as error:
            where = ("body", index) if many else ("body",)
            for found in error.errors(include_url=False):
                errors.append({**found, "loc": (*where, *found["loc"])})
    return rows, errors


def feature_frame(rows: list[dict[str, Any]], schema: Schema) -> pd.DataFrame:
    """The rows as the model's input, as batch scoring gives it (numbers as float64, missing as
    NaN; categories as text, missing as NaN, which is what the fitted imputers look for).
    Built from plain arrays: pandas' per-column conversions cost more than the model on one row."""
    typed: dict[str, Any] = {}
    for name in schema.features:
        values = [row[name] for row in rows]
        if schema.columns[name].dtype == "category":
            typed[name] = np.array([np.nan if v is None else str(v) for v in values], dtype=object)
        else:
            typed[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return pd.DataFrame(typed, copy=False)


def example_record(schema: Schema) -> dict[str, Any]:
    """A record every rule of the contract accepts (the smallest allowed number, the first
    category): the warm-up a model must pass before it serves, and the API docs' example."""
    record: dict[str, Any] = {}
    for name in schema.features:
        column = schema.columns[name]
        if column.categories:
            record[name] = column.categories[0]
        elif column.dtype == "category":
            record[name] = "example"
        else:
            value = column.min if column.min is not None else 0
            value = min(value, column.max) if column.max is not None else value
            record[name] = int(value) if column.dtype == "integer" else float(value)
    return record
