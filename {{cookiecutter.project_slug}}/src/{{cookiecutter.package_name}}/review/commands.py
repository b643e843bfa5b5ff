"""`report pr` and `gate`: what a pull request is judged by."""

import argparse
import json
import logging

from .. import paths
from ..params import load_params

LOGGER = logging.getLogger(__name__)


def _report_pr(args: argparse.Namespace) -> None:
    from ..pipeline.remote import read_notes
    from .report import write_pr_report

    write_pr_report(args.base, args.output, [*read_notes(args.notes_file), *args.note])


def _gate(_args: argparse.Namespace) -> None:
    from ..edge.dvc import workspace_output_text
    from ..pipeline.gate import judge, require
    from .production import production_for_report

    params = load_params()
    metrics = json.loads(workspace_output_text(paths.METRICS))
    production, notes = production_for_report()
    for note in notes:
        LOGGER.info(note)
    require(judge(metrics, production, params.gate), "the model")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    commands.add_parser(
        "gate",
        help="exit 1 unless metrics.json meets params.yaml's gate and is not worse than "
        "production by more than gate.tolerance",
    ).set_defaults(handler=_gate)
    report = commands.add_parser("report", help="write review reports")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    pr = report_commands.add_parser(
        "pr", help="markdown report for a pull request: validation, params/metrics diff, gate"
    )
    pr.add_argument("--base", required=True, help="git revision to compare with, e.g. origin/main")
    pr.add_argument("--output", default=paths.PR_REPORT, help="where to write the report")
    pr.add_argument("--note", action="append", default=[], help="a line shown on top (repeatable)")
    pr.add_argument(
        "--notes-file",
        default=paths.NOTES,
        help="more notes, one a line (written by pull and repro)",
    )
    pr.set_defaults(handler=_report_pr)
