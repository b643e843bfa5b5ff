"""Merge the template's changes since `.cruft.json`'s commit into this project, with cruft.

cruft renders the template at the recorded commit and at the new one (with this project's
answers), and applies the difference with `git apply -3`. What cannot merge is listed and the
file keeps this project's version: conflict markers are never left for a commit to pick up.
"""

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bootstrap import RERENDER_ENV
from ..edge.git import changed_files, run_git, show_file
from ..errors import CouldNotCheck, ProjectError
from ..paths import CRUFT_STATE


@dataclass(frozen=True)
class TemplateState:
    """What `.cruft.json` records: the template's URL, its commit and this project's answers."""

    url: str
    commit: str
    checkout: str | None
    answers: dict[str, Any]


@dataclass(frozen=True)
class Conflict:
    """A template change that did not merge: the file and the hunks it would have brought."""

    path: str
    hunks: str


@dataclass(frozen=True)
class Update:
    template: str
    old_commit: str
    new_commit: str
    changed: list[str]
    conflicts: list[Conflict]


def read_state(root: Path = Path()) -> TemplateState:
    path = root / CRUFT_STATE
    if not path.is_file():
        raise ProjectError(
            f"{CRUFT_STATE} is missing: this project is not linked to the template it came from",
            "link it once with `cruft link <the template's git URL>` and commit .cruft.json",
        )
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        answers = state["context"]["cookiecutter"]
        return TemplateState(state["template"], state["commit"], state.get("checkout"), answers)
    except (ValueError, KeyError, TypeError) as error:
        raise ProjectError(
            f"{CRUFT_STATE} cannot be read ({error!r})",
            "restore it from git (`git log -p -- .cruft.json`)",
        ) from None


def require_clean_tree() -> None:
    dirty = changed_files()
    if dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise ProjectError(
            f"the working tree has uncommitted changes ({shown})",
            "commit or stash them first: the template's changes merge into a clean tree, so "
            "none of yours can be lost",
        )


@contextlib.contextmanager
def rerendering() -> Iterator[Any]:
    """cruft, with the generation hook told to write files only (see bootstrap.RERENDER_ENV);
    cruft's and cookiecutter's failures become this project's errors."""
    try:
        import cruft
        from cookiecutter.exceptions import CookiecutterException
        from cruft.exceptions import CruftError
    except ImportError:
        raise ProjectError(
            "cruft is not installed", "`make setup` installs it (the dev extra)"
        ) from None
    before = os.environ.get(RERENDER_ENV)
    os.environ[RERENDER_ENV] = "1"
    try:
        # cruft's own lines ("FAILURE: ... out of date") would contradict this command's; its
        # warnings and git's messages go to stderr, which stays.
        with contextlib.redirect_stdout(io.StringIO()):
            yield cruft
    except CruftError as error:
        raise CouldNotCheck(
            f"cruft could not reach or render the template: {error.format_message()}",
            "check the template URL in .cruft.json and that git can clone it from here",
        ) from None
    except CookiecutterException as error:
        raise ProjectError(
            f"the template refused to render with these answers: {error}",
            "the message above names the answer to change",
        ) from None
    finally:
        if before is None:
            os.environ.pop(RERENDER_ENV, None)
        else:
            os.environ[RERENDER_ENV] = before


def update_from_template(checkout: str | None = None) -> Update | None:
    """Merge the template's newer commit (or `checkout`); None when already up to date."""
    require_clean_tree()
    before = read_state()
    with rerendering() as cruft:
        if cruft.check(Path(), checkout=checkout):
            return None
        cruft.update(Path(), skip_apply_ask=True, checkout=checkout)
    conflicts = settle_conflicts()
    after = read_state()
    return Update(before.url, before.commit, after.commit, changed_files(), conflicts)


def settle_conflicts() -> list[Conflict]:
    """List what did not merge, each with the template's whole change to that file, and give
    those files back this project's version."""
    conflicts = []
    unmerged = run_git("diff", "--name-only", "--diff-filter=U").stdout.splitlines()
    for path in filter(None, unmerged):
        conflicts.append(Conflict(path, template_change(path)))
        keep_project_version(path)
    for reject in [path for path in changed_files() if path.endswith(".rej")]:
        target = reject.removesuffix(".rej")
        applied = run_git("diff", "HEAD", "--", target, check=False).stdout
        rejected = Path(reject).read_text(encoding="utf-8", errors="replace")
        conflicts.append(Conflict(target, applied + rejected))
        Path(reject).unlink()
        keep_project_version(target)
    return conflicts


def template_change(path: str) -> str:
    """The template's diff of `path` (old render to new), from the merge's index stages: the
    part that merged is reverted with the rest, so the listing must show all of it."""
    stages = {}
    for line in run_git("ls-files", "--unmerged", "--", path).stdout.splitlines():
        meta, _ = line.split("\t", 1)
        _mode, blob, stage = meta.split()
        stages[stage] = blob
    if "3" not in stages:
        return "(the template deletes this file)"
    if "1" not in stages:
        return run_git("show", stages["3"]).stdout
    return run_git("diff", "--no-color", stages["1"], stages["3"]).stdout


def keep_project_version(path: str) -> None:
    if show_file("HEAD", path) is None:
        run_git("rm", "--cached", "--quiet", "--force", "--ignore-unmatch", "--", path)
        Path(path).unlink(missing_ok=True)
    else:
        run_git("checkout", "HEAD", "--", path)
