"""Latency of the service as a client sees it: the service started on a free 127.0.0.1 port in
its own process, one-row requests over HTTP at several concurrencies (each bounded in count and
time), against the floor of the model's own `predict` on one row in this process.

`latency` (the command) prints and writes the table; release.yml runs a short version on the
candidate and the model card and release notes quote it; `serve.max_p99_ms` may gate a release.
"""

import contextlib
import http.client
import json
import math
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import GateFailed, ProjectError

START_SECONDS = 120  # the service's start: imports and the model's warm-up
GATE_CONCURRENCY = 8  # serve.max_p99_ms applies to the p99 at this concurrency


@dataclass(frozen=True)
class Level:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "requests_per_second": round(self.per_second, 1)}


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile (no interpolation: a p99 is a latency that happened)."""
    index = max(0, min(len(sorted_values) - 1, math.ceil(share * len(sorted_values)) - 1))
    return sorted_values[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def floor_ms(model_dir: str | Path, repeats: int = 100) -> float:
    """The median time of the model's predict on one example row, in this process."""
    # The model's stack (pandas, scikit-learn) is imported here: the ops report reads this
    # module's gate rule without paying for it.
    from ..pipeline.features import limited_threads
    from .records import checked_rows, example_record, feature_frame
    from .served import load_served

    served = load_served(model_dir, None)
    rows, _ = checked_rows(served.record, example_record(served.model.schema))
    frame = feature_frame(rows, served.model.schema)
    timings = []
    # The service's thread limit: OpenMP threads waiting on each other for one row would time
    # the machine's load, not the model (on a busy machine they made the floor exceed the p50).
    with limited_threads():
        for _ in range(repeats):
            started = time.perf_counter()
            served.model.predict(frame)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


@contextlib.contextmanager
def running_service(model_dir: str | Path, cwd: str | Path = ".") -> Iterator[int]:
    """`serve --model-dir` in its own process on a free port (no prediction log); the port."""
    port = free_port()
    package = __package__.rpartition(".")[0]
    command = [sys.executable, "-m", package, "serve", "--model-dir", str(model_dir)]
    command += ["--port", str(port), "--no-log"]
    process = subprocess.Popen(command, cwd=cwd, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_healthy(process, port)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def _wait_until_healthy(process: "subprocess.Popen[str]", port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read() if process.stderr else ""
            raise ProjectError(f"the service did not start: {error.strip()[-2000:]}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.1)
    raise ProjectError(f"the service gave no /health answer within {START_SECONDS} s")


def load(port: int, body: bytes, concurrency: int, requests: int, seconds: float) -> Level:
    """`requests` one-row POSTs from `concurrency` clients, each on its own keep-alive
    connection, stopping early after `seconds`."""
    timings: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    remaining = iter(range(requests))
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < deadline:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            try:
                connection.request("POST", "/predict", body, headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    timings.append(elapsed)
                else:
                    errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(timings) or [float("nan")]
    return Level(
        concurrency,
        len(timings),
        errors,
        round(wall, 3),
        round(percentile(ordered, 0.50), 2),
        round(percentile(ordered, 0.95), 2),
        round(percentile(ordered, 0.99), 2),
    )


def measure(
    model_dir: str | Path,
    concurrencies: tuple[int, ...] = (1, 8, 32),
    requests: int = 2000,
    seconds: float = 20.0,
    warmup: int = 50,
    floor_repeats: int = 100,
) -> dict[str, Any]:
    """The latency report of the model in `model_dir`: the floor and one Level per concurrency."""
    from .records import example_record
    from .served import load_served

    served = load_served(model_dir, None)
    body = json.dumps(example_record(served.model.schema)).encode()
    with running_service(model_dir) as port:
        load(port, body, 1, warmup, seconds)
        levels = [load(port, body, c, requests, seconds) for c in concurrencies]
    return {
        "version": served.model.version,
        "commit": served.model.commit,
        "floor_ms": round(floor_ms(model_dir, floor_repeats), 2),
        "levels": [level.as_dict() for level in levels],
    }


def markdown(report: dict[str, Any]) -> str:
    """The report as the table the model card and release notes quote."""
    lines = [
        f"One-row requests to the service on 127.0.0.1, {report['version']}; the floor is the "
        f"model's own predict of one row in-process: {report['floor_ms']:.2f} ms.",
        "",
        "| concurrency | requests | errors | p50 ms | p95 ms | p99 ms | requests/s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in report["levels"]:
        lines.append(
            f"| {level['concurrency']} | {level['requests']} | {level['errors']} | "
            f"{level['p50_ms']:.2f} | {level['p95_ms']:.2f} | {level['p99_ms']:.2f} | "
            f"{level['requests_per_second']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def check_gate(report: dict[str, Any], max_p99_ms: float | None) -> str:
    """The gate's verdict line; raises GateFailed when the p99 at GATE_CONCURRENCY exceeds
    `max_p99_ms` or a request failed. None: no threshold, the figures are only reported."""
    level = next((lv for lv in report["levels"] if lv["concurrency"] == GATE_CONCURRENCY), None)
    failed = sum(lv["errors"] for lv in report["levels"])
    if failed:
        raise GateFailed(
            f"{failed} requests to {report['version']}'s service failed while it was timed",
            "run `python -m <package> serve --version <version>` and read its log",
        )
    if max_p99_ms is None:
        return "latency gate: none (params.yaml serve.max_p99_ms is null); figures reported only"
    if level is None:
        raise ProjectError(
            f"serve.max_p99_ms applies at concurrency {GATE_CONCURRENCY}, which was not measured",
            f"include {GATE_CONCURRENCY} in --concurrency",
        )
    line = (
        f"latency gate: p99 at concurrency {GATE_CONCURRENCY} {level['p99_ms']:.2f} ms "
        f"(must be <= {max_p99_ms:g} ms)"
    )
    if level["p99_ms"] > max_p99_ms:
        raise GateFailed(f"{line}: failed", "make the model faster or raise serve.max_p99_ms")
    return f"{line}: passed"
