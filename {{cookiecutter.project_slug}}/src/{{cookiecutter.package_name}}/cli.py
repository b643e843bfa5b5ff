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
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
