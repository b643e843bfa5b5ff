"""Pulling in CI: a DVC remote that does not exist falls back to the source, with notes."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import cli, paths
from {{ cookiecutter.package_name }}.demo_data import write_csv
from {{ cookiecutter.package_name }}.edge.dvc import credentials_env as remote_credentials_env
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import parse_params
from {{ cookiecutter.package_name }}.pipeline import remote


def with_push(document, push):
    return parse_params({**document.model_dump(), "ci": {"push_outputs": push}})


def dvc(*args):
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], capture_output=True, text=True, check=True
    )


@pytest.fixture
def dvc_project(workspace, tmp_path, task, monkeypatch):
    """A git + DVC project tracking the demo data, whose remote `storage` is `url`."""
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    subprocess.run(["git", "init", "--quiet"], check=True)
    dvc("init", "--quiet")
    write_csv(paths.DEMO_DATA, task)
    dvc("add", "--quiet", str(paths.DEMO_DATA))
    return workspace


def set_remote(url):
    dvc("remote", "add", "--default", "--force", paths.DVC_REMOTE, str(url))


def forget_data():
    """Remove the data and DVC's cache, as on a fresh runner."""
    paths.DEMO_DATA.unlink()
    shutil.rmtree(".dvc/cache", ignore_errors=True)


def test_pull_from_the_remote_leaves_no_notes(dvc_project, tmp_path):
    set_remote(tmp_path / "remote")
    dvc("push", "--quiet")
    forget_data()

    notes = remote.pull()

    assert notes == []
    assert remote.is_present(remote.tracked_files()[0])
    assert remote.read_notes() == []


def test_an_unreachable_remote_regenerates_the_demo_data_and_says_so(dvc_project, tmp_path):
    set_remote(tmp_path / "does-not-exist")
    (tracked,) = remote.tracked_files()
    forget_data()

    notes = remote.pull()

    assert remote.is_present(tracked)
    assert "holds no copy of `data/raw/demo.csv`" in notes[0]
    assert f"md5 `{tracked.md5}` equals the one in `demo.csv.dvc`" in notes[1]
    assert remote.read_notes() == notes


def test_a_failing_remote_is_noted_and_does_not_fail(dvc_project, tmp_path):
    (tracked,) = remote.tracked_files()
    forget_data()

    def broken_dvc(*args, env=None):
        return 1, "ERROR: failed to connect to the remote"

    notes = remote.pull(dvc=broken_dvc)

    assert "could not be read (ERROR: failed to connect to the remote)" in notes[0]
    assert "regenerated" in notes[1]
    assert remote.is_present(tracked)


def test_changed_demo_data_is_reported_unavailable(dvc_project, tmp_path, task):
    write_csv(paths.DEMO_DATA, task, n_rows=10)
    dvc("add", "--quiet", str(paths.DEMO_DATA))
    set_remote(tmp_path / "does-not-exist")
    forget_data()

    notes = remote.pull()

    assert "is unavailable: the regenerated demo data does not match" in notes[-1]
    assert not paths.DEMO_DATA.exists()


def test_other_missing_data_is_reported_unavailable(dvc_project, tmp_path):
    other = Path("data/raw/mine.csv")
    other.write_text("a,b\n1,2\n")
    dvc("add", "--quiet", str(other))
    set_remote(tmp_path / "does-not-exist")
    other.unlink()
    shutil.rmtree(".dvc/cache")

    notes = remote.pull()

    assert any("`data/raw/mine.csv` is unavailable" in note for note in notes)


def test_a_failed_repro_is_noted_for_the_report(workspace):
    paths.NOTES.parent.mkdir(parents=True)
    paths.NOTES.write_text("earlier note\n")

    def failing_dvc(*args, env=None):
        return 1, "ERROR: failed to reproduce 'validate'"

    with pytest.raises(ProjectError, match="did not reproduce"):
        remote.repro(dvc=failing_dvc)
    notes = remote.read_notes()
    assert notes[0] == "earlier note"
    assert "`dvc repro` failed (ERROR: failed to reproduce 'validate')" in notes[1]


def test_push_outputs_only_when_params_ask(workspace, params):
    calls = []

    def recording_dvc(*args, env=None):
        calls.append(args)
        return 0, ""

    assert not remote.push_outputs(with_push(params, False), dvc=recording_dvc)
    assert remote.push_outputs(with_push(params, True), dvc=recording_dvc)
    assert calls == [("push", "--run-cache")]


def test_text_secrets_become_files(tmp_path):
    env = remote_credentials_env(
        {"GOOGLE_APPLICATION_CREDENTIALS_JSON": '{"type": "service_account"}'}, tmp_path
    )
    path = Path(env["GOOGLE_APPLICATION_CREDENTIALS"])
    assert path.read_text().strip() == '{"type": "service_account"}'
    assert path.stat().st_mode & 0o777 == 0o600
    assert "DVC_SSH_KEYFILE" not in env


def test_report_command_shows_the_notes_on_top(workspace, monkeypatch):
    paths.NOTES.parent.mkdir(parents=True)
    paths.NOTES.write_text("from pull\n\n")
    seen = {}
    monkeypatch.setattr(
        "{{ cookiecutter.package_name }}.review.report.write_pr_report",
        lambda base, output, notes: seen.update(base=base, notes=notes),
    )

    assert cli.main(["report", "pr", "--base", "origin/main", "--note", "extra"]) == 0
    assert seen == {"base": "origin/main", "notes": ["from pull", "extra"]}


def test_pull_says_once_that_unbuilt_outputs_wait_for_repro():
    output = "\n".join(
        [
            "Collecting",
            "WARNING: No file hash info found for '/p/models/model.joblib'. It won't be created.",
            "WARNING: No file hash info found for '/p/metrics.json'. It won't be created.",
            "1 file fetched",
        ]
    )
    assert remote.without_unbuilt_warnings(output).splitlines() == [
        "Collecting",
        "1 file fetched",
        "2 outputs are not built yet: `dvc repro` builds them.",
    ]
    assert (
        remote.without_unbuilt_warnings("Everything is up to date.") == "Everything is up to date."
    )
