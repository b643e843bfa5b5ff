"""Folding chunks of current data into counts per reference bin and category: memory stays
flat (one chunk at a time), and the statistics then work on counts alone."""

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..binning import bin_count_array
from ..errors import CouldNotCheck
from .tails import TailSum, distance_unit

# Columns binned at once: numpy's sort, most of the binning, runs without the GIL.
BINNING_THREADS = 2


@dataclass
class NumericSummary:
    """Counts of current values per reference bin (profile.bin_counts), and the exact sums of
    how far values lie outside the reference range (tails.py), for the Wasserstein tail."""

    counts: npt.NDArray[np.int64]
    unit: float = 1.0  # tails.distance_unit of the column's profile
    rows: int = 0
    nulls: int = 0
    below: TailSum = field(default_factory=TailSum)
    above: TailSum = field(default_factory=TailSum)

    @property
    def below_distance(self) -> float:
        return self.below.value(self.unit)

    @property
    def above_distance(self) -> float:
        return self.above.value(self.unit)

    def add(self, values: pd.Series, edges: npt.NDArray[np.float64] | None) -> None:
        numbers = _numbers(values)
        nulls = int(np.count_nonzero(np.isnan(numbers)))
        self.rows += len(numbers)
        self.nulls += nulls
        if edges is not None and len(edges):
            # Binned with the NaNs (they sort into the last bin, taken out again) rather than
            # from a copy without them; NaN is neither below nor above the edges.
            counts = bin_count_array(numbers, edges)
            counts[-1] -= nulls
            self.counts += counts
            self.below.add_distances(edges[0] - numbers[numbers < edges[0]], self.unit)
            self.above.add_distances(numbers[numbers > edges[-1]] - edges[-1], self.unit)


@dataclass
class CategorySummary:
    """Counts of current values per category (text, as the profile keeps them)."""

    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    nulls: int = 0

    def add(self, values: pd.Series, _edges: object = None) -> None:
        values = pd.Series(values)
        if isinstance(values.dtype, pd.StringDtype):
            self._add_text(pa.array(values))
            return
        present = values.dropna()
        self.rows += len(values)
        self.nulls += len(values) - len(present)
        self.counts.update(present.astype(str).value_counts().to_dict())

    def _add_text(self, text: pa.Array | pa.ChunkedArray) -> None:
        """Text values (the reader's category columns) counted by Arrow: their labels are the
        text itself, as astype(str) leaves it, without a pandas pass over the strings."""
        self.rows += len(text)
        self.nulls += text.null_count
        found = pc.value_counts(text.drop_null())
        labels, counts = found.field("values").to_pylist(), found.field("counts").to_pylist()
        self.counts.update(dict(zip(labels, counts, strict=True)))


@dataclass
class CurrentSummary:
    """What `compare` needs of the current data: rows, and per column (and for the model's
    predictions, when a `predict` was given) a NumericSummary or CategorySummary. Columns the
    data lacks (only the target may be absent) are not in `columns`."""

    rows: int = 0
    columns: dict[str, "NumericSummary | CategorySummary"] = field(default_factory=dict)
    predictions: "NumericSummary | CategorySummary | None" = None


def _numbers(values: pd.Series) -> npt.NDArray[np.float64]:
    series = pd.Series(values)
    try:
        # to_numeric returns numbers as they are, after a copy (0.7-1.8 ms per 200k values).
        numbers = series if pd.api.types.is_numeric_dtype(series.dtype) else pd.to_numeric(series)
        return numbers.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise CouldNotCheck(
            f"column {getattr(values, 'name', '?')!r} holds values that are not numbers ({error})",
            "fix the current data, or schema.yaml if the column's type changed",
        ) from None


def _new_summary(
    column_profile: dict[str, Any],
) -> tuple[NumericSummary | CategorySummary, npt.NDArray[np.float64] | None]:
    if column_profile["kind"] == "numeric":
        edges = np.asarray(column_profile["edges"], dtype=float)
        counts = np.zeros(len(edges) + 1, dtype=np.int64)
        return NumericSummary(counts, distance_unit(column_profile)), edges
    return CategorySummary(), None


def summarize_batches(
    profile: dict[str, Any],
    batches: Iterable[pd.DataFrame],
    predict: Callable[[pd.DataFrame], npt.ArrayLike] | None = None,
) -> CurrentSummary:
    """Fold frames of current data into a CurrentSummary against `profile`'s bins.

    `batches` yields pandas DataFrames (any number of rows each); only their running counts
    are kept. Every profiled column must be in every frame, except the target, which may be
    absent throughout. `predict(frame)` (optional) returns the model's predictions for a frame,
    summarized against profile["predictions"].
    """
    summary = CurrentSummary()
    target = profile.get("target")
    specs = {name: _new_summary(spec) for name, spec in profile["columns"].items()}
    prediction_spec = _new_summary(profile["predictions"]) if predict is not None else None
    has_target: bool | None = None
    with ThreadPoolExecutor(BINNING_THREADS) as pool:
        for number, frame in enumerate(batches, start=1):
            has_target = _has_target(number, frame, specs, target, has_target)
            summary.rows += len(frame)
            # Folded before the model predicts and the next frame is read: a frame's bad
            # column is the error the check reports.
            folded = [
                pool.submit(column_summary.add, frame[name], edges)
                for name, (column_summary, edges) in specs.items()
                if name in frame.columns
            ]
            for future in folded:
                future.result()
            if predict is not None and prediction_spec is not None and len(frame):
                prediction_spec[0].add(
                    pd.Series(predict(frame), name="prediction"), prediction_spec[1]
                )
    summary.columns = {
        name: column_summary
        for name, (column_summary, _) in specs.items()
        if name != target or has_target
    }
    if prediction_spec is not None:
        summary.predictions = prediction_spec[0]
    return summary


def _has_target(
    number: int, frame: object, specs: dict[str, Any], target: str | None, before: bool | None
) -> bool:
    """Whether the frame holds the target, as the frames `before` it did (None: the first);
    an error if it is no frame or lacks another profiled column."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"batch {number} is a {type(frame).__name__}, not a DataFrame")
    missing = [name for name in specs if name not in frame.columns]
    has_target = target not in missing
    missing = [name for name in missing if name != target]
    if missing:
        raise CouldNotCheck(
            f"the current data lacks the column(s) {', '.join(missing)}",
            "provide every column schema.yaml lists (the target may be left out)",
        )
    if before is not None and before != has_target:
        raise CouldNotCheck(
            f"the target column {target!r} is in some chunks of the current data only",
            "give it in every file of the batch, or in none",
        )
    return has_target


# --- statistics ---------------------------------------------------------------------------------
