"""Fetching a released version's files (model, profile, metrics) through DVC, each checked
against the md5 dvc.lock recorded at the version's commit."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import paths
from ..edge.dvc import CommitOutputs
from ..edge.git import show_file
from ..errors import NoVersionInStage, ProjectError
from .tags import model_artifact, normalize_version

if TYPE_CHECKING:
    from .registry import Registry

# {file name in the output folder: path in the repository}; the model's own path comes from
# dvc.yaml's `artifacts:`.
FETCHED_FILES = {
    "profile.json": paths.PROFILE,
    "metrics.json": paths.METRICS,
    "model.json": paths.MODEL_METADATA,  # what trained it: the service's /version reports it
}


def fetch(
    registry: "Registry",
    output_dir: str | Path,
    stage: str | None = None,
    version: str | None = None,
    refresh: bool = True,
) -> dict[str, Any]:
    """Write the model, its profile and metrics and version.json for `stage` (or `version`)
    into `output_dir`, reading them through DVC from the cache or the configured remote; a
    file whose md5 differs from dvc.lock's at the version's commit is refused."""
    if refresh:
        registry.fetch_tags()
    if version:
        target = registry.find_version(version)
        if target is None:
            raise ProjectError(
                f"{registry.model} {normalize_version(version)} is not released",
                "see the released versions with `registry show`",
            )
    else:
        registry.check_stage(stage)
        target = registry.current(stage)
        if target is None:
            raise NoVersionInStage(
                f"no version of {registry.model} is in stage {stage!r} yet",
                f"release one (push a tag {registry.model}@vX.Y.Z on the default branch) or "
                f"assign one with `promote --version vX.Y.Z --stage {stage}`",
            )
    _, model_path = model_artifact(registry.root / paths.DVC_YAML)
    files = {"model.joblib": Path(model_path), **FETCHED_FILES}
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    outputs = CommitOutputs(registry.root, target.commit, target.tag)
    for name, path in files.items():
        outputs.get(path, output_dir / name)
    record = {
        "model": registry.model,
        "version": target.version,
        "stage": stage,
        "commit": target.commit,
        "tag": target.tag,
    }
    # The contract the model was trained under, from git at its commit (scoring checks input
    # against it, and the model against it).
    schema = show_file(target.commit, paths.SCHEMA.as_posix(), cwd=registry.root)
    if schema is None:
        raise ProjectError(
            f"{target.tag}'s commit has no {paths.SCHEMA}", "release from a commit with one"
        )
    (output_dir / "schema.yaml").write_text(schema, encoding="utf-8")
    (output_dir / "version.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record
