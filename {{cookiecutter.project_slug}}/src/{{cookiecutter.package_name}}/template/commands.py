"""`template ...`: take the template's updates; change an answer given at generation."""

import argparse
import logging
from pathlib import Path

from ..edge.github import append_summary, set_output
from ..paths import TEMPLATE_UPDATE_BODY

LOGGER = logging.getLogger(__name__)


def _update(args: argparse.Namespace) -> None:
    from .describe import body
    from .update import update_from_template

    update = update_from_template(args.checkout)
    if update is None:
        LOGGER.info("Up to date with the template: nothing to merge.")
        set_output("changed", "false")
        return
    text = body(update)
    args.body.parent.mkdir(parents=True, exist_ok=True)
    args.body.write_text(text, encoding="utf-8")
    append_summary(text)
    set_output("changed", "true")
    LOGGER.info(
        f"Merged the template's {update.old_commit[:12]}..{update.new_commit[:12]}: "
        f"{len(update.changed)} files changed, {len(update.conflicts)} conflicts (kept this "
        f"project's version; listed in {args.body}). Review with `git diff`, then commit."
    )


def _pull_request(args: argparse.Namespace) -> None:
    from .pull_request import open_or_update

    text = args.body.read_text(encoding="utf-8")
    title = args.title or text.splitlines()[0].removeprefix("# ")  # describe.body's heading
    LOGGER.info(open_or_update(title, args.body, args.base))


def _answer(args: argparse.Namespace) -> None:
    from .answers import change_answers, parse_assignments

    conflicts = change_answers(parse_assignments(args.assignments))
    note = f"; kept this project's version of {', '.join(conflicts)}" if conflicts else ""
    answers = " ".join(args.assignments)
    LOGGER.info(f"Re-rendered with {answers}{note}. Review with `git diff`, commit.")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    template = commands.add_parser(
        "template", help="take the template's updates (cruft); change an answer given at generation"
    )
    steps = template.add_subparsers(dest="template_command", required=True)
    update = steps.add_parser(
        "update",
        help="merge the template's changes since .cruft.json's commit; conflicts are listed, "
        "and those files keep this project's version",
    )
    update.add_argument("--checkout", help="a template branch, tag or commit (default: its HEAD)")
    update.set_defaults(handler=_update)
    pull_request = steps.add_parser(
        "pr", help="commit the update on the template-update branch; open or update its PR (gh)"
    )
    pull_request.add_argument("--base", default="main", help="the branch it merges into")
    pull_request.add_argument("--title", help="default: the body's first line")
    pull_request.set_defaults(handler=_pull_request)
    for step in (update, pull_request):
        step.add_argument(
            "--body", type=Path, default=TEMPLATE_UPDATE_BODY, help="the pull request's text"
        )
    answer = steps.add_parser(
        "answer",
        help="re-render with changed answers (e.g. dvc_remote=s3 dvc_remote_url=s3://b/p) at the "
        "project's template commit; DVC's remote follows dvc_remote_url",
    )
    answer.add_argument("assignments", nargs="+", metavar="KEY=VALUE", help="the answers to change")
    answer.set_defaults(handler=_answer)
