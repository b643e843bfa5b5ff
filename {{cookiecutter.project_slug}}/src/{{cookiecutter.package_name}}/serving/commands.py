"""`serve`: the model of a stage (or a version, or a fetched folder) over HTTP; with --follow it
keeps serving whatever version origin's stage tag points at."""

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..params import load_params
from ..scoring.commands import MODELS_CACHE, model_dir

if TYPE_CHECKING:
    from .follow import Follower
    from .served import Slot


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from ..edge.dvc import use_credentials
    from ..pipeline.features import limited_threads
    from .app import create_app
    from .log import PredictionLog
    from .served import Slot, load_served

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    limited_threads()  # one OpenMP thread per prediction: requests are the parallelism
    use_credentials()  # fetching models (now and on every promotion) and an object-store log
    settings = load_params().serve
    slot = Slot(load_served(model_dir(args), args.stage))
    log = None
    if not args.no_log:
        log = PredictionLog(
            args.log or settings.log, settings.log_flush_rows, settings.log_flush_seconds
        ).start()
    follower = _follower(args, slot, settings.poll_seconds) if args.follow else None
    shutdown = (follower.stop,) if follower else ()
    uvicorn.run(
        create_app(slot, log, shutdown), host=args.host, port=args.port, log_level="warning"
    )


def _follower(args: argparse.Namespace, slot: "Slot", interval: float) -> "Follower":
    from ..errors import ProjectError
    from ..release.registry import Registry
    from .follow import Follower

    if not args.stage:
        raise ProjectError("--follow follows a stage", "add --stage production (or another stage)")
    return Follower(slot, Registry(), args.stage, Path(MODELS_CACHE), interval).start()


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    serve = commands.add_parser(
        "serve",
        help="serve a released model over HTTP (POST /predict, GET /health, GET /version); "
        "--follow swaps in whatever version origin's stage tag points at",
    )
    which = serve.add_mutually_exclusive_group(required=True)
    which.add_argument("--stage", help="the model the registry has in this stage (production)")
    which.add_argument("--version", help="a released version, e.g. v1.2.0")
    which.add_argument("--model-dir", help="a folder `registry fetch` wrote (no registry lookup)")
    serve.add_argument(
        "--follow",
        action="store_true",
        help="poll origin's stage tags (params.yaml serve.poll_seconds) and serve the stage's "
        "version as it moves",
    )
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.add_argument("--log", help="default: params.yaml serve.log")
    serve.add_argument("--no-log", action="store_true", help="keep no prediction log")
    serve.set_defaults(handler=_serve)
