"""Answers the pre-generation hook refuses, answers it accepts, and hostile text kept as data."""

import os
import py_compile
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import DEFAULTS, TEMPLATE, bake, run
from cookiecutter.exceptions import FailedHookException

# Explicit valid names, so a case about one field breaks only that field.
NAMES = {"project_slug": "churn-model", "package_name": "churn_model"}

# id: (answers, field named in the message, what the message says is accepted or wrong)
REFUSED = {
    # project_slug
    "slug-uppercase": (
        {"project_slug": "Churn-Model", "package_name": "churn_model"},
        "project_slug",
        "lowercase letters, digits and single dashes",
    ),
    "slug-leading-digit": ({**NAMES, "project_slug": "1churn"}, "project_slug", "starting with"),
    "slug-double-dash": (
        {**NAMES, "project_slug": "churn--model"},
        "project_slug",
        "single dashes",
    ),
    "slug-trailing-dash": ({**NAMES, "project_slug": "churn-"}, "project_slug", "single dashes"),
    "slug-space": (
        {**NAMES, "project_slug": "churn model"},
        "project_slug",
        "e.g. 'customer-churn'",
    ),
    "slug-too-long": ({**NAMES, "project_slug": "a" * 65}, "project_slug", "1-64"),
    # package_name
    "package-dash": (
        {**NAMES, "package_name": "churn-model"},
        "package_name",
        "lowercase letters, digits and underscores",
    ),
    "package-uppercase": ({**NAMES, "package_name": "Churn"}, "package_name", "underscores"),
    "package-leading-digit": ({**NAMES, "package_name": "2churn"}, "package_name", "starting with"),
    "package-keyword": ({**NAMES, "package_name": "class"}, "package_name", "Python keyword"),
    "package-soft-keyword": ({**NAMES, "package_name": "match"}, "package_name", "Python keyword"),
    "package-stdlib-json": ({**NAMES, "package_name": "json"}, "package_name", "standard-library"),
    "package-stdlib-random": (
        {**NAMES, "package_name": "random"},
        "package_name",
        "standard-library",
    ),
    "package-shadows-pandas": (
        {**NAMES, "package_name": "pandas"},
        "package_name",
        "would shadow a package the project depends on",
    ),
    "package-shadows-dvc": ({**NAMES, "package_name": "dvc"}, "package_name", "would shadow"),
    "package-shadows-tests": ({**NAMES, "package_name": "tests"}, "package_name", "would shadow"),
    # author_email
    "email-no-at": ({"author_email": "jane.doe"}, "author_email", "name@example.com"),
    "email-no-domain-dot": ({"author_email": "jane@localhost"}, "author_email", "name@example.com"),
    "email-space": ({"author_email": "jane doe@example.com"}, "author_email", "name@example.com"),
    "email-two-ats": ({"author_email": "jane@doe@example.com"}, "author_email", "name@example.com"),
    "email-empty": ({"author_email": ""}, "author_email", "name@example.com"),
    # drift_schedule
    "cron-four-fields": ({"drift_schedule": "0 6 * *"}, "drift_schedule", "must have 5 fields"),
    "score-cron-minute-60": (
        {"score_schedule": "60 4 * * *"},
        "score_schedule",
        "minute value '60' is outside 0-59",
    ),
    "cron-six-fields": ({"drift_schedule": "0 6 * * 1 2"}, "drift_schedule", "must have 5 fields"),
    # A valid cron that never fires (actionlint would reject the generated workflow).
    "cron-february-31": ({"drift_schedule": "0 0 31 2 *"}, "drift_schedule", "never fires"),
    "score-cron-april-june-31": (
        {"score_schedule": "0 4 31 apr,jun *"},
        "score_schedule",
        "never fires",
    ),
    "cron-minute-60": (
        {"drift_schedule": "60 6 * * 1"},
        "drift_schedule",
        "minute value '60' is outside 0-59",
    ),
    "cron-hour-24": (
        {"drift_schedule": "0 24 * * 1"},
        "drift_schedule",
        "hour value '24' is outside 0-23",
    ),
    "cron-day-of-month-0": (
        {"drift_schedule": "0 6 0 * *"},
        "drift_schedule",
        "day of month value '0' is outside 1-31",
    ),
    "cron-month-13": (
        {"drift_schedule": "0 6 * 13 *"},
        "drift_schedule",
        "month value '13' is outside 1-12",
    ),
    "cron-day-of-week-8": (
        {"drift_schedule": "0 6 * * 8"},
        "drift_schedule",
        "day of week value '8' is outside 0-6",
    ),
    "cron-range-out-of-bounds": (
        {"drift_schedule": "0 6-25 * * *"},
        "drift_schedule",
        "hour value '25' is outside 0-23",
    ),
    "cron-word": ({"drift_schedule": "0 six * * *"}, "drift_schedule", "hour value 'six'"),
    "cron-step-zero": (
        {"drift_schedule": "0 */0 * * *"},
        "drift_schedule",
        "hour step '0' must be a positive whole number",
    ),
    "cron-step-word": (
        {"drift_schedule": "0 6 */x * *"},
        "drift_schedule",
        "step 'x' must be a positive whole number",
    ),
    "cron-every-2-minutes": (
        {"drift_schedule": "*/2 * * * *"},
        "drift_schedule",
        "more often than every 5 minutes",
    ),
    "cron-every-minute": (
        {"drift_schedule": "* * * * *"},
        "drift_schedule",
        "more often than every 5 minutes",
    ),
    # dvc_remote_url against dvc_remote
    "remote-s3-given-gs-url": (
        {"dvc_remote": "s3", "dvc_remote_url": "gs://bucket/models"},
        "dvc_remote_url",
        "must start with s3://",
    ),
    "remote-s3-scheme-only": (
        {"dvc_remote": "s3", "dvc_remote_url": "s3://"},
        "dvc_remote_url",
        "must start with s3:// followed by a location",
    ),
    "remote-s3-space": (
        {"dvc_remote": "s3", "dvc_remote_url": "s3://my bucket/models"},
        "dvc_remote_url",
        "s3://",
    ),
    "remote-gs-given-s3-url": (
        {"dvc_remote": "gs", "dvc_remote_url": "s3://bucket/models"},
        "dvc_remote_url",
        "must start with gs://",
    ),
    "remote-azure-given-az-url": (
        {"dvc_remote": "azure", "dvc_remote_url": "az://container/models"},
        "dvc_remote_url",
        "must start with azure://",
    ),
    "remote-ssh-given-sftp-url": (
        {"dvc_remote": "ssh", "dvc_remote_url": "sftp://host/srv/dvc"},
        "dvc_remote_url",
        "must start with ssh://",
    ),
    "remote-ssh-given-path": (
        {"dvc_remote": "ssh", "dvc_remote_url": "/srv/dvc"},
        "dvc_remote_url",
        "must start with ssh://",
    ),
    "remote-local-given-url": (
        {"dvc_remote": "local", "dvc_remote_url": "s3://bucket/models"},
        "dvc_remote_url",
        "give a folder path",
    ),
    "remote-local-empty": (
        {"dvc_remote": "local", "dvc_remote_url": "  "},
        "dvc_remote_url",
        "give a folder path",
    ),
    # primary_metric against task
    "metric-roc-auc-for-regression": (
        {"task": "regression", "primary_metric": "roc_auc", "gate_threshold": "0.8"},
        "primary_metric",
        "choose one of mae, r2, rmse",
    ),
    "metric-rmse-for-binary": (
        {"primary_metric": "rmse", "gate_threshold": "10"},
        "primary_metric",
        "choose one of accuracy, balanced_accuracy, f1, log_loss, precision, recall, roc_auc",
    ),
    "metric-binary-roc-auc-for-multiclass": (
        {"task": "multiclass_classification", "primary_metric": "roc_auc", "gate_threshold": "0.8"},
        "primary_metric",
        "roc_auc_ovr",
    ),
    "metric-unknown": ({"primary_metric": "auc"}, "primary_metric", "roc_auc"),
    # gate_threshold
    "threshold-word": ({"gate_threshold": "high"}, "gate_threshold", "is not a number"),
    "threshold-empty": ({"gate_threshold": ""}, "gate_threshold", "is not a number"),
    "threshold-score-above-1": ({"gate_threshold": "1.5"}, "gate_threshold", "between 0 and 1"),
    "threshold-score-negative": ({"gate_threshold": "-0.1"}, "gate_threshold", "between 0 and 1"),
    "threshold-score-nan": ({"gate_threshold": "nan"}, "gate_threshold", "between 0 and 1"),
    "threshold-error-zero": (
        {"task": "regression", "gate_threshold": "0"},
        "gate_threshold",
        "must be > 0",
    ),
    "threshold-error-negative": (
        {"task": "regression", "gate_threshold": "-25"},
        "gate_threshold",
        "must be > 0",
    ),
    "threshold-error-infinite": (
        {"task": "regression", "gate_threshold": "inf"},
        "gate_threshold",
        "rmse",
    ),
    # one-line text fields
    "project-name-newline": (
        {**NAMES, "project_name": "Churn\nModel"},
        "project_name",
        "use one line of text",
    ),
    "project-name-blank": ({**NAMES, "project_name": "   "}, "project_name", "is empty"),
    "description-newline": (
        {"description": "Line one\nline two"},
        "description",
        "use one line of text",
    ),
    "author-name-tab": ({"author_name": "Jane\tDoe"}, "author_name", "use one line of text"),
    # code_owners
    "owners-empty": ({"code_owners": " "}, "code_owners", "@org/team"),
    "owners-no-at": ({"code_owners": "acme/ml"}, "code_owners", "'acme/ml'"),
    "owners-comment": ({"code_owners": "@acme # all"}, "code_owners", "'#'"),
    # training_runner
    "runner-empty": ({"training_runner": ""}, "training_runner", "is empty: give one label"),
    "runner-blank": ({"training_runner": "  "}, "training_runner", "is empty"),
    "runner-space-in-label": (
        {"training_runner": "ubuntu 24.04"},
        "training_runner",
        "label 'ubuntu 24.04' holds whitespace (separate labels with commas)",
    ),
    "runner-space-separated-list": (
        {"training_runner": "self-hosted linux gpu"},
        "training_runner",
        "'self-hosted,linux,x64,gpu'",
    ),
    "runner-colon": (
        {"training_runner": "self-hosted,gpu:a100"},
        "training_runner",
        "label 'gpu:a100' has ':': runner labels are letters, digits, '.', '_', '-'",
    ),
    "runner-yaml-list": (
        {"training_runner": "[self-hosted, gpu]"},
        "training_runner",
        "has '['",
    ),
    "runner-shell-variable": (
        {"training_runner": "$RUNNER"},
        "training_runner",
        "has '$'",
    ),
    "runner-trailing-comma": (
        {"training_runner": "self-hosted,gpu,"},
        "training_runner",
        "label 3 is empty (a stray comma)",
    ),
    "runner-newline": (
        {"training_runner": "self-hosted\ngpu"},
        "training_runner",
        "holds whitespace",
    ),
}


