import json
import math

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import ProfileParams, parse_params
from {{ cookiecutter.package_name }}.pipeline import ranks
from {{ cookiecutter.package_name }}.pipeline.profile import (
    bin_counts,
    category_profile,
    numeric_profile,
    parquet_chunks,
    profile_chunks,
    profile_file,
)


def quantile_edges(values, n_quantiles):
    """The edges as the profile stage computed them before it read in chunks (the reference the
    chunked stage must reproduce): numpy's inverted_cdf quantiles of all values, ties removed."""
    return np.unique(np.quantile(values, np.linspace(0, 1, n_quantiles + 1), method="inverted_cdf"))


def test_bin_counts_uses_half_open_bins_with_open_ends():
    edges = np.array([0.0, 10.0, 20.0])
    counts = bin_counts([-5, 0, 5, 10, 19.9, 20, 99], edges)
    # below 0 | [0, 10) | [10, 20) | 20 and above
    assert counts == [1, 2, 2, 2]


def test_bin_counts_equal_a_binary_search_per_value():
    rng = np.random.default_rng(0)
    edges = quantile_edges(rng.normal(size=5000).round(2), 1000)
    # Ties on the edges, values outside them, infinities and NaN (which sorts last).
    values = np.concatenate(
        [rng.normal(scale=2, size=20_000).round(2), edges, [-np.inf, np.inf, np.nan, -0.0]]
    )
    positions = np.searchsorted(edges, values, side="right")
    assert bin_counts(values, edges) == np.bincount(positions, minlength=len(edges) + 1).tolist()
    assert bin_counts([], edges) == [0] * (len(edges) + 1)
    assert bin_counts([1.0, 2.0], np.array([])) == [2]


def test_quantile_edges_are_observed_values_without_ties():
    profile = numeric_profile(pd.Series([1, 1, 1, 2, 2, 3, 7]), 100)
    assert profile["edges"] == [1, 2, 3, 7]
    assert profile["counts"] == [0, 3, 2, 1, 1]


def test_numeric_profile_counts_every_present_value():
    values = pd.Series([1.0, 2.0, np.nan, 4.0, 4.0])
    profile = numeric_profile(values, 4)
    assert profile["n"] == 5
    assert profile["nulls"] == 1
    assert (profile["min"], profile["max"], profile["mean"]) == (1.0, 4.0, 2.75)
    assert sum(profile["counts"]) == 4
    assert len(profile["counts"]) == len(profile["edges"]) + 1
    assert profile["counts"][0] == 0


def test_category_profile_keeps_zero_counts_and_unlisted_values():
    values = pd.Series(["b", "b", None, "z"])
    profile = category_profile(values, ("a", "b"))
    assert profile["counts"] == {"a": 0, "b": 2, "z": 1}
    assert profile["nulls"] == 1


def test_the_profile_covers_every_column_and_the_predictions(trained_project, schema, task):
    profile = json.loads((trained_project / "models/profile.json").read_text())
    assert list(profile["columns"]) == list(schema.columns)
    assert profile["rows"] == profile["columns"][schema.target]["n"]
    for name, column in profile["columns"].items():
        counted = (
            sum(column["counts"].values())
            if column["kind"] == "category"
            else sum(column["counts"])
        )
        assert counted + column["nulls"] == profile["rows"], name
    predictions = profile["predictions"]
    if task == "regression":
        assert predictions["kind"] == "numeric"
        assert sum(predictions["counts"]) == profile["rows"]
    else:
        assert predictions["kind"] == "category"
        assert set(predictions["counts"]) == set(profile["columns"][schema.target]["counts"])


def test_profile_file_is_deterministic(trained_project, params, monkeypatch):
    monkeypatch.chdir(trained_project)
    before = (trained_project / "models/profile.json").read_bytes()
    profile_file(params)
    assert (trained_project / "models/profile.json").read_bytes() == before


@pytest.mark.parametrize("quantiles", [0, -3, 2.5, "many", True])
def test_profile_quantiles_must_be_a_positive_whole_number(quantiles, params):
    # Refused when params.yaml is read, before any stage runs.
    document = {**params.model_dump(), "profile": {"quantiles": quantiles}}
    with pytest.raises(ProjectError, match=r"profile\.quantiles"):
        parse_params(document)


