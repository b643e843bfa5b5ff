"""The operations report on a synthetic history whose every figure is known: five production
assignments over three weeks, a rollback after a drift issue, a retraining pull request, a
release refused at the gate, a fix within ops.hotfix_days, and workflow runs served by a
stand-in for `gh`."""

import json

import pytest
import yaml
from conftest import demo_params_document
from ops_history import History, Registry, at

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.ops import github, report

MODEL = "customer-churn"
DRIFT_ISSUE = 10


def iso(when):
    return when.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """(root, {name: commit sha}) of the known history."""
    h = History(MODEL)
    tags = Registry(h)
    marks = {"init": h.commit(at(0), "Initial", {"roc_auc": 0.80})}
    marks["tune"] = h.merge(at(1), "tune", {"roc_auc": 0.81})
    tags.version("v0.1.0", marks["tune"], at(1, 1))
    tags.assign("production", "v0.1.0", marks["tune"], at(1, 2))
    marks["features"] = h.merge(at(7), "features", {"roc_auc": 0.83})
    tags.version("v0.2.0", marks["features"], at(7, 1))
    tags.assign("production", "v0.2.0", marks["features"], at(8))
    tags.assign("production", "v0.1.0", marks["tune"], at(9, 6), "Roll back")
    marks["retrain"] = h.merge(at(10), "drift-retrain-2026-01-14", {"roc_auc": 0.84})
    tags.version("v0.3.0", marks["retrain"], at(10, 1))
    marks["fix"] = h.merge(at(14), "fix", {"roc_auc": 0.85})
    tags.version("v0.4.0", marks["fix"], at(14, 1))
    tags.assign("production", "v0.4.0", marks["fix"], at(15))
    marks["hotfix"] = h.merge(at(16), "hotfix", {"roc_auc": 0.85})
    tags.version("v0.4.1", marks["hotfix"], at(16, 1))
    tags.assign("production", "v0.4.1", marks["hotfix"], at(17))
    marks["stale"] = h.merge(at(18), "stale", {"roc_auc": 0.99}, stale_lock=True)
    tags.version("v0.5.0", marks["stale"], at(18, 1))
    root = tmp_path_factory.mktemp("ops") / "repo"
    shas = h.write(root)
    (root / "params.yaml").write_text(yaml.safe_dump(demo_params_document("binary_classification")))
    return root, {name: shas[mark] for name, mark in marks.items()}


def pulls(shas):
    merged = [("tune", 1, 1), ("features", 2, 7), ("drift-retrain-2026-01-14", 11, 10)]
    merged += [("fix", 12, 14), ("hotfix", 13, 16), ("stale", 14, 18)]
    return [
        {
            "number": number,
            "title": branch,
            "headRefName": branch,
            "mergedAt": iso(at(day)),
            "mergeCommit": {"oid": shas["retrain" if branch.startswith("drift") else branch]},
        }
        for branch, number, day in merged
    ]


def run(number, day, conclusion, branch="main", hours=0):
    return {
        "databaseId": number,
        "event": "schedule",
        "headBranch": branch,
        "conclusion": conclusion,
        "status": "completed",
        "createdAt": iso(at(day, hours)),
    }


RUNS = {
    "drift.yml": [
        run(1, 2, "success"),
        run(2, 9, "failure"),
        run(3, 9, "failure", hours=1),
        run(4, 10, "success"),
        run(5, 11, "cancelled"),
    ],
    "score.yml": [],
    "pr.yml": [run(6, 1, "success"), run(7, 7, "success"), run(8, 10, "success")],
    "release.yml": [
        run(9, 1, "success", f"{MODEL}@v0.1.0", 1),
        run(17, 10, "failure", f"{MODEL}@v0.3.0", 2),
    ],
}


