"""Local stand-ins for third-party actions, interpreters for setup-python, and what the
recording `cml`/`gh`/`npm`/upload-artifact stand-ins left behind."""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from . import workflow_files

STAND_INS = Path(__file__).resolve().parent / "stand_ins"
GH_SCRIPT = STAND_INS / "gh" / "gh.py"
NPM_SCRIPT = STAND_INS / "npm" / "npm.py"
CML_SCRIPT = STAND_INS / "cml" / "cml.py"


class MissingStandIn(LookupError):
    """A `uses:` the harness cannot serve locally; the message names each one and the fix."""


def action_file(folder):
    for name in ("action.yml", "action.yaml"):
        if (folder / name).is_file():
            return folder / name
    return None


def declared_inputs(path):
    return set((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("inputs") or {})


def local_repositories(workflows, stand_ins=STAND_INS):
    """{"owner/name@ref": stand-in folder} for every remote `uses:` in the parsed workflows.

    Raises MissingStandIn naming every `uses:` without a stand-in, a stand-in lacking an input
    the workflow passes, and docker actions (which cannot run in act's host mode).
    """
    stand_ins = Path(stand_ins)
    mapping, problems = {}, []
    for workflow_name, workflow in workflows.items():
        for uses in workflow_files.uses_of(workflow):
            where = f"{workflow_name} job {uses.job!r} step {uses.step!r}: `uses: {uses.value}`"
            if uses.kind == "local" or workflow_files.checkout_handled_by_act(uses):
                continue
            if uses.kind != "remote":
                problems.append(f"{where} cannot run under act in host mode ({uses.kind})")
                continue
            owner, repo, path, ref = uses.parts()
            folder = stand_ins / owner / repo
            action = action_file(folder / path)
            if action is None:
                problems.append(
                    f"{where} has no stand-in: add {folder.relative_to(stand_ins.parent)}/"
                    f"{path + '/' if path else ''}action.yml (see stand_ins/README.md)"
                )
                continue
            unknown = sorted(set(uses.inputs) - declared_inputs(action))
            if unknown:
                problems.append(
                    f"{where} passes {', '.join(unknown)}, which the stand-in "
                    f"{action.relative_to(stand_ins.parent)} does not declare"
                )
            mapping[f"{owner}/{repo}@{ref}"] = folder
    if problems:
        raise MissingStandIn("\n".join(problems))
    return mapping


PROBE = (
    "import os, platform, sys; "
    "print(platform.python_version()); "
    "print(os.path.realpath(getattr(sys, '_base_executable', sys.executable)))"
)


def candidate_interpreters():
    """Pythons this machine may have: this one, python3.X on PATH, pyenv's, the runner's cache."""
    yield sys.executable
    for minor in range(9, 16):
        found = shutil.which(f"python3.{minor}")
        if found:
            yield found
    roots = [os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv")) + "/versions/*/bin"]
    roots.append(os.environ.get("RUNNER_TOOL_CACHE", "/opt/hostedtoolcache") + "/Python/*/x64/bin")
    roots.append("/usr/bin")
    for root in roots:
        yield from sorted(glob.glob(f"{root}/python3.[0-9]*"))


def find_pythons():
    """{"3.11": "/path/to/python3.11", ...}: one working base interpreter per major.minor."""
    found = {}
    for candidate in candidate_interpreters():
        if candidate.endswith("-config"):
            continue
        try:
            result = subprocess.run(
                [candidate, "-c", PROBE], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        lines = result.stdout.split()
        if result.returncode != 0 or len(lines) != 2:
            continue  # e.g. a pyenv shim for a version that is not selected
        version = ".".join(lines[0].split(".")[:2])
        found.setdefault(version, lines[1])
    return found


def write_tool_launchers(folder):
    """`gh` and `npm` executables in `folder` running the recording ones with this Python, as
    the runner image has both; `npm install --global @dvcorg/cml@X` adds a recording `cml` here
    (npm's global executables sit next to it)."""
    folder.mkdir(parents=True, exist_ok=True)
    launchers = {
        "gh": f'exec "{sys.executable}" "{GH_SCRIPT}" "$@"',
        "npm": f'export STANDIN_NPM_BIN="{folder}"; exec "{sys.executable}" "{NPM_SCRIPT}" "$@"',
    }
    for name, command in launchers.items():
        launcher = folder / name
        launcher.write_text(f"#!/bin/sh\n{command}\n")
        launcher.chmod(0o755)
    return folder


class Records:
    """What the stand-ins recorded under one GitHub-in-a-box (STANDIN_RECORDS)."""

    def __init__(self, root):
        self.root = Path(root)

    def cml_calls(self):
        """Each `cml` call, oldest first: call.json plus "report" text and "image_files"."""
        calls = []
        for folder in sorted((self.root / "cml").glob("[0-9]*")):
            call = json.loads((folder / "call.json").read_text())
            report = folder / "report.md"
            call["report_text"] = report.read_text() if report.exists() else None
            call["image_files"] = sorted((folder / "images").glob("*"))
            calls.append(call)
        return calls

    def cml_comments(self, target=None):
        """{"pr/N": [{"id", "body", "updates"}]} that `cml comment create|update` left; with
        `target`, that target's list."""
        path = self.root / "cml-comments.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        return state if target is None else state.get(target, [])

    def npm_calls(self):
        """The argv of each `npm` call, oldest first."""
        path = self.root / "npm" / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["argv"] for line in path.read_text().splitlines()]

    def gh_calls(self):
        path = self.root / "gh" / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line)["argv"] for line in path.read_text().splitlines()]

    def gh_state(self):
        path = self.root / "gh" / "state.json"
        if not path.exists():
            return {"next_number": 1, "issues": [], "pulls": [], "releases": [], "labels": []}
        return json.loads(path.read_text())

    def add_run(self, run):
        """Record a workflow run in the recording gh's state, under its lock."""
        import fcntl

        folder = self.root / "gh"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "state.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.gh_state()
            state.setdefault("runs", []).append(run)
            (folder / "state.json").write_text(json.dumps(state, indent=2))

    def runs(self, workflow=None):
        return [r for r in self.gh_state().get("runs", []) if workflow in (None, r["workflowName"])]

    def issues(self, state="OPEN"):
        return [i for i in self.gh_state()["issues"] if state in (None, i["state"])]

    def pulls(self, state="OPEN"):
        return [p for p in self.gh_state()["pulls"] if state in (None, p["state"])]

    def releases(self):
        return self.gh_state()["releases"]

    def release_assets(self, tag):
        return sorted((self.root / "gh" / "releases" / tag).glob("*"))

    def artifact(self, name, run_id=None):
        """{relative path: file} of artifact `name` from run `run_id` (default: the latest run
        that uploaded one); {} when there is none."""
        runs = sorted((self.root / "artifacts").glob(f"*/{name}"), key=lambda p: int(p.parent.name))
        if run_id is not None:
            runs = [p for p in runs if p.parent.name == str(run_id)]
        if not runs:
            return {}
        folder = runs[-1]
        return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}
