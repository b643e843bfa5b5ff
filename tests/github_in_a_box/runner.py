"""Run one workflow file under act in host mode and read back every job's and step's outcome.

Host mode (`-P <label>=-self-hosted`) runs the steps on this machine. act copies the work tree
(honouring .gitignore, `.git` included) into `<action cache>/<hash>/hostexecutor` and runs
there, so the checkout given to it is never changed; `--bind` does not run in place in host
mode (the workspace stays empty), so it is not used. act's own files (action cache, cache
server, config) go under the run's folder: HOME and XDG_* point there as well.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import standins, workflow_files
from .tools import find_tool

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z=>]|\x1b[=>]")
# Host variables that would leak an outer CI run, a virtualenv or pytest into the job.
SCRUBBED_PREFIXES = (
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "INPUT_",
    "STANDIN_",
    "PYTEST_",
    "UV_",
    "PIP_",
    "CONDA_",
    "COV_CORE_",
)
SCRUBBED = {
    "VIRTUAL_ENV",
    "VIRTUAL_ENV_PROMPT",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "_PYTEST_RAISE",
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "PAGER",
    "GIT_PAGER",
    # Cloud credentials reach a job only as secrets, as on GitHub.
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    # Runners leave it unset, so Python caches bytecode as modules are first imported; kept,
    # every step would re-parse pandas, scikit-learn and DVC.
    "PYTHONDONTWRITEBYTECODE",
}
# The job's global git config: no identity (git commit fails without one, as on a runner).
JOB_GITCONFIG = "[user]\n\tuseConfigOnly = true\n[init]\n\tdefaultBranch = main\n"


# Workflow commands that print an annotation (GitHub shows them on the run).
ANNOTATIONS = ("warning", "error", "notice")


@dataclass
class StepResult:
    key: str
    name: str
    result: str = "skipped"
    stages: dict = field(default_factory=dict)
    output: list = field(default_factory=list)
    # What the step appended to $GITHUB_STEP_SUMMARY (act reports it as a `summary` command).
    summary: str = ""
    # Wall time of the step's main stage, as act reports it.
    seconds: float = 0.0

    @property
    def text(self):
        return "".join(self.output)


@dataclass
class JobResult:
    id: str
    name: str
    matrix: dict
    result: str = "skipped"
    steps: list = field(default_factory=list)
    phases: dict = field(default_factory=dict)

    @property
    def summary(self):
        """The job's summary page: every step's $GITHUB_STEP_SUMMARY content, in order."""
        return "".join(step.summary for step in self.steps)

    def step(self, name):
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(
            f"job {self.id!r} has no step {name!r}; steps: {[s.name for s in self.steps]}"
        )

    @property
    def failed_steps(self):
        return [step.name for step in self.steps if step.result == "failure"]

    @property
    def outcomes(self):
        return {step.name: step.result for step in self.steps}


def act_crashed_before_any_step(result):
    """act itself died (a Go runtime fatal error) before any step of any job ran."""
    crashed = "fatal error:" in result.stderr and "goroutine " in result.stderr
    steps = [step.result for job in result.jobs for step in job.steps]
    return result.returncode != 0 and crashed and all(status == "skipped" for status in steps)


@dataclass
class ActResult:
    command: list
    returncode: int
    seconds: float
    jobs: list
    stderr: str
    log: str

    @property
    def ok(self):
        ran = [job for job in self.jobs if job.result != "skipped"]
        return self.returncode == 0 and bool(ran) and all(j.result == "success" for j in ran)

    def job(self, job_id, **matrix):
        for job in self.jobs:
            if job.id == job_id and all(
                str(job.matrix.get(k)) == str(v) for k, v in matrix.items()
            ):
                return job
        raise KeyError(f"no job {job_id!r} {matrix or ''}; jobs: {[j.id for j in self.jobs]}")

    @property
    def failed_steps(self):
        return [(job.id, name) for job in self.jobs for name in job.failed_steps]

    def report(self, tail=60):
        """Outcome of every job and step, then the end of each failed step's output."""
        command = " ".join(self.command)
        lines = [f"act exited {self.returncode} after {self.seconds:.0f}s: {command}"]
        for job in self.jobs:
            label = f"{job.id} {job.matrix}" if job.matrix else job.id
            lines.append(f"job {label}: {job.result}")
            lines += [
                f"  {name}: {outcome}"
                for name, outcome in job.phases.items()
                if outcome != "success"
            ]
            lines += [f"  step {step.name!r}: {step.result}" for step in job.steps]
            for step in job.steps:
                if step.result == "failure":
                    lines.append(f"--- output of {step.name!r} (last {tail} lines) ---")
                    lines += step.text.splitlines()[-tail:]
        if self.stderr.strip():
            lines += ["--- act stderr ---", *self.stderr.strip().splitlines()[-tail:]]
        return "\n".join(lines)


