"""Drift issues through a fake `gh`, the retraining window policies and the pull request."""

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.contract.stream import CurrentFiles
from {{ cookiecutter.package_name }}.drift.issues import (
    DRIFT_LABEL,
    FAILED_LABEL,
    IssueTracker,
    sync_issues,
)
from {{ cookiecutter.package_name }}.drift.retrain import (
    TOKEN_NOTE,
    open_pull_request,
    write_training_data,
)
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import DriftParams


class FakeGitHub:
    """Issues in memory, answering the few `gh` commands the tracker uses."""

    def __init__(self):
        self.issues, self.labels, self.calls = {}, set(), []

    def __call__(self, args):
        self.calls.append(args)
        flags = dict(zip(args[2::2], args[3::2], strict=False))
        match args[:2]:
            case ["label", "create"]:
                self.labels.add(args[2])
            case ["issue", "list"]:
                found = [
                    {"number": number}
                    for number, issue in self.issues.items()
                    if flags["--label"] in issue["labels"] and issue["state"] == "open"
                ]
                return json.dumps(found)
            case ["issue", "create"]:
                assert flags["--label"] in self.labels, "gh refuses labels that do not exist"
                number = len(self.issues) + 1
                self.issues[number] = {
                    "title": flags["--title"],
                    "body": Path(flags["--body-file"]).read_text(),
                    "labels": [flags["--label"]],
                    "state": "open",
                    "comments": [],
                }
            case ["issue", "edit"]:
                issue = self.issues[int(args[2])]
                issue["title"] = args[args.index("--title") + 1]
                issue["body"] = Path(args[args.index("--body-file") + 1]).read_text()
            case ["issue", "comment"]:
                self.issues[int(args[2])]["comments"].append(args[4])
            case ["issue", "close"]:
                self.issues[int(args[2])]["state"] = "closed"
            case _:
                raise AssertionError(f"unexpected gh call {args}")
        return ""

    def open_with(self, label):
        return [
            issue
            for issue in self.issues.values()
            if label in issue["labels"] and issue["state"] == "open"
        ]


def document(status, date="2030-01-01"):
    result = None
    if status != "could_not_check":
        result = {
            "reasons": ["1 of 1 feature columns drifted"] if status == "drift" else [],
            "drifted_columns": ["age"] if status == "drift" else [],
            "columns": [],
            "predictions": None,
            "performance": None,
            "current_rows": 500,
            "settings": DriftParams().model_dump(),
        }
    return {
        "status": status,
        "date": date,
        "source": "data/current/x.parquet",
        "files": [],
        "reference": {"description": "the workspace's model"},
        "problem": "no current data at data/current/x.parquet" if result is None else None,
        "fix": "deliver it" if result is None else None,
        "contract": [],
        "result": result,
        "run_url": None,
    }


def test_drift_opens_one_issue_then_updates_it_and_recovery_closes_it():
    github = FakeGitHub()
    tracker = IssueTracker(github)

    assert sync_issues(document("no_drift"), tracker) == ["drift issue: none open"]
    assert not github.issues
    sync_issues(document("drift"), tracker)
    (issue,) = github.open_with(DRIFT_LABEL)
    assert issue["title"].startswith("Data drift on 2030-01-01")
    assert "1 of 1 feature columns drifted" in issue["body"]

    sync_issues(document("drift", "2030-01-08"), tracker)
    (issue,) = github.open_with(DRIFT_LABEL)
    assert "2030-01-08" in issue["title"] and issue["comments"] == [
        "Drift persists on 2030-01-08; the description holds the latest report."
    ]

    sync_issues(document("no_drift", "2030-01-15"), tracker)
    assert not github.open_with(DRIFT_LABEL)
    assert "Recovered: no drift on 2030-01-15" in issue["comments"][-1]


def test_a_check_that_could_not_run_gets_its_own_issue_until_it_runs_again():
    github = FakeGitHub()
    tracker = IssueTracker(github)
    sync_issues(document("drift"), tracker)
    sync_issues(document("could_not_check"), tracker)
    sync_issues(None, tracker)  # an earlier step failed: no drift.json at all
    (failed,) = github.open_with(FAILED_LABEL)
    assert failed["title"].startswith("Drift check could not run on")
    assert "earlier step of the workflow failed" in failed["body"]
    assert len(github.open_with(DRIFT_LABEL)) == 1  # the drift issue is left alone

    sync_issues(document("drift", "2030-01-08"), tracker)
    assert not github.open_with(FAILED_LABEL)
    assert len(github.open_with(DRIFT_LABEL)) == 1


# --- retraining ---------------------------------------------------------------------------------

