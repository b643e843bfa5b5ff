"""The pull request's text for a template update: what changed, and what did not merge."""

from ..paths import CRUFT_STATE
from .update import Update

# GitHub refuses a pull-request body over 65,536 characters.
BODY_LIMIT = 60_000
FENCE = "````"  # longer than any ``` fence inside a hunk


def title(update: Update) -> str:
    return f"Template update to {update.new_commit[:12]}"


def body(update: Update) -> str:
    changed = [path for path in update.changed if path != str(CRUFT_STATE)]
    lines = [
        f"# {title(update)}",
        "",
        f"The template this project came from (`{update.template}`) moved from "
        f"`{update.old_commit[:12]}` to `{update.new_commit[:12]}`. This pull request merges "
        "its changes into this project's files (cruft, a three-way merge that keeps this "
        f"project's own edits); `{CRUFT_STATE}` records the new commit.",
        "",
        f"## Files changed ({len(changed)})",
        "",
        *(f"- `{path}`" for path in changed),
        "",
    ]
    lines += conflict_lines(update) if update.conflicts else ["No conflicts: every change merged."]
    lines += [
        "",
        "The pull-request checks reproduce the pipeline and report on this change like any "
        "other; merge when they pass.",
    ]
    return truncate("\n".join(lines) + "\n")


def conflict_lines(update: Update) -> list[str]:
    lines = [
        f"## Conflicts: this project's version kept ({len(update.conflicts)})",
        "",
        "These template changes collided with this project's own edits. Each file below keeps "
        "this project's version (no conflict markers are committed). Port what you want of "
        "each change by hand on this branch, then merge:",
        "",
    ]
    for conflict in update.conflicts:
        lines += [f"### `{conflict.path}`", "", f"{FENCE}diff", conflict.hunks.rstrip(), FENCE, ""]
    return lines


def truncate(text: str) -> str:
    if len(text) <= BODY_LIMIT:
        return text
    note = (
        "\n\n(Truncated to GitHub's size limit: run `make template-update` locally to see "
        "every conflict.)\n"
    )
    return text[: BODY_LIMIT - len(note)] + note
