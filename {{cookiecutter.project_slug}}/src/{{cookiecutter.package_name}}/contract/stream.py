"""Reading tabular data in chunks against the contract: CSV or Parquet, local or on object
storage (fsspec, the filesystem layer DVC uses, through the filesystems DVC installed), typed by
schema.yaml, with bounded memory however large the file. The drift check and batch scoring read
their inputs through here.

Values of the wrong type (text in a number column, whole numbers beyond int64 in an integer
column) make a chunk unreadable (FATAL_RULES); nulls, out-of-range values and unknown categories
do not: they are counted (ContractTally).
"""

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import CouldNotCheck
from .reading import MAX_EXAMPLES, Violation
from .rules import EXACT_INTEGERS, column_violations, may_break, parsed_numbers
from .schema import Column, Schema

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
GLOB_CHARACTERS = re.compile(r"[*?\[]")
# fsspec names Azure Blob Storage `az`; DVC's remotes say azure://.
PROTOCOL_ALIASES = {"azure://": "az://"}
CSV_BLOCK_BYTES = 1 << 22  # pyarrow's streaming CSV reader works block by block
FATAL_RULES = ("dtype",)
NULL_MESSAGE = "missing values; not nullable"  # as column_violations says it


@dataclass(frozen=True)
class CurrentFiles:
    """The files a source resolved to, and how to read them."""

    source: str  # as configured, {date} filled in
    paths: tuple[str, ...]  # URLs or local paths, sorted
    format: str  # csv | parquet | auto (per file suffix)


def suffix_format(path: str) -> str | None:
    """csv or parquet, as the file's name ends (after a .gz), or None."""
    name = path.lower().removesuffix(".gz")
    return next((kind for suffix, kind in SUFFIXES.items() if name.endswith(suffix)), None)


def is_url(source: str) -> bool:
    return "://" in source


def filesystem(source: str) -> tuple[Any, str]:
    """(fsspec filesystem, path in it) for a local path or URL."""
    import fsspec

    for alias, protocol in PROTOCOL_ALIASES.items():
        if source.startswith(alias):
            source = protocol + source[len(alias) :]
    try:
        return fsspec.core.url_to_fs(source)
    except (ImportError, ValueError) as error:
        raise CouldNotCheck(
            f"cannot open {source}: {error}",
            "install DVC's plugin for that storage (e.g. `pip install dvc[s3]`) or fix the path",
        ) from None


def format_of(path: str, configured: str) -> str:
    """csv or parquet: as configured, else from the file's name."""
    if configured != "auto":
        return configured
    found = suffix_format(path)
    if found is None:
        raise CouldNotCheck(
            f"cannot tell whether {path} is CSV or Parquet from its name",
            "set drift.format in params.yaml to csv or parquet",
        )
    return found


# --- reading in chunks --------------------------------------------------------------------------


def arrow_chunks(path: str, file_format: str, chunk_rows: int) -> Iterator[pa.Table]:
    """pyarrow tables of at most chunk_rows rows; CSV columns all read as text."""
    fs, inner = filesystem(path)
    if file_format == "parquet":
        yield from _parquet_chunks(fs, inner, chunk_rows)
        return
    with fs.open(inner, "rb", compression="infer") as handle:
        header = _csv_header(handle, path)
        yield from _csv_chunks(handle, header, chunk_rows)


def _parquet_chunks(fs: Any, inner: str, chunk_rows: int) -> Iterator[pa.Table]:
    import pyarrow.parquet as pq
    from fsspec.utils import infer_compression

    local = "file" in ([fs.protocol] if isinstance(fs.protocol, str) else fs.protocol)
    # A local file Arrow reads itself rather than through a Python file object (1M rows x 25
    # columns: 0.11 s of CPU instead of 0.15 s); a broken file gives the same errors.
    opened = (
        pa.OSFile(inner)
        if local and infer_compression(inner) is None
        else fs.open(inner, "rb", compression="infer")
    )
    with opened as handle:
        # pre_buffer=False: otherwise whole row groups are buffered ahead of the batches
        # (5M rows: 767 MB peak instead of 298 MB, and slower).
        batches = pq.ParquetFile(handle, pre_buffer=False).iter_batches(batch_size=chunk_rows)
        for batch in batches:
            yield pa.Table.from_batches([batch])


def _csv_header(handle: IO[bytes], path: str) -> list[str]:
    first = handle.readline().decode("utf-8-sig", errors="replace")
    handle.seek(0)
    names = next(csv.reader(io.StringIO(first)), [])
    if not names:
        raise CouldNotCheck(f"{path} is empty", "deliver the batch with a header and rows")
    return names


