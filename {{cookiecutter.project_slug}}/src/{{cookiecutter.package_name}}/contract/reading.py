"""Reading a CSV, refusing with the reason a file that is not a UTF-8, comma-separated table.

Two readers give the same values: read_csv_text, pandas reading every cell as text (the
contract's checks then run on the text), and read_arrow, pyarrow's multithreaded reader parsing
the numbers itself, which the validate stage uses whenever it reads the file as pandas would.
"""

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as arrow_csv

from ..errors import ProjectError, UnreadableCsv

MAX_EXAMPLES = 5
# Columns of a file (by name) as the text the file writes, Arrow strings with nulls for missing.
TextReader = Callable[[list[str]], dict[str, pa.ChunkedArray]]
# Separators that, found in the header more often than commas, mean the file is not
# comma-separated.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
# The cells pandas' read_csv reads as missing by default (its STR_NA_VALUES), so that
# read_arrow finds the same missing values as read_csv_text.
NA_VALUES = (
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"),
    *("<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
)
BLOCK_BYTES = 1 << 24  # the file is checked for UTF-8 in blocks of this size
# pyarrow's message for a cell that does not convert to its column's type.
CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): .*CSV conversion error")


@dataclass(frozen=True)
class Violation:
    column: str | None  # None: the file as a whole
    rule: str
    count: int  # rows affected
    examples: list[str] = field(default_factory=list)  # up to MAX_EXAMPLES values, as in the file
    message: str = ""

    def describe(self) -> str:
        where = self.column if self.column is not None else "(file)"
        shown = f"; e.g. {', '.join(map(repr, self.examples))}" if self.examples else ""
        return f"{where}: {self.rule} in {self.count} rows: {self.message}{shown}"


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """The CSV as a frame of text (missing cells as NaN), or UnreadableCsv saying why not."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise not_found(path) from None
    text = _decode(path, data)
    if not text.strip():
        violation = Violation(None, "empty_file", 0, [], "the file is empty")
        raise UnreadableCsv(path, violation, "export the data again: the file has no content")
    _check_delimiter(path, text.split("\n", 1)[0])
    try:
        # index_col=False: rows with one field more than the header must not silently turn
        # their first field into the index. pandas then drops that field with a warning
        # instead; as an error, the file is rejected rather than quietly losing data.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), dtype=str, index_col=False)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as error:
        violation = Violation(None, "csv_format", 1, [], str(error).strip())
        raise UnreadableCsv(
            path, violation, "give every row as many fields as the header (check the quoting)"
        ) from None
    if frame.empty:
        violation = Violation(None, "no_rows", 0, [], "the file has a header but no rows")
        raise UnreadableCsv(path, violation, "export the rows too, not only the header")
    return frame


def not_found(path: str | Path) -> ProjectError:
    return ProjectError(
        f"{path} not found", "check the path, or `dvc pull` to fetch DVC-tracked data"
    )


def check_readable(path: str | Path) -> list[str]:
    """The header's column names, after the checks read_csv_text makes before parsing (the
    file exists, is UTF-8, has content and is comma-separated), made reading it in blocks."""
    path = Path(path)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    header, empty = "", True
    try:
        with path.open("rb") as handle:
            while block := handle.read(BLOCK_BYTES):
                text = decoder.decode(block)
                if "\n" not in header:
                    header += text[: text.find("\n") + 1 or len(text)]
                empty = empty and not text.strip()
            decoder.decode(b"", final=True)
    except FileNotFoundError:
        raise not_found(path) from None
    except UnicodeDecodeError:
        _decode(path, path.read_bytes())  # raises with every undecodable line
    if empty:
        violation = Violation(None, "empty_file", 0, [], "the file is empty")
        raise UnreadableCsv(path, violation, "export the data again: the file has no content")
    _check_delimiter(path, header.split("\n", 1)[0])
    return next(csv.reader(io.StringIO(header)), [])


def read_arrow(
    path: str | Path, column_types: dict[str, pa.DataType], columns: list[str] | None = None
) -> pa.Table:
    """The CSV's `columns` (default all) as Arrow, in the given types (text, float64...),
    missing as pandas reads it. Raises pyarrow's ArrowInvalid for rows that do not fit the
    header and for cells that do not convert."""
    return arrow_csv.read_csv(
        path,
        # Quoted newlines, which pandas reads, need the slower but quote-aware block splitting.
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types=column_types,
            null_values=NA_VALUES,
            strings_can_be_null=True,
            include_columns=columns,
        ),
    )


def unconvertible_column(error: pa.ArrowInvalid) -> int | None:
    """The position of the column a cell of which did not convert, or None for other errors."""
    found = CONVERSION_ERROR.match(str(error))
    return int(found.group(1)) if found else None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # -sig: a byte-order mark is not part of the header
    except UnicodeDecodeError as error:
        bad_lines = _undecodable_lines(data)
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"it is not UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start} "
            f"(line {line}) is not valid UTF-8"
        )
        violation = Violation(None, "encoding", len(bad_lines), bad_lines[:MAX_EXAMPLES], message)
        fix = "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`)"
        raise UnreadableCsv(path, violation, fix) from None


def _undecodable_lines(data: bytes) -> list[str]:
    found: list[str] = []
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            found.append(f"line {number}, byte offset {offset + error.start}")
        offset += len(line) + 1
    return found


def _check_delimiter(path: Path, header: str) -> None:
    counts = {delimiter: header.count(delimiter) for delimiter in OTHER_DELIMITERS}
    delimiter = max(counts, key=counts.__getitem__)
    if counts[delimiter] > header.count(","):
        name = OTHER_DELIMITERS[delimiter]
        violation = Violation(
            None,
            "delimiter",
            1,
            [header[:80]],
            f"the header is {name}-separated; the pipeline reads comma-separated files",
        )
        fix = "save the file comma-separated (e.g. pandas `to_csv(path, index=False)`)"
        raise UnreadableCsv(path, violation, fix)
