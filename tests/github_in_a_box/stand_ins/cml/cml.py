"""Recording `cml` (CML 0.20 command line): keeps what would be posted, exits 0 like CML.

Each call gets a folder $STANDIN_RECORDS/cml/NNNN/ holding call.json (argv, cwd, parsed
command, options, files, a few GITHUB_* variables), report.md (the markdown file given, if any)
and images/ (local images the report links, as CML would upload them). Standard library only.

`comment create|update` also keeps the comments per target in $STANDIN_RECORDS/cml-comments.json
({"pr/N" or "commit/SHA": [{"id", "body", "updates"}]}): `update` rewrites the target's last
comment in place and creates one only when there is none, as CML does with its watermark.

`pr create` does what CML does with git: commits the given paths to a new branch (--branch, or
cml-pr-<short sha>) and pushes it to the checkout's `origin`; call.json records the branch and
its commit, so a test can open the pull request event for it.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Options that take a value when written `--name value` (CML also accepts `--name=value`).
VALUE_OPTIONS = {
    "target",
    "watermark-title",
    "branch",
    "title",
    "body",
    "message",
    "remote",
    "user-email",
    "user-name",
    "repo",
    "token",
    "driver",
    "label",
    "md",
    "commit-sha",
    "head-sha",
    "conclusion",
    "status",
    "cloud",
    "cloud-region",
    "cloud-type",
    "labels",
    "idle-timeout",
    "name",
    "url",
}
IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CONTEXT = ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF", "GITHUB_EVENT_NAME", "GITHUB_TOKEN")


def parse(argv):
    command, options, files = [], {}, []
    tokens = iter(argv)
    for token in tokens:
        if token.startswith("--"):
            name, equals, value = token[2:].partition("=")
            if not equals:
                value = next(tokens, "") if name in VALUE_OPTIONS else True
            options.setdefault(name, []).append(value)
        elif token.startswith("-") and len(token) > 1:
            options.setdefault(token[1:], []).append(True)
        elif len(command) < 2 and not files and not Path(token).exists():
            command.append(token)
        else:
            files.append(token)
    return command, options, files


def new_record(root):
    root.mkdir(parents=True, exist_ok=True)
    number = len(list(root.iterdir())) + 1
    while True:
        folder = root / f"{number:04d}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            number += 1


def keep_images(markdown, base, folder):
    kept = []
    for link in IMAGE_RE.findall(markdown):
        if "://" in link or link.startswith("data:"):
            continue
        for candidate in (base / link, Path.cwd() / link):
            if candidate.is_file():
                (folder / "images").mkdir(exist_ok=True)
                shutil.copy2(candidate, folder / "images" / candidate.name)
                kept.append(link)
                break
        else:
            print(f"cml (recording): image {link!r} in the report does not exist", file=sys.stderr)
    return kept


def event_number():
    path = os.environ.get("GITHUB_EVENT_PATH")
    if path and Path(path).is_file():
        number = json.loads(Path(path).read_text(encoding="utf-8")).get("number")
        if number:
            return int(number)
    match = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", os.environ.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else None


def comment_target(options):
    """ "pr/N" or "commit/SHA" for a comment command, as CML resolves --target."""
    target = str((options.get("target") or ["pr" if event_number() else "commit"])[-1])
    if target == "pr":
        number = event_number()
        return f"pr/{number}" if number else "pr/unknown"
    if target == "commit":
        return f"commit/{os.environ.get('GITHUB_SHA', '0' * 40)}"
    return target


def keep_comment(root, action, target, body):
    """Apply `comment create|update` to the per-target state; return (comment id, what)."""
    path = root / "cml-comments.json"
    state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    comments = state.setdefault(target, [])
    next_id = 1 + sum(len(items) for items in state.values())
    if action == "update" and comments:
        comment, what = comments[-1], "updated"
        comment["body"], comment["updates"] = body, comment["updates"] + 1
    else:
        comment, what = {"id": next_id, "body": body, "updates": 0}, "created"
        comments.append(comment)
    path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return comment["id"], what


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


def push_branch(options, files):
    """Commit `files` on a new branch and push it to origin, as `cml pr create` does."""
    head = git("rev-parse", "HEAD")
    branch = str((options.get("branch") or [f"cml-pr-{head[:7]}"])[-1])
    title = str((options.get("title") or options.get("message") or ["CML PR"])[-1])
    git("checkout", "--quiet", "-B", branch)
    git("add", "--", *files)
    identity = ["-c", "user.name=cml[bot]", "-c", "user.email=cml@example.com"]
    git(*identity, "commit", "--quiet", "-m", title)
    git("push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
    return branch, git("rev-parse", "HEAD")


def main(argv):
    records = os.environ.get("STANDIN_RECORDS")
    if not records:
        print("recording cml: STANDIN_RECORDS is not set", file=sys.stderr)
        return 1
    folder = new_record(Path(records) / "cml")
    command, options, files = parse(argv)
    call = {
        "argv": argv,
        "cwd": os.getcwd(),
        "command": command,
        "options": options,
        "files": files,
        "env": {name: os.environ.get(name, "") for name in CONTEXT},
        "images": [],
    }
    markdown = [Path(f) for f in files if f.endswith(".md") and Path(f).is_file()]
    if markdown:
        report = markdown[0]
        text = report.read_text(encoding="utf-8")
        (folder / "report.md").write_text(text, encoding="utf-8")
        call["report"] = str(report)
        call["images"] = keep_images(text, report.resolve().parent, folder)
    if command[:1] == ["comment"] and command[1:2] in (["create"], ["update"]):
        target = comment_target(options)
        body = call.get("report") and (folder / "report.md").read_text(encoding="utf-8")
        call["comment_target"] = target
        call["comment_id"], call["comment_action"] = keep_comment(
            Path(records), command[1], target, body or ""
        )
    if command[:2] == ["pr", "create"]:
        call["branch"], call["head_sha"] = push_branch(options, files)
    (folder / "call.json").write_text(json.dumps(call, indent=2), encoding="utf-8")
    repository = os.environ.get("GITHUB_REPOSITORY", "owner/repo")
    if command[:1] == ["pr"]:
        print(f"https://github.com/{repository}/pull/{int(folder.name)}")
    elif command[:1] in (["comment"], ["send-comment"], ["publish"]):
        sha = os.environ.get("GITHUB_SHA", "0" * 40)
        print(f"https://github.com/{repository}/commit/{sha}#commitcomment-{int(folder.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
