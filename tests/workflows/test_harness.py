"""The harness itself, on small throwaway repositories: act's outcomes are read right, events
reach the workflow as GitHub would send them, stand-ins and recorders work across runs."""

import os
import sys
import textwrap
from pathlib import Path

import pytest
from github_in_a_box.origin import git
from github_in_a_box.standins import MissingStandIn

SETUP_PYTHON = "actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405"
CML_SPEC = "@dvcorg/cml@0.20.5"
UPLOAD = "actions/upload-artifact@0123456789abcdef0123456789abcdef01234567"
CHECKOUT = "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd"


def make_repo(root, files):
    """A git repository at `root` with `files` ({path: text}) committed on main."""
    root.mkdir(parents=True)
    git("init", "--quiet", "--initial-branch=main", cwd=root)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", "Initial commit", cwd=root)
    return root


def workflow(body):
    return {".github/workflows/check.yml": body}


OUTCOMES = """\
name: outcomes
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: @CHECKOUT@
      - name: Say hello
        run: echo "hello from $GITHUB_WORKSPACE"; touch created-by-job
      - name: Fail on purpose
        run: |
          echo "about to fail"
          sleep 1.2
          exit 3
      - name: Never reached
        run: echo unreachable
""".replace("@CHECKOUT@", CHECKOUT)


def test_step_outcomes_output_and_the_failed_step_are_reported(github_box, tmp_path):
    repo = make_repo(tmp_path / "repo", workflow(OUTCOMES))
    github_box.publish(repo)

    result = github_box.run(github_box.push_event(), "check.yml")

    assert not result.ok
    job = result.job("check")
    assert job.result == "failure"
    assert job.outcomes == {
        CHECKOUT: "success",
        "Say hello": "success",
        "Fail on purpose": "failure",
        "Never reached": "skipped",
    }
    assert result.failed_steps == [("check", "Fail on purpose")]
    assert "about to fail" in job.step("Fail on purpose").text
    assert "hostexecutor" in job.step("Say hello").text
    assert "Fail on purpose" in result.report()
    assert 1.2 <= job.step("Fail on purpose").seconds < 30
    assert job.step("Never reached").seconds == 0


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("  ✅  Success - Main Install the project [41.5s]", 41.5),
        ("  ❌  Failure - Main Train [1m2.5s]", 62.5),
        ("  ✅  Success - Pre Set up Python [831.633µs]", 0.000831633),
        ("  ✅  Success - Set up job", 0.0),
    ],
)
def test_step_durations_are_read_from_act_results(message, seconds):
    from github_in_a_box.runner import go_duration

    assert go_duration(message) == pytest.approx(seconds)


COPY = """\
name: copy
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: @CHECKOUT@
        with:
          persist-credentials: false
      - name: Show the checkout
        run: |
          echo "HEAD=$(git rev-parse HEAD)"
          echo "ORIGIN=$(git remote get-url origin)"
          echo "PWD=$PWD"
          echo "HOME=$HOME"
          ls
          touch created-by-job
""".replace("@CHECKOUT@", CHECKOUT)


def test_job_runs_in_a_copy_of_the_pushed_commit(github_box, tmp_path):
    repo = make_repo(tmp_path / "repo", {**workflow(COPY), "tracked.txt": "x\n"})
    sha = github_box.publish(repo)
    (repo / "uncommitted.txt").write_text("never pushed\n")

    result = github_box.run(github_box.push_event(), "check.yml")

    assert result.ok, result.report()
    shown = result.job("check").step("Show the checkout").text
    assert f"HEAD={sha}" in shown
    assert f"ORIGIN={github_box.origin.path}" in shown
    assert "tracked.txt" in shown
    assert "uncommitted.txt" not in shown
    checkouts = list((github_box.root / "runs").glob("*/checkout"))
    assert checkouts and not any((c / "created-by-job").exists() for c in checkouts)


