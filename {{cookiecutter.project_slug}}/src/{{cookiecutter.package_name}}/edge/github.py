"""GitHub: the `gh` and `cml` command lines, and the files and variables of an Actions job."""

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..errors import ProjectError

RUN_VARIABLES = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")


def run_gh(
    args: Sequence[str], fix: str = "check GH_TOKEN and the job's permissions", check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`gh <args>`; the CompletedProcess, or a ProjectError with gh's message and `fix`."""
    try:
        result = subprocess.run(["gh", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ProjectError(
            "the GitHub CLI `gh` is not installed",
            "install it (GitHub's runners have it): https://cli.github.com",
        ) from None
    if check and result.returncode != 0:
        raise ProjectError(
            f"`gh {' '.join(args[:2])}` failed: {(result.stderr or result.stdout).strip()}", fix
        )
    return result


def run_cml(
    args: Sequence[str],
    fix: str,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> str:
    """`cml <args>`; its output, or a ProjectError with cml's message and `fix`."""
    try:
        result = run(["cml", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ProjectError(
            "the CML command line `cml` is not installed",
            "install it: `npm install --global @dvcorg/cml`",
        ) from None
    if result.returncode != 0:
        raise ProjectError(
            f"`cml {' '.join(args[:2])}` failed: {(result.stderr or result.stdout).strip()}", fix
        )
    return result.stdout.strip()


def run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """This GitHub Actions run's page, or None outside Actions."""
    environ = os.environ if environ is None else environ
    server, repository, run_id = (environ.get(name) for name in RUN_VARIABLES)
    if server and repository and run_id:
        return f"{server}/{repository}/actions/runs/{run_id}"
    return None


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("GITHUB_ACTIONS") == "true"


def terminal_text(markdown: str) -> str:
    """Markdown meant for a job summary, as plain text for a terminal: code blocks indented,
    no fences, backticks or emphasis."""
    lines = []
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        lines.append(f"    {line}" if in_code else line.replace("`", "").replace("**", ""))
    return "\n".join(lines) + "\n"


def append_summary(text: str, environ: Mapping[str, str] | None = None) -> bool:
    """Add markdown to the job summary; False outside Actions."""
    return _append((os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY"), text)


def set_output(name: str, value: object, environ: Mapping[str, str] | None = None) -> bool:
    """`name=value` for later steps of the job; False outside Actions."""
    path = (os.environ if environ is None else environ).get("GITHUB_OUTPUT")
    return _append(path, f"{name}={value}\n")


def _append(path: str | None, text: str) -> bool:
    if not path:
        return False
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(text)
    return True
