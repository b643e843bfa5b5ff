"""Finish the generated repository: prune unchosen files, then hand over to its bootstrap command.

The real work (git init, dvc init, remote, demo data, first commit) lives in the generated
package's `bootstrap` module, so the project's own tests cover it and users can re-run it.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})

# Every file that depends on an answer, and the answer value that keeps it. One table, so
# adding an option means adding rows here, not branches below.
KEEP_ONLY_WHEN = {
    "licenses/MIT": ("license", "MIT"),
    "licenses/Apache-2.0": ("license", "Apache-2.0"),
    "licenses/BSD-3-Clause": ("license", "BSD-3-Clause"),
}
LICENSE_SOURCE = f"licenses/{ANSWERS['license']}"


def prune(answers):
    for path, (question, value) in KEEP_ONLY_WHEN.items():
        if answers[question] != value and Path(path).exists():
            Path(path).unlink()
    if Path(LICENSE_SOURCE).exists():
        Path(LICENSE_SOURCE).rename("LICENSE")
    shutil.rmtree("licenses")


def fail(message):
    print(f"cookiecutter-gitops-ml: {message}", file=sys.stderr)
    sys.exit(1)


def bootstrap(answers):
    if shutil.which("git") is None:
        fail("git is not on PATH. Install git (https://git-scm.com/downloads) and generate again.")
    if importlib.util.find_spec("dvc") is None:
        fail(
            f"DVC is not installed in the Python running cookiecutter ({sys.executable}). "
            "Install it beside cookiecutter (`pip install dvc cookiecutter`) or use the "
            "template's `make demo`, then generate again."
        )
    env = dict(os.environ, PYTHONPATH=str(Path("src").resolve()))
    command = [
        sys.executable,
        "-m",
        f"{answers['package_name']}.bootstrap",
        "--remote-kind",
        answers["dvc_remote"],
        "--remote-url",
        answers["dvc_remote_url"],
        "--task",
        answers["task"],
        "--author",
        f"{answers['author_name']} <{answers['author_email']}>",
    ]
    if subprocess.run(command, env=env, check=False).returncode != 0:
        fail("bootstrapping the repository failed (see the message above).")


if __name__ == "__main__":
    prune(ANSWERS)
    bootstrap(ANSWERS)
