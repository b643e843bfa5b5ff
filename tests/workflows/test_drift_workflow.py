"""The generated project's scheduled drift check (drift.yml) under act.

One origin for the module: a baked default project whose main is reproduced, committed and
pushed to a local DVC remote. No model is in production, so every run compares with the
workspace's model (and says so). The runs are chained, as the schedule would run them, each
after a commit that changes params.yaml's `drift:` section:

  no drift (no issue) -> drift (issue opened) -> drift again with retraining (issue updated,
  retraining pull request) -> source unavailable (separate issue, non-zero exit) ->
  schema-invalid batch (that issue updated) -> recovery (both issues closed).
"""

import datetime
import json

import pytest
from browser import OUTPUT, page_layout
from conftest import DEFAULTS
from github_in_a_box.origin import git

from .projects import pinned_cml, reproduced_origin, set_params

CHECK = "Check for drift"
LAST = "Fail unless the data showed no drift"
DRIFT_LABEL, FAILED_LABEL = "drift", "drift-check-failed"


def today():
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@pytest.fixture(scope="module")
def drift_box(baked, act_runner, tmp_path_factory):
    """(box, work clone): origin holds a reproduced main; the clone is on main."""
    return reproduced_origin(baked(), tmp_path_factory.mktemp("drift-workflow"), act_runner)


def set_drift(project, message, **settings):
    """Rewrite `drift:` settings in params.yaml, commit (pushed by the next run)."""
    set_params(project, "drift", **settings)
    git("add", "--all", cwd=project)
    # Empty when nothing changed (the bake's simulation already starts today): still a run.
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=project)


def run_schedule(box, project):
    box.publish(project)
    return box.run(box.schedule_event(DEFAULTS["drift_schedule"]), "drift.yml")


def report_of(box):
    """(drift.json's content, {file name: path}) of the latest drift-report artifact."""
    files = {
        path.rsplit("/", 1)[-1]: file for path, file in box.records.artifact("drift-report").items()
    }
    return json.loads(files["drift.json"].read_text()), files


def issues(box, label, state="OPEN"):
    return [issue for issue in box.records.issues(state) if label in issue["labels"]]


def test_no_drift_then_drift_then_update_with_retraining(drift_box):
    box, project = drift_box
    set_drift(project, "Simulate from today", start=f"'{today()}'")

    calm = run_schedule(box, project)

    print(f"\nact wall time, drift.yml (no drift): {calm.seconds:.0f} s")
    assert calm.ok, calm.report()
    document, files = report_of(box)
    assert document["status"] == "no_drift"
    assert "no model is in production" in document["reference"]["description"]
    assert {"drift.json", "drift.md", "drift.html"} <= set(files)
    assert "<svg" in files["drift.html"].read_text()
    assert not box.records.issues(state=None)
    assert "✅ no drift" in calm.job("check").summary
    assert not box.records.npm_calls()  # CML is installed only to open a retraining PR

    set_drift(project, "Simulate a drifted population", start="'2000-01-01'")
    drifted = run_schedule(box, project)

    assert drifted.failed_steps == [("check", CHECK), ("check", LAST)], drifted.report()
    _, files = report_of(box)
    # The page a reviewer opens from the artifact, as Chromium lays it out at a desktop width.
    layout = page_layout(files["drift.html"], screenshot=OUTPUT / "drift-report.png")
    assert layout["scroll_width"] <= layout["client_width"] == 1280, layout
    for report in (files["drift.md"].read_text(), files["drift.html"].read_text()):
        assert "at release" not in report and "the workspace's test metrics" in report
    outcomes = drifted.job("check").outcomes
    assert outcomes["Retrain on the current data"] == "success"  # retrain_on_drift is false
    (issue,) = issues(box, DRIFT_LABEL)
    assert issue["title"].startswith(f"Data drift on {today()}")
    assert "| `support_calls` | feature | ks |" in issue["body"]
    assert not box.records.pulls(state=None)
    assert not [call for call in box.records.cml_calls() if call["command"][:1] == ["pr"]]

    set_drift(project, "Retrain on drift", retrain_on_drift="true")
    again = run_schedule(box, project)

    assert again.failed_steps == [("check", CHECK), ("check", LAST)], again.report()
    (updated,) = issues(box, DRIFT_LABEL)
    assert updated["number"] == issue["number"]
    assert len(updated["comments"]) == 1 and "Drift persists" in updated["comments"][0]["body"]
    (call,) = [call for call in box.records.cml_calls() if call["command"][:2] == ["pr", "create"]]
    body = call["options"]["body"][0]
    assert "No checks ran on this pull request yet" in body  # no REPO_TOKEN secret
    assert "Retraining on the drifted data" in body and "support_calls" in body
    assert "data/raw/demo.csv.dvc" in call["files"] and "dvc.lock" in call["files"]
    assert call["options"]["branch"] == [f"drift-retrain-{today()}"]
    assert box.origin.rev(f"drift-retrain-{today()}") == call["head_sha"]
    # Both drifted runs installed CML from npm, at the Makefile's CML_VERSION.
    installs = box.records.npm_calls()
    assert [(i[:2], i[-1]) for i in installs] == [
        (["install", "--global"], pinned_cml(project))
    ] * 2


def test_an_unavailable_source_then_invalid_data_get_their_own_issue(drift_box):
    box, project = drift_box
    (project / "data" / "incoming").mkdir()
    set_drift(
        project,
        "Read a batch that is not there",
        simulate="false",
        retrain_on_drift="false",
        source="data/incoming/{date}.csv",
    )

    missing = run_schedule(box, project)

    assert missing.failed_steps == [("check", CHECK), ("check", LAST)], missing.report()
    assert "no current data at data/incoming/" in missing.job("check").step(LAST).text
    document, _ = report_of(box)
    assert document["status"] == "could_not_check"
    (failed,) = issues(box, FAILED_LABEL)
    assert failed["title"] == f"Drift check could not run on {today()}"
    assert "no current data at" in failed["body"]
    assert len(issues(box, DRIFT_LABEL)) == 1  # the drift issue stays as it was

    header = "customer_age,tenure_months,monthly_charges,support_calls,data_usage_gb,contract,"
    rows = [header + "payment_method,region,churned"]
    rows += ["40,many,60.5,1,10.0,one-year,card,east,0"] * 300
    (project / "data" / "incoming" / f"{today()}.csv").write_text("\n".join(rows) + "\n")
    set_drift(project, "Deliver a batch off the contract", source="data/incoming/{date}.csv")
    invalid = run_schedule(box, project)

    assert invalid.failed_steps == [("check", CHECK), ("check", LAST)], invalid.report()
    (failed,) = issues(box, FAILED_LABEL)
    assert "tenure_months: dtype in 300 rows" in failed["body"]
    assert "could not run again" in failed["comments"][-1]["body"]


def test_recovery_closes_the_open_issues(drift_box):
    box, project = drift_box
    set_drift(
        project,
        "Back to the simulated, calm population",
        simulate="true",
        start=f"'{today()}'",
        source="data/current/{date}.parquet",
    )

    recovered = run_schedule(box, project)

    assert recovered.ok, recovered.report()
    assert not box.records.issues()
    closed = {issue["labels"][0]: issue for issue in box.records.issues(state="CLOSED")}
    assert "Recovered: no drift" in closed[DRIFT_LABEL]["comments"][-1]["body"]
    assert "ran again" in closed[FAILED_LABEL]["comments"][-1]["body"]
