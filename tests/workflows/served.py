"""A production host for the story: a clone of origin running the generated `serve --stage
production --follow`, and a client that keeps sending it one record at a time, recording
every answer's status and version."""

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time

from conftest import project_env, run
from github_in_a_box.origin import git

from .projects import set_params

POLL_SECONDS = "1"  # the host's serve.poll_seconds: a promotion shows within a second or two


# The generated serving.latency.free_port's twin: this process cannot import the baked package.
def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedHost:
    def __init__(self, origin, folder, package, log_folder):
        git("clone", "--quiet", str(origin), str(folder), cwd=folder.parent)
        set_params(folder, "serve", poll_seconds=POLL_SECONDS)  # this host's own setting
        self.folder, self.package, self.log_folder = folder, package, log_folder
        self.port = free_port()
        self.answers, self._stop = [], threading.Event()
        self.records = self._demo_records(folder / "requests.csv")
        command = [sys.executable, "-m", package, "serve", "--stage", "production", "--follow"]
        command += ["--port", str(self.port), "--log", str(log_folder)]
        self.stderr = (folder / "serve.log").open("w")
        self.process = subprocess.Popen(
            command, cwd=folder, env=project_env(folder), stderr=self.stderr
        )
        self._wait_for_health()
        self._client = threading.Thread(target=self._send, daemon=True)
        self._client.start()

    def _demo_records(self, path):
        """The demo generator's rows (the training distribution) as JSON records, without the
        target and with missing values left out, as a client sends them."""
        import pandas as pd
        import yaml

        command = [sys.executable, "-m", self.package, "demo-data", str(path)]
        run(command, self.folder, env=project_env(self.folder))
        target = yaml.safe_load((self.folder / "schema.yaml").read_text())["target"]
        rows = json.loads(pd.read_csv(path).drop(columns=[target]).to_json(orient="records"))
        return [{name: value for name, value in row.items() if value is not None} for row in rows]

    def request(self, method, path, body=None, connection=None):
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, payload, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    def _wait_for_health(self, seconds=120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_text()
            with contextlib.suppress(OSError):
                if self.request("GET", "/health")[0] == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"serve did not answer within {seconds} s:\n{self.log_text()}")

    def _send(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        index = 0
        while not self._stop.is_set():
            record = self.records[index % len(self.records)]
            try:
                status, answer = self.request("POST", "/predict", record, connection)
            except OSError as error:
                status, answer = None, {"error": str(error)}
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.answers.append((status, answer.get("version"), answer))
            index += 1
            time.sleep(0.2)  # a steady trickle, light beside the workflows sharing the cores

    def version(self):
        return self.request("GET", "/version")[1]["version"]

    def wait_for_version(self, version, seconds=60):
        deadline = time.monotonic() + seconds
        while self.version() != version:
            assert time.monotonic() < deadline, f"still {self.version()}:\n{self.log_text()}"
            time.sleep(0.25)
        served = len(self.answers)
        while len(self.answers) < served + 3:  # requests answered by the new version
            time.sleep(0.1)

    def stop(self):
        """Stop the client, then the service (SIGTERM: it writes its log's last rows)."""
        self._stop.set()
        self._client.join(30)
        self.process.terminate()
        self.process.wait(60)
        self.stderr.close()

    def log_text(self):
        if not self.stderr.closed:
            self.stderr.flush()
        return (self.folder / "serve.log").read_text()

    def served_versions(self):
        """The versions that answered, in order, each run of equal answers once."""
        runs = []
        for _, version, _ in self.answers:
            if not runs or runs[-1] != version:
                runs.append(version)
        return runs