def latency_record(version, commit, p50, p99):
    levels = [{"concurrency": c, "p50_ms": p50 - c, "p99_ms": p99 - c} for c in (1, 8)]
    levels[1].update(p50_ms=p50, p99_ms=p99)
    return {"version": version, "commit": commit, "floor_ms": 5.0, "levels": levels}


class FakeGh:
    """gh's answers for the known history; every call recorded."""

    def __init__(self, shas, latency=None):
        self.shas, self.calls = shas, []
        self.latency = latency or {
            f"{MODEL}@v0.4.0": latency_record("v0.4.0", shas["fix"], 20.5, 30.25)
        }

    def __call__(self, args):
        self.calls.append(list(args))
        if args[:2] == ["pr", "list"]:
            return json.dumps(pulls(self.shas))
        if args[:2] == ["issue", "list"]:
            issue = {"number": DRIFT_ISSUE, "title": "Drift", "createdAt": iso(at(9))}
            return json.dumps([{**issue, "closedAt": iso(at(12))}])
        if args[:2] == ["run", "list"]:
            return json.dumps(RUNS[args[args.index("--workflow") + 1]])
        if args[:2] == ["release", "list"]:
            return json.dumps([{"tagName": tag} for tag in self.latency])
        if args[:2] == ["release", "download"]:
            if args[2] not in self.latency:
                raise github.Unavailable(f"release {args[2]} has no latency.json")
            return json.dumps(self.latency[args[2]])
        raise AssertionError(f"unexpected gh call {args}")


@pytest.fixture(scope="module")
def full(history):
    root, shas = history
    return report.build(root, until=at(20), gh=FakeGh(shas))


def test_deployment_frequency_counts_production_assignments_per_week(full):
    figure = full["figures"]["deployment_frequency"]
    assert figure["total"] == 5
    assert figure["weeks"] == [
        {"week": "2026-W02", "count": 1},
        {"week": "2026-W03", "count": 2},
        {"week": "2026-W04", "count": 2},
    ]
    assert figure["per_week"] == 1.67
    assert full["since"] == "2026-01-06T00:00:00+00:00"  # the day of the first version


def test_lead_time_runs_from_merge_to_the_first_production_containing_it(full):
    figure = full["figures"]["lead_time"]
    # tune 2 h, features 24 h, the retraining 120 h (shipped with v0.4.0), fix 24 h, hotfix 24 h
    assert figure["changes_shipped"] == 5
    assert figure["changes_not_in_production"] == 1  # "stale", merged, never in production
    assert (figure["median_hours"], figure["p90_hours"]) == (24.0, 120.0)
    assert full["sources"]["changes"] == "merged pull requests (gh)"


def test_a_rollback_a_fix_and_a_refused_release_are_the_failures(full):
    figure = full["figures"]["change_failure_rate"]
    assert (figure["deployments"], figure["failed"], figure["refused"]) == (5, 2, 1)
    assert figure["rate"] == 0.5  # (2 failed + 1 refused) / (5 + 1)
    assert [(f["version"], f["why"]) for f in figure["failures"]] == [
        ("v0.2.0", "rolled back to v0.1.0 on 2026-01-14"),
        ("v0.4.0", "replaced by the fix v0.4.1 on 2026-01-22"),
    ]
    assert [r["version"] for r in figure["refusals"]] == ["v0.3.0"]


def test_time_to_restore_runs_from_the_drift_issue_to_the_rollback(full):
    (rollback,) = full["figures"]["time_to_restore"]["rollbacks"]
    assert (rollback["from"], rollback["to"]) == ("v0.2.0", "v0.1.0")
    assert rollback["trigger"] == f"drift issue #{DRIFT_ISSUE}"
    assert (rollback["hours"], rollback["exposure_hours"]) == (6.0, 30.0)


def test_time_to_retrain_follows_the_issue_to_its_pull_request_and_version(full):
    (cycle,) = full["figures"]["time_to_retrain"]["cycles"]
    assert (cycle["issue"], cycle["pull_request"], cycle["version"]) == (10, "#11", "v0.4.0")
    assert (cycle["to_merge_hours"], cycle["to_production_hours"]) == (24.0, 144.0)


