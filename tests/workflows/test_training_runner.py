"""The training_runner answer decides where the jobs that train run, and nothing else: each kind
of answer is baked and its workflows compared, parsed, with the default bake's. (The lint gate
runs actionlint, shellcheck and zizmor on a bake of each kind: see FREE_TEXT_CHOICES.)"""

import copy

import pytest
import yaml
from conftest import DEFAULTS
from github_in_a_box import workflow_files

# The jobs whose steps train the model: the pipeline (`make pipeline`), the tests that train it
# on the project's data (`make test`), the retraining on drift (`make drift-retrain`).
TRAINING_JOBS = {
    ("ci.yml", "smoke"),
    ("pr.yml", "checks"),
    ("pr.yml", "report"),
    ("drift.yml", "check"),
}
TRAINING_COMMANDS = ("make pipeline", "make test", "make drift-retrain")
DEFAULT_RUNNER = "ubuntu-24.04"

# answer -> the runs-on it must become
RUNS_ON = {
    "ubuntu-24.04": "ubuntu-24.04",
    "ubuntu-latest": "ubuntu-latest",
    "ubuntu-24.04-16core": "ubuntu-24.04-16core",
    "self-hosted,linux,x64,gpu": ["self-hosted", "linux", "x64", "gpu"],
    "self-hosted, linux , gpu_a100": ["self-hosted", "linux", "gpu_a100"],
    # Labels YAML would read as a boolean, a number or null stay text.
    "self-hosted,on,16,null": ["self-hosted", "on", "16", "null"],
    "2025.10": "2025.10",
}


def workflows(project):
    return {path.name: workflow_files.load(path) for path in workflow_files.workflow_paths(project)}


def without_training_runs_on(workflow_set):
    """The workflows with the training jobs' runs-on taken out (a deep copy)."""
    rest = copy.deepcopy(workflow_set)
    for name, job in TRAINING_JOBS:
        del rest[name]["jobs"][job]["runs-on"]
    return rest


def test_the_default_answer_is_the_default_runner():
    assert DEFAULTS["training_runner"] == DEFAULT_RUNNER


def test_the_training_jobs_are_the_jobs_that_train(baked):
    """A job added later that trains must get the training runner too (or this table, a reason)."""
    found = set()
    for name, workflow in workflows(baked()).items():
        for job_name, job in workflow_files.jobs(workflow).items():
            scripts = [str(step.get("run", "")) for step in job.get("steps") or []]
            if any(command in script for script in scripts for command in TRAINING_COMMANDS):
                found.add((name, job_name))
    assert found == TRAINING_JOBS


@pytest.mark.parametrize("answer", RUNS_ON)
def test_training_jobs_run_on_the_answer_and_the_others_do_not_change(baked, answer):
    default = workflows(baked())
    chosen = workflows(baked(training_runner=answer))
    assert chosen.keys() == default.keys()
    for name, job in sorted(TRAINING_JOBS):
        assert default[name]["jobs"][job]["runs-on"] == DEFAULT_RUNNER, (name, job)
        assert chosen[name]["jobs"][job]["runs-on"] == RUNS_ON[answer], (name, job)
    assert without_training_runs_on(chosen) == without_training_runs_on(default)


@pytest.mark.parametrize("answer", RUNS_ON)
def test_actionlint_is_told_the_training_labels(baked, answer):
    config = baked(training_runner=answer) / ".github" / "actionlint.yaml"
    labels = yaml.safe_load(config.read_text())["self-hosted-runner"]["labels"]
    expected = RUNS_ON[answer]
    assert labels == (expected if isinstance(expected, list) else [expected])
