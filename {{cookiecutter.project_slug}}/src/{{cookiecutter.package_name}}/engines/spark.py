"""Spark's part of the data engines: the session, files read with each row's place in its
file, and numeric columns counted into a profile's bins, all in Spark's own (JVM) code; and a
Python function (batch scoring's model) run on the executors' Arrow batches.

pyspark is the optional `spark` extra, so it is imported where it is used. Spark 4 runs SQL in
ANSI mode, which stays on: a bad cast fails instead of quietly becoming NULL.
"""

import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ..contract.stream import CurrentFiles, format_of, is_url, rechunked
from ..errors import CouldNotCheck, ProjectError
from ..params import SparkParams
from . import Kind, kind_of_number, no_reserved_columns, same_columns, sql
from .spark_executors import IPC, PANDAS_WARNING, ipc_packer, map_batches, ordered_slices, shipped

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

APP_NAME = __package__.partition(".")[0]  # the project's package
MIN_JAVA = 17
# Before params.yaml's spark.config: no web UI (a batch job; parallel test workers would race
# for its port), no progress bars, warnings only.
SESSION_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "WARN",
}
INSTALL_FIX = (
    "install the engine's extra: set engine: spark in params.yaml and run `make setup`, "
    "or `pip install '.[spark]'` in the project's folder"
)
JAVA_FIX = (
    f"install Java {MIN_JAVA} or newer (Debian: apt-get install default-jre-headless) and put "
    "its bin/ on PATH or set JAVA_HOME to it"
)
CONNECT_FIX = (
    "install Spark Connect's client packages (pip install 'pyspark[connect]', the same version "
    "as pyspark), or remove spark.remote from params.yaml and SPARK_REMOTE from the environment "
    "to run Spark in this process"
)
# monotonically_increasing_id keeps the partition's number above these bits and the row's
# position within the partition in them.
ROW_BITS = (1 << 33) - 1

_sessions: dict[tuple[object, ...], "SparkSession"] = {}


def spark_session(settings: SparkParams) -> "SparkSession":
    """The process's session for `settings`, started on first use (local mode starts a JVM:
    seconds) and reused after. A Spark Connect URL (SPARK_REMOTE in the environment, else
    settings.remote) wins over settings.master."""
    remote = os.environ.get("SPARK_REMOTE") or settings.remote
    key = (remote, settings.master, tuple(sorted(settings.config.items())))
    if key not in _sessions:
        # Spark keeps one context per process: other settings replace the session.
        for session in _sessions.values():
            session.stop()
        _sessions.clear()
        _sessions[key] = _start(remote, settings)
    return _sessions[key]


def _start(remote: str | None, settings: SparkParams) -> "SparkSession":
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ProjectError(
            "engine: spark needs pyspark, which is not installed", INSTALL_FIX
        ) from None
    builder = SparkSession.builder.appName(APP_NAME)
    if remote:  # a server's settings are its own
        builder, defaults = builder.remote(remote), {}
    else:
        check_java()
        builder, defaults = builder.master(settings.master), SESSION_DEFAULTS
        if settings.master.startswith("local"):
            # The Python workers that run the model (batch scoring): this interpreter, which
            # has the project's packages, rather than whichever `python3` PATH finds first.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = builder.config(map={**defaults, **settings.config})
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", PANDAS_WARNING)
            return builder.getOrCreate()
    except ImportError as error:  # pyspark without Spark Connect's grpcio, protobuf...
        problem = f"Spark Connect ({remote}) cannot start: {error}"
        raise ProjectError(problem, CONNECT_FIX) from None


def check_java() -> None:
    """Java 17+ where Spark's launcher looks for it (JAVA_HOME, else PATH), or a ProjectError:
    Spark's own failure is a Java stack trace or 'Java gateway process exited'."""
    home = os.environ.get("JAVA_HOME")
    where = f"JAVA_HOME ({home})" if home else "PATH"
    java = str(Path(home, "bin", "java")) if home else shutil.which("java")
    if java is None or not Path(java).is_file():
        raise ProjectError(f"engine: spark needs Java, and there is none on {where}", JAVA_FIX)
    banner = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(?:1\.)?(\d+)', banner)
    if found is None or int(found.group(1)) < MIN_JAVA:
        seen = banner.strip().splitlines()[0] if banner.strip() else "no version"
        problem = f"Spark needs Java {MIN_JAVA} or newer; {java} (on {where}) says: {seen}"
        raise ProjectError(problem, JAVA_FIX)


