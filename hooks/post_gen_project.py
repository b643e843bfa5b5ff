"""Finish the generated repository: prune unchosen files, then hand over to its bootstrap command.

The real work (git init, dvc init, remote, demo data, first commit) lives in the generated
package's `bootstrap` module, so the project's own tests cover it and users can re-run it.

cruft runs this hook again whenever it re-renders the template to compute an update (into a
temporary folder, twice per `cruft update`). Those renders must be files only: no git, no DVC,
no push to the project's remote, no `.cruft.json`. So the first generation is told apart from
a re-render (`rerendering`), and only a first generation records `.cruft.json` and bootstraps.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})
# cruft adds `_commit` to the context of every render it makes; plain cookiecutter never does.
CRUFT_MARK = "_commit"
# A template given as a URL, an abbreviation (gh:org/repo) or an scp-like git address.
REMOTE_TEMPLATE = re.compile(r"^([\w+.-]+://|[\w-]+:(?!/)|[\w.-]+@)")

# Every file that depends on an answer, and the answer value that keeps it. One table, so
# adding an option means adding rows here, not branches below.
KEEP_ONLY_WHEN = {
    "licenses/MIT": ("license", "MIT"),
    "licenses/Apache-2.0": ("license", "Apache-2.0"),
    "licenses/BSD-3-Clause": ("license", "BSD-3-Clause"),
}
LICENSE_SOURCE = f"licenses/{ANSWERS['license']}"


def prune(answers):
    for path, (question, value) in KEEP_ONLY_WHEN.items():
        if answers[question] != value and Path(path).exists():
            Path(path).unlink()
    if Path(LICENSE_SOURCE).exists():
        Path(LICENSE_SOURCE).rename("LICENSE")
    shutil.rmtree("licenses")


def fail(message):
    print(f"cookiecutter-gitops-ml: {message}", file=sys.stderr)
    sys.exit(1)


def require_git():
    if shutil.which("git") is None:
        fail("git is not on PATH. Install git (https://git-scm.com/downloads) and generate again.")


def bootstrap(answers):
    if importlib.util.find_spec("dvc") is None:
        fail(
            f"DVC is not installed in the Python running cookiecutter ({sys.executable}). "
            "Install it beside cookiecutter (`pip install dvc cookiecutter`) or use the "
            "template's `make demo`, then generate again."
        )
    env = dict(os.environ, PYTHONPATH=str(Path("src").resolve()))
    command = [
        sys.executable,
        "-m",
        f"{answers['package_name']}.bootstrap",
        "--remote-kind",
        answers["dvc_remote"],
        "--remote-url",
        answers["dvc_remote_url"],
        "--task",
        answers["task"],
        "--author",
        f"{answers['author_name']} <{answers['author_email']}>",
    ]
    if subprocess.run(command, env=env, check=False).returncode != 0:
        fail("bootstrapping the repository failed (see the message above).")


def parent_arguments():
    """The command line of the process that runs this hook (cookiecutter or cruft), or []."""
    ppid = os.getppid()
    cmdline = Path(f"/proc/{ppid}/cmdline")
    if cmdline.is_file():
        return cmdline.read_bytes().decode(errors="replace").split("\0")
    result = subprocess.run(
        ["ps", "-o", "args=", "-p", str(ppid)], capture_output=True, text=True, check=False
    )
    return result.stdout.split()


def rerender_variable(answers):
    """The variable the project's `template update` / `template answer` set around cruft; its
    one home is the generated bootstrap module (standard library only, importable from src)."""
    sys.path.insert(0, str(Path("src").resolve()))
    sys.dont_write_bytecode = True  # a re-render must hold the template's files, nothing more
    try:
        return importlib.import_module(f"{answers['package_name']}.bootstrap").RERENDER_ENV
    finally:
        sys.path.pop(0)


def rerendering(answers, environ=os.environ):
    """True when cruft renders the template to diff it (`cruft update`, `cruft diff`), not to
    create a project. `cruft create` is a first generation like plain cookiecutter."""
    if environ.get(rerender_variable(answers)) == "1":
        return True
    if CRUFT_MARK not in answers:
        return False
    return "create" not in parent_arguments()


def template_source(answers):
    """(URL or absolute path, commit) of the template being rendered, or None with the reason."""
    template, repo_dir = answers.get("_template", ""), answers.get("_repo_dir", "")
    folder = Path(repo_dir)
    if repo_dir and not folder.is_absolute():
        # cookiecutter keeps a local template's path as typed, relative to its own folder.
        folder = Path(f"/proc/{os.getppid()}/cwd").resolve() / repo_dir
    if not repo_dir or not folder.is_dir():
        return None, f"the template's folder ({repo_dir!r}) cannot be located from the hook"
    head = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--verify", "--quiet", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode != 0:
        return None, f"the template at {folder.resolve()} is not a git checkout with commits"
    url = template if REMOTE_TEMPLATE.match(template) else str(folder.resolve())
    return (expand_abbreviation(url), head.stdout.strip()), None


def expand_abbreviation(url):
    """`gh:org/repo` as the URL git clones (cruft clones what .cruft.json names)."""
    from cookiecutter.config import BUILTIN_ABBREVIATIONS
    from cookiecutter.repository import expand_abbreviations

    return expand_abbreviations(url, BUILTIN_ABBREVIATIONS)


def record_template(answers):
    """.cruft.json, as `cruft create` writes it, so `cruft check` / `cruft update` work."""
    if CRUFT_MARK in answers:
        return  # `cruft create` writes its own after this hook
    source, reason = template_source(answers)
    if source is None:
        print(
            f"No .cruft.json: {reason}. Generate from the template's git URL (or an absolute "
            "path to its clone) to take template updates, or link later: `cruft link <url>`."
        )
        return
    url, commit = source
    context = {key: value for key, value in answers.items() if not key.startswith("_")}
    context.update({"_template": url, CRUFT_MARK: commit})
    state = {
        "template": url,
        "commit": commit,
        "checkout": answers.get("_checkout"),
        "context": {"cookiecutter": context},
        "directory": None,
    }
    text = json.dumps(state, ensure_ascii=False, indent=2, separators=(",", ": "))
    Path(".cruft.json").write_text(text + "\n", encoding="utf-8")


def next_steps(answers):
    """What to type after generation: the package runs inside the project's virtualenv."""
    return "\n".join(
        [
            "",
            f"Generated {answers['project_slug']}/. Next:",
            f"  cd {answers['project_slug']}",
            "  make setup repro    # its .venv, then the pipeline on the demo data",
            f"  . .venv/bin/activate && python -m {answers['package_name']} --help",
            "The project's README.md goes on from there (your own data, GitHub, releases).",
        ]
    )


if __name__ == "__main__":
    prune(ANSWERS)
    if rerendering(ANSWERS):
        pass  # files only: cruft diffs this render against another one
    else:
        require_git()  # .cruft.json asks git for the template's commit
        record_template(ANSWERS)
        bootstrap(ANSWERS)
        print(next_steps(ANSWERS))
