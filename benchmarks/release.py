"""Time fetching the production model by stage; print medians and the ratio to `dvc artifacts get`.

Setup (once): a baked default project, reproduced and pushed to a local DVC remote, with a
local bare `origin` holding `customer-churn@v1.0.0` assigned to `production`.

Figures (each the median of --runs runs, each in a fresh clone of origin with an empty DVC
cache, so the files come from the remote, as on a deploy runner):
  dvc artifacts get     `dvc artifacts get . customer-churn --stage production` (model only)
  registry fetch        `python -m customer_churn registry fetch --stage production` (model,
                        profile, metrics, version.json; fetches origin's tags first)
  registry fetch, warm  the same again in that clone (DVC cache filled)

The release workflow's wall time under act is printed by tests/workflows/test_release_workflow.py
(`-s`). Run: `.venv/bin/python benchmarks/release.py --runs 3`
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
MODEL, PACKAGE = "customer-churn", "customer_churn"


def run(command, cwd, env):
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed in {cwd}:\n{result.stderr}")


def timed(command, cwd, env):
    start = time.perf_counter()
    run(command, cwd, env)
    return time.perf_counter() - start


def released_origin(root, env):
    """A bare origin whose v1.0.0 is in production, its objects in a DVC remote beside it."""
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(root),
            extra_context={"dvc_remote_url": str(root / "remote")},
        )
    )
    env = dict(env, PYTHONPATH=str(project / "src"))
    python = sys.executable
    run([python, "-m", "dvc", "repro", "--quiet"], project, env)
    run([python, "-m", "dvc", "push", "--quiet"], project, env)
    run(["git", "add", "--all"], project, env)
    run(["git", "commit", "--quiet", "-m", "Reproduce"], project, env)
    run(["git", "init", "--quiet", "--bare", root / "origin.git"], root, env)
    run(["git", "remote", "add", "origin", root / "origin.git"], project, env)
    run(["git", "push", "--quiet", "origin", "HEAD:main"], project, env)
    run([python, "-m", PACKAGE, "release", "create", "--version", "v1.0.0"], project, env)
    run([python, "-m", PACKAGE, "promote", "--version", "v1.0.0"], project, env)
    return root / "origin.git", project


def measure_once(origin, project, workdir, env):
    env = dict(env, PYTHONPATH=str(project / "src"))
    clones = {}
    for name in ("artifacts", "registry"):
        clones[name] = workdir / name
        run(["git", "clone", "--quiet", origin, clones[name]], workdir, env)
    python = sys.executable
    fetch = [python, "-m", PACKAGE, "registry", "fetch", "--stage", "production"]
    return {
        "dvc artifacts get": timed(
            [python, "-m", "dvc", "artifacts", "get", ".", MODEL, "--stage", "production"],
            clones["artifacts"],
            env,
        ),
        "registry fetch": timed([*fetch, "--output-dir", "deploy"], clones["registry"], env),
        "registry fetch, warm": timed([*fetch, "--output-dir", "again"], clones["registry"], env),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        gitconfig = root / "gitconfig"
        gitconfig.write_text(
            "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"
        )
        env.update(GIT_CONFIG_GLOBAL=str(gitconfig), DVC_SITE_CACHE_DIR=str(root / "dvc-site"))
        origin, project = released_origin(root / "setup", env)
        samples = {}
        for index in range(args.runs):
            workdir = root / f"run{index}"
            workdir.mkdir()
            for name, seconds in measure_once(origin, project, workdir, env).items():
                samples.setdefault(name, []).append(seconds)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"runs={args.runs} cores={os.cpu_count()}")
    print(f"{'figure':<22}{'median s':>10}{'min s':>9}{'max s':>9}  ratio")
    for name, values in samples.items():
        ratio = f"{medians[name] / medians['dvc artifacts get']:.1f}x dvc artifacts get"
        print(f"{name:<22}{medians[name]:>10.2f}{min(values):>9.2f}{max(values):>9.2f}  {ratio}")


if __name__ == "__main__":
    main()
