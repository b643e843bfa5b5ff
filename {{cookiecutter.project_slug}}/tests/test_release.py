"""Release steps on real git repositories with a local bare origin: verify, pull, gate,
publish and the proposal of the next version."""

import json
import shutil
import subprocess

import pytest
import yaml
from registry_repos import MODEL, commit_model, git, origin_tags, private_repos, released

from {{ cookiecutter.package_name }}.errors import GateFailed, ProjectError
from {{ cookiecutter.package_name }}.params import parse_params
from {{ cookiecutter.package_name }}.release.publish import publish
from {{ cookiecutter.package_name }}.release.registry import Registry
from {{ cookiecutter.package_name }}.release.steps import check_gate, pull, require_gate, verify
from {{ cookiecutter.package_name }}.release.versions import Proposal, propose, propose_and_tag


def params_of(clone, **sections):
    """The clone's params.yaml as committed, typed, with `sections` replaced."""
    document = yaml.safe_load((clone / "params.yaml").read_text(encoding="utf-8"))
    return parse_params({**document, **sections})


@pytest.fixture
def repos(tmp_path_factory, tmp_path, monkeypatch):
    return private_repos(tmp_path_factory, tmp_path, monkeypatch)


def test_a_tag_on_the_default_branch_is_accepted(repos):
    _, _, shas = repos
    reg = released(repos, "v1")

    version = verify(reg, f"{MODEL}@v1.0.0")

    assert (version.version, version.commit) == ("v1.0.0", shas["v1"])


def test_a_tag_on_a_branch_commit_is_refused(repos):
    _, clone, _ = repos
    git("checkout", "--quiet", "-b", "experiment", cwd=clone)
    (clone / "notes.txt").write_text("not reviewed\n")
    git("add", "notes.txt", cwd=clone)
    git("commit", "--quiet", "-m", "Unreviewed", cwd=clone)
    reg = Registry(clone)
    reg.create_version("v9.0.0", "HEAD")

    with pytest.raises(ProjectError, match="which is not on main: refused") as error:
        verify(reg, f"{MODEL}@v9.0.0")

    assert "git push origin :refs/tags/demo-model@v9.0.0" in error.value.fix


@pytest.mark.parametrize("tag", ["v1.0.0", "other-model@v1.0.0", f"{MODEL}#production#1"])
def test_a_tag_that_is_not_a_version_of_this_model_is_refused(repos, tag):
    with pytest.raises(ProjectError, match="is not a version tag of demo-model"):
        verify(Registry(), tag)


def test_a_lightweight_tag_is_refused(repos):
    _, clone, shas = repos
    git("tag", f"{MODEL}@v1.0.0", shas["v1"], cwd=clone)
    git("push", "--quiet", "origin", "--tags", cwd=clone)

    with pytest.raises(ProjectError, match="is not an annotated tag") as error:
        verify(Registry(clone), f"{MODEL}@v1.0.0")

    assert "git tag -a" in error.value.fix


def test_pull_restores_the_model_of_the_tag(repos):
    _, clone, shas = repos
    reg = released(repos, "v1")
    git("checkout", "--quiet", shas["v1"], cwd=clone)
    shutil.rmtree(clone / ".dvc" / "cache")
    (clone / "models" / "model.joblib").unlink()

    pull(reg, reg.find_version("v1.0.0"))

    assert (clone / "models" / "model.joblib").read_text() == "model of quality 0.8 from 2 rows"


def test_pull_names_the_file_missing_from_the_remote(repos, tmp_path):
    _, clone, _ = repos
    reg = released(repos, "v2")
    lock = (clone / "dvc.lock").read_text()
    model_md5 = lock.split("path: models/model.joblib")[1].split("md5: ")[1].split()[0]
    for store in (clone / ".dvc" / "cache", tmp_path / "dvc-remote"):
        for path in store.rglob(model_md5[2:]):
            path.unlink()
    (clone / "models" / "model.joblib").unlink()

    with pytest.raises(ProjectError, match=r"no good copy of `models/model\.joblib`") as error:
        pull(reg, reg.find_version("v1.0.0"))

    assert "dvc push models/model.joblib" in error.value.fix
    assert "demo-model@v1.0.0" in error.value.fix


