"""The model being served, swapped as one object: a request reads `Slot.current` once and uses
that model, its contract and its version to the end, so a swap never mixes two versions in one
response (replacing one reference is atomic in Python)."""

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ProjectError
from ..scoring.model import ScoringModel, load_model
from .records import Record, checked_rows, example_record, feature_frame, record_model


@dataclass(frozen=True)
class Served:
    model: ScoringModel
    record: Record  # the request record's rules, from this model's own contract
    stage: str | None
    data_md5: str | None
    labels: tuple[str, ...]  # the classes as the answers name them (empty for a regressor)
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "version": self.model.version,
            "stage": self.stage,
            "commit": self.model.commit,
            "data_md5": self.data_md5,
            "loaded_at": self.loaded_at,
        }


def load_served(model_dir: str | Path, stage: str | None) -> Served:
    """The fetched model in `model_dir`, checked (load_model) and ready to serve; a model that
    cannot predict one row of its own contract is refused here, not on the first request."""
    model = load_model(model_dir)
    metadata = Path(model_dir) / "model.json"
    data_md5 = None
    if metadata.is_file():
        data_md5 = json.loads(metadata.read_text(encoding="utf-8")).get("raw_data", {}).get("md5")
    labels = tuple(str(np.asarray(label).item()) for label in model.classes or [])
    served = Served(model, record_model(model.schema), stage, data_md5, labels)
    try:
        example, errors = checked_rows(served.record, example_record(model.schema))
        if errors:
            raise ValueError(f"its contract refuses its own example record: {errors}")
        model.predict(feature_frame(example, model.schema))
    except Exception as error:  # whatever breaks in the model, it must not start serving
        raise ProjectError(
            f"model {model.version} in {model_dir} cannot score a record of its own contract: "
            f"{type(error).__name__}: {error}",
            "fetch it again, or install the library versions it was trained with",
        ) from error
    return served


class Slot:
    """Holds the served model; `swap` replaces it whole."""

    def __init__(self, served: Served) -> None:
        self.current = served
        self._lock = threading.Lock()  # one swap at a time; readers take no lock

    def swap(self, served: Served) -> Served:
        with self._lock:
            previous, self.current = self.current, served
        return previous
