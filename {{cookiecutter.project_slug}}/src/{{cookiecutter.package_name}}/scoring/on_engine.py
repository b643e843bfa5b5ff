"""Batch scoring on a data engine (params.yaml's engine: duckdb or spark): the engine reads the
Parquet input, counts the contract's findings as the drift check does (engines/findings.py,
refusing values of the wrong type before anything is scored), and runs the model where it runs
Python: DuckDB in this process, Spark on its executors (the model broadcast to them). The rows
come back in the input's order and are written as the pyarrow path writes them, so the output
holds the same columns, types, values and order for the same input.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from ..contract.stream import ContractTally, CurrentFiles, filesystem, typed_chunk
from ..engines import Engine, sql
from ..engines.findings import check_contract, check_kinds
from ..errors import CouldNotCheck
from ..params import Params
from .model import ScoringModel
from .rows import (
    ROW,
    input_format,
    labelled,
    predicted_columns,
    predicted_schema,
    require_features,
)


def scoring_engine(params: Params, source: str) -> Engine | None:
    """The engine params.yaml names for scoring `source` (None: pyarrow), opened after the
    input is known to be Parquet."""
    if params.engine == "pyarrow":
        return None
    require_parquet(source, params.engine)
    from ..engines import open_engine

    return open_engine(params)


def require_parquet(source: str, engine: str) -> None:
    if input_format(source) != "parquet":
        raise CouldNotCheck(
            f"engine: {engine} in params.yaml scores Parquet, and {source} is CSV",
            "deliver Parquet, or score CSV with engine: pyarrow in params.yaml",
        )


@dataclass(frozen=True)
class Predictor:
    """predicted_columns of a batch of the input, typed by the contract as the pyarrow path
    types it (typed_chunk: the engine counted the findings). Pickled to Spark's executors with
    the model it holds."""

    model: ScoringModel

    def __call__(self, table: pa.Table) -> pa.Table:
        frame = typed_chunk(table, self.model.schema)
        return pa.table(predicted_columns(self.model, frame))


def scored_on_engine(
    engine: Engine,
    model: ScoringModel,
    source: str,
    chunk_rows: int,
    tally: ContractTally,
    scored_at: datetime,
) -> Iterator[pa.Table]:
    """The output's tables in the input's order; the contract's findings added to `tally`."""
    require_parquet(source, engine.label.lower())
    id_types = ids_as_read(model, source)  # also: the file is there and is Parquet
    files = CurrentFiles(source, (source,), "parquet")
    kinds = engine.register(files)
    require_features(model, source, kinds)
    check_kinds(engine, model.schema, kinds)
    present = [name for name in model.schema.columns if name in kinds]
    check_contract(engine, files, model.schema, present, kinds, tally)
    ids = [name for name in model.schema.ids if name in kinds]
    added = predicted_schema(model)
    for table in engine.mapped(present, ids, Predictor(model), added, chunk_rows):
        # The ids typed as pyarrow reads them from the file (the engines have their own types).
        keys = {name: table.column(name).cast(id_types[name]) for name in ids}
        keys = keys or {ROW: table.column(sql.ROW)}
        yield labelled(model, keys, {name: table.column(name) for name in added.names}, scored_at)


def ids_as_read(model: ScoringModel, source: str) -> dict[str, pa.DataType]:
    """The Arrow types pyarrow reads the file's id columns as (its footer, not its rows)."""
    import pyarrow.parquet as pq

    fs, inner = filesystem(source)
    try:
        with fs.open(inner, "rb", compression="infer") as handle:
            schema = pq.ParquetFile(handle).schema_arrow
    except (OSError, pa.ArrowException) as error:
        raise CouldNotCheck(f"cannot read {source}: {error}", "check the path and file") from None
    return {name: schema.field(name).type for name in model.schema.ids if name in schema.names}
