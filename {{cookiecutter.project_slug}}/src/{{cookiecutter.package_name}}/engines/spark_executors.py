"""What the Spark engine runs on the executors, and how their results come back to this
process: the model sent once (a broadcast), the batches it maps, the mapped rows fetched in
the files' order a slice at a time, and the streamed batches packed as Arrow IPC.
"""

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from . import joined, sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# pyspark 4 warns about pandas 3 as it starts and before Python runs on its executors; the
# engine hands Spark no pandas data (Arrow only).
PANDAS_WARNING = "PySpark does not yet fully support pandas"


@contextmanager
def shipped(spark: "SparkSession", value: Any) -> Iterator[Callable[[], Any]]:
    """A function giving `value` on an executor: a broadcast (sent to each executor once,
    unpickled once per Python worker) in classic Spark; under Spark Connect, which has no
    broadcasts, `value` travels in the function itself."""
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        yield lambda: value
        return
    broadcast = spark.sparkContext.broadcast(value)
    try:
        yield lambda: broadcast.value
    finally:
        broadcast.destroy()


def map_batches(
    frame: "DataFrame", passed: list[str], apply: Callable[[], Any], added: pa.Schema
) -> "DataFrame":
    """mapInArrow: each Arrow batch of `frame`, its `passed` columns beside apply()'s result."""
    from pyspark.sql.pandas.types import from_arrow_schema
    from pyspark.sql.types import StructType

    fields = [frame.schema[name] for name in passed] + from_arrow_schema(added).fields

    def batches(items: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        function = apply()
        for batch in items:
            if batch.num_rows:
                table = pa.Table.from_batches([batch])
                yield from joined(table, passed, function(table), added).to_batches()

    with warnings.catch_warnings():
        # Arrow in, Arrow out: Spark converts no pandas data here.
        warnings.filterwarnings("ignore", PANDAS_WARNING)
        return frame.mapInArrow(batches, StructType(fields))


def ordered_slices(frame: "DataFrame", chunk_rows: int) -> Iterator[pa.Table]:
    """`frame`'s rows in the files' order, chunk_rows of a file's rows at a time (each a
    query of the kept rows)."""
    from pyspark.sql import functions as F

    ends = frame.groupBy(sql.FILE).agg(F.max(sql.ROW)).orderBy(sql.FILE).collect()
    for file, last in ends:
        for start in range(0, last + 1, chunk_rows):
            rows = F.col(sql.ROW).between(start, start + chunk_rows - 1)
            table = frame.where((F.col(sql.FILE) == file) & rows).toArrow()
            if table.num_rows:
                yield table.sort_by(sql.ROW)


IPC = "arrow_ipc"  # the column of packed batches


def ipc_packer() -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The executors' packing: each batch as one row holding its Arrow IPC stream. A closure
    that imports only pyarrow, so Spark pickles it whole: the executors need not have this
    project installed to stream the data."""
    column = IPC

    def pack(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow as arrow

        for batch in batches:
            sink = arrow.BufferOutputStream()
            with arrow.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            yield arrow.RecordBatch.from_pydict({column: [sink.getvalue().to_pybytes()]})

    return pack
