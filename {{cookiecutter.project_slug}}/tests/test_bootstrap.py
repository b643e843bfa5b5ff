"""The repository bootstrap, run for real: git, DVC, a local remote and the first commit."""

import subprocess
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }} import bootstrap


@pytest.fixture
def isolated_git(tmp_path, monkeypatch):
    """No test reads or writes the user's git config, DVC site cache or analytics."""
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.delenv(name, raising=False)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    return project


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def test_bootstrap_makes_a_repository_with_data_on_the_remote(isolated_git, tmp_path, task, capsys):
    remote = tmp_path / "remote"
    Path("README.md").write_text("demo\n")

    bootstrap.bootstrap("local", str(remote), task, "Ada Lovelace <ada@example.com>")

    assert "Repository ready" in capsys.readouterr().out
    assert git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git("log", "--format=%an <%ae>|%s").strip() == (
        f"Ada Lovelace <ada@example.com>|{bootstrap.FIRST_COMMIT_MESSAGE}"
    )
    assert git("status", "--porcelain") == ""
    tracked = git("ls-files").split()
    assert "data/raw/demo.csv.dvc" in tracked
    assert "data/raw/demo.csv" not in tracked
    assert str(remote) in Path(".dvc/config").read_text()
    assert any(path.is_file() for path in remote.rglob("*"))

    # Safe to re-run: nothing new to commit, nothing fails.
    bootstrap.bootstrap("local", str(remote), task, "Ada Lovelace <ada@example.com>")
    assert len(git("log", "--format=%H").split()) == 1


def test_a_cloud_remote_is_configured_but_not_pushed(isolated_git, task, capsys):
    bootstrap.bootstrap("s3", "s3://bucket/models", task, "Ada <ada@example.com>")
    assert "s3://bucket/models" in Path(".dvc/config").read_text()
    assert "not pushed yet" in capsys.readouterr().out


def test_a_failing_step_names_the_command(isolated_git):
    with pytest.raises(bootstrap.BootstrapError, match="`git definitely-not-a-command` failed"):
        bootstrap.run(["git", "definitely-not-a-command"])


def test_main_reports_failures_without_a_traceback(isolated_git, monkeypatch, capsys):
    def fail(*args):
        raise bootstrap.BootstrapError("`dvc init` failed:\nno space left")

    monkeypatch.setattr(bootstrap, "bootstrap", fail)
    argv = [
        "--remote-kind",
        "local",
        "--remote-url",
        "r",
        "--task",
        "regression",
        "--author",
        "A <a@b.c>",
    ]
    assert bootstrap.main(argv) == 1
    assert "bootstrap: `dvc init` failed" in capsys.readouterr().err


def test_remote_location_makes_local_folders_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert bootstrap.remote_location("local", "remote") == str(tmp_path / "remote")
    assert (tmp_path / "remote").is_dir()
    assert bootstrap.remote_location("gs", "gs://bucket/x") == "gs://bucket/x"


def test_author_env_sets_identity_without_overriding_the_callers(monkeypatch):
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Release Bot")
    env = bootstrap.author_env("Ada Lovelace <ada@example.com>")
    assert env["GIT_AUTHOR_NAME"] == "Ada Lovelace"
    assert env["GIT_AUTHOR_EMAIL"] == "ada@example.com"
    assert env["GIT_COMMITTER_NAME"] == "Release Bot"
