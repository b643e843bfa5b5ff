"""`predict`: score a batch file with a released model (by stage or version) or a fetched one."""

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

from ..edge.github import append_summary, set_output
from ..params import load_params

LOGGER = logging.getLogger(__name__)

MODELS_CACHE = Path(".cache/models")  # fetched models, one folder per stage or version


def add_model_choice(parser: argparse.ArgumentParser) -> "argparse._MutuallyExclusiveGroup":
    """--stage | --version | --model-dir, the model a command uses (model_dir reads them); the
    group, for a command to add its own way of naming the model."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stage", help="the model the registry has in this stage (production)")
    which.add_argument("--version", help="a released version, e.g. v1.2.0")
    which.add_argument("--model-dir", help="a folder `registry fetch` wrote (no registry lookup)")
    return which


def model_dir(args: argparse.Namespace) -> Path:
    """The model folder that --model-dir names, or the one --version/--stage (or a command's
    --tag) fetch into."""
    if args.model_dir:
        return Path(args.model_dir)
    from ..release.fetch import fetch
    from ..release.registry import Registry

    registry = Registry()
    version, tag = args.version, getattr(args, "tag", None)
    if tag:
        from ..release.steps import release_version

        version = release_version(registry, tag).version
    folder = MODELS_CACHE / (version or args.stage)
    stage = None if version else args.stage
    # A --tag is a release the release workflow verified in this run: its tags as they are (no
    # token to fetch them again is needed).
    fetch(registry, folder, stage=stage, version=version, refresh=not tag)
    return folder


def _predict(args: argparse.Namespace) -> None:
    from ..edge.dvc import use_credentials
    from .batch import score_file
    from .model import load_model
    from .on_engine import scoring_engine

    use_credentials()  # the model's fetch and an object-store input or output use them
    params = load_params()
    settings = params.score
    model = load_model(model_dir(args))
    date = args.date or datetime.now(UTC).date().isoformat()
    source = (args.input or settings.source).replace("{date}", date)
    output = (args.output or settings.destination).replace("{date}", date)
    output = output.replace("{version}", model.version)
    engine = scoring_engine(params, source)
    summary = score_file(model, source, output, args.chunk_rows or settings.chunk_rows, engine)
    findings = "; ".join(f"{f['column']} {f['rule']}: {f['rows']} rows" for f in summary.findings)
    line = (
        f"Scored {summary.rows} rows of {source} with {model.version} (commit "
        f"{model.commit[:12]}) into {output}"
    )
    LOGGER.info(line + (f". Contract findings (scored anyway): {findings}" if findings else "."))
    append_summary(f"{line}.\n\n{'Contract findings: ' + findings if findings else ''}\n")
    set_output("rows", str(summary.rows))
    set_output("output", output)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    predict = commands.add_parser(
        "predict",
        help="score a CSV or Parquet file (local or object storage) with a released model, in "
        "chunks; writes Parquet with the ids, predictions, probabilities and model version",
    )
    add_model_choice(predict)
    predict.add_argument("--input", help="default: params.yaml score.source ({date} filled in)")
    predict.add_argument(
        "--output", help="default: params.yaml score.destination ({date}, {version} filled in)"
    )
    predict.add_argument("--date", help="YYYY-MM-DD for {date} (default: today, UTC)")
    predict.add_argument("--chunk-rows", type=int, help="default: params.yaml score.chunk_rows")
    predict.set_defaults(handler=_predict)