SCHEMA = parse_schema(
    {
        "target": "label",
        "columns": {"x": {"dtype": "float"}, "label": {"dtype": "integer", "categories": [0, 1]}},
    }
)


@pytest.fixture
def batch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"x": [1.5, 2.5], "label": [1, 0]}).to_parquet(tmp_path / "batch.parquet")
    pd.DataFrame({"label": [0, 1, 1], "x": [0.5, 0.25, 0.75]}).to_csv("raw.csv", index=False)
    return CurrentFiles("batch.parquet", (str(tmp_path / "batch.parquet"),), "auto")


@pytest.mark.parametrize(
    ("policy", "rows", "first"),
    [("append", 5, "label,x\n0,0.5"), ("replace", 2, "x,label\n1.5,1"), ("last_n", 4, "x,label")],
)
def test_window_policies(batch, policy, rows, first):
    settings = DriftParams(window={"policy": policy, "batches": 2})
    if policy == "last_n":
        write_training_data(settings, batch, SCHEMA, "raw.csv", "2030-01-01")
    before, after, tracked = write_training_data(settings, batch, SCHEMA, "raw.csv", "2030-01-08")
    assert (before, after) == ((3 if policy != "last_n" else 2), rows)
    text = Path("raw.csv").read_text()
    assert text.startswith(first)
    if policy == "append":
        assert text.endswith("1,1.5\n0,2.5\n")  # in the existing file's column order
    if policy == "last_n":
        assert [str(path) for path in tracked] == ["raw.csv", "data/batches"]


@pytest.mark.parametrize(("policy", "rows"), [("append", 5), ("replace", 2), ("last_n", 4)])
def test_window_policies_on_a_parquet_raw_file_keep_it_parquet(batch, policy, rows):
    # The raw file's own types (x as text would not be): the batch is cast to them.
    raw = pd.DataFrame({"label": pd.array([0, 1, 1], "int32"), "x": [0.5, 0.25, 0.75]})
    raw.to_parquet("raw.parquet", index=False)
    settings = DriftParams(window={"policy": policy, "batches": 2})
    if policy == "last_n":
        write_training_data(settings, batch, SCHEMA, "raw.parquet", "2030-01-01")
    before, after, tracked = write_training_data(
        settings, batch, SCHEMA, "raw.parquet", "2030-01-08"
    )
    assert (before, after) == ((3 if policy != "last_n" else 2), rows)
    written = pd.read_parquet("raw.parquet")
    assert len(written) == rows
    if policy == "append":
        assert list(written.columns) == ["label", "x"]
        assert str(written["label"].dtype) == "int32"
        assert written["x"].tolist() == [0.5, 0.25, 0.75, 1.5, 2.5]
    else:
        assert list(written.columns) == ["x", "label"]
        assert written["label"].tolist()[-2:] == [1, 0]
    if policy == "last_n":
        assert [str(path) for path in tracked] == ["raw.parquet", "data/batches"]


def test_a_batch_that_does_not_fit_a_parquet_raw_file_is_refused(batch):
    pd.DataFrame({"x": [0.5], "label": [1], "id": ["a"]}).to_parquet("raw.parquet", index=False)
    settings = DriftParams(window={"policy": "append"})
    with pytest.raises(ProjectError, match=r"cannot be appended to raw.parquet: .*no id"):
        write_training_data(settings, batch, SCHEMA, "raw.parquet", "2030-01-08")


def test_the_pull_request_carries_the_summary_and_says_how_to_start_checks(batch):
    subprocess.run(["git", "init", "--quiet"], check=True)
    reports = batch.paths[0].rsplit("/", 1)[0] + "/reports"
    Path(reports).mkdir()
    Path("data/raw").mkdir(parents=True)
    Path("data/raw/x.csv.dvc").write_text("outs: []\n")
    Path("dvc.lock").write_text("schema: '2.0'\n")
    (Path(reports) / "drift.json").write_text(json.dumps(document("drift")))
    (Path(reports) / "retrain.md").write_text("## Retraining\n")
    calls = []

    def run(command, **_):
        calls.append(command)
        return SimpleNamespace(returncode=0, stdout="https://github.com/o/r/pull/7", stderr="")

    open_pull_request(reports, run, environ={})
    open_pull_request(reports, run, environ={"REPO_TOKEN_SET": "true"})
    without_token, with_token = (command[command.index("--body") + 1] for command in calls)
    assert calls[0][:5] == ["cml", "pr", "create", "--branch", "drift-retrain-2030-01-01"]
    assert calls[0][-2:] == ["data/raw/x.csv.dvc", "dvc.lock"]
    assert without_token.startswith(TOKEN_NOTE) and "## Retraining" in without_token
    assert TOKEN_NOTE not in with_token
