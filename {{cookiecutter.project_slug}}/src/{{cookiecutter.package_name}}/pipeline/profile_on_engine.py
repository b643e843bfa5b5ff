"""The profile stage's reading and counting on an engine (params.yaml's engine: duckdb, spark).

The first pass streams the split from the engine into the same per-column folds and the
model's predictions as the pyarrow path (the model runs in Python). The edges' later passes,
which read every numeric column again, read it through the engine: the values per RankSearch
bin are counted on its stream (x < a bound's value exactly when the value's key < the bound),
and the few values of the kept bins come back from a query, as Arrow. The edges and counts are
the pyarrow path's exactly; mean and std may differ in their last bits, as they do between
chunk sizes.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..contract.stream import CurrentFiles
from ..engines import Engine, open_engine, sql
from ..params import Params
from .profile import Chunks, CountPass
from .ranks import Keys, RankSearch, key_values, order_keys


def engine_reader(params: Params, path: Path) -> tuple[Chunks, CountPass]:
    """(chunks of the file as the engine reads them, the edges' passes on the engine)."""
    engine = open_engine(params)
    names = list(engine.register(CurrentFiles(str(path), (str(path),), "parquet")))
    # The file's pandas metadata types the frames as a whole read would (Int64, str).
    metadata = pq.read_schema(path).metadata
    chunk_rows = params.profile.chunk_rows

    def chunks(columns: list[str] | None) -> Iterator[pd.DataFrame]:
        for table in engine.chunks(columns or names, chunk_rows):
            yield table.replace_schema_metadata(metadata).to_pandas()

    return chunks, engine_pass(engine, chunk_rows)


def engine_pass(engine: Engine, chunk_rows: int) -> CountPass:
    def count(searches: dict[str, RankSearch]) -> None:
        bounds = {name: key_values(search.bounds) for name, search in searches.items()}
        sizes = engine.bin_counts(bounds, chunk_rows)
        for name, search in searches.items():
            search.add_counted(sizes[name], kept_keys(engine, name, search))

    return count


def kept_keys(engine: Engine, name: str, search: RankSearch) -> Keys:
    """The keys of the column's values in the search's kept bins."""
    ranges = []
    for pair in search.kept_ranges:
        low, high = key_values(np.array(pair, dtype=np.int64)).tolist()
        ranges.append((low, high))
    if not ranges:
        return np.empty(0, dtype=np.int64)
    values = engine.arrow(sql.between(engine.dialect, name, ranges)).column(0)
    return order_keys(values.to_numpy())