def _csv_chunks(handle: IO[bytes], header: list[str], chunk_rows: int) -> Iterator[pa.Table]:
    from pyarrow import csv as arrow_csv

    reader = arrow_csv.open_csv(
        handle,
        read_options=arrow_csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
        # Text, as the validate stage reads CSV: the contract decides the types.
        convert_options=arrow_csv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
        ),
    )
    for batch in reader:
        for start in range(0, batch.num_rows, chunk_rows):
            yield pa.Table.from_batches([batch.slice(start, chunk_rows)])


def as_text(values: pd.Series) -> pd.Series:
    """Values as the text a CSV would hold (missing stays missing), for the contract's rules."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is np.nan:
        return values  # text already, missing as NaN: what the conversion would give
    return values.astype(str).where(values.notna())


class ContractTally:
    """Non-fatal contract findings over all chunks: {(column, rule): [rows, examples]}."""

    def __init__(self) -> None:
        self.found: defaultdict[tuple[str | None, str], list[Any]] = defaultdict(lambda: [0, []])

    def add(self, violation: Violation) -> None:
        entry = self.found[(violation.column, violation.rule)]
        entry[0] += violation.count
        entry[1] = list(dict.fromkeys([*entry[1], *violation.examples]))[:MAX_EXAMPLES]

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"column": column, "rule": rule, "rows": rows, "examples": examples}
            for (column, rule), (rows, examples) in self.found.items()
        ]


def checked_frame(table: pa.Table, schema: Schema, path: str, tally: ContractTally) -> pd.DataFrame:
    """The chunk as a typed frame of the schema's columns it has (integers as Int64, floats,
    categories as text); raises CouldNotCheck on values of the wrong type."""
    typed = {}
    for name, column in schema.columns.items():
        if name not in table.column_names:
            continue  # summarize_batches names missing columns (the target may be absent)
        values = table.column(name)
        if column.is_numeric and is_plain_number(values.type):
            violations, typed[name] = number_violations(values, column)
        elif column.is_numeric and pa.types.is_string(values.type):
            violations, typed[name] = parsed_text_violations(values, column)
        elif column.dtype == "category" and pa.types.is_string(values.type):
            violations, typed[name] = category_violations(values, column)
        else:
            violations, typed[name] = text_violations(values, column)
        for violation in violations:
            if violation.rule in FATAL_RULES:
                raise CouldNotCheck(
                    f"{path} breaks the data contract: {violation.describe()}",
                    "fix the data, or schema.yaml if the column's type really changed",
                )
            tally.add(violation)
    # copy=False: the columns are new arrays already; consolidating them into one block per
    # dtype would copy every chunk once more (25 columns x 200k rows: 0.1-0.2 s a chunk).
    return pd.DataFrame(typed, index=pd.RangeIndex(table.num_rows), copy=False)


def rechunked(tables: Iterable[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The tables' rows again, `rows` at a time (the last group fewer)."""
    pending: list[pa.Table] = []
    held = 0
    for table in tables:
        pending.append(table)
        held += table.num_rows
        while held >= rows:
            joined = pa.concat_tables(pending)
            yield joined.slice(0, rows)
            pending, held = [joined.slice(rows)], held - rows
    if held:
        yield pa.concat_tables(pending)


def typed_chunk(table: pa.Table, schema: Schema) -> pd.DataFrame:
    """checked_frame's frame, for a chunk whose contract an engine has checked already: the
    plain number and text columns are typed without looking for findings again (the others
    take checked_frame's way, their findings dropped)."""
    typed: dict[str, Any] = {}
    for name, column in schema.columns.items():
        if name not in table.column_names:
            continue
        values = table.column(name)
        if column.is_numeric and is_plain_number(values.type):
            typed[name] = typed_numbers(values.to_numpy(), column)
        elif column.dtype == "category" and pa.types.is_string(values.type):
            typed[name] = as_text(values.to_pandas())
        else:
            typed[name] = checked_frame(table.select([name]), schema, "", ContractTally())[name]
    return pd.DataFrame(typed, index=pd.RangeIndex(table.num_rows), copy=False)


