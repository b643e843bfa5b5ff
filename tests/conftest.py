"""Session-wide fixtures: an isolated git/DVC environment and a cache of baked projects.

Baking (with its hooks) and the first `dvc repro` are the slow parts, so each distinct set of
answers is baked once per session; tests that change a project work on a copy.
"""

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
DEFAULTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory):
    """No test reads or writes the user's git config, DVC site cache or analytics."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Template Tests\n\temail = tests@example.com\n"
        "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n"
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    patch.setenv("DVC_NO_ANALYTICS", "1")
    patch.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
    # Stages run `python -m <package>`: it must be this virtualenv's python.
    patch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                     "GIT_COMMITTER_EMAIL", "GIT_DIR", "GIT_WORK_TREE"):
        patch.delenv(variable, raising=False)
    yield home
    patch.undo()


def bake(output_dir, **answers):
    """Bake the template non-interactively; return the project folder."""
    return Path(
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir))
    )


@pytest.fixture(scope="session")
def baked(tmp_path_factory):
    """`baked(**answers)` returns a project baked once per session for those answers.

    A local DVC remote, unless given, sits beside it. Treat the result as read-only: use `project_copy`.
    """
    cache = {}

    def get(**answers):
        key = tuple(sorted(answers.items()))
        if key not in cache:
            root = tmp_path_factory.mktemp("bake")
            if answers.get("dvc_remote", "local") == "local":
                answers.setdefault("dvc_remote_url", str(root / "remote"))
            cache[key] = bake(root, **answers)
        return cache[key]

    return get


@pytest.fixture
def project_copy(tmp_path):
    """`project_copy(project)` returns a private copy (git, DVC cache and all) to change freely."""

    def copy(project):
        target = tmp_path / project.name
        shutil.copytree(project, target, symlinks=True)
        return target

    return copy
