"""The HTTP service (`serve`): records checked against the contract, the predictions batch
scoring makes, a prediction log the drift check reads, and GitOps follow mode (a promotion and a
rollback on origin observed through /version while requests keep coming)."""

import asyncio
import contextlib
import http.client
import json
import logging
import shutil
import subprocess
import sys
import threading
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest
import uvicorn
from registry_repos import private_repos, released, second_clone

from {{ cookiecutter.package_name }} import paths
from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.drift.check import run_check
from {{ cookiecutter.package_name }}.errors import GateFailed, ProjectError
from {{ cookiecutter.package_name }}.params import load_params
from {{ cookiecutter.package_name }}.scoring.batch import score_file
from {{ cookiecutter.package_name }}.serving.app import create_app
from {{ cookiecutter.package_name }}.serving.batching import Batcher
from {{ cookiecutter.package_name }}.serving.follow import Follower
from {{ cookiecutter.package_name }}.serving.latency import (
    check_gate,
    free_port,
    markdown,
    measure,
    percentile,
)
from {{ cookiecutter.package_name }}.serving.log import PredictionLog, day_folder
from {{ cookiecutter.package_name }}.serving.records import checked_rows, record_model
from {{ cookiecutter.package_name }}.serving.served import Slot, load_served

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def fetched_like(trained_project, folder, version, commit=COMMIT):
    """A folder as `registry fetch` writes it, holding the trained project's model."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in {
        "model.joblib": paths.MODEL,
        "schema.yaml": paths.SCHEMA,
        "model.json": paths.MODEL_METADATA,
        "profile.json": paths.PROFILE,
        "metrics.json": paths.METRICS,
    }.items():
        shutil.copy(trained_project / path, folder / name)
    record = {"model": "demo", "version": version, "stage": "production", "commit": commit}
    (folder / "version.json").write_text(json.dumps(record))
    return folder


@pytest.fixture(scope="module")
def model_dir(trained_project, tmp_path_factory):
    return fetched_like(trained_project, tmp_path_factory.mktemp("fetched") / "m", "v1.2.3")


@pytest.fixture(scope="module")
def records(trained_project, schema):
    """The demo's raw rows as JSON records without the target (missing values left out, as a
    client sends them)."""
    raw = pd.read_csv(trained_project / "data/raw/demo.csv").head(60)
    rows = json.loads(raw.drop(columns=[schema.target]).to_json(orient="records"))
    return raw, [{k: v for k, v in row.items() if v is not None} for row in rows]


@contextlib.contextmanager
def running(app):
    """The app under uvicorn on a free 127.0.0.1 port, in a thread; yields the port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def call(port, method, path, body=None, connection=None):
    """(status, JSON body) of one HTTP request to the service."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, payload, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        if own:
            connection.close()


def test_a_record_is_checked_against_every_rule_of_the_contract(schema, records):
    record = record_model(schema)
    good = dict(records[1][0])
    assert checked_rows(record, good)[1] == []
    numeric = next(c for c in schema.columns.values() if c.name in good and c.min is not None)
    category = next(c for c in schema.columns.values() if c.name in good and c.categories)
    required = next(name for name in schema.features if not schema.columns[name].nullable)
    optional = next(name for name in schema.features if schema.columns[name].nullable)
    cases = {
        "greater_than_equal": {numeric.name: numeric.min - 1},
        "literal_error": {category.name: "not-a-category"},
        "extra_forbidden": {"colour": "red", schema.target: records[0][schema.target][0]},
    }
    for rule, change in cases.items():
        _, errors = checked_rows(record, {**good, **change})
        assert [(e["type"], e["loc"]) for e in errors] == [(rule, ("body", k)) for k in change]
    _, errors = checked_rows(record, [good, {k: v for k, v in good.items() if k != required}])
    assert [(e["type"], e["loc"]) for e in errors] == [("missing", ("body", 1, required))]
    rows, errors = checked_rows(record, {k: v for k, v in good.items() if k != optional})
    assert errors == [] and rows[0][optional] is None  # a nullable column may be left out
    assert checked_rows(record, [])[1][0]["type"] == "list_length"


def test_an_integer_beyond_int64_is_refused_as_the_contract_refuses_it():
    columns = {
        "n": {"dtype": "integer", "nullable": True},
        "k": {"dtype": "integer", "min": 0, "max": 5},
        "y": {"dtype": "integer", "categories": [0, 1]},
    }
    record = record_model(parse_schema({"target": "y", "columns": columns}))
    cases = {2**63: "less_than_equal", -(2**63) - 1: "greater_than_equal", 1e20: "int_parsing_size"}
    for value, rule in cases.items():
        _, errors = checked_rows(record, {"n": value, "k": 1})
        assert [(e["type"], e["loc"]) for e in errors] == [(rule, ("body", "n"))]
    rows, errors = checked_rows(record, [{"n": 2**63 - 1, "k": 0}, {"n": -(2**63), "k": 5}])
    assert errors == [] and [row["n"] for row in rows] == [2**63 - 1, -(2**63)]
    _, errors = checked_rows(record, {"n": 1, "k": 6})  # the column's own range still holds
    assert [(e["type"], e["loc"]) for e in errors] == [("less_than_equal", ("body", "k"))]


@pytest.fixture(scope="module")
def service(model_dir, tmp_path_factory):
    """(port, prediction log) of the service on the fetched model."""
    log = PredictionLog(str(tmp_path_factory.mktemp("log") / "log"), 10_000, 3600).start()
    with running(create_app(Slot(load_served(model_dir, "production")), log)) as port:
        yield port, log


def test_the_service_predicts_what_batch_scoring_predicts(service, model_dir, records, tmp_path):
    port, _ = service
    raw, rows = records
    raw.to_csv(tmp_path / "batch.csv", index=False)
    score_file(
        load_served(model_dir, None).model,
        str(tmp_path / "batch.csv"),
        str(tmp_path / "scored.parquet"),
        chunk_rows=1000,
    )
    batch = pq.read_table(tmp_path / "scored.parquet").to_pandas()

    status, answer = call(port, "POST", "/predict", rows)
    one_status, one = call(port, "POST", "/predict", rows[0])

    assert status == one_status == 200
    assert answer["version"] == "v1.2.3" and answer["commit"] == COMMIT
    served = pd.DataFrame(answer["predictions"])
    assert served["prediction"].tolist() == batch["prediction"].tolist()
    if "probabilities" in served:
        for label in served["probabilities"][0]:
            expected = batch[f"probability_{label}"].to_numpy()
            got = served["probabilities"].map(lambda p, label=label: p[label]).to_numpy()
            assert abs(got - expected).max() < 1e-12
    assert one["predictions"] == answer["predictions"][:1]


def test_a_bad_record_gets_a_422_naming_the_field_and_the_rule(service, records, schema):
    port, _ = service
    numeric = next(
        c for c in schema.columns.values() if c.min is not None and c.name != schema.target
    )
    bad = {**records[1][0], numeric.name: numeric.min - 1}

    status, answer = call(port, "POST", "/predict", bad)

    assert status == 422
    (error,) = answer["detail"]
    assert error["loc"] == ["body", numeric.name] and error["type"] == "greater_than_equal"
    assert str(numeric.min).rstrip("0").rstrip(".") in error["msg"]


def test_concurrent_requests_share_model_calls_and_each_gets_its_own_answers(service, records):
    port, _ = service
    _, rows = records
    alone = [call(port, "POST", "/predict", row)[1]["predictions"][0] for row in rows[:16]]
    answers = {}

    def client(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        for round_ in range(5):
            row = (index + round_) % 16
            answers[(index, round_)] = (row, call(port, "POST", "/predict", rows[row], connection))

    threads = [threading.Thread(target=client, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(answers) == 40
    for row, (status, answer) in answers.values():
        assert status == 200 and answer["predictions"] == [alone[row]]


def test_a_batch_never_mixes_two_served_models():
    calls = []

    def score(served, rows):
        calls.append((served, list(rows)))
        return [f"{served}:{row}" for row in rows]

    async def scenario():
        batcher = Batcher(score)
        batcher.start()
        requests = [("A", [1, 2]), ("A", [3]), ("B", [4]), ("A", [5])]
        answers = await asyncio.gather(*(batcher.predict(s, rows) for s, rows in requests))
        await batcher.stop()
        return answers

    answers = asyncio.run(scenario())

    assert answers == [["A:1", "A:2"], ["A:3"], ["B:4"], ["A:5"]]
    assert calls == [("A", [1, 2, 3]), ("B", [4]), ("A", [5])]


def test_health_and_version_name_the_served_model(service, model_dir):
    port, _ = service
    metadata = json.loads((model_dir / "model.json").read_text())
    assert call(port, "GET", "/health") == (200, {"status": "ok", "version": "v1.2.3"})
    status, version = call(port, "GET", "/version")
    assert status == 200
    assert {k: version[k] for k in ("model", "version", "stage", "commit", "data_md5")} == {
        "model": "demo",
        "version": "v1.2.3",
        "stage": "production",
        "commit": COMMIT,
        "data_md5": metadata["raw_data"]["md5"],
    }


def test_the_prediction_log_is_a_batch_the_drift_check_reads(
    trained_project, model_dir, records, tmp_path, monkeypatch
):
    _, rows = records
    folder = str(tmp_path / "log")
    log = PredictionLog(folder, flush_rows=100, flush_seconds=3600).start()
    with running(create_app(Slot(load_served(model_dir, "production")), log)) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        for start in range(0, 240, 4):
            status, _ = call(
                port, "POST", "/predict", rows[start % 56 : start % 56 + 4], connection
            )
            assert status == 200
    log.close()

    day = day_folder(folder, time.strftime("%Y-%m-%d", time.gmtime()))
    logged = pq.read_table(day).to_pandas()
    assert len(logged) == 240 and len(log.files) == 3  # two full flushes and the one at close
    assert set(logged["model_version"]) == {"v1.2.3"} and logged["request_id"].nunique() == 60
    assert logged["latency_ms"].gt(0).all()
    monkeypatch.chdir(trained_project)
    document = run_check(
        load_params(), current=day, reference_dir=model_dir, output_dir=tmp_path / "drift"
    )
    assert document["status"] in ("drift", "no_drift") and document["result"]["current_rows"] == 240


def test_the_serve_command_answers_over_http_and_flushes_its_log_on_exit(
    trained_project, model_dir, tmp_path, records
):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "{{ cookiecutter.package_name }}",
        "serve",
        "--model-dir",
        str(model_dir),
        "--port",
        str(port),
        "--log",
        str(tmp_path / "log"),
    ]
    process = subprocess.Popen(command, cwd=trained_project, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                assert call(port, "GET", "/health")[0] == 200
                break
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.1)
        status, answer = call(port, "POST", "/predict", records[1][:3])
        assert status == 200 and len(answer["predictions"]) == 3
    finally:
        process.terminate()
        process.wait(30)
    assert len(pq.read_table(tmp_path / "log").to_pandas()) == 3


# --- follow mode ----------------------------------------------------------------------------


@pytest.fixture
def registry_with_production(tmp_path_factory, tmp_path, monkeypatch):
    """(origin, work registry): v1.0.0 and v1.1.0 released, v1.0.0 in production."""
    repos = private_repos(tmp_path_factory, tmp_path, monkeypatch)
    reg = released(repos, "v1", "v2")
    reg.assign("v1.0.0", "production")
    return repos[0], reg


def real_model_load(trained_project):
    """The follower's load, with the fetched stand-in replaced by the trained model (the
    registry fixture's models are stand-ins): version and commit stay the fetched ones."""

    def load(folder, stage):
        record = json.loads((folder / "version.json").read_text())
        fetched_like(trained_project, folder, record["version"], record["commit"])
        return load_served(folder, stage)

    return load


