"""Bake every combination in tests/combinations.py and check what comes out."""

import hashlib
import json
import os
import re
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from combinations import CHOICES, COMBINATIONS
from configobj import ConfigObj
from conftest import (
    DEFAULTS,
    ENGINE_TESTS_LEFT_OUT,
    TEMPLATE,
    VENV_BIN,
    bake,
    dvc,
    resolved_answers,
    run,
)
from packaging.requirements import Requirement

# Every file `git ls-files` lists in a baked project, whatever the answers ({package} is the
# package name). Keep this a literal: a new template file must be added here on purpose.
BASE_FILES = """
.cruft.json
.dockerignore
.dvc/.gitignore
.dvc/config
.dvcignore
.github/CODEOWNERS
.github/actionlint.yaml
.github/dependabot.yml
.github/pull_request_template.md
.github/workflows/ci.yml
.github/workflows/drift.yml
.github/workflows/ops.yml
.github/workflows/pr.yml
.github/workflows/promote.yml
.github/workflows/release.yml
.github/workflows/score.yml
.github/workflows/template-update.yml
.github/workflows/version.yml
.gitignore
.gto
.pre-commit-config.yaml
.python-version
Dockerfile
Makefile
README.md
constraints.txt
data/raw/.gitignore
data/raw/demo.csv.dvc
dvc.yaml
notebooks/explore.ipynb
notebooks/model_card.ipynb
params.yaml
pyproject.toml
schema.yaml
src/{package}/__init__.py
src/{package}/__main__.py
src/{package}/axes.py
src/{package}/binning.py
src/{package}/bootstrap.py
src/{package}/cli.py
src/{package}/console.py
src/{package}/contract/__init__.py
src/{package}/contract/commands.py
src/{package}/contract/infer.py
src/{package}/contract/raw_parquet.py
src/{package}/contract/reading.py
src/{package}/contract/rules.py
src/{package}/contract/schema.py
src/{package}/contract/stream.py
src/{package}/contract/validate.py
src/{package}/demo_data.py
src/{package}/drift/__init__.py
src/{package}/drift/check.py
src/{package}/drift/commands.py
src/{package}/drift/counted.py
src/{package}/drift/decision.py
src/{package}/drift/issues.py
src/{package}/drift/labels.py
src/{package}/drift/performance.py
src/{package}/drift/report.py
src/{package}/drift/retrain.py
src/{package}/drift/simulate.py
src/{package}/drift/source.py
src/{package}/drift/statistics.py
src/{package}/drift/summary.py
src/{package}/drift/tails.py
src/{package}/edge/__init__.py
src/{package}/edge/dvc.py
src/{package}/edge/git.py
src/{package}/edge/github.py
src/{package}/edge/oidc.py
src/{package}/engines/__init__.py
src/{package}/engines/contract.py
src/{package}/engines/duckdb.py
src/{package}/engines/findings.py
src/{package}/engines/spark.py
src/{package}/engines/spark_executors.py
src/{package}/engines/sql.py
src/{package}/errors.py
src/{package}/ops/__init__.py
src/{package}/ops/commands.py
src/{package}/ops/figures.py
src/{package}/ops/github.py
src/{package}/ops/health.py
src/{package}/ops/records.py
src/{package}/ops/render.py
src/{package}/ops/report.py
src/{package}/params.py
src/{package}/paths.py
src/{package}/pipeline/__init__.py
src/{package}/pipeline/commands.py
src/{package}/pipeline/evaluate.py
src/{package}/pipeline/features.py
src/{package}/pipeline/gate.py
src/{package}/pipeline/metrics.py
src/{package}/pipeline/predictions.py
src/{package}/pipeline/profile.py
src/{package}/pipeline/profile_on_engine.py
src/{package}/pipeline/ranks.py
src/{package}/pipeline/remote.py
src/{package}/pipeline/resampling.py
src/{package}/pipeline/slices.py
src/{package}/pipeline/split.py
src/{package}/pipeline/train.py
src/{package}/pipeline/validate_on_engine.py
src/{package}/progress.py
src/{package}/release/__init__.py
src/{package}/release/baseline.py
src/{package}/release/card.py
src/{package}/release/commands.py
src/{package}/release/fetch.py
src/{package}/release/pictures.py
src/{package}/release/publish.py
src/{package}/release/registry.py
src/{package}/release/steps.py
src/{package}/release/tags.py
src/{package}/release/versions.py
src/{package}/release/views.py
src/{package}/review/__init__.py
src/{package}/review/charts.py
src/{package}/review/commands.py
src/{package}/review/comparison.py
src/{package}/review/production.py
src/{package}/review/report.py
src/{package}/scoring/__init__.py
src/{package}/scoring/batch.py
src/{package}/scoring/commands.py
src/{package}/scoring/model.py
src/{package}/scoring/on_engine.py
src/{package}/scoring/rows.py
src/{package}/serving/__init__.py
src/{package}/serving/app.py
src/{package}/serving/batching.py
src/{package}/serving/commands.py
src/{package}/serving/follow.py
src/{package}/serving/latency.py
src/{package}/serving/log.py
src/{package}/serving/records.py
src/{package}/serving/served.py
src/{package}/svgchart.py
src/{package}/tasks.py
src/{package}/template/__init__.py
src/{package}/template/answers.py
src/{package}/template/commands.py
src/{package}/template/describe.py
src/{package}/template/pull_request.py
src/{package}/template/update.py
tests/conftest.py
tests/ops_history.py
tests/registry_repos.py
tests/test_bootstrap.py
tests/test_cli.py
tests/test_commit_outputs.py
tests/test_comparison.py
tests/test_console.py
tests/test_contract.py
tests/test_demo_data.py
tests/test_drift.py
tests/test_drift_check.py
tests/test_drift_equivalence.py
tests/test_drift_github.py
tests/test_drift_labels.py
tests/test_drift_wording.py
tests/test_engine_equivalence.py
tests/test_engine_spark.py
tests/test_evaluate.py
tests/test_features.py
tests/test_gate.py
tests/test_layers.py
tests/test_metrics.py
tests/test_model_card.py
tests/test_model_quality.py
tests/test_notebook.py
tests/test_oidc.py
tests/test_ops.py
tests/test_ops_render.py
tests/test_own_data.py
tests/test_params.py
tests/test_performance.py
tests/test_profile.py
tests/test_registry.py
tests/test_registry_origin.py
tests/test_release.py
tests/test_remote.py
tests/test_report.py
tests/test_repro.py
tests/test_schema.py
tests/test_scoring.py
tests/test_scoring_engines.py
tests/test_serving.py
tests/test_split.py
tests/test_template_records.py
tests/test_train.py
tests/test_validate.py
tests/test_validate_engines.py
tests/test_validate_equivalence.py
tools/package.json
tools/requirements.txt
"""

