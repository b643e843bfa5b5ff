"""Turn a freshly generated folder into a working GitOps repository.

Runs from the generation hook before the project's dependencies are installed, so it uses the
standard library and the DVC installed beside cookiecutter (the hook checks it is there).
Safe to re-run: a repository with commits is left as it is (`cruft update` re-runs the hook).
"""

import argparse
import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from .demo_data import write_csv
from .errors import BootstrapError
from .paths import DEMO_DATA
from .paths import DVC_REMOTE as REMOTE_NAME

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from dvc.repo import Repo

FIRST_COMMIT_MESSAGE = "Initial commit from cookiecutter-gitops-ml"
# Set around cruft's re-renders of the template (`template update`, `template answer`): the
# generation hook then writes files only, and never bootstraps a temporary render.
RERENDER_ENV = "GITOPS_ML_TEMPLATE_RERENDER"


@overload
def run(
    command: list[str], env: dict[str, str] | None = None, check: Literal[True] = True
) -> str: ...
@overload
def run(
    command: list[str], env: dict[str, str] | None = None, *, check: Literal[False]
) -> bool: ...
def run(command: list[str], env: dict[str, str] | None = None, check: bool = True) -> str | bool:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if not check:
        return result.returncode == 0
    if result.returncode != 0:
        shown = " ".join(str(part) for part in command)
        raise BootstrapError(f"`{shown}` failed:\n{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def remote_location(kind: str, url: str) -> str:
    """DVC wants an absolute folder for a local remote; other kinds keep their URL."""
    if kind != "local":
        return url
    folder = Path(url).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


def author_env(author: str) -> dict[str, str]:
    name, _, email = author.partition(" <")
    identity = {"NAME": name, "EMAIL": email.rstrip(">")}
    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        for key, value in identity.items():
            env.setdefault(f"GIT_{role}_{key}", value)
    return env


def bootstrap(remote_kind: str, remote_url: str, task: str, author: str) -> None:
    """git init, dvc init, the remote, the demo data tracked (and pushed to a local remote) and
    the first commit. DVC runs in this one process through its Python API: starting it once
    per step made generation three times slower."""
    if Path(".git").exists() and run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"], check=False
    ):
        LOGGER.info("Repository exists (it has commits): bootstrap has nothing to do.")
        return
    if not Path(".git").exists():
        run(["git", "init", "--quiet", "-b", "main"])
    from dvc.repo import Repo

    # DVC's own hints ("You can now commit...", "To track the changes with git, run...") name
    # steps this function takes itself; a user reading them would repeat them.
    with _dvc_hints_silenced():
        repo = Repo(".") if Path(".dvc").exists() else Repo.init(".")
        pushed = _track_demo_data(repo, remote_kind, remote_url, task)
    run(["git", "add", "--all"])
    if run(["git", "status", "--porcelain"]).strip():
        run(["git", "commit", "--quiet", "-m", FIRST_COMMIT_MESSAGE], env=author_env(author))
    LOGGER.info(
        f"Repository ready: git on branch main, DVC remote '{REMOTE_NAME}', demo data {pushed}."
    )


@contextlib.contextmanager
def _dvc_hints_silenced() -> Iterator[None]:
    """DVC's informational output off (its logger below warnings, its console captured);
    warnings and errors still show."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _track_demo_data(repo: "Repo", remote_kind: str, remote_url: str, task: str) -> str:
    """The remote configured, the demo data written, tracked and (to a local remote) pushed;
    says where the data went."""
    try:
        with repo.config.edit() as config:
            # Stage the .gitignore entries DVC writes, so `git commit` after `dvc repro`
            # misses nothing.
            config["core"]["autostage"] = True
            config["core"]["remote"] = REMOTE_NAME
            config["remote"][REMOTE_NAME] = {"url": remote_location(remote_kind, remote_url)}
        if not DEMO_DATA.exists():
            write_csv(DEMO_DATA, task)
        repo.add(str(DEMO_DATA))
        return _push_demo_data(repo, remote_kind)
    finally:
        repo.close()


def _push_demo_data(repo: "Repo", remote_kind: str) -> str:
    if remote_kind != "local":
        return (
            f"not pushed yet: configure credentials for the {remote_kind} remote, then `dvc push`"
        )
    repo.push()
    return "pushed to the local remote"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--remote-kind", required=True, choices=["local", "s3", "gs", "azure", "ssh"]
    )
    parser.add_argument("--remote-url", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--author", required=True, help="'Name <email>' for the first commit")
    args = parser.parse_args(argv)
    try:
        bootstrap(args.remote_kind, args.remote_url, args.task, args.author)
    except BootstrapError as error:
        print(f"bootstrap: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
