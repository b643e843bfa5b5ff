"""Recording `gh` (GitHub CLI) with issues, pull requests, releases and labels kept in a JSON file.

State lives in $STANDIN_RECORDS/gh/state.json, so a later run (or the test) sees what an
earlier `gh issue create` made; every call is appended to $STANDIN_RECORDS/gh/calls.jsonl.
Only the commands below are emulated; anything else exits 1 naming itself, so a workflow
using more of gh makes its test fail loudly instead of passing on a silent no-op.

    gh auth status
    gh issue  create|list|view|comment|close|reopen|edit
    gh pr     create|list|view|comment|close|merge
    gh issue  pin
    gh release create|list|view|upload|download (--pattern NAME --output -)
    gh label  create|list
    gh run    list --workflow FILE (the runs the box played, newest first)

Output flags: --json f1,f2 (GitHub's field names) and --jq with a small subset: `.`, `length`,
`.field`, `.[N]`, `.[]`, chained (`.[0].number`, `.[].title`). Standard library only.
"""

import contextlib
import datetime
import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

EMPTY_STATE = {"next_number": 1, "issues": [], "pulls": [], "releases": [], "labels": []}
# Flags that take no value; every other --flag takes one.
BOOLEAN_FLAGS = {
    "generate-notes",
    "draft",
    "prerelease",
    "latest",
    "clobber",
    "force",
    "comments",
    "web",
    "squash",
    "merge",
    "rebase",
    "auto",
    "delete-branch",
    "fill",
    "verify-tag",
    "admin",
}
MULTI_FLAGS = {"label", "add-label", "remove-label", "assignee", "reviewer"}
SHORT_FLAGS = {
    "t": "title",
    "b": "body",
    "F": "body-file",
    "l": "label",
    "R": "repo",
    "s": "state",
    "L": "limit",
    "q": "jq",
    "B": "base",
    "H": "head",
    "n": "notes",
    "c": "comment",
    "a": "assignee",
    "d": "draft",
    "S": "search",
    "f": "fill",
}


class GhError(Exception):
    """A failure gh itself would report; exits 1 with the message."""


def now():
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(args):
    """Split gh arguments into positionals and flags ({name: value or [values] or True})."""
    positionals, flags = [], {}
    tokens = iter(args)
    for token in tokens:
        if token.startswith("--") or (token.startswith("-") and len(token) == 2):
            name, equals, value = token.lstrip("-").partition("=")
            name = SHORT_FLAGS.get(name, name) if not token.startswith("--") else name
            if not equals:
                value = True if name in BOOLEAN_FLAGS else next(tokens, None)
                if value is None:
                    raise GhError(f"flag needs an argument: --{name}")
            if name in MULTI_FLAGS:
                flags.setdefault(name, []).extend(v.strip() for v in str(value).split(","))
            else:
                flags[name] = value
        else:
            positionals.append(token)
    return positionals, flags


def read_text_flag(flags, text_name, file_name):
    if file_name in flags:
        path = flags[file_name]
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return flags.get(text_name, "")


def repo_slug(flags):
    return flags.get("repo") or os.environ.get("GH_REPO") or os.environ.get("GITHUB_REPOSITORY", "")


def url(flags, kind, number):
    return f"https://github.com/{repo_slug(flags)}/{kind}/{number}"


def labels_of(item):
    return [{"name": name} for name in item["labels"]]


def view(item, kind):
    """GitHub field names for --json."""
    fields = {
        "number": item.get("number"),
        "title": item.get("title"),
        "body": item.get("body"),
        "state": item.get("state"),
        "labels": labels_of(item) if "labels" in item else [],
        "url": item.get("url"),
        "createdAt": item.get("createdAt"),
        "comments": [
            {"body": c["body"], "author": {"login": c["author"]}} for c in item.get("comments", [])
        ],
    }
    if kind == "pr":
        fields.update(
            mergeCommit={"oid": item["mergeCommit"]} if item.get("mergeCommit") else None,
            headRefName=item["head"],
            baseRefName=item["base"],
            isDraft=item["draft"],
            mergedAt=item.get("mergedAt"),
        )
    if kind == "run":
        return dict(item)
    if kind == "release":
        fields = {
            "tagName": item["tag"],
            "name": item["title"],
            "body": item["notes"],
            "isDraft": item["draft"],
            "isPrerelease": item["prerelease"],
            "url": item["url"],
            "createdAt": item["createdAt"],
            "assets": [{"name": n} for n in item["assets"]],
            "targetCommitish": item["target"],
        }
    return fields


