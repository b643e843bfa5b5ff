"""The model registry is git itself: GTO's tags, read and written against the shared origin.

- `<model>@vX.Y.Z` (an annotated tag) registers a released version at a commit.
- `<model>#<stage>#N` assigns a stage to the version at that commit, `<model>#<stage>!#N`
  unassigns it; N counts the model's tags, so it orders them.

`gto show`, `gto history` and `dvc artifacts get --stage` read the same tags. GTO parses and
writes them here; this module covers where GTO alone falls short in a shared repository:

- GTO numbers a stage tag from the *local* tags, so tags are fetched from origin first, and a
  push rejected because another promotion took that number is retried after a fresh fetch.
- GTO orders events by tag time, in whole seconds; the counter N is used here instead, so
  events made within one second still replay in the order they were made.
- Promoting a version unassigns the one it replaces, so GTO's default view (the highest version
  holding an active assignment) agrees with "the last assignment wins" after a rollback.
- Nothing is created twice: a version tag or stage assignment that exists is reported and
  skipped, never duplicated or moved.
"""

import base64
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from . import config
from .errors import ProjectError

DEFAULT_STAGES = ("staging", "production")
GTO_CONFIG = ".gto"
DVC_YAML = "dvc.yaml"
REMOTE = "origin"
PUSH_ATTEMPTS = 3
# What `fetch` writes: {file name in the output folder: path in the repository}; the model's
# own path comes from dvc.yaml's `artifacts:`.
FETCHED_FILES = {"profile.json": config.PROFILE, "metrics.json": config.METRICS}


class NoVersionInStage(ProjectError):
    """No version of the model holds the stage yet."""

    exit_code = 3


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

    created: tuple
    message: str


def model_name(dvc_yaml=DVC_YAML):
    """The name of the one artifact of type `model` in dvc.yaml (the tags' prefix)."""
    return model_artifact(dvc_yaml)[0]


def model_artifact(dvc_yaml=DVC_YAML):
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


def configured_stages(root="."):
    """The stages GTO's config file (.gto) allows; GTO's own reader parses it."""
    from gto.config import read_registry_config
    from gto.exceptions import WrongConfig

    path = Path(root) / GTO_CONFIG
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


def normalize_version(text):
    """A version as GTO writes it ("v1.2.0" from "1.2.0" or "v1.2.0"); else an error."""
    from gto.versions import SemVer

    candidate = str(text).strip()
    candidate = candidate if candidate.startswith("v") else f"v{candidate}"
    if not SemVer.is_valid(candidate):
        raise ProjectError(
            f"{text!r} is not a version", "give MAJOR.MINOR.PATCH with a leading v, e.g. v1.2.0"
        )
    return candidate


def version_key(version):
    """Sort key of a "vX.Y.Z" version (semantic, not alphabetical)."""
    from gto.versions import SemVer

    return SemVer.parse(version)


def newer(version, than):
    return version_key(version) > version_key(than)


def tagger(environ=None, root="."):
    """(name, email) recorded on the tags: the workflow's actor in CI, else git's identity."""
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


def run_link(environ=None):
    """The workflow run doing this, for the tag message; "" outside GitHub Actions."""
    environ = os.environ if environ is None else environ
    parts = [
        environ.get(key) for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    ]
    if not all(parts):
        return ""
    server, repository, run_id = parts
    return f"\n\nWorkflow run: {server}/{repository}/actions/runs/{run_id}"


def remote_env(url, environ=None):
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


def run_git(*args, cwd=".", env=None, check=True):
    result = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise ProjectError(
            f"`git {' '.join(args)}` failed: {result.stderr.strip()}",
            "run it in the project's git repository (with its `origin` remote reachable)",
        )
    return result


