"""The generated project's smoke workflow (ci.yml) under act: green on a baked default project
pushed to main, red at the right step when the pipeline is broken."""

import pytest
import yaml
from conftest import DEFAULTS
from github_in_a_box.origin import git

STEPS = [
    "Check out",
    "Set up Python",
    "Install the project",
    "Lint",
    "Reproduce the pipeline",
    "Test",
]


def test_smoke_workflow_passes_on_push_to_main(baked, github_box, record_property):
    project = baked()
    github_box.publish(project)

    result = github_box.run(github_box.push_event("main"), "ci.yml")

    record_property("act_seconds", round(result.seconds, 1))
    print(f"\nact wall time, ci.yml on a baked default project: {result.seconds:.0f} s")
    assert result.ok, result.report()
    job = result.job("smoke")
    assert job.outcomes == dict.fromkeys(STEPS, "success")
    assert f"Python {DEFAULTS['python_version'][0]}." in job.step("Set up Python").text
    # `make repro` ends with `dvc metrics show`: the gated metric was computed.
    metric = yaml.safe_load((project / "params.yaml").read_text())["gate"]["metric"]
    assert metric in job.step("Reproduce the pipeline").text


def break_params(project):
    path = project / "params.yaml"
    text = path.read_text()
    assert "test_size: 0.2" in text
    path.write_text(text.replace("test_size: 0.2", "test_size: [0.2"))


def break_train(project):
    (path,) = (project / "src").glob("*/pipeline/train.py")
    path.write_text(path.read_text() + "\n\ndef broken(:\n    pass\n")


BREAKAGES = {
    "params.yaml is not YAML": (break_params, "Reproduce the pipeline"),
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
