"""The registry's names: GTO's tag formats for this model, its stages and versions.

- `<model>@vX.Y.Z` (an annotated tag) registers a released version at a commit.
- `<model>#<stage>#N` assigns a stage to the version at that commit, `<model>#<stage>!#N`
  unassigns it; N counts the model's tags, so it orders them.
"""

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .. import paths
from ..edge.git import AnnotatedTag, annotated_tags
from ..edge.github import run_url
from ..errors import ProjectError

DEFAULT_STAGES = ("staging", "production")
Tags = list[tuple[dict[str, Any], AnnotatedTag]]  # (GTO's parse of the name, the tag)
PRODUCTION = "production"


@dataclass(frozen=True)
class Version:
    """A registered version: its tag, the commit it points to, who tagged it and when."""

    model: str
    version: str
    commit: str
    tag: str
    created_at: datetime
    author: str
    message: str


@dataclass(frozen=True)
class StageEvent:
    """One stage tag: `version` was assigned to (or unassigned from) `stage`."""

    number: int
    assigned: bool
    stage: str
    version: str
    commit: str
    tag: str
    created_at: datetime
    author: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What a registry command did: the tags it created (none when there was nothing to do)."""

    created: tuple[str, ...]
    message: str


def model_name(dvc_yaml: str | Path = paths.DVC_YAML) -> str:
    """The name of the one artifact of type `model` in dvc.yaml (the tags' prefix)."""
    return model_artifact(dvc_yaml)[0]


def model_artifact(dvc_yaml: str | Path = paths.DVC_YAML) -> tuple[str, str]:
    """(name, path) of the one artifact of type `model` declared in dvc.yaml."""
    try:
        document = yaml.safe_load(Path(dvc_yaml).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ProjectError(
            f"{dvc_yaml} not found", "run the command from the project's root"
        ) from None
    artifacts = document.get("artifacts") or {}
    models = [
        (name, spec.get("path")) for name, spec in artifacts.items() if spec.get("type") == "model"
    ]
    if len(models) != 1:
        raise ProjectError(
            f"{dvc_yaml} must declare exactly one artifact of type model (found {len(models)})",
            "add `artifacts: <name>: {path: models/model.joblib, type: model}` to dvc.yaml",
        )
    return models[0]


def configured_stages(root: str | Path = ".") -> tuple[str, ...]:
    """The stages GTO's config file (.gto) allows; GTO's own reader parses it."""
    from gto.config import read_registry_config
    from gto.exceptions import WrongConfig

    path = Path(root) / paths.GTO_CONFIG
    if not path.is_file():
        return DEFAULT_STAGES
    try:
        stages = read_registry_config(str(path)).stages
    except WrongConfig as error:
        raise ProjectError(
            f"{path} is not a valid GTO config: {error.__cause__ or error}",
            "correct it, e.g. `stages: [staging, production]`",
        ) from None
    return tuple(stages) if stages else DEFAULT_STAGES


def normalize_version(text: object) -> str:
    """A version as GTO writes it ("v1.2.0" from "1.2.0" or "v1.2.0"); else an error."""
    from gto.versions import SemVer

    candidate = str(text).strip()
    candidate = candidate if candidate.startswith("v") else f"v{candidate}"
    if not SemVer.is_valid(candidate):
        raise ProjectError(
            f"{text!r} is not a version", "give MAJOR.MINOR.PATCH with a leading v, e.g. v1.2.0"
        )
    return candidate


def version_key(version: str) -> Any:
    """Sort key of a "vX.Y.Z" version (semantic, not alphabetical)."""
    from gto.versions import SemVer

    return SemVer.parse(version)


def newer(version: str, than: str) -> bool:
    return version_key(version) > version_key(than)


def run_link(environ: Mapping[str, str] | None = None) -> str:
    """The workflow run doing this, for the tag message; "" outside GitHub Actions."""
    url = run_url(os.environ if environ is None else environ)
    return f"\n\nWorkflow run: {url}" if url else ""


def version_record(version: Version) -> dict[str, Any]:
    """A Version as plain JSON-able data."""
    data = asdict(version)
    data["created_at"] = version.created_at.isoformat()
    return data


def read_tags(root: str | Path, model: str) -> Tags:
    """[(parsed name, tag)] of `model`'s annotated tags, oldest first, as GTO's `find` selects
    them (GTO's own name parser; lightweight tags ignored), from one git process."""
    from gto.tag import parse_name

    found = []
    for tag in annotated_tags([f"{model}@*", f"{model}#*"], cwd=root):
        parsed = parse_name(tag.name, raise_on_fail=False)
        if parsed and parsed.get("name") == model:
            found.append((parsed, tag))
    return sorted(found, key=lambda item: item[1].tag_datetime)
