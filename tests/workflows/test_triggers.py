"""act ignores branches/tags/paths filters, so the exact triggers are asserted from the YAML."""

import pytest
from combinations import COMBINATIONS
from conftest import DEFAULTS, TEMPLATE
from github_in_a_box import workflow_files

# Every workflow a generated project ships, and its exact `on:` for a set of answers. A new
# workflow fails test_every_generated_workflow_has_pinned_triggers until it is listed here.
GENERATED_TRIGGERS = {
    "ci.yml": lambda answers: {"push": {"branches": ["main"]}, "workflow_dispatch": {}},
    "drift.yml": lambda answers: {
        "schedule": [{"cron": answers["drift_schedule"]}],
        "workflow_dispatch": {},
    },
    "ops.yml": lambda answers: {"schedule": [{"cron": "17 6 * * 1"}], "workflow_dispatch": {}},
    "pr.yml": lambda answers: {
        "pull_request": {"types": ["opened", "synchronize", "reopened"], "branches": ["main"]}
    },
    # Every combination keeps the default project name, so the model is `customer-churn`.
    "release.yml": lambda answers: {"push": {"tags": ["customer-churn@v*"]}},
    "score.yml": lambda answers: {
        "schedule": [{"cron": answers["score_schedule"]}],
        "workflow_dispatch": {
            "inputs": {
                "date": {
                    "description": (
                        "The day to score, YYYY-MM-DD, for {date} in score.source "
                        "(default: today, UTC)"
                    ),
                    "required": False,
                    "default": "",
                }
            }
        },
    },
    "template-update.yml": lambda answers: {
        "schedule": [{"cron": "17 5 1 * *"}],
        "workflow_dispatch": {},
    },
    "version.yml": lambda answers: {"push": {"branches": ["main"]}},
    "promote.yml": lambda answers: {
        "workflow_dispatch": {
            "inputs": {
                "version": {
                    "description": "Released version to assign, e.g. v1.2.0",
                    "required": True,
                    "type": "string",
                },
                "stage": {
                    "description": "Stage to assign it to (the stages in .gto)",
                    "required": True,
                    "type": "choice",
                    "options": ["production", "staging"],
                    "default": "production",
                },
            }
        }
    },
}

TEMPLATE_TRIGGERS = {
    "ci.yml": {"push": {"branches": ["main"]}, "pull_request": {}, "workflow_dispatch": {}},
}


def answers_for(name):
    return {**DEFAULTS, **COMBINATIONS[name]}


def workflows_of(project):
    return {path.name: workflow_files.load(path) for path in workflow_files.workflow_paths(project)}


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_every_generated_workflow_has_pinned_triggers(baked, combination):
    names = set(workflows_of(baked(**COMBINATIONS[combination])))
    unlisted = sorted(names - set(GENERATED_TRIGGERS))
    assert not unlisted, f"add the expected triggers of {unlisted} to GENERATED_TRIGGERS"
    assert "ci.yml" in names


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_generated_triggers_are_exact(baked, combination):
    workflows = workflows_of(baked(**COMBINATIONS[combination]))
    for name, workflow in workflows.items():
        expected = GENERATED_TRIGGERS[name](answers_for(combination))
        assert workflow_files.triggers(workflow) == expected, name


def test_template_ci_triggers_are_exact():
    workflows = workflows_of(TEMPLATE)
    assert set(workflows) == set(TEMPLATE_TRIGGERS)
    for name, workflow in workflows.items():
        assert workflow_files.triggers(workflow) == TEMPLATE_TRIGGERS[name], name


def test_template_ci_covers_every_supported_python():
    workflow = workflow_files.load(TEMPLATE / ".github" / "workflows" / "ci.yml")
    (job,) = workflow["jobs"].values()
    assert workflow_files.matrix_values(job, "python-version") == DEFAULTS["python_version"]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("push", {"push": {}}),
        (["push", "pull_request"], {"push": {}, "pull_request": {}}),
        (
            {"schedule": [{"cron": "0 6 * * 1"}], "workflow_dispatch": None},
            {"schedule": [{"cron": "0 6 * * 1"}], "workflow_dispatch": {}},
        ),
    ],
)
def test_trigger_forms_are_normalised(on, expected):
    assert workflow_files.triggers({"on": on}) == expected


def test_yaml_on_key_is_read_as_on(tmp_path):
    path = tmp_path / "wf.yml"
    path.write_text("on:\n  push:\n    tags: ['v*']\njobs: {}\n")
    assert workflow_files.triggers(workflow_files.load(path)) == {"push": {"tags": ["v*"]}}