def read_files(spark: "SparkSession", paths: list[str], file_format: str) -> "DataFrame":
    """The files (paths or URLs Spark reads; "parquet" or "csv", CSV cells as text) as one
    DataFrame, plus sql.FILE (int: the file's index in `paths`) and sql.ROW (long: the row's
    0-based position within its file), so examples can be listed in the order the files hold.

    Each file is read on its own and the reads appended: Spark then knows a row's file
    without mapping the URLs it reports back to `paths`.
    """
    from pyspark.sql import functions as F

    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be parquet or csv, not {file_format!r}")
    if not paths:
        raise ValueError("read_files needs at least one path")
    frames = []
    for index, path in enumerate(paths):
        frame, row = _read_one(spark, path, file_format)
        # _metadata: a data column of that name hides Spark's, which holds the row's position.
        no_reserved_columns("Spark", path, set(frame.columns), (sql.FILE, sql.ROW, "_metadata"))
        frames.append(frame.select("*", F.lit(index).alias(sql.FILE), row.alias(sql.ROW)))
    same_columns(paths, [set(frame.columns) for frame in frames])
    return reduce(lambda first, second: first.unionByName(second), frames)


def _read_one(spark: "SparkSession", path: str, file_format: str) -> tuple["DataFrame", "Column"]:
    """The file's frame and the expression of its rows' positions."""
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    # The JVM resolves a relative path against the folder it started in, which need not be
    # this process's (one session serves every check in a process).
    location = path if is_url(path) else str(Path(path).resolve())
    try:
        if file_format == "parquet":
            return spark.read.parquet(location), F.col("_metadata.row_index")
        # multiLine: a quoted newline is part of a value, as for contract/reading.py's
        # read_arrow. It also keeps each file in one partition, whose rows
        # monotonically_increasing_id numbers in file order (Spark has no row_index for CSV).
        # FAILFAST: a row with more or fewer fields than the header fails, as in read_arrow.
        frame = spark.read.csv(location, header=True, multiLine=True, escape='"', mode="FAILFAST")
        return frame, F.monotonically_increasing_id().bitwiseAND(ROW_BITS)
    except AnalysisException as error:
        if error.getCondition() != "PATH_NOT_FOUND":
            raise
        fix = "check the path and that the file is there"
        raise CouldNotCheck(f"{path} not found", fix) from None


def bin_counts(
    frame: "DataFrame", edges: dict[str, npt.NDArray[np.float64]]
) -> dict[str, npt.NDArray[np.int64]]:
    """Per numeric column, the int64 counts of its present values (not null, not NaN) in the
    bins its sorted unique edges bound, as pipeline/profile.py's bin_count_array counts them:
    [0] below edges[0], [i] in [edges[i-1], edges[i]), [-1] from edges[-1] up. One pass over
    the data and one aggregation for all columns. (Text columns: try_cast them first; ANSI
    SQL fails the whole job on a cell that does not convert.)"""
    from pyspark.ml.feature import Bucketizer
    from pyspark.sql import functions as F

    if not edges:
        return {}
    bounds = [_checked(name, values) for name, values in edges.items()]
    starts = np.cumsum([0] + [len(own) + 1 for own in bounds])
    values = frame.select(
        [_present(name).alias(f"value{index}") for index, name in enumerate(edges)]
    )
    cuts = {index: own[np.isfinite(own)] for index, own in enumerate(bounds)}
    cuts = {index: finite for index, finite in cuts.items() if len(finite)}
    if cuts:
        # Bucketizer's splits must start at -inf and end at +inf, strictly increasing.
        splits = [[-np.inf, *finite.tolist(), np.inf] for finite in cuts.values()]
        inputs = [f"value{index}" for index in cuts]
        outputs = [f"bin{index}" for index in cuts]
        bucketizer = Bucketizer(splitsArray=splits, inputCols=inputs, outputCols=outputs)
        values = bucketizer.transform(values)
    keys = [
        _bin_key(index, own, index in cuts, int(starts[index])) for index, own in enumerate(bounds)
    ]
    # One (column, bin) key per present value, counted in one aggregation.
    counted = values.select(F.explode(F.array(*keys)).alias("key")).dropna().groupBy("key")
    flat = np.zeros(int(starts[-1]), dtype=np.int64)
    for row in counted.count().collect():
        flat[row["key"]] = row["count"]
    return {name: flat[starts[index] : starts[index + 1]] for index, name in enumerate(edges)}


def _checked(name: str, edges: npt.ArrayLike) -> npt.NDArray[np.float64]:
    # + 0.0 turns a -0.0 edge into 0.0: numpy finds them equal, Java orders -0.0 below 0.0.
    bounds = np.asarray(edges, dtype=np.float64) + 0.0
    if np.isnan(bounds).any() or (np.diff(bounds) <= 0).any():
        raise ValueError(f"the edges of {name} must be sorted, unique and not NaN")
    return bounds


def _present(name: str) -> "Column":
    from pyspark.sql import functions as F

    # As doubles, as bin_count_array compares them; NaN counts as missing; + 0.0 turns -0.0
    # into 0.0, which Bucketizer (Java's ordering) would put below a 0.0 edge.
    value = F.col("`" + name.replace("`", "``") + "`").cast("double")
    return F.when(~F.isnan(value), value + 0.0)


