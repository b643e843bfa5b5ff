"""The drift check command: reference + current data -> statistics -> reports -> exit status.

The reference is a folder holding the production model's `profile.json`, `model.joblib` and
`metrics.json` (`drift reference` fills it from the registry, or from the workspace when no
model is in production yet), so a check needs neither the training data nor a retrain.
Exit status: 0 no drift, 1 drift, 3 could not check (with a message naming the cause).
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .drift import CouldNotCheck, DriftSettings, PerformanceDecay, compare, summarize_batches
from .drift_report import run_url, today, write_reports
from .drift_source import ContractTally, read_batches, resolve
from .errors import ProjectError
from .metrics import HIGHER_IS_BETTER, compute_metrics
from .remote import first_error_line, run_dvc
from .schema import load_schema

REFERENCE_FILES = ("profile.json", "model.joblib", "metrics.json")
WORKSPACE_REFERENCE = {
    "profile.json": config.PROFILE,
    "model.joblib": config.MODEL,
    "metrics.json": config.METRICS,
}
EXIT_CODES = {"no_drift": 0, "drift": 1, "could_not_check": CouldNotCheck.exit_code}


class DriftDetected(ProjectError):
    """The check found drift (exit status 1); the reports say where."""

    exit_code = 1


def check_date(text):
    """An ISO date string, or a ProjectError."""
    try:
        return datetime.date.fromisoformat(str(text)).isoformat()
    except ValueError:
        raise ProjectError(f"{text!r} is not a date", "give it as YYYY-MM-DD") from None


# --- the reference ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    profile: dict
    model: object
    metrics: dict
    description: str


def load_reference(folder=None):
    """The reference from `folder` (profile.json, model.joblib, metrics.json, version.json),
    or from the workspace's pipeline outputs without one."""
    import joblib

    paths = (
        {name: Path(folder) / name for name in REFERENCE_FILES}
        if folder
        else dict(WORKSPACE_REFERENCE)
    )
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        fix = (
            f"run `python -m {__package__} drift reference --output-dir {folder}`"
            if folder
            else "run `dvc pull` (or `dvc repro`) so the pipeline's outputs are here"
        )
        raise CouldNotCheck(f"the reference lacks {', '.join(missing)}", fix)
    try:
        profile = json.loads(paths["profile.json"].read_text(encoding="utf-8"))
        metrics = json.loads(paths["metrics.json"].read_text(encoding="utf-8"))
        model = joblib.load(paths["model.joblib"])
    except (OSError, ValueError, EOFError) as error:
        raise CouldNotCheck(
            f"the reference cannot be read: {error}", "fetch or reproduce it again"
        ) from None
    return Reference(profile, model, metrics, describe_reference(folder))


def describe_reference(folder):
    if not folder:
        return "the workspace's model and profile (`models/`, `metrics.json`)"
    version_file = Path(folder) / "version.json"
    version = {}
    if version_file.is_file():
        version = json.loads(version_file.read_text(encoding="utf-8"))
    if version.get("source") == "workspace":
        return (
            "the workspace's model and profile at commit "
            f"`{version.get('commit', '?')[:12]}`, because {version.get('note', '')}"
        )
    shown = ", ".join(f"{key} `{value}`" for key, value in version.items() if key != "source")
    return f"the production model ({shown or folder})"


def fetch_reference(output_dir, dvc=run_dvc):
    """Fill output_dir from the registry's production stage; without one, from the workspace
    (reproduced when `dvc pull` could not provide it), saying why in version.json."""
    folder = Path(output_dir)
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", __package__, "registry", "fetch", "--stage", "production"]
    result = subprocess.run(
        [*command, "--output-dir", str(folder)], capture_output=True, text=True, check=False
    )
    if result.returncode == 0 and all((folder / name).is_file() for name in REFERENCE_FILES):
        print(result.stdout.strip() or f"fetched the production model into {folder}")
        return "production"
    reason = first_error_line(result.stderr + result.stdout)
    print(f"no production model to compare with ({reason}): using the workspace's")
    if not all(path.is_file() for path in WORKSPACE_REFERENCE.values()):
        code, output = dvc("repro", "evaluate", "profile")
        print(output)
        if code != 0:
            raise CouldNotCheck(
                f"no reference: no production model, and `dvc repro` failed "
                f"({first_error_line(output)})",
                "release a model (see README.md), or fix the pipeline",
            )
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in WORKSPACE_REFERENCE.items():
        shutil.copy(path, folder / name)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    note = f"no model is in production yet ({reason})"
    version = {"source": "workspace", "commit": commit, "note": note}
    (folder / "version.json").write_text(json.dumps(version, indent=2) + "\n", encoding="utf-8")
    return "workspace"


