"""A registry tag counts once it is on origin (issue: a failed push said all was well), and a
fetched model is checked against dvc.lock (issue: a damaged cache copy was delivered)."""

import pytest
from registry_repos import git, origin_tags, private_repos

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.errors import OutputMismatch, ProjectError
from {{ cookiecutter.package_name }}.release.fetch import fetch
from {{ cookiecutter.package_name }}.release.registry import Registry
from {{ cookiecutter.package_name }}.release.views import show


@pytest.fixture
def repos(tmp_path_factory, tmp_path, monkeypatch):
    return private_repos(tmp_path_factory, tmp_path, monkeypatch)


def unreachable(clone, tmp_path):
    git("remote", "set-url", "origin", str(tmp_path / "gone.git"), cwd=clone)


def test_a_failed_push_keeps_no_local_tag_and_a_rerun_pushes(repos, tmp_path):
    origin, clone, shas = repos
    registry = Registry(clone)
    unreachable(clone, tmp_path)
    with pytest.raises(ProjectError, match="could not"):
        registry.create_version("v1.0.0", shas["v1"])
    assert registry.local_tags() == set()
    git("remote", "set-url", "origin", str(origin), cwd=clone)
    outcome = registry.create_version("v1.0.0", shas["v1"])
    assert "demo-model@v1.0.0" in origin_tags(origin), outcome.message


def test_a_failed_promotion_leaves_the_stage_as_origin_has_it(repos, tmp_path):
    origin, clone, shas = repos
    registry = Registry(clone)
    registry.create_version("v1.0.0", shas["v1"])
    unreachable(clone, tmp_path)
    with pytest.raises(ProjectError):
        registry.assign("v1.0.0", "production")
    assert show(registry)["stages"]["production"] is None
    git("remote", "set-url", "origin", str(origin), cwd=clone)
    registry.assign("v1.0.0", "production")
    assert any("#production#" in tag for tag in origin_tags(origin))


def test_a_local_tag_origin_lacks_is_pushed_by_a_rerun(repos):
    origin, clone, shas = repos
    registry = Registry(clone)
    made = registry.create_version("v1.0.0", shas["v1"], push=False)
    assert "local only" in made.message
    assert origin_tags(origin) == {}
    again = registry.create_version("v1.0.0", shas["v1"])
    assert again.message.startswith("pushed demo-model@v1.0.0")
    assert "demo-model@v1.0.0" in origin_tags(origin)


def test_sync_compares_with_ls_remote_for_real(repos, capsys):
    _, clone, shas = repos
    Registry(clone).create_version("v1.0.0", shas["v1"], push=False)
    assert cli.main(["registry", "sync"]) == 1
    assert "demo-model@v1.0.0" in capsys.readouterr().err
    assert cli.main(["registry", "sync", "--prune"]) == 0
    assert Registry(clone).local_tags() == set()


def test_without_origin_the_registry_says_it_is_local_only(repos):
    _, clone, shas = repos
    git("remote", "remove", "origin", cwd=clone)
    outcome = Registry(clone).create_version("v1.0.0", shas["v1"])
    assert "local only, not pushed: no `origin` remote" in outcome.message


def test_a_damaged_cache_copy_is_refused_not_delivered(repos, tmp_path):
    _, clone, shas = repos
    registry = Registry(clone)
    registry.create_version("v1.0.0", shas["v1"])
    registry.assign("v1.0.0", "production")
    fetch(registry, tmp_path / "good", stage="production")
    model = (tmp_path / "good" / "model.joblib").read_bytes()
    for cached in (clone / ".dvc" / "cache").rglob("*"):
        if cached.is_file() and cached.read_bytes() == model:
            cached.chmod(0o644)
            cached.write_bytes(b"damaged")
    with pytest.raises(OutputMismatch, match=r"model\.joblib") as raised:
        fetch(registry, tmp_path / "bad", stage="production")
    assert "dvc pull --force" in raised.value.fix
    assert not (tmp_path / "bad" / "model.joblib").exists()
