"""The registry in git: GTO tags written to and read from a local bare `origin`."""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from registry_repos import MODEL, git, origin_tags, private_repos, released, second_clone

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.edge.git import remote_env, tagger
from {{ cookiecutter.package_name }}.errors import NoVersionInStage, ProjectError
from {{ cookiecutter.package_name }}.release.fetch import fetch
from {{ cookiecutter.package_name }}.release.registry import Registry
from {{ cookiecutter.package_name }}.release.tags import configured_stages, model_artifact
from {{ cookiecutter.package_name }}.release.views import history, show


@pytest.fixture
def repos(tmp_path_factory, tmp_path, monkeypatch):
    return private_repos(tmp_path_factory, tmp_path, monkeypatch)


def test_a_version_tag_is_created_once_and_read_from_origin(repos, tmp_path):
    origin, clone, shas = repos
    reg = Registry(clone)

    created = reg.create_version("1.0.0", shas["v1"], "First release")
    again = reg.create_version("v1.0.0", shas["v1"])

    assert created.created == (f"{MODEL}@v1.0.0",)
    assert again.created == () and "nothing to do" in again.message
    assert origin_tags(origin) == {f"{MODEL}@v1.0.0": shas["v1"]}
    other = second_clone(origin, tmp_path / "other")
    (version,) = other.versions()
    assert (version.version, version.commit, version.author) == ("v1.0.0", shas["v1"], "Maintainer")
    assert version.message == "First release"


def test_a_released_version_never_moves_and_a_commit_is_released_once(repos):
    _, _, shas = repos
    reg = released(repos, "v1")

    with pytest.raises(ProjectError, match="already exists at commit") as moved:
        reg.create_version("v1.0.0", shas["v2"])
    with pytest.raises(ProjectError, match=r"already released as demo-model@v1\.0\.0"):
        reg.create_version("v1.0.1", shas["v1"])
    assert "never moves" in moved.value.fix
    with pytest.raises(ProjectError, match="is not a version"):
        reg.create_version("latest", shas["v2"])


def test_promotion_rollback_and_history(repos):
    origin, _, _ = repos
    reg = released(repos, "v1", "v2")

    first = reg.assign("v1.0.0", "production")
    second = reg.assign("v1.1.0", "production")
    rollback = reg.assign("v1.0.0", "production", message="v1.1.0 misbehaves")

    assert first.created == (f"{MODEL}#production#1",)
    assert second.created == (f"{MODEL}#production!#2", f"{MODEL}#production#3")
    assert rollback.created == (f"{MODEL}#production!#4", f"{MODEL}#production#5")
    assert reg.current("production").version == "v1.0.0"
    assert reg.current("staging") is None
    events = [(row["event"], row["version"]) for row in history(reg) if row["stage"]]
    assert events == [
        ("assignment", "v1.0.0"),
        ("unassignment", "v1.0.0"),
        ("assignment", "v1.1.0"),
        ("unassignment", "v1.1.0"),
        ("assignment", "v1.0.0"),
    ]
    assert set(origin_tags(origin)) == {f"{MODEL}@v1.0.0", f"{MODEL}@v1.1.0", *first.created,
                                        *second.created, *rollback.created}  # fmt: skip
    message = git("tag", "-l", "--format=%(contents)", rollback.created[-1], cwd=origin).stdout
    assert message.strip() == "v1.1.0 misbehaves"
    last = history(reg)[-1]
    assert (last["by"], last["why"]) == ("Maintainer", "v1.1.0 misbehaves")


def test_gto_reads_the_same_production_version(repos):
    from gto import api

    reg = released(repos, "v1", "v2")
    reg.assign("v1.1.0", "production")
    reg.assign("v1.0.0", "production")

    (shown,) = api.find_versions_in_stage(".", MODEL, "production")
    assert shown.version == "v1.0.0"
    assert show(reg)["stages"] == {"staging": None, "production": "v1.0.0"}


def test_assigning_the_current_version_again_creates_nothing(repos):
    origin, _, _ = repos
    reg = released(repos, "v1")
    reg.assign("v1.0.0", "production")
    before = origin_tags(origin)

    outcome = reg.assign("v1.0.0", "production")

    assert outcome.created == ()
    assert "already in production" in outcome.message
    assert origin_tags(origin) == before