@pytest.mark.parametrize(("answers", "field", "accepted"), REFUSED.values(), ids=REFUSED.keys())
def test_bad_answer_is_refused_before_anything_is_written(
    tmp_path, capfd, answers, field, accepted
):
    output = tmp_path / "out"
    output.mkdir()
    if answers.get("dvc_remote", "local") == "local" and "dvc_remote_url" not in answers:
        # Should the hook wrongly accept, the bake must not write to ~/.dvc-remotes.
        answers = {**answers, "dvc_remote_url": str(tmp_path / "remote")}
    capfd.readouterr()
    with pytest.raises(FailedHookException):
        bake(output, **answers)
    err = capfd.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert "nothing was generated" in err, err
    assert len(problems) == 1, f"expected exactly one problem (about {field}), got:\n{err}"
    assert problems[0].startswith(f"  - {field} "), err
    assert accepted in problems[0], err
    assert "Retry without retyping" in err and "--replay-file" in err, err
    assert "Traceback" not in err, err
    assert list(output.iterdir()) == []


# Answers the hook's checks accept (run on the hook's code without baking).
ACCEPTED = {
    "defaults-binary": {},
    "defaults-multiclass": {"task": "multiclass_classification", "primary_metric": "f1_macro"},
    "defaults-regression": {
        "task": "regression",
        "primary_metric": "rmse",
        "gate_threshold": "25.0",
    },
    "error-metric-log-loss": {"primary_metric": "log_loss", "gate_threshold": "0.5"},
    "score-threshold-bounds": {"gate_threshold": "1"},
    "score-threshold-zero": {"gate_threshold": "0"},
    "cron-names": {"drift_schedule": "30 5 1-15 jan-jun mon-fri"},
    "cron-lists-and-steps": {"drift_schedule": "*/5 0,12 */2 * 0"},
    "cron-every-5-minutes": {"drift_schedule": "*/5 * * * *"},
    "cron-february-29": {"drift_schedule": "0 0 29 2 *"},
    "cron-31st-of-odd-months": {"drift_schedule": "0 0 31 */2 *"},
    "cron-31st-or-mondays": {"drift_schedule": "0 0 31 2 1"},
    "one-letter-slug": {"project_slug": "m", "package_name": "m"},
    "slug-64": {"project_slug": "a" * 64, "package_name": "a" * 64},
    "remote-local-relative": {"dvc_remote_url": "../dvc-store"},
    "remote-s3": {"dvc_remote": "s3", "dvc_remote_url": "s3://bucket/models"},
    "remote-gs": {"dvc_remote": "gs", "dvc_remote_url": "gs://bucket/models"},
    "remote-azure": {"dvc_remote": "azure", "dvc_remote_url": "azure://container/models"},
    "remote-ssh": {"dvc_remote": "ssh", "dvc_remote_url": "ssh://user@host:2222/srv/dvc"},
    "email-plus-subdomain": {"author_email": "jane+ml@mail.example.co.uk"},
    "unicode-name": {"project_name": "Prévision de résiliation", **NAMES},
    "owners-team-user-email": {"code_owners": "@acme/ml-reviewers @jane-doe ml@acme.example"},
    "runner-latest": {"training_runner": "ubuntu-latest"},
    "runner-larger": {"training_runner": "ubuntu-24.04-16core"},
    "runner-self-hosted": {"training_runner": "self-hosted,linux,x64,gpu"},
    "runner-self-hosted-spaced": {"training_runner": "self-hosted, linux, gpu_a100"},
}