def test_pull_refuses_a_work_tree_at_another_commit(repos):
    reg = released(repos, "v1")

    with pytest.raises(ProjectError, match=r"is at [0-9a-f]+, not at demo-model@v1"):
        pull(reg, reg.find_version("v1.0.0"))


def test_the_gate_passes_the_first_release(repos):
    reg = released(repos, "v1")

    report = check_gate(reg, reg.find_version("v1.0.0"))

    assert report.passed
    assert report.production is None
    assert report.lines()[1] == "against production: no model is in production yet"


def test_worse_than_production_beyond_the_tolerance_fails(repos):
    _, clone, _ = repos
    reg = released(repos, "v1", "v2")
    reg.assign("v1.1.0", "production")  # roc_auc 0.85; v1.0.0 has 0.8
    version = reg.find_version("v1.0.0")
    # The same model at a commit whose params.yaml allows more slack: the gate reads the
    # version's own committed params, not the work tree's.
    lenient_commit = commit_model(clone, 0.8, "Lenient gate", gate={"tolerance": 0.06})
    reg.create_version("v1.2.0", lenient_commit)

    report = check_gate(reg, version)
    lenient = check_gate(reg, reg.find_version("v1.2.0"))

    assert report.threshold_passed and not report.production.passed
    assert not report.passed and lenient.passed
    with pytest.raises(
        GateFailed, match=r"v1\.0\.0 does not meet the quality gate.*; no stage was assigned"
    ):
        require_gate(report, version)
    assert "0.8000 vs production v1.1.0's 0.8500 (at most 0.01 below it): FAILED" in str(
        report.production
    )


def test_below_the_threshold_fails(repos):
    _, clone, _ = repos
    strict_commit = commit_model(clone, 0.8, "Strict gate", gate={"threshold": 0.9})
    reg = Registry(clone)
    reg.create_version("v1.0.0", strict_commit)

    report = check_gate(reg, reg.find_version("v1.0.0"))

    assert not report.passed
    assert "roc_auc 0.8000 (must be >= 0.9): FAILED" in report.lines()[0]


def test_proposals_follow_the_model_and_the_bump_rule(repos):
    _, clone, shas = repos
    reg = Registry(clone)
    git("checkout", "--quiet", shas["v1"], cwd=clone)
    assert propose(reg, params_of(clone)) == Proposal("v0.1.0", "first release of the model")
    reg.create_version("v1.0.0", shas["v1"])
    assert "already released" in propose(reg, params_of(clone)).reason

    git("checkout", "--quiet", "main", cwd=clone)
    assert propose(reg, params_of(clone)) == Proposal(
        "v1.1.0", "model changed since demo-model@v1.0.0; minor: params.yaml `model` changed"
    )
    assert propose(reg, params_of(clone, release={"bump": "patch"})).version == "v1.0.1"
    reg.create_version("v1.1.0", "HEAD")

    (clone / "README.md").write_text("docs only\n")
    git("add", "README.md", cwd=clone)
    git("commit", "--quiet", "-m", "Docs", cwd=clone)
    assert "the model is unchanged since demo-model@v1.1.0" in propose(reg, params_of(clone)).reason

    commit_model(clone, 0.85, "New contract", schema="columns: {b: {dtype: float}}\n")
    commit_model(clone, 0.86, "Retrain")
    assert propose(reg, params_of(clone)).version == "v2.0.0"
    reg.create_version("v2.0.0", "HEAD")

    commit_model(clone, 0.86, "Retrain on more data", data="a\n1\n2\n")
    assert propose(reg, params_of(clone)) == Proposal(
        "v2.1.0",
        "model changed since demo-model@v2.0.0; minor: the training data `data.csv` changed",
    )
    reg.create_version("v2.1.0", "HEAD")

    write_model = clone / "write_model.py"
    write_model.write_text(write_model.read_text().replace("model of", "a model of"))
    commit_model(clone, 0.86, "Reword the model")
    assert propose(reg, params_of(clone)) == Proposal(
        "v2.1.1",
        "model changed since demo-model@v2.1.0; patch: the model was rebuilt from changed code",
    )
    with pytest.raises(ProjectError, match=r"`release\.bump` is 'huge'"):
        params_of(clone, release={"bump": "huge"})