CONTEXTS = """\
name: contexts
on:
  push:
  pull_request:
  schedule:
    - cron: "0 6 * * 1"
  workflow_dispatch:
    inputs:
      reason:
        description: why
        required: false
        default: none
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - uses: @CHECKOUT@
        with:
          persist-credentials: false
      - name: Show the context
        env:
          EVENT: ${{ github.event_name }}
          REF: ${{ github.ref }}
          SHA: ${{ github.sha }}
          REPO: ${{ github.repository }}
          NUMBER: ${{ github.event.number }}
          HEAD_REF: ${{ github.head_ref }}
          BASE_REF: ${{ github.base_ref }}
          PR_ACTION: ${{ github.event.action }}
          CRON: ${{ github.event.schedule }}
          REASON: ${{ inputs.reason }}
        run: |
          for name in EVENT REF SHA REPO NUMBER HEAD_REF BASE_REF PR_ACTION CRON REASON; do
            echo "$name=${!name}"
          done
          echo "CHECKED_OUT=$(git rev-parse HEAD)"
          git tag --points-at HEAD | sed 's/^/TAG=/'
""".replace("@CHECKOUT@", CHECKOUT)


def shown_context(result):
    text = result.job("show").step("Show the context").text
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture
def context_repo(github_box, tmp_path):
    repo = make_repo(tmp_path / "repo", workflow(CONTEXTS))
    github_box.publish(repo)
    git("checkout", "--quiet", "-b", "feature", cwd=repo)
    (repo / "change.txt").write_text("change\n")
    git("add", "change.txt", cwd=repo)
    git("commit", "--quiet", "-m", "Change", cwd=repo)
    git("tag", "--annotate", "-m", "Release 1.2.0", "v1.2.0", cwd=repo)
    github_box.publish(repo, "feature", "v1.2.0")
    return repo


def test_push_to_main_context(github_box, context_repo):
    result = github_box.run(github_box.push_event("main"), "check.yml")
    assert result.ok, result.report()
    shown = shown_context(result)
    main = github_box.sha("main")
    assert shown["EVENT"] == "push"
    assert shown["REF"] == "refs/heads/main"
    assert shown["SHA"] == shown["CHECKED_OUT"] == main
    assert shown["REPO"] == github_box.slug


def test_tag_push_context(github_box, context_repo):
    result = github_box.run(github_box.tag_event("v1.2.0"), "check.yml")
    assert result.ok, result.report()
    shown = shown_context(result)
    assert shown["REF"] == "refs/tags/v1.2.0"
    assert shown["CHECKED_OUT"] == github_box.sha("feature")
    assert shown["TAG"] == "v1.2.0"


@pytest.mark.parametrize("action", ["opened", "synchronize"])
def test_pull_request_context(github_box, context_repo, action):
    event = github_box.pull_request_event("feature", action=action, number=7)

    result = github_box.run(event, "check.yml")

    assert result.ok, result.report()
    shown = shown_context(result)
    assert event.payload["number"] == 7
    assert shown["EVENT"] == "pull_request"
    assert shown["NUMBER"] == "7"
    assert shown["PR_ACTION"] == action
    assert (shown["HEAD_REF"], shown["BASE_REF"]) == ("feature", "main")
    assert shown["REF"] == "refs/pull/7/merge"
    merge = github_box.sha("refs/pull/7/merge")
    assert shown["CHECKED_OUT"] == merge
    parents = git("rev-list", "--parents", "-n1", merge, cwd=github_box.origin.path).stdout.split()
    assert parents[1:] == [github_box.sha("main"), github_box.sha("feature")]


def test_schedule_context(github_box, context_repo):
    result = github_box.run(github_box.schedule_event("0 6 * * 1"), "check.yml")
    assert result.ok, result.report()
    shown = shown_context(result)
    assert (shown["EVENT"], shown["CRON"]) == ("schedule", "0 6 * * 1")
    assert shown["CHECKED_OUT"] == github_box.sha("main")


def test_workflow_dispatch_inputs(github_box, context_repo):
    event = github_box.dispatch_event({"reason": "retrain now"}, branch="feature")
    result = github_box.run(event, "check.yml")
    assert result.ok, result.report()
    shown = shown_context(result)
    assert shown["EVENT"] == "workflow_dispatch"
    assert shown["REASON"] == "retrain now"
    assert shown["REF"] == "refs/heads/feature"
    assert shown["CHECKED_OUT"] == github_box.sha("feature")