TASKS = DEFAULTS["task"]
LICENSE_MARKERS = {
    "MIT": ["MIT License", "Permission is hereby granted, free of charge"],
    "Apache-2.0": ["Apache License", "Version 2.0, January 2004"],
    "BSD-3-Clause": [
        "BSD 3-Clause License",
        "Redistribution and use in source and binary forms",
        "Neither the name of the copyright holder",
    ],
}
# Licenses whose text carries a copyright line with the year and the author.
COPYRIGHT_LINE = {"MIT", "BSD-3-Clause"}


def expected_files(answers):
    files = {line.format(package=answers["package_name"]) for line in BASE_FILES.split() if line}
    if answers["license"] != "Proprietary":
        files.add("LICENSE")
    return files


@pytest.fixture
def combination(request, baked):
    """(all answers, baked project) for one entry of COMBINATIONS (parametrized by its id)."""
    answers = COMBINATIONS[request.param]
    project = baked(**answers)
    full = resolved_answers(answers)
    if full["dvc_remote"] == "local" and "dvc_remote_url" not in answers:
        full["dvc_remote_url"] = str(project.parent / "remote")  # what `baked` passes
    return full, project


each_combination = pytest.mark.parametrize("combination", list(COMBINATIONS), indirect=True)
with_local_remote = pytest.mark.parametrize(
    "combination",
    [name for name, chosen in COMBINATIONS.items() if chosen.get("dvc_remote", "local") == "local"],
    indirect=True,
)

# The generated suite reads the task from the project's files; other answers do not reach it.
# Running it once per task (the first combination with that task) keeps the suite's time down.
FIRST_WITH_TASK = {}
for name, chosen in COMBINATIONS.items():
    FIRST_WITH_TASK.setdefault(chosen.get("task", TASKS[0]), name)
once_per_task = pytest.mark.parametrize(
    "combination", list(FIRST_WITH_TASK.values()), indirect=True
)


def test_every_choice_of_every_option_is_baked():
    for option, values in CHOICES.items():
        baked_values = {answers.get(option, values[0]) for answers in COMBINATIONS.values()}
        assert baked_values == set(values), option


def tracked(project):
    listing = run(["git", "ls-files", "-z"], project).stdout
    return [name for name in listing.split("\0") if name]


def md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