def jq(value, expression):
    expression = expression.strip()
    if expression == "length":
        return len(value)
    if expression in ("", "."):
        return value
    if not expression.startswith("."):
        raise GhError(f"recording gh: --jq {expression!r} is outside the supported subset")
    results = [value]
    for part in expression[1:].replace("[", ".[").split("."):
        if not part:
            continue
        if part == "[]":
            results = [item for result in results for item in result]
        elif part.startswith("[") and part.endswith("]") and part[1:-1].lstrip("-").isdigit():
            index = int(part[1:-1])
            results = [r[index] if -len(r) <= index < len(r) else None for r in results]
        elif part.isidentifier():
            results = [r.get(part) if isinstance(r, dict) else None for r in results]
        else:
            raise GhError(f"recording gh: --jq {expression!r} is outside the supported subset")
    return results if "[]" in expression else results[0]


def emit(items, flags, kind, table, single=False):
    if "json" not in flags:
        if "jq" in flags:
            raise GhError("cannot use `--jq` without specifying `--json`")
        for row in table:
            print("\t".join(str(cell) for cell in row))
        return
    wanted = [f.strip() for f in str(flags["json"]).split(",") if f.strip()]
    shown = [{k: v for k, v in view(item, kind).items() if k in wanted} for item in items]
    data = shown[0] if single else shown
    if "jq" in flags:
        result = jq(data, flags["jq"])
        for line in result if isinstance(result, list) and "[]" in flags["jq"] else [result]:
            print(line if isinstance(line, str) else json.dumps(line))
    else:
        print(json.dumps(data, indent=2))


def find(items, key, value, what):
    for item in items:
        if str(item[key]) == str(value).lstrip("#"):
            return item
    raise GhError(f"could not find {what} {value!r}")


def filter_items(items, flags):
    state = str(flags.get("state", "open")).upper()
    chosen = [
        i
        for i in items
        if state == "ALL" or i["state"] == state or (state == "CLOSED" and i["state"] == "MERGED")
    ]
    for label in flags.get("label", []):
        chosen = [i for i in chosen if label in i["labels"]]
    if "search" in flags:
        words = str(flags["search"]).lower().split()
        chosen = [
            i
            for i in chosen
            if all(w in (i["title"] + " " + i["body"]).lower() for w in words if ":" not in w)
        ]
    for key in ("head", "base"):
        if key in flags:
            chosen = [i for i in chosen if i.get(key) == flags[key]]
    chosen.sort(key=lambda i: -i["number"])
    return chosen[: int(flags.get("limit", 30))]


def new_item(state, flags, kind):
    labels = flags.get("label", [])
    known = {label["name"] for label in state["labels"]}
    missing = [label for label in labels if label not in known]
    if missing:
        raise GhError(f"could not add label: '{missing[0]}' not found")
    number = state["next_number"]
    state["next_number"] += 1
    return {
        "number": number,
        "title": flags.get("title", ""),
        "body": read_text_flag(flags, "body", "body-file"),
        "state": "OPEN",
        "labels": labels,
        "comments": [],
        "url": url(flags, "issues" if kind == "issue" else "pull", number),
        "createdAt": now(),
        "author": os.environ.get("GITHUB_ACTOR", "github-actions[bot]"),
    }


def issue(state, action, positionals, flags):
    issues = state["issues"]
    if action == "create":
        if not flags.get("title"):
            raise GhError("must provide `--title` and `--body` when not running interactively")
        item = new_item(state, flags, "issue")
        issues.append(item)
        print(item["url"])
    elif action == "list":
        chosen = filter_items(issues, flags)
        table = [(i["number"], i["state"], i["title"], ",".join(i["labels"])) for i in chosen]
        emit(chosen, flags, "issue", table)
    else:
        if not positionals:
            raise GhError(f"gh issue {action} needs an issue number")
        item = find(issues, "number", positionals[0], "issue")
        change(item, action, flags, "issue", state)


