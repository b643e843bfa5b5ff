"""Records are computed from the outputs of the commit they describe, checked against that
commit's dvc.lock, never from whatever the work tree holds (a model card once mixed the
per-class table of one branch with the metrics of another)."""

import json

import pytest
from registry_repos import git, private_repos

from {{ cookiecutter.package_name }}.edge.dvc import CommitOutputs, workspace_output_text
from {{ cookiecutter.package_name }}.errors import OutputMismatch


@pytest.fixture
def repos(tmp_path_factory, tmp_path, monkeypatch):
    return private_repos(tmp_path_factory, tmp_path, monkeypatch)


def quality(text):
    return json.loads(text)["quality"]


def test_a_commits_outputs_come_from_that_commit_not_the_work_tree(repos):
    _, clone, shas = repos
    assert quality((clone / "models" / "model.json").read_text()) == 0.85  # the work tree: v2
    first = CommitOutputs(clone, shas["v1"])
    assert quality(first.read_text("models/model.json")) == 0.8
    assert json.loads(first.read_text("metrics.json"))["roc_auc"] == 0.8


def test_a_committed_output_that_differs_from_dvc_lock_is_refused(repos):
    _, clone, _ = repos
    (clone / "metrics.json").write_text(json.dumps({"roc_auc": 0.99}))
    git("commit", "--quiet", "-am", "Edit the metrics by hand", cwd=clone)
    head = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    with pytest.raises(OutputMismatch, match=r"metrics\.json"):
        CommitOutputs(clone, head).read_text("metrics.json")
    with pytest.raises(OutputMismatch, match="dvc checkout"):
        workspace_output_text("metrics.json", clone)


def test_a_file_dvc_lock_does_not_record_is_refused(repos):
    _, clone, shas = repos
    with pytest.raises(OutputMismatch, match=r"records no md5 for \.gto"):
        CommitOutputs(clone, shas["v1"]).read_text(".gto")
