"""The validate stage: check a raw CSV or Parquet file against schema.yaml, then write it typed
as Parquet.

Every rule is checked before failing, so one run lists every problem. The JSON report is
always written (pull-request comments read it); the input file is only ever read.

The rules are defined on the cells' text (column_violations), which is slow to make for every
cell of a large file. So pyarrow reads the file with its numbers parsed, the columns are checked
with NumPy, and only a column that may break a rule is read again as text for column_violations
to count and quote its problems as the file writes them. The answers are those of reading every
cell as text (tests/test_validate_equivalence.py holds them to it).

A Parquet file (.parquet, .pq) is checked the same way, its columns' text being what pandas
would write to a CSV of the same data (raw_parquet.py); the report and the validated Parquet are
those of that CSV.
"""

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import ContractViolation, UnreadableCsv
from .raw_parquet import read_parquet
from .reading import (
    TextReader,
    Violation,
    check_readable,
    read_arrow,
    read_csv_text,
    unconvertible_column,
)
from .rules import (
    EXACT_INTEGERS,
    column_violations,
    find_violations,
    may_break,
    pandas_dtype,
    typed_column,
    typed_frame,
    value_violation,
)
from .schema import Column, Schema, load_schema
from .stream import rechunked, suffix_format

LOGGER = logging.getLogger(__name__)
COMPRESSION = "snappy"
# pyarrow's write_table puts at most this many rows in a row group (its default).
ROW_GROUP_ROWS = 1024 * 1024
# (rows, columns), the violations, and the writer of the typed Parquet, of a file and contract.
Checker = Callable[
    [str | Path, Schema], tuple[tuple[int, int], list[Violation], Callable[[str | Path], None]]
]


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
    table: pa.Table,
    schema: Schema,
    reread: TextReader,
    refused: Mapping[str, Violation] | None = None,
) -> tuple[list[Violation], dict[str, pd.Series]]:
    """find_violations for read_table's (or read_parquet's) columns, and the text of the
    columns that may break a rule (`reread` where they were parsed as numbers). A `refused`
    column (a Parquet type the contract's values cannot be) is reported by that violation."""
    refused = refused or {}
    found = [
        Violation(name, "missing_column", table.num_rows, [], "column not in the file")
        for name in schema.columns
        if name not in table.column_names
    ]
    for name in table.column_names:
        if name not in schema.columns and name not in schema.ids:
            values = _text(table.column(name)).dropna()
            found.append(value_violation(name, "extra_column", values, "column not in schema.yaml"))
    present = [name for name in schema.columns if name in table.column_names]
    checked = [name for name in present if name not in refused]
    suspects = [name for name in checked if not _clean(table.column(name), schema.columns[name])]
    text = _text_columns(table, suspects, reread)
    for name in present:
        if name in refused:
            found.append(refused[name])
        elif name in text:
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


def _text_columns(table: pa.Table, names: list[str], reread: TextReader) -> dict[str, pd.Series]:
    parsed = [name for name in names if not pa.types.is_string(table.column(name).type)]
    text = reread(parsed) if parsed else {}
    return {name: _text(text[name] if name in parsed else table.column(name)) for name in names}


def csv_text(path: str | Path) -> TextReader:
    """The reader of a CSV's columns as the file writes them."""

    def reread(names: list[str]) -> dict[str, pa.ChunkedArray]:
        table = read_arrow(path, dict.fromkeys(names, pa.string()), names)
        return {name: table.column(name) for name in names}

    return reread


def _text(values: pa.ChunkedArray) -> pd.Series:
    """A column of text as read_csv_text has it."""
    return pd.Series(values.to_pandas(), dtype="str")


def write_parquet(
    table: pa.Table, text: dict[str, pd.Series], schema: Schema, output: str | Path
) -> None:
    """The checked table as typed_frame(...).to_parquet would write it: the same Arrow types
    and pandas metadata, so that pandas reads the same dtypes back."""
    target = validated_schema(schema)
    arrays = []
    for name, column in schema.columns.items():
        if name in text:
            typed = pd.DataFrame({name: typed_column(text[name], column)})
            values = pa.Table.from_pandas(typed, preserve_index=False).column(0)
            arrays.append(values.cast(target.field(name).type))
        else:
            arrays.append(typed_values(table.column(name), column, target.field(name).type))
    typed = pa.Table.from_arrays(arrays, schema=target)
    pq.write_table(typed, output, row_group_size=ROW_GROUP_ROWS, compression=COMPRESSION)


def validated_schema(schema: Schema) -> pa.Schema:
    """The validated Parquet's columns, types and pandas metadata (typed_frame's)."""
    dtypes = {
        name: pd.Series(dtype=pandas_dtype(column)) for name, column in schema.columns.items()
    }
    return pa.Schema.from_pandas(pd.DataFrame(dtypes), preserve_index=False)


def typed_values(values: pa.ChunkedArray, column: Column, target: pa.DataType) -> pa.ChunkedArray:
    """A checked column of numbers, or of text, as the validated Parquet holds it: whole numbers
    as int64, a category column's whole numbers as their digits (as the file's text has them),
    NaN as missing (the text rules read it so)."""
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
    if column.dtype == "integer":
        values = values.cast(pa.int64())
    elif column.dtype == "category" and pa.types.is_integer(values.type):
        values = values.cast(pa.string())
    return values.cast(target)


def write_tables(tables: Iterable[pa.Table], schema: Schema, output: str | Path) -> None:
    """Checked tables, streamed, typed and written as write_parquet writes their concatenation:
    the same row groups (ROW_GROUP_ROWS each), so the same bytes."""
    target = validated_schema(schema)
    with pq.ParquetWriter(output, target, compression=COMPRESSION) as writer:
        for group in rechunked(tables, ROW_GROUP_ROWS):
            arrays = [
                typed_values(group.column(name), column, target.field(name).type)
                for name, column in schema.columns.items()
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=target))


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
    data: str | Path,
    schema: str | Path,
    output: str | Path,
    report: str | Path,
    checker: "Checker | None" = None,
) -> None:
    """Check `data` against the `schema` file; write the report, and on success the Parquet.
    The `checker` reads and checks the file (checked_file: pyarrow, or an engine's)."""
    contract = load_schema(schema)
    # Data that broke the contract, or that a checker refused to check, must not leave an older
    # validated file or report looking current.
    Path(output).unlink(missing_ok=True)
    Path(report).unlink(missing_ok=True)
    try:
        (rows, columns), violations, write = (checker or checked_file)(data, contract)
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
    """((rows, columns), violations, the writer of the typed Parquet) of the file: Parquet (by
    its name) read by read_parquet; CSV read by pyarrow where it reads it as pandas would, else
    as text by pandas."""
    refused: dict[str, Violation] = {}
    if suffix_format(str(data)) == "parquet":
        table, refused, reread = read_parquet(data, contract)
    else:
        table, reread = read_table(data, contract), csv_text(data)
    if table is None:  # a CSV pyarrow reads otherwise than pandas: checked as text
        frame = read_csv_text(data)

        def write_frame(output: str | Path) -> None:
            typed_frame(frame, contract).to_parquet(output, index=False)

        return frame.shape, find_violations(frame, contract), write_frame
    violations, text = check_table(table, contract, reread, refused)

    def write_table(output: str | Path) -> None:
        write_parquet(table, text, contract, output)

    return (table.num_rows, table.num_columns), violations, write_table
