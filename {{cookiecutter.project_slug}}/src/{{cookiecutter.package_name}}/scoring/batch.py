"""Batch scoring: a CSV or Parquet file (local or on object storage) read in chunks, each chunk
checked against the model's contract and scored, the predictions written as they are made, so
memory stays bounded by the chunk size, not the file."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..contract.stream import ContractTally, arrow_chunks, checked_frame, filesystem
from ..errors import CouldNotCheck
from ..progress import rows_progress
from .model import ScoringModel

ROW = "row"  # the row's position in the input, when the contract declares no `ids`
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class ScoringSummary:
    rows: int = 0
    chunks: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)


def input_format(path: str) -> str:
    name = path.lower().removesuffix(".gz")
    for suffix, kind in FORMATS.items():
        if name.endswith(suffix):
            return kind
    raise CouldNotCheck(f"cannot tell whether {path} is CSV or Parquet", "name it .csv or .parquet")


def score_file(model: ScoringModel, source: str, output: str, chunk_rows: int) -> ScoringSummary:
    """Score `source` into the Parquet file `output`; returns the counts. The file appears only
    when every chunk was scored: a refusal halfway leaves no partial output behind."""
    fs, inner = filesystem(output)
    if "file" in ((fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol):
        Path(inner).parent.mkdir(parents=True, exist_ok=True)
    partial = f"{inner}.partial"
    try:
        with fs.open(partial, "wb") as handle:
            summary = _write(model, source, handle, chunk_rows)
        fs.mv(partial, inner)
    finally:
        if fs.exists(partial):
            fs.rm(partial)
    return summary


def _write(model: ScoringModel, source: str, handle: Any, chunk_rows: int) -> ScoringSummary:
    import pyarrow.parquet as pq

    tally, summary = ContractTally(), ScoringSummary()
    scored_at = datetime.now(UTC).replace(microsecond=0)
    writer = None
    try:
        with rows_progress(f"scoring {source}") as advance:
            for table in _chunks(model, source, chunk_rows):
                frame = checked_frame(table, model.schema, source, tally)
                scored = _scored(model, frame, table, summary.rows, scored_at)
                writer = writer or pq.ParquetWriter(handle, scored.schema)
                writer.write_table(scored)
                summary.rows += table.num_rows
                summary.chunks += 1
                advance(table.num_rows)
    finally:
        if writer is not None:
            writer.close()  # before the handle closes, whatever happened
    if writer is None:
        raise CouldNotCheck(f"{source} has no rows", "score a file with a header and rows")
    summary.findings = tally.as_list()
    return summary


def _chunks(model: ScoringModel, source: str, chunk_rows: int) -> Iterator[pa.Table]:
    try:
        for table in arrow_chunks(source, input_format(source), chunk_rows):
            missing = [name for name in model.schema.features if name not in table.column_names]
            if missing:
                raise CouldNotCheck(
                    f"{source} lacks the feature columns {', '.join(missing)} that model "
                    f"{model.version} needs",
                    "deliver every feature column of schema.yaml (the target may be absent)",
                )
            yield table
    except (OSError, pa.ArrowException, UnicodeDecodeError) as error:
        raise CouldNotCheck(f"cannot read {source}: {error}", "check the path and file") from None


def _scored(
    model: ScoringModel, frame: pd.DataFrame, table: pa.Table, start: int, scored_at: datetime
) -> pa.Table:
    """The output rows of one chunk: ids, prediction, probabilities, model version and time."""
    columns: dict[str, Any] = {}
    ids = [name for name in model.schema.ids if name in table.column_names]
    for name in ids:
        columns[name] = table.column(name)
    if not ids:
        columns[ROW] = pa.array(np.arange(start, start + table.num_rows, dtype=np.int64))
    predictions, probabilities = model.predict(frame)
    columns["prediction"] = pa.array(predictions)
    if probabilities is not None:
        for index, label in enumerate(model.classes or []):
            columns[f"probability_{label}"] = pa.array(probabilities[:, index])
    rows = table.num_rows
    columns["model_version"] = pa.repeat(pa.scalar(model.version, pa.string()), rows)
    columns["model_commit"] = pa.repeat(pa.scalar(model.commit, pa.string()), rows)
    columns["scored_at"] = pa.repeat(pa.scalar(scored_at, pa.timestamp("s", tz="UTC")), rows)
    return pa.table(columns)