@each_combination
def test_generated_files_are_exactly_the_expected_set(combination):
    answers, project = combination
    assert set(tracked(project)) == expected_files(answers)


JINJA = re.compile(r"\{\{|\{%|\{#")


@each_combination
def test_no_template_syntax_left(combination):
    _, project = combination
    leftovers = []
    for name in tracked(project):
        if JINJA.search(name):
            leftovers.append(f"{name}: in the path")
        data = (project / name).read_bytes()
        if b"\0" in data:
            continue
        text = data.decode("utf-8")
        if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", name):
            text = text.replace("${{", "")  # GitHub expressions are meant to stay
        leftovers += [
            f"{name}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), 1)
            if JINJA.search(line)
        ]
    assert leftovers == []


@each_combination
def test_ruff_passes(combination):
    _, project = combination
    ruff = VENV_BIN / "ruff"
    run([ruff, "check", "--no-cache", "."], project)
    run([ruff, "format", "--check", "--no-cache", "."], project)


def test_mypy_passes_with_the_locked_version(baked):
    """`make lint`'s type check. The package holds no Jinja, so one bake checks it for every
    combination. The cache sits beside the virtualenv whose packages it describes: only the
    first run after an install reads numpy, pydantic and the standard library (about 20 s)."""
    project = baked()
    mypy = VENV_BIN / "mypy"
    constraints = (project / "constraints.txt").read_text()
    (locked,) = re.findall(r"^mypy==(\S+)$", constraints, re.MULTILINE)
    assert run([mypy, "--version"], project).stdout.split()[1] == locked
    run([mypy, "--cache-dir", VENV_BIN.parent / "mypy-cache"], project)


# The default (binary) project's suite already runs under act: ci.yml's Test step in
# test_smoke_workflow and pr.yml's "Lint and test" job in test_pr_workflow.
@pytest.mark.parametrize(
    "combination",
    [name for task, name in FIRST_WITH_TASK.items() if task != TASKS[0]],
    indirect=True,
)
def test_generated_test_suite_passes(combination, project_copy):
    _, project = combination
    copy = project_copy(project)
    env = dict(os.environ, PYTHONPATH=str(copy / "src"))
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        copy,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\d+ passed", result.stdout), result.stdout
    # This task's one run of the generated suite's engine tests (WITHOUT_ENGINE_TESTS).
    assert not ENGINE_TESTS_LEFT_OUT.search(result.stdout), result.stdout


WORKFLOW_SETTING = re.compile(r"\$\{\{[^}]*?\b(secrets|vars)\.([A-Za-z0-9_]+)")
README_SETTING_ROW = re.compile(r"^\| ([^|]+) \| (secret|variable) \|", re.MULTILINE)


@each_combination
def test_readme_table_names_exactly_the_secrets_and_variables_the_workflows_read(combination):
    _, project = combination
    kinds = {"secrets": "secret", "vars": "variable"}
    read = {
        (kinds[kind], name)
        for path in (project / ".github" / "workflows").glob("*.yml")
        for kind, name in WORKFLOW_SETTING.findall(path.read_text())
        if name != "GITHUB_TOKEN"  # GitHub's own, never set by hand
    }
    listed = {
        (kind, name.strip(" `"))
        for names, kind in README_SETTING_ROW.findall((project / "README.md").read_text())
        for name in names.split(",")
    }
    assert read == listed
    assert ("secret", "REPO_TOKEN") in read


def test_the_cruft_record_names_the_template_commit_and_every_answer(baked):
    project = baked()
    state = json.loads((project / ".cruft.json").read_text())
    head = run(["git", "rev-parse", "HEAD"], TEMPLATE).stdout.strip()
    assert state["template"] == str(TEMPLATE) and state["commit"] == head
    answers = state["context"]["cookiecutter"]
    assert set(DEFAULTS) - {"__prompts__"} <= set(answers)
    assert answers["_commit"] == head and not {"_output_dir", "_repo_dir"} & set(answers)
    assert ".cruft.json" in run(["git", "ls-files"], project).stdout  # in the first commit


@each_combination
def test_git_has_one_clean_commit_on_main(combination):
    _, project = combination
    assert run(["git", "branch", "--show-current"], project).stdout.strip() == "main"
    assert run(["git", "rev-list", "--count", "--all"], project).stdout.strip() == "1"
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout
    assert status == ""


@each_combination
def test_git_author_is_the_answered_author(combination):
    answers, project = combination
    author = run(["git", "log", "-1", "--format=%an <%ae>"], project).stdout.strip()
    assert author == f"{answers['author_name']} <{answers['author_email']}>"


