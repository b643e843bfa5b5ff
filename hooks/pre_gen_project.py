"""Refuse bad answers before cookiecutter writes anything.

Jinja appears only in the ANSWERS constant: the answers arrive as one JSON string literal, so
quotes, `$()`, backticks or newlines in them stay data and never become code.
"""

import json
import keyword
import math
import re
import sys

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})

# Mirrors METRICS in the generated package's tasks.py; a template test keeps them equal.
METRICS_BY_TASK = {
    "binary_classification": {
        "accuracy",
        "balanced_accuracy",
        "f1",
        "precision",
        "recall",
        "roc_auc",
        "log_loss",
    },
    "multiclass_classification": {
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "roc_auc_ovr",
        "log_loss",
    },
    "regression": {"rmse", "mae", "r2"},
}
UNBOUNDED_ERROR_METRICS = {"rmse", "mae", "log_loss"}
# Names the generated package would shadow if it took them.
SHADOWED_PACKAGES = {
    "dvc",
    "gto",
    "sklearn",
    "pandas",
    "numpy",
    "scipy",
    "yaml",
    "joblib",
    "pyarrow",
    "pytest",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "ipykernel_launcher",
    "jupyter_client",
    "pydantic",
    "scmrepo",
    "threadpoolctl",
    "tqdm",
    "fsspec",
    "cookiecutter",
    "cruft",
    "fastapi",
    "uvicorn",
    "src",
    "tests",
    "test",
}
REMOTE_SCHEMES = {"s3": "s3://", "gs": "gs://", "azure": "azure://", "ssh": "ssh://"}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(MONTHS, start=1)}),
    ("day of week", 0, 6, {name: number for number, name in enumerate(WEEKDAYS)}),
)
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def check_text(field, value):
    if not value.strip():
        return [f"{field} is empty: give a short single-line text."]
    if any(ord(ch) < 32 for ch in value):
        return [f"{field} {value!r} holds a newline or control character: use one line of text."]
    return []


def check_slug(slug):
    if SLUG_RE.match(slug) and len(slug) <= 64:
        return []
    return [
        f"project_slug {slug!r} is not a valid repository and model name: use 1-64 lowercase "
        "letters, digits and single dashes, starting with a letter (e.g. 'customer-churn')."
    ]


def check_package(name):
    fix = "choose another, e.g. 'churn_model'."
    if not PACKAGE_RE.match(name):
        return [
            f"package_name {name!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter (e.g. 'customer_churn')."
        ]
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return [f"package_name {name!r} is a Python keyword: {fix}"]
    if name in sys.stdlib_module_names:
        return [f"package_name {name!r} is a standard-library module and would shadow it: {fix}"]
    if name in SHADOWED_PACKAGES:
        return [f"package_name {name!r} would shadow a package the project depends on: {fix}"]
    return []


def check_email(email):
    if EMAIL_RE.match(email):
        return []
    return [f"author_email {email!r} is not an email address: use the form name@example.com."]


OWNER_RE = re.compile(r"^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?$")


def check_owners(owners):
    names = owners.split()
    bad = [name for name in names if not (OWNER_RE.match(name) or EMAIL_RE.match(name))]
    if names and not bad:
        return []
    shown = ", ".join(repr(name) for name in bad) or "nothing"
    return [
        f"code_owners has {shown}: give GitHub owners separated by spaces, as @user or "
        "@org/team (or an email address), e.g. '@acme/ml-reviewers @jane'."
    ]


def check_metric(task, metric, threshold):
    allowed = METRICS_BY_TASK.get(task)
    if allowed is None:
        return [f"task {task!r} is unknown: choose one of {', '.join(sorted(METRICS_BY_TASK))}."]
    if metric not in allowed:
        return [
            f"primary_metric {metric!r} does not fit task {task!r}: choose one of "
            f"{', '.join(sorted(allowed))}."
        ]
    try:
        value = float(threshold)
    except ValueError:
        return [f"gate_threshold {threshold!r} is not a number: give e.g. 0.75."]
    if metric in UNBOUNDED_ERROR_METRICS:
        if not 0 < value < math.inf:
            return [
                f"gate_threshold {threshold!r} for {metric} (a maximum error) must be > 0 "
                "and finite."
            ]
    elif not 0 <= value <= 1:
        return [f"gate_threshold {threshold!r} for {metric} must lie between 0 and 1."]
    return []


def check_remote(kind, url):
    if kind == "local":
        if "://" in url:
            return [
                f"dvc_remote_url {url!r} has a URL scheme, but dvc_remote is 'local': give a "
                "folder path such as ~/.dvc-remotes/my-model, or pick the matching remote kind."
            ]
        return [] if url.strip() else ["dvc_remote_url is empty: give a folder path."]
    scheme = REMOTE_SCHEMES.get(kind)
    if scheme is None:
        return [f"dvc_remote {kind!r} is unknown: choose local, {', '.join(REMOTE_SCHEMES)}."]
    if not url.startswith(scheme) or len(url) <= len(scheme) or any(c.isspace() for c in url):
        return [
            f"dvc_remote_url {url!r} does not fit dvc_remote {kind!r}: it must start with "
            f"{scheme} followed by a location, e.g. {scheme}my-bucket/models."
        ]
    return []


