"""The DVC remote in CI: pull what the pipeline needs, reproduce, optionally push the results.

`pull` never fails for want of a remote: a fork's pull request gets no secrets, and a new
repository may have none yet. It then rebuilds what it can from source (the demo dataset, whose
generator is deterministic, is checked against the md5 its .dvc file records) and leaves notes
that the pull-request report shows on top.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import config, oidc
from .bootstrap import DEMO_DATA, REMOTE_NAME
from .demo_data import write_csv
from .errors import ProjectError

NOTES = Path("reports/notes.md")
RAW_DATA = DEMO_DATA.parent


@dataclass(frozen=True)
class TrackedFile:
    """A file `dvc add` tracks: where it lives and the md5 its .dvc file records."""

    path: Path
    md5: str


def tracked_files(folder=RAW_DATA):
    """Every single-file output of the .dvc files in `folder` (directories are skipped)."""
    found = []
    for dvc_file in sorted(Path(folder).glob("*.dvc")):
        document = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
        for out in document.get("outs", []):
            if "md5" in out and not str(out["md5"]).endswith(".dir"):
                found.append(TrackedFile(dvc_file.parent / out["path"], out["md5"]))
    return found


def file_md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_present(tracked):
    return tracked.path.is_file() and file_md5(tracked.path) == tracked.md5


def run_dvc(*args, env=None):
    """`python -m dvc <args>`; returns (exit code, combined output)."""
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def credentials_env(environ=None, folder=None, urlopen=None):
    """The environment for DVC, with secrets that arrive as text turned into the files DVC
    wants: GOOGLE_APPLICATION_CREDENTIALS_JSON (a gs service-account key) and
    DVC_SSH_PRIVATE_KEY (an ssh key, used as the remote's keyfile); then OIDC federation
    where the repository names an identity to assume (see oidc.py)."""
    env = dict(os.environ if environ is None else environ)
    folder = Path(folder or env.get("RUNNER_TEMP") or tempfile.mkdtemp())
    for variable, target, filename in [
        ("GOOGLE_APPLICATION_CREDENTIALS_JSON", "GOOGLE_APPLICATION_CREDENTIALS", "gcp.json"),
        ("DVC_SSH_PRIVATE_KEY", "DVC_SSH_KEYFILE", "dvc_ssh_key"),
    ]:
        if env.get(variable) and not env.get(target):
            path = folder / filename
            path.write_text(env[variable].strip() + "\n", encoding="utf-8")
            path.chmod(0o600)
            env[target] = str(path)
    federated = oidc.federate(env, folder, urlopen)
    if federated:
        print(f"DVC remote credentials: GitHub OIDC federation ({', '.join(federated)})")
    return env


def first_error_line(output):
    lines = [line for line in output.splitlines() if line.startswith("ERROR")]
    return (lines or output.splitlines() or ["no output"])[0].strip()


def restore_from_source(tracked, task):
    """Rebuild a tracked file DVC could not provide; return a note saying what happened."""
    if tracked.path != DEMO_DATA:
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


def pull(notes_path=NOTES, dvc=run_dvc):
    """`dvc pull --run-cache --allow-missing`, then rebuild any tracked raw data still missing.

    Writes the notes (one per line, possibly none) to `notes_path` and returns them.
    """
    env = credentials_env()
    if env.get("DVC_SSH_KEYFILE"):
        dvc("remote", "modify", "--local", REMOTE_NAME, "keyfile", env["DVC_SSH_KEYFILE"])
    code, output = dvc("pull", "--run-cache", "--allow-missing", env=env)
    if output:
        print(output)
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
        task = config.task_of(config.load_params())
        notes += [restore_from_source(tracked, task) for tracked in missing]
    notes_path = Path(notes_path)
    notes_path.parent.mkdir(parents=True, exist_ok=True)
    notes_path.write_text("".join(f"{note}\n" for note in notes), encoding="utf-8")
    for note in notes:
        print(f"note: {note}")
    return notes


def repro(notes_path=NOTES, dvc=run_dvc):
    """`dvc repro`; on failure add a note for the report and raise ProjectError."""
    code, output = dvc("repro")
    print(output)
    if code != 0:
        note = (
            f"❌ `dvc repro` failed ({first_error_line(output)}): the metrics below are those "
            "of the last successful run, not of this change."
        )
        notes_path = Path(notes_path)
        notes_path.parent.mkdir(parents=True, exist_ok=True)
        with notes_path.open("a", encoding="utf-8") as handle:
            handle.write(f"{note}\n")
        raise ProjectError("the pipeline did not reproduce", "see `dvc repro` output above")


def push_outputs(params=None, dvc=run_dvc):
    """Push reproduced outputs and the run cache when params.yaml sets ci.push_outputs."""
    params = config.load_params() if params is None else params
    if not (params.get("ci") or {}).get("push_outputs", False):
        print("ci.push_outputs is false in params.yaml: nothing pushed")
        return False
    code, output = dvc("push", "--run-cache", env=credentials_env())
    print(output)
    if code != 0:
        raise ProjectError(
            f"`dvc push` failed: {first_error_line(output)}",
            "check the remote's secrets (see README.md, 'Pull requests')",
        )
    return True


def read_notes(path=NOTES):
    """The notes `pull` and `repro` left, one per non-empty line; [] without a file."""
    path = Path(path)
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
