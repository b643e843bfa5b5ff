"""The drift check command: reference + current data -> statistics -> reports -> exit status.

The reference is a folder holding the production model's `profile.json`, `model.joblib` and
`metrics.json` (`drift reference` fills it from the registry, or from the workspace when no
model is in production yet), so a check needs neither the training data nor a retrain.
Exit status: 0 no drift, 1 drift, 3 could not check (with a message naming the cause).
"""

import datetime
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import paths
from ..contract.schema import Schema, load_schema
from ..contract.stream import ContractTally, CurrentFiles
from ..edge.dvc import DvcRun, first_error_line, run_dvc
from ..edge.git import head_commit
from ..edge.github import run_url, set_output
from ..errors import (
    CHECK_FAILED,
    COULD_NOT_CHECK,
    OK,
    CouldNotCheck,
    DriftDetected,
    NoVersionInStage,
    ProjectError,
)
from ..params import Params
from .decision import compare
from .labels import load_labels
from .performance import PerformanceTracker
from .report import today, write_reports
from .source import read_batches, resolve
from .summary import CurrentSummary, summarize_batches

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

REFERENCE_FILES = ("profile.json", "model.joblib", "metrics.json")
WORKSPACE_REFERENCE = {
    "profile.json": paths.PROFILE,
    "model.joblib": paths.MODEL,
    "metrics.json": paths.METRICS,
}
EXIT_CODES = {"no_drift": OK, "drift": CHECK_FAILED, "could_not_check": COULD_NOT_CHECK}


def check_date(text: object) -> str:
    """An ISO date string, or a ProjectError."""
    try:
        return datetime.date.fromisoformat(str(text)).isoformat()
    except ValueError:
        raise ProjectError(f"{text!r} is not a date", "give it as YYYY-MM-DD") from None


# --- the reference ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    profile: dict[str, Any]
    model: "Pipeline"
    metrics: dict[str, Any]
    description: str
    source: str  # production | workspace: what the metrics are (release or test-split metrics)


def load_reference(folder: str | Path | None = None) -> Reference:
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
    return Reference(profile, model, metrics, *describe_reference(folder))


def describe_reference(folder: str | Path | None) -> tuple[str, str]:
    """(what the reference is, in words; "production" or "workspace")."""
    if not folder:
        return "the workspace's model and profile (`models/`, `metrics.json`)", "workspace"
    version_file = Path(folder) / "version.json"
    version: dict[str, Any] = {}
    if version_file.is_file():
        version = json.loads(version_file.read_text(encoding="utf-8"))
    if version.get("source") == "workspace":
        commit = version.get("commit", "")[:12]
        at = f" at commit `{commit}`" if commit else ""
        return f"the workspace's model and profile{at} ({version.get('note', '')})", "workspace"
    shown = ", ".join(f"{key} `{value}`" for key, value in version.items() if key != "source")
    return f"the production model ({shown or folder})", "production"


def fetch_reference(output_dir: str | Path, dvc: DvcRun = run_dvc) -> str:
    """Fill output_dir from the registry's production stage; without one, from the workspace
    (reproduced when `dvc pull` could not provide it), saying why in version.json."""
    from ..edge.dvc import use_credentials
    from ..release.fetch import fetch
    from ..release.registry import Registry

    use_credentials()  # secrets that arrive as text (a gs key, an ssh key) become files for DVC
    folder = Path(output_dir)
    shutil.rmtree(folder, ignore_errors=True)
    try:
        record = fetch(Registry(), folder, stage="production")
    except ProjectError as error:
        LOGGER.info(f"no production model to compare with ({error.problem}): using the workspace's")
        # Before a first release this is the normal state; any other failure (an unreadable
        # registry) is named in the reports, not passed off as "no model yet".
        note = (
            "no model is in production yet"
            if isinstance(error, NoVersionInStage)
            else f"the production model could not be fetched: {error.problem}"
        )
    else:
        LOGGER.info(f"fetched the production model {record['version']} into {folder}")
        return "production"
    if not all(path.is_file() for path in WORKSPACE_REFERENCE.values()):
        code, output = dvc("repro", "evaluate", "profile")
        LOGGER.info(output)
        if code != 0:
            raise CouldNotCheck(
                f"no reference: no production model, and `dvc repro` failed "
                f"({first_error_line(output)})",
                "release a model (see README.md), or fix the pipeline",
            )
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in WORKSPACE_REFERENCE.items():
        shutil.copy(path, folder / name)
    version = {"source": "workspace", "commit": head_commit() or "", "note": note}
    (folder / "version.json").write_text(json.dumps(version, indent=2) + "\n", encoding="utf-8")
    return "workspace"


