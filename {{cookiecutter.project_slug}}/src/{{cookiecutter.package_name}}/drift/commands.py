"""`drift ...`: the drift check, its reports, the GitHub issue and retraining."""

import argparse
import logging

from ..errors import CouldNotCheck
from ..params import load_params

LOGGER = logging.getLogger(__name__)

DRIFT_EPILOG = (
    "exit status: 0 no drift, 1 drift, 3 could not check (source missing, empty, unreadable "
    "or off the contract; the message names the cause), 2 a settings error"
)


def _drift_output_dir(args: argparse.Namespace) -> str:
    return args.output_dir or load_params().drift.output_dir


def _drift_check(args: argparse.Namespace) -> None:
    from .check import exit_for, run_check, write_github_output

    output_dir = _drift_output_dir(args)
    try:
        document = run_check(load_params(), args.current, args.date, args.reference_dir, output_dir)
    except CouldNotCheck:
        write_github_output("could_not_check")
        raise
    write_github_output(document["status"])
    exit_for(document, output_dir)


def _drift_reference(args: argparse.Namespace) -> None:
    from .check import fetch_reference

    fetch_reference(args.output_dir)


def _drift_simulate(args: argparse.Namespace) -> None:
    from .report import today
    from .simulate import simulate_batch

    simulate_batch(load_params(), args.date or today(), args.output)


def _drift_prepare(args: argparse.Namespace) -> None:
    from .report import today
    from .simulate import prepare

    prepare(load_params(), args.date or today())


def _drift_issue(args: argparse.Namespace) -> None:
    from .issues import IssueTracker, sync_issues
    from .report import read_document

    for line in sync_issues(read_document(_drift_output_dir(args)), IssueTracker()):
        LOGGER.info(line)


def _drift_retrain(args: argparse.Namespace) -> None:
    from .retrain import retrain

    retrain(load_params(), _drift_output_dir(args))


def _drift_pr(args: argparse.Namespace) -> None:
    from .retrain import open_pull_request

    open_pull_request(_drift_output_dir(args))


def _drift_status(args: argparse.Namespace) -> None:
    from .check import exit_status

    exit_status(_drift_output_dir(args))


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
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
    reference.add_argument(
        "--output-dir", required=True, help="where to write the reference model and profile"
    )
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
