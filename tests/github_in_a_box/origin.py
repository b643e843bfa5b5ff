"""A bare repository playing GitHub's side of git: push branches and tags, read them back."""

import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed; the message holds the command and its stderr."""


def git(*args, cwd, check=True):
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise GitError(f"`git {' '.join(args)}` in {cwd} failed:\n{result.stderr.strip()}")
    return result


class Origin:
    """`path` is a bare repository; clones name it `origin`, as GitHub would be."""

    def __init__(self, path):
        self.path = Path(path)

    @classmethod
    def create(cls, path, default_branch="main"):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        git(
            "init",
            "--quiet",
            "--bare",
            f"--initial-branch={default_branch}",
            str(path),
            cwd=path.parent,
        )
        return cls(path)

    def connect(self, clone):
        """Point the clone's `origin` remote here."""
        has_origin = git("remote", "get-url", "origin", cwd=clone, check=False).returncode == 0
        git("remote", "set-url" if has_origin else "add", "origin", str(self.path), cwd=clone)

    def push(self, clone, *refspecs, force=False):
        """Push `refspecs` from the clone here (the clone's own remotes are left alone)."""
        git(
            "push", "--quiet", *(["--force"] if force else []), str(self.path), *refspecs, cwd=clone
        )

    def rev(self, ref):
        """The commit `ref` names here, or None."""
        result = git(
            "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=self.path, check=False
        )
        return result.stdout.strip() or None

    def refs(self, prefix):
        lines = git(
            "for-each-ref",
            "--format=%(refname)%09%(objectname)%09%(*objectname)",
            prefix,
            cwd=self.path,
        ).stdout.splitlines()
        found = {}
        for line in lines:
            name, sha, peeled = line.split("\t")
            found[name.removeprefix(prefix)] = peeled or sha
        return found

    def branches(self):
        """{branch: commit}."""
        return self.refs("refs/heads/")

    def tags(self):
        """{tag: commit it points to} (annotated tags peeled)."""
        return self.refs("refs/tags/")

    def tag_message(self, tag):
        return git("tag", "-l", "--format=%(contents)", tag, cwd=self.path).stdout.strip()

    def log(self, ref, *args):
        return git("log", *args, ref, "--", cwd=self.path).stdout

    def update_ref(self, ref, sha):
        git("update-ref", ref, sha, cwd=self.path)

    def clone(self, dest):
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        git("clone", "--quiet", "--no-checkout", str(self.path), str(dest), cwd=Path(dest).parent)
        return Path(dest)

    def checkout(self, dest, sha, branch=None):
        """A fresh clone at `sha`, on `branch` (tracking origin) or detached, like a runner's."""
        clone = self.clone(dest)
        if branch:
            git("checkout", "--quiet", "-B", branch, sha, cwd=clone)
            if branch in self.branches():
                git("branch", "--quiet", f"--set-upstream-to=origin/{branch}", cwd=clone)
        else:
            git("checkout", "--quiet", "--detach", sha, cwd=clone)
        return clone

    def merge_commit(self, number, base, head, scratch):
        """Store refs/pull/N/head and refs/pull/N/merge as GitHub does; return the merge sha.

        `scratch` is an empty folder for the work clone. Raises GitError on conflicts, where
        GitHub would report the pull request as not mergeable.
        """
        base_sha, head_sha = self.rev(base), self.rev(head)
        if base_sha is None or head_sha is None:
            raise GitError(f"pull request {number}: {base!r} or {head!r} is not on origin")
        self.update_ref(f"refs/pull/{number}/head", head_sha)
        clone = self.clone(Path(scratch) / f"merge-{number}")
        git("checkout", "--quiet", "--detach", base_sha, cwd=clone)
        git(
            "-c",
            "user.name=GitHub",
            "-c",
            "user.email=noreply@github.com",
            "merge",
            "--quiet",
            "--no-ff",
            "-m",
            f"Merge {head_sha} into {base_sha}",
            head_sha,
            cwd=clone,
        )
        merge_sha = git("rev-parse", "HEAD", cwd=clone).stdout.strip()
        # Forced: a new push to the pull request replaces its merge commit, as on GitHub.
        git("push", "--quiet", "--force", "origin", f"HEAD:refs/pull/{number}/merge", cwd=clone)
        return merge_sha