def test_a_release_rerun_never_moves_the_stage_back(repos):
    reg = released(repos, "v1", "v2")
    reg.assign("v1.0.0", "production", once=True)
    reg.assign("v1.1.0", "production", once=True)

    rerun = reg.assign("v1.0.0", "production", once=True)

    assert rerun.created == ()
    assert "roll back with `promote`" in rerun.message
    assert reg.current("production").version == "v1.1.0"


def test_an_older_release_does_not_replace_a_newer_production_version(repos):
    reg = released(repos, "v1", "v2")
    reg.assign("v1.1.0", "production", once=True)

    late = reg.assign("v1.0.0", "production", once=True)

    assert late.created == ()
    assert "newer than v1.0.0" in late.message


def test_an_unknown_stage_or_version_is_refused(repos):
    reg = released(repos, "v1")

    with pytest.raises(ProjectError, match="'prod' is not one of this registry's stages") as error:
        reg.assign("v1.0.0", "prod")
    assert "staging, production" in str(error.value)
    with pytest.raises(ProjectError, match=r"v2\.0\.0 is not released"):
        reg.assign("v2.0.0", "production")


def test_a_concurrent_promotion_is_retried_on_fresh_tags(repos, tmp_path, capsys):
    """Clone B fetched the tags, then clone A pushed its assignment before B pushed: B's stage
    tag number is taken, so B's push is rejected; B fetches again and assigns on top."""
    origin, _, _ = repos
    released(repos, "v1", "v2")
    a = second_clone(origin, tmp_path / "a")
    b = second_clone(origin, tmp_path / "b")
    real_fetch = Registry.fetch_tags
    raced = []

    def fetch_then_lose_the_race(self):
        real_fetch(self)
        if self is b and not raced:
            raced.append(a.assign("v1.0.0", "production"))

    b.fetch_tags = fetch_then_lose_the_race.__get__(b)

    outcome = b.assign("v1.1.0", "production")

    assert "another promotion pushed production tags first" in capsys.readouterr().out
    assert raced[0].created == (f"{MODEL}#production#1",)
    assert outcome.created == (f"{MODEL}#production!#2", f"{MODEL}#production#3")
    stage_tags = sorted(t for t in origin_tags(origin) if "#" in t)
    assert stage_tags == sorted([*raced[0].created, *outcome.created])
    assert Registry(tmp_path / "a").current("production") is not None
    assert b.current("production").version == "v1.1.0"


def test_a_promotion_that_keeps_losing_fails_cleanly(repos, tmp_path, monkeypatch):
    origin, _, _ = repos
    released(repos, "v1", "v2")
    b = second_clone(origin, tmp_path / "b")

    def rejected(self, tags):
        # As a rejected push does: the local tags are removed, and False says "retry".
        self.delete_local(tags)
        return False

    monkeypatch.setattr(Registry, "push", rejected)

    with pytest.raises(ProjectError, match="3 pushes were rejected") as error:
        b.assign("v1.1.0", "production")

    assert "run this again" in error.value.fix
    assert git("tag", "-l", "*#*", cwd=b.root).stdout == ""  # no half-made local tags
    assert not any("#" in tag for tag in origin_tags(origin))


def test_two_clones_promoting_at_once_leave_one_tag_per_assignment(repos, tmp_path):
    """Two real processes race; each assignment ends up on origin exactly once."""
    origin, clone, _ = repos
    released(repos, "v1", "v2")
    clones = [tmp_path / "p1", tmp_path / "p2"]
    for folder in clones:
        second_clone(origin, folder)
    script = (
        f"import sys; from {Registry.__module__} import Registry; "
        "print(Registry().assign(sys.argv[1], 'production').message)"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, version],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for folder, version in zip(clones, ("v1.0.0", "v1.1.0"), strict=True)
    ]
    results = [(p.wait(timeout=60), *p.communicate()) for p in processes]

    assert [code for code, _, _ in results] == [0, 0], results
    reg = Registry(clone)
    reg.fetch_tags()
    assigned = [e for e in reg.stage_events() if e.assigned]
    assert sorted(e.version for e in assigned) == ["v1.0.0", "v1.1.0"]
    numbers = [e.number for e in reg.stage_events()]
    assert len(numbers) == len(set(numbers))
    assert reg.current("production").version == assigned[-1].version


