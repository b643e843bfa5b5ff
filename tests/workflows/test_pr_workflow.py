"""The generated project's pull-request workflow (pr.yml) under act.

One origin per module: a baked default project whose main is reproduced and committed
(dvc.lock, metrics.json in git) with its outputs and run cache pushed to a local DVC remote.
Each test pushes a branch, opens a pull request for it and runs pr.yml on the merge commit.
"""

import json
import re

import pytest
import yaml
from conftest import ENGINE_TESTS_LEFT_OUT, WITHOUT_ENGINE_TESTS, dvc
from github_in_a_box.origin import git
from mermaid import assert_charts_drawn_as_written

from .projects import STUMP, pinned_cml, replace, reproduced_origin

REPORT_STEPS = [
    "Check out",
    "Set up Python",
    "Install the project",
    "Fetch data and cached results",
    "Reproduce the pipeline",
    "Build the report",
    "Add the report to the job summary",
    "Upload plots and reports",
    "Set up CML",
    "Post the report on the pull request",
    "Push reproduced outputs",
    "Quality gate",
]
CHECKS_STEPS = [
    "Check out",
    "Set up Python",
    "Install the project",
    "Lint",
    "Fetch data and cached results",
    "Test",
]
# The "checks" job (lint, the project's tests: ~2.5 min under act) is played where its outcome
# is what the test is about (all green; a worse model fails its model-quality test); elsewhere
# only the report job runs.
REPORT_ONLY = {"job": "report"}
IMPROVE = ("family: hist_gradient_boosting", "family: logistic")


@pytest.fixture(scope="module")
def pr_box(baked, act_runner, tmp_path_factory):
    """(box, work clone): origin holds a reproduced main; the clone is on main."""
    return reproduced_origin(baked(), tmp_path_factory.mktemp("pr-workflow"), act_runner)


def branch_with(project, name, change, message):
    """Commit `change(clone)` on a new branch from main in a fresh clone; return the clone."""
    clone = project.parent / name
    git("clone", "--quiet", str(project), str(clone), cwd=project.parent)
    git("checkout", "--quiet", "-b", name, cwd=clone)
    change(clone)
    git("add", "--all", cwd=clone)
    git("commit", "--quiet", "-m", message, cwd=clone)
    return clone


def open_pr(box, clone, name, **details):
    box.publish(clone, f"HEAD:refs/heads/{name}")
    return box.pull_request_event(name, **details)


def pr_comments(box, event):
    return box.records.cml_comments(f"pr/{event.payload['number']}")


def cml_calls_for(box, event):
    target = f"pr/{event.payload['number']}"
    return [call for call in box.records.cml_calls() if call.get("comment_target") == target]


def step_summary(result):
    """What the job appended to $GITHUB_STEP_SUMMARY."""
    return result.job("report").summary


def metrics_diff_after_repro(box, event, tmp_path):
    """`dvc metrics diff origin/main --json`, run independently on the PR's merge commit."""
    clone = box.origin.checkout(tmp_path / "independent", event.sha)
    dvc("pull", "--quiet", "--run-cache", "--allow-missing", cwd=clone)
    dvc("repro", "--quiet", cwd=clone)
    return json.loads(dvc("metrics", "diff", "origin/main", "--json", cwd=clone).stdout)


