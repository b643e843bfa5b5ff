"""Retraining on drift: fold the checked batch into the training data, reproduce, push, and
open a pull request whose body carries the drift summary.

params.yaml `drift.window.policy` says how the batch enters the training data (`data.raw`):
`replace` (train on the batch alone), `append` (add it) or `last_n` (train on the last
`drift.window.batches` batches, kept DVC-tracked in data/batches/).
"""

import csv
import logging
import os
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import paths
from ..contract.rules import typed_frame
from ..contract.schema import Schema, load_schema
from ..contract.stream import CurrentFiles, arrow_chunks, as_text, format_of, suffix_format
from ..edge.dvc import DvcRun, credentials_env, first_error_line, run_dvc
from ..edge.git import changed_files
from ..edge.github import run_cml
from ..errors import ProjectError
from ..params import DriftParams, Params
from ..pipeline.remote import repro
from .decision import BASELINES
from .report import markdown, read_document

LOGGER = logging.getLogger(__name__)

BATCHES = Path("data/batches")
BODY = "retrain.md"
# The retraining pull request's branch: `drift-retrain-<date>` (the ops report finds them by it).
BRANCH_PREFIX = "drift-retrain-"
# What a retraining pull request commits: the data's .dvc files and the pipeline's results,
# among them every output dvc.yaml keeps in git (`cache: false`), or the commit's dvc.lock
# would record files the commit does not hold.
COMMITTED = (
    "data/",
    "plots/",
    *(
        path.as_posix()
        for path in (paths.DVC_LOCK, paths.METRICS, paths.VALIDATION_REPORT, paths.SLICES)
    ),
)
TOKEN_NOTE = (
    "> **No checks ran on this pull request yet.** It was opened with the workflow's default "
    "`GITHUB_TOKEN`, and GitHub starts no workflow for pull requests opened with it. Close "
    "and reopen it to run the pull-request checks, or add a `REPO_TOKEN` repository secret "
    "(a token allowed to write contents and pull requests) so later retraining pull requests "
    "start them."
)


def batch_text(
    files: CurrentFiles, schema: Schema, file_format: str, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The checked batch as text frames in the schema's column order (the target included)."""
    for path in files.paths:
        for table in arrow_chunks(path, format_of(path, file_format), chunk_rows):
            frame = table.to_pandas()
            if schema.target not in frame.columns:
                raise ProjectError(
                    f"the current batch {path} has no target column {schema.target!r}",
                    "retraining needs labelled data: set drift.retrain_on_drift to false",
                )
            yield pd.DataFrame({name: as_text(frame[name]) for name in schema.columns})


def append_csv(path: str | Path, frames: Iterable[pd.DataFrame], header: list[str]) -> int:
    """Append frames to the CSV at `path` in its header's column order; returns rows added."""
    rows = 0
    with Path(path).open("a", newline="", encoding="utf-8") as handle:
        for frame in frames:
            frame[header].to_csv(handle, header=False, index=False)
            rows += len(frame)
    return rows


def csv_header(path: str | Path) -> list[str]:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def count_rows(path: str | Path) -> int:
    with Path(path).open(encoding="utf-8") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def write_training_data(
    settings: DriftParams, files: CurrentFiles, schema: Schema, raw: str | Path, date: str
) -> tuple[int, int, list[Path]]:
    """Apply the window policy; return (rows before, rows after, paths to `dvc add`)."""
    raw = Path(raw)
    if suffix_format(str(raw)) == "parquet":
        return write_parquet_training_data(settings, files, schema, raw, date)
    before = count_rows(raw) if raw.is_file() else 0
    frames = batch_text(files, schema, settings.format, settings.chunk_rows)
    header = list(schema.columns)
    if settings.window.policy == "append":
        if not raw.is_file():
            raise ProjectError(f"{raw} is missing, so the batch cannot be appended", "dvc pull")
        append_csv(raw, frames, csv_header(raw))
        return before, count_rows(raw), [raw]
    if settings.window.policy == "replace":
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(",".join(header) + "\n", encoding="utf-8")
        append_csv(raw, frames, header)
        return before, count_rows(raw), [raw]
    BATCHES.mkdir(parents=True, exist_ok=True)
    batch = BATCHES / f"{date}.csv"
    batch.write_text(",".join(header) + "\n", encoding="utf-8")
    append_csv(batch, frames, header)
    window = sorted(BATCHES.glob("*.csv"))[-settings.window.batches :]
    raw.write_text(",".join(header) + "\n", encoding="utf-8")
    for path in window:
        append_csv(raw, [pd.read_csv(path, dtype=str, keep_default_na=False)], header)
    return before, count_rows(raw), [raw, BATCHES]


def write_parquet_training_data(
    settings: DriftParams, files: CurrentFiles, schema: Schema, raw: Path, date: str
) -> tuple[int, int, list[Path]]:
    """write_training_data for a Parquet `data.raw`: the batch typed by the contract, as the
    validate stage types it; appended in the raw file's own column types."""
    before = pq.ParquetFile(raw).metadata.num_rows if raw.is_file() else 0
    frames = list(batch_text(files, schema, settings.format, settings.chunk_rows))
    frame = typed_frame(pd.concat(frames, ignore_index=True), schema)
    batch = pa.Table.from_pandas(frame, preserve_index=False)
    if settings.window.policy == "append":
        if not raw.is_file():
            raise ProjectError(f"{raw} is missing, so the batch cannot be appended", "dvc pull")
        existing = pq.read_table(raw)
        table = pa.concat_tables([existing, _as_columns_of(batch, existing.schema, raw)])
    elif settings.window.policy == "replace":
        table = batch
    else:
        BATCHES.mkdir(parents=True, exist_ok=True)
        pq.write_table(batch, BATCHES / f"{date}.parquet")
        window = sorted(BATCHES.glob("*.parquet"))[-settings.window.batches :]
        table = pa.concat_tables([pq.read_table(path) for path in window])
    raw.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, raw)
    tracked = [raw] if settings.window.policy != "last_n" else [raw, BATCHES]
    return before, table.num_rows, tracked


