"""Reading the current data for a drift check: where it is, in chunks, against the contract.

`drift.source` in params.yaml is a local path or glob, a URL or object-store path (s3://,
gs://, azure://, https://; read with fsspec, the filesystem layer DVC uses, through the
filesystems DVC installed), or a DVC import's `.dvc` file (`drift prepare` runs `dvc update`).
`{date}` in it stands for the check's date (YYYY-MM-DD). CSV and Parquet are read in chunks of
`drift.chunk_rows` rows, so memory stays flat however large the batch.

Values of the wrong type (text in a number column) and missing columns make the data
uncheckable. Nulls, out-of-range values and unknown categories do not: they are drift
evidence, counted in the report.
"""

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from .drift import CouldNotCheck
from .validate import MAX_EXAMPLES, column_violations

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
GLOB_CHARACTERS = re.compile(r"[*?\[]")
# fsspec names Azure Blob Storage `az`; DVC's remotes say azure://.
PROTOCOL_ALIASES = {"azure://": "az://"}
CSV_BLOCK_BYTES = 1 << 22  # pyarrow's streaming CSV reader works block by block
FATAL_RULES = ("dtype",)


@dataclass(frozen=True)
class CurrentFiles:
    """The files a source resolved to, and how to read them."""

    source: str  # as configured, {date} filled in
    paths: tuple  # URLs or local paths, sorted
    format: str  # csv | parquet | auto (per file suffix)


def is_url(source):
    return "://" in source


def dvc_import_output(dvc_file):
    """The path a `.dvc` file (a DVC import, or `dvc add`) tracks."""
    path = Path(dvc_file)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out = document["outs"][0]["path"]
    except FileNotFoundError:
        raise CouldNotCheck(
            f"the DVC import {path} does not exist",
            "create it with `dvc import <repository> <path> -o <output>`, or fix drift.source",
        ) from None
    except (yaml.YAMLError, KeyError, IndexError, TypeError):
        raise CouldNotCheck(
            f"{path} is not a DVC file with an output", "point drift.source at a .dvc file"
        ) from None
    return str(path.parent / out)


def filesystem(source):
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
            "install DVC's plugin for that storage (e.g. `pip install dvc[s3]`) or fix "
            "drift.source",
        ) from None


def resolve(source, date, file_format="auto"):
    """CurrentFiles for `source` on `date` (an ISO date string), or CouldNotCheck."""
    source = source.replace("{date}", date)
    if source.endswith(".dvc") and not is_url(source):
        source = dvc_import_output(source)
    fs, path = filesystem(source)
    try:
        if GLOB_CHARACTERS.search(path):
            found = fs.glob(path)
        elif fs.isdir(path):
            found = [item for item in fs.find(path) if Path(item).suffix.lower() in SUFFIXES]
        else:
            found = [path] if fs.exists(path) else []
    except OSError as error:
        raise CouldNotCheck(f"cannot list {source}: {error}", _source_fix()) from None
    if not found:
        raise CouldNotCheck(f"no current data at {source}", _source_fix())
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    paths = sorted(
        fs.unstrip_protocol(item) if protocol != "file" else _local(item) for item in found
    )
    return CurrentFiles(source, tuple(paths), file_format)


def _local(path):
    """A local file as the user wrote it: relative to the project when inside it."""
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path


def _source_fix():
    return (
        "check drift.source in params.yaml (a path, glob, URL or .dvc import; {date} is the "
        "check's date), the credentials for it, and that today's batch was delivered"
    )


def format_of(path, configured):
    if configured != "auto":
        return configured
    name = path.lower().removesuffix(".gz")
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise CouldNotCheck(
        f"cannot tell whether {path} is CSV or Parquet from its name",
        "set drift.format in params.yaml to csv or parquet",
    )


# --- reading in chunks --------------------------------------------------------------------------


def arrow_chunks(path, file_format, chunk_rows):
    """pyarrow tables of at most chunk_rows rows; CSV columns all read as text."""
    fs, inner = filesystem(path)
    with fs.open(inner, "rb", compression="infer") as handle:
        if file_format == "parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(handle).iter_batches(batch_size=chunk_rows):
                yield pa.Table.from_batches([batch])
            return
        header = _csv_header(handle, path)
        yield from _csv_chunks(handle, header, chunk_rows)


def _csv_header(handle, path):
    first = handle.readline().decode("utf-8-sig", errors="replace")
    handle.seek(0)
    names = next(csv.reader(io.StringIO(first)), [])
    if not names:
        raise CouldNotCheck(f"{path} is empty", "deliver the batch with a header and rows")
    return names


def _csv_chunks(handle, header, chunk_rows):
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


def as_text(values):
    """Values as the text a CSV would hold (missing stays missing), for the contract's rules."""
    return values.astype(str).where(values.notna())


class ContractTally:
    """Non-fatal contract findings over all chunks: {(column, rule): [rows, examples]}."""

    def __init__(self):
        self.found = defaultdict(lambda: [0, []])

    def add(self, violation):
        entry = self.found[(violation.column, violation.rule)]
        entry[0] += violation.count
        entry[1] = list(dict.fromkeys([*entry[1], *violation.examples]))[:MAX_EXAMPLES]

    def as_list(self):
        return [
            {"column": column, "rule": rule, "rows": rows, "examples": examples}
            for (column, rule), (rows, examples) in self.found.items()
        ]


def checked_frame(table, schema, path, tally):
    """The chunk as a typed frame of the schema's columns it has (integers as Int64, floats,
    categories as text); raises CouldNotCheck on values of the wrong type."""
    frame = table.to_pandas()
    typed = {}
    for name, column in schema.columns.items():
        if name not in frame.columns:
            continue  # summarize_batches names missing columns (the target may be absent)
        text = as_text(frame[name])
        for violation in column_violations(text, column):
            if violation.rule in FATAL_RULES:
                raise CouldNotCheck(
                    f"{path} breaks the data contract: {violation.describe()}",
                    "fix the data, or schema.yaml if the column's type really changed",
                )
            tally.add(violation)
        if column.dtype == "category":
            typed[name] = text
        else:
            numbers = pd.to_numeric(text)
            typed[name] = numbers.astype("Int64" if column.dtype == "integer" else "float64")
    return pd.DataFrame(typed, index=frame.index)


def read_batches(files, schema, chunk_rows, tally):
    """Typed frames of the current data, chunk by chunk, file by file."""
    for path in files.paths:
        file_format = format_of(path, files.format)
        try:
            for table in arrow_chunks(path, file_format, chunk_rows):
                yield checked_frame(table, schema, path, tally)
        except CouldNotCheck:
            raise
        except (OSError, pa.ArrowException, UnicodeDecodeError, ValueError) as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise CouldNotCheck(
                f"cannot read {path} as {file_format}: {message}",
                "deliver the batch again (a complete, UTF-8 CSV or a valid Parquet file), or "
                "set drift.format",
            ) from None
