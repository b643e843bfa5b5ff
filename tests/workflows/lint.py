"""The workflow lint gate: actionlint (with shellcheck), zizmor (offline, pedantic),
check-jsonschema (GitHub's workflow schema) and the house rules below, which need the raw text
(comments) or knowledge the tools lack (which action majors run on node24)."""

import re
import subprocess
from pathlib import Path

import yaml
from github_in_a_box import workflow_files
from github_in_a_box.tools import require_tool

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
VERSION_COMMENT_RE = re.compile(r"#\s*v(\d+)\.(\d+)\.(\d+)\s*$")
# Oldest major of each action that runs on node24 (node20 leaves the runners in September 2026).
MINIMUM_MAJOR = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/upload-artifact": 5,
    "actions/download-artifact": 6,
    "actions/cache": 5,
    "actions/setup-node": 5,
}
# Expressions an attacker can set (branch names, titles, bodies, inputs): only through env:.
UNTRUSTED_IN_RUN_RE = re.compile(r"\$\{\{[^}]*\b(github\.event\.|github\.head_ref|inputs\.)")
GRANTS = {"read", "write", "none"}


def run(command, cwd):
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def actionlint(files, cwd):
    """(ok, output) of actionlint over `files`, shellcheck required so run: scripts are checked."""
    shellcheck = require_tool("shellcheck")
    code, output = run(
        [require_tool("actionlint"), "-no-color", f"-shellcheck={shellcheck}", *files], cwd
    )
    return code == 0 and not output, output


def zizmor(folder, cwd):
    code, output = run(
        [require_tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress", folder], cwd
    )
    return code == 0 and "No findings" in output, output


def workflow_schema(files, cwd, schema="vendor.github-workflows"):
    code, output = run([require_tool("check-jsonschema"), "--builtin-schema", schema, *files], cwd)
    return code == 0, output


# --- house rules --------------------------------------------------------------------------------
def mapping_get(node, key):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key or (key == "on" and key_node.value in ("on", True)):
                return key_node, value_node
    return None, None


def has_comment(lines, line_number):
    """The line carries a `# reason`, or the line above is a comment."""
    line = lines[line_number]
    if re.search(r"\s#\s*\S", line):
        return True
    return line_number > 0 and re.match(r"^\s*#\s*\S", lines[line_number - 1]) is not None


def permission_problems(name, node, lines, top_level):
    if node is None:
        return (
            []
            if top_level
            else [f"job {name!r} has no permissions: (grant what it needs, or `permissions: {{}}`)"]
        )
    if top_level:
        if not (isinstance(node, yaml.MappingNode) and not node.value):
            return ["top-level permissions must be `{}` (grant per job instead)"]
        return []
    if isinstance(node, yaml.ScalarNode):
        return [f"job {name!r}: `permissions: {node.value}` grants everything; list each scope"]
    problems = []
    for key_node, value_node in node.value:
        if value_node.value not in GRANTS:
            problems.append(f"job {name!r}: permission {key_node.value}: {value_node.value!r}")
        if not has_comment(lines, key_node.start_mark.line):
            problems.append(
                f"job {name!r}: permission `{key_node.value}: {value_node.value}` "
                "needs a comment saying why (line "
                f"{key_node.start_mark.line + 1})"
            )
    return problems


def uses_problems(where, value_node, lines):
    value = value_node.value
    if value.startswith(("./", "docker://")):
        return []
    action, _, ref = value.partition("@")
    problems = []
    if not SHA_RE.match(ref):
        problems.append(f"{where}: `{value}` is not pinned to a full commit SHA")
    comment = VERSION_COMMENT_RE.search(lines[value_node.start_mark.line])
    if comment is None:
        problems.append(f"{where}: `{value}` needs a `# vX.Y.Z` comment naming the release")
    else:
        major = int(comment.group(1))
        base = "/".join(action.split("/")[:2])
        if major < MINIMUM_MAJOR.get(base, 0):
            problems.append(f"{where}: {base} v{major} runs on node20; use v{MINIMUM_MAJOR[base]}+")
    return problems


def step_problems(job_name, steps_node, lines):
    problems = []
    for index, step in enumerate(steps_node.value if steps_node is not None else []):
        data = yaml.safe_load(yaml.serialize(step)) or {}
        where = f"job {job_name!r} step {workflow_files.step_label(data, index)!r}"
        _, uses_node = mapping_get(step, "uses")
        if uses_node is not None:
            problems += uses_problems(where, uses_node, lines)
            if uses_node.value.startswith("actions/checkout@"):
                persist = (data.get("with") or {}).get("persist-credentials")
                if str(persist).lower() != "false":
                    problems.append(f"{where}: actions/checkout needs persist-credentials: false")
        script = data.get("run")
        if script and UNTRUSTED_IN_RUN_RE.search(str(script)):
            problems.append(f"{where}: run: expands an untrusted expression; pass it via env:")
    return problems


def house_rules(path):
    """Problems with workflow `path`, one sentence each; [] when it follows every rule."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)
    data = workflow_files.load(path)
    problems = []
    if "pull_request_target" in workflow_files.triggers(data):
        problems.append("pull_request_target runs fork code with secrets: use pull_request")
    problems += permission_problems("(workflow)", mapping_get(root, "permissions")[1], lines, True)
    _, jobs_node = mapping_get(root, "jobs")
    for key_node, job in jobs_node.value if jobs_node is not None else []:
        name = key_node.value
        job_data = data["jobs"][name]
        problems += permission_problems(name, mapping_get(job, "permissions")[1], lines, False)
        if "uses" in job_data:
            problems += uses_problems(f"job {name!r}", mapping_get(job, "uses")[1], lines)
            continue
        if "timeout-minutes" not in job_data:
            problems.append(f"job {name!r} has no timeout-minutes")
        if "concurrency" not in data and "concurrency" not in job_data:
            problems.append(f"job {name!r}: no concurrency group (workflow or job level)")
        problems += step_problems(name, mapping_get(job, "steps")[1], lines)
    return problems


def pin_conflicts(paths):
    """One action at two SHAs, or one SHA under two version comments, across `paths`."""
    seen = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            match = re.search(r"uses:\s*([^@\s]+)@([0-9a-f]{40})\s*(#.*)?$", line)
            if match:
                seen.setdefault(match.group(1), set()).add(
                    (match.group(2), (match.group(3) or "").strip())
                )
    return [
        f"{action} is pinned inconsistently: {sorted(pins)}"
        for action, pins in seen.items()
        if len(pins) > 1
    ]
