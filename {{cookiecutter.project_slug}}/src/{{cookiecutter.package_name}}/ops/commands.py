"""`ops report` and `ops issue`: the engineering figures of the model's life, from git and
GitHub (deployment frequency, lead time, change failure rate, time to restore and to retrain,
latency, pipeline reliability, quality over versions)."""

import argparse
import json
import logging
from pathlib import Path

from .. import paths

LOGGER = logging.getLogger(__name__)


def _report(args: argparse.Namespace) -> None:
    from .github import gh_reader
    from .report import build, parse_day, write

    report = build(".", parse_day(args.since), parse_day(args.until, end=True), gh_reader())
    written = write(report, args.output)
    figures = ", ".join(report["figures"]) or "none"
    LOGGER.info(f"wrote {', '.join(map(str, written))}: {figures}")
    for name, why in report["unavailable"].items():
        LOGGER.warning(f"not computed: {name}: {why}")


def _issue(args: argparse.Namespace) -> None:
    from .health import update_issue

    report = json.loads(args.report.read_text(encoding="utf-8"))
    body = args.report.with_suffix(".md").read_text(encoding="utf-8")
    LOGGER.info(update_issue(f"Model health: {report['model']}", body))


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    ops = commands.add_parser(
        "ops", help="engineering figures from git and GitHub: deployments, lead time, failures..."
    )
    actions = ops.add_subparsers(dest="action", required=True)
    report = actions.add_parser(
        "report", help="write reports/ops.json, ops.md and ops.html from git and GitHub"
    )
    report.add_argument("--since", help="first day (YYYY-MM-DD); default: the first version")
    report.add_argument("--until", help="last day (YYYY-MM-DD), included; default: now")
    report.add_argument(
        "--output", type=Path, default=paths.OPS_REPORT, help="the JSON report; .md/.html beside"
    )
    report.set_defaults(handler=_report)
    issue = actions.add_parser(
        "issue", help="edit the pinned Model health issue from the report (or open and pin it)"
    )
    issue.add_argument("--report", type=Path, default=paths.OPS_REPORT, help="ops.json to post")
    issue.set_defaults(handler=_issue)
