"""What a workflow file asks for: triggers, jobs, runner labels, actions used."""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

EXPRESSION_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
MATRIX_RE = re.compile(r"^matrix\.([A-Za-z0-9_-]+)$")
USES_RE = re.compile(
    r"^(?P<owner>[^/@\s]+)/(?P<repo>[^/@\s]+)(?:/(?P<path>[^@\s]*))?@(?P<ref>\S+)$"
)


class WorkflowError(ValueError):
    """The workflow file cannot be read the way the harness needs."""


def load(path):
    """Parse a workflow; PyYAML reads the key `on` as True, so it is put back under "on"."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise WorkflowError(f"{path} is not a YAML mapping")
    if True in data:
        data["on"] = data.pop(True)
    return data


def workflow_paths(project):
    folder = Path(project) / ".github" / "workflows"
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def triggers(workflow):
    """The `on:` section as {event: settings}; `on: push` and `on: [push]` become {push: {}}."""
    on = workflow.get("on")
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {event: {} for event in on}
    if isinstance(on, dict):
        return {event: settings or {} for event, settings in on.items()}
    raise WorkflowError(f"`on:` is missing or malformed: {on!r}")


def jobs(workflow):
    return workflow.get("jobs") or {}


def matrix_values(job, key):
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if isinstance(matrix, str):
        raise WorkflowError(f"matrix {matrix!r} is an expression; the harness cannot expand it")
    values = list(matrix.get(key) or [])
    values += [entry[key] for entry in matrix.get("include") or [] if key in entry]
    return [str(value) for value in values]


def expand_label(job, label):
    """A runs-on label, with `${{ matrix.x }}` expanded to every value the matrix gives x."""
    label = str(label)
    match = EXPRESSION_RE.fullmatch(label.strip())
    if not match:
        if EXPRESSION_RE.search(label):
            raise WorkflowError(f"runs-on {label!r} mixes text and expressions")
        return [label]
    variable = MATRIX_RE.match(match.group(1))
    if not variable:
        raise WorkflowError(f"runs-on {label!r}: only ${{{{ matrix.<name> }}}} is understood")
    return matrix_values(job, variable.group(1))


def runs_on_labels(workflow):
    """Every runner label the jobs ask for."""
    labels = set()
    for name, job in jobs(workflow).items():
        if "uses" in job:  # a reusable workflow: its own file says where it runs
            continue
        runs_on = job.get("runs-on")
        if runs_on is None:
            raise WorkflowError(f"job {name!r} has no runs-on")
        if isinstance(runs_on, dict):
            runs_on = [runs_on.get("group", ""), *(runs_on.get("labels") or [])]
        for label in [runs_on] if isinstance(runs_on, str) else runs_on:
            labels.update(value for value in expand_label(job, label) if value)
    return labels


@dataclass(frozen=True)
class Uses:
    """One `uses:` of a step (or a job calling a reusable workflow)."""

    job: str
    step: str
    value: str
    inputs: tuple

    @property
    def kind(self):
        if self.value.startswith("./"):
            return "local"
        if self.value.startswith("docker://"):
            return "docker"
        return "remote" if USES_RE.match(self.value) else "invalid"

    def parts(self):
        """(owner, repo, path, ref) of a remote `uses:`."""
        match = USES_RE.match(self.value)
        return match.group("owner"), match.group("repo"), match.group("path") or "", match["ref"]


def step_label(step, index):
    return str(step.get("name") or step.get("id") or step.get("uses") or f"step {index + 1}")


def uses_of(workflow):
    found = []
    for job_name, job in jobs(workflow).items():
        if "uses" in job:
            found.append(Uses(job_name, "(job)", job["uses"], tuple(job.get("with") or {})))
        for index, step in enumerate(job.get("steps") or []):
            if "uses" in step:
                found.append(
                    Uses(
                        job_name,
                        step_label(step, index),
                        step["uses"],
                        tuple(step.get("with") or {}),
                    )
                )
    return found


def checkout_handled_by_act(uses):
    """act copies the work tree instead of running actions/checkout, unless the step asks for
    another repository or ref (then act would fetch the real action from GitHub)."""
    if uses.kind != "remote":
        return False
    owner, repo, _, _ = uses.parts()
    return (owner, repo) == ("actions", "checkout") and not {"repository", "ref"} & set(uses.inputs)


def step_keys(job):
    """The ids act gives a job's steps: their `id:`, else their index."""
    return [str(step.get("id", index)) for index, step in enumerate(job.get("steps") or [])]
