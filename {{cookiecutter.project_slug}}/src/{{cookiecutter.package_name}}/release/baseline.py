"""What the model in production achieved: the metrics.json committed at the version holding
the stage, checked against that commit's dvc.lock. No model download is needed."""

import json
from typing import TYPE_CHECKING

import yaml

from .. import paths
from ..edge.dvc import CommitOutputs
from ..edge.git import show_file
from ..errors import ProjectError
from ..params import Params, parse_params
from ..pipeline.gate import ProductionMetrics
from .tags import PRODUCTION

if TYPE_CHECKING:
    from .registry import Registry


def production_metrics(
    registry: "Registry", stage: str = PRODUCTION, other_than: str | None = None
) -> ProductionMetrics | None:
    """ProductionMetrics of the version in `stage`, or None when no version holds it (or the
    one holding it is `other_than`, the version being judged)."""
    holder = registry.current(stage)
    if holder is None or holder.version == other_than:
        return None
    text = CommitOutputs(registry.root, holder.commit, holder.tag).read_text(paths.METRICS)
    return ProductionMetrics(holder.version, json.loads(text))


def params_at(registry: "Registry", commit: str, label: str) -> Params:
    """params.yaml as committed at `commit`, typed."""
    text = show_file(commit, paths.PARAMS.as_posix(), cwd=registry.root)
    if text is None:
        raise ProjectError(f"{paths.PARAMS} is not committed at {label}", "commit it")
    return parse_params(yaml.safe_load(text), f"{paths.PARAMS} at {label}")
