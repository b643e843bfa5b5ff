"""The data contract's rules on a column of text, as a CSV holds it: what each rule finds, and
the dtype each column has once checked. The validate stage and the chunked readers (stream.py)
check with these, so a value breaks the same rule wherever it is read.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .reading import MAX_EXAMPLES, Violation
from .schema import Column, Schema

DTYPE_TEXT = {"integer": "not whole numbers", "float": "not numbers"}
# Whole numbers from here on are not all exact as float64, which read_table parses numbers as.
EXACT_INTEGERS = 2.0**53


# --- checking ---------------------------------------------------------------------------------


def find_violations(frame: pd.DataFrame, schema: Schema) -> list[Violation]:
    """Every way the text frame breaks the schema, file order, one entry per column and rule."""
    found = []
    for name in schema.columns:
        if name not in frame.columns:
            found.append(
                Violation(name, "missing_column", len(frame), [], "column not in the file")
            )
    for name in frame.columns:
        if name not in schema.columns and name not in schema.ids:
            message = "column not in schema.yaml"
            found.append(value_violation(name, "extra_column", frame[name].dropna(), message))
    for name, column in schema.columns.items():
        if name in frame.columns:
            found += column_violations(frame[name], column)
    return found


def column_violations(values: pd.Series, column: Column) -> list[Violation]:
    """The rules one column of text values breaks: all_null, null, dtype, range, category."""
    present = values.dropna()
    if present.empty:
        message = rule_message(column, "all_null")
        return [Violation(column.name, "all_null", len(values), [], message)]
    found = []
    missing = int(values.isna().sum())
    if missing and not column.nullable:
        found.append(Violation(column.name, "null", missing, [], rule_message(column, "null")))
    comparable = present  # what the categories are compared with: text, or numbers below
    if column.is_numeric:
        numbers = pd.to_numeric(present, errors="coerce")
        wrong_type = _not_of_dtype(numbers, column.dtype)
        found += _value_violations(column, "dtype", present[wrong_type])
        present, comparable = present[~wrong_type], numbers[~wrong_type]
        found += _value_violations(column, "out_of_range", present[_outside(comparable, column)])
    if column.categories is not None:
        found += _value_violations(column, "category", present[~comparable.isin(column.categories)])
    return found


def rule_message(column: Column, rule: str) -> str:
    """What a violation of `rule` on `column` says (the engines' checks say it too)."""
    messages = {
        "all_null": "every value is missing",
        "null": "missing values; not nullable",
        "dtype": DTYPE_TEXT.get(column.dtype, ""),
        "out_of_range": f"outside {_range(column)}",
        "category": f"not in [{', '.join(map(str, column.categories or ()))}]",
    }
    return messages[rule]


def _not_of_dtype(numbers: pd.Series, dtype: str) -> pd.Series:
    """Text that did not parse (NaN after to_numeric), infinities, and fractions for integers."""
    wrong = numbers.isna() | numbers.isin([float("inf"), float("-inf")])
    if dtype == "integer":
        wrong |= numbers != numbers.round()
    return wrong


def _outside(numbers: pd.Series, column: Column) -> pd.Series:
    outside = pd.Series(False, index=numbers.index)
    if column.min is not None:
        outside |= numbers < column.min
    if column.max is not None:
        outside |= numbers > column.max
    return outside


def _value_violations(column: Column, rule: str, offending: pd.Series) -> list[Violation]:
    message = rule_message(column, rule)
    return [value_violation(column.name, rule, offending, message)] if len(offending) else []


def value_violation(name: str, rule: str, offending: pd.Series, message: str) -> Violation:
    examples = [str(value) for value in pd.unique(offending)[:MAX_EXAMPLES]]
    return Violation(name, rule, len(offending), examples, message)


def _range(column: Column) -> str:
    low = "-inf" if column.min is None else column.min
    high = "inf" if column.max is None else column.max
    return f"[{low}, {high}]"


def may_break(numbers: npt.NDArray[Any], column: Column) -> npt.NDArray[np.bool_]:
    """A mask of the (non-missing) numbers that may break a rule: never misses one that does."""
    mask = np.zeros(len(numbers), dtype=bool)
    if numbers.dtype.kind == "f":
        mask |= ~np.isfinite(numbers)
        if column.dtype == "integer":
            mask |= numbers != np.round(numbers)
    if column.min is not None:
        mask |= numbers < column.min
    if column.max is not None:
        mask |= numbers > column.max
    if column.categories is not None:
        mask |= ~np.isin(numbers, column.categories)
    return mask


def typed_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The checked text frame with schema dtypes, in schema order; categories stay text."""
    return pd.DataFrame(
        {name: typed_column(frame[name], column) for name, column in schema.columns.items()}
    )


def typed_column(values: pd.Series, column: Column) -> pd.Series:
    """A checked column of text with its schema dtype."""
    if column.dtype == "integer":
        return pd.to_numeric(values).astype(pandas_dtype(column))
    if column.dtype == "float":
        return pd.to_numeric(values).astype("float64")
    return values


def pandas_dtype(column: Column) -> str:
    """The dtype of the column in the validated Parquet, as pandas reads it."""
    if column.dtype == "integer":
        return "Int64" if column.nullable else "int64"
    return "float64" if column.dtype == "float" else "str"