VALID = {
    "project_name": "Customer Churn",
    "project_slug": "customer-churn",
    "package_name": "customer_churn",
    "description": "A model.",
    "author_name": "Jane Doe",
    "author_email": "jane.doe@example.com",
    "code_owners": "@your-org/ml-reviewers",
    "python_version": "3.11",
    "task": "binary_classification",
    "primary_metric": "roc_auc",
    "gate_threshold": "0.75",
    "dvc_remote": "local",
    "dvc_remote_url": "~/.dvc-remotes/customer-churn",
    "drift_schedule": "0 6 * * 1",
    "score_schedule": "0 4 * * *",
    "training_runner": "ubuntu-24.04",
    "license": "MIT",
}


@pytest.mark.parametrize("answers", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_hook_accepts_valid_answers(pre_gen_hook, answers):
    assert pre_gen_hook.problems_in({**VALID, **answers}) == []


# cookiecutter renders Jinja in answers first (`${{ vars.RUNNER }}` stops it: 'vars' is
# undefined), but a replayed or pre-rendered answer can still reach the hook with one.
@pytest.mark.parametrize("runner", ["${{ vars.TRAINING_RUNNER }}", "self-hosted,${{ matrix.os }}"])
def test_hook_refuses_an_expression_as_the_training_runner(pre_gen_hook, runner):
    (problem,) = pre_gen_hook.problems_in({**VALID, "training_runner": runner})
    assert problem.startswith(f"training_runner {runner!r} holds a GitHub expression"), problem
    assert "'self-hosted,linux,x64,gpu'" in problem


def test_valid_answers_table_matches_the_prompts():
    assert set(VALID) == {key for key in DEFAULTS if not key.startswith("_")}


def test_refusal_table_covers_every_free_text_prompt():
    choices = {key for key, value in DEFAULTS.items() if isinstance(value, list)}
    free_text = {key for key in DEFAULTS if not key.startswith("_")} - choices
    assert free_text <= {field for _, field, _ in REFUSED.values()}


# Shell, quoting and Python-string hazards; each must come out verbatim and run nothing.
HOSTILE = {
    "project_name": "Robert\"); $(touch PWNED) `touch PWNED2` '; rm -rf x",
    "description": "Says \"\"\"hi\"\"\" and '''bye''' \\n $(touch PWNED3); `touch PWNED4` # & <b>",
    "author_name": 'O\'Brien "Bob" $(touch PWNED5) `touch PWNED6` Smith',
    "project_slug": "robert-tables",
    "package_name": "robert_tables",
}


@pytest.fixture(scope="module")
def hostile(baked):
    return baked(**HOSTILE)


def test_hostile_text_runs_nothing(hostile):
    places = [
        hostile.parent,
        TEMPLATE,
        TEMPLATE / "hooks",
        Path.cwd(),
        Path(tempfile.gettempdir()),
        Path.home(),
    ]
    found = [path for place in places for path in place.glob("PWNED*")]
    found += list(hostile.parent.rglob("PWNED*"))
    assert found == []


def test_hostile_text_is_kept_verbatim(hostile):
    readme = (hostile / "README.md").read_text(encoding="utf-8")
    assert HOSTILE["project_name"] in readme
    assert HOSTILE["description"] in readme

    pyproject = tomllib.loads((hostile / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == HOSTILE["description"]
    assert pyproject["project"]["authors"][0]["name"] == HOSTILE["author_name"]
    assert pyproject["project"]["name"] == HOSTILE["project_slug"]

    artifacts = yaml.safe_load((hostile / "dvc.yaml").read_text(encoding="utf-8"))["artifacts"]
    assert artifacts[HOSTILE["project_slug"]]["desc"] == HOSTILE["description"]

    author = run(["git", "log", "-1", "--format=%an"], hostile).stdout.strip()
    assert author == HOSTILE["author_name"]


def test_hostile_text_leaves_python_files_compiling(hostile, tmp_path):
    sources = sorted(hostile.rglob("*.py"))
    assert any(path.name == "cli.py" for path in sources)
    for number, path in enumerate(sources):
        py_compile.compile(str(path), cfile=str(tmp_path / f"{number}.pyc"), doraise=True)


def test_hostile_text_leaves_the_package_cli_working(hostile):
    env = dict(os.environ, PYTHONPATH=str(hostile / "src"), PYTHONDONTWRITEBYTECODE="1")
    result = run([sys.executable, "-m", HOSTILE["package_name"], "--help"], hostile, env=env)
    assert "validate" in result.stdout
