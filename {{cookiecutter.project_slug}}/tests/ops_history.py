"""Synthetic git histories for the operations report: commits, merges and GTO tags at known
times, written by one `git fast-import` (one process however many tags), so a test knows
every figure the report must compute, and the benchmark can build thousands of tags quickly.
"""

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
AUTHOR = "Dev <dev@example.com>"


def at(days: float = 0, hours: float = 0) -> datetime:
    """START plus an offset: the histories' clock."""
    return START + timedelta(days=days, hours=hours)


def dvc_yaml(model: str) -> str:
    return f"artifacts:\n  {model}:\n    path: models/model.joblib\n    type: model\n"


def dvc_lock(metrics_text: str) -> str:
    """A dvc.lock whose evaluate stage records metrics.json's md5, as `dvc repro` writes it."""
    md5 = hashlib.md5(metrics_text.encode()).hexdigest()
    return (
        "schema: '2.0'\nstages:\n  evaluate:\n    cmd: python -m pkg evaluate\n    outs:\n"
        f"    - path: metrics.json\n      hash: md5\n      md5: {md5}\n"
        f"      size: {len(metrics_text)}\n"
    )


@dataclass
class History:
    """A git history to write: call commit/merge/tag in time order, then `write(root)`."""

    model: str
    lines: list[str] = field(default_factory=list)
    marks: int = 0
    main: int | None = None

    def _data(self, text: str) -> None:
        raw = text.encode()
        self.lines.append(f"data {len(raw)}")
        self.lines.append(text)

    def _commit(self, ref: str, when: datetime, message: str, parents: list[int], files: dict):
        self.marks += 1
        stamp = f"{int(when.timestamp())} +0000"
        self.lines += [f"commit {ref}", f"mark :{self.marks}", f"author {AUTHOR} {stamp}"]
        self.lines.append(f"committer {AUTHOR} {stamp}")
        self._data(message)
        if parents:
            self.lines.append(f"from :{parents[0]}")
        self.lines += [f"merge :{parent}" for parent in parents[1:]]
        for path, text in files.items():
            self.lines.append(f"M 100644 inline {path}")
            self._data(text)
        return self.marks

    def commit(self, when: datetime, message: str, metrics: dict | None = None) -> int:
        """A commit on main (the first one writes dvc.yaml); with `metrics`, a reproduced
        model: metrics.json and the dvc.lock recording it."""
        files = {} if self.main else {"dvc.yaml": dvc_yaml(self.model)}
        if metrics is not None:
            text = json.dumps(metrics, indent=2) + "\n"
            files.update({"metrics.json": text, "dvc.lock": dvc_lock(text)})
        parents = [self.main] if self.main else []
        self.main = self._commit("refs/heads/main", when, message, parents, files)
        return self.main

    def merge(
        self, when: datetime, branch: str, metrics: dict | None = None, stale_lock: bool = False
    ) -> int:
        """A pull request: one commit on `branch`, merged into main by a merge commit; with
        `stale_lock`, metrics.json was edited after dvc.lock recorded it."""
        files = {}
        if metrics is not None:
            text = json.dumps(metrics, indent=2) + "\n"
            files = {"metrics.json": text, "dvc.lock": dvc_lock(text + (" " if stale_lock else ""))}
        feature = self._commit(
            f"refs/heads/{branch}", when - timedelta(hours=1), branch, [self.main], files
        )
        message = f"Merge pull request from {branch}"
        self.main = self._commit("refs/heads/main", when, message, [self.main, feature], files)
        return self.main

    def tag(self, name: str, mark: int, when: datetime, message: str = "") -> None:
        """An annotated tag (GTO reads only those) on commit `mark`."""
        self.lines += [f"tag {name}", f"from :{mark}"]
        self.lines.append(f"tagger Bot <bot@example.com> {int(when.timestamp())} +0000")
        self._data(message or name)

    def write(self, root: Path) -> dict[int, str]:
        """Create the repository at `root`, main checked out; returns {mark: commit sha}."""
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "--quiet", "-b", "main", str(root)], check=True)
        stream = "\n".join(self.lines) + "\n"
        marks = root / ".git" / "marks"
        subprocess.run(
            ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
            cwd=root,
            input=stream.encode(),
            check=True,
        )
        subprocess.run(["git", "checkout", "--quiet", "--force", "main"], cwd=root, check=True)
        pairs = (line.split() for line in marks.read_text().splitlines())
        return {int(mark[1:]): sha for mark, sha in pairs}


class Registry:
    """GTO tag names for one model, numbered the way `registry` numbers them."""

    def __init__(self, history: History):
        self.history, self.counter = history, 0
        self.holder: dict[str, tuple[str, int]] = {}

    def version(self, version: str, mark: int, when: datetime) -> None:
        self.history.tag(f"{self.history.model}@{version}", mark, when, f"Release {version}")

    def assign(self, stage: str, version: str, mark: int, when: datetime, why: str = "") -> None:
        """Assign `stage` to the version at `mark`, unassigning the one it replaces."""
        model = self.history.model
        previous = self.holder.get(stage)
        if previous is not None:
            self.counter += 1
            self.history.tag(f"{model}#{stage}!#{self.counter}", previous[1], when, "replaced")
        self.counter += 1
        self.history.tag(f"{model}#{stage}#{self.counter}", mark, when, why or f"{version}")
        self.holder[stage] = (version, mark)
