"""The drift benchmark's synthetic data plants exactly the shifts its tables claim to test."""

import importlib.util

import numpy as np
import pytest
from conftest import TEMPLATE

ROWS = 200_000


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "drift_benchmark", TEMPLATE / "benchmarks/drift.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()


@pytest.fixture(scope="module")
def draws():
    """Unshifted and shifted data from one seed, and unshifted data from another."""
    return {
        "reference": bench.draw_chunk(0, ROWS, shifted=False),
        "shifted": bench.draw_chunk(0, ROWS, shifted=True),
        "null": bench.draw_chunk(1, ROWS, shifted=False),
    }


def skewness(values):
    centered = values - values.mean()
    return float(np.mean(centered**3) / np.std(centered) ** 3)


def test_only_the_planted_columns_change(draws):
    changed = [
        name
        for name in bench.COLUMNS
        if not np.array_equal(draws["reference"][name], draws["shifted"][name])
    ]
    assert changed == list(bench.SHIFTS)


def test_mean_shifts_by_a_tenth_of_a_standard_deviation(draws):
    reference, shifted = draws["reference"]["num_00"], draws["shifted"]["num_00"]
    shift = (shifted.mean() - reference.mean()) / reference.std()
    assert shift == pytest.approx(bench.MEAN_SHIFT_SD, abs=0.005)
    assert shifted.std() == pytest.approx(reference.std(), rel=0.01)


def test_variance_grows_by_the_stated_ratio(draws):
    reference, shifted = draws["reference"]["num_01"], draws["shifted"]["num_01"]
    assert shifted.var() / reference.var() == pytest.approx(bench.VARIANCE_RATIO, rel=0.01)
    assert abs(shifted.mean() - reference.mean()) < 0.01 * reference.std()


def test_shape_changes_with_mean_and_spread_kept(draws):
    reference, shifted = draws["reference"]["num_02"], draws["shifted"]["num_02"]
    assert abs(shifted.mean() - reference.mean()) < 0.01 * reference.std()
    assert shifted.std() == pytest.approx(reference.std(), rel=0.01)
    assert skewness(reference) == pytest.approx(0.0, abs=0.02)
    assert skewness(shifted) == pytest.approx(2 / bench.SHAPE_GAMMA_K**0.5, abs=0.03)


def test_rarest_category_gains_the_stated_share(draws):
    levels = bench.CATEGORY_LEVELS["cat_0"]
    reference, shifted = (
        np.bincount(draws[name]["cat_0"], minlength=levels) / ROWS
        for name in ("reference", "shifted")
    )
    assert shifted[-1] - reference[-1] == pytest.approx(bench.CATEGORY_SHIFT, abs=0.003)
    # The other categories give up that share in proportion: their ratios stay put.
    assert shifted[:-1] / shifted[:-1].sum() == pytest.approx(
        reference[:-1] / reference[:-1].sum(), abs=0.005
    )


def test_null_seed_matches_the_reference_distribution(draws):
    for name in bench.NUMERIC_COLUMNS:
        reference, null = draws["reference"][name], draws["null"][name]
        standard_error = reference.std() * (2 / ROWS) ** 0.5
        assert abs(null.mean() - reference.mean()) < 5 * standard_error, name
        assert null.std() == pytest.approx(reference.std(), rel=0.02), name


def test_contract_covers_every_column_with_its_kind():
    schema = bench.synthetic_schema()
    assert list(schema["columns"]) == ["label", *bench.COLUMNS]
    table = bench.chunk_table(bench.draw_chunk(0, 1000, shifted=True))
    for name in bench.NUMERIC_COLUMNS:
        contract, values = schema["columns"][name], table.column(name).to_numpy()
        assert contract["dtype"] == ("integer" if values.dtype.kind == "i" else "float"), name
        assert values.min() >= contract.get("min", -np.inf), name
        assert values.max() <= contract.get("max", np.inf), name
    for name in bench.CATEGORY_LEVELS:
        assert set(table.column(name).to_pylist()) <= set(schema["columns"][name]["categories"])