def test_a_uses_without_stand_in_fails_naming_it(github_box, tmp_path):
    body = OUTCOMES.replace(
        "      - name: Say hello\n",
        "      - uses: someone/unknown-action@v1\n      - name: Say hello\n",
    )
    repo = make_repo(tmp_path / "repo", workflow(body))
    github_box.publish(repo)
    with pytest.raises(MissingStandIn, match=r"someone/unknown-action@v1.*has no stand-in"):
        github_box.run(github_box.push_event(), "check.yml")


def test_an_input_the_stand_in_lacks_is_named(github_box, tmp_path):
    body = OUTCOMES.replace(
        "      - name: Say hello\n",
        f"      - uses: {SETUP_PYTHON}\n        with:\n          python-versions: '3.11'\n"
        "      - name: Say hello\n",
    )
    repo = make_repo(tmp_path / "repo", workflow(body))
    github_box.publish(repo)
    with pytest.raises(MissingStandIn, match="passes python-versions"):
        github_box.run(github_box.push_event(), "check.yml")


LABELS_AND_PYTHON = """\
name: python
on: push
jobs:
  matrix:
    strategy:
      matrix:
        os: [ubuntu-24.04, ubuntu-22.04]
    runs-on: ${{ matrix.os }}
    steps:
      - uses: @CHECKOUT@
      - name: Runner
        run: echo "ran on ${{ matrix.os }}"
  python:
    runs-on: [self-hosted, linux]
    steps:
      - uses: @CHECKOUT@
        with:
          persist-credentials: false
      - uses: @SETUP_PYTHON@
        id: python
        with:
          python-version-file: .python-version
      - name: Which Python
        env:
          REPORTED: ${{ steps.python.outputs.python-version }}
        run: |
          echo "reported=$REPORTED"
          python --version
          python3 -c "import sys; print('isolated', sys.prefix != sys.base_prefix)"
          command -v python3
""".replace("@CHECKOUT@", CHECKOUT).replace("@SETUP_PYTHON@", SETUP_PYTHON)


def test_setup_python_stand_in_and_every_runner_label(github_box, tmp_path, python_interpreters):
    version = "{}.{}".format(*sys.version_info[:2])
    assert version in python_interpreters, python_interpreters
    repo = make_repo(tmp_path / "repo", {**workflow(LABELS_AND_PYTHON), ".python-version": version})
    github_box.publish(repo)

    result = github_box.run(github_box.push_event(), "check.yml")

    assert result.ok, result.report()
    for os_label in ("ubuntu-24.04", "ubuntu-22.04"):
        assert f"ran on {os_label}" in result.job("matrix", os=os_label).step("Runner").text
    text = result.job("python").step("Which Python").text
    assert f"Python {version}." in text
    assert f"reported={version}." in text
    assert "isolated True" in text
    assert str(github_box.root / "runs") in text  # the stand-in's virtualenv, not the host's


RECORDERS = """\
name: recorders
on: workflow_dispatch
jobs:
  report:
    runs-on: ubuntu-latest
    permissions:
      issues: write  # open the drift issue
    steps:
      - uses: @CHECKOUT@
        with:
          persist-credentials: false
      - name: No cml before the install
        run: "! command -v cml"
      - name: Install CML
        run: npm install --global --no-audit @CML_SPEC@
      - name: Write the report
        run: python3 make_report.py
      - name: Comment
        run: cml comment create --target=pr --publish report.md
      - name: Open an issue once
        env:
          GH_TOKEN: ${{ github.token }}
        run: |
          gh label create drift --force --description "data drift"
          open=$(gh issue list --label drift --state open --json number --jq length)
          echo "open issues: $open"
          if [ "$open" = "0" ]; then
            gh issue create --title "Data drift" --body-file report.md --label drift
          fi
      - uses: @UPLOAD@
        with:
          name: report
          path: |
            report.md
            plots/
"""
RECORDERS = (
    RECORDERS.replace("@CHECKOUT@", CHECKOUT)
    .replace("@CML_SPEC@", CML_SPEC)
    .replace("@UPLOAD@", UPLOAD)
)

MAKE_REPORT = """\
import base64
from pathlib import Path

Path("plots").mkdir()
Path("plots/roc.png").write_bytes(base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
Path("report.md").write_text("# Drift\\n\\nPSI 0.3\\n\\n![ROC](plots/roc.png)\\n")
"""


