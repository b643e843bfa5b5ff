"""The pipeline's commands: each dvc.yaml stage, and pull/repro/push in CI."""

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from .. import paths
from ..params import load_params

LOGGER = logging.getLogger(__name__)


def _stage(name: str) -> Callable[[argparse.Namespace], None]:
    def run(_args: argparse.Namespace) -> None:
        from importlib import import_module

        module, function = STAGES[name]
        getattr(import_module(f"{__package__}.{module}"), function)(load_params())

    return run


STAGES = {
    "split": ("split", "split_file"),
    "train": ("train", "train_file"),
    "evaluate": ("evaluate", "evaluate_file"),
    "profile": ("profile", "profile_file"),
}
STAGE_HELP = {
    "split": "split validated data into train and test sets",
    "train": "fit the model pipeline on the train split",
    "evaluate": "score the model on the test split; write metrics and plots",
    "profile": "write the reference profile used by drift checks",
}


def _validate(args: argparse.Namespace) -> None:
    """The validate stage: pyarrow's check (contract/validate.py), or the engine's for a Parquet
    file when params.yaml names one (a CSV's text is parsed as pandas parses it, by pyarrow)."""
    from ..contract.stream import suffix_format
    from ..contract.validate import validate_file

    params = load_params()
    checker = None
    if params.engine != "pyarrow":
        if suffix_format(str(args.data)) == "parquet":
            from .validate_on_engine import engine_checker

            checker = engine_checker(params)
        else:
            LOGGER.info(
                f"{args.data} is CSV: validated by pyarrow (engine {params.engine} reads Parquet)"
            )
    validate_file(args.data, args.schema, args.output, args.report, checker)


def _register_validate(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    validate = commands.add_parser("validate", help="check raw data against schema.yaml")
    validate.add_argument("data", help="CSV or Parquet (.parquet, .pq) file to check")
    validate.add_argument("--schema", default=paths.SCHEMA, help="the data contract")
    validate.add_argument(
        "--output", default=paths.VALIDATED, help="typed Parquet written on success"
    )
    validate.add_argument("--report", default=paths.VALIDATION_REPORT, help="JSON report")
    validate.set_defaults(handler=_validate)


def _pull(args: argparse.Namespace) -> None:
    from .remote import pull

    pull(args.notes_file)


def _repro(args: argparse.Namespace) -> None:
    from .remote import repro

    repro(args.notes_file)


def _push(_args: argparse.Namespace) -> None:
    from .remote import push_outputs

    push_outputs()


def _demo_data(args: argparse.Namespace) -> None:
    from ..contract.stream import suffix_format
    from ..demo_data import write_csv

    task = load_params().task
    if suffix_format(args.output) != "parquet":
        path = write_csv(args.output, task, args.rows, args.seed, args.drift)
    else:
        path = _demo_parquet(Path(args.output), task, args.rows, args.seed, args.drift)
    LOGGER.info(f"wrote {args.rows} rows to {path}")


def _demo_parquet(path: Path, task: str, rows: int, seed: int, drift: float) -> Path:
    """The demo dataset as Parquet, typed as pandas reads its CSV (numbers with missing values
    as float64), as a user's own Parquet often is."""
    import tempfile

    import pandas as pd

    from ..demo_data import write_csv

    with tempfile.TemporaryDirectory() as folder:
        frame = pd.read_csv(write_csv(Path(folder) / "demo.csv", task, rows, seed, drift))
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    _register_validate(commands)
    for name, text in STAGE_HELP.items():
        commands.add_parser(name, help=text).set_defaults(handler=_stage(name))
    for name, handler, text in [
        ("pull", _pull, "dvc pull with the run cache; rebuild from source without a remote"),
        ("repro", _repro, "dvc repro; a failure leaves a note for the pull-request report"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument("--notes-file", default=paths.NOTES, help="notes for the report")
        command.set_defaults(handler=handler)
    commands.add_parser(
        "push", help="dvc push outputs and run cache when params.yaml sets ci.push_outputs"
    ).set_defaults(handler=_push)
    demo = commands.add_parser("demo-data", help="write a demo dataset (optionally drifted)")
    demo.add_argument("output", help="the file to write: CSV, or Parquet if named .parquet/.pq")
    demo.add_argument("--rows", type=int, default=5000, help="how many rows")
    demo.add_argument("--seed", type=int, default=42, help="the random seed")
    demo.add_argument("--drift", type=float, default=0.0, help="0 = training population")
    demo.set_defaults(handler=_demo_data)
