"""What git holds for the operations report: production assignments, merged changes, which
assignment first shipped each change, and every version's committed primary metric.

Everything is read in a handful of git processes (tags by one `for-each-ref`, the commit
graph by one `git log`, files by one `cat-file --batch`), so thousands of versions stay fast.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import paths
from ..edge.dvc import lock_entries
from ..edge.git import run_git, show_files
from ..release.registry import Registry
from ..release.tags import PRODUCTION, StageEvent, Version, version_key


@dataclass(frozen=True)
class Deployment:
    """A production assignment: `version` (at `commit`) went to production at `at`."""

    number: int
    version: str
    commit: str
    at: datetime
    message: str


@dataclass(frozen=True)
class Change:
    """A change merged into main: a pull request (from gh) or a merge or plain commit (git)."""

    name: str
    commit: str
    merged_at: datetime
    title: str
    branch: str = ""


@dataclass(frozen=True)
class Quality:
    """A version's primary metric as its commit recorded it, or why it cannot be shown."""

    version: str
    value: float | None
    problem: str = ""


def deployments(events: Iterable[StageEvent]) -> list[Deployment]:
    """Production assignments in the order they were made (the tags' counter)."""
    return [
        Deployment(e.number, e.version, e.commit, e.created_at, e.message.splitlines()[0])
        for e in sorted(events, key=lambda e: e.number)
        if e.assigned and e.stage == PRODUCTION
    ]


def registry_records(root: str | Path) -> tuple[list[Version], list[StageEvent]]:
    """The registry's versions and stage events, read once."""
    return Registry(root).snapshot()


def git_changes(root: str | Path, ref: str = "main") -> tuple[list[Change], str]:
    """(changes, how they were found) from git alone: the merge commits on `ref`'s first-parent
    line, or every first-parent commit when the history has no merge commits (fast-forward or
    squash merges)."""
    for merges, source in ((True, "merge commits on main"), (False, "commits on main")):
        args = ["log", "--first-parent", "--format=%H%x00%ct%x00%s", ref]
        lines = run_git(*args, *(["--merges"] if merges else []), cwd=root).stdout.splitlines()
        changes = [
            Change(sha[:12], sha, datetime.fromtimestamp(int(stamp), UTC), subject)
            for sha, stamp, subject in (line.split("\0", 2) for line in lines if line)
        ]
        if changes:
            return sorted(changes, key=lambda c: c.merged_at), source
    return [], "no commits on main"


def first_shipped(root: str | Path, shipped: list[Deployment]) -> dict[str, int]:
    """{commit: index in `shipped` of the first deployment whose commit contains it}.

    One `git log` reads the graph; each commit is visited once, by the earliest deployment
    that reaches it, so the cost is the history's size, not deployments x commits."""
    output = run_git("log", "--all", "--format=%H %P", cwd=root).stdout
    parents = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line}
    first: dict[str, int] = {}
    for index, deployment in enumerate(shipped):
        stack = [deployment.commit]
        while stack:
            commit = stack.pop()
            if commit in first or commit not in parents:
                continue
            first[commit] = index
            stack.extend(parents[commit])
    return first


def quality(root: str | Path, versions: list[Version], metric: str) -> list[Quality]:
    """Each version's `metric` from the metrics.json committed with it, oldest version first,
    refused (value None, with the reason) unless dvc.lock at that commit records that file."""
    metrics, lock = str(paths.METRICS), "dvc.lock"
    files = show_files(
        [f"{v.commit}:{name}" for v in versions for name in (metrics, lock)], cwd=root
    )
    found = []
    for version in sorted(versions, key=lambda v: version_key(v.version)):
        text = files.get(f"{version.commit}:{metrics}")
        entry = lock_entries(files.get(f"{version.commit}:{lock}")).get(metrics)
        found.append(_quality(version.version, text, entry, metric))
    return found


def _quality(version: str, text: str | None, entry: dict[str, Any] | None, metric: str) -> Quality:
    if text is None:
        return Quality(version, None, f"no {paths.METRICS} at its commit")
    if entry is None or hashlib.md5(text.encode()).hexdigest() != entry["md5"]:
        return Quality(version, None, f"{paths.METRICS} does not match dvc.lock at its commit")
    value = json.loads(text).get(metric)
    if not isinstance(value, int | float):
        return Quality(version, None, f"{paths.METRICS} has no {metric}")
    return Quality(version, float(value))