def test_cml_gh_and_artifacts_are_recorded_and_gh_state_persists(github_box, tmp_path):
    repo = make_repo(tmp_path / "repo", {**workflow(RECORDERS), "make_report.py": MAKE_REPORT})
    github_box.publish(repo)

    first = github_box.run(github_box.dispatch_event(), "check.yml")
    second = github_box.run(github_box.dispatch_event(), "check.yml")

    assert first.ok, first.report()
    assert second.ok, second.report()
    assert "open issues: 0" in first.job("report").step("Open an issue once").text
    assert "open issues: 1" in second.job("report").step("Open an issue once").text
    issues = github_box.records.issues()
    assert [(i["title"], i["labels"]) for i in issues] == [("Data drift", ["drift"])]
    assert "PSI 0.3" in issues[0]["body"]
    # Each run installs CML afresh (nothing of an earlier run's runner is left).
    assert github_box.records.npm_calls() == [["install", "--global", "--no-audit", CML_SPEC]] * 2
    calls = github_box.records.cml_calls()
    assert len(calls) == 2
    assert calls[0]["command"] == ["comment", "create"]
    assert calls[0]["options"] == {"target": ["pr"], "publish": [True]}
    assert "PSI 0.3" in calls[0]["report_text"]
    assert [p.name for p in calls[0]["image_files"]] == ["roc.png"]
    assert sorted(github_box.records.artifact("report")) == ["plots/roc.png", "report.md"]


def test_act_keeps_its_files_out_of_the_real_home(github_box, tmp_path):
    real_home = Path(os.path.expanduser("~"))
    watched = [
        real_home / ".cache" / "act",
        real_home / ".config" / "act",
        real_home / ".cache" / "actcache",
        real_home / ".actrc",
    ]

    def snapshot():
        return {str(p): p.stat().st_mtime_ns if p.exists() else None for p in watched}

    before = snapshot()
    repo = make_repo(tmp_path / "repo", workflow(COPY))
    github_box.publish(repo)
    result = github_box.run(github_box.push_event(), "check.yml")

    assert result.ok, result.report()
    assert snapshot() == before
    shown = result.job("check").step("Show the checkout").text
    run_dir = next((github_box.root / "runs").glob("001-*"))
    assert f"PWD={run_dir / 'act-cache'}/" in shown  # act's copy of the checkout
    assert f"HOME={run_dir / 'home'}" in shown


def test_tools_helper_fails_in_ci_and_skips_outside(monkeypatch):
    from github_in_a_box.tools import require_tool

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_tool("no-such-tool-anywhere")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_tool("no-such-tool-anywhere")


SUMMARY = """\
name: summary
on: push
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - name: First
        run: echo "first part" >> "$GITHUB_STEP_SUMMARY"
      - name: Quiet
        run: echo "not in the summary"
      - name: Second
        run: printf '| a |\\n|---|\\n' >> "$GITHUB_STEP_SUMMARY"
"""


def test_step_summaries_are_read_back(github_box, tmp_path):
    repo = make_repo(tmp_path / "repo", workflow(SUMMARY))
    github_box.publish(repo)

    result = github_box.run(github_box.push_event(), "check.yml")

    assert result.ok, result.report()
    job = result.job("check")
    assert job.step("First").summary == "first part\n"
    assert job.step("Quiet").summary == ""
    assert job.summary == "first part\n| a |\n|---|\n"


def test_only_an_act_crash_before_any_step_is_run_again():
    """act's own Go fatal error while it prepares the first step is retried; a failed step,
    or a crash after a step ran, is the run's result."""
    from types import SimpleNamespace

    from github_in_a_box.runner import act_crashed_before_any_step

    def result(returncode, stderr, *statuses):
        steps = [SimpleNamespace(result=status) for status in statuses]
        return SimpleNamespace(
            returncode=returncode, stderr=stderr, jobs=[SimpleNamespace(steps=steps)]
        )

    crash = "fatal error: concurrent map read and map write\n\ngoroutine 12 [running]:\n"
    assert act_crashed_before_any_step(result(2, crash, "skipped", "skipped"))
    assert not act_crashed_before_any_step(result(2, crash, "success", "skipped"))
    assert not act_crashed_before_any_step(result(1, "Error: Job failed", "failure"))
    assert not act_crashed_before_any_step(result(0, crash, "skipped"))
