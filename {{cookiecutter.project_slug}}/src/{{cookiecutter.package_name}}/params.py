"""params.yaml, typed: every setting's name, type, range and default live here, once.

Field names are exactly the keys of params.yaml, so a message names a setting as the user
writes it (`drift.min_effect.wasserstein`). An unknown or misspelt key is refused with the
nearest valid one; nothing falls back silently.
"""

import datetime
import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import paths
from .errors import ProjectError
from .tasks import METRICS

Task = Literal["binary_classification", "multiclass_classification", "regression"]
Family = Literal["logistic", "linear", "random_forest", "hist_gradient_boosting"]
Engine = Literal["pyarrow", "duckdb", "spark"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(Section):
    raw: str = str(paths.DEMO_DATA)


class SplitParams(Section):
    test_size: float = Field(0.2, gt=0, lt=1)
    seed: int = 42


class ModelParams(Section):
    family: Family = "hist_gradient_boosting"
    seed: int = 42
    # Passed to the estimator as they are; the estimator's own parameter names are checked
    # when the model is built (pipeline/features.py), against the estimator chosen.
    hyperparameters: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def hyperparameters_of(self, family: str | None = None) -> dict[str, Any]:
        return dict(self.hyperparameters.get(family or self.family) or {})


class GateParams(Section):
    metric: str
    # Minimum for scores, maximum for errors (rmse, mae, log_loss).
    threshold: float = Field(allow_inf_nan=False)
    # How much worse than the production model (absolute) a candidate may be.
    tolerance: float = Field(0.01, ge=0, allow_inf_nan=False)


class CiParams(Section):
    push_outputs: bool = False


class ProfileParams(Section):
    quantiles: int = Field(1000, ge=2)
    chunk_rows: int = Field(100_000, ge=1)


class MinEffect(Section):
    wasserstein: float = Field(0.02, ge=0, le=1)
    jensen_shannon: float = Field(0.02, ge=0, le=1)


class Simulation(Section):
    start: str = "2026-01-01"
    per_day: float = Field(0.02, ge=0, allow_inf_nan=False)
    max: float = Field(1.5, ge=0, allow_inf_nan=False)
    rows: int = Field(2000, ge=1)

    @field_validator("start", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        # YAML reads an unquoted 2026-01-01 as a date.
        return value.isoformat() if isinstance(value, datetime.date) else value


class Window(Section):
    policy: Literal["replace", "append", "last_n"] = "append"
    batches: int = Field(4, ge=1)


class DriftParams(Section):
    source: str = Field("data/current/{date}.parquet", min_length=1)
    format: Literal["auto", "csv", "parquet"] = "auto"
    chunk_rows: int = Field(200_000, ge=1)
    min_rows: int = Field(200, ge=1)
    alpha: float = Field(0.05, gt=0, le=1)  # chance of any false alarm per check
    correction: Literal["bonferroni", "benjamini-hochberg"] = "bonferroni"
    min_effect: MinEffect = MinEffect()
    max_null_rate_change: float = Field(0.05, ge=0, le=1)
    drifted_share: float = Field(0.1, gt=0, le=1)
    max_metric_decay: float = Field(0.05, ge=0, allow_inf_nan=False)
    # Labels that arrive later ({date} filled in), joined to the current data for the decay
    # check by the schema's ids or the prediction log's request_id; None: no labels.
    labels: str | None = Field(None, min_length=1)
    output_dir: str = "reports/drift"
    simulate: bool = False
    simulation: Simulation = Simulation()
    retrain_on_drift: bool = False
    window: Window = Window()


class ScoreParams(Section):
    # Batch scoring (`predict`, score.yml): {date} is the run's date, {version} the model's.
    source: str = Field("data/score/{date}.csv", min_length=1)
    destination: str = Field("predictions/{date}/{version}.parquet", min_length=1)
    chunk_rows: int = Field(200_000, ge=1)


class ServeParams(Section):
    # `serve`: the HTTP service. --follow polls origin's stage tags every poll_seconds.
    poll_seconds: float = Field(30.0, gt=0)
    # Every prediction is appended off the request path to Parquet files under `log` (a folder
    # or object-store prefix), one file per flush in a date=YYYY-MM-DD folder.
    log: str = Field("predictions/log", min_length=1)
    log_flush_rows: int = Field(1000, ge=1)
    log_flush_seconds: float = Field(10.0, gt=0)
    # `release latency` refuses a release whose p99 at concurrency 8 exceeds this; None: no gate.
    max_p99_ms: float | None = Field(None, gt=0)


class ReleaseParams(Section):
    # The next version when a merge changes the model; auto: schema -> major, model params or
    # training data -> minor, code only -> patch.
    bump: Literal["auto", "major", "minor", "patch"] = "auto"


class OpsParams(Section):
    # `ops report`: a production version replaced by a patch version (a fix) within this many
    # days counts as a failed change, like a rollback.
    hotfix_days: float = Field(7.0, ge=0)


class DuckdbParams(Section):
    # None: DuckDB's own defaults (every core; 80% of the machine's memory, spilling beyond).
    threads: int | None = Field(None, ge=1)
    memory_limit: str | None = Field(None, min_length=1)  # e.g. "2GB"


class SparkParams(Section):
    # local[*] runs Spark inside this process's JVM; a cluster's master URL (spark://, yarn,
    # k8s://) or a Spark Connect URL (sc://host:15002; SPARK_REMOTE in the environment wins)
    # runs it there. `config` is passed to the session as it is (spark.executor.memory, ...).
    master: str = Field("local[*]", min_length=1)
    remote: str | None = Field(None, pattern=r"^sc://")
    config: dict[str, str] = Field(default_factory=dict)


class Params(Section):
    task: Task
    # What reads and counts the data in the data stages and drift checks (engines/): pyarrow
    # in this process, DuckDB (embedded, out of core) or Spark. Results are identical.
    engine: Engine = "pyarrow"
    duckdb: DuckdbParams = DuckdbParams()
    spark: SparkParams = SparkParams()
    data: DataParams = DataParams()
    split: SplitParams = SplitParams()
    model: ModelParams = ModelParams()
    gate: GateParams
    ci: CiParams = CiParams()
    profile: ProfileParams = ProfileParams()
    drift: DriftParams = DriftParams()
    release: ReleaseParams = ReleaseParams()
    score: ScoreParams = ScoreParams()
    serve: ServeParams = ServeParams()
    ops: OpsParams = OpsParams()

    def model_post_init(self, _context: Any) -> None:
        allowed = METRICS[self.task]
        if self.gate.metric not in allowed:
            raise ProjectError(
                f"gate.metric {self.gate.metric!r} in {paths.PARAMS} is not a metric of task "
                f"{self.task}",
                f"use one of {', '.join(allowed)}",
            )


def load_params(path: str | Path = paths.PARAMS) -> Params:
    """params.yaml as `Params`; a ProjectError naming the key and the fix otherwise."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(
            f"{path} not found", "run the command from the project's root folder"
        ) from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{path} is not valid YAML: {error}", f"correct {path}") from None
    return parse_params(document, path)


def parse_params(document: object, source: str | Path = paths.PARAMS) -> Params:
    if not isinstance(document, dict):
        raise ProjectError(f"{source} must hold a mapping of settings", f"correct {source}")
    try:
        return Params(**document)
    except ValidationError as error:
        raise ProjectError(*_explain(error.errors()[0], source)) from None


def _explain(problem: Mapping[str, Any], source: str | Path) -> tuple[str, str]:
    """(problem, fix) for pydantic's first error, with the key as params.yaml spells it."""
    location = [str(part) for part in problem["loc"]]
    key = ".".join(location)
    if problem["type"] == "extra_forbidden":
        valid = _valid_keys(location[:-1])
        near = difflib.get_close_matches(location[-1], valid, n=1)
        hint = f"did you mean `{'.'.join([*location[:-1], near[0]])}`? " if near else ""
        return (
            f"{source} sets an unknown setting `{key}`",
            f"{hint}valid keys here: {', '.join(valid)}",
        )
    if problem["type"] == "missing":
        return f"{source} has no setting `{key}`", f"add `{key}` to {source}"
    value = problem.get("input")
    return (
        f"{source}: `{key}` is {value!r}, {problem['msg'].lower()}",
        f"correct `{key}` in {source} (a freshly generated project shows every setting)",
    )


def _valid_keys(location: list[str]) -> list[str]:
    model: type[BaseModel] = Params
    for part in location:
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