GO_DURATION_RE = re.compile(r"\[((?:[\d.]+(?:h|m|s|ms|µs|us|ns))+)\]\s*$")
GO_UNITS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}


def go_duration(message):
    """Seconds in act's `... [1m2.5s]` step result suffix (Go's duration format); 0 if none."""
    match = GO_DURATION_RE.search(message.strip())
    if not match:
        return 0.0
    parts = re.findall(r"([\d.]+)(h|ms|m|s|µs|us|ns)", match.group(1))
    return sum(float(value) * GO_UNITS[unit] for value, unit in parts)


def parse_log(lines, workflow):
    """Jobs and steps from act's --json log lines, with declared steps that never ran as skipped."""
    jobs, text = {}, []

    def job_for(record):
        matrix = record.get("matrix") or {}
        key = (record["jobID"], json.dumps(matrix, sort_keys=True))
        if key not in jobs:
            declared = workflow_files.jobs(workflow).get(record["jobID"]) or {}
            step_keys = workflow_files.step_keys(declared)
            steps = [
                StepResult(step_key, workflow_files.step_label(step, index))
                for index, (step_key, step) in enumerate(
                    zip(step_keys, declared.get("steps") or [], strict=True)
                )
            ]
            jobs[key] = JobResult(
                record["jobID"],
                record.get("job", record["jobID"]),
                matrix,
                result="unknown",
                steps=steps,
            )
        return jobs[key]

    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            text.append(line)
            continue
        if not isinstance(record, dict):
            continue
        message = ANSI_RE.sub("", str(record.get("msg", "")))
        text.append(f"[{record.get('jobID', '-')}] {message.rstrip()}")
        if "jobID" not in record:
            continue
        job = job_for(record)
        if "jobResult" in record:
            job.result = record["jobResult"]
        path = record.get("stepID") or record.get("stepid") or []
        if not path:
            continue
        if path[0].startswith("--"):
            if "stepResult" in record:
                job.phases[record.get("step", path[0])] = record["stepResult"]
            continue
        step = next((s for s in job.steps if s.key == path[0]), None)
        if step is None:
            step = StepResult(path[0], record.get("step", path[0]))
            job.steps.append(step)
        if record.get("command") == "summary":
            step.summary += str(record.get("content", ""))
        elif record.get("command") in ANNOTATIONS:
            # act turns `::warning ...::` lines into records of their own: keep the line as
            # the step printed it.
            raw = str(record.get("raw", message))
            step.output.append(raw if raw.endswith("\n") else raw + "\n")
        elif record.get("raw_output") or record.get("level") == "error":
            step.output.append(message if message.endswith("\n") else message + "\n")
        if "stepResult" in record and len(path) == 1:
            stage = record.get("stage", "Main")
            step.stages[stage] = record["stepResult"]
            if stage == "Main":
                step.name = record.get("step", step.name)
                step.seconds = go_duration(message)
    for job in jobs.values():
        for step in job.steps:
            if "failure" in step.stages.values():
                step.result = "failure"
            elif step.stages.get("Main"):
                step.result = step.stages["Main"]
    declared = {job_id for job_id, _ in jobs}
    skipped = [
        JobResult(job_id, job_id, {})
        for job_id in workflow_files.jobs(workflow)
        if job_id not in declared
    ]
    return [*jobs.values(), *skipped], "\n".join(text)


def is_virtualenv_bin(folder):
    return (Path(folder).parent / "pyvenv.cfg").is_file()


def host_cache(variable, name):
    """Where this machine's package cache for `name` lives (before HOME is changed)."""
    if os.environ.get(variable):
        return os.environ[variable]
    return str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / name)


