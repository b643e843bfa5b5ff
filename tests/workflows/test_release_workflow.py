"""The generated project's release, version and promotion workflows under act.

One origin for the module: a baked default project whose main is reproduced and committed, its
outputs in a local DVC remote, tagged `customer-churn@v1.0.0`. Module fixtures build on each
other in a fixed order (release, re-run, next version on main, promotion, a failing version,
a branch tag), each holding the act result its tests assert on; what needs no workflow
(concurrent promotions, a model missing on the remote) is in the generated project's tests.
"""

import json
import random

import pytest
from browser import OUTPUT, page_layout
from conftest import dvc, project_env, run
from github_in_a_box.origin import git

from .projects import commit_all, reproduce_and_commit, reproduced_origin

MODEL = "customer-churn"
V1, V2, V3 = (f"{MODEL}@v1.0.0", f"{MODEL}@v1.1.0", f"{MODEL}@v1.2.0")
RELEASE_STEPS = [
    "Check out",
    "Set up Python",
    "Install the project",
    "Verify the tag",
    "Fetch the model",
    "Quality gate",
    "Time the service",
    "Build the bundle and model card",
    "Publish the GitHub Release",
    "Assign the production stage",
    "Read the registry",
    "Deploy the production model",
]
BUNDLE = [
    "constraints.txt",
    "data.json",
    "dvc.lock",
    "gate.json",
    "latency.json",
    "metrics.json",
    "model.joblib",
    "model.json",
    "model_card.html",
    "model_card.md",
    "params.yaml",
    "profile.json",
    "release.json",
    "schema.yaml",
    "slices.json",
]


def tag(project, name, rev="HEAD"):
    git("tag", "--annotate", "-m", f"Release {name}", name, rev, cwd=project)


def stage_tags(box):
    """{stage tag: commit} on origin."""
    return {name: sha for name, sha in box.origin.tags().items() if "#" in name}


@pytest.fixture(scope="module")
def release_box(baked, act_runner, tmp_path_factory):
    """(box, work clone on main): main reproduced and committed, v1.0.0 tagged, all on origin."""
    box, project = reproduced_origin(
        baked(), tmp_path_factory.mktemp("release-workflow"), act_runner
    )
    tag(project, V1)
    box.publish(project, f"refs/tags/{V1}")
    return box, project


@pytest.fixture(scope="module")
def first_release(release_box):
    box, _ = release_box
    return box.run(box.tag_event(V1), "release.yml")


@pytest.fixture(scope="module")
def rerun(release_box, first_release):
    box, _ = release_box
    before = (box.origin.tags(), box.records.releases(), box.records.gh_calls())
    return before, box.run(box.tag_event(V1), "release.yml")


@pytest.fixture(scope="module")
def next_version(release_box, rerun):
    """A merge to main that changes the model, then version.yml with a REPO_TOKEN."""
    box, project = release_box
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("max_leaf_nodes: 15", "max_leaf_nodes: 7", 1))
    sha = reproduce_and_commit(project, "Smaller trees")
    box.publish(project, "HEAD:refs/heads/main")
    result = box.run(box.push_event(), "version.yml", secrets={"REPO_TOKEN": "repo-token"})
    return sha, result


@pytest.fixture(scope="module")
def rollback(release_box, next_version):
    """v1.1.0 promoted from a maintainer's shell, then promote.yml rolls production back."""
    box, project = release_box
    git("fetch", "--quiet", "--tags", "origin", cwd=project)
    run(
        ["python", "-m", "customer_churn", "promote", "--version", "v1.1.0"],
        project,
        env=project_env(project),
    )
    promoted = stage_tags(box)
    event = box.dispatch_event({"version": "v1.0.0", "stage": "production"})
    return promoted, box.run(event, "promote.yml")


def noisy_labels(project):
    """Half the labels flipped: valid data, a model far below the gate."""
    data = project / "data" / "raw" / "demo.csv"
    lines = data.read_text().splitlines()
    rng = random.Random(0)
    rows = [line.rsplit(",", 1) for line in lines[1:]]
    flipped = [f"{x},{1 - int(y) if rng.random() < 0.45 else y}" for x, y in rows]
    data.write_text("\n".join([lines[0], *flipped]) + "\n")
    dvc("add", "--quiet", str(data), cwd=project)


@pytest.fixture(scope="module")
def failing_version(release_box, rollback):
    box, project = release_box
    noisy_labels(project)
    sha = reproduce_and_commit(project, "Add mislabelled data")
    tag(project, V3)
    box.publish(project, "HEAD:refs/heads/main", f"refs/tags/{V3}")
    return sha, box.run(box.tag_event(V3), "release.yml")


