import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import parse_params
from {{ cookiecutter.package_name }}.pipeline.profile import (
    bin_counts,
    category_profile,
    numeric_profile,
    profile_file,
    quantile_edges,
)


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
    edges = quantile_edges(np.array([1, 1, 1, 2, 2, 3, 7]), 100)
    assert edges.tolist() == [1, 2, 3, 7]


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
