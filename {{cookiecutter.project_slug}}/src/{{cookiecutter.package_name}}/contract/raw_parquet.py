"""Reading a raw Parquet file for the validate stage as the same data in a CSV would read.

The contract's rules are defined on text, as a CSV holds it (rules.py). A Parquet column's text
is what pandas writes for its values in a CSV (`to_csv`): integers as their digits, floats as
their shortest repr, nulls (and NaN) as missing. Strings are taken as they are: Parquet has real
nulls, so an empty string or "NA" is text, not a missing value. validate.check_table then checks
the table read here as it checks a CSV's: numbers with NumPy, strings against categories with
Arrow, and only a column that may break a rule as text.

A column whose Parquet type cannot hold what the contract wants (a bool or a date where
schema.yaml wants numbers, binary or nested data anywhere) has no text per cell to check: it is
refused as a whole (rule `parquet_type`), naming both types and the fix.
"""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import UnreadableParquet
from .reading import TextReader, Violation, not_found
from .schema import Column, Schema
from .stream import as_text, is_plain_number

WRITE_AS = {
    "integer": "whole numbers (int64)",
    "float": "numbers (float64)",
    "category": "text (string)",
}
REWRITE = "write the file again (e.g. pandas `to_parquet(path, index=False)`), or give it as CSV"


def read_parquet(
    path: str | Path, schema: Schema
) -> tuple[pa.Table, dict[str, Violation], TextReader]:
    """(the file's columns as validate.check_table takes them: numbers of a number column as
    Arrow numbers, everything else as text; the columns refused for their Parquet type; the
    reader of any column's text), or UnreadableParquet saying why the file is not a table."""
    table = _read(Path(path))
    columns, refused = {}, {}
    for name in table.column_names:
        values = _decoded(table.column(name))
        column = schema.columns.get(name)
        problem = None if column is None else type_problem(values.type, column, len(values))
        if problem is not None:
            refused[name] = problem
            columns[name] = values
        elif column is not None and column.is_numeric:
            columns[name] = _numbers(values)
        else:
            columns[name] = text_of(values)

    def reread(names: list[str]) -> dict[str, pa.ChunkedArray]:
        return {name: text_of(_decoded(table.column(name))) for name in names}

    return pa.table(columns), refused, reread


def read_parquet_text(path: str | Path) -> pd.DataFrame:
    """The file as a frame of text, as read_csv_text reads the same data as CSV."""
    table = _read(Path(path))
    return pd.DataFrame(
        {
            name: pd.Series(text_of(_decoded(table.column(name))).to_pandas(), dtype="str")
            for name in table.column_names
        }
    )


def read_parquet_schema(path: str | Path) -> tuple[pa.Schema, int]:
    """The file's data columns (pandas' index columns left out) and rows, from its footer
    alone, or UnreadableParquet as read_parquet refuses the file."""
    path = Path(path)
    try:
        metadata = pq.read_metadata(_existing(path))
        schema = metadata.schema.to_arrow_schema()
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(path, error) from None
    _check_table(path, schema, metadata.num_rows)
    return _data_schema(schema), metadata.num_rows


def _read(path: Path) -> pa.Table:
    try:
        table = pq.ParquetFile(_existing(path)).read()
    except (pa.ArrowException, OSError) as error:
        raise _unreadable(path, error) from None
    _check_table(path, table.schema, table.num_rows)
    return table.select(_data_schema(table.schema).names)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise not_found(path)
    return path


def _unreadable(path: Path, error: Exception) -> UnreadableParquet:
    reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    violation = Violation(None, "parquet_format", 1, [], reason)
    return UnreadableParquet(path, violation, REWRITE)


def _check_table(path: Path, schema: pa.Schema, rows: int) -> None:
    repeated = sorted({name for name in schema.names if schema.names.count(name) > 1})
    if repeated:
        message = f"columns named more than once: {', '.join(repeated)}"
        violation = Violation(None, "parquet_format", len(repeated), repeated, message)
        raise UnreadableParquet(path, violation, "give every column its own name")
    if rows == 0:
        violation = Violation(None, "no_rows", 0, [], "the file has columns but no rows")
        raise UnreadableParquet(path, violation, "export the rows too, not only the columns")


def _data_schema(schema: pa.Schema) -> pa.Schema:
    """The schema without the columns pandas wrote for a frame's index (to_parquet without
    index=False): not data, as pandas reads them back."""
    metadata = schema.pandas_metadata or {}
    index = {name for name in metadata.get("index_columns", []) if isinstance(name, str)}
    return pa.schema([field for field in schema if field.name not in index])


def _decoded(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded columns (pandas' category dtype) as their values; large strings as
    strings."""
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    wanted = decoded_type(values.type)
    return values if wanted == values.type else values.cast(wanted)


def decoded_type(arrow_type: pa.DataType) -> pa.DataType:
    """The type of a column's values: a dictionary's values, any string as string."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    return arrow_type


def type_problem(arrow_type: pa.DataType, column: Column, rows: int) -> Violation | None:
    """A column of a Parquet type that cannot hold the values the contract wants, or None."""
    as_text_ok = not (pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type))
    as_text_ok = as_text_ok and not pa.types.is_nested(arrow_type)
    numeric = (
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
        or pa.types.is_string(arrow_type)
        or pa.types.is_null(arrow_type)
    )
    if numeric if column.is_numeric else as_text_ok:
        return None
    message = (
        f"the Parquet column is {arrow_type}; schema.yaml wants {column.dtype}: write it as "
        f"{WRITE_AS[column.dtype]}, or change its dtype in schema.yaml"
    )
    return Violation(column.name, "parquet_type", rows, [], message)


def _numbers(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """A number column's values as Arrow numbers where they are exactly those their text parses
    to (validate.check_table reads such columns as numbers); else as text. Text is parsed by
    Arrow, as the CSV reader parses it: where a cell does not parse, the column stays text."""
    if is_plain_number(values.type):
        return values
    if pa.types.is_string(values.type):
        try:
            return pc.cast(values, pa.float64())
        except pa.ArrowInvalid:
            return values
    return text_of(values)


def text_of(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column as the text pandas writes for it in a CSV, missing as null."""
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_integer(values.type) or pa.types.is_null(values.type):
        return values.cast(pa.string())
    text = as_text(values.to_pandas())
    return pa.chunked_array([pa.array(text, pa.string(), from_pandas=True)])
