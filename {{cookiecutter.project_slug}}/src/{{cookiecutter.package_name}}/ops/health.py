"""The one "Model health" issue: opened and pinned once, then edited in place every week, so the
repository's front page shows the current figures and no duplicate ever piles up."""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..edge.github import run_gh

LABEL = "model-health"
COLOR, DESCRIPTION = "0e8a16", "The weekly operations report (ops.yml)"
# GitHub refuses an issue body over 65,536 characters.
MAX_BODY = 65_536
FIX = "check GH_TOKEN and that the job may write issues (permissions: issues: write)"
Gh = Callable[[list[str]], str]


def gh_issues(args: list[str]) -> str:
    return run_gh(args, FIX).stdout


def fit(body: str, limit: int = MAX_BODY) -> str:
    """The body, cut at a line with a note when GitHub would refuse it."""
    if len(body) <= limit:
        return body
    note = "\n\n(cut to fit GitHub's issue size; the run's ops-report artifact has it all)\n"
    return body[: limit - len(note)].rsplit("\n", 1)[0] + note


def update_issue(title: str, body: str, gh: Gh = gh_issues) -> str:
    """Edit the open "Model health" issue, or open and pin it; returns what was done."""
    gh(["label", "create", LABEL, "--color", COLOR, "--description", DESCRIPTION, "--force"])
    listed = gh(["issue", "list", "--label", LABEL, "--state", "open", "--json", "number"])
    numbers = sorted(item["number"] for item in json.loads(listed or "[]"))
    with tempfile.TemporaryDirectory() as folder:
        body_file = Path(folder) / "body.md"
        body_file.write_text(fit(body), encoding="utf-8")
        if numbers:
            number = str(numbers[0])
            gh(["issue", "edit", number, "--title", title, "--body-file", str(body_file)])
            return f"updated the model health issue #{number}"
        url = gh(
            ["issue", "create", "--title", title, "--body-file", str(body_file), "--label", LABEL]
        ).strip()
    number = url.rstrip("/").rsplit("/", 1)[-1]
    gh(["issue", "pin", number])
    return f"opened and pinned the model health issue #{number}"
