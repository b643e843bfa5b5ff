"""The train stage: fit the pipeline on the train split; save it with its provenance."""

import hashlib
import json
import platform
import subprocess
from pathlib import Path

import joblib
import pandas as pd
import sklearn
import yaml

from . import config
from .errors import ProjectError
from .features import build_pipeline, limited_threads
from .schema import load_schema


def fit_pipeline(frame, schema, task, model_params):
    pipeline = build_pipeline(schema, task, model_params)
    try:
        with limited_threads():
            pipeline.fit(frame[schema.features], frame[schema.target])
    except ValueError as error:  # sklearn's invalid hyperparameter values land here
        family = model_params.get("family")
        raise ProjectError(
            f"fitting the {family} model failed: {error}",
            f"check model.hyperparameters.{family} in params.yaml",
        ) from None
    return pipeline


def file_md5(path):
    digest = hashlib.md5()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dvc_recorded_md5(path):
    """The md5 DVC recorded for `path` in `path.dvc`, or None when it is not DVC-tracked."""
    tracker = Path(f"{path}.dvc")
    if not tracker.exists():
        return None
    outs = (yaml.safe_load(tracker.read_text(encoding="utf-8")) or {}).get("outs") or [{}]
    return outs[0].get("md5")


def git_commit():
    """HEAD's commit, or None outside git or before the first commit."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def model_metadata(pipeline, schema, task, params, n_rows):
    """What the model is and what made it. No timestamps: retraining the same inputs gives
    the same file, so DVC and git see no change."""
    raw = config.setting(params, "data.raw")
    classes = getattr(pipeline, "classes_", None)
    return {
        "task": task,
        "target": schema.target,
        "features": schema.features,
        "classes": None if classes is None else classes.tolist(),
        "positive_label": schema.positive_label,
        "params": {"task": task, "model": config.setting(params, "model")},
        "git_commit": git_commit(),
        "training_data": {
            "path": config.TRAIN_SPLIT.as_posix(),
            "md5": file_md5(config.TRAIN_SPLIT),
            "rows": n_rows,
        },
        "raw_data": {"path": raw, "md5": dvc_recorded_md5(raw)},
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
        },
    }


def train_file(params):
    task = config.task_of(params)
    schema = load_schema(config.SCHEMA)
    train = pd.read_parquet(config.TRAIN_SPLIT)
    pipeline = fit_pipeline(train, schema, task, config.setting(params, "model"))
    config.MODEL.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, config.MODEL)
    metadata = model_metadata(pipeline, schema, task, params, len(train))
    config.MODEL_METADATA.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    family = config.setting(params, "model.family")
    print(
        f"trained {family} on {len(train)} rows; wrote {config.MODEL} and {config.MODEL_METADATA}"
    )
