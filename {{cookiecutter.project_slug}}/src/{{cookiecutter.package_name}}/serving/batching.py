"""Opportunistic batching: requests that arrive while the model is busy are scored together in
one call when it is free. Most of a one-row prediction is the pipeline's fixed cost per call
(column checks, imputers, encoders), so eight queued rows cost about what one does: under
concurrency the service keeps up instead of queueing one call per request. A lone request never
waits for company: the batch is whatever is queued when the model is free.

Requests for different served models (a swap in between) are never mixed in one call.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from .served import Served

MAX_BATCH_ROWS = 512  # a bigger queue is scored in several calls, so no request waits on a huge one
Score = Callable[[Served, list[dict[str, Any]]], list[dict[str, Any]]]
Waiting = tuple[Served, list[dict[str, Any]], "asyncio.Future[list[dict[str, Any]]]"]


class Batcher:
    def __init__(self, score: Score) -> None:
        self.score = score
        self.calls = 0  # model calls made: tests and the latency report read it
        self._queue: list[Waiting] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def predict(self, served: Served, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers for `rows`, scored with `served`, possibly alongside other requests."""
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self._queue.append((served, rows, future))
        self._ready.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._queue:
                # Handlers whose requests were read meanwhile get to queue theirs first.
                await asyncio.sleep(0)
                self._score(self._take())

    def _take(self) -> list[Waiting]:
        """The oldest requests for one served model, up to MAX_BATCH_ROWS rows (at least one)."""
        first = self._queue[0][0]
        batch: list[Waiting] = []
        rest: list[Waiting] = []
        rows = 0
        for waiting in self._queue:
            fits = not batch or rows + len(waiting[1]) <= MAX_BATCH_ROWS
            if waiting[0] is first and fits and not rest:
                batch.append(waiting)
                rows += len(waiting[1])
            else:
                rest.append(waiting)
        self._queue = rest
        return batch

    def _score(self, batch: list[Waiting]) -> None:
        rows = [row for _, request_rows, _ in batch for row in request_rows]
        try:
            answers = self.score(batch[0][0], rows)
        except Exception as error:  # each waiting request gets the error, the loop goes on
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self.calls += 1
        start = 0
        for _, request_rows, future in batch:
            if not future.done():  # a client that went away leaves a cancelled future
                future.set_result(answers[start : start + len(request_rows)])
            start += len(request_rows)