def test_fetch_by_stage_writes_the_model_profile_metrics_and_version(repos, tmp_path):
    _, clone, shas = repos
    reg = released(repos, "v1", "v2")
    reg.assign("v1.0.0", "production")
    shutil.rmtree(clone / ".dvc" / "cache")  # everything comes from the DVC remote

    record = fetch(reg, tmp_path / "out", stage="production")

    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "metrics.json",
        "model.joblib",
        "model.json",
        "profile.json",
        "schema.yaml",
        "version.json",
    ]
    assert (out / "model.joblib").read_text() == "model of quality 0.8 from 2 rows"
    assert (out / "schema.yaml").read_text() == "columns: {a: {dtype: integer}}\n"  # its commit's
    assert json.loads((out / "metrics.json").read_text()) == {"roc_auc": 0.8}
    assert json.loads((out / "profile.json").read_text())["quality"] == 0.8
    expected = {
        "model": MODEL,
        "version": "v1.0.0",
        "stage": "production",
        "commit": shas["v1"],
        "tag": f"{MODEL}@v1.0.0",
    }
    assert record == expected
    assert json.loads((out / "version.json").read_text()) == expected


def test_fetch_before_any_promotion_says_how_to_release(repos, tmp_path, capsys):
    released(repos, "v1")

    code = cli.main(["registry", "fetch", "--stage", "production", "--output-dir", "out"])

    assert code == NoVersionInStage.exit_code == 3
    error = capsys.readouterr().err
    assert "no version of demo-model is in stage 'production' yet" in error
    assert "promote --version vX.Y.Z --stage production" in error


def test_fetch_names_a_model_missing_from_the_remote(repos, tmp_path):
    _, clone, shas = repos
    reg = released(repos, "v1")
    reg.assign("v1.0.0", "production")
    lock = git("show", f"{shas['v1']}:dvc.lock", cwd=clone).stdout
    model_md5 = lock.split("path: models/model.joblib")[1].split("md5: ")[1].split()[0]
    for store in (clone / ".dvc" / "cache", tmp_path / "dvc-remote"):
        for path in store.rglob(model_md5[2:]):
            path.unlink()

    with pytest.raises(
        ProjectError, match=r"`models/model\.joblib` of demo-model@v1\.0\.0"
    ) as error:
        fetch(reg, tmp_path / "out", stage="production")

    assert "dvc push" in error.value.fix


def test_the_token_reaches_git_as_a_header_never_in_the_url():
    env = remote_env("https://github.com/acme/model.git", {"GITHUB_TOKEN": "s3cret"})
    local = remote_env("/srv/origin.git", {"GITHUB_TOKEN": "s3cret"})

    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_0"].startswith("AUTHORIZATION: basic ")
    assert "s3cret" not in env["GIT_CONFIG_VALUE_0"]
    assert "GIT_CONFIG_COUNT" not in local
    preferred = remote_env(
        "https://github.com/a/b", {"GITHUB_TOKEN": "x", "REPO_TOKEN": "y", "GIT_CONFIG_COUNT": "1"}
    )
    assert preferred["GIT_CONFIG_COUNT"] == "2"
    assert "GIT_CONFIG_VALUE_1" in preferred


def test_tags_record_the_workflow_actor(monkeypatch):
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")

    assert tagger() == ("octocat", "octocat@users.noreply.github.com")


def test_stages_come_from_the_gto_config(tmp_path):
    (tmp_path / ".gto").write_text("stages: [dev, prod]\n")

    assert configured_stages(tmp_path) == ("dev", "prod")
    assert configured_stages(tmp_path / "missing") == ("staging", "production")


def test_the_project_declares_its_model_and_stages():
    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    name, path = model_artifact(root / "dvc.yaml")

    assert (name, path) == (project["name"], "models/model.joblib")
    assert configured_stages(root) == ("staging", "production")
