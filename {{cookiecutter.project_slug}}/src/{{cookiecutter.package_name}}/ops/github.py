"""What only GitHub holds, through `gh`: merged pull requests, drift issues, workflow runs and
the latency each release recorded. Without `gh` or a token every reader says why it could not
read, so the report names the figures it left out instead of guessing them.
"""

import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import paths
from ..drift.issues import DRIFT_LABEL
from ..edge.github import run_gh
from ..errors import ProjectError
from ..release.tags import Version
from .records import Change

# `gh ... --limit`: gh pages through the API up to this many items per list.
LIMIT = 1000
# The workflows whose runs measure the pipelines' reliability, by file name.
RELIABILITY_WORKFLOWS = ("drift.yml", "score.yml", "pr.yml")
RELEASE_WORKFLOW = "release.yml"


class Unavailable(Exception):
    """A GitHub source could not be read; the message says why."""


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class Run:
    workflow: str
    run_id: int
    event: str
    branch: str
    conclusion: str
    created_at: datetime


Gh = Callable[[Sequence[str]], str]


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def gh_reader(environ: Mapping[str, str] | None = None) -> Gh | None:
    """`gh` as a function returning its output, or None when gh or a token is missing."""
    environ = os.environ if environ is None else environ
    if shutil.which("gh") is None:
        return None
    if not (environ.get("GH_TOKEN") or environ.get("GITHUB_TOKEN")):
        return None

    def gh(args: Sequence[str]) -> str:
        try:
            return run_gh(list(args), "check GH_TOKEN and the job's permissions").stdout
        except ProjectError as error:
            raise Unavailable(error.problem) from None

    return gh


def merged_pulls(gh: Gh, base: str = "main") -> list[Change]:
    fields = "number,title,mergedAt,mergeCommit,headRefName"
    args = ["pr", "list", "--state", "merged", "--base", base, "--json", fields]
    pulls = json.loads(gh([*args, "--limit", str(LIMIT)]) or "[]")
    changes = [
        Change(
            f"#{pull['number']}",
            (pull.get("mergeCommit") or {}).get("oid", ""),
            merged,
            pull.get("title", ""),
            pull.get("headRefName", ""),
        )
        for pull in pulls
        if (merged := parse_time(pull.get("mergedAt"))) is not None
    ]
    return sorted(changes, key=lambda c: c.merged_at)


def drift_issues(gh: Gh) -> list[Issue]:
    args = ["issue", "list", "--label", DRIFT_LABEL, "--state", "all"]
    fields = ["--json", "number,title,createdAt,closedAt", "--limit", str(LIMIT)]
    issues = json.loads(gh([*args, *fields]) or "[]")
    found = [
        Issue(item["number"], item.get("title", ""), opened, parse_time(item.get("closedAt")))
        for item in issues
        if (opened := parse_time(item.get("createdAt"))) is not None
    ]
    return sorted(found, key=lambda i: i.opened_at)


def runs(gh: Gh, workflow: str) -> list[Run]:
    fields = "databaseId,event,headBranch,conclusion,status,createdAt"
    args = ["run", "list", "--workflow", workflow, "--json", fields, "--limit", str(LIMIT)]
    found = [
        Run(
            workflow,
            int(item["databaseId"]),
            item.get("event", ""),
            item.get("headBranch", ""),
            item.get("conclusion") or item.get("status", ""),
            created,
        )
        for item in json.loads(gh(args) or "[]")
        if (created := parse_time(item.get("createdAt"))) is not None
    ]
    return sorted(found, key=lambda r: (r.created_at, r.run_id))


def workflow_runs(gh: Gh, workflows: Sequence[str]) -> dict[str, list[Run]]:
    return {workflow: runs(gh, workflow) for workflow in workflows}


def released_tags(gh: Gh) -> set[str]:
    """The tags that have a GitHub Release: only their assets can hold latency figures."""
    args = ["release", "list", "--json", "tagName", "--limit", str(LIMIT)]
    return {item["tagName"] for item in json.loads(gh(args) or "[]")}


def latency(gh: Gh, version: Version) -> dict[str, Any] | None:
    """The latency figures in `version`'s release assets, or None when it has none; refused
    (Unavailable) when they describe another version or commit."""
    name = paths.LATENCY_REPORT.name
    try:
        text = gh(["release", "download", version.tag, "--pattern", name, "--output", "-"])
    except Unavailable:
        return None  # no release, or a release without latency figures
    record = json.loads(text)
    if (record.get("version"), record.get("commit")) != (version.version, version.commit):
        raise Unavailable(
            f"{version.tag}'s {name} describes {record.get('version')} at "
            f"{str(record.get('commit'))[:12]}, not {version.version} at {version.commit[:12]}"
        )
    return record
