"""Every workflow the template ships passes the lint gate: the generated project's, for every
baked combination, and the template's own CI. The gate itself is shown to catch problems."""

import textwrap

import pytest
from combinations import COMBINATIONS
from conftest import TEMPLATE
from github_in_a_box import standins, workflow_files

from . import lint


def project_for(baked, target):
    return TEMPLATE if target == "template" else baked(**COMBINATIONS[target])


TARGETS = [*COMBINATIONS, "template"]


@pytest.fixture(scope="session")
def workflow_sets(baked):
    """target -> (project folder, its workflow files); a target without workflows fails."""
    cache = {}

    def get(target):
        if target not in cache:
            project = project_for(baked, target)
            paths = workflow_files.workflow_paths(project)
            assert paths, f"{target}: no workflows in {project / '.github' / 'workflows'}"
            cache[target] = (project, paths)
        return cache[target]

    return get


@pytest.mark.parametrize("target", TARGETS)
def test_actionlint_with_shellcheck_reports_nothing(workflow_sets, target):
    project, paths = workflow_sets(target)
    ok, output = lint.actionlint(paths, project)
    assert ok, output


@pytest.mark.parametrize("target", TARGETS)
def test_zizmor_pedantic_reports_nothing(workflow_sets, target):
    project, _ = workflow_sets(target)
    ok, output = lint.zizmor(project / ".github", project)
    assert ok, output


@pytest.mark.parametrize("target", TARGETS)
def test_github_workflow_schema_accepts_every_workflow(workflow_sets, target):
    project, paths = workflow_sets(target)
    ok, output = lint.workflow_schema(paths, project)
    assert ok, output


@pytest.mark.parametrize("target", list(COMBINATIONS))
def test_dependabot_schema_accepts_the_generated_config(baked, target):
    project = baked(**COMBINATIONS[target])
    config = project / ".github" / "dependabot.yml"
    ok, output = lint.workflow_schema([config], project, schema="vendor.dependabot")
    assert ok, output


@pytest.mark.parametrize("target", TARGETS)
def test_house_rules(workflow_sets, target):
    _, paths = workflow_sets(target)
    problems = [f"{path.name}: {problem}" for path in paths for problem in lint.house_rules(path)]
    problems += lint.pin_conflicts(paths)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("target", TARGETS)
def test_every_workflow_can_run_under_the_harness(workflow_sets, target):
    """Every `uses:` has a stand-in and every runs-on label is known, so act can run it."""
    _, paths = workflow_sets(target)
    workflows = {path.name: workflow_files.load(path) for path in paths}
    standins.local_repositories(workflows)  # raises MissingStandIn naming each gap
    for name, workflow in workflows.items():
        assert workflow_files.runs_on_labels(workflow), name


def test_template_and_generated_workflows_pin_the_same_releases(workflow_sets):
    paths = [*workflow_sets("default")[1], *workflow_sets("template")[1]]
    assert not lint.pin_conflicts(paths)


# --- the gate catches what it should ---------------------------------------------------------
GOOD = """\
name: good
on:
  push:
    branches: [main]
permissions: {}
concurrency:
  group: good-${{ github.ref }}
  cancel-in-progress: true
jobs:
  build:
    name: Build
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read  # check out the code
    steps:
      - name: Check out
        uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2
        with:
          persist-credentials: false
      - name: Greet
        env:
          TITLE: ${{ github.event.head_commit.message }}
        run: echo "$TITLE"
"""

BAD = {
    "top-level grants": (
        ("permissions: {}\n", "permissions:\n  contents: write\n"),
        "top-level permissions must be `{}`",
    ),
    "grant without reason": (
        ("contents: read  # check out the code", "contents: read"),
        "needs a comment saying why",
    ),
    "no job permissions": (
        ("    permissions:\n      contents: read  # check out the code\n", ""),
        "has no permissions",
    ),
    "no timeout": (("    timeout-minutes: 10\n", ""), "has no timeout-minutes"),
    "no concurrency": (
        ("concurrency:\n  group: good-${{ github.ref }}\n  cancel-in-progress: true\n", ""),
        "no concurrency group",
    ),
    "tag pin": (("@de0fac2e4500dabe0009e67214ff5f5447ce83dd", "@v6"), "not pinned to a full"),
    "no version comment": ((" # v6.0.2", ""), "needs a `# vX.Y.Z` comment"),
    "node20 major": (
        (
            "@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2",
            "@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
        ),
        "runs on node20",
    ),
    "credentials kept": (
        ("persist-credentials: false", "persist-credentials: true"),
        "persist-credentials: false",
    ),
    "untrusted in run": (
        ('run: echo "$TITLE"', 'run: echo "${{ github.event.head_commit.message }}"'),
        "untrusted expression",
    ),
    "pull_request_target": (
        ("  push:\n    branches: [main]\n", "  pull_request_target:\n"),
        "pull_request_target",
    ),
}


def write(tmp_path, text, name="wf.yml"):
    path = tmp_path / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_house_rules_accept_the_good_example(tmp_path):
    assert lint.house_rules(write(tmp_path, GOOD)) == []


@pytest.mark.parametrize("case", BAD)
def test_house_rules_name_each_problem(tmp_path, case):
    (old, new), expected = BAD[case]
    assert old in GOOD
    problems = lint.house_rules(write(tmp_path, GOOD.replace(old, new)))
    assert any(expected in problem for problem in problems), problems


def test_pin_conflicts_are_found(tmp_path):
    first = write(tmp_path, GOOD, "a.yml")
    second = write(tmp_path, GOOD.replace("# v6.0.2", "# v6.0.1"), "b.yml")
    assert lint.pin_conflicts([first]) == []
    assert "actions/checkout is pinned inconsistently" in lint.pin_conflicts([first, second])[0]
    assert lint.pin_conflicts([first, first]) == []


def test_actionlint_runs_shellcheck(tmp_path):
    path = write(tmp_path, GOOD.replace('run: echo "$TITLE"', "run: echo $TITLE"))
    ok, output = lint.actionlint([path], tmp_path)
    assert not ok
    assert "SC2086" in output


def test_zizmor_finds_template_injection(tmp_path):
    (old, new), _ = BAD["untrusted in run"]
    path = write(tmp_path, GOOD.replace(old, new))
    ok, output = lint.zizmor(path.parent.parent, tmp_path)
    assert not ok
    assert "template-injection" in output


def test_schema_rejects_a_malformed_workflow(tmp_path):
    path = write(tmp_path, GOOD.replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"))
    ok, output = lint.workflow_schema([path], tmp_path)
    assert not ok, output
