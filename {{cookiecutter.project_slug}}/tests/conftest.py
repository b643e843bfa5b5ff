"""Shared fixtures: the demo's data and settings, the project's own, and throwaway projects.

Tests never depend on the folder pytest starts in: files are found relative to this one, and
anything a stage writes goes to a tmp folder the test changes into.
"""

import copy
import importlib.util
import os
from pathlib import Path

# DVC binds its log handlers to sys.stdout and sys.stderr when first imported. Imported here,
# at collection, they hold pytest's session-wide streams; imported first inside a test that
# uses capsys (the bootstrap's tests), they would hold that test's streams, closed after it.
import dvc  # noqa: F401
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import demo_data, paths
from {{ cookiecutter.package_name }}.contract.schema import load_schema, parse_schema
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import ModelParams, SparkParams, load_params, parse_params
from {{ cookiecutter.package_name }}.pipeline.features import limited_threads

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Set in workflow jobs; the tests must not see them.
WORKFLOW_VARIABLES = ("CI", "GH_TOKEN", "REPO_TOKEN", "REPO_TOKEN_SET")
# Read before `not_in_a_workflow` hides it: tests of the model fail in CI rather than skip.
IN_CI = bool(os.environ.get("CI"))
# The `spark` fixture's session: both cores, and two shuffle partitions rather than 200 tasks
# for each small aggregation.
SPARK_SETTINGS = SparkParams(master="local[2]", config={"spark.sql.shuffle.partitions": "2"})
TASKS = ("binary_classification", "multiclass_classification", "regression")
# Two kinds of tests. Tests of code build their own project: the demo data, the demo's
# contract and settings below, for the project's task; they never read schema.yaml or the
# data settings of params.yaml, which `schema infer` rewrites for the user's own data. Tests
# of the model (test_model_quality.py) use the project's current schema.yaml, params.yaml
# and data, whatever they are.
DEMO_FEATURES = {
    "customer_age": {"dtype": "integer", "nullable": False, "min": 18, "max": 100},
    "tenure_months": {"dtype": "integer", "nullable": False, "min": 0, "max": 120},
    "monthly_charges": {"dtype": "float", "nullable": False, "min": 0.0, "max": 500.0},
    "support_calls": {"dtype": "integer", "nullable": False, "min": 0, "max": 50},
    "data_usage_gb": {"dtype": "float", "nullable": True, "min": 0.0, "max": 1000.0},
    "contract": {
        "dtype": "category",
        "nullable": False,
        "categories": ["month-to-month", "one-year", "two-year"],
    },
    "payment_method": {
        "dtype": "category",
        "nullable": True,
        "categories": ["bank-transfer", "card", "electronic-check", "mailed-check"],
    },
    "region": {
        "dtype": "category",
        "nullable": False,
        "categories": ["east", "north", "south", "west"],
    },
}
# The demo target's contract per task.
DEMO_TARGETS = {
    "binary_classification": {"dtype": "integer", "nullable": False, "categories": [0, 1]},
    "multiclass_classification": {
        "dtype": "category",
        "nullable": False,
        "categories": ["basic", "premium", "standard"],
    },
    "regression": {"dtype": "float", "nullable": False, "min": 0.0, "max": 2000.0},
}
# The gate a freshly generated project ships with, which the demo model meets.
DEMO_GATES = {
    "binary_classification": {"metric": "roc_auc", "threshold": 0.75, "tolerance": 0.01},
    "multiclass_classification": {"metric": "f1_macro", "threshold": 0.6, "tolerance": 0.01},
    "regression": {"metric": "rmse", "threshold": 25.0, "tolerance": 0.01},
}
DEMO_HYPERPARAMETERS = {
    "logistic": {"C": 1.0, "max_iter": 1000},
    "linear": {"alpha": 1.0},
    "random_forest": {"n_estimators": 200, "max_depth": 12, "min_samples_leaf": 2},
    "hist_gradient_boosting": {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 15},
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


def demo_schema_document(task):
    """schema.yaml for the demo dataset and `task`, as a mapping."""
    target = demo_data.TARGET_BY_TASK[task]
    document = {"target": target, "columns": {**DEMO_FEATURES, target: DEMO_TARGETS[task]}}
    if task == "binary_classification":
        document["positive_label"] = 1
    return copy.deepcopy(document)


def demo_schema(task):
    """The demo dataset's Schema for any task, whatever data this project was made for."""
    return parse_schema(demo_schema_document(task))


def demo_params_document(task, simulate=True):
    """params.yaml for the demo dataset and `task`, as a mapping: a freshly generated
    project's settings (the demo's drift simulation on, unless `simulate` is false)."""
    return {
        "task": task,
        "data": {"raw": paths.DEMO_DATA.as_posix()},
        "split": {"test_size": 0.2, "seed": 42},
        "model": {
            "family": "hist_gradient_boosting",
            "seed": 42,
            "hyperparameters": copy.deepcopy(DEMO_HYPERPARAMETERS),
        },
        "gate": dict(DEMO_GATES[task]),
        "drift": {"simulate": simulate, "simulation": {"start": "2026-01-01"}},
    }


def demo_params(task, simulate=True):
    return parse_params(demo_params_document(task, simulate))


def demo_frame(task, n_rows=400, seed=0):
    """Demo rows as a typed frame, as the validate stage would write them."""
    return pd.DataFrame(list(demo_data.generate_rows(task, n_rows, seed)))


def model_params(family, seed=0):
    return ModelParams(family=family, seed=seed, hyperparameters=FAST_HYPERPARAMETERS)


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
    """The project's current params.yaml: for tests of the model and of params.yaml itself."""
    return load_params(PROJECT_ROOT / "params.yaml")


@pytest.fixture(scope="session")
def spark(project_params):
    """One Spark session (one JVM, SPARK_SETTINGS) per test process, for the Spark engine's
    tests. Without Java they skip on a laptop but fail in CI once pyspark is installed; without
    pyspark they fail in CI only when params.yaml's engine is spark, as `make setup` installs
    only that engine's extra."""
    from {{ cookiecutter.package_name }}.engines.spark import spark_session

    try:
        session = spark_session(SPARK_SETTINGS)
    except ProjectError as error:
        installed = importlib.util.find_spec("pyspark") is not None
        if IN_CI and (installed or project_params.engine == "spark"):
            pytest.fail(f"CI must run the Spark engine's tests: {error}")
        pytest.skip(str(error))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def task(project_params):
    """The project's task: tests of code run the demo for it (the demo has every task)."""
    return project_params.task


@pytest.fixture(scope="session")
def params(task):
    """The demo's settings for the project's task, as `new_workspace` writes them."""
    return demo_params(task)


@pytest.fixture(scope="session")
def schema(task):
    """The demo's contract for the project's task, as `new_workspace` writes it."""
    return demo_schema(task)


@pytest.fixture(scope="session")
def project_schema():
    """The project's current schema.yaml: for tests of the model."""
    return load_schema(PROJECT_ROOT / "schema.yaml")


def new_workspace(folder, task=None, simulate=True):
    """A project folder without data, set up for the demo: a schema.yaml and params.yaml for
    the demo dataset and `task` (the project's by default), not copies of the project's."""
    task = task or load_params(PROJECT_ROOT / "params.yaml").task
    folder.mkdir(parents=True, exist_ok=True)
    header = "# Every knob of the pipeline, for the demo data (written by tests/conftest.py).\n"
    params_text = yaml.safe_dump(demo_params_document(task, simulate), sort_keys=False)
    (folder / "params.yaml").write_text(header + params_text, encoding="utf-8")
    schema_text = yaml.safe_dump(demo_schema_document(task), sort_keys=False)
    (folder / "schema.yaml").write_text(schema_text, encoding="utf-8")
    return folder


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A throwaway project folder, made the current directory for the test."""
    folder = new_workspace(tmp_path / "project")
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def raw_csv(workspace, params, task):
    """The demo dataset (400 rows) where the workspace's params.yaml expects it."""
    return demo_data.write_csv(workspace / params.data.raw, task, n_rows=400)


@pytest.fixture(scope="session")
def trained_project(tmp_path_factory):
    """A project that ran every stage on the full demo dataset with the demo's settings.

    Built once per session; treat it as read-only.
    """
    from {{ cookiecutter.package_name }}.contract.validate import validate_file
    from {{ cookiecutter.package_name }}.pipeline.evaluate import evaluate_file
    from {{ cookiecutter.package_name }}.pipeline.profile import profile_file
    from {{ cookiecutter.package_name }}.pipeline.split import split_file
    from {{ cookiecutter.package_name }}.pipeline.train import train_file

    folder = new_workspace(tmp_path_factory.mktemp("trained") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        params = load_params()
        demo_data.write_csv(params.data.raw, params.task)
        validate_file(params.data.raw, paths.SCHEMA, paths.VALIDATED, paths.VALIDATION_REPORT)
        for stage in (split_file, train_file, evaluate_file, profile_file):
            stage(params)
    return folder
