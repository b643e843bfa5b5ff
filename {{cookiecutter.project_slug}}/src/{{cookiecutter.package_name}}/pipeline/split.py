"""The split stage: hold out a test set, stratified by class for classification tasks."""

import logging
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from .. import paths
from ..contract.schema import load_schema
from ..errors import ProjectError
from ..params import Params
from ..tasks import CLASSIFICATION_TASKS

LOGGER = logging.getLogger(__name__)


def split_frame(
    frame: pd.DataFrame, target: str, task: str, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) frames; every class keeps its share in both for classification."""
    stratify = None
    if task in CLASSIFICATION_TASKS:
        _check_class_sizes(frame[target])
        stratify = frame[target]
    try:
        train, test = train_test_split(
            frame, test_size=test_size, random_state=seed, stratify=stratify
        )
    except ValueError as error:  # e.g. fewer test rows than classes
        raise ProjectError(
            f"cannot split {len(frame)} rows: {error}",
            "add rows, or change split.test_size in params.yaml",
        ) from None
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _check_class_sizes(labels: pd.Series) -> None:
    counts = labels.value_counts()
    rare = counts[counts < 2]
    if not rare.empty:
        shown = ", ".join(f"{label!r} ({count} row)" for label, count in rare.items())
        raise ProjectError(
            f"classes {shown} of {labels.name!r} are too rare to put in both train and test",
            "add rows of those classes, or remove them from the data and schema.yaml",
        )


def split_file(params: Params) -> None:
    schema = load_schema(paths.SCHEMA)
    frame = pd.read_parquet(paths.VALIDATED)
    train, test = split_frame(
        frame,
        schema.target,
        params.task,
        params.split.test_size,
        params.split.seed,
    )
    for part, path in ((train, paths.TRAIN_SPLIT), (test, paths.TEST_SPLIT)):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        part.to_parquet(path, index=False)
    LOGGER.info(f"split {len(frame)} rows: {len(train)} train, {len(test)} test")
