"""Small DVC projects with a local bare `origin` for the registry and release tests.

Their one stage writes a stand-in model from params.yaml, so versions differ in their model
and metrics without training anything. The origin is built once per test session; each test
gets a private copy.
"""

import contextlib
import shutil
import subprocess

import pytest

from {{ cookiecutter.package_name }}.release.registry import Registry

MODEL = "demo-model"
WRITE_MODEL = """\
import json, pathlib, yaml
quality = yaml.safe_load(open("params.yaml"))["model"]["hyperparameters"]["stand_in"]["quality"]
pathlib.Path("models").mkdir(exist_ok=True)
rows = len(pathlib.Path("data.csv").read_text().splitlines())
pathlib.Path("models/model.joblib").write_text(f"model of quality {quality} from {rows} rows")
pathlib.Path("models/model.json").write_text(json.dumps({"quality": quality}))
pathlib.Path("models/profile.json").write_text(json.dumps({"rows": 10, "quality": quality}))
pathlib.Path("metrics.json").write_text(json.dumps({"roc_auc": quality}))
"""
DVC_YAML = f"""\
stages:
  train:
    cmd: python write_model.py
    deps: [write_model.py, schema.yaml, data.csv]
    params: [model]
    outs: [models/model.joblib, models/model.json, models/profile.json]
    metrics:
      - metrics.json:
          cache: false
artifacts:
  {MODEL}:
    path: models/model.joblib
    type: model
    desc: A stand-in model
"""


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)


def dvc_repo(path):
    """DVC's Python API on the project at `path` (no process start-up per command)."""
    from dvc.repo import Repo

    return Repo(str(path))


GATE = {"metric": "roc_auc", "threshold": 0.75, "tolerance": 0.01}


def params_yaml(quality, gate=None):
    """A valid params.yaml whose model section holds the stand-in model's quality."""
    gate = {**GATE, **(gate or {})}
    return (
        "task: binary_classification\n"
        "data:\n  raw: data.csv\n"
        "model:\n  family: hist_gradient_boosting\n  seed: 42\n"
        f"  hyperparameters:\n    stand_in:\n      quality: {quality}\n"
        "gate:\n" + "".join(f"  {key}: {value}\n" for key, value in gate.items())
    )


def commit_model(clone, quality, message, schema=None, data=None, gate=None):
    """Change params (and optionally schema.yaml, the training data or the gate), reproduce,
    push to DVC and git; the sha."""
    (clone / "params.yaml").write_text(params_yaml(quality, gate))
    for name, text in [("schema.yaml", schema), ("data.csv", data)]:
        if text is not None:
            (clone / name).write_text(text)
    with contextlib.chdir(clone), dvc_repo(clone) as repo:
        repo.reproduce()
        repo.push()
    git("add", "--all", cwd=clone)
    git("commit", "--quiet", "-m", message, cwd=clone)
    git("push", "--quiet", "origin", "HEAD:main", cwd=clone)
    return git("rev-parse", "HEAD", cwd=clone).stdout.strip()


def registry_env(folder):
    """Environment for git and DVC: a private global git config with an identity."""
    gitconfig = folder / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Maintainer\n\temail = maintainer@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
    )
    return {
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(folder / "dvc-site-cache"),
    }


BUILT = {}


def released_origin(tmp_path_factory):
    """(origin.git, work clone, {"v1": sha, "v2": sha}, env): two commits of main with
    different models, both in the DVC remote; no tags yet. Built once; read-only."""
    if BUILT:
        return BUILT["origin"]
    root = tmp_path_factory.mktemp("registry")
    env = registry_env(root)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("GITHUB_ACTOR", raising=False)
        origin = root / "origin.git"
        git("init", "--quiet", "--bare", str(origin), cwd=root)
        work = root / "work"
        work.mkdir()
        git("init", "--quiet", cwd=work)
        git("remote", "add", "origin", str(origin), cwd=work)
        from dvc.repo import Repo

        Repo.init(str(work)).close()
        # Relative to .dvc/: a copy of work beside a copy of dvc-remote needs no change.
        with (work / ".dvc" / "config").open("a") as config:
            config.write("[core]\n    remote = storage\n['remote \"storage\"']\n")
            config.write("    url = ../../dvc-remote\n")
        (work / "write_model.py").write_text(WRITE_MODEL)
        (work / "dvc.yaml").write_text(DVC_YAML)
        (work / ".gto").write_text("stages: [staging, production]\n")
        (work / "schema.yaml").write_text("columns: {a: {dtype: integer}}\n")
        (work / "data.csv").write_text("a\n1\n")
        shas = {"v1": commit_model(work, 0.8, "First model")}
        shas["v2"] = commit_model(work, 0.85, "Better model")
    BUILT["origin"] = origin, work, shas, env
    return BUILT["origin"]


def private_repos(tmp_path_factory, tmp_path, monkeypatch):
    """A private copy: (origin, work clone on main, shas); the work clone is the cwd."""
    origin, work, shas, env = released_origin(tmp_path_factory)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_ACTOR", "GITHUB_TOKEN", "REPO_TOKEN", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(key, raising=False)
    shutil.copytree(origin, tmp_path / "origin.git")
    shutil.copytree(origin.parent / "dvc-remote", tmp_path / "dvc-remote")
    shutil.copytree(work, tmp_path / "work", symlinks=True)
    clone = tmp_path / "work"
    git("remote", "set-url", "origin", str(tmp_path / "origin.git"), cwd=clone)
    monkeypatch.chdir(clone)
    return tmp_path / "origin.git", clone, shas


def second_clone(origin, folder):
    git("clone", "--quiet", str(origin), str(folder), cwd=folder.parent)
    return Registry(folder)


def origin_tags(origin):
    """{tag: commit} on origin (annotated tags peeled)."""
    lines = git(
        "for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags", cwd=origin
    ).stdout.splitlines()
    return dict(line.split() for line in lines)


def released(repos, *names):
    """Registry of the work clone with v1.0.0 (and v1.1.0 ...) released at the fixture's commits."""
    _, clone, shas = repos
    reg = Registry(clone)
    for name, version in zip(names, ("v1.0.0", "v1.1.0"), strict=False):
        reg.create_version(version, shas[name])
    return reg
