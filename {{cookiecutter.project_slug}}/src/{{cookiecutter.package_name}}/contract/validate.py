"""The validate stage: check a raw CSV against schema.yaml, then write it typed as Parquet.

Every rule is checked before failing, so one run lists every problem. The JSON report is
always written (pull-request comments read it); the input file is only ever read.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..errors import ContractViolation, UnreadableCsv
from .reading import MAX_EXAMPLES, Violation, read_csv_text
from .schema import Column, Schema, load_schema

LOGGER = logging.getLogger(__name__)

DTYPE_TEXT = {"integer": "not whole numbers", "float": "not numbers"}


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
            found.append(_value_violation(name, "extra_column", frame[name].dropna(), message))
    for name, column in schema.columns.items():
        if name in frame.columns:
            found += column_violations(frame[name], column)
    return found


def column_violations(values: pd.Series, column: Column) -> list[Violation]:
    """The rules one column of text values breaks: all_null, null, dtype, range, category."""
    present = values.dropna()
    if present.empty:
        return [Violation(column.name, "all_null", len(values), [], "every value is missing")]
    found = []
    missing = int(values.isna().sum())
    if missing and not column.nullable:
        found.append(Violation(column.name, "null", missing, [], "missing values; not nullable"))
    comparable = present  # what the categories are compared with: text, or numbers below
    if column.is_numeric:
        numbers = pd.to_numeric(present, errors="coerce")
        wrong_type = _not_of_dtype(numbers, column.dtype)
        found += _value_violations(column, "dtype", present[wrong_type], DTYPE_TEXT[column.dtype])
        present, comparable = present[~wrong_type], numbers[~wrong_type]
        outside = present[_outside(comparable, column)]
        found += _value_violations(column, "out_of_range", outside, f"outside {_range(column)}")
    if column.categories is not None:
        unknown = present[~comparable.isin(column.categories)]
        shown = ", ".join(map(str, column.categories))
        found += _value_violations(column, "category", unknown, f"not in [{shown}]")
    return found


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


def _value_violations(
    column: Column, rule: str, offending: pd.Series, message: str
) -> list[Violation]:
    return [_value_violation(column.name, rule, offending, message)] if len(offending) else []


def _value_violation(name: str, rule: str, offending: pd.Series, message: str) -> Violation:
    examples = [str(value) for value in pd.unique(offending)[:MAX_EXAMPLES]]
    return Violation(name, rule, len(offending), examples, message)


def _range(column: Column) -> str:
    low = "-inf" if column.min is None else column.min
    high = "inf" if column.max is None else column.max
    return f"[{low}, {high}]"


def typed_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """The checked text frame with schema dtypes, in schema order; categories stay text."""
    typed = {}
    for name, column in schema.columns.items():
        values = frame[name]
        if column.dtype == "integer":
            typed[name] = pd.to_numeric(values).astype("Int64" if column.nullable else "int64")
        elif column.dtype == "float":
            typed[name] = pd.to_numeric(values).astype("float64")
        else:
            typed[name] = values
    return pd.DataFrame(typed)


# --- the stage --------------------------------------------------------------------------------


def write_report(
    path: str | Path, rows: int, columns: int, violations: Sequence[Violation]
) -> None:
    report = {
        "valid": not violations,
        "rows": rows,
        "columns": columns,
        "violations": [asdict(violation) for violation in violations],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def contract_violation(
    data: str | Path, schema_path: str | Path, target: str, violations: Sequence[Violation]
) -> ContractViolation:
    lines = [f"{data} breaks the data contract in {schema_path} ({len(violations)} problems):"]
    lines += [f"  - {violation.describe()}" for violation in violations]
    infer = f"python -m {__package__} schema infer {data} --target {target}"
    fix = f"correct the data or update {schema_path} (`{infer}` writes one from the data)"
    return ContractViolation("\n".join(lines), fix)


def validate_file(
    data: str | Path, schema: str | Path, output: str | Path, report: str | Path
) -> None:
    """Check `data` against the `schema` file; write the report, and on success the Parquet."""
    contract = load_schema(schema)
    # Data that broke the contract must not leave an older validated file looking current.
    Path(output).unlink(missing_ok=True)
    try:
        frame = read_csv_text(data)
    except UnreadableCsv as error:
        write_report(report, 0, 0, [error.violation])
        raise
    violations = find_violations(frame, contract)
    write_report(report, len(frame), len(frame.columns), violations)
    if violations:
        raise contract_violation(data, schema, contract.target, violations)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    typed_frame(frame, contract).to_parquet(output, index=False)
    LOGGER.info(f"{data}: {len(frame)} rows meet the contract in {schema}; wrote {output}")
