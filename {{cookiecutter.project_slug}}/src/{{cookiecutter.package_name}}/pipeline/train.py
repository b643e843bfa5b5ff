"""The train stage: fit the pipeline on the train split; save it with its provenance."""

import json
import logging
import platform
from typing import TYPE_CHECKING, Any

import joblib
import pandas as pd
import sklearn

from .. import paths
from ..contract.schema import Schema, load_schema
from ..edge.dvc import file_md5, pointer_md5
from ..edge.git import head_commit
from ..errors import ProjectError
from ..params import ModelParams, Params
from .features import build_pipeline, limited_threads

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def fit_pipeline(
    frame: pd.DataFrame, schema: Schema, task: str, model_params: ModelParams
) -> "Pipeline":
    pipeline = build_pipeline(schema, task, model_params)
    try:
        with limited_threads():
            pipeline.fit(frame[schema.features], frame[schema.target])
    except ValueError as error:  # sklearn's invalid hyperparameter values land here
        family = model_params.family
        raise ProjectError(
            f"fitting the {family} model failed: {error}",
            f"check model.hyperparameters.{family} in params.yaml",
        ) from None
    return pipeline


def model_metadata(
    pipeline: "Pipeline", schema: Schema, task: str, params: Params, n_rows: int
) -> dict[str, Any]:
    """What the model is and what made it. No timestamps: retraining the same inputs gives
    the same file, so DVC and git see no change."""
    raw = params.data.raw
    classes = getattr(pipeline, "classes_", None)
    return {
        "task": task,
        "target": schema.target,
        "features": schema.features,
        "classes": None if classes is None else classes.tolist(),
        "positive_label": schema.positive_label,
        "params": {"task": task, "model": params.model.model_dump()},
        "git_commit": head_commit(),
        "training_data": {
            "path": paths.TRAIN_SPLIT.as_posix(),
            "md5": file_md5(paths.TRAIN_SPLIT),
            "rows": n_rows,
        },
        "raw_data": {"path": raw, "md5": pointer_md5(raw)},
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
        },
    }


def train_file(params: Params) -> None:
    task = params.task
    schema = load_schema(paths.SCHEMA)
    train = pd.read_parquet(paths.TRAIN_SPLIT)
    pipeline = fit_pipeline(train, schema, task, params.model)
    paths.MODEL.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, paths.MODEL)
    metadata = model_metadata(pipeline, schema, task, params, len(train))
    paths.MODEL_METADATA.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    family = params.model.family
    LOGGER.info(
        f"trained {family} on {len(train)} rows; wrote {paths.MODEL} and {paths.MODEL_METADATA}"
    )