def _as_columns_of(batch: pa.Table, target: pa.Schema, raw: Path) -> pa.Table:
    """The batch in the raw file's columns and types, or ProjectError saying which differ."""
    missing = [name for name in target.names if name not in batch.column_names]
    try:
        if missing:
            raise ValueError(f"the batch has no {', '.join(missing)} (not in schema.yaml)")
        return batch.select(target.names).cast(target)
    except (ValueError, pa.ArrowException) as error:
        raise ProjectError(
            f"the batch cannot be appended to {raw}: {str(error).splitlines()[0]}",
            f"make {raw}'s columns those of schema.yaml (e.g. run `dvc repro` on data the "
            "contract types), or set drift.window.policy to replace",
        ) from None


def retrain(params: Params, output_dir: str | Path, dvc: DvcRun = run_dvc) -> Path | None:
    """Retrain on the drifted batch when the check found drift and drift.retrain_on_drift is
    set; returns the pull request body's path, or None when there is nothing to do."""
    settings = params.drift
    document = read_document(output_dir)
    if document is None or document["status"] != "drift":
        LOGGER.info("the last drift check found no drift: nothing to retrain")
        return None
    if not settings.retrain_on_drift:
        LOGGER.info("drift.retrain_on_drift is false in params.yaml: not retraining")
        return None
    schema = load_schema(paths.SCHEMA)
    files = CurrentFiles(document["source"], tuple(document["files"]), settings.format)
    raw = params.data.raw
    before, after, tracked = write_training_data(settings, files, schema, raw, document["date"])
    LOGGER.info(f"{raw}: {before} -> {after} rows ({settings.window.policy})")
    for path in tracked:
        code, output = dvc("add", str(path))
        if code != 0:
            raise ProjectError(f"`dvc add {path}` failed: {first_error_line(output)}", output)
    repro(Path(output_dir) / "notes.md", dvc=dvc)
    code, output = dvc("push", "--run-cache", env=credentials_env())
    if code != 0:
        raise ProjectError(
            f"`dvc push` failed: {first_error_line(output)}",
            "the retraining pull request needs its data on the remote: check the remote's "
            "secrets (README.md, 'DVC remote')",
        )
    body = Path(output_dir) / BODY
    body.write_text(pull_request_body(document, settings, raw, before, after), encoding="utf-8")
    LOGGER.info(f"retrained; pull request body: {body}")
    return body


def pull_request_body(
    document: dict[str, Any], settings: DriftParams, raw: str, before: int, after: int
) -> str:
    import json

    metrics = json.loads(paths.METRICS.read_text(encoding="utf-8"))
    release = (document.get("result") or {}).get("performance") or {}
    lines = [
        f"## Retraining on the drifted data of {document['date']}",
        "",
        f"The scheduled drift check found drift, and `drift.retrain_on_drift` is set. "
        f"`{raw}` now holds {after:,} rows (was {before:,}; window policy "
        f"`{settings.window.policy}`), and the pipeline was reproduced on it.",
        "",
        "| metric | retrained model (its test split) |",
        "|---|---|",
        *(f"| `{name}` | {value:.4f} |" for name, value in metrics.items()),
    ]
    if release:
        baseline = BASELINES[document["reference"].get("source") or "production"]
        lines += ["", f"The reference model's {release['metric']} on the drifted batch: "]
        lines[-1] += f"{release['current']:.4f} ({baseline}: {release['release']:.4f})."
    lines += ["", "<details><summary>Drift report</summary>", "", markdown(document), "</details>"]
    return "\n".join(lines) + "\n"


def changed_paths() -> list[str]:
    """Files a retraining changed that belong in its pull request (see COMMITTED)."""
    return sorted(path for path in changed_files() if path.startswith(COMMITTED))


def open_pull_request(
    output_dir: str | Path,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    environ: Mapping[str, str] | None = None,
) -> list[str] | None:
    """`cml pr create` with the retrained files; returns its command line, or None."""
    environ = os.environ if environ is None else environ
    body_path = Path(output_dir) / BODY
    document = read_document(output_dir)
    if document is None or not body_path.is_file():
        LOGGER.info("nothing was retrained: no pull request")
        return None
    body = body_path.read_text(encoding="utf-8")
    if environ.get("REPO_TOKEN_SET", "").lower() != "true":
        body = f"{TOKEN_NOTE}\n\n{body}"
    paths = changed_paths()
    if not paths:
        raise ProjectError("retraining changed no file", "see the `drift retrain` step's output")
    command = [
        "pr",
        "create",
        "--branch",
        f"{BRANCH_PREFIX}{document['date']}",
        "--title",
        f"Retrain on the drifted data of {document['date']}",
        "--body",
        body,
        *paths,
    ]
    fix = "check REPO_TOKEN and the job's permissions (contents and pull-requests: write)"
    LOGGER.info(run_cml(command, fix, run=run))
    return ["cml", *command]