class Registry:
    """The model's versions and stages in the git repository at `root`, shared via `remote`."""

    def __init__(self, root=".", model=None, remote=REMOTE):
        self.root = Path(root)
        self.model = model or model_name(self.root / DVC_YAML)
        self.remote = remote

    # --- git -------------------------------------------------------------------------------
    def git(self, *args, check=True, env=None):
        return run_git(*args, cwd=self.root, env=env, check=check)

    def remote_url(self):
        result = self.git("remote", "get-url", self.remote, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def remote_git(self, *args, check=True):
        """A git command that talks to the remote, authenticated from the environment."""
        return self.git(*args, check=check, env=remote_env(self.remote_url() or ""))

    def fetch_tags(self):
        """Make the local tags match origin's (GTO counts from them); False without a remote."""
        if self.remote_url() is None:
            return False
        result = self.remote_git(
            "fetch", "--quiet", "--no-tags", self.remote, "+refs/tags/*:refs/tags/*", check=False
        )
        if result.returncode != 0:
            raise ProjectError(
                f"could not fetch the registry's tags from {self.remote}: {result.stderr.strip()}",
                "check the network and that the token (REPO_TOKEN or GITHUB_TOKEN) may read it",
            )
        return True

    def resolve(self, rev):
        result = self.git("rev-parse", "--verify", "--quiet", rev + "^{commit}", check=False)
        if result.returncode != 0:
            raise ProjectError(f"{rev!r} is not a commit here", "give a commit, branch or tag")
        return result.stdout.strip()

    def push(self, tags):
        """Push `tags` to the remote all together; False when the remote rejected them (another
        promotion created a tag of the same name first)."""
        refs = [f"refs/tags/{tag}" for tag in tags]
        result = self.remote_git("push", "--atomic", "--quiet", self.remote, *refs, check=False)
        if result.returncode == 0:
            return True
        if "rejected" in result.stderr or "already exists" in result.stderr:
            return False
        raise ProjectError(
            f"could not push {', '.join(tags)} to {self.remote}: {result.stderr.strip()}",
            "check the network and that the token (REPO_TOKEN or GITHUB_TOKEN) may push tags",
        )

    def delete_local(self, tags):
        for tag in tags:
            self.git("tag", "--delete", tag, check=False)

    # --- reading ---------------------------------------------------------------------------
    def _tags(self):
        """[(parsed name, GitTag)] of the model's annotated tags (GTO ignores lightweight ones)."""
        from gto.tag import find, parse_name
        from scmrepo.git import Git

        scm = Git(str(self.root))
        try:
            return [(parse_name(tag.name), tag) for tag in find(name=self.model, scm=scm)]
        finally:
            scm.close()

    def versions(self):
        """Registered versions (deregistered ones left out), newest version first."""
        from gto.constants import Action

        registered, deregistered = {}, set()
        for parsed, tag in self._tags():
            if parsed.get("action") == Action.DEREGISTER:
                deregistered.add(parsed["version"])
            if parsed.get("action") != Action.REGISTER:
                continue
            registered[parsed["version"]] = Version(
                self.model,
                parsed["version"],
                tag.target,
                tag.name,
                tag.tag_datetime,
                tag.tagger_name,
                tag.message.strip(),
            )
        active = [v for name, v in registered.items() if name not in deregistered]
        return sorted(active, key=lambda v: version_key(v.version), reverse=True)

    def find_version(self, version):
        version = normalize_version(version)
        return next((v for v in self.versions() if v.version == version), None)

    def latest(self):
        versions = self.versions()
        return versions[0] if versions else None

    def stage_events(self):
        """Every assignment and unassignment, in the order they were made."""
        from gto.constants import Action

        names = {v.commit: v.version for v in self.versions()}
        events = [
            StageEvent(
                parsed.get("counter", 0),
                parsed["action"] == Action.ASSIGN,
                parsed["stage"],
                names.get(tag.target, tag.target),
                tag.target,
                tag.name,
                tag.tag_datetime,
                tag.tagger_name,
                tag.message.strip(),
            )
            for parsed, tag in self._tags()
            if parsed.get("action") in (Action.ASSIGN, Action.UNASSIGN)
        ]
        return sorted(events, key=lambda e: (e.number, e.created_at))

    def current(self, stage):
        """The version holding `stage` (its latest assignment not undone since), or None."""
        active = {}
        for event in self.stage_events():
            if event.stage != stage:
                continue
            if event.assigned:
                active[event.version] = event.number
            else:
                active.pop(event.version, None)
        if not active:
            return None
        version = max(active, key=active.get)
        found = next((v for v in self.versions() if v.version == version), None)
        if found is None:  # assigned by hand to a commit that was never released
            event = next(e for e in reversed(self.stage_events()) if e.version == version)
            found = Version(
                self.model, version, event.commit, event.tag, event.created_at, event.author, ""
            )
        return found

    def was_assigned(self, version, stage):
        return any(
            e.assigned and e.version == version and e.stage == stage for e in self.stage_events()
        )

    def history(self):
        """Registrations and stage events, oldest first: who did what, when, why (the tag
        message's first line), at which commit."""
        rows = [
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
            for v in self.versions()
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
            for e in self.stage_events()
        ]
        rows.sort(key=lambda row: row.pop("order"))
        return rows

    def show(self):
        """{"model", "latest", "stages": {stage: version or None}, "versions": [...]}."""
        stages = configured_stages(self.root)
        latest = self.latest()
        return {
            "model": self.model,
            "latest": latest.version if latest else None,
            "stages": {
                stage: (found.version if (found := self.current(stage)) else None)
                for stage in stages
            },
            "versions": [
                {"version": v.version, "commit": v.commit, "created_at": v.created_at.isoformat()}
                for v in self.versions()
            ],
        }

    # --- writing ---------------------------------------------------------------------------
    def check_stage(self, stage):
        stages = configured_stages(self.root)
        if stage not in stages:
            raise ProjectError(
                f"stage {stage!r} is not one of this registry's stages ({', '.join(stages)})",
                f"use one of them, or add it to `stages:` in {GTO_CONFIG}",
            )
        return stage

    def create_version(self, version, rev="HEAD", message="", push=True):
        """Tag `rev` as `version`; an identical existing tag is reported, never duplicated."""
        from gto import api

        version = normalize_version(version)
        if push:
            self.fetch_tags()
        commit = self.resolve(rev)
        existing = self.find_version(version)
        tag = f"{self.model}@{version}"
        if existing is not None:
            if existing.commit == commit:
                return Outcome((), f"{tag} already exists at {commit[:7]}: nothing to do")
            raise ProjectError(
                f"{tag} already exists at commit {existing.commit[:7]}, not {commit[:7]}",
                "a released version never moves: release this commit as the next version",
            )
        released = [v for v in self.versions() if v.commit == commit]
        if released:
            raise ProjectError(
                f"commit {commit[:7]} is already released as {released[0].tag}",
                "a commit is released once; promote that version instead",
            )
        name, email = tagger(root=self.root)
        event = api.register(
            str(self.root),
            self.model,
            commit,
            version=version,
            message=(message or f"Release {self.model} {version}") + run_link(),
            author=name,
            author_email=email,
        )
        if push and not self.push([event.tag]):
            self.delete_local([event.tag])
            self.fetch_tags()
            again = self.find_version(version)
            if again is not None and again.commit == commit:
                return Outcome((), f"{tag} was created meanwhile at {commit[:7]}: nothing to do")
            raise ProjectError(
                f"{tag} was created at another commit while this one was being tagged",
                "release this commit as the next version",
            )
        return Outcome((event.tag,), f"created {event.tag} at {commit[:7]}")

    def assign(self, version, stage, message="", push=True, once=False):
        """Give `version` the `stage`, unassigning the version that held it.

        A version already in the stage is left alone. With `once` (the release workflow), a
        version that held the stage before, or older than the one holding it now, is left
        alone too: moving a stage back is a deliberate rollback (`promote`), never a re-run.
        """
        version = normalize_version(version)
        self.check_stage(stage)
        for _ in range(PUSH_ATTEMPTS):
            if push:
                self.fetch_tags()
            target = self.find_version(version)
            if target is None:
                raise ProjectError(
                    f"{self.model} {version} is not released (no tag {self.model}@{version})",
                    "release it first: tag a commit of the default branch with that version",
                )
            holder = self.current(stage)
            skip = self._reason_to_skip(target, holder, stage, once)
            if skip:
                return Outcome((), skip)
            created = self._stage_tags(target, holder, stage, message)
            if not push or self.push(created):
                return Outcome(tuple(created), f"{stage} is now {version} ({', '.join(created)})")
            self.delete_local(created)
            print(f"another promotion pushed {stage} tags first; retrying on origin's tags")
        raise ProjectError(
            f"could not assign {stage} to {version}: {PUSH_ATTEMPTS} pushes were rejected",
            "another promotion kept winning; run this again once it has finished",
        )

    def _reason_to_skip(self, target, holder, stage, once):
        if holder is not None and holder.version == target.version:
            return f"{target.version} is already in {stage}: nothing to do"
        if once and self.was_assigned(target.version, stage):
            return (
                f"{target.version} was in {stage} before (see `registry history`): a release "
                "re-run does not move the stage back; roll back with `promote` instead"
            )
        if once and holder is not None and newer(holder.version, target.version):
            return (
                f"{stage} holds {holder.version}, newer than {target.version}: left as it is; "
                "assign an older version deliberately with `promote`"
            )
        return ""

    def _stage_tags(self, target, holder, stage, message):
        """Create (locally) the unassignment of `holder` and the assignment of `target`."""
        from gto import api

        name, email = tagger(root=self.root)
        replaces = f" (replacing {holder.version})" if holder else ""
        note = (
            message or f"Promote {self.model} {target.version} to {stage}{replaces}"
        ) + run_link()
        created = []
        try:
            if holder is not None:
                event = api.unassign(
                    str(self.root),
                    self.model,
                    stage=stage,
                    version=holder.version,
                    message=f"Unassign {stage} from {holder.version}: {note}",
                    author=name,
                    author_email=email,
                )
                created.append(event.tag)
            event = api.assign(
                str(self.root),
                self.model,
                stage,
                version=target.version,
                message=note,
                force=True,  # the checks above decide, by the counter order, not tag time
                author=name,
                author_email=email,
            )
            created.append(event.tag)
        except Exception:
            self.delete_local(created)
            raise
        return created


def fetch(registry, output_dir, stage=None, version=None, refresh=True):
    """Write the model, its profile and metrics and version.json for `stage` (or `version`)
    into `output_dir`, reading them through DVC from the cache or the configured remote."""
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
    _, model_path = model_artifact(registry.root / DVC_YAML)
    files = {"model.joblib": Path(model_path), **FETCHED_FILES}
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    _get_files(registry.root, target, files, output_dir)
    record = {
        "model": registry.model,
        "version": target.version,
        "stage": stage,
        "commit": target.commit,
        "tag": target.tag,
    }
    (output_dir / "version.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def _get_files(root, target, files, output_dir):
    from dvc.api import DVCFileSystem

    filesystem = DVCFileSystem(str(root), rev=target.commit)
    for name, path in files.items():
        try:
            filesystem.get_file(path.as_posix(), str(output_dir / name))
        except Exception as error:
            if not isinstance(error, FileNotFoundError) and "does not exist" not in str(error):
                raise
            raise ProjectError(
                f"`{path.as_posix()}` of {target.tag} (commit {target.commit[:7]}) is neither in "
                f"the DVC cache nor on the remote ({type(error).__name__}: {error})",
                f"push it from a clone that has it: `git checkout {target.tag} && dvc pull "
                f"--allow-missing && dvc push`, or reproduce it there with `dvc repro`",
            ) from None


def version_record(version):
    """A Version as plain JSON-able data."""
    data = asdict(version)
    data["created_at"] = version.created_at.isoformat()
    return data
