"""git, run as a process: the repository's commits, tags and the shared origin."""

import base64
import logging
import os
import subprocess
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ProjectError

ORIGIN = "origin"
LOGGER = logging.getLogger(__name__)
GitResult = subprocess.CompletedProcess[str]


def run_git(
    *args: str, cwd: str | Path = ".", env: Mapping[str, str] | None = None, check: bool = True
) -> GitResult:
    """`git <args>` in `cwd`; the CompletedProcess, or a ProjectError naming the command."""
    started = time.perf_counter()
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    LOGGER.debug(
        "`git %s`: exit %d in %.2f s",
        " ".join(args),
        result.returncode,
        time.perf_counter() - started,
    )
    if check and result.returncode != 0:
        raise ProjectError(
            f"`git {' '.join(args)}` failed: {result.stderr.strip()}",
            "run it in the project's git repository (with its `origin` remote reachable)",
        )
    return result


def head_commit(cwd: str | Path = ".") -> str | None:
    """HEAD's commit, or None outside git or before the first commit."""
    try:
        result = run_git("rev-parse", "--verify", "--quiet", "HEAD", cwd=cwd, check=False)
    except OSError:
        return None
    return result.stdout.strip() or None


def show_file(commit: str, path: str, cwd: str | Path = ".") -> str | None:
    """A file's text at `commit`, or None when the commit has no such file."""
    result = run_git("show", f"{commit}:{path}", cwd=cwd, check=False)
    return result.stdout if result.returncode == 0 else None


@dataclass(frozen=True)
class AnnotatedTag:
    """An annotated tag as GTO reads it: the object it points to, its tagger, time and text."""

    name: str
    target: str
    tagger_name: str
    tag_datetime: datetime
    message: str


# One record per tag, NUL-separated fields; the message may hold newlines but never a NUL.
TAG_FIELDS = ("refname:strip=2", "objecttype", "object", "taggername", "taggerdate:raw", "contents")
TAG_FORMAT = "%00".join([*(f"%({name})" for name in TAG_FIELDS), "", ""])


def annotated_tags(patterns: Iterable[str], cwd: str | Path = ".") -> list[AnnotatedTag]:
    """The annotated tags matching `patterns` (lightweight ones left out), read by one
    `git for-each-ref`: thousands of tags cost one process, not one per tag."""
    refs = [f"refs/tags/{pattern}" for pattern in patterns]
    output = run_git("for-each-ref", f"--format={TAG_FORMAT}", *refs, cwd=cwd).stdout
    tags = []
    for record in output.split("\0\0\n"):
        fields = record.split("\0")
        if len(fields) != 6 or fields[1] != "tag":
            continue
        name, _, target, tagger, raw_date, message = fields
        seconds, offset = raw_date.split()
        sign = -1 if offset.startswith("-") else 1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        when = datetime.fromtimestamp(int(seconds), tz=zone)
        tags.append(AnnotatedTag(name, target, tagger, when, message))
    return tags


def show_files(specs: Iterable[str], cwd: str | Path = ".") -> dict[str, str | None]:
    """{"<commit>:<path>": text or None when missing} for many files from one
    `git cat-file --batch`: a file per version costs no process per version."""
    specs = list(dict.fromkeys(specs))
    if not specs:
        return {}
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=cwd,
        input=("\n".join(specs) + "\n").encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise ProjectError(
            f"`git cat-file --batch` failed: {result.stderr.decode(errors='replace').strip()}",
            "run it in the project's git repository",
        )
    output, position = result.stdout, 0
    found: dict[str, str | None] = {}
    for spec in specs:
        end = output.index(b"\n", position)
        header = output[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[spec] = output[position : position + size].decode("utf-8", errors="replace")
            position += size + 1
        elif len(header) == 3:  # a tree or commit: skip its content
            position += int(header[2]) + 1
            found[spec] = None
        else:
            found[spec] = None  # "<spec> missing"
    return found


def changed_files(cwd: str | Path = ".") -> list[str]:
    """Paths `git status` lists as changed or untracked (every untracked file, not folders)."""
    status = run_git("status", "--porcelain", "--untracked-files=all", cwd=cwd).stdout
    return [line[3:].strip().strip('"') for line in status.splitlines()]


def remote_env(url: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git talking to `url`.

    With a token (REPO_TOKEN, else GITHUB_TOKEN) and an https URL, git gets an Authorization
    header through GIT_CONFIG_* variables, as actions/checkout would set it: the token never
    appears in a command line, a URL or an error message.
    """
    env = dict(os.environ if environ is None else environ)
    token = env.get("REPO_TOKEN") or env.get("GITHUB_TOKEN")
    parts = urlsplit(url)
    if not token or parts.scheme != "https":
        return env
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    index = int(env.get("GIT_CONFIG_COUNT", "0"))
    env.update(
        {
            "GIT_CONFIG_COUNT": str(index + 1),
            f"GIT_CONFIG_KEY_{index}": f"http.https://{parts.hostname}/.extraheader",
            f"GIT_CONFIG_VALUE_{index}": f"AUTHORIZATION: basic {credentials}",
        }
    )
    return env


def tagger(environ: Mapping[str, str] | None = None, root: str | Path = ".") -> tuple[str, str]:
    """(name, email) recorded on tags: the workflow's actor in CI, else git's identity."""
    environ = os.environ if environ is None else environ
    actor = environ.get("GITHUB_ACTOR")
    if actor:
        return actor, f"{actor}@users.noreply.github.com"
    name, email = (
        run_git("config", key, cwd=root, check=False).stdout.strip()
        for key in ("user.name", "user.email")
    )
    if name and email:
        return name, email
    raise ProjectError(
        "no identity to record on the registry tags (git's user.name or user.email is unset)",
        'run `git config user.name "Your Name"` and `git config user.email you@example.com`',
    )


def index_entries(paths: Iterable[str | Path], cwd: str | Path = ".") -> dict[str, str]:
    """{path: "mode,blob"} of the paths as git's index holds them ({} outside git)."""
    result = run_git("ls-files", "--stage", "-z", "--", *map(str, paths), cwd=cwd, check=False)
    entries = {}
    for record in filter(None, result.stdout.split("\0")):
        meta, path = record.split("\t", 1)
        mode, blob, _stage = meta.split()
        entries[path] = f"{mode},{blob}"
    return entries


def restore_index(
    before: Mapping[str, str], paths: Collection[str | Path], cwd: str | Path = "."
) -> None:
    """Put the index entries of `paths` back as `before` (index_entries) recorded them: what
    DVC's autostage staged since is unstaged again."""
    now = index_entries(paths, cwd)
    for path in map(str, paths):
        if now.get(path) == before.get(path):
            continue
        if path in before:
            run_git("update-index", "--cacheinfo", f"{before[path]},{path}", cwd=cwd)
        else:
            run_git("rm", "--cached", "--quiet", "--", path, cwd=cwd)
