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
- A tag counts once it is on origin: a failed push removes the local tags it made, a re-run
  pushes a version tag origin lacks, and stage tags that never reached origin are dropped
  before new ones are numbered. Local mode (`push=False`, or no origin) says so.
"""

import logging
from pathlib import Path

from ..edge.git import ORIGIN, GitResult, remote_env, run_git, tagger
from ..errors import ProjectError
from .tags import (
    Outcome,
    StageEvent,
    Tags,
    Version,
    configured_stages,
    model_name,
    newer,
    normalize_version,
    read_tags,
    run_link,
    version_key,
)

LOGGER = logging.getLogger(__name__)
PUSH_ATTEMPTS = 3
LOCAL_ONLY = "local only, not pushed"
Holder = Version | None  # the version a stage is assigned to, if any


class Registry:
    """The model's versions and stages in the git repository at `root`, shared via `remote`."""

    def __init__(self, root: str | Path = ".", model: str | None = None, remote: str = ORIGIN):
        self.root = Path(root)
        self.model = model or model_name(self.root / "dvc.yaml")
        self.remote = remote

    # --- git -------------------------------------------------------------------------------
    def git(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> GitResult:
        return run_git(*args, cwd=self.root, env=env, check=check)

    def remote_url(self) -> str | None:
        result = self.git("remote", "get-url", self.remote, check=False)
        return result.stdout.strip() if result.returncode == 0 else None

    def remote_git(self, *args: str, check: bool = True) -> GitResult:
        """A git command that talks to the remote, authenticated from the environment."""
        return self.git(*args, check=check, env=remote_env(self.remote_url() or ""))

    def fetch_tags(self) -> bool:
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

    def remote_tags(self) -> set[str]:
        """The names of this model's tags on origin (`git ls-remote`, no cache involved)."""
        result = self.remote_git("ls-remote", "--tags", "--refs", self.remote, check=False)
        if result.returncode != 0:
            raise ProjectError(
                f"could not list the tags on {self.remote}: {result.stderr.strip()}",
                "check the network and that the token (REPO_TOKEN or GITHUB_TOKEN) may read it",
            )
        names = (line.split("refs/tags/", 1)[-1] for line in result.stdout.splitlines())
        return {name for name in names if self._is_model_tag(name)}

    def local_tags(self) -> set[str]:
        listed = self.git("tag", "--list", f"{self.model}@*", f"{self.model}#*").stdout
        return {name for name in listed.split() if self._is_model_tag(name)}

    def _is_model_tag(self, name: str) -> bool:
        return name.startswith((f"{self.model}@", f"{self.model}#"))

    def local_only(self) -> list[str]:
        """This model's tags that are here but not on origin, sorted."""
        return sorted(self.local_tags() - self.remote_tags())

    def sync(self, prune: bool = False) -> list[str]:
        """Fetch origin's tags, then compare for real: (tags only here, pruned?)."""
        if not self.fetch_tags():
            raise ProjectError(
                f"this repository has no `{self.remote}` remote: the registry is local only",
                f"add it: `git remote add {self.remote} <url>`",
            )
        only_here = self.local_only()
        if prune:
            self.delete_local(only_here)
        return only_here

    def pushing(self, push: bool) -> bool:
        """Whether a change is pushed: asked for and an origin exists (else local mode)."""
        return push and self.remote_url() is not None

    def _drop_unpushed_stage_tags(self) -> None:
        """Stage tags that never reached origin do not count: their numbers were taken
        against another state of origin, so they are removed before new ones are made."""
        stale = [tag for tag in self.local_only() if "#" in tag]
        if stale:
            self.delete_local(stale)
            LOGGER.warning("dropped stage tags not on %s: %s", self.remote, ", ".join(stale))

    def resolve(self, rev: str) -> str:
        result = self.git("rev-parse", "--verify", "--quiet", rev + "^{commit}", check=False)
        if result.returncode != 0:
            raise ProjectError(f"{rev!r} is not a commit here", "give a commit, branch or tag")
        return result.stdout.strip()

    def push(self, tags: list[str], keep_on_failure: bool = False) -> bool:
        """Push `tags` all together. True when origin took them; False when it rejected them
        because another promotion took those names first. Any other failure removes the local
        tags (unless they existed before this command) and raises: a tag that did not reach
        origin must not count."""
        refs = [f"refs/tags/{tag}" for tag in tags]
        result = self.remote_git("push", "--atomic", "--quiet", self.remote, *refs, check=False)
        if result.returncode == 0:
            return True
        if not keep_on_failure:
            self.delete_local(tags)
        if "rejected" in result.stderr or "already exists" in result.stderr:
            return False
        raise ProjectError(
            f"could not push {', '.join(tags)} to {self.remote}: {result.stderr.strip()}"
            + ("" if keep_on_failure else "; the local tags were removed, as origin lacks them"),
            "check the network and that the token (REPO_TOKEN or GITHUB_TOKEN) may push tags, "
            "then run the same command again",
        )

    def delete_local(self, tags: list[str]) -> None:
        for tag in tags:
            self.git("tag", "--delete", tag, check=False)

    # --- reading ---------------------------------------------------------------------------
    def versions(self, tags: Tags | None = None) -> list[Version]:
        """Registered versions (deregistered ones left out), newest version first; from `tags`
        when the caller has read them already."""
        from gto.constants import Action

        registered, deregistered = {}, set()
        for parsed, tag in read_tags(self.root, self.model) if tags is None else tags:
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

    def find_version(self, version: str) -> Version | None:
        version = normalize_version(version)
        return next((v for v in self.versions() if v.version == version), None)

    def latest(self) -> Version | None:
        return next(iter(self.versions()), None)

    def snapshot(self) -> tuple[list[Version], list[StageEvent]]:
        """The versions and the stage events from one reading of the tags."""
        tags = read_tags(self.root, self.model)
        versions = self.versions(tags)
        return versions, self.stage_events(tags, versions)

    def stage_events(
        self, tags: Tags | None = None, known: list[Version] | None = None
    ) -> list[StageEvent]:
        """Every assignment and unassignment, in the order they were made."""
        from gto.constants import Action

        tags = read_tags(self.root, self.model) if tags is None else tags
        names = {v.commit: v.version for v in (known or self.versions(tags))}
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
            for parsed, tag in tags
            if parsed.get("action") in (Action.ASSIGN, Action.UNASSIGN)
        ]
        return sorted(events, key=lambda e: (e.number, e.created_at))

    def current(self, stage: str | None) -> Holder:
        """The version holding `stage` (its latest assignment not undone since), or None."""
        active: dict[str, int] = {}
        for event in self.stage_events():
            if event.stage != stage:
                continue
            if event.assigned:
                active[event.version] = event.number
            else:
                active.pop(event.version, None)
        if not active:
            return None
        version = max(active, key=active.__getitem__)
        found = next((v for v in self.versions() if v.version == version), None)
        if found is None:  # assigned by hand to a commit that was never released
            event = next(e for e in reversed(self.stage_events()) if e.version == version)
            found = Version(
                self.model, version, event.commit, event.tag, event.created_at, event.author, ""
            )
        return found

    def was_assigned(self, version: str, stage: str) -> bool:
        return any(
            e.assigned and e.version == version and e.stage == stage for e in self.stage_events()
        )

    # --- writing ---------------------------------------------------------------------------
    def check_stage(self, stage: str | None) -> str | None:
        stages = configured_stages(self.root)
        if stage not in stages:
            raise ProjectError(
                f"stage {stage!r} is not one of this registry's stages ({', '.join(stages)})",
                "use one of them, or add it to `stages:` in .gto",
            )
        return stage

    def create_version(
        self, version: str, rev: str = "HEAD", message: str = "", push: bool = True
    ) -> Outcome:
        """Tag `rev` as `version` and push it; an identical tag is reported, never duplicated,
        and pushed when origin lacks it (a re-run after a failed push)."""
        version, pushing = normalize_version(version), self.pushing(push)
        if pushing:
            self.fetch_tags()
        commit = self.resolve(rev)
        existing, tag = self.find_version(version), f"{self.model}@{version}"
        if existing is not None:
            if existing.commit != commit:
                raise ProjectError(
                    f"{tag} already exists at commit {existing.commit[:7]}, not {commit[:7]}",
                    "a released version never moves: release this commit as the next version",
                )
            if pushing and tag not in self.remote_tags():
                self.push([tag], keep_on_failure=True)
                return Outcome((tag,), f"pushed {tag} (at {commit[:7]}), which origin lacked")
            return Outcome((), f"{tag} already exists at {commit[:7]}: nothing to do")
        released = [v for v in self.versions() if v.commit == commit]
        if released:
            raise ProjectError(
                f"commit {commit[:7]} is already released as {released[0].tag}",
                "a commit is released once; promote that version instead",
            )
        created = self._version_tag(version, commit, message)
        if pushing and not self.push([created]):
            self.fetch_tags()
            again = self.find_version(version)
            if again is not None and again.commit == commit:
                return Outcome((), f"{tag} was created meanwhile at {commit[:7]}: nothing to do")
            raise ProjectError(
                f"{tag} was created at another commit while this one was being tagged",
                "release this commit as the next version",
            )
        return Outcome((created,), f"created {created} at {commit[:7]}{self._mode(pushing)}")

    def _version_tag(self, version: str, commit: str, message: str) -> str:
        from gto import api

        name, email = tagger(root=self.root)
        return api.register(
            str(self.root),
            self.model,
            commit,
            version=version,
            message=(message or f"Release {self.model} {version}") + run_link(),
            author=name,
            author_email=email,
        ).tag

    def _mode(self, pushing: bool) -> str:
        if pushing:
            return f" and pushed it to {self.remote}"
        reason = "no `origin` remote" if self.remote_url() is None else "--no-push"
        return f" ({LOCAL_ONLY}: {reason})"

    def assign(
        self, version: str, stage: str, message: str = "", push: bool = True, once: bool = False
    ) -> Outcome:
        """Give `version` the `stage`, unassigning the version that held it.

        A version already in the stage is left alone. With `once` (the release workflow), a
        version that held the stage before, or older than the one holding it now, is left
        alone too: moving a stage back is a deliberate rollback (`promote`), never a re-run.
        """
        version, pushing = normalize_version(version), self.pushing(push)
        self.check_stage(stage)
        for _ in range(PUSH_ATTEMPTS):
            if pushing:
                self.fetch_tags()
                self._drop_unpushed_stage_tags()
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
            if not pushing or self.push(created):
                done = f"{stage} is now {version} ({', '.join(created)})"
                return Outcome(tuple(created), done + self._mode(pushing))
            LOGGER.info(f"another promotion pushed {stage} tags first; retrying on origin's tags")
        raise ProjectError(
            f"could not assign {stage} to {version}: {PUSH_ATTEMPTS} pushes were rejected",
            "another promotion kept winning; run this again once it has finished",
        )

    def _reason_to_skip(self, target: Version, holder: Holder, stage: str, once: bool) -> str:
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

    def _stage_tags(self, target: Version, holder: Holder, stage: str, message: str) -> list[str]:
        """Create (locally) the unassignment of `holder` and the assignment of `target`."""
        from gto import api

        name, email = tagger(root=self.root)
        replaces = f" (replacing {holder.version})" if holder else ""
        note = (
            message or f"Promote {self.model} {target.version} to {stage}{replaces}"
        ) + run_link()
        created: list[str] = []
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
