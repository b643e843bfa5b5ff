"""`validate` and `schema infer`: the data contract's commands."""

import argparse

from .. import paths


def _validate(args: argparse.Namespace) -> None:
    from .validate import validate_file

    validate_file(args.data, args.schema, args.output, args.report)


def _schema_infer(args: argparse.Namespace) -> None:
    from .infer import infer_file

    infer_file(args.data, args.target, args.output, paths.PARAMS)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    validate = commands.add_parser("validate", help="check raw data against schema.yaml")
    validate.add_argument("data", help="CSV or Parquet (.parquet, .pq) file to check")
    validate.add_argument("--schema", default=paths.SCHEMA, help="the data contract")
    validate.add_argument(
        "--output", default=paths.VALIDATED, help="typed Parquet written on success"
    )
    validate.add_argument("--report", default=paths.VALIDATION_REPORT, help="JSON report")
    validate.set_defaults(handler=_validate)

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