RUNNER_LABEL_RE = re.compile(r"^[A-Za-z0-9._-]+$")
# A GitHub expression's opening, spelled so that Jinja (which renders this file) leaves it be.
EXPRESSION_START = "$" + "{" * 2
RUNNER_EXAMPLE = (
    "give one label such as ubuntu-24.04 (or a larger runner's name, ubuntu-24.04-16core), "
    "or a self-hosted runner's labels separated by commas, e.g. 'self-hosted,linux,x64,gpu'"
)


def check_runner(runner):
    """training_runner: one runner label, or several separated by commas (a YAML list)."""
    if EXPRESSION_START in runner:
        return [
            f"training_runner {runner!r} holds a GitHub expression; the template writes the "
            f"labels themselves: {RUNNER_EXAMPLE}."
        ]
    if not runner.strip():
        return [f"training_runner is empty: {RUNNER_EXAMPLE}."]
    problems = []
    for number, label in enumerate((part.strip() for part in runner.split(",")), start=1):
        if not label:
            problems.append(f"label {number} is empty (a stray comma)")
        elif any(ch.isspace() for ch in label):
            problems.append(f"label {label!r} holds whitespace (separate labels with commas)")
        elif not RUNNER_LABEL_RE.match(label):
            bad = "".join(sorted({ch for ch in label if not RUNNER_LABEL_RE.match(ch)}))
            problems.append(
                f"label {label!r} has {bad!r}: runner labels are letters, digits, '.', '_', '-'"
            )
    if problems:
        return [f"training_runner {runner!r}: {'; '.join(problems)}; {RUNNER_EXAMPLE}."]
    return []


def cron_field_errors(name, low, high, aliases, field):
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            return [f"{name} step {step!r} must be a positive whole number"]
        if base == "*":
            continue
        bounds = base.split("-")
        if len(bounds) > 2:
            return [f"{name} range {base!r} has too many '-'"]
        for bound in bounds:
            number = aliases.get(bound.lower(), int(bound) if bound.isdigit() else None)
            if number is None or not low <= number <= high:
                return [f"{name} value {bound!r} is outside {low}-{high}"]
    return []


def check_cron(expression, question="drift_schedule"):
    fields = expression.split()
    example = "e.g. '0 6 * * 1' (Mondays 06:00 UTC)"
    if len(fields) != 5:
        return [
            f"{question} {expression!r} must have 5 fields "
            f"(minute hour day-of-month month day-of-week), {example}."
        ]
    problems = []
    for (name, low, high, aliases), field in zip(CRON_FIELDS, fields, strict=True):
        problems += cron_field_errors(name, low, high, aliases, field)
    minute = fields[0]
    if minute == "*" or (minute.startswith("*/") and minute[2:].isdigit() and int(minute[2:]) < 5):
        problems.append(
            "the minute field fires more often than every 5 minutes, which GitHub does not run"
        )
    if not problems and not fires(fields):
        problems.append("no month has such a day, so it never fires")
    if problems:
        return [f"{question} {expression!r}: {'; '.join(problems)}; {example}."]
    return []


# The longest each month can be (February in a leap year): a day past it never comes.
MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def field_values(field, low, high, aliases):
    """The numbers a valid cron field selects."""
    values = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            start, end = low, high
        else:
            bounds = [int(b) if b.isdigit() else aliases[b.lower()] for b in base.split("-")]
            start = bounds[0]
            end = bounds[-1] if len(bounds) == 2 else (high if step else start)
        values.update(range(start, end + 1, int(step or 1)))
    return values


def fires(fields):
    """Whether a valid 5-field cron ever fires. Cron runs a day when its day of month or its
    day of week matches if both are restricted, so only a day of month restricted alone can
    rule out every date (e.g. '0 0 31 2 *', the 31st of February)."""
    day_of_month, month, day_of_week = fields[2], fields[3], fields[4]
    if day_of_month.startswith("*") or not day_of_week.startswith("*"):
        return True
    days = field_values(day_of_month, *CRON_FIELDS[2][1:])
    months = field_values(month, *CRON_FIELDS[3][1:])
    return any(day <= MONTH_DAYS[number - 1] for number in months for day in days)


def problems_in(answers):
    problems = []
    for field in ("project_name", "description", "author_name"):
        problems += check_text(field, answers[field])
    problems += check_slug(answers["project_slug"])
    problems += check_package(answers["package_name"])
    problems += check_email(answers["author_email"])
    problems += check_owners(answers["code_owners"])
    problems += check_metric(answers["task"], answers["primary_metric"], answers["gate_threshold"])
    problems += check_remote(answers["dvc_remote"], answers["dvc_remote_url"])
    problems += check_cron(answers["drift_schedule"])
    problems += check_cron(answers["score_schedule"], "score_schedule")
    problems += check_runner(answers["training_runner"])
    return problems


if __name__ == "__main__":
    found = problems_in(ANSWERS)
    if found:
        print(
            "cookiecutter-gitops-ml: the answers need fixing; nothing was generated.",
            file=sys.stderr,
        )
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        print(
            "Retry without retyping: give the fixed answer on the command line "
            "(`cookiecutter <template> package_name=churn_model`), or correct it in the answers "
            "cookiecutter saved under ~/.cookiecutter_replay/ and run "
            "`cookiecutter --replay-file <that file> <template>`.",
            file=sys.stderr,
        )
        sys.exit(1)
