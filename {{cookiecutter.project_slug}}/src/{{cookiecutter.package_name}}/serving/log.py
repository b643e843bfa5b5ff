"""The prediction log: every served prediction (request id, time, version, latency, the record,
the outputs) appended off the request path to Parquet files, one per flush, under
`<serve.log>/date=YYYY-MM-DD/`. A day's folder is a batch the drift check reads like any other
(`drift.source: predictions/log/date={date}`): it checks what production actually scored.

Requests only put rows on a queue; one thread writes them when `flush_rows` have queued or
`flush_seconds` have passed, and once more on shutdown. A failed write is reported on stderr
and its rows kept for the next flush: the log never slows or fails a request.
"""

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from ..contract.schema import Schema
from ..contract.stream import filesystem

LOGGER = logging.getLogger(__name__)
PARTITION = "date={date}"  # the day's folder under serve.log (drift.source names it)
MAX_KEPT_ROWS = 1_000_000  # rows kept across failed writes before the oldest are dropped
ARROW_TYPES = {"integer": pa.int64(), "float": pa.float64(), "category": pa.string()}


def day_folder(log: str, date: str) -> str:
    return f"{log.rstrip('/')}/{PARTITION.format(date=date)}"


def log_schema(schema: Schema, classes: list[Any] | None, prediction: pa.DataType) -> pa.Schema:
    """The log's columns: the same types for every file of one model version."""
    fields = [
        pa.field("request_id", pa.string()),
        pa.field("served_at", pa.timestamp("ms", tz="UTC")),
        pa.field("model_version", pa.string()),
        pa.field("model_commit", pa.string()),
        pa.field("latency_ms", pa.float64()),
    ]
    fields += [pa.field(name, pa.string()) for name in schema.ids]
    fields += [pa.field(name, ARROW_TYPES[schema.columns[name].dtype]) for name in schema.features]
    fields.append(pa.field("prediction", prediction))
    fields += [pa.field(f"probability_{label}", pa.float64()) for label in classes or []]
    return pa.schema(fields)


class PredictionLog:
    def __init__(
        self,
        folder: str,
        flush_rows: int,
        flush_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.folder = folder
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.written_rows = 0
        self.files: list[str] = []
        self._queue: queue.SimpleQueue[tuple[pa.Schema, list[dict[str, Any]]] | None] = (
            queue.SimpleQueue()
        )
        self._pending: dict[pa.Schema, list[dict[str, Any]]] = {}
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)

    def start(self) -> "PredictionLog":
        self._thread.start()
        return self

    def append(self, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
        """Queue rows of one request (all of `schema`); returns at once."""
        self._queue.put((schema, rows))

    def close(self) -> None:
        """Write what is queued and stop the writer (again: nothing)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        deadline = time.monotonic() + self.flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pass
            else:
                if item is None:
                    self._flush()
                    return
                schema, rows = item
                self._pending.setdefault(schema, []).extend(rows)
            due = time.monotonic() >= deadline
            if due or sum(map(len, self._pending.values())) >= self.flush_rows:
                self._flush()
                deadline = time.monotonic() + self.flush_seconds

    def _flush(self) -> None:
        for schema, rows in list(self._pending.items()):
            if not rows:
                continue
            try:
                self._write(schema, rows)
            except Exception as error:  # an unreachable bucket must not stop the service
                LOGGER.error("prediction log: could not write %d rows: %s", len(rows), error)
                del rows[: max(0, len(rows) - MAX_KEPT_ROWS)]
                continue
            self.written_rows += len(rows)
            del self._pending[schema]

    def _write(self, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
        import pyarrow.parquet as pq

        now = self.clock()
        folder = day_folder(self.folder, now.date().isoformat())
        path = f"{folder}/{now.strftime('%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"
        fs, inner = filesystem(path)
        fs.makedirs(filesystem(folder)[1], exist_ok=True)
        # Under a name the drift check does not read until it is whole.
        with fs.open(f"{inner}.partial", "wb") as handle:
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), handle)
        fs.mv(f"{inner}.partial", inner)
        self.files.append(path)
