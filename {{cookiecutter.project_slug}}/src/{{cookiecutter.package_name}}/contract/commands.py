"""`schema infer`: the data contract's command (its check, `validate`, is the pipeline's first
stage: pipeline/commands.py)."""

import argparse

from .. import paths


def _schema_infer(args: argparse.Namespace) -> None:
    from .infer import infer_file

    infer_file(args.data, args.target, args.output, paths.PARAMS)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    schema = commands.add_parser("schema", help="work with the data contract")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True)
    infer = schema_commands.add_parser(
        "infer", help="write schema.yaml from a CSV or Parquet file and point params.yaml at it"
    )
    infer.add_argument(
        "data", help="the CSV or Parquet file to learn the contract from (inside the project)"
    )
    infer.add_argument("--target", required=True, help="the column to predict")
    infer.add_argument("--output", default=paths.SCHEMA, help="where to write the contract")
    infer.set_defaults(handler=_schema_infer)
