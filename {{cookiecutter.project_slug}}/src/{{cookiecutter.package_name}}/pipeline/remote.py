"""The DVC remote in CI: pull what the pipeline needs, reproduce, optionally push the results.

`pull` never fails for want of a remote: a fork's pull request gets no secrets, and a new
repository may have none yet. It then rebuilds what it can from source (the demo dataset, whose
generator is deterministic, is checked against the md5 its .dvc file records) and leaves notes
that the pull-request report shows on top.
"""

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..demo_data import write_csv
from ..edge.dvc import DvcRun, credentials_env, file_md5, first_error_line, run_dvc
from ..edge.git import index_entries, restore_index
from ..errors import ProjectError
from ..params import Params, load_params

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackedFile:
    """A file `dvc add` tracks: where it lives and the md5 its .dvc file records."""

    path: Path
    md5: str


def tracked_files(folder: str | Path = paths.RAW_DATA) -> list[TrackedFile]:
    """Every single-file output of the .dvc files in `folder` (directories are skipped)."""
    found = []
    for dvc_file in sorted(Path(folder).glob("*.dvc")):
        document: dict[str, Any] = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
        for out in document.get("outs", []):
            if "md5" in out and not str(out["md5"]).endswith(".dir"):
                found.append(TrackedFile(dvc_file.parent / out["path"], out["md5"]))
    return found


def is_present(tracked: TrackedFile) -> bool:
    return tracked.path.is_file() and file_md5(tracked.path) == tracked.md5


def restore_from_source(tracked: TrackedFile, task: str) -> str:
    """Rebuild a tracked file DVC could not provide; return a note saying what happened."""
    if tracked.path != paths.DEMO_DATA:
        return (
            f"⚠️ `{tracked.path}` is unavailable (not in the DVC remote and not reproducible "
            "from source): the pipeline cannot run on it."
        )
    write_csv(tracked.path, task)
    if is_present(tracked):
        return (
            f"`{tracked.path}` was regenerated from the deterministic demo generator; its md5 "
            f"`{tracked.md5}` equals the one in `{tracked.path.name}.dvc`, so it is exactly the "
            "tracked data."
        )
    tracked.path.unlink()
    return (
        f"⚠️ `{tracked.path}` is unavailable: the regenerated demo data does not match the md5 "
        f"`{tracked.md5}` in `{tracked.path.name}.dvc` (the tracked file was changed)."
    )


# DVC warns once per output that dvc.lock does not record yet (a fresh project, a new stage):
# `dvc repro` builds them, so one line says it instead.
UNBUILT = re.compile(r"^WARNING: No file hash info found for '.*'\. It won't be created\.$")


def without_unbuilt_warnings(output: str) -> str:
    lines = output.splitlines()
    kept = [line for line in lines if not UNBUILT.match(line)]
    if len(kept) < len(lines):
        kept.append(f"{len(lines) - len(kept)} outputs are not built yet: `dvc repro` builds them.")
    return "\n".join(kept)


def pull(notes_path: str | Path = paths.NOTES, dvc: DvcRun = run_dvc) -> list[str]:
    """`dvc pull --run-cache --allow-missing`, then rebuild any tracked raw data still missing.

    Writes the notes (one per line, possibly none) to `notes_path` and returns them.
    """
    env = credentials_env()
    if env.get("DVC_SSH_KEYFILE"):
        dvc("remote", "modify", "--local", paths.DVC_REMOTE, "keyfile", env["DVC_SSH_KEYFILE"])
    code, output = dvc("pull", "--run-cache", "--allow-missing", env=env)
    if output:
        LOGGER.info(without_unbuilt_warnings(output))
    notes = []
    if code != 0:
        notes.append(
            f"The DVC remote could not be read ({first_error_line(output)}): no secrets for "
            "it (a fork's pull request, or none configured yet) or it is unreachable. Every "
            "stage was recomputed from source."
        )
    missing = [tracked for tracked in tracked_files() if not is_present(tracked)]
    if missing and code == 0:
        names = ", ".join(f"`{tracked.path}`" for tracked in missing)
        notes.append(f"The DVC remote holds no copy of {names}.")
    if missing:
        task = load_params().task
        notes += [restore_from_source(tracked, task) for tracked in missing]
    notes_path = Path(notes_path)
    notes_path.parent.mkdir(parents=True, exist_ok=True)
    notes_path.write_text("".join(f"{note}\n" for note in notes), encoding="utf-8")
    for note in notes:
        LOGGER.warning(note)
    return notes


def pointer_files(root: str | Path = ".") -> dict[Path, str]:
    """{path: text} of every `dvc add` pointer (*.dvc) in the project, outside .dvc/."""
    return {
        path: path.read_text(encoding="utf-8")
        for path in sorted(Path(root).rglob("*.dvc"))
        if path.is_file() and ".dvc" not in path.parent.parts and ".venv" not in path.parts
    }


def repro(notes_path: str | Path = paths.NOTES, dvc: DvcRun = run_dvc) -> None:
    """`dvc repro`; on failure add a note for the report and raise ProjectError.

    DVC records a changed `dvc add` input in its .dvc pointer before the stages run, so a
    refused file would otherwise stay recorded as if accepted: a failed run puts every
    pointer back as it was, in the work tree and in git's index (DVC's autostage stages it).
    """
    pointers = pointer_files()
    staged = index_entries(pointers)
    code, output = dvc("repro")
    LOGGER.info(output)
    if code != 0:
        restored = [path for path, text in pointers.items() if _restore(path, text)]
        restore_index(staged, pointers)
        note = (
            f"❌ `dvc repro` failed ({first_error_line(output)}): the metrics below are those "
            "of the last successful run, not of this change."
        )
        notes_path = Path(notes_path)
        notes_path.parent.mkdir(parents=True, exist_ok=True)
        with notes_path.open("a", encoding="utf-8") as handle:
            handle.write(f"{note}\n")
        kept = f"; {', '.join(map(str, restored))} left as recorded before" if restored else ""
        raise ProjectError(
            f"the pipeline did not reproduce{kept}", "see the `dvc repro` output above"
        )


def _restore(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def push_outputs(params: Params | None = None, dvc: DvcRun = run_dvc) -> bool:
    """Push reproduced outputs and the run cache when params.yaml sets ci.push_outputs."""
    params = load_params() if params is None else params
    if not params.ci.push_outputs:
        LOGGER.info("ci.push_outputs is false in params.yaml: nothing pushed")
        return False
    code, output = dvc("push", "--run-cache", env=credentials_env())
    LOGGER.info(output)
    if code != 0:
        raise ProjectError(
            f"`dvc push` failed: {first_error_line(output)}",
            "check the remote's secrets (see README.md, 'Pull requests')",
        )
    return True


def read_notes(path: str | Path = paths.NOTES) -> list[str]:
    """The notes `pull` and `repro` left, one per non-empty line; [] without a file."""
    path = Path(path)
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
