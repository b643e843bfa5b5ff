"""Generated projects made ready for workflow runs; shared by the workflow tests and the story."""

import re
import shutil

from conftest import dvc
from github_in_a_box.box import GitHubBox
from github_in_a_box.origin import git
from pins import tool_pin

# Boosting reduced to one two-leaf tree: roc_auc about 0.69, below the 0.75 gate.
STUMP = (
    "      max_iter: 100\n      max_leaf_nodes: 15",
    "      max_iter: 1\n      max_leaf_nodes: 2",
)


def replace(path, *pairs):
    """Replace each `old` with `new` once in the file; an `old` not found fails the test."""
    text = path.read_text()
    for old, new in pairs:
        assert old in text, f"{old!r} not in {path}"
        text = text.replace(old, new, 1)
    path.write_text(text)


def set_params(project, section=None, **settings):
    """Rewrite `key: value` lines of params.yaml, within the top-level `section` when given
    (each key must name exactly one line there; a trailing comment stays)."""
    path = project / "params.yaml"
    text = path.read_text()
    start, end = 0, len(text)
    if section is not None:
        match = re.search(rf"(?m)^{section}:\n(?:(?:[ #].*)?\n)*", text)
        assert match, f"no `{section}:` section in params.yaml"
        start, end = match.span()
    block = text[start:end]
    for key, value in settings.items():
        block, found = re.subn(rf"(?m)^(\s+{key}): [^#\n]*?(\s+#|$)", rf"\1: {value}\2", block)
        assert found == 1, (
            f"no single `{key}:` line in params.yaml{f' {section}:' if section else ''}"
        )
    path.write_text(text[:start] + block + text[end:])


def pinned_cml(project):
    """The npm package spec of the CML version the project pins (`make cml` installs it)."""
    return f"@dvcorg/cml@{tool_pin(project, '@dvcorg/cml')}"


def commit_all(project, message):
    """Commit every change; the new commit's sha."""
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", message, cwd=project)
    return git("rev-parse", "HEAD", cwd=project).stdout.strip()


def reproduce_and_commit(project, message):
    """What a developer does before pushing: `dvc repro`, `dvc push` with the run cache, commit."""
    dvc("repro", "--quiet", cwd=project)
    dvc("push", "--quiet", "--run-cache", cwd=project)
    return commit_all(project, message)


def reproduced_origin(baked_project, root, act_runner):
    """(box, work clone on main): a copy of the bake with a local DVC remote in `root`, its main
    reproduced, committed and pushed (git to the box's origin, data and run cache to DVC)."""
    project = root / "work"
    shutil.copytree(baked_project, project, symlinks=True)
    dvc("remote", "modify", "storage", "url", str(root / "dvc-remote"), cwd=project)
    dvc("push", "--quiet", cwd=project)
    reproduce_and_commit(project, "Reproduce the pipeline")
    box = GitHubBox(root / "github", act_runner)
    box.publish(project)
    git("remote", "add", "origin", str(box.origin.path), cwd=project)
    git("fetch", "--quiet", "origin", cwd=project)
    return box, project