def test_a_proposal_is_tagged_only_with_a_repo_token(repos, tmp_path, capsys):
    origin, clone, _ = repos
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}

    text = propose_and_tag(Registry(), params_of(clone), environ=env)

    assert "Proposed version `demo-model@v0.1.0`" in text
    assert "git push origin 'demo-model@v0.1.0'" in text
    assert origin_tags(origin) == {}
    # Outside Actions the terminal gets plain text: no fences or backticks.
    printed = capsys.readouterr().out
    assert "Proposed version demo-model@v0.1.0" in printed and "```" not in printed
    assert "    git push origin 'demo-model@v0.1.0'" in printed

    propose_and_tag(Registry(), params_of(clone), environ={**env, "REPO_TOKEN": "token"})

    assert list(origin_tags(origin)) == [f"{MODEL}@v0.1.0"]
    assert "Created the version tag `demo-model@v0.1.0`" in summary.read_text()


class FakeGh:
    """`gh release view|create|upload` (as edge.github.run_gh runs it) against a dict of
    {tag: [asset names]}."""

    def __init__(self, releases=None):
        self.releases = releases or {}
        self.calls = []

    def __call__(self, args, fix="", check=True):
        args = tuple(args)
        self.calls.append(args)
        action, tag = args[1], args[2]
        if action == "view":
            if tag not in self.releases:
                return subprocess.CompletedProcess(args, 1, "", "release not found")
            assets = [{"name": name} for name in self.releases[tag]]
            return subprocess.CompletedProcess(args, 0, json.dumps({"assets": assets}), "")
        files = args[3 : args.index("--verify-tag")] if action == "create" else args[3:]
        names = [file.rsplit("/", 1)[1] for file in files]
        self.releases.setdefault(tag, []).extend(names)
        return subprocess.CompletedProcess(args, 0, "", "")


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name in ("model.joblib", "metrics.json", "model_card.md"):
        (folder / name).write_text(name)
    return folder


def test_publish_creates_the_release_once(repos, bundle, monkeypatch):
    reg = released(repos, "v1")
    version = reg.find_version("v1.0.0")
    fake = FakeGh()
    monkeypatch.setattr("{{ cookiecutter.package_name }}.release.publish.run_gh", fake)

    assert publish(version, bundle) is True
    assert publish(version, bundle) is False

    create = next(call for call in fake.calls if call[1] == "create")
    assert "--verify-tag" in create
    assert create[create.index("--notes-file") + 1] == str(bundle / "model_card.md")
    assert sorted(fake.releases[f"{MODEL}@v1.0.0"]) == [
        "metrics.json",
        "model.joblib",
        "model_card.md",
    ]
    assert [call[1] for call in fake.calls] == ["view", "create", "view"]


def test_a_rerun_adds_only_the_missing_assets(repos, bundle, monkeypatch):
    reg = released(repos, "v1")
    fake = FakeGh({f"{MODEL}@v1.0.0": ["model.joblib", "metrics.json"]})
    monkeypatch.setattr("{{ cookiecutter.package_name }}.release.publish.run_gh", fake)

    publish(reg.find_version("v1.0.0"), bundle)

    (upload,) = [call for call in fake.calls if call[1] == "upload"]
    assert upload[3:] == (str(bundle / "model_card.md"),)
