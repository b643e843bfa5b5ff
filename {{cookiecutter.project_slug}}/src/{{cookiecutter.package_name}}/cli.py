"""Command line: `python -m <package> <command>`. Each dvc.yaml stage is one command here.

This module only collects the commands each capability registers (contract, pipeline, review,
release, drift, scoring, serving, ops, template); heavy imports happen inside the commands so
`--help` and the commands that only read JSON stay fast.
"""

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .console import set_verbosity
from .contract import commands as contract
from .drift import commands as drift
from .errors import EXIT_STATUS_HELP, ProjectError
from .ops import commands as ops
from .pipeline import commands as pipeline
from .release import commands as release
from .review import commands as review
from .scoring import commands as scoring
from .serving import commands as serving
from .template import commands as template

PACKAGE = __package__
CAPABILITIES = (contract, pipeline, review, release, drift, scoring, serving, ops, template)


class Parser(argparse.ArgumentParser):
    """argparse's parser, suggesting the nearest command for a misspelt one (subcommands'
    parsers are of the same class, so this holds at every level)."""

    def error(self, message: str) -> NoReturn:
        wrong = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if wrong:
            choices = re.findall(r"'([^']*)'", wrong.group(2))
            nearest = difflib.get_close_matches(wrong.group(1), choices, n=1, cutoff=0.6)
            if nearest:
                message = f"unknown command '{wrong.group(1)}': did you mean '{nearest[0]}'?"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=f"python -m {PACKAGE}",
        description=f"{PACKAGE}: the model's data contract, pipeline, reviews, releases and "
        "drift checks, batch scoring, the HTTP service and the operations report.",
        epilog=EXIT_STATUS_HELP,
    )
    add_verbosity(parser, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    for capability in CAPABILITIES:
        capability.register(commands)
    _complete_every_command(commands)
    return parser


def add_verbosity(parser: argparse.ArgumentParser, default: Any = 0) -> None:
    """-v/-q, counted. Every command takes them, before or after its name; a command's own
    parser leaves them unset (SUPPRESS) unless given, so it never resets the top level's."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="say more: each DVC and git command run, with its time (-vv: the same)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=default,
        help="only warnings and errors (-qq: errors only); results a script reads still print",
    )


def _complete_every_command(
    commands: "argparse._SubParsersAction[Any]",
) -> None:
    for command in commands.choices.values():
        command.epilog = command.epilog or EXIT_STATUS_HELP
        if not command._subparsers:
            add_verbosity(command, argparse.SUPPRESS)
        for action in command._subparsers._group_actions if command._subparsers else ():
            _complete_every_command(action)


def chosen_parser(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> argparse.ArgumentParser:
    """The parser of the (sub)command `args` chose: its usage is the one to show."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, action.dest, None):
            return chosen_parser(action.choices[getattr(args, action.dest)], args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        chosen_parser(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    set_verbosity(getattr(args, "verbose", 0), getattr(args, "quiet", 0))
    try:
        args.handler(args)
    except ProjectError as error:
        print(f"{error.heading}: {error}", file=sys.stderr)
        return error.exit_code
    return 0
