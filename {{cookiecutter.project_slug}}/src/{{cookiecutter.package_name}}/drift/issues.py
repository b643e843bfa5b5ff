"""The drift issue on GitHub, through the `gh` command line (preinstalled on GitHub's runners).

One open issue per kind, found by label: `drift` for drift, `drift-check-failed` for a check
that could not run. Drift opens the drift issue, or updates the open one (new body, and a
comment so watchers hear of it); a check that could not run does the same with its own issue;
a clean check comments on and closes whichever is open.
"""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..edge.github import run_gh, run_url
from .report import markdown, title, today

DRIFT_LABEL = "drift"
FAILED_LABEL = "drift-check-failed"
LABELS = {
    DRIFT_LABEL: ("d93f0b", "The scheduled drift check found drift"),
    FAILED_LABEL: ("b60205", "The scheduled drift check could not run"),
}


ISSUES_FIX = "check GH_TOKEN and that the job may write issues (permissions: issues: write)"
# gh_issues, or a stand-in with its signature (tests).
GhRun = Callable[[list[str]], str]


def gh_issues(args: list[str]) -> str:
    """`gh <args>` for the drift issues; returns its output."""
    return run_gh(args, ISSUES_FIX).stdout


class IssueTracker:
    """The drift issues of the current repository; `gh` is injectable for tests."""

    def __init__(self, gh: GhRun = gh_issues) -> None:
        self.gh = gh

    def ensure_label(self, label: str) -> None:
        color, description = LABELS[label]
        # --force updates an existing label instead of failing: safe to repeat every run.
        self.gh(
            ["label", "create", label, "--color", color, "--description", description, "--force"]
        )

    def open_issue(self, label: str) -> int | None:
        """The number of the oldest open issue with `label`, or None."""
        output = self.gh(["issue", "list", "--label", label, "--state", "open", "--json", "number"])
        numbers = sorted(item["number"] for item in json.loads(output or "[]"))
        return numbers[0] if numbers else None

    def publish(self, label: str, issue_title: str, body: str, comment: str) -> str:
        """Update the open issue with `label` (title, body, a comment), or open one."""
        self.ensure_label(label)
        number = self.open_issue(label)
        with tempfile.TemporaryDirectory() as folder:
            body_file = Path(folder) / "body.md"
            body_file.write_text(body, encoding="utf-8")
            if number is None:
                self.gh(
                    [
                        "issue",
                        "create",
                        "--title",
                        issue_title,
                        "--body-file",
                        str(body_file),
                        "--label",
                        label,
                    ]
                )
                return "opened"
            self.gh(
                [
                    "issue",
                    "edit",
                    str(number),
                    "--title",
                    issue_title,
                    "--body-file",
                    str(body_file),
                ]
            )
        self.gh(["issue", "comment", str(number), "--body", comment])
        return f"updated #{number}"

    def resolve(self, label: str, comment: str) -> str | None:
        number = self.open_issue(label)
        if number is None:
            return None
        self.gh(["issue", "comment", str(number), "--body", comment])
        self.gh(["issue", "close", str(number)])
        return f"closed #{number}"


def sync_issues(document: dict[str, Any] | None, tracker: IssueTracker) -> list[str]:
    """Bring the drift issues in line with the check's `document` (drift.json's content, or
    None when the check did not run); returns what was done, one line per action."""
    if document is None:
        document = {"status": "could_not_check", "date": today(), "run_url": run_url()}
        document.update(
            reference={"description": "not loaded"},
            source="not read",
            problem="the drift check did not run: an earlier step of the workflow failed",
            fix="see the workflow run's log",
        )
    status, date = document["status"], document["date"]
    link = f" ({document['run_url']})" if document.get("run_url") else ""
    done = []
    if status == "could_not_check":
        comment = f"The drift check could not run again on {date}{link}: {document['problem']}"
        action = tracker.publish(FAILED_LABEL, title(document), markdown(document), comment)
        return [f"check-failed issue: {action}"]
    closed = tracker.resolve(FAILED_LABEL, f"The drift check ran again on {date}{link}.")
    if closed:
        done.append(f"check-failed issue: {closed}")
    if status == "drift":
        comment = f"Drift persists on {date}{link}; the description holds the latest report."
        action = tracker.publish(DRIFT_LABEL, title(document), markdown(document), comment)
        done.append(f"drift issue: {action}")
    else:
        closed = tracker.resolve(
            DRIFT_LABEL, f"Recovered: no drift on {date}{link}. Closing; a new drift reopens one."
        )
        done.append(f"drift issue: {closed or 'none open'}")
    return done