def test_a_passing_version_is_released_promoted_and_deployed(release_box, first_release):
    box, project = release_box
    result = first_release

    print(f"\nact wall time, release.yml (first release): {result.seconds:.0f} s")
    assert result.ok, result.report()
    assert result.job("release").outcomes == dict.fromkeys(RELEASE_STEPS, "success")
    tags = box.origin.tags()
    assert stage_tags(box) == {f"{MODEL}#production#1": tags[V1]}
    assert "Promote customer-churn v1.0.0 to production" in box.origin.tag_message(
        f"{MODEL}#production#1"
    )
    (release,) = box.records.releases()
    assert release["tag"] == V1
    assert sorted(release["assets"]) == BUNDLE
    assert [path.name for path in box.records.release_assets(V1)] == BUNDLE
    card = (box.records.root / "gh" / "releases" / V1 / "model_card.md").read_text()
    assert release["notes"] == card
    # The card quotes the service's latency, measured on this very release in this run.
    latency = json.loads((box.records.root / "gh" / "releases" / V1 / "latency.json").read_text())
    assert latency["version"] == "v1.0.0" and latency["commit"] == tags[V1]
    assert [level["concurrency"] for level in latency["levels"]] == [1, 8]
    assert all(level["errors"] == 0 for level in latency["levels"])
    assert "## Serving latency" in card and "| 8 | " in card
    metrics = json.loads((project / "metrics.json").read_text())
    for name, value in metrics.items():
        assert f"| {name} | {value:.4f} |" in card
    assert "Quality gate on `roc_auc`: ✅ passed" in card
    # The generated card's prose is still the placeholder: said on top, and warned at verify.
    assert "**Not written yet:** Intended use, Limitations" in card
    verified = result.job("release").step("Verify the tag").text
    assert "::warning title=Model card not written::" in verified
    # The HTML card draws ROC, precision-recall and importance charts, within 1280 px.
    page = box.records.root / "gh" / "releases" / V1 / "model_card.html"
    layout = page_layout(page, screenshot=OUTPUT / "model-card.png")
    assert layout["svgs"] == 3 and layout["scroll_width"] <= layout["client_width"], layout
    # The metric across groups, from the release's own reports/slices.json.
    slices = json.loads((box.records.root / "gh" / "releases" / V1 / "slices.json").read_text())
    assert "## Results across groups" in card and slices["metric"] == "roc_auc"
    first = slices["slices"][0]
    assert f"| {first['feature']} | {first['category']} | {first['rows']} | " in card
    deployed = result.job("release").step("Deploy the production model").text
    assert '"version": "v1.0.0"' in deployed


def test_a_rerun_duplicates_nothing(release_box, rerun):
    box, _ = release_box
    (tags, releases, gh_calls), result = rerun

    assert result.ok, result.report()
    assert box.origin.tags() == tags
    assert box.records.releases() == releases
    new_calls = box.records.gh_calls()[len(gh_calls) :]
    assert [call[:2] for call in new_calls] == [["release", "view"]]
    steps = result.job("release")
    assert "exists: nothing to do" in steps.step("Publish the GitHub Release").text
    assert "already in production: nothing to do" in steps.step("Assign the production stage").text


def test_merging_a_changed_model_tags_the_next_version(release_box, next_version):
    box, _ = release_box
    sha, result = next_version

    assert result.ok, result.report()
    assert box.origin.tags()[V2] == sha
    assert "minor: params.yaml `model` changed" in box.origin.tag_message(V2)
    assert "Created the version tag `customer-churn@v1.1.0`" in result.job("propose").summary


def test_rollback_assigns_an_earlier_version_and_keeps_the_history(release_box, rollback):
    box, _ = release_box
    promoted, result = rollback
    tags = box.origin.tags()

    assert promoted == {
        f"{MODEL}#production#1": tags[V1],
        f"{MODEL}#production!#2": tags[V1],
        f"{MODEL}#production#3": tags[V2],
    }
    assert result.ok, result.report()
    assert stage_tags(box) == {
        **promoted,
        f"{MODEL}#production!#4": tags[V2],
        f"{MODEL}#production#5": tags[V1],
    }
    assert box.origin.tag_message(f"{MODEL}#production#5").startswith(
        "Promote customer-churn v1.0.0 to production (replacing v1.1.0)"
    )
    deployed = result.job("promote").step("Deploy the stage's model").text
    assert '"version": "v1.0.0"' in deployed


def test_a_version_failing_the_gate_gets_no_stage(release_box, failing_version):
    box, _ = release_box
    sha, result = failing_version

    assert result.failed_steps == [("release", "Quality gate")], result.report()
    assert sha not in stage_tags(box).values()
    assert V3 not in [release["tag"] for release in box.records.releases()]
    text = result.job("release").step("Quality gate").text
    assert "customer-churn@v1.2.0 does not meet the quality gate; no stage was assigned" in text
    assert "production: roc_auc" in text and "vs production v1.0.0" in text


def test_a_tag_on_a_branch_commit_is_refused(release_box, failing_version):
    box, project = release_box
    git("checkout", "--quiet", "-b", "experiment", cwd=project)
    (project / "NOTES.md").write_text("An unreviewed experiment\n")
    commit_all(project, "Experiment")
    tag(project, f"{MODEL}@v9.0.0")
    box.publish(project, "HEAD:refs/heads/experiment", f"refs/tags/{MODEL}@v9.0.0")

    result = box.run(box.tag_event(f"{MODEL}@v9.0.0"), "release.yml")

    assert result.failed_steps == [("release", "Verify the tag")], result.report()
    assert "which is not on main: refused" in result.job("release").step("Verify the tag").text
    assert len(box.records.releases()) == 1
