"""Time generation and the first pipeline run; print medians and ratios against baselines.

Figures (each the median of --runs runs, all in this process's machine state):
  bake, no hooks        cookiecutter rendering alone (baseline for the hooks' cost)
  bake with hooks       rendering + validation + git init, dvc init, remote, demo data, push, commit
  stages without DVC    the five stage commands run directly (baseline for DVC's overhead)
  first dvc repro       `dvc repro` right after a finished bake

Run: `make bench` (or `.venv/bin/python benchmarks/bake_and_repro.py --runs 5 --task regression`).
"""

import argparse
import os
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--task", default="binary_classification")
    args = parser.parse_args()
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    samples = {}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(args.runs):
            workdir = Path(tmp) / f"run{index}"
            for name, seconds in measure_once(args.task, workdir, env).items():
                samples.setdefault(name, []).append(seconds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baselines = {"bake with hooks": "bake, no hooks", "first dvc repro": "stages without DVC"}
    print(f"task={args.task} runs={args.runs} cores={os.cpu_count()}")
    print(f"{'figure':<22}{'median s':>10}{'min s':>9}{'max s':>9}  ratio")
    for name, values in samples.items():
        baseline = baselines.get(name)
        ratio = f"{medians[name] / medians[baseline]:.1f}x {baseline}" if baseline else ""
        print(f"{name:<22}{medians[name]:>10.2f}{min(values):>9.2f}{max(values):>9.2f}  {ratio}")


if __name__ == "__main__":
    main()
