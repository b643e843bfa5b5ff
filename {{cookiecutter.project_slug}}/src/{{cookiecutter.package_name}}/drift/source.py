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

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import yaml

from ..contract.schema import Schema
from ..contract.stream import (
    SUFFIXES,
    ContractTally,
    CurrentFiles,
    arrow_chunks,
    checked_frame,
    filesystem,
    is_url,
)
from ..errors import CouldNotCheck
from ..progress import rows_progress

GLOB_CHARACTERS = re.compile(r"[*?\[]")


def dvc_import_output(dvc_file: str | Path) -> str:
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


def resolve(source: str, date: str, file_format: str = "auto") -> CurrentFiles:
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


def _local(path: str) -> str:
    """A local file as the user wrote it: relative to the project when inside it."""
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path


def _source_fix() -> str:
    return (
        "check drift.source in params.yaml (a path, glob, URL or .dvc import; {date} is the "
        "check's date), the credentials for it, and that today's batch was delivered"
    )


def format_of(path: str, configured: str) -> str:
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


def read_batches(
    files: CurrentFiles,
    schema: Schema,
    chunk_rows: int,
    tally: ContractTally,
    keep: tuple[str, ...] = (),
) -> Iterator[pd.DataFrame]:
    """Typed frames of the current data, chunk by chunk, file by file; the `keep` columns
    (keys the labels join on) come along as text."""
    for path in files.paths:
        file_format = format_of(path, files.format)
        try:
            with rows_progress(f"checking {path}") as advance:
                for table in arrow_chunks(path, file_format, chunk_rows):
                    frame = checked_frame(table, schema, path, tally)
                    for name in keep:
                        if name not in table.column_names:
                            raise CouldNotCheck(
                                f"{path} has no {name} column to join the labels on",
                                "key drift.labels by columns the current data has",
                            )
                        frame[name] = table.column(name).cast(pa.string()).to_pandas()
                    advance(table.num_rows)
                    yield frame
        except CouldNotCheck:
            raise
        except (OSError, pa.ArrowException, UnicodeDecodeError, ValueError) as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise CouldNotCheck(
                f"cannot read {path} as {file_format}: {message}",
                "deliver the batch again (a complete, UTF-8 CSV or a valid Parquet file), or "
                "set drift.format",
            ) from None
