"""What the registry holds, for people: the current state and the whole history."""

from typing import TYPE_CHECKING, Any

from .tags import configured_stages

if TYPE_CHECKING:
    from .registry import Registry


def history(registry: "Registry") -> list[dict[str, Any]]:
    """Registrations and stage events, oldest first: who did what, when, why (the tag
    message's first line), at which commit."""
    rows: list[dict[str, Any]] = [
        {
            "when": v.created_at.isoformat(),
            "event": "registration",
            "version": v.version,
            "stage": "",
            "commit": v.commit,
            "by": v.author,
            "why": v.message.splitlines()[0] if v.message else "",
            "tag": v.tag,
            "order": (v.created_at, -1),
        }
        for v in registry.versions()
    ]
    rows += [
        {
            "when": e.created_at.isoformat(),
            "event": "assignment" if e.assigned else "unassignment",
            "version": e.version,
            "stage": e.stage,
            "commit": e.commit,
            "by": e.author,
            "why": e.message.splitlines()[0] if e.message else "",
            "tag": e.tag,
            "order": (e.created_at, e.number),
        }
        for e in registry.stage_events()
    ]
    rows.sort(key=lambda row: row.pop("order"))
    return rows


def show(registry: "Registry") -> dict[str, Any]:
    """{"model", "latest", "stages": {stage: version or None}, "versions": [...]}."""
    stages = configured_stages(registry.root)
    latest = registry.latest()
    return {
        "model": registry.model,
        "latest": latest.version if latest else None,
        "stages": {
            stage: (found.version if (found := registry.current(stage)) else None)
            for stage in stages
        },
        "versions": [
            {"version": v.version, "commit": v.commit, "created_at": v.created_at.isoformat()}
            for v in registry.versions()
        ],
    }
