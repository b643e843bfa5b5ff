"""The service's image, built from the generated Dockerfile and run with its own command: it
serves the version the project's registry puts in production, fetched through DVC, as an
unprivileged user, and its HEALTHCHECK passes (how it is built and run here: tests/image.py)."""

import json
import re
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import DEFAULTS, bake, dvc, project_env, run
from github_in_a_box.origin import git
from image import build, running, stand_in_base

VERSION = "v0.1.0"
READY_SECONDS = 180  # the first model fetch happens before the port opens


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A default bake whose pipeline ran, pushed to its DVC remote and to a bare origin, with
    VERSION registered and in production: what the image's `serve --stage production
    --follow` needs."""
    root = tmp_path_factory.mktemp("image")
    project = bake(root, dvc_remote_url=str(root / "dvc-remote"))
    dvc("repro", cwd=project)
    dvc("push", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "Pipeline outputs", cwd=project)
    origin = root / "origin.git"
    git("init", "--quiet", "--bare", str(origin), cwd=root)
    git("remote", "add", "origin", str(origin), cwd=project)
    git("push", "--quiet", "origin", "main", cwd=project)
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    cli = [sys.executable, "-m", package]
    env = project_env(project)
    run([*cli, "release", "create", "--version", VERSION], project, env=env)
    run([*cli, "promote", "--version", VERSION, "--stage", "production"], project, env=env)
    # The service's user reads them, as its credentials would let it read the real ones.
    run(["chown", "-R", "10001:10001", origin, root / "dvc-remote"], root)
    root.chmod(0o755)  # pytest makes it private to its owner
    return project, root


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_port(command, port):
    """The image's command on `port` (the host's network is shared: 8000 may be taken)."""
    at = command.index("--port")
    return [*command[: at + 1], str(port), *command[at + 2 :]]


def get(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers), timeout=10) as reply:
        return json.loads(reply.read())


def wait_until_serving(service, port):
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            output = service.process.stdout.read()
            pytest.fail(f"the service exited ({service.process.returncode}):\n{output}")
        try:
            return get(f"http://127.0.0.1:{port}/health")
        except OSError:
            time.sleep(1)
    pytest.fail(f"the service did not answer /health within {READY_SECONDS} s")


def test_the_image_serves_production_as_an_unprivileged_user(released, tmp_path):
    project, root = released
    stand_in_base(DEFAULTS["python_version"][0], tmp_path)
    config = build(project, f"localhost/{project.name}:test")
    assert config["User"] == "10001:10001"
    port = free_port()
    command = with_port(config["Cmd"], port)
    assert command[:4] == ["serve", "--stage", "production", "--follow"]
    tag = f"localhost/{project.name}:test"
    with running(tag, config, command, tmp_path / "run", shared=[root]) as service:
        assert wait_until_serving(service, port) == {"status": "ok", "version": VERSION}
        version = get(f"http://127.0.0.1:{port}/version")
        assert (version["version"], version["stage"]) == (VERSION, "production")
        record = example_body(get(f"http://127.0.0.1:{port}/openapi.json"))
        answer = get(f"http://127.0.0.1:{port}/predict", record)
        assert answer["version"] == VERSION and len(answer["predictions"]) == 1
        healthcheck = config["Healthcheck"]["Test"]
        assert healthcheck[0] == "CMD"
        probe = service.run([part.replace("8000", str(port)) for part in healthcheck[1:]])
        assert probe.returncode == 0, probe.stderr
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        assert re.search(r"^Uid:\s+10001\s", status, re.MULTILINE), status


def example_body(openapi):
    """The example record the service documents for POST /predict."""
    body = openapi["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    return body["schema"]["examples"][0]