# --- the check ----------------------------------------------------------------------------------


def new_document(date: str, source: str, reference_dir: str | Path | None) -> dict[str, Any]:
    """drift.json before the check: could_not_check until it says otherwise."""
    description, reference_source = describe_reference(reference_dir)
    return {
        "status": "could_not_check",
        "date": date,
        "source": source.replace("{date}", date),
        "files": [],
        "reference": {
            "folder": str(reference_dir) if reference_dir else None,
            "description": description,
            "source": reference_source,
        },
        "problem": None,
        "fix": None,
        "contract": [],
        "result": None,
        "run_url": run_url(),
    }


def run_check(
    params: Params,
    current: str | None = None,
    date: str | None = None,
    reference_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Check the current data; write drift.json, drift.md and drift.html; return the
    document (its "status" is no_drift, drift or could_not_check)."""
    settings = params.drift
    date = check_date(date or today())
    source = current or settings.source
    document = new_document(date, source, reference_dir)
    tally, counted = ContractTally(), False
    try:
        reference = load_reference(reference_dir)
        schema = load_schema(paths.SCHEMA)
        files = resolve(source, date, settings.format)
        document["files"] = list(files.paths)
        labels = load_labels(settings.labels, date, schema)
        tracker = PerformanceTracker(reference.model, schema, params.task, labels)
        keys = labels.keys if labels else ()
        from ..pipeline.features import limited_threads

        with limited_threads():
            summary = summarize(params, files, schema, reference.profile, tally, tracker, keys)
            counted = True
            if summary.rows < settings.min_rows:
                raise CouldNotCheck(
                    f"the current data has {summary.rows} rows, fewer than drift.min_rows "
                    f"({settings.min_rows})",
                    "wait for a complete batch, or lower drift.min_rows in params.yaml",
                )
            performance = tracker.decay(
                reference.metrics, params.gate.metric, settings.max_metric_decay
            )
        result = compare(reference.profile, summary, settings, performance, reference.source)
        document.update(status=result.decision, result=result.to_dict())
        document["labels"] = labels.as_dict() if labels else None
    except CouldNotCheck as error:
        document.update(problem=error.problem, fix=error.fix)
        raise
    finally:
        # Findings are listed once every row was read: a refusal stops the reading part way
        # (where depends on the engine and the chunks), and its message names its cause.
        document["contract"] = tally.as_list() if counted else []
        write_reports(document, output_dir or settings.output_dir)
    return document


def summarize(
    params: Params,
    files: CurrentFiles,
    schema: Schema,
    profile: dict[str, Any],
    tally: ContractTally,
    tracker: PerformanceTracker,
    keys: tuple[str, ...],
) -> CurrentSummary:
    """The current data's summary, read and counted by the engine params.yaml names."""
    chunk_rows = params.drift.chunk_rows
    if params.engine == "pyarrow":
        batches = read_batches(files, schema, chunk_rows, tally, keys)
        return summarize_batches(profile, batches, predict=tracker.predict)
    from ..engines import open_engine
    from .counted import summarize_current

    engine = open_engine(params)
    return summarize_current(
        engine, files, schema, profile, tally, tracker.predict, chunk_rows, keys
    )


def exit_for(document: dict[str, Any], output_dir: str | Path) -> None:
    """Print the outcome; raise DriftDetected on drift (exit 1)."""
    reports = f"{output_dir}/drift.json, drift.md and drift.html"
    if document["status"] == "drift":
        raise DriftDetected(
            "drift: " + "; ".join(document["result"]["reasons"]),
            f"read {reports}; retrain on current data or investigate the source",
        )
    rows = document["result"]["current_rows"]
    LOGGER.info(f"no drift in {rows} current rows; reports: {reports}")


def exit_status(output_dir: str | Path) -> None:
    """Exit as the last check did (the workflow's last step): 0, 1 (drift) or 3."""
    from .report import read_document

    document = read_document(output_dir)
    if document is None:
        raise CouldNotCheck(
            f"no drift check result in {output_dir}", "see the earlier steps: the check did not run"
        )
    if document["status"] == "could_not_check":
        raise CouldNotCheck(document["problem"], document["fix"])
    exit_for(document, output_dir)


def write_github_output(status: str) -> None:
    """`status=<status>` for later workflow steps, when running in GitHub Actions."""
    set_output("status", status)