@each_combination
def test_dvc_remote_is_the_answered_url(combination):
    answers, project = combination
    config = ConfigObj(str(project / ".dvc/config"))  # the format DVC reads and writes
    assert config["core"]["remote"] == "storage"
    assert [name for name in config if name.startswith("remote ")] == ['remote "storage"']
    url = config['remote "storage"']["url"]
    assert url == answers["dvc_remote_url"]
    if answers["dvc_remote"] == "local":
        assert Path(url).is_absolute()


@each_combination
def test_demo_data_is_tracked_by_dvc(combination):
    _, project = combination
    pointer = yaml.safe_load((project / "data/raw/demo.csv.dvc").read_text())
    [out] = pointer["outs"]
    assert out["path"] == "demo.csv"
    assert out["md5"] == md5(project / "data/raw/demo.csv")
    assert "/demo.csv" in (project / "data/raw/.gitignore").read_text().splitlines()
    cached = project / ".dvc/cache/files/md5" / out["md5"][:2] / out["md5"][2:]
    assert cached.is_file()


@with_local_remote
def test_local_remote_holds_the_demo_data(combination, project_copy):
    answers, project = combination
    out = yaml.safe_load((project / "data/raw/demo.csv.dvc").read_text())["outs"][0]
    stored = Path(answers["dvc_remote_url"]) / "files/md5" / out["md5"][:2] / out["md5"][2:]
    assert stored.is_file()
    copy = project_copy(project)
    assert dvc("status", "--cloud", "--json", cwd=copy).stdout.strip() == "{}"


@each_combination
def test_pyproject_follows_the_answers(combination):
    answers, project = combination
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    version = answers["python_version"]
    assert pyproject["project"]["requires-python"] == f">={version}"
    assert pyproject["tool"]["ruff"]["target-version"] == f"py{version.replace('.', '')}"
    assert (project / ".python-version").read_text().strip() == version
    assert pyproject["project"]["name"] == answers["project_slug"]
    [dvc_requirement] = [
        Requirement(spec)
        for spec in pyproject["project"]["dependencies"]
        if Requirement(spec).name == "dvc"
    ]
    extras = set() if answers["dvc_remote"] == "local" else {answers["dvc_remote"]}
    assert dvc_requirement.extras == extras
    if answers["license"] == "Proprietary":
        assert "license" not in pyproject["project"]
    else:
        assert pyproject["project"]["license"] == answers["license"]


@each_combination
def test_license_matches_the_choice(combination):
    answers, project = combination
    license_file = project / "LICENSE"
    if answers["license"] == "Proprietary":
        assert not license_file.exists()
        assert not (project / "licenses").exists()
        return
    text = license_file.read_text()
    for marker in LICENSE_MARKERS[answers["license"]]:
        assert marker in text
    for other, markers in LICENSE_MARKERS.items():
        if other != answers["license"]:
            assert markers[1] not in text
    if answers["license"] in COPYRIGHT_LINE:
        year = datetime.now(UTC).year
        author = re.escape(answers["author_name"])
        assert re.search(rf"^Copyright \(c\) {year},? {author}$", text, re.MULTILINE), text[:200]
    assert not (project / "licenses").exists()


@each_combination
def test_params_follow_the_answers(combination):
    answers, project = combination
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["task"] == answers["task"]
    assert params["gate"]["metric"] == answers["primary_metric"]
    assert params["gate"]["threshold"] == float(answers["gate_threshold"])


def test_default_local_remote_lands_in_home_as_an_absolute_folder(tmp_path, monkeypatch):
    """The untouched default `~/.dvc-remotes/<slug>` is expanded, created and pushed to."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    project = bake(tmp_path / "out")
    remote = home / ".dvc-remotes" / "customer-churn"
    config = ConfigObj(str(project / ".dvc/config"))
    assert config['remote "storage"']["url"] == str(remote)
    out = yaml.safe_load((project / "data/raw/demo.csv.dvc").read_text())["outs"][0]
    assert (remote / "files/md5" / out["md5"][:2] / out["md5"][2:]).is_file()


def test_make_lock_relocks_the_constraints_with_uv(baked, project_copy):
    """`make lock` resolves the project's own dependencies again (network: PyPI) and writes a
    universal lock whose header names the command; `make setup` installs from it."""
    project = project_copy(baked())
    result = run(["make", "lock"], project, check=False, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    lock = (project / "constraints.txt").read_text()
    assert "#    make lock" in lock.splitlines()[1]
    for package in ("dvc==", "gto==", "pydantic==", "scikit-learn==", "pytest=="):
        assert f"\n{package}" in lock, package
