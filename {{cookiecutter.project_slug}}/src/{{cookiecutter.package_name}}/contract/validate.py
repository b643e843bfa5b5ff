"""The validate stage: check a raw CSV against schema.yaml, then write it typed as Parquet.

Every rule is checked before failing, so one run lists every problem. The JSON report is
always written (pull-request comments read it); the input file is only ever read.

The rules are defined on the cells' text (column_violations), which is slow to make for every
cell of a large file. So pyarrow reads the file with its numbers parsed, the columns are checked
with NumPy, and only a column that may break a rule is read again as text for column_violations
to count and quote its problems as the file writes them. The answers are those of reading every
cell as text (tests/test_validate_equivalence.py holds them to it).
"""

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import ContractViolation, UnreadableCsv
from .reading import (
    MAX_EXAMPLES,
    Violation,
    check_readable,
    read_arrow,
    read_csv_text,
    unconvertible_column,
)
from .schema import Column, Schema, load_schema

LOGGER = logging.getLogger(__name__)

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
            found.append(_value_violation(name, "extra_column", frame[name].dropna(), message))
    for name, column in schema.columns.items():
        if name in frame.columns:
            found += column_violations(frame[name], column)
    return found


def column_violations(values: pd.Series, column: Column) -> list[Violation]:
    """The rules one column of text values breaks: all_null, null, dtype, range, category."""
    present = values.dropna()
    if present.empty:
        return [
            Violation(column.name, "all_null", len(values), [], rule_message(column, "all_null"))
        ]
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
    return [_value_violation(column.name, rule, offending, message)] if len(offending) else []


def _value_violation(name: str, rule: str, offending: pd.Series, message: str) -> Violation:
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


# --- Arrow columns, text only where a rule may be broken -----------------------------------


def read_table(path: str | Path, schema: Schema) -> pa.Table | None:
    """The file as Arrow: the contract's number columns as float64 where every cell parses
    (else as text), the others as text. None where pyarrow would not read the file as
    read_csv_text does (rows that do not fit the header, blank or repeated names, one column,
    no rows): read_csv_text then reads it, or refuses it with pandas' reason."""
    names = check_readable(path)
    if len(names) < 2 or len(set(names)) < len(names) or not all(names):
        return None
    types = {name: _arrow_type(schema.columns.get(name)) for name in names}
    while True:
        try:
            table = read_arrow(path, types)
        except pa.ArrowInvalid as error:
            position = unconvertible_column(error)
            if position is None or types[names[position]] == pa.string():
                return None
            types[names[position]] = pa.string()  # column_violations will say what is wrong
            continue
        return table if table.column_names == names and table.num_rows else None


def _arrow_type(column: Column | None) -> pa.DataType:
    return pa.float64() if column is not None and column.is_numeric else pa.string()


def check_table(
    table: pa.Table, schema: Schema, path: str | Path
) -> tuple[list[Violation], dict[str, pd.Series]]:
    """find_violations for read_table's columns, and the text of the columns that may break
    a rule (read again from `path` where they were parsed as numbers)."""
    found = [
        Violation(name, "missing_column", table.num_rows, [], "column not in the file")
        for name in schema.columns
        if name not in table.column_names
    ]
    for name in table.column_names:
        if name not in schema.columns and name not in schema.ids:
            values = _text(table.column(name)).dropna()
            found.append(
                _value_violation(name, "extra_column", values, "column not in schema.yaml")
            )
    present = [name for name in schema.columns if name in table.column_names]
    suspects = [name for name in present if not _clean(table.column(name), schema.columns[name])]
    text = _text_columns(table, suspects, path)
    for name in suspects:
        found += column_violations(text[name], schema.columns[name])
    return found, text


def _clean(values: pa.ChunkedArray, column: Column) -> bool:
    """Whether the column surely breaks no rule and its numbers are those its text parses to;
    False sends it through column_violations."""
    missing = values.null_count
    if missing == len(values) or (missing and not column.nullable):
        return False
    if pa.types.is_string(values.type):
        if column.is_numeric:  # some cell is not a number
            return False
        if column.categories is None:
            return True
        known = pc.is_in(values, value_set=pa.array(column.categories), skip_nulls=True)
        return pc.sum(known).as_py() == len(values) - missing
    numbers = pc.drop_null(values).to_numpy()
    # -0 and large whole numbers: as text, pandas may parse them to other floats (0, rounded).
    inexact = (np.signbit(numbers) & (numbers == 0)) | (np.abs(numbers) >= EXACT_INTEGERS)
    return not (may_break(numbers, column).any() or inexact.any())


def _text_columns(table: pa.Table, names: list[str], path: str | Path) -> dict[str, pd.Series]:
    parsed = [name for name in names if not pa.types.is_string(table.column(name).type)]
    reread = read_arrow(path, dict.fromkeys(parsed, pa.string()), parsed) if parsed else table
    return {name: _text((reread if name in parsed else table).column(name)) for name in names}


def _text(values: pa.ChunkedArray) -> pd.Series:
    """A column of text as read_csv_text has it."""
    return pd.Series(values.to_pandas(), dtype="str")


def write_parquet(
    table: pa.Table, text: dict[str, pd.Series], schema: Schema, output: str | Path
) -> None:
    """The checked table as typed_frame(...).to_parquet would write it: the same Arrow types
    and pandas metadata, so that pandas reads the same dtypes back."""
    dtypes = {
        name: pd.Series(dtype=pandas_dtype(column)) for name, column in schema.columns.items()
    }
    target = pa.Schema.from_pandas(pd.DataFrame(dtypes), preserve_index=False)
    arrays = []
    for name, column in schema.columns.items():
        if name in text:
            typed = pd.DataFrame({name: typed_column(text[name], column)})
            values = pa.Table.from_pandas(typed, preserve_index=False).column(0)
        elif column.dtype == "integer":
            values = table.column(name).cast(pa.int64())
        else:
            values = table.column(name)
        arrays.append(values.cast(target.field(name).type))
    pq.write_table(pa.Table.from_arrays(arrays, schema=target), output, compression="snappy")


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
        (rows, columns), violations, write = checked_file(data, contract)
    except UnreadableCsv as error:
        write_report(report, 0, 0, [error.violation])
        raise
    write_report(report, rows, columns, violations)
    if violations:
        raise contract_violation(data, schema, contract.target, violations)
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    write(output)
    LOGGER.info(f"{data}: {rows} rows meet the contract in {schema}; wrote {output}")


def checked_file(
    data: str | Path, contract: Schema
) -> tuple[tuple[int, int], list[Violation], Callable[[str | Path], None]]:
    """((rows, columns), violations, the writer of the typed Parquet) of the file: read by
    pyarrow where it reads it as pandas would, else as text by pandas."""
    table = read_table(data, contract)
    if table is None:  # a file pyarrow reads otherwise than pandas: checked as text
        frame = read_csv_text(data)

        def write_frame(output: str | Path) -> None:
            typed_frame(frame, contract).to_parquet(output, index=False)

        return frame.shape, find_violations(frame, contract), write_frame
    violations, text = check_table(table, contract, data)

    def write_table(output: str | Path) -> None:
        write_parquet(table, text, contract, output)

    return (table.num_rows, table.num_columns), violations, write_table
