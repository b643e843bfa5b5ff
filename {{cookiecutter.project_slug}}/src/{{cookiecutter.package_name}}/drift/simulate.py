"""The demo's current data: a batch per day that drifts more every day since
`drift.simulation.start`; and `drift prepare`, which makes the day's data available."""

import datetime
import logging
from pathlib import Path

import pandas as pd

from .. import paths
from ..contract.schema import Schema, load_schema
from ..demo_data import demo_columns, generate_rows
from ..edge.dvc import DvcRun, first_error_line, run_dvc
from ..errors import CouldNotCheck, ProjectError
from ..params import DriftParams, Params
from .check import check_date

LOGGER = logging.getLogger(__name__)


def demo_schema_or_refuse() -> Schema:
    """schema.yaml, when it describes the demo data the simulator writes; else a ProjectError
    saying to turn the simulation off (the project brought its own data)."""
    schema = load_schema(paths.SCHEMA)
    unknown = sorted(set(schema.columns) - set(demo_columns()))
    if unknown:
        raise ProjectError(
            "drift.simulate is true, but it simulates the demo data and schema.yaml describes "
            f"other columns ({', '.join(unknown[:5])})",
            "set `drift.simulate: false` in params.yaml and point `drift.source` at your "
            "current data (`schema infer` does both for a new CSV)",
        )
    return schema


def simulated_drift(settings: DriftParams, date: str) -> float:
    """How far the demo population has drifted on `date`: growing per day since the start."""
    days = (datetime.date.fromisoformat(date) - check_start(settings)).days
    return min(settings.simulation.max, settings.simulation.per_day * max(days, 0))


def check_start(settings: DriftParams) -> datetime.date:
    try:
        return datetime.date.fromisoformat(settings.simulation.start)
    except ValueError:
        raise ProjectError(
            f"drift.simulation.start in params.yaml is {settings.simulation.start!r}",
            "give the date the simulated drift starts from as YYYY-MM-DD",
        ) from None


def simulate_batch(params: Params, date: str, output: str | Path | None = None) -> Path:
    """Write the demo's batch for `date` (deterministic per date) as Parquet; return its path."""

    settings = params.drift
    date = check_date(date)
    if "://" in settings.source and output is None:
        raise ProjectError(f"drift.source {settings.source} is not a local path", "give --output")
    path = Path(output or settings.source.replace("{date}", date))
    drift = simulated_drift(settings, date)
    seed = int(date.replace("-", ""))
    schema = demo_schema_or_refuse()
    rows = generate_rows(params.task, settings.simulation.rows, seed, drift)
    frame = pd.DataFrame(list(rows))[list(schema.columns)]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    LOGGER.info(f"simulated {len(frame)} rows for {date} (drift {drift:.2f}): {path}")
    return path


def prepare(params: Params, date: str, dvc: DvcRun = run_dvc) -> Path | str | None:
    """Make the current data available: simulate it (demo), `dvc update` a DVC import, or
    nothing when drift.source is read directly."""
    settings = params.drift
    if settings.simulate:
        return simulate_batch(params, date)
    source = settings.source.replace("{date}", check_date(date))
    if source.endswith(".dvc") and "://" not in source:
        code, output = dvc("update", source)
        LOGGER.info(output)
        if code != 0:
            raise CouldNotCheck(
                f"`dvc update {source}` failed: {first_error_line(output)}",
                "check that the import's source repository and path still exist",
            )
        return source
    LOGGER.info(f"drift.source {source} is read directly: nothing to prepare")
    return None