def test_follow_swaps_versions_on_promotion_and_rollback_without_a_failed_request(
    registry_with_production, trained_project, records, tmp_path
):
    origin, reg = registry_with_production
    load = real_model_load(trained_project)
    first = reg.current("production")
    folder = fetched_like(trained_project, tmp_path / "m1", "v1.0.0", first.commit)
    slot = Slot(load(folder, "production"))
    follower = Follower(slot, reg, "production", tmp_path / "models", 3600, load)
    other = second_clone(origin, tmp_path / "other")
    answers, failures, stop = [], [], threading.Event()

    def client(port):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        while not stop.is_set():
            status, answer = call(port, "POST", "/predict", records[1][:2], connection)
            (answers if status == 200 else failures).append(answer)

    with running(create_app(slot)) as port:
        clients = [threading.Thread(target=client, args=(port,)) for _ in range(4)]
        for thread in clients:
            thread.start()
        try:
            seen = []
            for version in ("v1.1.0", "v1.0.0"):  # a promotion, then a rollback
                other.fetch_tags()
                other.assign(version, "production")
                before = len(answers)
                assert follower.check() == version
                time.sleep(0.3)
                assert call(port, "GET", "/version")[1]["version"] == version
                seen.append((before, len(answers)))
        finally:
            stop.set()
            for thread in clients:
                thread.join(30)
    assert failures == [] and len(answers) > 20
    assert {a["version"] for a in answers} == {"v1.0.0", "v1.1.0"}
    assert all(len({p["prediction"] is not None for p in a["predictions"]}) == 1 for a in answers)
    assert follower.check() is None  # nothing moved since