def change(item, action, flags, kind, state):
    author = os.environ.get("GITHUB_ACTOR", "github-actions[bot]")
    if action == "view":
        emit([item], flags, kind, [(item["title"],), (item["body"],)], single=True)
    elif action == "comment":
        body = read_text_flag(flags, "body", "body-file")
        if not body:
            raise GhError("body cannot be blank")
        item["comments"].append({"body": body, "author": author, "createdAt": now()})
        print(f"{item['url']}#issuecomment-{len(item['comments'])}")
    elif action in ("close", "reopen", "merge"):
        if "comment" in flags:
            item["comments"].append(
                {"body": flags["comment"], "author": author, "createdAt": now()}
            )
        item["state"] = {"close": "CLOSED", "reopen": "OPEN", "merge": "MERGED"}[action]
        if action == "merge":
            item["mergedAt"] = now()
    elif action == "pin":
        item["pinned"] = True
    elif action == "edit":
        known = {label["name"] for label in state["labels"]}
        for label in flags.get("add-label", []):
            if label not in known:
                raise GhError(f"'{label}' not found")
            if label not in item["labels"]:
                item["labels"].append(label)
        item["labels"] = [x for x in item["labels"] if x not in flags.get("remove-label", [])]
        item["title"] = flags.get("title", item["title"])
        if "body" in flags or "body-file" in flags:
            item["body"] = read_text_flag(flags, "body", "body-file")
    else:
        raise GhError(f"recording gh: `gh {kind} {action}` is not emulated")


