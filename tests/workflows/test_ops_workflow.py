"""The generated operations report workflow (ops.yml) under act: it computes the report from
the registry's tags, git and the recording gh (which keeps the runs the box played), puts it in
the job summary and an artifact, and keeps one pinned "Model health" issue, edited in place."""

import json

from browser import OUTPUT, page_layout
from github_in_a_box.origin import git

MODEL = "customer-churn"


def annotated_tag(project, name, message):
    git("tag", "--annotate", name, "-m", message, cwd=project)


def test_ops_workflow_keeps_one_model_health_issue(baked, project_copy, github_box):
    project = project_copy(baked())
    annotated_tag(project, f"{MODEL}@v0.1.0", "Release v0.1.0")
    annotated_tag(project, f"{MODEL}#production#1", "Promote v0.1.0 to production")
    github_box.publish(project)

    first = github_box.run(github_box.dispatch_event(), "ops.yml")
    second = github_box.run(github_box.dispatch_event(), "ops.yml")

    assert first.ok, first.report()
    assert second.ok, second.report()
    (issue,) = github_box.records.issues(state=None)
    assert issue["title"] == f"Model health: {MODEL}" and issue["labels"] == ["model-health"]
    assert issue["pinned"] is True
    creates = [c for c in github_box.records.gh_calls() if c[:2] == ["issue", "create"]]
    edits = [c for c in github_box.records.gh_calls() if c[:2] == ["issue", "edit"]]
    assert (len(creates), len(edits)) == (1, 1)
    summary = second.job("report").summary
    assert summary.startswith(f"# Model health: {MODEL}")
    assert issue["body"].strip() == summary.strip()
    artifact = github_box.records.artifact("ops-report")
    assert sorted(artifact) == ["reports/ops.html", "reports/ops.json", "reports/ops.md"]
    report = json.loads(artifact["reports/ops.json"].read_text())
    assert report["figures"]["deployment_frequency"]["total"] == 1
    assert report["figures"]["quality"]["versions"][0]["version"] == "v0.1.0"
    assert report["unavailable"] == {}  # gh answered every source
    listed = [c for c in github_box.records.gh_calls() if c[:2] == ["run", "list"]]
    assert {c[c.index("--workflow") + 1] for c in listed} >= {"drift.yml", "pr.yml", "release.yml"}
    # The page as a person opens it: nothing runs off a 1280 px window.
    page = page_layout(artifact["reports/ops.html"], screenshot=OUTPUT / "ops-workflow.png")
    assert page["scroll_width"] <= page["client_width"] == 1280, page
    assert page["svgs"] >= 2  # deployments per week, and the quality per version