class ActRunner:
    """Shared, read-only settings for act runs; each run gets its own folder."""

    def __init__(
        self, act, pythons, stand_ins=standins.STAND_INS, actor="octocat", share_package_caches=True
    ):
        self.act = Path(act)
        self.pythons = dict(pythons)
        self.stand_ins = Path(stand_ins)
        self.actor = actor
        self.package_caches = {}
        if share_package_caches:  # like actions/cache would: no re-downloading per run
            self.package_caches = {
                "UV_CACHE_DIR": host_cache("UV_CACHE_DIR", "uv"),
                "PIP_CACHE_DIR": host_cache("PIP_CACHE_DIR", "pip"),
            }

    def environment(self, run_dir, records, extra=None):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(SCRUBBED_PREFIXES) and key not in SCRUBBED
        }
        tools = standins.write_tool_launchers(run_dir / "tools")
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not is_virtualenv_bin(p)]
        home = run_dir / "home"
        home.mkdir(parents=True, exist_ok=True)
        (home / ".gitconfig").write_text(JOB_GITCONFIG)
        env.update(
            PATH=os.pathsep.join([str(tools), *path]),
            HOME=str(home),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local" / "share"),
            XDG_STATE_HOME=str(home / ".local" / "state"),
            GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
            PAGER="cat",
            GIT_PAGER="cat",
            GIT_TERMINAL_PROMPT="0",
            UV_PYTHON_DOWNLOADS="never",
            STANDIN_RECORDS=str(records),
            STANDIN_PYTHONS=json.dumps(self.pythons),
            STANDIN_PYTHON=sys.executable,
            STANDIN_UV=str(find_tool("uv") or ""),
            **self.package_caches,
            **(extra or {}),
        )
        return env

    def command(
        self,
        event,
        workflow_path,
        event_file,
        run_dir,
        repository,
        run_id=1,
        job=None,
        secrets=None,
        variables=None,
    ):
        workflow = workflow_files.load(workflow_path)
        mapping = standins.local_repositories({Path(workflow_path).name: workflow}, self.stand_ins)
        command = [
            str(self.act),
            event.name,
            "--workflows",
            str(workflow_path),
            "--eventpath",
            str(event_file),
            "--json",
            "--action-cache-path",
            str(run_dir / "act-cache"),
            "--cache-server-path",
            str(run_dir / "act-cache-server"),
            "--no-cache-server",
            "--actor",
            self.actor,
            "--env",
            f"GITHUB_REPOSITORY={repository}",
            "--env",
            f"GITHUB_RUN_ID={run_id}",
            "--env",
            f"GITHUB_RUN_NUMBER={run_id}",
            "--defaultbranch",
            "main",
            "--secret",
            "GITHUB_TOKEN=dummy-token",
        ]
        for label in sorted(workflow_files.runs_on_labels(workflow)):
            command += ["--platform", f"{label}=-self-hosted"]
        for uses, folder in sorted(mapping.items()):
            command += ["--local-repository", f"{uses}={folder}"]
        for key, value in sorted(event.inputs.items()):
            command += ["--input", f"{key}={value}"]
        for key, value in sorted((secrets or {}).items()):
            command += ["--secret", f"{key}={value}"]
        for key, value in sorted((variables or {}).items()):
            command += ["--var", f"{key}={value}"]
        if job:
            command += ["--job", job]
        return command, workflow

    def run(
        self,
        workspace,
        event,
        workflow_path,
        *,
        run_dir,
        records,
        repository,
        run_id=1,
        job=None,
        env=None,
        secrets=None,
        variables=None,
        timeout=1800,
    ):
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        event_file = run_dir / "event.json"
        event_file.write_text(json.dumps(event.payload, indent=2))
        command, workflow = self.command(
            event, workflow_path, event_file, run_dir, repository, run_id, job, secrets, variables
        )
        result = self.run_act(command, workflow, workspace, run_dir, records, env, timeout)
        if act_crashed_before_any_step(result):
            # act 0.2.89 can die of a data race in its own action cache (Go's "concurrent map
            # read and map write") while it prepares the first step: no step ran, so nothing
            # of the workflow's is half done, and running it again is the same run.
            (run_dir / "act.crashed.stderr").write_text(result.stderr)
            result = self.run_act(command, workflow, workspace, run_dir, records, env, timeout)
        return result

    def run_act(self, command, workflow, workspace, run_dir, records, env, timeout):
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=workspace,
            env=self.environment(run_dir, records, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            stderr += f"\n(harness: act killed after {timeout}s)"
        seconds = time.monotonic() - started
        (run_dir / "act.jsonl").write_text(stdout)
        (run_dir / "act.stderr").write_text(stderr)
        jobs, log = parse_log(stdout.splitlines(), workflow)
        return ActResult(command, process.returncode, seconds, jobs, stderr, log)
