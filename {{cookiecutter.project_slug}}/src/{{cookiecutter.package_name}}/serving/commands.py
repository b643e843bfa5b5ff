"""`serve`: the model of a stage (or a version, or a fetched folder) over HTTP; with --follow it
keeps serving whatever version origin's stage tag points at."""

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..console import with_timestamps
from ..params import load_params
from ..paths import LATENCY_REPORT
from ..scoring.commands import MODELS_CACHE, add_model_choice, model_dir

LOGGER = logging.getLogger(__name__)

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
    with_timestamps()
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


def _latency(args: argparse.Namespace) -> None:
    from ..edge.dvc import use_credentials
    from ..edge.github import append_summary
    from .latency import check_gate, markdown, measure

    use_credentials()
    levels = tuple(int(level) for level in args.concurrency.split(","))
    report = measure(model_dir(args), levels, args.requests, args.seconds)
    table = markdown(report)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    output.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table, end="")
    append_summary(f"### Service latency\n\n{table}")
    if args.gate:
        LOGGER.info(check_gate(report, load_params().serve.max_p99_ms))


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    serve = commands.add_parser(
        "serve",
        help="serve a released model over HTTP (POST /predict, GET /health, GET /version); "
        "--follow swaps in whatever version origin's stage tag points at",
    )
    add_model_choice(serve)
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

    latency = commands.add_parser(
        "latency",
        help="start the service on a free 127.0.0.1 port and time one-row requests over HTTP "
        "at several concurrencies, beside the model's own predict (the floor)",
    )
    add_model_choice(latency).add_argument(
        "--tag", help="a release's tag, e.g. <model>@v1.2.0 (release.yml)"
    )
    latency.add_argument(
        "--gate",
        action="store_true",
        help="exit 1 when a request failed or the p99 at concurrency 8 exceeds params.yaml "
        "serve.max_p99_ms",
    )
    latency.add_argument("--concurrency", default="1,8,32", help="default: 1,8,32")
    latency.add_argument("--requests", type=int, default=2000, help="per level; default: 2000")
    latency.add_argument("--seconds", type=float, default=20.0, help="per level; default: 20")
    latency.add_argument(
        "--output",
        default=str(LATENCY_REPORT),
        help=f"JSON (and .md beside); default: {LATENCY_REPORT}",
    )
    latency.set_defaults(handler=_latency)
