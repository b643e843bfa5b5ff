"""Event payloads as GitHub sends them, trimmed to what workflows read, plus what act needs.

Each builder returns an `Event`: the act event name, the JSON payload, the commit the runner
checks out and, for branch events, the branch it is on. `workflow_dispatch` inputs also go to
act as `--input`.
"""

from dataclasses import dataclass, field

ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class Event:
    name: str
    payload: dict
    sha: str
    branch: str | None = None
    inputs: dict = field(default_factory=dict)

    @property
    def ref(self):
        return self.payload.get("ref") or f"refs/pull/{self.payload['number']}/merge"


def repository(slug, default_branch="main"):
    owner, name = slug.split("/")
    return {
        "full_name": slug,
        "name": name,
        "owner": {"login": owner},
        "default_branch": default_branch,
        "private": True,
        "fork": False,
        "html_url": f"https://github.com/{slug}",
        "clone_url": f"https://github.com/{slug}.git",
    }


def user(login):
    return {"login": login, "type": "User"}


def push(slug, branch, after, before=ZERO_SHA, message="", actor="octocat"):
    """A push of `branch` moving it from `before` to `after`."""
    return Event(
        name="push",
        payload={
            "ref": f"refs/heads/{branch}",
            "before": before,
            "after": after,
            "created": before == ZERO_SHA,
            "deleted": False,
            "forced": False,
            "base_ref": None,
            "head_commit": {"id": after, "message": message},
            "pusher": {"name": actor},
            "sender": user(actor),
            "repository": repository(slug),
        },
        sha=after,
        branch=branch,
    )


def push_tag(slug, tag, sha, actor="octocat"):
    """A push creating tag `tag` at commit `sha`."""
    return Event(
        name="push",
        payload={
            "ref": f"refs/tags/{tag}",
            "before": ZERO_SHA,
            "after": sha,
            "created": True,
            "deleted": False,
            "forced": False,
            "base_ref": None,
            "head_commit": {"id": sha, "message": ""},
            "pusher": {"name": actor},
            "sender": user(actor),
            "repository": repository(slug),
        },
        sha=sha,
    )


def pull_request(
    slug,
    number,
    *,
    head_ref,
    head_sha,
    base_ref,
    base_sha,
    merge_sha,
    action="opened",
    before=None,
    title="Change the model",
    body="",
    author="octocat",
    draft=False,
    head_slug=None,
):
    """`pull_request` with `action` opened or synchronize (which also carries before/after).

    The runner checks out `merge_sha` (refs/pull/N/merge), as GitHub does. `head_slug` names a
    fork the head branch lives in.
    """
    if action not in {"opened", "synchronize", "reopened", "edited", "closed", "labeled"}:
        raise ValueError(f"unsupported pull_request action {action!r}")
    head_repo = repository(head_slug or slug)
    head_repo["fork"] = head_slug is not None and head_slug != slug
    payload = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": title,
            "body": body,
            "state": "open",
            "draft": draft,
            "merged": False,
            "user": user(author),
            "html_url": f"https://github.com/{slug}/pull/{number}",
            "head": {
                "ref": head_ref,
                "sha": head_sha,
                "label": f"{author}:{head_ref}",
                "repo": head_repo,
            },
            "base": {"ref": base_ref, "sha": base_sha, "repo": repository(slug)},
            "merge_commit_sha": merge_sha,
        },
        "sender": user(author),
        "repository": repository(slug),
    }
    if action == "synchronize":
        payload.update(before=before or base_sha, after=head_sha)
    return Event(name="pull_request", payload=payload, sha=merge_sha)


def schedule(slug, cron, sha, default_branch="main"):
    """A scheduled run: always on the default branch's latest commit."""
    return Event(
        name="schedule",
        payload={"schedule": cron, "repository": repository(slug, default_branch)},
        sha=sha,
        branch=default_branch,
    )


def workflow_dispatch(slug, branch, sha, inputs=None, actor="octocat"):
    """A manual run on `branch` with `inputs` (strings, as GitHub delivers them)."""
    inputs = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in (inputs or {}).items()
    }
    return Event(
        name="workflow_dispatch",
        payload={
            "ref": f"refs/heads/{branch}",
            "inputs": inputs,
            "sender": user(actor),
            "repository": repository(slug),
        },
        sha=sha,
        branch=branch,
        inputs=inputs,
    )
