"""Shared fixtures: this project's settings, demo data, and throwaway projects in tmp folders.

Tests never depend on the folder pytest starts in: files are found relative to this one, and
anything a stage writes goes to a tmp folder the test changes into.
"""

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import demo_data
from {{ cookiecutter.package_name }}.features import limited_threads
from {{ cookiecutter.package_name }}.schema import load_schema, parse_schema

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Set in workflow jobs; the tests must not see them.
WORKFLOW_VARIABLES = ("CI", "GH_TOKEN", "REPO_TOKEN", "REPO_TOKEN_SET")
TASKS = ("binary_classification", "multiclass_classification", "regression")
# The demo target's contract per task; the features' contract comes from schema.yaml, which
# describes the same customer columns for every task.
DEMO_TARGETS = {
    "binary_classification": {"dtype": "integer", "nullable": False, "categories": [0, 1]},
    "multiclass_classification": {
        "dtype": "category",
        "nullable": False,
        "categories": ["basic", "premium", "standard"],
    },
    "regression": {"dtype": "float", "nullable": False, "min": 0.0, "max": 2000.0},
}
# Small, fast models for tests that train many times; the real settings live in params.yaml.
FAST_HYPERPARAMETERS = {
    "logistic": {"max_iter": 500},
    "linear": {"alpha": 1.0},
    "random_forest": {"n_estimators": 20, "max_depth": 6},
    "hist_gradient_boosting": {"max_iter": 30},
}


def read_yaml(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def demo_schema(task):
    """The demo dataset's Schema for any task, whatever task this project was made for."""
    document = read_yaml(PROJECT_ROOT / "schema.yaml")
    features = {
        name: spec
        for name, spec in document["columns"].items()
        if name not in demo_data.TARGET_BY_TASK.values()
    }
    target = demo_data.TARGET_BY_TASK[task]
    schema = {"target": target, "columns": {**features, target: DEMO_TARGETS[task]}}
    if task == "binary_classification":
        schema["positive_label"] = 1
    return parse_schema(schema)


def demo_frame(task, n_rows=400, seed=0):
    """Demo rows as a typed frame, as the validate stage would write them."""
    return pd.DataFrame(list(demo_data.generate_rows(task, n_rows, seed)))


def model_params(family, seed=0):
    return {"family": family, "seed": seed, "hyperparameters": FAST_HYPERPARAMETERS}


@pytest.fixture(scope="session", autouse=True)
def not_in_a_workflow():
    """The same results inside a GitHub Actions job as on a laptop: no run URLs, step summaries,
    outputs or tokens leak into what the tests check."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(("GITHUB_", "RUNNER_", "ACTIONS_")) or name in WORKFLOW_VARIABLES:
                patch.delenv(name)
        yield


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_test():
    """Tests fit models directly too: cap threads as the stages do (see limited_threads)."""
    with limited_threads():
        yield


@pytest.fixture(scope="session")
def project_params():
    return read_yaml(PROJECT_ROOT / "params.yaml")


@pytest.fixture(scope="session")
def task(project_params):
    return project_params["task"]


@pytest.fixture(scope="session")
def schema():
    return load_schema(PROJECT_ROOT / "schema.yaml")


def new_workspace(folder):
    """A project folder without data: params.yaml and schema.yaml copied from this project."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("params.yaml", "schema.yaml"):
        shutil.copy(PROJECT_ROOT / name, folder / name)
    return folder


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A throwaway project folder, made the current directory for the test."""
    folder = new_workspace(tmp_path / "project")
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def raw_csv(workspace, project_params, task):
    """The demo dataset (400 rows) where params.yaml's data.raw expects it."""
    return demo_data.write_csv(workspace / project_params["data"]["raw"], task, n_rows=400)


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory):
    """A project that ran every stage on the full demo dataset with the real settings.

    Built once per session; treat it as read-only.
    """
    from {{ cookiecutter.package_name }} import config
    from {{ cookiecutter.package_name }}.evaluate import evaluate_file
    from {{ cookiecutter.package_name }}.profile import profile_file
    from {{ cookiecutter.package_name }}.split import split_file
    from {{ cookiecutter.package_name }}.train import train_file
    from {{ cookiecutter.package_name }}.validate import validate_file

    folder = new_workspace(tmp_path_factory.mktemp("trained") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        params = config.load_params()
        demo_data.write_csv(params["data"]["raw"], params["task"])
        validate_file(
            params["data"]["raw"], config.SCHEMA, config.VALIDATED, config.VALIDATION_REPORT
        )
        for stage in (split_file, train_file, evaluate_file, profile_file):
            stage(params)
    return folder
