"""Command line: `python -m <package> <command>`. Each dvc.yaml stage is one command here.

Heavy imports happen inside the commands so `--help` and the dependency-free commands stay fast.
"""

import argparse
import sys

from . import config
from .errors import GateFailed, ProjectError

NOTES = "reports/notes.md"


def _validate(args):
    from .validate import validate_file

    validate_file(args.data, args.schema, args.output, args.report)


def _split(args):
    from .split import split_file

    split_file(config.load_params())


def _train(args):
    from .train import train_file

    train_file(config.load_params())


def _evaluate(args):
    from .evaluate import evaluate_file

    evaluate_file(config.load_params())


def _profile(args):
    from .profile import profile_file

    profile_file(config.load_params())


def _schema_infer(args):
    from .schema import infer_file

    infer_file(args.csv, args.target, args.output, config.PARAMS)


def _report_pr(args):
    from .remote import read_notes
    from .report import write_pr_report

    write_pr_report(args.base, args.output, [*read_notes(args.notes_file), *args.note])


def _pull(args):
    from .remote import pull

    pull(args.notes_file)


def _repro(args):
    from .remote import repro

    repro(args.notes_file)


def _push(args):
    from .remote import push_outputs

    push_outputs()


def _gate(args):
    import json

    from .metrics import gate

    params = config.load_params()
    if not config.METRICS.exists():
        raise ProjectError(f"{config.METRICS} not found", "run `dvc repro` first")
    metrics = json.loads(config.METRICS.read_text(encoding="utf-8"))
    metric, threshold = (config.setting(params, f"gate.{key}") for key in ("metric", "threshold"))
    result = gate(metrics, metric, threshold)
    print(f"quality gate: {result}")
    if not result.passed:
        raise GateFailed(
            f"the model does not meet the quality gate ({result})",
            "improve the model, or change gate.threshold in params.yaml with a reviewer's consent",
        )


def _demo_data(args):
    from .demo_data import write_csv

    params = config.load_params()
    path = write_csv(args.output, params["task"], args.rows, args.seed, args.drift)
    print(f"wrote {args.rows} rows to {path}")


# --- releases and the model registry (git tags in GTO's format; see registry.py) ----------
def _registry(args):
    from .registry import Registry

    return Registry()


def _release_version(args):
    from .release import release_version

    return release_version(_registry(args), args.tag)


def _release_verify(args):
    from .release import verify

    verify(_registry(args), args.tag, args.default_branch)


def _release_pull(args):
    from .release import pull

    pull(_registry(args), _release_version(args))


def _release_gate(args):
    from .release import check_gate, require_gate

    version = _release_version(args)
    require_gate(check_gate(_registry(args), version, config.load_params(), args.stage), version)


def _release_bundle(args):
    from .release import build_bundle, check_gate

    registry, version, params = _registry(args), _release_version(args), config.load_params()
    report = check_gate(registry, version, params, args.stage)
    build_bundle(registry, version, params, report, args.output_dir)


def _release_publish(args):
    from .release import bundle_dir, publish

    version = _release_version(args)
    publish(version, args.bundle_dir or bundle_dir(version))


def _release_assign(args):
    version = _release_version(args)
    print(_registry(args).assign(version.version, args.stage, once=True).message)


def _release_propose(args):
    from .release import propose_and_tag

    propose_and_tag(_registry(args), config.load_params(), create=args.create)


def _release_create(args):
    registry = _registry(args)
    print(registry.create_version(args.version, args.rev, args.message, not args.no_push).message)


def _promote(args):
    outcome = _registry(args).assign(args.version, args.stage, args.message, not args.no_push)
    print(outcome.message)


def _registry_show(args):
    import json

    state = _registry(args).show()
    if args.json:
        print(json.dumps(state, indent=2))
        return
    print(f"{state['model']}: latest {state['latest'] or '-'}")
    for stage, version in state["stages"].items():
        print(f"  {stage}: {version or '-'}")


def _registry_history(args):
    import json

    rows = _registry(args).history()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        stage = f" {row['stage']}" if row["stage"] else ""
        when, version, commit = row["when"], row["version"], row["commit"][:7]
        why = f"  {row['why']}" if row["why"] else ""
        print(f"{when}  {row['event']}{stage}  {version}  {commit}  by {row['by']}{why}")


def _registry_sync(args):
    registry = _registry(args)
    if not registry.fetch_tags():
        raise ProjectError("this repository has no `origin` remote", "add it: git remote add ...")
    print(f"registry tags match {registry.remote}: {len(registry.versions())} versions")


def _registry_fetch(args):
    import json
    import os

    from .registry import fetch
    from .remote import credentials_env

    os.environ.update(credentials_env())  # secrets that arrive as text become files for DVC
    record = fetch(_registry(args), args.output_dir, args.stage, args.version, not args.no_refresh)
    print(json.dumps(record, indent=2))


