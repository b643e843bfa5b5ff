"""upload-artifact stand-in: copy matching files to $STANDIN_RECORDS/artifacts/<run id>/<name>/.

Paths are kept relative to the workspace (the real action strips their common folder).
Standard library only.
"""

import glob
import os
import shutil
import sys
from pathlib import Path


def fail(message):
    print(f"::error title=upload-artifact stand-in::{message}")
    sys.exit(1)


def hidden(relative):
    return any(part.startswith(".") for part in Path(relative).parts)


def matches(workspace, patterns, include_hidden):
    chosen = set()
    for pattern in patterns:
        exclude = pattern.startswith("!")
        pattern = pattern[1:] if exclude else pattern
        found = set()
        for hit in glob.glob(str(workspace / pattern), recursive=True):
            hit = Path(hit)
            files = [p for p in hit.rglob("*") if p.is_file()] if hit.is_dir() else [hit]
            found.update(p.relative_to(workspace) for p in files)
        chosen = chosen - found if exclude else chosen | found
    return sorted(p for p in chosen if include_hidden or not hidden(p))


def main():
    records = os.environ.get("STANDIN_RECORDS")
    if not records:
        fail("STANDIN_RECORDS is not set: run workflows through tests/workflows")
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    name = os.environ.get("INPUT_NAME") or "artifact"
    patterns = [line.strip() for line in os.environ.get("INPUT_PATH", "").splitlines()]
    patterns = [line for line in patterns if line]
    files = matches(workspace, patterns, os.environ.get("INPUT_INCLUDE_HIDDEN_FILES") == "true")
    if not files:
        policy = os.environ.get("INPUT_IF_NO_FILES_FOUND", "warn")
        message = f"No files were found with the provided path: {' '.join(patterns)}."
        if policy == "error":
            fail(message)
        if policy == "warn":
            print(f"::warning::{message} No artifacts will be uploaded.")
        return
    run_id = os.environ.get("GITHUB_RUN_ID", "1")
    root = Path(records) / "artifacts" / run_id
    target = root / name
    if target.exists():
        if os.environ.get("INPUT_OVERWRITE") != "true":
            fail(f"an artifact named {name!r} already exists (set overwrite: true to replace it)")
        shutil.rmtree(target)
    for relative in files:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / relative, target / relative)
    number = len([p for p in root.iterdir() if p.is_dir()])
    repository = os.environ.get("GITHUB_REPOSITORY", "owner/repo")
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
        handle.write(f"artifact-id={number}\n")
        handle.write(
            f"artifact-url=https://github.com/{repository}/actions/runs/{run_id}/artifacts/{number}\n"
        )
    print(f"Artifact {name!r}: {len(files)} file(s) kept in {target}")


if __name__ == "__main__":
    main()