# --- predictions and performance ----------------------------------------------------------------


class PerformanceTracker:
    """Predicts chunk by chunk for the prediction-drift test, and, when the chunks carry the
    target, keeps the target and the model's scores (one or a few numbers per row, never the
    rows) for the metrics at the end."""

    def __init__(self, model, schema, task):
        self.model, self.schema, self.task = model, schema, task
        self.targets, self.predictions, self.probabilities = [], [], []

    def features(self, frame):
        # Integers arrive as nullable Int64; the model was fitted on plain numbers.
        return frame[self.schema.features].apply(
            lambda values: values.astype("float64") if values.dtype == "Int64" else values
        )

    def predict(self, frame):
        features = self.features(frame)
        predictions = self.model.predict(features)
        if self.schema.target in frame.columns:
            self.targets.append(frame[self.schema.target].to_numpy())
            self.predictions.append(predictions)
            if self.task in config.CLASSIFICATION_TASKS:
                self.probabilities.append(self.model.predict_proba(features))
        return predictions

    def decay(self, release_metrics, metric, max_decay):
        """PerformanceDecay of `metric`, or None when the data had no target."""
        if not self.targets:
            return None
        y_true = np.concatenate(self.targets)
        y_pred = np.concatenate(self.predictions)
        if self.task == "regression":
            current = compute_metrics(self.task, y_true.astype(float), y_pred)
        else:
            classes = list(self.model.classes_)
            y_true = pd.Series(y_true).astype(type(classes[0])).to_numpy()
            positive = self.schema.positive_label
            positive = positive if positive in classes else classes[-1]
            current = compute_metrics(
                self.task, y_true, y_pred, np.concatenate(self.probabilities), classes, positive
            )
        if metric not in current or metric not in release_metrics:
            return None
        release, now = float(release_metrics[metric]), float(current[metric])
        worse = (release - now) if HIGHER_IS_BETTER[metric] else (now - release)
        relative = worse / abs(release) if release else worse
        return PerformanceDecay(
            metric=metric,
            release=release,
            current=now,
            relative_decay=relative,
            decayed=relative > max_decay,
            metrics={
                name: {"release": release_metrics.get(name), "current": value}
                for name, value in current.items()
            },
        )


# --- the check ----------------------------------------------------------------------------------


def run_check(params, current=None, date=None, reference_dir=None, output_dir=None):
    """Check the current data; write drift.json, drift.md and drift.html; return the
    document (its "status" is no_drift, drift or could_not_check)."""
    settings = DriftSettings.from_params(params)
    date = check_date(date or today())
    source = current or settings.source
    document = {
        "status": "could_not_check",
        "date": date,
        "source": source.replace("{date}", date),
        "files": [],
        "reference": {"folder": str(reference_dir) if reference_dir else None},
        "problem": None,
        "fix": None,
        "contract": [],
        "result": None,
        "run_url": run_url(),
    }
    document["reference"]["description"] = describe_reference(reference_dir)
    tally = ContractTally()
    try:
        reference = load_reference(reference_dir)
        schema = load_schema(config.SCHEMA)
        files = resolve(source, date, settings.format)
        document["files"] = list(files.paths)
        tracker = PerformanceTracker(reference.model, schema, config.task_of(params))
        batches = read_batches(files, schema, settings.chunk_rows, tally)
        from .features import limited_threads

        with limited_threads():
            summary = summarize_batches(reference.profile, batches, predict=tracker.predict)
            if summary.rows < settings.min_rows:
                raise CouldNotCheck(
                    f"the current data has {summary.rows} rows, fewer than drift.min_rows "
                    f"({settings.min_rows})",
                    "wait for a complete batch, or lower drift.min_rows in params.yaml",
                )
            metric = config.setting(params, "gate.metric")
            performance = tracker.decay(reference.metrics, metric, settings.max_metric_decay)
        result = compare(reference.profile, summary, settings, performance)
        document.update(status=result.decision, result=result.to_dict())
    except CouldNotCheck as error:
        document.update(problem=error.problem, fix=error.fix)
        raise
    finally:
        document["contract"] = tally.as_list()
        write_reports(document, output_dir or settings.output_dir)
    return document