@pytest.mark.parametrize("chunk_rows", [0, -1, 1.5, "all"])
def test_profile_chunk_rows_must_be_a_positive_whole_number(chunk_rows, params):
    document = {**params.model_dump(), "profile": {"chunk_rows": chunk_rows}}
    with pytest.raises(ProjectError, match=r"profile\.chunk_rows"):
        parse_params(document)


# --- the chunked stage against the whole-frame formulas ---------------------------------------


def whole_numeric(values, n_quantiles):
    """A numeric column's profile computed on all its values at once, as before chunking."""
    present = values.dropna().to_numpy(dtype=float)
    if len(present) == 0:
        return {"n": len(values), "nulls": len(values), "edges": [], "counts": [], "mean": None}
    edges = quantile_edges(present, n_quantiles)
    return {
        "n": len(values),
        "nulls": int(values.isna().sum()),
        "mean": float(present.mean()),
        "std": float(present.std(ddof=1)) if len(present) > 1 else None,
        "min": float(present.min()),
        "max": float(present.max()),
        "edges": edges.tolist(),
        "counts": bin_counts(present, edges),
    }


def whole_category(values, categories):
    labels = pd.Series([str(value) for value in values.dropna()], dtype=object).value_counts()
    order = [str(value) for value in categories]
    order += sorted(label for label in labels.index if label not in order)
    return {"nulls": int(values.isna().sum()), "counts": {k: int(labels.get(k, 0)) for k in order}}


def same_number(left, right):
    if left is None or right is None:
        return left is right
    if math.isnan(right):
        return math.isnan(left)
    return math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-12)


def assert_numeric_equal(profile, expected):
    for key in ("n", "nulls", "edges", "counts", "min", "max"):
        assert profile.get(key) == expected.get(key), key
    assert same_number(profile["mean"], expected["mean"])
    assert same_number(profile.get("std"), expected.get("std"))


class SignModel:
    """A stand-in model that predicts row by row from x: a class, or a number."""

    def __init__(self, task):
        self.task, self.classes_ = task, np.array([0, 1])

    def predict(self, frame):
        x = frame["x"].fillna(0).to_numpy(dtype=float)
        return (x > 0).astype(int) if self.task != "regression" else np.round(x * 2, 1)


