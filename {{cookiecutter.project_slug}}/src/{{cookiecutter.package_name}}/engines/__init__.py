"""Data engines: what reads and counts the current data when params.yaml's `engine` is duckdb
or spark (pyarrow, the default, is the drift package's own chunked reader). The engines count;
the statistics, the decision and the reports are the same Python for all of them. Batch
scoring's model runs where the engine runs Python (`Engine.mapped`)."""

import threading
from collections.abc import Callable, Iterator, Sequence
from queue import Full, Queue
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..contract.stream import CurrentFiles
from ..errors import CouldNotCheck
from ..params import Params
from . import sql

# How the engine typed a column of the data: "integer" (stored as whole numbers within int64:
# no NaN, infinity, fraction or overflow to look for), "number" (other numbers) or "text".
Kind = str


def kind_of_number(integer: bool) -> Kind:
    return "integer" if integer else "number"


class Engine(Protocol):
    """What the drift check, the profile stage and batch scoring ask of an engine
    (engines/duckdb.py, engines/spark.py)."""

    @property
    def dialect(self) -> sql.Dialect: ...

    @property
    def label(self) -> str:
        """The engine's name in messages: "DuckDB", "Spark"."""
        ...

    def register(self, files: CurrentFiles) -> dict[str, Kind]:
        """Make sql.SOURCE the files' rows (with sql.FILE and sql.ROW); its columns' kinds."""
        ...

    def query(self, text: str) -> list[tuple[Any, ...]]: ...

    def arrow(self, text: str) -> pa.Table:
        """A query's result as Arrow (for many rows)."""
        ...

    def bin_counts(
        self, edges: dict[str, npt.NDArray[np.float64]], chunk_rows: int
    ) -> dict[str, npt.NDArray[np.int64]]:
        """Each column's present values (not null, not NaN) per bin, as binning's
        bin_count_array counts them."""
        ...

    def chunks(
        self, columns: Sequence[str], chunk_rows: int, flags: Sequence[str] = ()
    ) -> Iterator[pa.Table]:
        """sql.SOURCE's columns in the files' order, at most chunk_rows rows at a time, then
        each of the `flags` conditions as a boolean column (read by position)."""
        ...

    def mapped(
        self,
        columns: Sequence[str],
        keep: Sequence[str],
        apply: Callable[[pa.Table], pa.Table],
        added: pa.Schema,
        chunk_rows: int,
    ) -> Iterator[pa.Table]:
        """`apply` on batches of sql.SOURCE's `columns` (with sql.FILE and sql.ROW): the
        batch's `keep` columns, sql.FILE, sql.ROW and apply's `added` columns, typed as
        `added` says, in the files' order, at most chunk_rows rows at a time. Where `apply`
        runs is the engine's choice (Spark: on the executors), so it must pickle."""
        ...


def read_ahead(items: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """`items`, the next one read in a thread while the caller works on this one (an
    engine decodes the next chunk while Python bins this one). An error reading ahead is
    raised where that item would have come; a caller that stops early stops the thread."""
    slot: Queue[tuple[bool, Any]] = Queue(maxsize=1)
    stopped = threading.Event()

    def hand_over(item: tuple[bool, Any]) -> bool:
        while not stopped.is_set():
            try:
                slot.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over((True, item)):
                    return
        except BaseException as error:  # raised in the caller's thread
            hand_over((False, error))
            return
        hand_over((False, None))

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = slot.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stopped.set()
        thread.join()


def joined(table: pa.Table, passed: Sequence[str], result: pa.Table, added: pa.Schema) -> pa.Table:
    """The `passed` columns of `table` beside `result`'s columns, cast to `added`."""
    columns = {name: table.column(name) for name in passed}
    columns |= {field.name: result.column(field.name).cast(field.type) for field in added}
    return pa.table(columns)


def same_columns(paths: Sequence[str], columns: Sequence[set[str]]) -> None:
    """CouldNotCheck unless every file has the first one's columns: a column missing from some
    files would read as missing values there, which the pyarrow path does not do."""
    for path, names in zip(paths[1:], columns[1:], strict=True):
        if names != columns[0]:
            differ = sorted(names ^ columns[0])
            raise CouldNotCheck(
                f"{path} and {paths[0]} have different columns ({', '.join(differ)})",
                "give every file of one check the same columns",
            )


def no_reserved_columns(label: str, path: str, names: set[str], reserved: Sequence[str]) -> None:
    """CouldNotCheck if a file has a column named as one the engine adds to track each row's
    file and position (sql.FILE, sql.ROW, the engine's own): the two would be confused."""
    clashing = [name for name in reserved if name in names]
    if clashing:
        raise CouldNotCheck(
            f"{path} has a column named {clashing[0]!r}, a name the {label} engine gives its "
            "own column of each row's file or position",
            "rename that column in the data (and schema.yaml), or check it with engine: "
            "pyarrow in params.yaml",
        )


def open_engine(params: Params) -> Engine:
    """The engine params.yaml names (not pyarrow, which needs none)."""
    if params.engine == "duckdb":
        from .duckdb import DuckdbEngine

        return DuckdbEngine(params.duckdb)
    from .spark import SparkEngine

    return SparkEngine(params.spark)
