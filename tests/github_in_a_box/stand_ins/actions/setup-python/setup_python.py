"""setup-python stand-in: pick an interpreter the harness found, give the job a fresh virtualenv
of it first on PATH (so `pip install` in a workflow never touches the machine's Python).

Reads INPUT_* variables set by action.yml and STANDIN_PYTHONS, a JSON map such as
{"3.11": "/usr/bin/python3.11"} written by tests/workflows. With STANDIN_UV (a uv executable)
the virtualenv is made by `uv venv --seed` (well under a second) instead of `python -m venv`
(about 8 s, mostly ensurepip). Standard library only.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

VERSION_RE = re.compile(r"^\s*(\d+)(?:\.(\d+|x))?")


def fail(message):
    print(f"::error title=setup-python stand-in::{message}")
    sys.exit(1)


def requested_version():
    version = os.environ.get("INPUT_PYTHON_VERSION", "").strip()
    version_file = os.environ.get("INPUT_PYTHON_VERSION_FILE", "").strip()
    if not version and version_file:
        path = Path(os.environ.get("GITHUB_WORKSPACE", ".")) / version_file
        if not path.is_file():
            fail(f"python-version-file {version_file!r} does not exist in the workspace")
        lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        version = next((line for line in lines if line), "")
    if not version:
        fail("give python-version or python-version-file (the real action warns and uses PATH)")
    return version


def choose(spec, available):
    match = VERSION_RE.match(spec)
    if not match:
        fail(f"cannot read Python version {spec!r}")
    major, minor = match.groups()
    candidates = sorted(
        (tuple(int(part) for part in version.split(".")), version)
        for version in available
        if version.split(".")[0] == major and minor in (None, "x", version.split(".")[1])
    )
    if not candidates:
        found = ", ".join(sorted(available)) or "none"
        fail(f"no Python {spec} on this machine (found: {found}); install it or bake another")
    return candidates[-1][1]


def append(variable, line):
    with open(os.environ[variable], "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def main():
    available = json.loads(os.environ.get("STANDIN_PYTHONS") or "{}")
    version = choose(requested_version(), available)
    interpreter = available[version]
    location = Path(os.environ["RUNNER_TEMP"]) / "setup-python" / version
    if not (location / "bin" / "python").exists():
        uv = os.environ.get("STANDIN_UV")
        if uv:
            command = [uv, "venv", "--quiet", "--seed", "--python", interpreter, str(location)]
        else:
            command = [interpreter, "-m", "venv", str(location)]
        subprocess.run(command, check=True)
    python = location / "bin" / "python"
    full_version = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"Python {full_version} from {interpreter}, in a fresh virtualenv at {location}")
    append("GITHUB_PATH", str(location / "bin"))
    append("GITHUB_OUTPUT", f"python-version={full_version}")
    append("GITHUB_OUTPUT", f"python-path={python}")
    if os.environ.get("INPUT_UPDATE_ENVIRONMENT", "true") == "true":
        for variable in ("pythonLocation", "Python_ROOT_DIR", "Python3_ROOT_DIR"):
            append("GITHUB_ENV", f"{variable}={location}")


if __name__ == "__main__":
    main()
