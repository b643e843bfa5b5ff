"""The profile stage: a compact reference profile of the training data for drift checks.

Numeric columns keep quantile edges and the reference counts per bin, so a drift check bins
current data against them (`bin_counts`) instead of storing raw data. Category
columns keep counts per category. The production model's predictions on the training split
are profiled the same way, to watch prediction drift.

The split is read in chunks of profile.chunk_rows rows, so memory does not grow with rows. The
first pass folds every chunk into per-column summaries (counts, nulls, categories, extremes,
mean and variance merged with Chan et al.'s update: one chunk gives numpy's mean and std bit
for bit) and feeds the model's predictions chunk by chunk. Quantile edges are order
statistics, found exactly by ranks.RankSearch: in that pass when the file fits in one chunk,
else in two (rarely more) passes over the numeric columns; regression predictions are spilled
to a temporary file for those passes rather than predicted again. Every chunk converts to pandas
with the file's pandas metadata, so a column's dtype, and so its labels, match a whole read.
"""

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

import joblib
import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import paths
from ..binning import bin_count_array
from ..contract.schema import Column, Schema, load_schema
from ..errors import ProjectError
from ..params import Params, ProfileParams
from ..tasks import CLASSIFICATION_TASKS
from .features import limited_threads
from .predictions import predicted
from .ranks import RankSearch, inverted_cdf_ranks, order_keys, sample_stride

# Chunks of the split as frames, of the given columns (None: all); each call reads afresh.
Chunks = Callable[[list[str] | None], Iterator[pd.DataFrame]]

LOGGER = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def bin_counts(values: npt.ArrayLike, edges: npt.ArrayLike) -> list[int]:
    """len(edges) + 1 counts: [0] below edges[0], [i] in [edges[i-1], edges[i]), [-1] from
    edges[-1] up. The open outer bins catch current data outside the reference range."""
    return bin_count_array(values, edges).tolist()


def present_values(values: pd.Series) -> npt.NDArray[np.float64]:
    return values.dropna().to_numpy(dtype=float)


class NumericProfiler:
    """A numeric column folded chunk by chunk: counts, extremes, mean and the sum of squared
    deviations (m2), and a sample of every `stride`-th row for RankSearch's pivots."""

    def __init__(self, stride: int) -> None:
        self.stride, self.rows, self.nulls, self.count = stride, 0, 0, 0
        self.mean, self.m2 = np.float64(0.0), np.float64(0.0)
        self.extremes = np.array([np.inf, -np.inf])
        self.sample: list[npt.NDArray[np.float64]] = []

    def add(self, values: pd.Series) -> None:
        sampled = present_values(values.iloc[-self.rows % self.stride :: self.stride])
        # A copy: the strided view would keep the whole chunk alive.
        self.sample.append(sampled.copy())
        self.rows += len(values)
        present = present_values(values)
        self.nulls += len(values) - len(present)
        if len(present):
            mean = present.mean()
            self._merge(len(present), mean, np.sum(np.square(present - mean)))
            self.extremes = np.array(
                [min(self.extremes[0], present.min()), max(self.extremes[1], present.max())]
            )

    def _merge(self, count: int, mean: np.float64, m2: np.float64) -> None:
        """Chan, Golub and LeVeque's pairwise update; infinities pass through as numpy's sum
        would (the mean inf or nan, m2 nan)."""
        total = self.count + count
        if self.count == 0:
            self.mean, self.m2 = mean, m2
        elif np.isfinite(self.mean) and np.isfinite(mean):
            delta = mean - self.mean
            self.mean = self.mean + delta * (count / total)
            self.m2 = self.m2 + m2 + delta * delta * (self.count * count / total)
        else:
            self.mean = (self.mean * self.count + mean * count) / total
            self.m2 = np.float64(np.nan)
        self.count = total

    def rank_search(self, n_quantiles: int) -> RankSearch | None:
        if self.count == 0:
            return None
        ranks = inverted_cdf_ranks(self.count, np.linspace(0, 1, n_quantiles + 1))
        sample = order_keys(np.concatenate(self.sample))
        self.sample = []
        return RankSearch(ranks, sample, order_keys(self.extremes), complete=self.stride == 1)

    def result(self, search: RankSearch | None) -> dict[str, Any]:
        profile: dict[str, Any] = {"kind": "numeric", "n": self.rows, "nulls": self.nulls}
        if search is None:
            empty = {"mean": None, "std": None, "min": None, "max": None}
            return {**profile, **empty, "edges": [], "counts": []}
        edges, first = np.unique(search.values(), return_index=True)
        counts = np.diff(search.below[first], prepend=0, append=self.count)
        std = float(np.sqrt(self.m2 / (self.count - 1))) if self.count > 1 else None
        return {
            **profile,
            "mean": float(self.mean),
            "std": std,
            "min": float(self.extremes[0]),
            "max": float(self.extremes[1]),
            "edges": edges.tolist(),
            "counts": counts.tolist(),
        }


