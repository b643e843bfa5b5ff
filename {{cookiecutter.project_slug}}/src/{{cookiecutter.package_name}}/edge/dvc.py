"""DVC: the command line, dvc.lock, credentials for the remote, and reading a commit's
outputs with the md5 dvc.lock recorded for them checked."""

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..errors import OutputMismatch, ProjectError
from ..progress import transfer_progress
from . import oidc
from .git import show_file

LOGGER = logging.getLogger(__name__)

# run_dvc, or a stand-in with its signature (tests).
DvcRun = Callable[..., tuple[int, str]]
# Commands that move data to or from the remote: long enough on real data to want a bar.
TRANSFERS = frozenset({"pull", "push", "fetch", "update"})
LOGGER = logging.getLogger(__name__)


def run_dvc(*args: str, env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """`python -m dvc <args>` (DVC beside this Python); returns (exit code, combined output).

    A transfer run on a terminal leaves DVC's stderr on that terminal, so DVC draws its own
    progress bars there (its errors show there too, and the output returned says so)."""
    shown = bool(args) and args[0] in TRANSFERS and sys.stderr.isatty()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        stdout=subprocess.PIPE,
        stderr=None if shown else subprocess.PIPE,
        text=True,
        env=env,
        check=False,
    )
    LOGGER.debug(
        "`dvc %s`: exit %d in %.1f s",
        " ".join(args),
        result.returncode,
        time.perf_counter() - started,
    )
    output = (result.stdout + (result.stderr or "")).strip()
    if shown and result.returncode != 0:
        output += "\nERROR: DVC's own message is above"
    return result.returncode, output.strip()


def first_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("ERROR")]
    return (lines or output.splitlines() or ["no output"])[0].strip()


def file_md5(path: str | Path) -> str:
    """The md5 DVC 3 records for a file: of its bytes as they are."""
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def lock_entries(lock_text: str | None) -> dict[str, dict[str, Any]]:
    """{path: {"md5", "size"}} of every dep and out a dvc.lock text records."""
    # libyaml's parser where PyYAML has it: an ops report reads one dvc.lock per version.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(lock_text or "", Loader=loader) or {}
    entries: dict[str, dict[str, Any]] = {}
    for stage in (document.get("stages") or {}).values():
        for entry in [*(stage.get("deps") or []), *(stage.get("outs") or [])]:
            if "md5" in entry:
                entries[entry["path"]] = {"md5": entry["md5"], "size": entry.get("size")}
    return entries


def pointer_md5(path: str | Path) -> str | None:
    """The md5 `path.dvc` records for `path`, or None when `dvc add` does not track it."""
    tracker = Path(f"{path}.dvc")
    if not tracker.exists():
        return None
    outs = (yaml.safe_load(tracker.read_text(encoding="utf-8")) or {}).get("outs") or [{}]
    return outs[0].get("md5")


def credentials_env(
    environ: Mapping[str, str] | None = None,
    folder: str | Path | None = None,
    urlopen: oidc.UrlOpen | None = None,
) -> dict[str, str]:
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
        LOGGER.info(f"DVC remote credentials: GitHub OIDC federation ({', '.join(federated)})")
    return env


def use_credentials() -> None:
    """Put the remote's credentials (credentials_env) into this process's environment."""
    os.environ.update(credentials_env())


def workspace_output_text(path: str | Path, root: str | Path = ".") -> str:
    """A pipeline output's text in the work tree, refused unless its md5 is the one the work
    tree's dvc.lock records (the outputs of another run or branch would describe another model)."""
    return checked_workspace_output(path, root).read_text(encoding="utf-8")


def checked_workspace_output(path: str | Path, root: str | Path = ".") -> Path:
    """A pipeline output's path in the work tree, refused unless its md5 is the one the work
    tree's dvc.lock records."""
    root, path = Path(root), Path(path)
    lock = root / paths.DVC_LOCK
    expected = lock_entries(lock.read_text(encoding="utf-8") if lock.is_file() else "")
    entry = expected.get(path.as_posix())
    if not (root / path).is_file():
        raise ProjectError(f"{path} not found", "run `dvc repro` (or `dvc pull`) first")
    if entry is None:
        raise OutputMismatch(
            f"{paths.DVC_LOCK} records no md5 for {path}: nothing ties it to this commit",
            "run `dvc repro` and commit dvc.lock",
        )
    actual = file_md5(root / path)
    if actual != entry["md5"]:
        raise OutputMismatch(
            f"{path} (md5 {actual}) is not the output {paths.DVC_LOCK} records "
            f"(md5 {entry['md5']}): it comes from another run or branch",
            "run `dvc checkout` to restore the recorded outputs, or `dvc repro` to rebuild them",
        )
    return root / path


class CommitOutputs:
    """The pipeline outputs of one commit, read through DVC (git for committed files, the
    cache or the remote for the rest), each checked against the md5 dvc.lock recorded."""

    def __init__(self, root: str | Path, commit: str, label: str | None = None) -> None:
        from dvc.api import DVCFileSystem

        self.root, self.commit = Path(root), commit
        self.label = label or commit[:7]
        self.lock = lock_entries(show_file(commit, paths.DVC_LOCK.as_posix(), cwd=self.root))
        self.filesystem = DVCFileSystem(str(self.root), rev=commit)

    def expected_md5(self, path: str | Path) -> str:
        path = Path(path).as_posix()
        if path in self.lock:
            return self.lock[path]["md5"]
        try:
            info = self.filesystem.info(path)
        except FileNotFoundError:
            info = {}
        md5 = (info.get("dvc_info") or {}).get("md5")  # a file inside a tracked folder
        if md5 is None:
            raise OutputMismatch(
                f"dvc.lock at {self.label} records no md5 for {path}",
                "commit the pipeline's outputs (`dvc repro`, then commit dvc.lock) before "
                "releasing or reporting on this commit",
            )
        return md5

    def get(self, path: str | Path, destination: str | Path) -> Path:
        """Copy the output at `path` to `destination`, refusing a copy of the wrong md5."""
        path, destination = Path(path).as_posix(), Path(destination)
        expected = self.expected_md5(path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with transfer_progress(f"fetching {path} of {self.label}") as callback:
                self.filesystem.get_file(path, str(destination), callback=callback)
        except Exception as error:
            if not isinstance(error, FileNotFoundError) and "does not exist" not in str(error):
                raise
            raise ProjectError(
                f"`{path}` of {self.label} (commit {self.commit[:7]}) is neither in the DVC "
                f"cache nor on the remote ({type(error).__name__}: {error})",
                f"push it from a clone that has it: `git checkout {self.commit[:7]} && dvc pull "
                "--allow-missing && dvc push`, or reproduce it there with `dvc repro`",
            ) from None
        actual = file_md5(destination)
        if actual != expected:
            destination.unlink()
            cache = Path(".dvc/cache/files/md5") / expected[:2] / expected[2:]
            raise OutputMismatch(
                f"`{path}` of {self.label} has md5 {actual}, not {expected} as dvc.lock records "
                "at that commit: the copy in the DVC cache or on the remote is damaged",
                f"delete the damaged copy (`rm {cache.as_posix()}`) and `dvc pull --force "
                f"{path}`, or push a good copy from a clone that has one",
            )
        return destination

    def read_text(self, path: str | Path) -> str:
        with tempfile.TemporaryDirectory() as folder:
            return self.get(path, Path(folder) / Path(path).name).read_text(encoding="utf-8")
