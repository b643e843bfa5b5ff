"""Living with the template: a project generated at template commit A, with a pipeline that ran
and a change of its own, takes the template's commit B (a new workflow step and a new params
key with the code that reads it) through cruft, keeping its own change, re-running no
bootstrap; then template-update.yml does the same under act and keeps one pull request.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, project_env, run
from github_in_a_box.origin import git

SLUG_DIR = "{{cookiecutter.project_slug}}"
PARAMS_CODE = f"{SLUG_DIR}/src/{{{{cookiecutter.package_name}}}}/params.py"
WORKFLOW = f"{SLUG_DIR}/.github/workflows/template-update.yml"
UP_TO_DATE = "Up to date with the template: nothing to merge.\n"
NEW_STEP = (
    "      - name: Show the template's record\n"
    "        run: cat .cruft.json\n"
    "      - name: Merge the template's changes\n"
)


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def template_clone(target):
    """The template's working tree (committed or not, as the bakes see it) as commit A of a
    repository of its own, so the test can move it on."""
    listed = run(["git", "ls-files", "-z", "-co", "--exclude-standard"], TEMPLATE).stdout
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git("init", "--quiet", "-b", "main", cwd=target)
    git("add", "--all", cwd=target)
    git("commit", "--quiet", "-m", "A", cwd=target)
    return git("rev-parse", "HEAD", cwd=target).stdout.strip()


def commit_b(template):
    """A new workflow step, and a new params key with the field that reads it."""
    edit(template / WORKFLOW, "      - name: Merge the template's changes\n", NEW_STEP)
    edit(
        template / SLUG_DIR / "params.yaml",
        "  push_outputs: false\n",
        "  push_outputs: false\n  # Added by the template at commit B.\n  annotate: true\n",
    )
    edit(
        template / PARAMS_CODE,
        "    push_outputs: bool = False\n",
        "    push_outputs: bool = False\n    annotate: bool = False\n",
    )
    git("commit", "--quiet", "--all", "-m", "B: a workflow step, a params key", cwd=template)
    return git("rev-parse", "HEAD", cwd=template).stdout.strip()


def link(project, template, commit):
    """Point the project's .cruft.json at the clone (as if generated from it at `commit`)."""
    path = project / ".cruft.json"
    state = json.loads(path.read_text())
    assert state["commit"] and state["context"]["cookiecutter"]["package_name"]
    state["template"] = state["context"]["cookiecutter"]["_template"] = str(template)
    state["commit"] = state["context"]["cookiecutter"]["_commit"] = commit
    path.write_text(json.dumps(state, indent=2) + "\n")


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def package_command(project, *args, check=True):
    package = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    command = ["python", "-m", package["package_name"], *args]
    return run(command, project, check=check, env=project_env(project))


@pytest.fixture(scope="module")
def lived_in(reproduced, tmp_path_factory):
    """(project, template clone, commit A): a project whose pipeline ran and was committed,
    then changed by its team (the gate's threshold), linked to the clone at A."""
    root = tmp_path_factory.mktemp("template-update")
    template = root / "template"
    template.mkdir()
    commit_a = template_clone(template)
    project = root / "project"
    shutil.copytree(reproduced(), project, symlinks=True)
    link(project, template, commit_a)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "Reproduce the pipeline", cwd=project)
    edit(project / "params.yaml", "  threshold: 0.75\n", "  threshold: 0.7\n")
    git("commit", "--quiet", "--all", "-m", "Our own gate", cwd=project)
    return project, template, commit_a


