"""Fixtures for workflow tests: act and the interpreters once per session, a box per test."""

import pytest
from github_in_a_box.box import GitHubBox
from github_in_a_box.runner import ActRunner
from github_in_a_box.standins import find_pythons
from github_in_a_box.tools import require_tool


@pytest.fixture(scope="session")
def python_interpreters():
    """{"3.11": path, ...}: what the setup-python stand-in can offer on this machine."""
    return find_pythons()


@pytest.fixture(scope="session")
def act_runner(python_interpreters):
    return ActRunner(require_tool("act"), python_interpreters)


@pytest.fixture
def github_box(tmp_path, act_runner):
    """A fresh GitHub-in-a-box: empty origin, no issues or releases, act ready."""
    return GitHubBox(tmp_path / "github", act_runner)
