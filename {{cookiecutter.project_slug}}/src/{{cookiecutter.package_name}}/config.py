"""Where things are, and reading params.yaml: one place for paths every stage shares."""

from pathlib import Path

import yaml

from .errors import ProjectError

PARAMS = Path("params.yaml")
SCHEMA = Path("schema.yaml")
VALIDATED = Path("data/validated.parquet")
VALIDATION_REPORT = Path("reports/validation.json")
TRAIN_SPLIT = Path("data/split/train.parquet")
TEST_SPLIT = Path("data/split/test.parquet")
MODEL = Path("models/model.joblib")
MODEL_METADATA = Path("models/model.json")
PROFILE = Path("models/profile.json")
METRICS = Path("metrics.json")
PLOTS = Path("plots")

TASKS = ("binary_classification", "multiclass_classification", "regression")
CLASSIFICATION_TASKS = ("binary_classification", "multiclass_classification")


def load_params(path=PARAMS):
    try:
        with Path(path).open(encoding="utf-8") as handle:
            params = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ProjectError(
            f"{path} not found", "run the command from the project's root folder"
        ) from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{path} is not valid YAML: {error}", f"correct {path}") from None
    if not isinstance(params, dict):
        raise ProjectError(f"{path} must hold a mapping of settings", f"correct {path}")
    return params


def setting(params, dotted_key):
    """`setting(params, "split.seed")` is params["split"]["seed"], or an error naming the key."""
    value = params
    for key in dotted_key.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ProjectError(
                f"{PARAMS} has no setting `{dotted_key}`",
                f"add `{dotted_key}` to {PARAMS} (a freshly generated project shows every setting)",
            )
        value = value[key]
    return value


def task_of(params):
    task = setting(params, "task")
    if task not in TASKS:
        raise ProjectError(
            f"task {task!r} in {PARAMS} is unknown", f"use one of {', '.join(TASKS)}"
        )
    return task