def test_follow_refuses_a_version_that_fails_to_load_and_keeps_serving(
    registry_with_production, trained_project, tmp_path, caplog
):
    origin, reg = registry_with_production
    first = reg.current("production")
    folder = fetched_like(trained_project, tmp_path / "m1", "v1.0.0", first.commit)
    slot = Slot(load_served(folder, "production"))
    follower = Follower(slot, reg, "production", tmp_path / "models", 3600)  # the real load
    other = second_clone(origin, tmp_path / "other")
    other.assign("v1.1.0", "production")  # its model.joblib is a stand-in: not loadable

    with caplog.at_level(logging.ERROR):
        assert follower.check() is None
        assert follower.check() is None  # refused once, not fetched again every poll

    assert slot.current.model.version == "v1.0.0"
    refusals = [r.getMessage() for r in caplog.records if "REFUSED v1.1.0" in r.getMessage()]
    assert len(refusals) == 1 and "still serving v1.0.0" in refusals[0]
    assert [folder.name for folder in (tmp_path / "models").iterdir()] == ["v1.1.0"]


def test_latency_times_the_running_service_at_each_concurrency(trained_project, model_dir):
    with contextlib.chdir(trained_project):
        report = measure(model_dir, (1, 4), requests=40, seconds=30, warmup=5, floor_repeats=10)

    assert report["version"] == "v1.2.3" and report["floor_ms"] > 0
    assert [level["concurrency"] for level in report["levels"]] == [1, 4]
    for level in report["levels"]:
        assert level["requests"] == 40 and level["errors"] == 0
        assert 0 < level["p50_ms"] <= level["p95_ms"] <= level["p99_ms"]
    assert "| 4 | 40 | 0 |" in markdown(report)
    assert "figures reported only" in check_gate(report, None)
    with pytest.raises(ProjectError, match="concurrency 8, which was not measured"):
        check_gate(report, 25.0)
    eight = {**report["levels"][1], "concurrency": 8, "p99_ms": 30.0}
    assert check_gate({**report, "levels": [eight]}, 30.0).endswith("passed")
    with pytest.raises(GateFailed, match=r"p99 at concurrency 8 30.00 ms \(must be <= 25 ms\)"):
        check_gate({**report, "levels": [eight]}, 25.0)
    with pytest.raises(GateFailed, match=r"1 requests .* failed"):
        check_gate({**report, "levels": [{**eight, "errors": 1}]}, None)
    assert percentile(list(range(1, 101)), 0.99) == 99 and percentile([5.0], 0.5) == 5.0
