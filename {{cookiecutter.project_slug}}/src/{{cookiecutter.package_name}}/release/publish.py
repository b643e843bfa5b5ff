"""The GitHub Release of a version, with its bundle's files as assets (through `gh`)."""

import json
import logging
from pathlib import Path

from ..edge.github import run_gh
from ..errors import ProjectError
from .tags import Version

LOGGER = logging.getLogger(__name__)

FIX = "set GH_TOKEN to a token that may write releases (contents: write)"


def publish(version: Version, bundle: str | Path) -> bool:
    """Create the GitHub Release with the bundle's files; an existing one only gets the files
    it lacks (nothing is replaced)."""
    files = sorted(p for p in Path(bundle).iterdir() if p.is_file())
    if not files:
        raise ProjectError(f"{bundle} is empty", "run `release bundle` first")
    existing = run_gh(["release", "view", version.tag, "--json", "assets"], FIX, check=False)
    if existing.returncode == 0:
        present = {asset["name"] for asset in json.loads(existing.stdout)["assets"]}
        missing = [p for p in files if p.name not in present]
        if missing:
            run_gh(["release", "upload", version.tag, *map(str, missing)], FIX)
        LOGGER.info(
            f"the release {version.tag} exists: "
            + (f"added {', '.join(p.name for p in missing)}" if missing else "nothing to do")
        )
        return False
    notes = Path(bundle) / "model_card.md"
    run_gh(
        [
            "release",
            "create",
            version.tag,
            *map(str, files),
            "--verify-tag",
            "--title",
            f"{version.model} {version.version}",
            "--notes-file",
            str(notes),
        ],
        FIX,
    )
    LOGGER.info(f"published the release {version.tag} with {len(files)} files")
    return True
