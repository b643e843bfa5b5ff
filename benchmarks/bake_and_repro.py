"""Time generation and the first pipeline run; print medians and ratios against baselines.

Figures (each the median of --runs runs, all in this process's machine state):
  bake, no hooks        cookiecutter rendering alone (baseline for the hooks' cost)
  bake with hooks       rendering + validation + git init, dvc init, remote, demo data, push, commit
  stages without DVC    the five stage commands run directly (baseline for DVC's overhead)
  first dvc repro       `dvc repro` right after a finished bake

and the first command a newcomer runs (default answers), each the median of --demo-runs runs:
  clone to metrics      `git clone` of the template's HEAD, then `make demo`'s steps one `make`
                        call each (same commands, same order) up to the printed metrics
    clone               `git clone` alone
    installs            the demo's .venv-demo (`make demo-venv`) + the project's `make setup`
    bake                `make demo-bake`: cookiecutter with the hooks, from .venv-demo
    repro               the project's `make repro` (pull, dvc repro, metrics show)

Run: `make bench` (or `.venv/bin/python benchmarks/bake_and_repro.py --runs 5 --task regression`);
`--demo-runs 0` leaves the demo out. The demo uses the package caches as they are (warm after
the first run) and the PATH without this virtualenv, as a newcomer's shell would.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
STAGES = ["validate data/raw/demo.csv", "split", "train", "evaluate", "profile"]


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bake(output_dir, task, hooks):
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output_dir),
            accept_hooks=hooks,
            extra_context={"task": task, "dvc_remote_url": str(Path(output_dir) / "remote")},
        )
    )


def run(command, cwd, env):
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)


def measure_once(task, workdir, env):
    figures = {}
    bakes = {}
    figures["bake, no hooks"] = timed(lambda: bakes.update(plain=bake(workdir / "a", task, False)))
    figures["bake with hooks"] = timed(lambda: bakes.update(full=bake(workdir / "b", task, True)))
    package = bakes["full"].name.replace("-", "_")

    def in_project(project, *command):
        run(list(command), project, dict(env, PYTHONPATH=str(project / "src")))

    # The hook-less bake has no data yet: give it the same demo data, then run stages directly.
    in_project(bakes["plain"], sys.executable, "-m", package, "demo-data", "data/raw/demo.csv")

    def stages_directly():
        for stage in STAGES:
            in_project(bakes["plain"], sys.executable, "-m", package, *stage.split())

    figures["stages without DVC"] = timed(stages_directly)
    figures["first dvc repro"] = timed(
        lambda: in_project(bakes["full"], sys.executable, "-m", "dvc", "repro", "--quiet")
    )
    return figures


def demo_once(workdir, env):
    """`make demo` from a fresh clone, one timed `make` call per step (see the module doc)."""
    clone = workdir / "clone"
    steps = {}
    steps["clone"] = timed(
        lambda: run(["git", "clone", "--quiet", str(TEMPLATE), str(clone)], workdir, env)
    )
    steps["demo venv"] = timed(lambda: run(["make", "demo-venv"], clone, env))
    steps["bake"] = timed(lambda: run(["make", "demo-bake"], clone, env))
    (project,) = (makefile.parent for makefile in (clone / "build").glob("*/Makefile"))
    steps["project setup"] = timed(lambda: run(["make", "setup"], project, env))
    steps["repro"] = timed(lambda: run(["make", "repro"], project, env))
    return {
        "clone to metrics": sum(steps.values()),
        "  clone": steps["clone"],
        "  installs": steps["demo venv"] + steps["project setup"],
        "  bake": steps["bake"],
        "  repro": steps["repro"],
    }


def newcomer_env(env):
    """`env` as a newcomer's shell has it: this virtualenv off PATH (`make demo` must not lean on
    the test tools), no variables of the `make bench` that may have started this script, and no
    PYTHONDONTWRITEBYTECODE (some sandboxes set it; the fresh virtualenvs then never keep a .pyc
    and every process compiles all it imports again: the demo's repro took 1.7x as long)."""
    ours = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
    inherited = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHONDONTWRITEBYTECODE"}
    return {name: value for name, value in env.items() if name not in inherited} | {"PATH": path}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--task", default="binary_classification")
    parser.add_argument("--demo-runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    samples = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            workdir = Path(tmp) / f"run{index}"
            for name, seconds in measure_once(args.task, workdir, env).items():
                samples.setdefault(name, []).append(seconds)
        for index in range(args.demo_runs):
            workdir = Path(tmp) / f"demo{index}"
            workdir.mkdir()
            for name, seconds in demo_once(workdir, newcomer_env(env)).items():
                samples.setdefault(name, []).append(seconds)
            shutil.rmtree(workdir)  # two virtualenvs and a DVC cache per run
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baselines = {
        "bake with hooks": "bake, no hooks",
        "first dvc repro": "stages without DVC",
        "clone to metrics": "bake, no hooks",
    }
    print(
        f"task={args.task} runs={args.runs} demo-runs={args.demo_runs} cores={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    print(f"{'figure':<22}{'median s':>10}{'min s':>9}{'max s':>9}  ratio")
    for name, values in samples.items():
        baseline = baselines.get(name)
        ratio = (
            f"{medians[name] / medians[baseline]:.1f}x {baseline}" if baseline in medians else ""
        )
        print(f"{name:<22}{medians[name]:>10.2f}{min(values):>9.2f}{max(values):>9.2f}  {ratio}")


if __name__ == "__main__":
    main()
