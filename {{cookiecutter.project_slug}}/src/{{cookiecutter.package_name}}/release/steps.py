"""Releasing a version: check its tag, fetch its model, re-run the gate.

Each step is one command (`python -m <package> release <step> --tag <model>@vX.Y.Z`), so the
workflow and a maintainer run the same thing. Every step can be re-run: what already exists
(a release, its assets, a stage assignment) is detected and skipped. The bundle and model card
are in card.py, the GitHub Release in publish.py, the next version in versions.py.
"""

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..edge.dvc import (
    CommitOutputs,
    DvcRun,
    credentials_env,
    file_md5,
    first_error_line,
    lock_entries,
    run_dvc,
)
from ..edge.git import show_file
from ..edge.github import in_actions
from ..errors import ProjectError
from ..pipeline.gate import GateReport, judge, require
from .baseline import params_at, production_metrics
from .pictures import unwritten_sections
from .tags import PRODUCTION, Version, model_artifact, normalize_version

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .registry import Registry


def verify(registry: "Registry", tag: str, default_branch: str = "main") -> Version:
    """The Version `tag` releases, once it is a GTO version tag of this model, annotated, on
    a commit of the default branch; ProjectError otherwise."""
    from gto.tag import parse_name

    parsed = parse_name(tag, raise_on_fail=False)
    if parsed.get("name") != registry.model or "version" not in parsed or "stage" in parsed:
        raise ProjectError(
            f"{tag!r} is not a version tag of {registry.model}",
            f"release with a tag like {registry.model}@v1.2.0",
        )
    registry.fetch_tags()
    version = registry.find_version(parsed["version"])
    if version is None or version.tag != tag:
        raise ProjectError(
            f"{tag} is not an annotated tag (GTO reads only annotated tags)",
            f"re-create it: `git tag -a {tag} -m 'Release' <commit>` and push it",
        )
    branch = f"refs/remotes/{registry.remote}/{default_branch}"
    if registry.remote_url() is not None:
        registry.remote_git(
            "fetch",
            "--quiet",
            "--no-tags",
            registry.remote,
            f"+refs/heads/{default_branch}:{branch}",
        )
    else:
        branch = f"refs/heads/{default_branch}"
    on_branch = registry.git("merge-base", "--is-ancestor", version.commit, branch, check=False)
    if on_branch.returncode != 0:
        raise ProjectError(
            f"{tag} points to commit {version.commit[:7]}, which is not on {default_branch}: "
            "refused, a release must be a reviewed commit of the default branch",
            f"delete the tag (`git push origin :refs/tags/{tag}` and `git tag -d {tag}`), merge "
            f"the change into {default_branch} and tag that commit",
        )
    LOGGER.info(f"{tag} releases commit {version.commit[:7]}, which is on {default_branch}")
    warn_unwritten_card(registry, version)
    return version


def warn_unwritten_card(registry: "Registry", version: Version) -> list[str]:
    """Warn (never refuse) when the model card's prose at the released commit is still the
    template's placeholder; returns the sections named."""
    notebook = show_file(version.commit, paths.MODEL_CARD_NOTEBOOK.as_posix(), cwd=registry.root)
    unwritten = unwritten_sections(notebook) if notebook else []
    if unwritten:
        message = (
            f"the model card's {', '.join(unwritten)} still hold the template's placeholder "
            f"text at {version.tag}; edit {paths.MODEL_CARD_NOTEBOOK} for the next release"
        )
        if in_actions():  # a workflow command, read from stdout by the runner
            print(f"::warning title=Model card not written::{message}")
        else:
            LOGGER.warning(message)
    return unwritten


def checked_out(registry: "Registry", version: Version) -> None:
    head = registry.resolve("HEAD")
    if head != version.commit:
        raise ProjectError(
            f"the work tree is at {head[:7]}, not at {version.tag} ({version.commit[:7]})",
            f"check out the tag first: `git checkout {version.tag}`",
        )


def pull(registry: "Registry", version: Version, dvc: DvcRun = run_dvc) -> None:
    """`dvc pull` the model, its metadata and profile, and the plot tables the model card reads,
    at the release's commit: the one step with the remote's credentials fetches everything the
    later steps read. A file the remote does not hold, or holds damaged, is named with the way
    to fix it (the bundle checks each plot table against dvc.lock when it reads it)."""
    checked_out(registry, version)
    _, model_path = model_artifact(registry.root / paths.DVC_YAML)
    wanted = [Path(model_path), paths.MODEL_METADATA, paths.PROFILE]
    # --force: these are pipeline outputs; whatever the work tree held is replaced by the
    # release's own files (a runner's fresh checkout holds none).
    expected = lock_entries(show_file(version.commit, "dvc.lock", cwd=registry.root))
    pulled = [p.as_posix() for p in wanted]
    # dvc.lock writes the folder as `plots/`; older releases committed it to git instead.
    pulled += [path for path in expected if path.rstrip("/") == paths.PLOTS.as_posix()]
    code, output = dvc("pull", "--force", *pulled, env=credentials_env())
    LOGGER.info(output)
    missing = [
        path
        for path in wanted
        if path.as_posix() not in expected
        or not (registry.root / path).is_file()
        or file_md5(registry.root / path) != expected[path.as_posix()]["md5"]
    ]
    if missing:
        names = ", ".join(f"`{p.as_posix()}`" for p in missing)
        raise ProjectError(
            f"the DVC remote has no good copy of {names} for {version.tag} "
            f"({first_error_line(output) if code else 'md5 not as in dvc.lock, or not recorded'})",
            f"push it from a clone that has it: `git checkout {version.tag} && dvc push "
            f"{' '.join(p.as_posix() for p in missing)}` (or `dvc repro` there first), then "
            "re-run the release",
        )
    LOGGER.info(f"pulled {', '.join(pulled)} of {version.tag}")


def check_gate(registry: "Registry", version: Version, stage: str = PRODUCTION) -> GateReport:
    """The quality gate on the release's own committed metrics and params, against the
    version holding `stage` (pipeline/gate.py's `judge`, the one rule)."""
    outputs = CommitOutputs(registry.root, version.commit, version.tag)
    metrics = json.loads(outputs.read_text(paths.METRICS))
    params = params_at(registry, version.commit, version.tag)
    production = production_metrics(registry, stage, other_than=version.version)
    return judge(metrics, production, params.gate)


def require_gate(report: GateReport, version: Version) -> None:
    require(report, version.tag, "; no stage was assigned")


def release_version(registry: "Registry", tag: str) -> Version:
    """The Version of `tag` as it is registered (after `verify` accepted it)."""
    from gto.tag import parse_name

    parsed = parse_name(tag, raise_on_fail=False)
    version = registry.find_version(normalize_version(parsed.get("version") or tag))
    if version is None or version.tag != tag:
        raise ProjectError(f"{tag} is not a released version", "run `release verify` first")
    return version
