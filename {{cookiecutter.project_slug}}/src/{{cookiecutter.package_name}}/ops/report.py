"""The operations report: gather the records from git and GitHub, compute the figures, write
reports/ops.json, ops.md and ops.html. A source that cannot be read leaves its figures out and
says why; nothing is guessed.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import paths
from ..edge.git import head_commit
from ..errors import ProjectError
from ..params import load_params
from ..release.tags import Version, model_name
from ..serving.latency import GATE_CONCURRENCY
from . import github, records
from .figures import DEFINITIONS, Inputs, compute

NO_GH = "gh is not installed or GH_TOKEN is not set: GitHub's records cannot be read"


def parse_day(text: str | None, end: bool = False) -> datetime | None:
    """A --since/--until date (YYYY-MM-DD or ISO time) in UTC; an --until date means its end."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ProjectError(f"{text!r} is not a date", "give YYYY-MM-DD, e.g. 2026-01-31") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if end and len(text) == 10:
        when += timedelta(days=1) - timedelta(microseconds=1)
    return when


def window(
    since: datetime | None, until: datetime | None, versions: list[Version]
) -> tuple[datetime, datetime]:
    """The report's range: by default from the first registered version to now."""
    until = until or datetime.now(UTC)
    if since is None:
        first = min((v.created_at for v in versions), default=until - timedelta(days=7))
        since = first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if since > until:
        raise ProjectError(
            f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}",
            "give a --since before --until",
        )
    return since, until


def github_inputs(inputs: Inputs, gh: github.Gh | None, sources: dict[str, str]) -> None:
    """Fill `inputs` with what gh can read; name what it could not, and why."""
    if gh is None:
        for name in ("time_to_retrain", "latency", "reliability"):
            inputs.unavailable[name] = NO_GH
        sources["github"] = NO_GH
        return
    readers: dict[str, tuple[str, Callable[[], Any]]] = {
        "drift_issues": ("time_to_retrain", lambda: github.drift_issues(gh)),
        "runs": ("reliability", lambda: github.workflow_runs(gh, github.RELIABILITY_WORKFLOWS)),
        "release_runs": ("change_failure_rate", lambda: github.runs(gh, github.RELEASE_WORKFLOW)),
        "latency": ("latency", lambda: released_latency(gh, inputs)),
    }
    for attribute, (figure, read) in readers.items():
        try:
            setattr(inputs, attribute, read())
        except github.Unavailable as error:
            if figure != "change_failure_rate":
                inputs.unavailable[figure] = str(error)
            sources[attribute] = f"could not be read: {error}"
    sources["github"] = "gh: pull requests, drift issues, workflow runs, release assets"


def released_latency(gh: github.Gh, inputs: Inputs) -> dict[str, dict[str, Any]]:
    """The latency figures of the versions registered in the window, by version: one call
    lists the releases, and only a released version's assets are asked for."""
    found = {}
    released = github.released_tags(gh)
    for version in inputs.versions:
        if inputs.since <= version.created_at <= inputs.until and version.tag in released:
            record = github.latency(gh, version)
            if record is not None:
                found[version.version] = record
    return found


def gather(
    root: str | Path, since: datetime | None, until: datetime | None, gh: github.Gh | None
) -> tuple[Inputs, dict[str, str]]:
    params = load_params(Path(root) / paths.PARAMS)
    versions, events = records.registry_records(root)
    start, end = window(since, until, versions)
    shipped = [d for d in records.deployments(events) if d.at <= end]
    sources = {"registry": f"{len(versions)} versions and {len(events)} stage tags (git)"}
    changes, how = None, ""
    if gh is not None:
        try:
            changes, how = github.merged_pulls(gh) or None, "merged pull requests (gh)"
        except github.Unavailable as error:
            sources["pull requests"] = f"could not be read: {error}"
    if changes is None:  # no gh, or no pull request merged on GitHub (pushes to main)
        changes, how = records.git_changes(root)
    sources["changes"] = how
    inputs = Inputs(
        since=start,
        until=end,
        versions=versions,
        deployments=shipped,
        changes=changes,
        shipped_by=records.first_shipped(root, shipped),
        quality=records.quality(root, versions, params.gate.metric),
        metric=params.gate.metric,
        hotfix_days=params.ops.hotfix_days,
        gate_concurrency=GATE_CONCURRENCY,
    )
    github_inputs(inputs, gh, sources)
    return inputs, sources


def build(
    root: str | Path = ".",
    since: datetime | None = None,
    until: datetime | None = None,
    gh: github.Gh | None = None,
) -> dict[str, Any]:
    """The report as ops.json holds it."""
    inputs, sources = gather(root, since, until, gh)
    return {
        "model": model_name(Path(root) / paths.DVC_YAML),
        "since": inputs.since.isoformat(),
        "until": inputs.until.isoformat(),
        "commit": head_commit(root),
        "sources": sources,
        "definitions": DEFINITIONS,
        "unavailable": inputs.unavailable,
        "figures": compute(inputs),
    }


def write(report: dict[str, Any], output: str | Path = paths.OPS_REPORT) -> list[Path]:
    """ops.json, ops.md and ops.html side by side."""
    from .render import html, markdown

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    written = [output, output.with_suffix(".md"), output.with_suffix(".html")]
    written[0].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    written[1].write_text(markdown(report), encoding="utf-8")
    written[2].write_text(html(report), encoding="utf-8")
    return written