def _bin_key(index: int, bounds: npt.NDArray[np.float64], bucketed: bool, start: int) -> "Column":
    from pyspark.sql import functions as F

    value = F.col(f"value{index}")
    key = F.col(f"bin{index}").cast("int") if bucketed else F.lit(0)
    # The Bucketizer's bins cover -inf to +inf with +inf in the last one; an infinite edge adds
    # a bin: below -inf (always empty) or +inf alone.
    if len(bounds) and bounds[0] == -np.inf:
        key = key + 1
    if len(bounds) and bounds[-1] == np.inf:
        key = key + (value == np.inf).cast("int")
    return F.when(value.isNotNull(), key + start)


class SparkDialect:
    def name(self, column: str) -> str:
        return "`" + column.replace("`", "``") + "`"


class SparkEngine:
    """The engines' protocol on Spark: the files as the view sql.SOURCE, SQL through
    spark.sql, bins by Bucketizer in the JVM. The drift check's batches for Python (the model,
    the numeric summaries) come to this process in the files' order: on a cluster they cross
    the network. Batch scoring's model runs on the executors (`mapped`)."""

    label = "Spark"
    dialect = SparkDialect()

    def __init__(self, settings: SparkParams) -> None:
        self.spark = spark_session(settings)

    def register(self, files: CurrentFiles) -> dict[str, Kind]:
        from pyspark.sql.types import ByteType, IntegerType, LongType, NumericType, ShortType

        formats = {format_of(path, files.format) for path in files.paths}
        if len(formats) != 1:
            raise CouldNotCheck(
                f"{files.source} mixes CSV and Parquet files", "deliver one format per batch"
            )
        self.frame = read_files(self.spark, list(files.paths), formats.pop())
        self.frame.createOrReplaceTempView(sql.SOURCE)
        integers = (ByteType, ShortType, IntegerType, LongType)
        return {
            field.name: kind_of_number(isinstance(field.dataType, integers))
            if isinstance(field.dataType, NumericType)
            else "text"
            for field in self.frame.schema.fields
            if field.name not in (sql.FILE, sql.ROW)
        }

    def query(self, text: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(text).collect()]

    def arrow(self, text: str) -> pa.Table:
        return self.spark.sql(text).toArrow()

    def bin_counts(
        self, edges: dict[str, npt.NDArray[np.float64]], chunk_rows: int
    ) -> dict[str, npt.NDArray[np.int64]]:
        return bin_counts(self.frame, edges)

    def chunks(
        self, columns: Sequence[str], chunk_rows: int, flags: Sequence[str] = ()
    ) -> Iterator[pa.Table]:
        # Sorted by place, the partitions are ranges in the files' order. Each executor packs
        # its Arrow batches into Arrow IPC bytes, so the driver takes a few binary rows per
        # partition, in order, instead of converting every value to a Python object (a 5M-row
        # stream: 260 s that way).
        from pyspark.sql import functions as F

        conditions = [F.expr(text).alias(f"flag{index}") for index, text in enumerate(flags)]
        ordered = self.frame.orderBy(sql.FILE, sql.ROW).select(*columns, *conditions)
        schema = ordered.limit(0).toArrow().schema
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", PANDAS_WARNING)
            packed = ordered.mapInArrow(ipc_packer(), f"{IPC} binary")
        rows = packed.toLocalIterator(prefetchPartitions=True)
        unpacked = (pa.ipc.open_stream(row[IPC]).read_all().cast(schema) for row in rows)
        yield from rechunked(unpacked, chunk_rows)

    def mapped(
        self,
        columns: Sequence[str],
        keep: Sequence[str],
        apply: Callable[[pa.Table], pa.Table],
        added: pa.Schema,
        chunk_rows: int,
    ) -> Iterator[pa.Table]:
        """`apply` runs on the executors (mapInArrow), sent there once as a broadcast; the
        results are kept (memory, then disk) and come back in slices of the files' rows, so
        this process holds one slice at a time."""
        from pyspark import StorageLevel

        passed = [*keep, sql.FILE, sql.ROW]
        names = dict.fromkeys([*columns, *passed])
        frame = self.frame.select(*(_column(name) for name in names))
        with shipped(self.spark, apply) as shipped_apply:
            result = map_batches(frame, passed, shipped_apply, added)
            result.persist(StorageLevel.MEMORY_AND_DISK)
            try:
                for table in ordered_slices(result, chunk_rows):
                    # Spark's Arrow types may not be apply's (large strings, by a setting).
                    kept = [table.schema.field(name) for name in passed]
                    yield table.cast(pa.schema([*kept, *added]))
            finally:
                result.unpersist()


def _column(name: str) -> "Column":
    from pyspark.sql import functions as F

    return F.col(SparkDialect().name(name))