def test_cruft_update_brings_the_template_change_and_keeps_the_projects_own(lived_in):
    project, template, _ = lived_in
    project = Path(shutil.copytree(project, project.parent / "updated", symlinks=True))
    remote = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    remote_before = listing(remote["dvc_remote_url"])
    log_before = git("log", "--format=%s", cwd=project).stdout
    assert package_command(project, "template", "update").stdout == UP_TO_DATE
    commit_b_sha = commit_b(template)

    result = package_command(project, "template", "update")

    assert "0 conflicts" in result.stdout, result.stdout
    assert "Repository ready" not in result.stdout + result.stderr  # no bootstrap
    assert listing(remote["dvc_remote_url"]) == remote_before  # nothing pushed
    params = (project / "params.yaml").read_text()
    assert "  threshold: 0.7\n" in params and "  annotate: true\n" in params
    workflow = (project / ".github/workflows/template-update.yml").read_text()
    assert "Show the template's record" in workflow
    assert not list(project.rglob("*.rej")) and "<<<<<<<" not in params
    body = (project / "reports/template-update.md").read_text()
    assert commit_b_sha[:12] in body and "No conflicts" in body
    assert "- `params.yaml`" in body and "- `.github/workflows/template-update.yml`" in body
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "-m", "Template update", cwd=project)
    assert git("log", "--format=%s", cwd=project).stdout == "Template update\n" + log_before
    # The merged params load with the merged code; cruft agrees the project is current.
    assert package_command(project, "template", "update").stdout == UP_TO_DATE
    check = run(["cruft", "check"], project, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    code = "from {p}.params import load_params; print(load_params().ci.annotate)"
    command = ["python", "-c", code.format(p=remote["package_name"])]
    shown = run(command, project, env=project_env(project))
    assert shown.stdout.strip() == "True"


def test_a_conflicting_change_is_listed_and_the_project_keeps_its_version(lived_in, tmp_path):
    project, template, _ = lived_in
    project = Path(shutil.copytree(project, tmp_path / "project", symlinks=True))
    clone = tmp_path / "template"
    git("clone", "--quiet", str(template), str(clone), cwd=tmp_path)
    threshold = "  threshold: {{ cookiecutter.gate_threshold }}\n"
    edit(clone / SLUG_DIR / "params.yaml", threshold, "  threshold: 0.9\n")
    git("commit", "--quiet", "--all", "-m", "A stricter default gate", cwd=clone)
    link(project, clone, json.loads((project / ".cruft.json").read_text())["commit"])
    git("commit", "--quiet", "--all", "-m", "Link the clone", cwd=project)

    result = package_command(project, "template", "update")

    assert "1 conflicts" in result.stdout, result.stdout
    assert "  threshold: 0.7\n" in (project / "params.yaml").read_text()
    assert not git("diff", "--name-only", "--diff-filter=U", cwd=project).stdout
    assert not list(project.rglob("*.rej"))
    body = (project / "reports/template-update.md").read_text()
    assert "### `params.yaml`" in body and "+  threshold: 0.9" in body


def test_a_dirty_tree_is_refused_before_anything_changes(lived_in, tmp_path):
    project = Path(shutil.copytree(lived_in[0], tmp_path / "project", symlinks=True))
    (project / "notes.txt").write_text("work in progress\n")

    result = package_command(project, "template", "update", check=False)

    assert result.returncode == 2
    assert "uncommitted changes (notes.txt)" in result.stderr
    assert (project / "notes.txt").read_text() == "work in progress\n"


def test_template_update_workflow_opens_one_pull_request_and_updates_it(lived_in, github_box):
    project, template, commit_a = lived_in
    head = git("rev-parse", "HEAD", cwd=template).stdout.strip()
    if head == commit_a:  # run alone, without the first test
        head = commit_b(template)
    github_box.publish(project)

    first = github_box.run(github_box.dispatch_event(), "template-update.yml")

    assert first.ok, first.report()
    (pull,) = github_box.records.pulls("OPEN")
    assert pull["head"] == "template-update" and pull["base"] == "main"
    assert pull["title"] == f"Template update to {head[:12]}"
    assert github_box.sha("template-update")
    edit(template / SLUG_DIR / "README.md", "\n", "\n<!-- template commit C -->\n")
    git("commit", "--quiet", "--all", "-m", "C", cwd=template)
    head = git("rev-parse", "HEAD", cwd=template).stdout.strip()

    second = github_box.run(github_box.schedule_event("17 5 1 * *"), "template-update.yml")

    assert second.ok, second.report()
    (pull,) = github_box.records.pulls("OPEN")
    assert pull["title"] == f"Template update to {head[:12]}", pull
    assert "README.md" in pull["body"]
    shown = subprocess.run(
        ["git", "show", "template-update:.cruft.json"],
        cwd=github_box.origin.path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(shown.stdout)["commit"] == head


def test_remote_switch_rewires_workflows_readme_and_dvc_config(lived_in, tmp_path):
    project = Path(shutil.copytree(lived_in[0], tmp_path / "project", symlinks=True))
    answers = ["dvc_remote=s3", "dvc_remote_url=s3://models-bucket/churn"]

    result = package_command(project, "template", "answer", *answers)

    assert "kept this project's version" not in result.stdout, result.stdout
    assert "AWS_ROLE_ARN" in (project / ".github/workflows/pr.yml").read_text()
    assert "| `AWS_ROLE_ARN` | variable |" in (project / "README.md").read_text()
    assert "url = s3://models-bucket/churn" in (project / ".dvc/config").read_text()
    state = json.loads((project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["dvc_remote"] == "s3"
    assert state["commit"] == lived_in[2] and state["checkout"] is None
    # Only the answers changed: no template update came with them, the team's gate stayed.
    params = (project / "params.yaml").read_text()
    assert "  threshold: 0.7\n" in params and "annotate" not in params


def test_training_runner_answer_moves_only_the_training_jobs(lived_in, tmp_path):
    project = Path(shutil.copytree(lived_in[0], tmp_path / "project", symlinks=True))
    before = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]

    package_command(project, "template", "answer", "training_runner=self-hosted,linux,gpu")

    jobs = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]
    assert jobs["smoke"]["runs-on"] == ["self-hosted", "linux", "gpu"]
    assert jobs["workflows"] == before["workflows"] and jobs["dockerfile"] == before["dockerfile"]
    report = yaml.safe_load((project / ".github/workflows/pr.yml").read_text())["jobs"]["report"]
    assert report["runs-on"] == ["self-hosted", "linux", "gpu"]
    config = yaml.safe_load((project / ".github/actionlint.yaml").read_text())
    assert config["self-hosted-runner"]["labels"] == ["self-hosted", "linux", "gpu"]
    state = json.loads((project / ".cruft.json").read_text())
    assert state["context"]["cookiecutter"]["training_runner"] == "self-hosted,linux,gpu"
