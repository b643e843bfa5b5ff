"""GitHub-in-a-box: a local origin, the recording stand-ins' state and act, for one test.

box = GitHubBox(tmp_path, runner)
box.publish(project)                       # origin gets main (and its tags)
result = box.run(box.push_event(), "ci.yml")
assert result.ok, result.report()
"""

import datetime
import itertools
from pathlib import Path

from . import events
from .origin import Origin, git
from .standins import Records

DEFAULT_SLUG = "acme/customer-churn"


def head_of(event):
    """What GitHub calls a run's head branch when the event has no branch: a pushed tag's name."""
    ref = event.payload.get("ref") or ""
    return ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""


class GitHubBox:
    def __init__(self, root, runner, slug=DEFAULT_SLUG):
        self.root = Path(root)
        self.runner = runner
        self.slug = slug
        self.origin = Origin.create(self.root / "origin.git")
        self.records = Records(self.root / "records")
        self.records.root.mkdir(parents=True, exist_ok=True)
        self._runs = itertools.count(1)
        self._numbers = itertools.count(1)
        self._merges = itertools.count(1)

    # --- git side -------------------------------------------------------------------------
    def publish(self, clone, *refspecs, force=False):
        """Push from the clone to origin (default: its current branch and its tags); the
        clone's config is not touched, so a read-only baked project can be published."""
        if refspecs:
            self.origin.push(clone, *refspecs, force=force)
        else:
            self.origin.push(clone, "HEAD", force=force)
            self.origin.push(clone, "--tags", force=force)
        return git("rev-parse", "HEAD", cwd=clone).stdout.strip()

    def sha(self, ref):
        sha = self.origin.rev(ref)
        if sha is None:
            raise KeyError(f"{ref!r} is not on origin; branches: {sorted(self.origin.branches())}")
        return sha

    # --- events -----------------------------------------------------------------------------
    def push_event(self, branch="main", before=events.ZERO_SHA):
        return events.push(self.slug, branch, self.sha(branch), before=before)

    def tag_event(self, tag):
        return events.push_tag(self.slug, tag, self.sha(f"refs/tags/{tag}"))

    def pull_request_event(self, head, base="main", action="opened", number=None, **details):
        """Open (or update) a pull request of `head` into `base`; refs/pull/N/* are stored."""
        number = number or next(self._numbers)
        scratch = self.root / "scratch" / f"{next(self._merges):03d}"
        merge_sha = self.origin.merge_commit(number, base, head, scratch)
        return events.pull_request(
            self.slug,
            number,
            head_ref=head,
            head_sha=self.sha(head),
            base_ref=base,
            base_sha=self.sha(base),
            merge_sha=merge_sha,
            action=action,
            **details,
        )

    def schedule_event(self, cron, branch="main"):
        return events.schedule(self.slug, cron, self.sha(branch), default_branch=branch)

    def dispatch_event(self, inputs=None, branch="main"):
        return events.workflow_dispatch(self.slug, branch, self.sha(branch), inputs)

    # --- runs -------------------------------------------------------------------------------
    def run(self, event, workflow, job=None, **options):
        """Check out the event's commit fresh from origin and run `workflow` (a file name under
        .github/workflows) for it under act; return the ActResult."""
        run_id = next(self._runs)
        run_dir = self.root / "runs" / f"{run_id:03d}-{event.name}"
        workspace = self.origin.checkout(run_dir / "checkout", event.sha, event.branch)
        workflow_path = workspace / ".github" / "workflows" / workflow
        if not workflow_path.is_file():
            raise FileNotFoundError(f"{workflow} is not in .github/workflows at {event.sha}")
        started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = self.runner.run(
            workspace,
            event,
            workflow_path,
            run_dir=run_dir,
            records=self.records.root,
            repository=self.slug,
            run_id=run_id,
            job=job,
            **options,
        )
        # What `gh run list` shows later: GitHub keeps every run of every workflow.
        self.records.add_run(
            {
                "databaseId": run_id,
                "workflowName": workflow,
                "event": event.name,
                "headBranch": event.branch or head_of(event),
                "headSha": event.sha,
                "status": "completed",
                "conclusion": "success" if result.ok else "failure",
                "createdAt": started,
            }
        )
        return result
