"""The generated project's smoke workflow (ci.yml) under act: green on a baked default project
pushed to main, red at the right step when the pipeline is broken; its workflow lint job red
when an edit gives zizmor a finding."""

import pytest
import yaml
from conftest import DEFAULTS, ENGINE_TESTS_LEFT_OUT, WITHOUT_ENGINE_TESTS
from github_in_a_box.origin import git

STEPS = [
    "Check out",
    "Set up Python",
    "Install the project",
    "Lint",
    "Fetch data and cached results",
    "Reproduce the pipeline",
    "Test",
]
LINT_STEPS = ["Check out", "Set up Python", "Lint the workflows"]


def test_smoke_workflow_passes_on_push_to_main(baked, github_box, record_property):
    project = baked()
    github_box.publish(project)

    result = github_box.run(github_box.push_event("main"), "ci.yml")

    record_property("act_seconds", round(result.seconds, 1))
    print(f"\nact wall time, ci.yml on a baked default project: {result.seconds:.0f} s")
    assert result.ok, result.report()
    job = result.job("smoke")
    assert job.outcomes == dict.fromkeys(STEPS, "success")
    # The default task's one run of the generated suite's engine tests (WITHOUT_ENGINE_TESTS).
    assert not ENGINE_TESTS_LEFT_OUT.search(job.step("Test").text)
    assert f"Python {DEFAULTS['python_version'][0]}." in job.step("Set up Python").text
    # `make pipeline` ends with `dvc metrics show`: the gated metric was computed.
    metric = yaml.safe_load((project / "params.yaml").read_text())["gate"]["metric"]
    assert metric in job.step("Reproduce the pipeline").text
    lint = result.job("workflows")
    assert lint.outcomes == dict.fromkeys(LINT_STEPS, "success")
    assert "No findings to report" in lint.step("Lint the workflows").text


def test_the_training_job_runs_on_a_self_hosted_label_list(baked, github_box):
    """The harness maps each runs-on label to the host, so a self-hosted runner's label list
    (the training_runner answer) runs the training job like the default label does."""
    project = baked(training_runner="self-hosted,linux,x64,gpu")
    github_box.publish(project)

    result = github_box.run(
        github_box.push_event("main"), "ci.yml", job="smoke", env=WITHOUT_ENGINE_TESTS
    )

    assert result.ok, result.report()
    assert result.job("smoke").outcomes == dict.fromkeys(STEPS, "success")
    assert ENGINE_TESTS_LEFT_OUT.search(result.job("smoke").step("Test").text)


def break_params(project):
    path = project / "params.yaml"
    text = path.read_text()
    assert "test_size: 0.2" in text
    path.write_text(text.replace("test_size: 0.2", "test_size: [0.2"))


def break_train(project):
    (path,) = (project / "src").glob("*/pipeline/train.py")
    path.write_text(path.read_text() + "\n\ndef broken(:\n    pass\n")


BREAKAGES = {
    # The fresh checkout has no data yet: rebuilding it from source reads params.yaml first.
    "params.yaml is not YAML": (break_params, "Fetch data and cached results"),
    "train.py has a syntax error": (break_train, "Lint"),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_a_broken_pipeline_fails_at_the_step_that_finds_it(
    baked, project_copy, github_box, breakage
):
    breaker, failing_step = BREAKAGES[breakage]
    project = project_copy(baked())
    breaker(project)
    git("commit", "--quiet", "--all", "-m", f"Break: {breakage}", cwd=project)
    github_box.publish(project)

    result = github_box.run(github_box.push_event("main"), "ci.yml")

    assert not result.ok
    assert result.failed_steps == [("smoke", failing_step)], result.report()
    position = STEPS.index(failing_step)
    expected = {step: "success" for step in STEPS[:position]}
    expected[failing_step] = "failure"
    expected.update(dict.fromkeys(STEPS[position + 1 :], "skipped"))
    assert result.job("smoke").outcomes == expected, result.report()


def test_a_workflow_edit_with_a_zizmor_finding_fails_the_workflow_lint(
    baked, project_copy, github_box
):
    project = project_copy(baked())
    path = project / ".github" / "workflows" / "pr.yml"
    text = path.read_text()
    # The report job's checkout (full history) keeps its token in .git/config.
    kept = (
        "          fetch-depth: 0  # origin/<base> and its dvc.lock and metrics for the diffs\n"
        "          persist-credentials: false\n"
    )
    assert text.count(kept) == 1
    path.write_text(text.replace(kept, kept.splitlines(keepends=True)[0]))
    git("commit", "--quiet", "--all", "-m", "Keep the token in the checkout", cwd=project)
    github_box.publish(project)

    result = github_box.run(github_box.push_event("main"), "ci.yml", job="workflows")

    assert result.failed_steps == [("workflows", "Lint the workflows")], result.report()
    assert "artipacked" in result.job("workflows").step("Lint the workflows").text