def remote_branch_exists(branch):
    result = subprocess.run(
        ["git", "ls-remote", "--exit-code", "--heads", "origin", branch],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def current_branch():
    result = subprocess.run(
        ["git", "branch", "--show-current"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def pr(state, action, positionals, flags):
    pulls = state["pulls"]
    if action == "create":
        head = flags.get("head") or current_branch()
        base = flags.get("base", "main")
        if not head or not remote_branch_exists(head):
            raise GhError(
                f"pull request create failed: head branch {head!r} is not on origin (push it first)"
            )
        if any(p["head"] == head and p["base"] == base and p["state"] == "OPEN" for p in pulls):
            raise GhError(f'a pull request for branch "{head}" into branch "{base}" already exists')
        item = new_item(state, flags, "pr")
        item.update(head=head, base=base, draft=bool(flags.get("draft")))
        pulls.append(item)
        print(item["url"])
    elif action == "list":
        chosen = filter_items(pulls, flags)
        table = [(p["number"], p["title"], p["head"], p["state"]) for p in chosen]
        emit(chosen, flags, "pr", table)
    else:
        if not positionals:
            raise GhError(f"gh pr {action} needs a number or branch")
        key = "number" if positionals[0].lstrip("#").isdigit() else "head"
        item = find(pulls, key, positionals[0], "pull request")
        change(item, action, flags, "pr", state)


def release(state, action, positionals, flags):
    releases = state["releases"]
    records = Path(os.environ["STANDIN_RECORDS"]) / "gh" / "releases"
    if action == "create":
        if not positionals:
            raise GhError("could not create: no tag name provided")
        tag, files = positionals[0], positionals[1:]
        if any(r["tag"] == tag for r in releases):
            raise GhError(f"a release with the same tag name already exists: {tag}")
        notes = read_text_flag(flags, "notes", "notes-file")
        item = {
            "tag": tag,
            "title": flags.get("title", tag),
            "notes": notes,
            "generate_notes": bool(flags.get("generate-notes")),
            "draft": bool(flags.get("draft")),
            "prerelease": bool(flags.get("prerelease")),
            "target": flags.get("target", ""),
            "assets": [],
            "createdAt": now(),
            "url": f"https://github.com/{repo_slug(flags)}/releases/tag/{tag}",
        }
        releases.append(item)
        upload(item, files, records / tag, clobber=False)
        print(item["url"])
    elif action == "list":
        table = [
            (r["title"], "Latest" if r is releases[-1] else "", r["tag"], r["createdAt"])
            for r in reversed(releases)
        ]
        emit(list(reversed(releases)), flags, "release", table)
    elif action == "download":
        download(find(releases, "tag", positionals[0], "release"), flags, records)
    elif action in ("view", "upload"):
        if not positionals:
            raise GhError(f"gh release {action} needs a tag")
        item = find(releases, "tag", positionals[0], "release")
        if action == "view":
            emit([item], flags, "release", [(item["title"],), (item["notes"],)], single=True)
        else:
            upload(item, positionals[1:], records / item["tag"], bool(flags.get("clobber")))
    else:
        raise GhError(f"recording gh: `gh release {action}` is not emulated")


def download(item, flags, records):
    """`--pattern NAME --output -`: one asset to standard output (what the project uses)."""
    if flags.get("output") != "-" or "*" in str(flags.get("pattern", "*")):
        raise GhError("recording gh: only `release download --pattern NAME --output -`")
    if flags["pattern"] not in item["assets"]:
        raise GhError("no assets match the file pattern")
    sys.stdout.write((records / item["tag"] / flags["pattern"]).read_text())


def run(state, action, positionals, flags):
    if action != "list" or "workflow" not in flags:
        raise GhError(f"recording gh: only `gh run list --workflow FILE`, not {action}")
    chosen = [r for r in state.get("runs", []) if r["workflowName"] == flags["workflow"]]
    chosen = sorted(chosen, key=lambda r: -r["databaseId"])[: int(flags.get("limit", 20))]
    table = [(r["conclusion"], r["workflowName"], r["headBranch"], r["event"]) for r in chosen]
    emit(chosen, flags, "run", table)


def upload(item, files, folder, clobber):
    for name in files:
        path = Path(name.split("#")[0])
        if not path.is_file():
            raise GhError(f"{path}: no such file")
        if path.name in item["assets"] and not clobber:
            raise GhError(f"asset {path.name} already exists (use --clobber to overwrite)")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, folder / path.name)
        if path.name not in item["assets"]:
            item["assets"].append(path.name)


def label(state, action, positionals, flags):
    labels = state["labels"]
    if action == "create":
        if not positionals:
            raise GhError("cannot create label: name argument required")
        existing = [x for x in labels if x["name"] == positionals[0]]
        if existing and not flags.get("force"):
            raise GhError(f'label with name "{positionals[0]}" already exists; use `--force`')
        for old in existing:
            labels.remove(old)
        labels.append(
            {
                "name": positionals[0],
                "color": flags.get("color", "ededed"),
                "description": flags.get("description", ""),
            }
        )
    elif action == "list":
        for x in labels:
            print(f"{x['name']}\t{x['description']}\t#{x['color']}")
    else:
        raise GhError(f"recording gh: `gh label {action}` is not emulated")


@contextlib.contextmanager
def locked_state(folder):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "state.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = folder / "state.json"
        state = json.loads(path.read_text() if path.exists() else json.dumps(EMPTY_STATE))
        yield state
        path.write_text(json.dumps(state, indent=2))


def main(argv):
    records = os.environ.get("STANDIN_RECORDS")
    if not records:
        print("recording gh: STANDIN_RECORDS is not set", file=sys.stderr)
        return 1
    folder = Path(records) / "gh"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "calls.jsonl", "a", encoding="utf-8") as calls:
        calls.write(json.dumps({"argv": argv, "cwd": os.getcwd()}) + "\n")
    handlers = {"issue": issue, "pr": pr, "release": release, "label": label, "run": run}
    try:
        if argv[:2] == ["auth", "status"]:
            if not (os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")):
                raise GhError("You are not logged into any GitHub hosts. Set GH_TOKEN.")
            print("github.com: logged in with a token (recording gh)")
            return 0
        if len(argv) < 2 or argv[0] not in handlers:
            raise GhError(f"recording gh: `gh {' '.join(argv[:2])}` is not emulated")
        if not (os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")):
            raise GhError(
                "gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN "
                "environment variable."
            )
        positionals, flags = parse(argv[2:])
        with locked_state(folder) as state:
            handlers[argv[0]](state, argv[1], positionals, flags)
    except GhError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