def _add_release_commands(commands):
    release = commands.add_parser("release", help="release a version: verify, gate, bundle...")
    steps = release.add_subparsers(dest="release_command", required=True)
    for name, handler, text in [
        ("verify", _release_verify, "check the tag: annotated, on the default branch"),
        ("pull", _release_pull, "dvc pull the model, its metadata and profile at the tag"),
        ("gate", _release_gate, "exit 1 unless the version passes the gate and beats production"),
        ("bundle", _release_bundle, "write the release bundle with its model card"),
        ("publish", _release_publish, "create the GitHub Release with the bundle (gh)"),
        ("assign", _release_assign, "assign the stage once (re-runs never move it back)"),
    ]:
        step = steps.add_parser(name, help=text)
        step.add_argument("--tag", required=True, help="the version tag, e.g. <model>@v1.2.0")
        step.set_defaults(handler=handler)
        if name == "verify":
            step.add_argument("--default-branch", default="main")
        if name in ("gate", "bundle", "assign"):
            step.add_argument("--stage", default="production", help="the stage it goes to")
        if name == "bundle":
            step.add_argument("--output-dir", help="default: release/<model>-<version>")
        if name == "publish":
            step.add_argument("--bundle-dir", help="default: release/<model>-<version>")
    propose = steps.add_parser(
        "propose", help="the next version when the model changed since the latest release"
    )
    propose.add_argument(
        "--create",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create and push the tag (default: when REPO_TOKEN is set)",
    )
    propose.set_defaults(handler=_release_propose)
    create = steps.add_parser("create", help="tag a commit as a version and push the tag")
    create.add_argument("--version", required=True, help="e.g. v1.2.0")
    create.add_argument("--rev", default="HEAD")
    create.add_argument("--message", default="")
    create.add_argument("--no-push", action="store_true", help="only create the local tag")
    create.set_defaults(handler=_release_create)

    promote = commands.add_parser("promote", help="assign a stage to a version (rollback too)")
    promote.add_argument("--version", required=True, help="e.g. v1.2.0")
    promote.add_argument("--stage", default="production")
    promote.add_argument("--message", default="", help="why, recorded in the stage tag")
    promote.add_argument("--no-push", action="store_true", help="only create the local tags")
    promote.set_defaults(handler=_promote)

    registry = commands.add_parser("registry", help="inspect the model registry (git tags)")
    views = registry.add_subparsers(dest="registry_command", required=True)
    for name, handler, text in [
        ("show", _registry_show, "latest version and the version in each stage"),
        ("history", _registry_history, "every registration and stage change, oldest first"),
    ]:
        view = views.add_parser(name, help=text)
        view.add_argument("--json", action="store_true")
        view.set_defaults(handler=handler)
    views.add_parser("sync", help="make the local registry tags match origin's").set_defaults(
        handler=_registry_sync
    )
    fetch = views.add_parser("fetch", help="download a version's model, profile and metrics")
    chosen = fetch.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--stage", help="the version in this stage, e.g. production")
    chosen.add_argument("--version", help="this version, e.g. v1.2.0")
    fetch.add_argument("--output-dir", required=True)
    fetch.add_argument("--no-refresh", action="store_true", help="do not fetch tags from origin")
    fetch.set_defaults(handler=_registry_fetch)


# --- drift checks (drift*.py; exit 0 no drift, 1 drift, 3 could not check) -----------------
DRIFT_EPILOG = (
    "exit status: 0 no drift, 1 drift, 3 could not check (source missing, empty, unreadable "
    "or off the contract; the message names the cause), 2 a settings error"
)


def _drift_output_dir(args):
    from .drift import DriftSettings

    return args.output_dir or DriftSettings.from_params(config.load_params()).output_dir


def _drift_check(args):
    from .drift import CouldNotCheck
    from .drift_check import exit_for, run_check, write_github_output

    output_dir = _drift_output_dir(args)
    try:
        document = run_check(
            config.load_params(), args.current, args.date, args.reference_dir, output_dir
        )
    except CouldNotCheck:
        write_github_output("could_not_check")
        raise
    write_github_output(document["status"])
    exit_for(document, output_dir)


def _drift_reference(args):
    from .drift_check import fetch_reference

    fetch_reference(args.output_dir)


def _drift_simulate(args):
    from .drift_check import simulate_batch, today

    simulate_batch(config.load_params(), args.date or today(), args.output)


def _drift_prepare(args):
    from .drift_check import prepare, today

    prepare(config.load_params(), args.date or today())


def _drift_issue(args):
    from .drift_report import read_document
    from .github_issues import IssueTracker, sync_issues

    for line in sync_issues(read_document(_drift_output_dir(args)), IssueTracker()):
        print(line)


def _drift_retrain(args):
    from .drift_retrain import retrain

    retrain(config.load_params(), _drift_output_dir(args))


def _drift_pr(args):
    from .drift_retrain import open_pull_request

    open_pull_request(_drift_output_dir(args))


def _drift_status(args):
    from .drift_check import exit_status

    exit_status(_drift_output_dir(args))


