"""The operations figures, computed from the records alone (no I/O): each function takes what
git and GitHub hold and returns plain data for ops.json, with its definition in DEFINITIONS.
"""

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..release.tags import Version, version_key
from .github import Issue, Run
from .records import Change, Deployment, Quality

DEFINITIONS = {
    "deployment_frequency": "production assignments (registry stage tags) per ISO week",
    "lead_time": "from a change's merge into main to the first production assignment whose "
    "commit contains it (median and p90, nearest rank); changes not in production yet are "
    "counted, not timed",
    "change_failure_rate": "production assignments later rolled back (production moved to a "
    "lower version) or replaced within ops.hotfix_days by a patch version (a fix), plus "
    "releases refused (release.yml failed for a version tag that never reached production), "
    "over all assignments plus refusals",
    "time_to_restore": "from a rollback's trigger to the rollback's production assignment; the "
    "trigger is the first drift issue opened while the rolled-back version held production, "
    "otherwise it is not recorded (a manual rollback) and only the exposure (assignment to "
    "rollback) is shown",
    "time_to_retrain": "from a drift issue's opening to the merge of the first retraining pull "
    "request opened after it, and to the first production assignment containing that merge",
    "latency": "p50 and p99 of one-row requests at the release gate's concurrency, as each "
    "release recorded them (release asset latency.json, checked against the version's commit)",
    "reliability": "per workflow: completed runs that succeeded over completed runs that "
    "succeeded or failed (cancelled and skipped runs left out), and the longest run of "
    "consecutive failures",
    "quality": "each version's primary metric (params.yaml gate.metric) from the metrics.json "
    "committed with it, shown only where dvc.lock at that commit records that file",
}


@dataclass
class Inputs:
    """Everything the figures read; a None source could not be read (see `unavailable`)."""

    since: datetime
    until: datetime
    versions: list[Version]
    deployments: list[Deployment]
    changes: list[Change]
    shipped_by: dict[str, int]
    quality: list[Quality]
    metric: str
    hotfix_days: float
    drift_issues: list[Issue] | None = None
    runs: dict[str, list[Run]] | None = None
    release_runs: list[Run] | None = None
    latency: dict[str, dict[str, Any]] | None = None
    gate_concurrency: int = 8
    unavailable: dict[str, str] = field(default_factory=dict)


def hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def week_of(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def weeks(since: datetime, until: datetime) -> list[str]:
    """Every ISO week from `since` to `until`, so quiet weeks show as zero."""
    found, day = [], since
    while day <= until:
        if week_of(day) not in found:
            found.append(week_of(day))
        day += timedelta(days=1)
    if week_of(until) not in found:
        found.append(week_of(until))
    return found


def within(inputs: Inputs, when: datetime) -> bool:
    return inputs.since <= when <= inputs.until


def deployment_frequency(inputs: Inputs) -> dict[str, Any]:
    shown = [d for d in inputs.deployments if within(inputs, d.at)]
    counts: dict[str, int] = defaultdict(int)
    for deployment in shown:
        counts[week_of(deployment.at)] += 1
    calendar = weeks(inputs.since, inputs.until)
    return {
        "total": len(shown),
        "per_week": round(len(shown) / len(calendar), 2),
        "weeks": [{"week": week, "count": counts[week]} for week in calendar],
    }


def lead_time(inputs: Inputs) -> dict[str, Any]:
    timed: list[tuple[Change, Deployment]] = []
    waiting = 0
    for change in inputs.changes:
        index = inputs.shipped_by.get(change.commit)
        if index is None:
            waiting += within(inputs, change.merged_at)
        elif within(inputs, inputs.deployments[index].at):
            timed.append((change, inputs.deployments[index]))
    values = [hours(d.at - c.merged_at) for c, d in timed]
    by_week: dict[str, list[float]] = defaultdict(list)
    for (_, deployment), value in zip(timed, values, strict=True):
        by_week[week_of(deployment.at)].append(value)
    return {
        "changes_shipped": len(timed),
        "changes_not_in_production": waiting,
        "median_hours": median(values),
        "p90_hours": nearest_rank(values, 0.9) if values else None,
        "weeks": [
            {"week": w, "changes": len(v), "median_hours": round(statistics.median(v), 2)}
            for w, v in sorted(by_week.items())
        ],
    }


def rollbacks(deployments: list[Deployment]) -> list[tuple[Deployment, Deployment]]:
    """(replaced, rollback): assignments that moved production to a lower version."""
    return [
        (before, after)
        for before, after in itertools.pairwise(deployments)
        if version_key(after.version) < version_key(before.version)
    ]


def is_patch_of(newer: str, older: str) -> bool:
    new, old = version_key(newer), version_key(older)
    return (new.major, new.minor) == (old.major, old.minor) and new.patch > old.patch


def failures(inputs: Inputs) -> dict[int, str]:
    """{deployment number: why it counts as a failure}."""
    found = {
        before.number: f"rolled back to {after.version} on {after.at:%Y-%m-%d}"
        for before, after in rollbacks(inputs.deployments)
    }
    window = timedelta(days=inputs.hotfix_days)
    for before, after in itertools.pairwise(inputs.deployments):
        fixed = is_patch_of(after.version, before.version) and after.at - before.at <= window
        if fixed and before.number not in found:
            found[before.number] = f"replaced by the fix {after.version} on {after.at:%Y-%m-%d}"
    return found


def refused(inputs: Inputs) -> list[dict[str, Any]] | None:
    """Version tags whose release runs failed and that never reached production."""
    if inputs.release_runs is None:
        return None
    deployed = {d.version for d in inputs.deployments}
    tags = {v.tag: v for v in inputs.versions}
    latest: dict[str, Run] = {}
    for run in inputs.release_runs:
        if run.branch in tags and within(inputs, run.created_at):
            latest[run.branch] = run
    return [
        {"version": tags[tag].version, "at": run.created_at.isoformat(), "run": run.run_id}
        for tag, run in sorted(latest.items(), key=lambda item: item[1].created_at)
        if run.conclusion == "failure" and tags[tag].version not in deployed
    ]


def change_failure_rate(inputs: Inputs) -> dict[str, Any]:
    failed = failures(inputs)
    shown = [d for d in inputs.deployments if within(inputs, d.at)]
    refusals = refused(inputs)
    listed = [
        {"version": d.version, "at": d.at.isoformat(), "why": failed[d.number]}
        for d in shown
        if d.number in failed
    ]
    count = len(shown) + len(refusals or [])
    bad = len(listed) + len(refusals or [])
    by_week: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for deployment in shown:
        by_week[week_of(deployment.at)][0] += 1
        by_week[week_of(deployment.at)][1] += deployment.number in failed
    return {
        "deployments": len(shown),
        "failed": len(listed),
        "refused": None if refusals is None else len(refusals),
        "rate": round(bad / count, 4) if count else None,
        "failures": listed,
        "refusals": refusals,
        "weeks": [
            {"week": w, "deployments": n, "failed": f} for w, (n, f) in sorted(by_week.items())
        ],
    }


def trigger(issues: Iterable[Issue], start: datetime, end: datetime) -> Issue | None:
    return next((i for i in issues if start <= i.opened_at <= end), None)


def time_to_restore(inputs: Inputs) -> dict[str, Any]:
    events = []
    for before, after in rollbacks(inputs.deployments):
        if not within(inputs, after.at):
            continue
        issue = trigger(inputs.drift_issues or [], before.at, after.at)
        events.append(
            {
                "from": before.version,
                "to": after.version,
                "at": after.at.isoformat(),
                "trigger": f"drift issue #{issue.number}" if issue else "not recorded",
                "hours": hours(after.at - issue.opened_at) if issue else None,
                "exposure_hours": hours(after.at - before.at),
            }
        )
    timed = [h for e in events if isinstance(h := e["hours"], float)]
    return {"rollbacks": events, "median_hours": median(timed)}


def time_to_retrain(inputs: Inputs) -> dict[str, Any]:
    """Each drift issue in the window, with its retraining pull request and deployment."""
    from ..drift.retrain import BRANCH_PREFIX

    retrainings = [c for c in inputs.changes if c.branch.startswith(BRANCH_PREFIX)]
    cycles = []
    for issue in inputs.drift_issues or []:
        if not within(inputs, issue.opened_at):
            continue
        pull = next((c for c in retrainings if c.merged_at >= issue.opened_at), None)
        index = inputs.shipped_by.get(pull.commit) if pull else None
        shipped = inputs.deployments[index] if index is not None else None
        cycles.append(
            {
                "issue": issue.number,
                "opened_at": issue.opened_at.isoformat(),
                "pull_request": pull.name if pull else None,
                "to_merge_hours": hours(pull.merged_at - issue.opened_at) if pull else None,
                "version": shipped.version if shipped else None,
                "to_production_hours": hours(shipped.at - issue.opened_at) if shipped else None,
            }
        )
    done = [h for c in cycles if isinstance(h := c["to_production_hours"], float)]
    return {"cycles": cycles, "median_to_production_hours": median(done)}


def latency(inputs: Inputs) -> dict[str, Any]:
    """p50/p99 at the gate's concurrency per released version, oldest version first."""
    rows = []
    for version in sorted(inputs.versions, key=lambda v: version_key(v.version)):
        record = (inputs.latency or {}).get(version.version)
        if record is None or not within(inputs, version.created_at):
            continue
        level = next(
            (x for x in record["levels"] if x["concurrency"] == inputs.gate_concurrency), None
        )
        if level is not None:
            rows.append(
                {
                    "version": version.version,
                    "concurrency": level["concurrency"],
                    "p50_ms": level["p50_ms"],
                    "p99_ms": level["p99_ms"],
                }
            )
    return {"versions": rows}


def longest_failing_streak(runs: list[Run]) -> int:
    longest = current = 0
    for run in runs:
        current = current + 1 if run.conclusion == "failure" else 0
        longest = max(longest, current)
    return longest


def reliability(inputs: Inputs) -> dict[str, Any]:
    found = {}
    for workflow, runs in (inputs.runs or {}).items():
        done = [
            r
            for r in runs
            if within(inputs, r.created_at) and r.conclusion in ("success", "failure")
        ]
        succeeded = sum(r.conclusion == "success" for r in done)
        by_week: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for run in done:
            by_week[week_of(run.created_at)][0] += 1
            by_week[week_of(run.created_at)][1] += run.conclusion == "success"
        found[workflow] = {
            "runs": len(done),
            "succeeded": succeeded,
            "success_share": round(succeeded / len(done), 4) if done else None,
            "longest_failing_streak": longest_failing_streak(done),
            "weeks": [
                {"week": w, "runs": n, "succeeded": s} for w, (n, s) in sorted(by_week.items())
            ],
        }
    return {"workflows": found}


def quality(inputs: Inputs) -> dict[str, Any]:
    production = inputs.deployments[-1].version if inputs.deployments else None
    released = {v.version: v for v in inputs.versions}
    return {
        "metric": inputs.metric,
        "production": production,
        "versions": [
            {
                "version": q.version,
                "value": q.value,
                "production": q.version == production,
                "problem": q.problem,
            }
            for q in inputs.quality
            if q.version in released and within(inputs, released[q.version].created_at)
        ],
    }


FIGURES = {
    "deployment_frequency": deployment_frequency,
    "lead_time": lead_time,
    "change_failure_rate": change_failure_rate,
    "time_to_restore": time_to_restore,
    "time_to_retrain": time_to_retrain,
    "latency": latency,
    "reliability": reliability,
    "quality": quality,
}


def compute(inputs: Inputs) -> dict[str, Any]:
    """Every figure that its sources allow; the others are named in `unavailable`."""
    return {
        name: figure(inputs) for name, figure in FIGURES.items() if name not in inputs.unavailable
    }
