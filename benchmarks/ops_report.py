"""Time `python -m <package> ops report` on a synthetic history of 1,000 versions and over 5,000
stage events, and say where the time goes.

A project is baked with default answers (hooks off). The history is written by one
`git fast-import` with the generated project's own test helper (tests/ops_history.py): 1,000
pull requests merged into main, each released as a version, assigned to staging then to
production (each assignment unassigning the previous holder), and every other version rolled
back to the one before and re-promoted. No `gh` is on PATH, so the GitHub figures are named as
not computed, as on a machine without a token.

Printed: the whole command's wall time and peak RSS (median of --runs), the laps of one run
in-process (imports, the registry's tags, the commit graph, the committed metrics, the figures,
the rendering), and the floor: one `git for-each-ref` listing every tag. Target (issue:
engineering metrics from git): the report in under 5 s on this machine.

Run: `.venv/bin/python benchmarks/ops_report.py` (~1 min).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scoring import bake, log, package_of, run

TARGET_SECONDS = 5.0


def write_history(project, root, versions):
    sys.path.insert(0, str(project / "tests"))
    from ops_history import History, Registry, at

    history = History("customer-churn")
    registry = Registry(history)
    history.commit(at(0), "Initial", {"roc_auc": 0.8})
    previous = None
    for index in range(versions):
        day = index * 0.5
        merge = history.merge(at(day, 1), f"change-{index}", {"roc_auc": 0.8 + index % 50 / 1000})
        version = f"v{index // 100}.{index % 100}.0"
        registry.version(version, merge, at(day, 2))
        registry.assign("staging", version, merge, at(day, 3))
        registry.assign("production", version, merge, at(day, 4))
        if index % 2 and previous:
            registry.assign("production", *previous, at(day, 5), "Roll back")
            registry.assign("production", version, merge, at(day, 6))
        previous = (version, merge)
    history.write(root)
    shutil.copy(project / "params.yaml", root / "params.yaml")
    return registry.counter


def laps(project, root):
    """Seconds of each part of one report, in this process (a child, for clean imports)."""
    code = f"""
import json, os, sys, time
started = time.perf_counter()
sys.path.insert(0, {str(project / "src")!r})
os.chdir({str(root)!r})
from {package_of(project)}.ops import figures, records, report, render
from {package_of(project)}.params import load_params
laps = {{"imports": time.perf_counter() - started}}
def lap(name, started):
    laps[name] = time.perf_counter() - started
t = time.perf_counter(); versions, events = records.registry_records(".")
lap("registry tags (and importing GTO)", t)
shipped = records.deployments(events)
t = time.perf_counter(); records.first_shipped(".", shipped); lap("commit graph", t)
t = time.perf_counter(); records.git_changes("."); lap("merges (git log)", t)
metric = load_params().gate.metric
t = time.perf_counter(); records.quality(".", versions, metric); lap("committed metrics", t)
t = time.perf_counter(); built = report.build("."); lap("whole build (all above + figures)", t)
t = time.perf_counter(); render.markdown(built); render.html(built); lap("render md + html", t)
print(json.dumps(laps))
"""
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if output.returncode:
        raise SystemExit(output.stderr[-3000:])
    return json.loads(output.stdout)


def floor(root):
    started = time.perf_counter()
    subprocess.run(["git", "for-each-ref", "refs/tags"], cwd=root, capture_output=True, check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--versions", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ops-") as folder:
        project = bake(Path(folder) / "bake")
        root = Path(folder) / "history"
        started = time.perf_counter()
        stage_tags = write_history(project, root, args.versions)
        log(
            f"history: {args.versions} versions, {stage_tags} stage tags, written in "
            f"{time.perf_counter() - started:.1f} s (one git fast-import)"
        )
        env = dict(os.environ, PYTHONPATH=str(project / "src"), PATH=os.defpath)
        env.pop("GH_TOKEN", None), env.pop("GITHUB_TOKEN", None)
        command = [sys.executable, "-m", package_of(project), "ops", "report"]
        cwd = os.getcwd()
        os.chdir(root)
        try:
            runs = [run(command, env) for _ in range(args.runs)]
        finally:
            os.chdir(cwd)
        report = json.loads((root / "reports" / "ops.json").read_text())
        parts = laps(project, root)
        floors = [floor(root) for _ in range(args.runs)]
    wall = statistics.median(r[0] for r in runs)
    peak = statistics.median(r[1] for r in runs)
    figures = report["figures"]
    print(
        f"ops report over {args.versions} versions and {stage_tags} stage tags "
        f"(median of {args.runs}): {wall:.2f} s, peak RSS {peak:.0f} MB; "
        f"floor (git for-each-ref of every tag): {statistics.median(floors):.3f} s; "
        f"ratio {wall / statistics.median(floors):.0f}x"
    )
    print(f"target: under {TARGET_SECONDS:.0f} s: {'met' if wall < TARGET_SECONDS else 'MISSED'}")
    print(
        f"figures: {figures['deployment_frequency']['total']} production assignments, "
        f"change failure rate {figures['change_failure_rate']['rate']}, lead time median "
        f"{figures['lead_time']['median_hours']} h; not computed: {sorted(report['unavailable'])}"
    )
    print("\nwhere the time goes (one run, in-process):")
    for name, seconds in parts.items():
        print(f"  {name:38s} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
