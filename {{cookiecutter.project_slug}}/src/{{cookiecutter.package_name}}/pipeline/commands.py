"""The pipeline's commands: each dvc.yaml stage, and pull/repro/push in CI."""

import argparse
import logging
from collections.abc import Callable

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
    from ..demo_data import write_csv

    path = write_csv(args.output, load_params().task, args.rows, args.seed, args.drift)
    LOGGER.info(f"wrote {args.rows} rows to {path}")


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
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
    demo.add_argument("output", help="the CSV to write")
    demo.add_argument("--rows", type=int, default=5000, help="how many rows")
    demo.add_argument("--seed", type=int, default=42, help="the random seed")
    demo.add_argument("--drift", type=float, default=0.0, help="0 = training population")
    demo.set_defaults(handler=_demo_data)