def mixed_frame(n_rows, seed=0):
    """Nulls, ties, infinities, negative zeros, an all-null column, unlisted categories."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n_rows).round(1)
    x[rng.random(n_rows) < 0.1] = np.nan
    x[: min(n_rows, 3)] = -0.0
    wild = rng.lognormal(size=n_rows)
    wild[rng.random(n_rows) < 0.05] = np.inf
    wild[rng.random(n_rows) < 0.05] = -np.inf
    return pd.DataFrame(
        {
            "x": x,
            "count": rng.poisson(2, n_rows),
            "wild": wild,
            "empty": np.full(n_rows, np.nan),
            "color": pd.Series(rng.choice(["red", "blue", "teal", None], n_rows), dtype="str"),
            "label": rng.integers(0, 2, n_rows),
        }
    )


MIXED_SCHEMA = {
    "target": "label",
    "columns": {
        "x": {"dtype": "float"},
        "count": {"dtype": "integer"},
        "wild": {"dtype": "float"},
        "empty": {"dtype": "float"},
        "color": {"dtype": "category", "categories": ["red", "blue", "grey"]},
        "label": {"dtype": "integer", "categories": [0, 1]},
    },
}


def chunked(frame, chunk_rows):
    """A Chunks reader of the frame in chunks of chunk_rows, an empty chunk among them."""
    parts = [frame.iloc[start : start + chunk_rows] for start in range(0, len(frame), chunk_rows)]
    parts.insert(len(parts) // 2, frame.iloc[:0])

    def chunks(columns):
        return (part if columns is None else part[columns] for part in parts)

    return chunks


@pytest.fixture
def small_searches(monkeypatch):
    """Tiny samples and budgets, so a few hundred rows take every path: pivots, kept bins and
    bins cut again."""
    monkeypatch.setattr(ranks, "PIVOT_SAMPLE", 8)
    monkeypatch.setattr(ranks, "KEEP_BUDGET", 12)
    monkeypatch.setattr(ranks, "SPLIT_WAYS", 4)


def assert_profile_is_the_whole_frames(profile, frame, task, n_quantiles):
    assert profile["rows"] == len(frame)
    for name in ("x", "count", "wild", "empty"):
        assert_numeric_equal(profile["columns"][name], whole_numeric(frame[name], n_quantiles))
    for name, categories in (("color", ["red", "blue", "grey"]), ("label", [0, 1])):
        expected = whole_category(frame[name], categories)
        assert profile["columns"][name]["counts"] == expected["counts"]
        assert profile["columns"][name]["nulls"] == expected["nulls"]
    predicted = pd.Series(SignModel(task).predict(frame))
    if task == "regression":
        assert_numeric_equal(profile["predictions"], whole_numeric(predicted, n_quantiles))
    else:
        assert profile["predictions"]["counts"] == whole_category(predicted, [0, 1])["counts"]


@pytest.mark.usefixtures("small_searches")
@pytest.mark.parametrize("task", ["binary_classification", "regression"])
@pytest.mark.parametrize(("n_rows", "chunk_rows"), [(1, 1), (9, 4), (400, 1000), (400, 37)])
@pytest.mark.parametrize("n_quantiles", [4, 100])
def test_chunked_profile_equals_the_whole_frame_computation(task, n_rows, chunk_rows, n_quantiles):
    frame = mixed_frame(n_rows)
    settings = ProfileParams(quantiles=n_quantiles, chunk_rows=chunk_rows)
    schema = parse_schema(MIXED_SCHEMA)
    profile = profile_chunks(
        chunked(frame, chunk_rows), len(frame), schema, SignModel(task), task, settings
    )
    assert_profile_is_the_whole_frames(profile, frame, task, n_quantiles)


def test_parquet_row_groups_profile_as_the_whole_file(tmp_path, small_searches):
    frame = mixed_frame(500, seed=3)
    frame["label"] = frame["label"].astype("Int64").mask(frame.index % 7 == 0)
    path = tmp_path / "train.parquet"
    frame.to_parquet(path, index=False, row_group_size=64)
    schema = parse_schema(MIXED_SCHEMA)
    chunks, n_rows = parquet_chunks(path, schema, chunk_rows=50)
    settings = ProfileParams(quantiles=50, chunk_rows=50)
    profile = profile_chunks(
        chunks, n_rows, schema, SignModel("regression"), "regression", settings
    )
    assert_profile_is_the_whole_frames(profile, pd.read_parquet(path), "regression", 50)


def test_a_split_without_a_schema_column_is_refused(tmp_path):
    path = tmp_path / "train.parquet"
    mixed_frame(10).drop(columns="wild").to_parquet(path)
    with pytest.raises(ProjectError, match="wild"):
        parquet_chunks(path, parse_schema(MIXED_SCHEMA), chunk_rows=5)


def test_one_chunk_gives_numpys_mean_and_std_bit_for_bit():
    values = pd.Series(np.random.default_rng(5).lognormal(size=10_001))
    profile, expected = numeric_profile(values, 1000), whole_numeric(values, 1000)
    assert (profile["mean"], profile["std"]) == (expected["mean"], expected["std"])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 99, 1000, 1001, 4321])
def test_inverted_cdf_ranks_are_the_ones_numpy_takes(n):
    quantiles = np.linspace(0, 1, 1001)
    taken = np.quantile(np.arange(n, dtype=float), quantiles, method="inverted_cdf")
    assert ranks.inverted_cdf_ranks(n, quantiles).tolist() == taken.astype(int).tolist()


def test_order_keys_sort_as_the_floats_and_come_back():
    values = np.array([-np.inf, -1e308, -2.5, -5e-324, 0.0, 5e-324, 1.0, 3.5, 1e308, np.inf])
    keys = ranks.order_keys(values)
    assert (np.diff(keys) > 0).all()
    assert ranks.key_values(keys).tolist() == values.tolist()
