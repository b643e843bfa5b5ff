"""The next version: proposed when the model changed since the latest release, and tagged
when a token that starts the release workflow is at hand."""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from .. import paths
from ..edge.dvc import lock_entries
from ..edge.git import show_file, tagger
from ..edge.github import append_summary, in_actions, terminal_text
from ..params import ModelParams, Params, load_params

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .registry import Registry

# 0.x while the team learns how the model behaves in production, like pyproject.toml's version.
FIRST_VERSION = "v0.1.0"


def model_md5(registry: "Registry", commit: str) -> str | None:
    """The model's md5 in dvc.lock at `commit` (None without a dvc.lock or model entry)."""
    from .tags import model_artifact

    _, path = model_artifact(registry.root / paths.DVC_YAML)
    entry = lock_entries(show_file(commit, "dvc.lock", cwd=registry.root)).get(path)
    return entry["md5"] if entry else None


@dataclass(frozen=True)
class Proposal:
    version: str | None
    reason: str


def bump(version: str, part: str) -> str:
    """The next version: `part` (major, minor or patch) bumped by GTO's semantic versioning."""
    from gto.versions import SemVer

    return getattr(SemVer(version), f"bump_{part}")().version


def bump_part(registry: "Registry", since: str, rule: str) -> tuple[str, str]:
    """("major" | "minor" | "patch", why). `auto`: the data contract changed -> major (callers
    must adapt); the model's params or its training data changed -> minor (a new model);
    otherwise (code only) -> patch."""
    if rule != "auto":
        return rule, f"release.bump is {rule}"
    changed = registry.git("diff", "--quiet", since, "HEAD", "--", str(paths.SCHEMA), check=False)
    if changed.returncode != 0:
        return "major", f"{paths.SCHEMA} changed"
    before = yaml.safe_load(show_file(since, "params.yaml", cwd=registry.root) or "") or {}
    now = load_params(registry.root / paths.PARAMS)
    if _model_params(before.get("model")) != now.model:
        return "minor", "params.yaml `model` changed"
    raw = now.data.raw
    data_before = lock_entries(show_file(since, "dvc.lock", cwd=registry.root)).get(raw)
    data_now = lock_entries(show_file("HEAD", "dvc.lock", cwd=registry.root)).get(raw)
    if data_before != data_now:
        return "minor", f"the training data `{raw}` changed"
    return "patch", "the model was rebuilt from changed code"


def propose(registry: "Registry", params: Params) -> Proposal:
    """The version HEAD should be released as, or None with the reason it needs none."""
    registry.fetch_tags()
    head = registry.resolve("HEAD")
    released = [v for v in registry.versions() if v.commit == head]
    if released:
        return Proposal(None, f"HEAD is already released as {released[0].tag}")
    current = model_md5(registry, head)
    if current is None:
        return Proposal(None, "dvc.lock at HEAD records no model: run `dvc repro` and commit")
    latest = registry.latest()
    if latest is None:
        return Proposal(FIRST_VERSION, "first release of the model")
    if model_md5(registry, latest.commit) == current:
        return Proposal(None, f"the model is unchanged since {latest.tag} (same md5 in dvc.lock)")
    rule = params.release.bump
    part, why = bump_part(registry, latest.commit, rule)
    return Proposal(bump(latest.version, part), f"model changed since {latest.tag}; {part}: {why}")


def proposal_markdown(registry: "Registry", proposal: Proposal, created: bool) -> str:
    if proposal.version is None:
        return f"No new version: {proposal.reason}.\n"
    tag = f"{registry.model}@{proposal.version}"
    if created:
        return f"Created the version tag `{tag}` ({proposal.reason}); the release workflow runs.\n"
    return (
        f"Proposed version `{tag}` ({proposal.reason}). To release it, push the tag:\n\n"
        f"```bash\ngit tag -a '{tag}' -m 'Release {proposal.version}' "
        f"{registry.resolve('HEAD')}\ngit push origin '{tag}'\n```\n\n"
        "(Set the REPO_TOKEN secret to have this workflow push it.)\n"
    )


def propose_and_tag(
    registry: "Registry",
    params: Params,
    create: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Propose the next version; create and push its tag when `create` (default: when a
    REPO_TOKEN is set, whose pushes trigger the release workflow). Returns the markdown."""
    environ = os.environ if environ is None else environ
    create = bool(environ.get("REPO_TOKEN")) if create is None else create
    proposal = propose(registry, params)
    created = False
    if proposal.version and create:
        tagger(root=registry.root)  # fail before anything is made when no identity is known
        outcome = registry.create_version(
            proposal.version,
            "HEAD",
            f"Release {registry.model} {proposal.version}: {proposal.reason}",
        )
        LOGGER.info(outcome.message)
        created = bool(outcome.created)
    text = proposal_markdown(registry, proposal, created)
    print(text if in_actions(environ) else terminal_text(text))
    append_summary(text, environ)
    return text


def _model_params(section: dict[str, Any] | None) -> ModelParams | None:
    """The `model` params as typed; None (so: changed) when the old section no longer parses."""
    try:
        return ModelParams(**(section or {}))
    except ValidationError:
        return None
