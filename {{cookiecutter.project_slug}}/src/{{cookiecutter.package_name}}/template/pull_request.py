"""The one template-update pull request: its branch is force-pushed and its body rewritten on
every run, so a newer template commit updates the open pull request instead of adding one."""

from pathlib import Path

from ..edge.git import ORIGIN, changed_files, remote_env, run_git, tagger
from ..edge.github import run_gh
from ..errors import ProjectError

BRANCH = "template-update"
FIX = "check REPO_TOKEN and the job's permissions (contents and pull-requests: write)"


def open_or_update(title: str, body_file: Path, base: str) -> str:
    """Commit the update on BRANCH, push it and open or edit its pull request; returns the
    pull request's URL or number."""
    if not changed_files():
        raise ProjectError("the template update changed no file", "run `template update` first")
    name, email = tagger()
    run_git("checkout", "-B", BRANCH)
    run_git("add", "--all")
    identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    run_git(*identity, "commit", "--quiet", "-m", title)
    url = run_git("remote", "get-url", ORIGIN).stdout.strip()
    run_git("push", "--force", ORIGIN, f"{BRANCH}:{BRANCH}", env=remote_env(url))
    listed = ["pr", "list", "--head", BRANCH, "--state", "open", "--json", "number"]
    # `.[].number`, not `.[0].number`: jq prints "null" for an empty list.
    numbers = run_gh([*listed, "--jq", ".[].number"], FIX).stdout.split()
    number = numbers[0] if numbers else None
    if number:
        run_gh(["pr", "edit", number, "--title", title, "--body-file", str(body_file)], FIX)
        return f"updated pull request #{number}"
    text = ["--title", title, "--body-file", str(body_file)]
    created = run_gh(["pr", "create", "--head", BRANCH, "--base", base, *text], FIX)
    return f"opened {created.stdout.strip()}"
