"""A released model ready to score: its fitted pipeline, the contract it was trained under and
the version and commit it came from (the folder `registry fetch` writes)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..contract.schema import Schema, load_schema
from ..contract.stream import model_input
from ..errors import ProjectError
from ..pipeline.predictions import predicted

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MODEL_FILES = ("model.joblib", "schema.yaml", "version.json")


@dataclass(frozen=True)
class ScoringModel:
    pipeline: "Pipeline"
    schema: Schema
    version: str
    commit: str
    name: str | None = None  # the registry's model name

    @property
    def classes(self) -> list[Any] | None:
        """The classes in predict_proba's column order; None for a regressor."""
        classes = getattr(self.pipeline, "classes_", None)
        return None if classes is None else list(classes)

    @property
    def fitted_features(self) -> list[str]:
        """The features in the order the model was fitted on (sklearn checks the order)."""
        return list(self.pipeline.feature_names_in_)

    def features(self, frame: pd.DataFrame) -> pd.DataFrame:
        return model_input(frame, self.fitted_features)

    def predict(
        self, frame: pd.DataFrame
    ) -> tuple[npt.NDArray[Any], npt.NDArray[np.float64] | None]:
        """(predictions, class probabilities or None) for a typed frame of the features."""
        return predicted(self.pipeline, self.features(frame))


def load_model(model_dir: str | Path) -> ScoringModel:
    """The model in `model_dir`; refused when a file is missing or the model and its contract
    disagree on the features."""
    folder = Path(model_dir)
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise ProjectError(
            f"{folder} lacks {', '.join(missing)}: it is not a fetched model",
            "fetch one with `registry fetch --stage production --output-dir <folder>`",
        )
    import joblib

    record = json.loads((folder / "version.json").read_text(encoding="utf-8"))
    model = ScoringModel(
        joblib.load(folder / "model.joblib"),
        load_schema(folder / "schema.yaml"),
        record["version"],
        record["commit"],
        record.get("model"),
    )
    _require_agreement(model, folder)
    return model


def _require_agreement(model: ScoringModel, folder: Path) -> None:
    fitted = list(getattr(model.pipeline, "feature_names_in_", []))
    if sorted(fitted) != sorted(model.schema.features):
        raise ProjectError(
            f"the model in {folder} was fitted on {fitted} but its contract lists the features "
            f"{model.schema.features}",
            "fetch the model again: its schema.yaml must come from the model's own commit",
        )