def report_numbers(report, name):
    """(base, this PR) as printed in the report's metrics table row for `name`."""
    (row,) = [line for line in report.splitlines() if line.startswith(f"| `{name}` |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    return cells[1], cells[2]


def test_a_pr_that_improves_the_model_gets_one_report(pr_box, tmp_path):
    box, project = pr_box
    clone = branch_with(
        project,
        "better-model",
        lambda c: replace(c / "params.yaml", IMPROVE),
        "Use logistic regression",
    )
    event = open_pr(box, clone, "better-model")

    result = box.run(event, "pr.yml", env=WITHOUT_ENGINE_TESTS)

    print(f"\nact wall time, pr.yml (params change, retrain): {result.seconds:.0f} s")
    assert result.ok, result.report()
    assert ENGINE_TESTS_LEFT_OUT.search(result.job("checks").step("Test").text)
    assert result.job("report").outcomes == dict.fromkeys(REPORT_STEPS, "success")
    assert result.job("checks").outcomes == dict.fromkeys(CHECKS_STEPS, "success")
    # CML comes from npm at the Makefile's CML_VERSION (the recording npm refuses an unpinned
    # install, and only its install puts the recording cml on PATH).
    (install,) = box.records.npm_calls()
    assert install[:2] == ["install", "--global"] and install[-1] == pinned_cml(project)
    (posted,) = cml_calls_for(box, event)
    assert posted["command"] == ["comment", "update"]
    assert posted["options"]["target"] == ["pr"]
    assert posted["options"]["publish"] == ["false"]
    report = posted["report_text"]
    assert "quality gate ✅ PASS" in report
    assert "| `model.family` | `hist_gradient_boosting` | `logistic` |" in report
    expected = metrics_diff_after_repro(box, event, tmp_path)["metrics.json"]
    for name, values in expected.items():
        assert report_numbers(report, name) == (f"{values['old']:.4f}", f"{values['new']:.4f}")
    assert expected["roc_auc"]["new"] > expected["roc_auc"]["old"]
    assert step_summary(result).strip() == report.strip()
    artifact = box.records.artifact("pr-report")
    assert "reports/pr.md" in artifact
    assert any(name.startswith("plots/") for name in artifact)
    # Changing the model family keeps the test rows: the base's own test predictions (pulled
    # through DVC at main's commit) and this PR's are compared row by row.
    assert "paired (both models on the same rows), 1,000 seeded bootstrap resamples" in report
    assert re.search(r"quality gate ✅ PASS · \d+ metrics better, \d+ worse, \d+ within", report)
    assert_charts_drawn_as_written(report, "pr-report-charts.png")

    # A second push to the same pull request updates the one comment.
    def tweak(c):
        replace(c / "params.yaml", ("C: 1.0", "C: 0.5"))

    tweak(clone)
    git("commit", "--quiet", "--all", "-m", "Regularise more", cwd=clone)
    update = open_pr(
        box, clone, "better-model", action="synchronize", number=event.payload["number"]
    )

    second = box.run(update, "pr.yml", **REPORT_ONLY)

    assert second.ok, second.report()
    (comment,) = pr_comments(box, event)
    assert comment["updates"] == 1
    assert "| `model.hyperparameters.logistic.C` | 1.0000 | 0.5000 |" in comment["body"]
    assert [call["comment_action"] for call in cml_calls_for(box, event)] == [
        "created",
        "updated",
    ]


def change_data(clone, edit):
    """Apply `edit(lines)` to the raw data (from main's work tree), track it and push it."""
    data = clone / "data" / "raw" / "demo.csv"
    lines = (clone.parent / "work" / "data" / "raw" / "demo.csv").read_text().splitlines()
    data.write_text("\n".join(edit(lines)) + "\n")
    dvc("add", "--quiet", str(data), cwd=clone)
    dvc("push", "--quiet", cwd=clone)


def test_a_params_change_below_the_gate_is_reported_then_fails(pr_box):
    box, project = pr_box
    clone = branch_with(
        project, "worse-model", lambda c: replace(c / "params.yaml", STUMP), "One stump"
    )
    event = open_pr(box, clone, "worse-model")

    result = box.run(event, "pr.yml", env=WITHOUT_ENGINE_TESTS)

    # The report is posted, then its gate fails; the project's model-quality test fails too.
    assert sorted(result.failed_steps) == [("checks", "Test"), ("report", "Quality gate")], (
        result.report()
    )
    (posted,) = cml_calls_for(box, event)
    report = posted["report_text"]
    assert "quality gate ❌ FAIL" in report
    assert "| `model.hyperparameters.hist_gradient_boosting.max_iter` | 100 | 1 |" in report
    assert "does not meet the quality gate" in result.job("report").step("Quality gate").text
    assert "test_the_model_meets_the_gate" in result.job("checks").step("Test").text


def corrupt_data(clone):
    """Append a row breaking two rules of the contract."""
    change_data(clone, lambda lines: [*lines, "-5,3,70.5,1,10.2,lifetime,card,east,1"])


def test_corrupt_data_shows_the_violations_and_fails(pr_box):
    box, project = pr_box
    clone = branch_with(project, "bad-data", corrupt_data, "Add a broken row")
    event = open_pr(box, clone, "bad-data")

    result = box.run(event, "pr.yml", **REPORT_ONLY)

    assert result.failed_steps == [("report", "Reproduce the pipeline")], result.report()
    outcomes = result.job("report").outcomes
    assert outcomes["Build the report"] == "success"
    assert outcomes["Post the report on the pull request"] == "success"
    assert outcomes["Quality gate"] == "skipped"
    (posted,) = cml_calls_for(box, event)
    report = posted["report_text"]
    assert "Data contract **FAILED**" in report
    assert "| `customer_age` | out_of_range | 1 | `-5` |" in report
    assert "| `contract` | category | 1 | `lifetime` |" in report
    assert "`dvc repro` failed" in report


def test_a_code_only_change_leaves_the_metrics_unchanged(pr_box):
    box, project = pr_box

    def document(clone):
        (path,) = (clone / "src").glob("*/pipeline/train.py")
        replace(path, ('"""', '"""Training: '))

    clone = branch_with(project, "code-only", document, "Reword a docstring")
    event = open_pr(box, clone, "code-only")

    result = box.run(event, "pr.yml", **REPORT_ONLY)

    assert result.ok, result.report()
    (posted,) = cml_calls_for(box, event)
    report = posted["report_text"]
    assert "No parameter changed." in report
    metrics = yaml.safe_load((project / "metrics.json").read_text())
    for name, value in metrics.items():
        assert report_numbers(report, name) == (f"{value:.4f}", f"{value:.4f}")


def test_a_fork_pr_gets_a_summary_and_no_comment(pr_box):
    box, project = pr_box
    clone = branch_with(
        project,
        "fork-change",
        lambda c: replace(c / "params.yaml", IMPROVE),
        "A contributor's change",
    )
    event = open_pr(box, clone, "fork-change", head_slug="contributor/customer-churn")
    before = len(box.records.cml_calls()), len(box.records.npm_calls())

    result = box.run(event, "pr.yml", **REPORT_ONLY)

    assert result.ok, result.report()
    outcomes = result.job("report").outcomes
    assert outcomes["Set up CML"] == "skipped"
    assert outcomes["Post the report on the pull request"] == "skipped"
    assert outcomes["Push reproduced outputs"] == "skipped"
    assert (len(box.records.cml_calls()), len(box.records.npm_calls())) == before
    assert "quality gate ✅ PASS" in step_summary(result)
