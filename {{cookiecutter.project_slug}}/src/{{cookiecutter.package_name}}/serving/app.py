"""The HTTP API (FastAPI): POST /predict, GET /health, GET /version.

/predict takes one record or a list, checks each against the served model's contract (a bad
record gets a 422 naming the field and the rule) and answers with the version that scored it.
The body is checked against the model in the slot at that moment, not a model fixed at start,
so a promotion that changes the contract changes the rules with it.
"""

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import pyarrow as pa
from fastapi import Body, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from .batching import Batcher
from .log import PredictionLog, log_schema
from .records import checked_rows, example_record, feature_frame
from .served import Served, Slot

REQUEST_ID_HEADER = "X-Request-ID"


def outputs(served: Served, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One answer per row: its ids, the prediction and, for a classifier, the probabilities."""
    model = served.model
    predictions, probabilities = model.predict(feature_frame(rows, model.schema))
    labels = predictions.tolist()  # plain Python values, whatever the classes' dtype
    answers = []
    for index, row in enumerate(rows):
        answer = {name: row[name] for name in model.schema.ids if row.get(name) is not None}
        answer["prediction"] = labels[index]
        if probabilities is not None:
            answer["probabilities"] = dict(
                zip(served.labels, probabilities[index].tolist(), strict=True)
            )
        answers.append(answer)
    return answers


def log_rows(
    served: Served,
    request_id: str,
    rows: list[dict[str, Any]],
    answers: list[dict[str, Any]],
    latency_ms: float,
) -> list[dict[str, Any]]:
    model = served.model
    served_at = datetime.now(UTC)
    logged = []
    for row, answer in zip(rows, answers, strict=True):
        record = {
            "request_id": request_id,
            "served_at": served_at,
            "model_version": model.version,
            "model_commit": model.commit,
            "latency_ms": latency_ms,
            **{
                name: None if row.get(name) is None else str(row[name]) for name in model.schema.ids
            },
            **{name: row[name] for name in model.schema.features},
            "prediction": answer["prediction"],
        }
        for label, probability in answer.get("probabilities", {}).items():
            record[f"probability_{label}"] = probability
        logged.append(record)
    return logged


class LogColumns:
    """The prediction log's columns, per served version (one model's files share a schema)."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], pa.Schema] = {}

    def of(self, served: Served, prediction: Any) -> pa.Schema:
        key = (served.model.version, served.model.commit)
        if key not in self.known:
            kind = pa.array([prediction]).type
            self.known[key] = log_schema(served.model.schema, served.model.classes, kind)
        return self.known[key]


def lifespan_of(
    batcher: Batcher, log: PredictionLog | None, on_shutdown: tuple[Callable[[], None], ...]
) -> Callable[[FastAPI], Any]:
    """Starts the batcher; on shutdown (SIGTERM or SIGINT included) stops it, runs
    `on_shutdown` and writes the prediction log's last rows."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        batcher.start()
        yield
        await batcher.stop()
        for action in on_shutdown:
            action()
        if log is not None:
            log.close()

    return lifespan


def create_app(
    slot: Slot, log: PredictionLog | None = None, on_shutdown: tuple[Callable[[], None], ...] = ()
) -> FastAPI:
    batcher = Batcher(outputs)
    app = FastAPI(
        title=f"{slot.current.model.name or 'model'} service",
        lifespan=lifespan_of(batcher, log, on_shutdown),
    )
    app.state.batcher = batcher
    columns = LogColumns()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": slot.current.model.version}

    @app.get("/version")
    async def version() -> dict[str, Any]:
        return slot.current.describe()

    # Any JSON here: the served model's own rules check it (see the module's doc).
    Payload = Annotated[Any, Body(examples=[example_record(slot.current.model.schema)])]

    @app.post("/predict")
    async def predict(request: Request, response: Response, body: Payload) -> dict[str, Any]:
        started = time.perf_counter()
        served = slot.current  # this request's model, whatever a swap does meanwhile
        rows, errors = checked_rows(served.record, body)
        if errors:
            raise RequestValidationError(errors, body=body)
        request_id = request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex
        answers = await batcher.predict(served, rows)
        response.headers[REQUEST_ID_HEADER] = request_id
        if log is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            logged = log_rows(served, request_id, rows, answers, latency_ms)
            log.append(columns.of(served, answers[0]["prediction"]), logged)
        model = served.model
        return {
            "request_id": request_id,
            "model": model.name,
            "version": model.version,
            "commit": model.commit,
            "predictions": answers,
        }

    return app