class CategoryProfiler:
    """Counts per category label (the value as text), folded chunk by chunk."""

    def __init__(self, categories: Iterable[object] | None) -> None:
        self.order = [str(value) for value in categories or ()]
        self.rows, self.nulls, self.counts = 0, 0, Counter[str]()

    def add(self, values: pd.Series) -> None:
        self.rows += len(values)
        self.nulls += int(values.isna().sum())
        for value, count in values.dropna().value_counts().items():
            if count:  # a pandas categorical lists its unseen categories too
                self.counts[str(value)] += int(count)

    def result(self) -> dict[str, Any]:
        """The allowed categories first (zeros included), then any others seen, sorted."""
        order = self.order + sorted(label for label in self.counts if label not in self.order)
        return {
            "kind": "category",
            "n": self.rows,
            "nulls": self.nulls,
            "counts": {label: self.counts[label] for label in order},
        }


Profiler = NumericProfiler | CategoryProfiler


def numeric_profile(values: pd.Series, n_quantiles: int) -> dict[str, Any]:
    """One column's numeric profile, all in memory (a single chunk)."""
    summary = NumericProfiler(stride=1)
    summary.add(values)
    return summary.result(summary.rank_search(n_quantiles))


def category_profile(
    values: pd.Series, categories: Iterable[object] | None = None
) -> dict[str, Any]:
    summary = CategoryProfiler(categories)
    summary.add(values)
    return summary.result()


def column_profile(values: pd.Series, column: Column, n_quantiles: int) -> dict[str, Any]:
    if column.is_categorical:
        return category_profile(values, column.categories)
    return numeric_profile(values, n_quantiles)


def new_summary(column: Column, stride: int) -> Profiler:
    return CategoryProfiler(column.categories) if column.is_categorical else NumericProfiler(stride)


def first_pass(
    chunks: Chunks, schema: Schema, model: "Pipeline", task: str, stride: int, spill: IO[bytes]
) -> dict[str, Profiler]:
    """Every column's summary and the predictions' (key "predictions"), from one read; numeric
    predictions are also written to `spill` for the later passes."""
    summaries = {name: new_summary(column, stride) for name, column in schema.columns.items()}
    if task in CLASSIFICATION_TASKS:
        predictions: Profiler = CategoryProfiler(model.classes_.tolist())
    else:
        predictions = NumericProfiler(stride)
    for frame in chunks(list(schema.columns)):
        if not len(frame):
            continue  # the model refuses zero rows
        for name, summary in summaries.items():
            summary.add(frame[name])
        labels, _ = predicted(model, frame[schema.features])  # as drift checks predict
        predictions.add(pd.Series(labels))
        if isinstance(predictions, NumericProfiler):
            spill.write(np.asarray(labels, dtype=np.float64).tobytes())
    return {**summaries, "predictions": predictions}


def spilled_chunks(spill: IO[bytes], chunk_rows: int) -> Iterator[npt.NDArray[np.float64]]:
    spill.seek(0)
    while chunk := spill.read(chunk_rows * 8):
        yield np.frombuffer(chunk, dtype=np.float64)