def exit_for(document, output_dir):
    """Print the outcome; raise DriftDetected on drift (exit 1)."""
    reports = f"{output_dir}/drift.json, drift.md and drift.html"
    if document["status"] == "drift":
        raise DriftDetected(
            "drift: " + "; ".join(document["result"]["reasons"]),
            f"read {reports}; retrain on current data or investigate the source",
        )
    print(f"no drift in {document['result']['current_rows']} current rows; reports: {reports}")


def exit_status(output_dir):
    """Exit as the last check did (the workflow's last step): 0, 1 (drift) or 3."""
    from .drift_report import read_document

    document = read_document(output_dir)
    if document is None:
        raise CouldNotCheck(
            f"no drift check result in {output_dir}", "see the earlier steps: the check did not run"
        )
    if document["status"] == "could_not_check":
        raise CouldNotCheck(document["problem"], document["fix"])
    exit_for(document, output_dir)


def write_github_output(status):
    """`status=<status>` for later workflow steps, when running in GitHub Actions."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(f"status={status}\n")


# --- the demo simulator -------------------------------------------------------------------------


def simulated_drift(settings, date):
    """How far the demo population has drifted on `date`: growing per day since the start."""
    days = (datetime.date.fromisoformat(date) - check_start(settings)).days
    return min(settings.simulation_max, settings.simulation_per_day * max(days, 0))


def check_start(settings):
    try:
        return datetime.date.fromisoformat(settings.simulation_start)
    except ValueError:
        raise ProjectError(
            f"drift.simulation.start in params.yaml is {settings.simulation_start!r}",
            "give the date the simulated drift starts from as YYYY-MM-DD",
        ) from None


def simulate_batch(params, date, output=None):
    """Write the demo's batch for `date` (deterministic per date) as Parquet; return its path."""
    from .demo_data import generate_rows

    settings = DriftSettings.from_params(params)
    date = check_date(date)
    if "://" in settings.source and output is None:
        raise ProjectError(f"drift.source {settings.source} is not a local path", "give --output")
    path = Path(output or settings.source.replace("{date}", date))
    drift = simulated_drift(settings, date)
    seed = int(date.replace("-", ""))
    rows = generate_rows(config.task_of(params), settings.simulation_rows, seed, drift)
    schema = load_schema(config.SCHEMA)
    frame = pd.DataFrame(list(rows))[list(schema.columns)]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    print(f"simulated {len(frame)} rows for {date} (drift {drift:.2f}): {path}")
    return path


def prepare(params, date, dvc=run_dvc):
    """Make the current data available: simulate it (demo), `dvc update` a DVC import, or
    nothing when drift.source is read directly."""
    settings = DriftSettings.from_params(params)
    if settings.simulate:
        return simulate_batch(params, date)
    source = settings.source.replace("{date}", check_date(date))
    if source.endswith(".dvc") and "://" not in source:
        code, output = dvc("update", source)
        print(output)
        if code != 0:
            raise CouldNotCheck(
                f"`dvc update {source}` failed: {first_error_line(output)}",
                "check that the import's source repository and path still exist",
            )
        return source
    print(f"drift.source {source} is read directly: nothing to prepare")
    return None
