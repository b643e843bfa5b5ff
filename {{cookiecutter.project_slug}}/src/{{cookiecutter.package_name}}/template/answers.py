"""`template answer KEY=VALUE ...`: change an answer given at generation, as if the project had
been generated with it, at the template commit it is on (no template update mixed in).

The DVC remote is the case that matters: `dvc_remote` and `dvc_remote_url` shape the
workflows' credential wiring and the README, and the remote itself lives in `.dvc/config`, so
both change together.
"""

import json
from pathlib import Path
from typing import Any

from ..bootstrap import remote_location
from ..edge.dvc import first_error_line, run_dvc
from ..errors import ProjectError
from ..paths import CRUFT_STATE, DVC_REMOTE
from .update import read_state, require_clean_tree, rerendering, settle_conflicts

REMOTE_KINDS = ("local", "s3", "gs", "azure", "ssh")


def parse_assignments(items: list[str]) -> dict[str, str]:
    assignments = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ProjectError(f"{item!r} is not KEY=VALUE", "write e.g. dvc_remote=s3")
        assignments[key.strip()] = value
    return assignments


def change_answers(assignments: dict[str, str]) -> list[str]:
    """Re-render with the new answers and merge the difference; returns the conflicts' paths."""
    state = read_state()
    unknown = sorted(key for key in assignments if key.startswith("_") or key not in state.answers)
    if unknown:
        known = ", ".join(sorted(key for key in state.answers if not key.startswith("_")))
        raise ProjectError(f"no such answer: {', '.join(unknown)}", f"the answers are: {known}")
    _check_remote(assignments, state.answers)
    require_clean_tree()
    with rerendering() as cruft:
        cruft.update(Path(), skip_apply_ask=True, checkout=state.commit, extra_context=assignments)
    conflicts = [conflict.path for conflict in settle_conflicts()]
    _keep_checkout(state.checkout)
    if "dvc_remote_url" in assignments:
        kind = assignments.get("dvc_remote", state.answers["dvc_remote"])
        _point_dvc_remote(kind, assignments["dvc_remote_url"])
    return conflicts


def _check_remote(assignments: dict[str, str], answers: dict[str, Any]) -> None:
    kind = assignments.get("dvc_remote", answers["dvc_remote"])
    if kind not in REMOTE_KINDS:
        raise ProjectError(f"dvc_remote={kind!r} is not a remote kind", f"use {REMOTE_KINDS}")
    if "dvc_remote" in assignments and "dvc_remote_url" not in assignments:
        raise ProjectError(
            "a new dvc_remote needs its dvc_remote_url",
            "give both, e.g. dvc_remote=s3 dvc_remote_url=s3://bucket/path",
        )


def _keep_checkout(checkout: str | None) -> None:
    """cruft records the commit it was pinned to as the checkout; keep the project's own."""
    state = json.loads(CRUFT_STATE.read_text(encoding="utf-8"))
    state["checkout"] = checkout
    text = json.dumps(state, ensure_ascii=False, indent=2, separators=(",", ": "))
    CRUFT_STATE.write_text(text + "\n", encoding="utf-8")


def _point_dvc_remote(kind: str, url: str) -> None:
    code, output = run_dvc("remote", "modify", DVC_REMOTE, "url", remote_location(kind, url))
    if code != 0:
        raise ProjectError(
            f"the files changed, but `dvc remote modify` failed: {first_error_line(output)}",
            f"run `dvc remote modify {DVC_REMOTE} url {url}` yourself",
        )
