"""Command line: `python -m <package> <command>`. Each dvc.yaml stage is one command here.

This module only collects the commands each capability registers (contract, pipeline, review,
release, drift, scoring, serving, ops, template); heavy imports happen inside the commands so
`--help` and the commands that only read JSON stay fast.
"""

import argparse
import sys
from collections.abc import Sequence

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE}",
        description=f"{PACKAGE}: the model's data contract, pipeline, reviews, releases and "
        "drift checks, batch scoring, the HTTP service and the operations report.",
        epilog=EXIT_STATUS_HELP,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for capability in CAPABILITIES:
        capability.register(commands)
    _every_help_names_the_exit_status(commands)
    return parser


def _every_help_names_the_exit_status(
    commands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    for command in commands.choices.values():
        command.epilog = command.epilog or EXIT_STATUS_HELP
        for action in command._subparsers._group_actions if command._subparsers else ():
            _every_help_names_the_exit_status(action)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