def model_input(frame: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """A frame typed by the contract (checked_frame's) as the model's input: the `features` in
    that order, numbers as float64 with NaN for missing (the model was fitted on plain numbers,
    not nullable Int64), categories as the text they are. Only the Int64 columns are converted:
    batch scoring and the drift check call this per chunk, the service per request."""
    selected = frame[features]
    nullable = [name for name, kind in selected.dtypes.items() if kind == "Int64"]
    return selected.astype(dict.fromkeys(nullable, "float64")) if nullable else selected


def is_plain_number(arrow_type: pa.DataType) -> bool:
    """Arrow types whose values are exactly the numbers their text would parse to (float64,
    integers numpy holds as int64): these skip the round trip through text. float32 does not
    (its text is the shorter decimal), nor does uint64 (beyond int64)."""
    if pa.types.is_integer(arrow_type):
        return arrow_type != pa.uint64()
    return arrow_type == pa.float64()


def text_violations(
    values: pa.ChunkedArray, column: Column
) -> tuple[list[Violation], pd.Series | pd.arrays.IntegerArray | npt.NDArray[Any]]:
    """(contract violations, typed values) of a column read as text, as the validate stage
    reads it: every value is parsed. Integers are written as integers (a pandas column with
    nulls would hold them as floats: "102.0")."""
    text = as_text(values.to_pandas(integer_object_nulls=True))
    violations = column_violations(text, column)
    if column.dtype == "category" or any(v.rule in FATAL_RULES for v in violations):
        return violations, text
    return violations, typed_numbers(parsed_numbers(text, column), column)


def number_violations(
    values: pa.ChunkedArray, column: Column
) -> tuple[list[Violation], pd.Series | pd.arrays.IntegerArray | npt.NDArray[Any]]:
    """text_violations for an Arrow column of numbers, without making text of every value:
    what column_violations finds on the text is found from the numbers (nulls counted here),
    and only the values that may break the dtype, range or categories go through it as text."""
    numbers = values.to_numpy()  # float64 with NaN for nulls, as to_pandas() gives
    if pa.types.is_integer(values.type):
        present = values.drop_null().to_numpy()  # as text_violations writes them: "102"
    else:
        present = numbers[~np.isnan(numbers)] if numbers.dtype.kind == "f" else numbers
    if len(present) == 0:
        violations = column_violations(as_text(pd.Series(numbers)), column)  # all_null
        return violations, typed_numbers(numbers, column)
    violations = []
    missing = len(numbers) - len(present)
    if missing and not column.nullable:
        violations.append(Violation(column.name, "null", missing, [], NULL_MESSAGE))
    suspects = present[may_break(present, column)]
    if len(suspects):
        violations += column_violations(as_text(pd.Series(suspects)), column)
    if any(v.rule in FATAL_RULES for v in violations):
        return violations, numbers
    return violations, typed_numbers(numbers, column)


def parsed_text_violations(
    values: pa.ChunkedArray, column: Column
) -> tuple[list[Violation], pd.Series | pd.arrays.IntegerArray | npt.NDArray[Any]]:
    """text_violations for a number column read as text (CSV), without a pandas parse of every
    cell: Arrow parses the column to float64 (the same doubles pandas parses the same text to),
    and only the cells that may break a rule go through column_violations, as the file wrote
    them. Text Arrow does not parse, -0 and whole numbers beyond 2**53 (which pandas parses to
    other values) take text_violations' way."""
    try:
        parsed = pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        return text_violations(values, column)
    numbers = parsed.to_numpy()  # NaN for nulls
    missing = values.is_null().to_numpy()
    present = numbers[~missing]
    inexact = (np.signbit(present) & (present == 0)) | (np.abs(present) >= EXACT_INTEGERS)
    if len(present) == 0 or inexact.any():
        return text_violations(values, column)
    violations = []
    if missing.any() and not column.nullable:
        violations.append(Violation(column.name, "null", int(missing.sum()), [], NULL_MESSAGE))
    suspect = np.zeros(len(numbers), dtype=bool)
    suspect[~missing] = np.isnan(present) | may_break(present, column)  # NaN: "nan" as text
    if suspect.any():
        text = as_text(values.filter(pa.array(suspect)).to_pandas())
        violations += column_violations(text, column)
    if any(v.rule in FATAL_RULES for v in violations):
        return violations, numbers
    return violations, typed_numbers(numbers, column)


def category_violations(
    values: pa.ChunkedArray, column: Column
) -> tuple[list[Violation], pd.Series | pd.arrays.IntegerArray | npt.NDArray[Any]]:
    """text_violations for a category column of text, whose values are looked up in the
    categories by Arrow: only a column with unknown values (or none present) goes through
    column_violations."""
    text = as_text(values.to_pandas())
    missing = values.null_count
    categories = column.categories
    # schema.yaml's categories of a category column are text (schema._categories).
    if categories is None or missing == len(values) or not all(map(_is_text, categories)):
        return column_violations(text, column), text
    found = pc.is_in(values, value_set=pa.array(categories, pa.string()), skip_nulls=True)
    known = pc.sum(found).as_py() or 0
    if known < len(values) - missing:
        return column_violations(text, column), text
    if missing and not column.nullable:
        return [Violation(column.name, "null", missing, [], NULL_MESSAGE)], text
    return [], text


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def typed_numbers(
    numbers: npt.NDArray[Any] | pd.Series, column: Column
) -> pd.arrays.IntegerArray | npt.NDArray[np.float64]:
    """Numbers (numpy or pandas) as the frame holds them: Int64 for integer columns."""
    if column.dtype == "integer":
        return pd.array(numbers, dtype="Int64")
    return np.asarray(numbers, dtype="float64")
