"""Session-wide fixtures: an isolated git/DVC environment and a cache of baked projects.

Baking (with its hooks) and the first `dvc repro` are the slow parts, so each distinct set of
answers is baked once per session; tests that change a project work on a copy.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from combinations import COMBINATIONS
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())


# The longest test files, started first so the two xdist workers (`make test`) finish together
# instead of one starting the story when the other is done.
LONGEST_FIRST = ("workflows/test_story.py", "workflows/test_pr_workflow.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        path = item.path.as_posix()
        return next((i for i, name in enumerate(LONGEST_FIRST) if path.endswith(name)), 99)

    items.sort(key=rank)  # stable: the order within each file is kept


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    """No test reads or writes the user's git config, DVC site cache or analytics."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    patch.setenv("DVC_NO_ANALYTICS", "1")
    patch.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
    # cookiecutter writes a replay file per bake; keep it out of the user's home.
    cookiecutter_config = home / "cookiecutter.yaml"
    cookiecutter_config.write_text(
        f"replay_dir: {json.dumps(str(home / 'cookiecutter-replay'))}\n"
        f"cookiecutters_dir: {json.dumps(str(home / 'cookiecutters'))}\n"
    )
    patch.setenv("COOKIECUTTER_CONFIG", str(cookiecutter_config))
    # Stages run `python -m <package>`: it must be this virtualenv's python.
    patch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    for variable in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_WORK_TREE",
    ):
        patch.delenv(variable, raising=False)
    yield home
    patch.undo()


def bake(output_dir, **answers):
    """Bake the template non-interactively; return the project folder."""
    return Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)
        )
    )


@pytest.fixture(scope="session")
def baked(tmp_path_factory):
    """`baked(**answers)` returns a project baked once per session for those answers.

    A local DVC remote, unless given, sits beside it. Treat the result as read-only: use
    `project_copy`.
    """
    cache = {}

    def get(**answers):
        key = tuple(sorted(answers.items()))
        if key not in cache:
            root = tmp_path_factory.mktemp("bake")
            if answers.get("dvc_remote", "local") == "local":
                answers.setdefault("dvc_remote_url", str(root / "remote"))
            cache[key] = bake(root, **answers)
        return cache[key]

    return get


@pytest.fixture
def project_copy(tmp_path):
    """`project_copy(project)` returns a private copy (git, DVC cache and all) to change freely."""

    def copy(project):
        target = tmp_path / project.name
        shutil.copytree(project, target, symlinks=True)
        return target

    return copy


def run(command, cwd, check=True, env=None, timeout=900):
    """Run `command` (a list, no shell) in `cwd`; on failure the assertion shows its output.

    Returns the CompletedProcess (text, stdout and stderr captured). With check=False the
    caller asserts on returncode itself.
    """
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert result.returncode == 0, (
            f"{command} failed in {cwd} with exit code {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def project_env(project):
    """The environment with the project's `src` importable, as an editable install would make it
    (stages run `python -m <package>`)."""
    paths = [str(Path(project) / "src"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))


def dvc(*args, cwd, check=True):
    """`python -m dvc <args>` in project `cwd`, with this virtualenv's python (a bare `dvc` may
    not be on PATH) and the project's package importable."""
    return run([sys.executable, "-m", "dvc", *args], cwd, check=check, env=project_env(cwd))


DEFAULT_TASK = DEFAULTS["task"][0]

# The generated suite's DuckDB and Spark tests (its `engines` marker) are tests of code: they
# build their own data for the project's task, and half the suite's time is theirs (a JVM).
# They run once per task: in the smoke workflow's default bake (test_smoke_workflow) and in
# test_generated_test_suite_passes for the other tasks. The suite's other runs leave them out.
WITHOUT_ENGINE_TESTS = {"PYTEST_ADDOPTS": "-m 'not engines'"}
ENGINE_TESTS_LEFT_OUT = re.compile(r"\d+ deselected")


@pytest.fixture(scope="session")
def reproduced(baked, tmp_path_factory):
    """`reproduced(task)` returns a copy of a bake for that task where `dvc repro` has run
    once; dvc.lock and the outputs are left uncommitted.

    The bake is the first answer set in COMBINATIONS with that task, so bakes are shared: for
    the default task the default bake (its local remote beside it); other tasks' bakes may
    have non-local remotes, which `dvc repro` never touches.

    Read-only, like `baked`: tests change a `project_copy` of it. A failed repro is remembered,
    so every test that needs it fails fast with the same message.
    """
    cache = {}

    def get(task=DEFAULT_TASK):
        if task not in cache:
            answers = next(
                answers
                for answers in COMBINATIONS.values()
                if answers.get("task", DEFAULT_TASK) == task
            )
            source = baked(**answers)
            target = tmp_path_factory.mktemp(f"reproduced-{task}") / source.name
            shutil.copytree(source, target, symlinks=True)
            result = dvc("repro", cwd=target, check=False)
            cache[task] = (target, result)
        target, result = cache[task]
        assert result.returncode == 0, (
            f"`dvc repro` of the {task} bake failed (exit {result.returncode})\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        return target

    return get


@dataclass(frozen=True)
class MotoS3:
    """A running moto S3 server: point DVC at it with `endpointurl`."""

    endpoint_url: str
    port: int
    client: object

    def create_bucket(self, prefix="gitops-ml"):
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket, prefix=""):
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory):
    """A moto S3 server on 127.0.0.1 (a free port) with fake credentials in the environment.

    Subprocesses (dvc, workflow steps) inherit the credentials; no real AWS config is read.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    home = tmp_path_factory.mktemp("aws")
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for variable in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        patch.delenv(variable, raising=False)
    no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    patch.setenv("NO_PROXY", no_proxy)
    patch.setenv("no_proxy", no_proxy)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint_url, region_name="us-east-1")
    try:
        yield MotoS3(endpoint_url=endpoint_url, port=port, client=client)
    finally:
        server.stop()
        patch.undo()


@pytest.fixture
def s3_bucket(moto_s3):
    """A fresh, empty bucket on the moto server; returns its name."""
    return moto_s3.create_bucket()


def load_hook(name, answers=None):
    """The hook's module, with its one Jinja line (ANSWERS) replaced by `answers` (default {}).

    Lets tests call the hook's plain-Python checks and read its tables without baking.
    """
    source = (TEMPLATE / "hooks" / f"{name}.py").read_text()
    lines = source.splitlines()
    jinja = [i for i, line in enumerate(lines) if "{{" in line or "{%" in line]
    assert len(jinja) == 1 and lines[jinja[0]].startswith("ANSWERS = "), (
        f"hooks/{name}.py should hold Jinja only in its ANSWERS line; found it on lines "
        f"{[i + 1 for i in jinja]}"
    )
    lines[jinja[0]] = f"ANSWERS = {answers or {}!r}"
    module = type(sys)(name)
    module.__file__ = str(TEMPLATE / "hooks" / f"{name}.py")
    exec(compile("\n".join(lines), module.__file__, "exec"), module.__dict__)
    return module


@pytest.fixture(scope="session")
def pre_gen_hook():
    """hooks/pre_gen_project.py as a module (see `load_hook`)."""
    return load_hook("pre_gen_project")


def resolved_answers(answers):
    """Every answer as cookiecutter renders it for a bake given `answers` (defaults filled in)."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"), extra_context=answers
    )
    return dict(prompt_for_config(context, no_input=True))