def test_reliability_is_the_success_share_and_the_longest_failing_streak(full):
    workflows = full["figures"]["reliability"]["workflows"]
    drift = workflows["drift.yml"]
    assert (drift["runs"], drift["succeeded"], drift["success_share"]) == (4, 2, 0.5)
    assert drift["longest_failing_streak"] == 2  # the cancelled run is left out
    assert workflows["score.yml"]["success_share"] is None
    assert workflows["pr.yml"]["success_share"] == 1.0


def test_only_released_versions_are_asked_for_their_latency(history):
    """One `gh release list`, then a download per released version, not one per version."""
    root, shas = history
    gh = FakeGh(shas)
    report.build(root, until=at(20), gh=gh)
    releases = [call for call in gh.calls if call[0] == "release"]
    assert [call[:2] for call in releases] == [["release", "list"], ["release", "download"]]
    assert releases[1][2] == f"{MODEL}@v0.4.0"


def test_latency_and_quality_are_what_each_version_recorded(full):
    assert full["figures"]["latency"]["versions"] == [
        {"version": "v0.4.0", "concurrency": 8, "p50_ms": 20.5, "p99_ms": 30.25}
    ]
    quality = {v["version"]: v for v in full["figures"]["quality"]["versions"]}
    assert [v["value"] for v in quality.values()][:5] == [0.81, 0.83, 0.84, 0.85, 0.85]
    assert quality["v0.4.1"]["production"] and not quality["v0.4.0"]["production"]
    stale = quality["v0.5.0"]
    assert stale["value"] is None
    assert stale["problem"] == "metrics.json does not match dvc.lock at its commit"


def test_without_gh_the_report_names_what_it_could_not_compute(history):
    root, _ = history
    found = report.build(root, until=at(20), gh=None)
    assert set(found["unavailable"]) == {"time_to_retrain", "latency", "reliability"}
    assert all("GH_TOKEN" in why for why in found["unavailable"].values())
    figures = found["figures"]
    assert figures["change_failure_rate"]["refused"] is None  # not counted, not zero
    assert figures["change_failure_rate"]["rate"] == 0.4  # 2 of 5, refusals unknown
    assert found["sources"]["changes"] == "merge commits on main"
    assert figures["lead_time"]["median_hours"] == 24.0
    rollback = figures["time_to_restore"]["rollbacks"][0]
    assert (rollback["trigger"], rollback["hours"]) == ("not recorded", None)


def test_latency_of_another_commit_is_refused(history):
    root, shas = history
    wrong = {f"{MODEL}@v0.4.1": latency_record("v0.4.0", shas["fix"], 20.5, 30.25)}
    found = report.build(root, until=at(20), gh=FakeGh(shas, latency=wrong))
    assert "latency" not in found["figures"]
    assert "describes v0.4.0" in found["unavailable"]["latency"]


def test_a_window_keeps_only_its_events(history):
    root, shas = history
    found = report.build(root, at(14), at(20), gh=FakeGh(shas))
    assert found["figures"]["deployment_frequency"]["total"] == 2
    assert found["figures"]["change_failure_rate"]["refused"] == 0


def test_bad_dates_are_refused_with_the_fix(history):
    with pytest.raises(ProjectError, match="not a date"):
        report.parse_day("31/01/2026")
    root, _ = history
    with pytest.raises(ProjectError, match="is after --until"):
        report.build(root, at(20), at(10))


def test_the_report_files_are_written_side_by_side(full, tmp_path):
    written = report.write(full, tmp_path / "reports" / "ops.json")
    assert [p.name for p in written] == ["ops.json", "ops.md", "ops.html"]
    assert json.loads(written[0].read_text()) == json.loads(json.dumps(full))