# One pass over the numeric columns of pending searches: RankSearch.add (or add_counted) each.
CountPass = Callable[[dict[str, RankSearch]], None]


def python_pass(chunks: Chunks) -> CountPass:
    """A pass over the chunks in this process."""

    def count(searches: dict[str, RankSearch]) -> None:
        for frame in chunks(list(searches)):
            for name, search in searches.items():
                search.add(order_keys(present_values(frame[name])))

    return count


def search_passes(
    searches: dict[str, RankSearch], count: CountPass, spill: IO[bytes], chunk_rows: int
) -> None:
    """Passes over the numeric columns (and spilled predictions) until every rank is found."""
    while pending := {name: search for name, search in searches.items() if not search.done}:
        columns = {name: search for name, search in pending.items() if name != "predictions"}
        if columns:
            count(columns)
        if "predictions" in pending:
            for predicted in spilled_chunks(spill, chunk_rows):
                pending["predictions"].add(order_keys(present_values(pd.Series(predicted))))
        for search in pending.values():
            search.end_pass()


def profile_chunks(
    chunks: Chunks,
    n_rows: int,
    schema: Schema,
    model: "Pipeline",
    task: str,
    settings: ProfileParams,
    count: CountPass | None = None,
) -> dict[str, Any]:
    """The profile of the rows `chunks` reads (n_rows of them), in profile.json's shape; the
    edges' later passes run through `count` (an engine's), else over `chunks`."""
    stride = sample_stride(n_rows, settings.chunk_rows)
    with tempfile.TemporaryFile() as spill:
        summaries = first_pass(chunks, schema, model, task, stride, spill)
        searches = {
            name: summary.rank_search(settings.quantiles)
            for name, summary in summaries.items()
            if isinstance(summary, NumericProfiler)
        }
        found = {name: search for name, search in searches.items() if search is not None}
        search_passes(found, count or python_pass(chunks), spill, settings.chunk_rows)
    profiles = {
        name: summary.result(searches[name])
        if isinstance(summary, NumericProfiler)
        else summary.result()
        for name, summary in summaries.items()
    }
    predictions = profiles.pop("predictions")
    return {
        "task": task,
        "target": schema.target,
        "rows": n_rows,
        "quantiles": settings.quantiles,
        "columns": profiles,
        "predictions": predictions,
    }


def parquet_chunks(path: Any, schema: Schema, chunk_rows: int) -> tuple[Chunks, int]:
    """A Chunks reader of the Parquet file and its row count; a clear error if it lacks a
    schema column."""
    import pyarrow.parquet as pq

    # pre_buffer=False: otherwise whole row groups are buffered ahead of the batches.
    parquet = pq.ParquetFile(path, pre_buffer=False)
    missing = [name for name in schema.columns if name not in parquet.schema_arrow.names]
    if missing:
        raise ProjectError(
            f"{path} lacks the schema's column(s) {', '.join(missing)}",
            "re-run the split stage (`dvc repro split`) after the data meets schema.yaml",
        )

    def chunks(columns: list[str] | None) -> Iterator[pd.DataFrame]:
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()

    return chunks, parquet.metadata.num_rows


def profile_file(params: Params) -> None:
    schema, model = load_schema(paths.SCHEMA), joblib.load(paths.MODEL)
    chunks, n_rows = parquet_chunks(paths.TRAIN_SPLIT, schema, params.profile.chunk_rows)
    count = None
    if params.engine != "pyarrow":
        from .profile_on_engine import engine_reader

        chunks, count = engine_reader(params, paths.TRAIN_SPLIT)
    with limited_threads():
        profile = profile_chunks(chunks, n_rows, schema, model, params.task, params.profile, count)
    paths.PROFILE.parent.mkdir(parents=True, exist_ok=True)
    # Compact: thousands of edges per column would fill screens with one number per line.
    paths.PROFILE.write_text(json.dumps(profile, separators=(",", ":")) + "\n", encoding="utf-8")
    LOGGER.info(
        f"profiled {n_rows} training rows x {len(profile['columns'])} columns: {paths.PROFILE}"
    )