def _add_drift_commands(commands):
    drift = commands.add_parser(
        "drift", help="check current data for drift; report, open issues, retrain"
    )
    steps = drift.add_subparsers(dest="drift_command", required=True)
    check = steps.add_parser(
        "check",
        help="compare the current data with the reference profile; write drift.{json,md,html}",
        epilog=DRIFT_EPILOG,
    )
    check.add_argument("--current", help="data to check (default: params.yaml drift.source)")
    check.add_argument("--date", help="the check's date, YYYY-MM-DD, for {date} (default: today)")
    check.add_argument(
        "--reference-dir",
        help="profile.json, model.joblib, metrics.json of the model in production (see `drift "
        "reference`); default: the workspace's models/ and metrics.json",
    )
    check.set_defaults(handler=_drift_check)
    reference = steps.add_parser(
        "reference",
        help="fetch the production model's reference; the workspace's when none is in production",
    )
    reference.add_argument("--output-dir", required=True)
    reference.set_defaults(handler=_drift_reference)
    simulate = steps.add_parser("simulate", help="write the demo's drifting batch for a date")
    simulate.add_argument("--date", help="YYYY-MM-DD (default: today)")
    simulate.add_argument("--output", help="default: drift.source with {date} filled in")
    simulate.set_defaults(handler=_drift_simulate)
    prepare = steps.add_parser(
        "prepare", help="simulate the batch (drift.simulate) or `dvc update` a DVC import"
    )
    prepare.add_argument("--date", help="YYYY-MM-DD (default: today)")
    prepare.set_defaults(handler=_drift_prepare)
    for name, handler, text in [
        ("issue", _drift_issue, "open, update or close the GitHub drift issue (gh)"),
        ("retrain", _drift_retrain, "on drift with drift.retrain_on_drift: new data, dvc repro"),
        ("pr", _drift_pr, "open the retraining pull request (cml pr create)"),
        ("status", _drift_status, "exit with the last check's status (0, 1 or 3)"),
    ]:
        steps.add_parser(name, help=text).set_defaults(handler=handler)
    for name in ("check", "issue", "retrain", "pr", "status"):
        steps.choices[name].add_argument(
            "--output-dir", help="the reports' folder (default: params.yaml drift.output_dir)"
        )


def build_parser():
    parser = argparse.ArgumentParser(prog=__package__, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate", help="check raw data against schema.yaml")
    validate.add_argument("data", help="CSV file to check")
    validate.add_argument("--schema", default=config.SCHEMA)
    validate.add_argument(
        "--output", default=config.VALIDATED, help="typed Parquet written on success"
    )
    validate.add_argument("--report", default=config.VALIDATION_REPORT, help="JSON report")
    validate.set_defaults(handler=_validate)

    for name, handler, text in [
        ("split", _split, "split validated data into train and test sets"),
        ("train", _train, "fit the model pipeline on the train split"),
        ("evaluate", _evaluate, "score the model on the test split; write metrics and plots"),
        ("profile", _profile, "write the reference profile used by drift checks"),
    ]:
        commands.add_parser(name, help=text).set_defaults(handler=handler)

    schema = commands.add_parser("schema", help="work with the data contract")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    infer = schema_commands.add_parser(
        "infer", help="write schema.yaml from a CSV and point params.yaml at it"
    )
    infer.add_argument("csv")
    infer.add_argument("--target", required=True, help="the column to predict")
    infer.add_argument("--output", default=config.SCHEMA)
    infer.set_defaults(handler=_schema_infer)

    report = commands.add_parser("report", help="write review reports")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    pr = report_commands.add_parser(
        "pr", help="markdown report for a pull request: validation, params/metrics diff, gate"
    )
    pr.add_argument("--base", required=True, help="git revision to compare with, e.g. origin/main")
    pr.add_argument("--output", default="reports/pr.md")
    pr.add_argument("--note", action="append", default=[], help="a line shown on top (repeatable)")
    pr.add_argument(
        "--notes-file", default=NOTES, help="more notes, one a line (written by pull and repro)"
    )
    pr.set_defaults(handler=_report_pr)

    commands.add_parser(
        "gate", help="exit 1 unless metrics.json meets the gate in params.yaml"
    ).set_defaults(handler=_gate)

    for name, handler, text in [
        ("pull", _pull, "dvc pull with the run cache; rebuild from source without a remote"),
        ("repro", _repro, "dvc repro; a failure leaves a note for the pull-request report"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument("--notes-file", default=NOTES, help="notes for the report")
        command.set_defaults(handler=handler)
    commands.add_parser(
        "push", help="dvc push outputs and run cache when params.yaml sets ci.push_outputs"
    ).set_defaults(handler=_push)

    demo = commands.add_parser("demo-data", help="write a demo dataset (optionally drifted)")
    demo.add_argument("output")
    demo.add_argument("--rows", type=int, default=5000)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--drift", type=float, default=0.0, help="0 = training population")
    demo.set_defaults(handler=_demo_data)
    _add_release_commands(commands)
    _add_drift_commands(commands)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
