"""Batch scoring: a CSV or Parquet file (local or on object storage) read in chunks, each chunk
checked against the model's contract and scored, the predictions written as they are made, so
memory stays bounded by the chunk size, not the file. With params.yaml's engine duckdb or spark
the engine reads the file (scoring/on_engine.py); the output is the same."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..contract.stream import ContractTally, arrow_chunks, checked_frame, filesystem
from ..engines import Engine
from ..errors import CouldNotCheck
from ..progress import rows_progress
from .model import ScoringModel
from .on_engine import scored_on_engine
from .rows import ROW, input_format, labelled, predicted_columns, require_features


@dataclass
class ScoringSummary:
    rows: int = 0
    chunks: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)


def score_file(
    model: ScoringModel,
    source: str,
    output: str,
    chunk_rows: int,
    engine: Engine | None = None,
) -> ScoringSummary:
    """Score `source` into the Parquet file `output`, read by `engine` (None: pyarrow); returns
    the counts. The file appears only when every chunk was scored: a refusal halfway leaves no
    partial output behind."""
    fs, inner = filesystem(output)
    if "file" in ((fs.protocol,) if isinstance(fs.protocol, str) else fs.protocol):
        Path(inner).parent.mkdir(parents=True, exist_ok=True)
    partial = f"{inner}.partial"
    try:
        with fs.open(partial, "wb") as handle:
            summary = _write(model, source, handle, chunk_rows, engine)
        fs.mv(partial, inner)
    finally:
        if fs.exists(partial):
            fs.rm(partial)
    return summary


def _write(
    model: ScoringModel, source: str, handle: Any, chunk_rows: int, engine: Engine | None
) -> ScoringSummary:
    import pyarrow.parquet as pq

    tally, summary = ContractTally(), ScoringSummary()
    scored_at = datetime.now(UTC).replace(microsecond=0)
    if engine is None:
        tables = _scored_chunks(model, source, chunk_rows, tally, scored_at)
    else:
        tables = scored_on_engine(engine, model, source, chunk_rows, tally, scored_at)
    writer = None
    try:
        with rows_progress(f"scoring {source}") as advance:
            for scored in tables:
                writer = writer or pq.ParquetWriter(handle, scored.schema)
                writer.write_table(scored)
                summary.rows += scored.num_rows
                summary.chunks += 1
                advance(scored.num_rows)
    finally:
        if writer is not None:
            writer.close()  # before the handle closes, whatever happened
    if writer is None:
        raise CouldNotCheck(f"{source} has no rows", "score a file with a header and rows")
    summary.findings = tally.as_list()
    return summary


def _scored_chunks(
    model: ScoringModel, source: str, chunk_rows: int, tally: ContractTally, scored_at: datetime
) -> Iterator[pa.Table]:
    start = 0
    for table in _chunks(model, source, chunk_rows):
        frame = checked_frame(table, model.schema, source, tally)
        ids = [name for name in model.schema.ids if name in table.column_names]
        keys = {name: table.column(name) for name in ids}
        if not ids:
            keys[ROW] = pa.array(np.arange(start, start + table.num_rows, dtype=np.int64))
        yield labelled(model, keys, predicted_columns(model, frame), scored_at)
        start += table.num_rows


def _chunks(model: ScoringModel, source: str, chunk_rows: int) -> Iterator[pa.Table]:
    try:
        for table in arrow_chunks(source, input_format(source), chunk_rows):
            require_features(model, source, table.column_names)
            yield table
    except (OSError, pa.ArrowException, UnicodeDecodeError) as error:
        raise CouldNotCheck(f"cannot read {source}: {error}", "check the path and file") from None
