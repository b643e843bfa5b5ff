"""Drift statistics against scipy on small data, the decision rule, and the settings."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import PROJECT_ROOT, read_yaml
from scipy import stats
from scipy.spatial.distance import jensenshannon

from {{ cookiecutter.package_name }}.drift.decision import DECISIONS, compare
from {{ cookiecutter.package_name }}.drift.statistics import (
    chi_square,
    corrected_p_values,
    jensen_shannon,
    ks_from_counts,
    psi,
    wasserstein_from_counts,
)
from {{ cookiecutter.package_name }}.drift.summary import (
    CategorySummary,
    NumericSummary,
    summarize_batches,
)
from {{ cookiecutter.package_name }}.errors import CouldNotCheck, ProjectError
from {{ cookiecutter.package_name }}.params import DriftParams, parse_params
from {{ cookiecutter.package_name }}.pipeline.profile import bin_counts, category_profile, numeric_profile

RNG = np.random.default_rng(7)
REFERENCE = RNG.normal(0, 1, 60).round(1)
CURRENT = RNG.normal(0.4, 1.3, 45).round(1)


def counts(values, edges):
    return np.asarray(bin_counts(values, edges), dtype=float)


def numeric_summary(values, edges):
    summary = NumericSummary(np.zeros(len(edges) + 1, dtype=np.int64))
    summary.add(pd.Series(values), np.asarray(edges, dtype=float))
    return summary


def test_binned_ks_with_one_edge_per_value_is_scipys_ks_2samp():
    edges = np.unique(np.concatenate([REFERENCE, CURRENT]))
    statistic, p_value = ks_from_counts(counts(REFERENCE, edges), counts(CURRENT, edges))
    expected = stats.ks_2samp(REFERENCE, CURRENT, method="asymp")
    assert statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_binned_ks_on_coarse_edges_never_exceeds_the_exact_statistic():
    edges = np.quantile(REFERENCE, np.linspace(0, 1, 6))
    statistic, _ = ks_from_counts(counts(REFERENCE, edges), counts(CURRENT, edges))
    assert 0 < statistic <= stats.ks_2samp(REFERENCE, CURRENT).statistic + 1e-12


def test_binned_wasserstein_with_tails_outside_the_reference_is_scipys():
    values = CURRENT
    inside = values[(values >= REFERENCE.min()) & (values <= REFERENCE.max())]
    assert len(inside) < len(CURRENT), "the sample needs values outside the reference range"
    edges = np.unique(np.concatenate([REFERENCE, inside]))
    current = numeric_summary(CURRENT, edges)
    distance = wasserstein_from_counts(
        counts(REFERENCE, edges),
        current.counts,
        edges,
        current.below_distance,
        current.above_distance,
    )
    assert distance == pytest.approx(stats.wasserstein_distance(REFERENCE, CURRENT), rel=1e-9)


def test_chi_square_is_scipys_two_sample_test_and_drops_empty_categories():
    reference, current = np.array([30, 20, 10, 0]), np.array([10, 25, 15, 0])
    statistic, p_value = chi_square(reference, current)
    expected = stats.chi2_contingency(np.array([reference[:3], current[:3]]))
    assert (statistic, p_value) == pytest.approx((expected.statistic, expected.pvalue))


def test_jensen_shannon_is_scipys_in_base_2():
    reference, current = np.array([30, 20, 10]), np.array([10, 25, 15])
    expected = jensenshannon(reference / 60, current / 50, base=2)
    assert jensen_shannon(reference, current) == pytest.approx(expected)
    assert jensen_shannon(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)


def test_psi_by_hand_and_zero_for_equal_shares():
    reference, current = np.array([50, 50]), np.array([25, 75])
    expected = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert psi(reference, current) == pytest.approx(expected)
    assert psi(reference, reference * 3) == 0


def test_corrections_match_their_definitions():
    p_values = [0.01, 0.04, 0.03, 0.5]
    assert corrected_p_values(p_values, "bonferroni").tolist() == [0.04, 0.16, 0.12, 1.0]
    bh = corrected_p_values(p_values, "benjamini-hochberg")
    assert bh == pytest.approx(stats.false_discovery_control(p_values, method="bh"))


# --- summarizing and comparing ------------------------------------------------------------------


def small_profile(reference):
    return {
        "target": "label",
        "columns": {
            "x": numeric_profile(reference["x"], 50),
            "color": category_profile(reference["color"], ["red", "blue"]),
            "label": category_profile(reference["label"], ["0", "1"]),
        },
        "predictions": category_profile(reference["label"], ["0", "1"]),
    }


def frame(rows, shift=0.0, blue=0.5, seed=0, missing=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1, rows)
    x[rng.random(rows) < missing] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "color": np.where(rng.random(rows) < blue, "blue", "red"),
            "label": (rng.random(rows) < 0.3).astype(int).astype(str),
        }
    )


@pytest.fixture(scope="module")
def profile():
    return small_profile(frame(3000, seed=1))


SETTINGS = DriftParams()


def test_chunks_fold_into_the_same_summary_as_one_frame(profile):
    current = frame(900, shift=0.3, seed=2)
    whole = summarize_batches(profile, [current])
    chunked = summarize_batches(profile, (current.iloc[i : i + 250] for i in range(0, 900, 250)))
    assert whole.rows == chunked.rows == 900
    assert whole.columns["x"].counts.tolist() == chunked.columns["x"].counts.tolist()
    assert whole.columns["color"].counts == chunked.columns["color"].counts


def test_a_numeric_summary_counts_the_present_values_and_their_tails_in_order():
    values = np.array([5.0, np.nan, -3.5, 0.25, np.nan, 1e-9, 7.0, -2.0, 3.0, np.inf, -np.inf])
    edges = np.array([-1.0, 0.0, 0.25, 2.0])
    summary = NumericSummary(np.zeros(len(edges) + 1, dtype=np.int64))
    summary.add(pd.Series(values), edges)
    present = values[~np.isnan(values)]
    assert summary.counts.tolist() == bin_counts(present, edges) == [3, 0, 1, 1, 4]
    assert (summary.rows, summary.nulls) == (11, 2)
    # The tails: infinite with an infinite value, else the exact sums (tails.py).
    below = float(np.sum(edges[0] - present[present < edges[0]]))
    above = float(np.sum(present[present > edges[-1]] - edges[-1]))
    assert summary.below_distance == below == np.inf
    assert summary.above_distance == above == np.inf
    finite = NumericSummary(np.zeros(len(edges) + 1, dtype=np.int64))
    finite.add(pd.Series(values[np.isfinite(values) | np.isnan(values)]), edges)
    assert (finite.below_distance, finite.above_distance) == (2.5 + 1.0, 3.0 + 5.0 + 1.0)


@pytest.mark.parametrize("dtype", ["str", "string", "object", "category"])
def test_category_labels_are_the_text_whatever_the_columns_dtype(dtype):
    """Text columns are counted by Arrow, others through pandas: the same labels either way."""
    values = pd.Series(["red", None, "", "blue", "red", "Red", None, "blue "], dtype=dtype)
    summary = CategorySummary()
    summary.add(values)
    summary.add(values.iloc[:3])
    assert dict(summary.counts) == {"red": 3, "": 2, "blue": 1, "Red": 1, "blue ": 1}
    assert (summary.rows, summary.nulls) == (11, 3)


def test_text_of_a_table_in_several_chunks_is_counted_whole():
    table = pa.table({"color": pa.chunked_array([["red", None], ["blue", "red"]])})
    summary = CategorySummary()
    summary.add(table.to_pandas()["color"])
    assert (dict(summary.counts), summary.rows, summary.nulls) == ({"red": 2, "blue": 1}, 4, 1)


def test_numbers_and_booleans_in_a_category_column_count_as_their_text():
    summary = CategorySummary()
    summary.add(pd.Series([1, 2.5, True, None, "1"], dtype=object))
    assert dict(summary.counts) == {"1": 2, "2.5": 1, "True": 1}


def test_a_frames_column_error_comes_before_a_later_failure(profile):
    """A frame's bad column is the error: its columns are folded before the model predicts
    the frame and before the next frame is read."""
    bad = frame(100).astype({"x": object})
    bad.loc[5, "x"] = "not a number"

    def failing_predict(_):
        raise ValueError("the model cannot predict this")

    def frames():
        yield bad
        raise RuntimeError("the next frame cannot be read")

    for predict in (None, failing_predict):
        with pytest.raises(CouldNotCheck, match="'x' holds values that are not numbers"):
            summarize_batches(profile, frames(), predict=predict)
    with pytest.raises(ValueError, match="cannot predict"):
        summarize_batches(profile, [frame(100)], predict=failing_predict)


def test_the_same_population_does_not_drift(profile):
    result = compare(profile, summarize_batches(profile, [frame(2000, seed=3)]), SETTINGS)
    assert result.decision == "no_drift", result.reasons
    assert all(column.corrected_p_value >= column.p_value for column in result.columns)


def test_a_shifted_column_drifts_with_test_and_effect_reported(profile):
    result = compare(
        profile, summarize_batches(profile, [frame(2000, shift=0.3, seed=4)]), SETTINGS
    )
    by_name = {column.column: column for column in result.columns}
    assert result.decision == "drift"
    assert result.drifted_columns == ["x"]
    assert by_name["x"].test == "ks" and by_name["x"].effect_name == "wasserstein_normalized"
    assert by_name["x"].effect == pytest.approx(0.3, abs=0.08)
    assert by_name["x"].corrected_p_value == pytest.approx(min(1, by_name["x"].p_value * 3))
    assert not by_name["color"].drifted


def test_unseen_categories_count_and_missing_values_drift(profile):
    current = frame(2000, seed=5, missing=0.2)
    current.loc[:99, "color"] = "green"
    result = compare(profile, summarize_batches(profile, [current]), SETTINGS)
    by_name = {column.column: column for column in result.columns}
    assert by_name["color"].unseen == {"green": 100}
    assert by_name["color"].drifted
    assert by_name["x"].null_rate_change == pytest.approx(0.2, abs=0.03)
    assert any("missing values" in reason for reason in by_name["x"].reasons)


def test_the_share_of_drifted_columns_decides(profile):
    summary = summarize_batches(profile, [frame(2000, shift=0.3, seed=4)])
    strict = DriftParams(drifted_share=0.9)
    assert compare(profile, summary, strict).decision == "no_drift"


def test_predictions_are_compared_and_the_target_may_be_absent(profile):
    current = frame(1000, seed=6).drop(columns="label")
    summary = summarize_batches(profile, [current], predict=lambda f: np.repeat("1", len(f)))
    result = compare(profile, summary, SETTINGS)
    assert [column.column for column in result.columns] == ["x", "color"]
    assert result.predictions.drifted
    assert "the model's predictions drifted" in result.reasons


def test_a_missing_feature_column_cannot_be_checked(profile):
    with pytest.raises(CouldNotCheck, match="lacks the column"):
        summarize_batches(profile, [frame(100).drop(columns="x")])


def test_the_result_is_plain_json(profile):
    import json

    result = compare(profile, summarize_batches(profile, [frame(500, seed=8)]), SETTINGS)
    document = json.loads(json.dumps(result.to_dict()))
    assert document["decision"] in DECISIONS
    assert document["columns"][0]["histogram"]["labels"]


# --- settings -----------------------------------------------------------------------------------


def test_settings_read_the_projects_params(project_params):
    document = read_yaml(PROJECT_ROOT / "params.yaml")
    settings = project_params.drift
    assert isinstance(settings, DriftParams)
    assert settings.correction == "bonferroni"
    assert settings.alpha == document["drift"]["alpha"]
    assert settings.min_effect.wasserstein == document["drift"]["min_effect"]["wasserstein"]
    assert settings.window.policy == document["drift"]["window"]["policy"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"correction": "holm"}, "drift.correction"),
        ({"alpha": 0}, "drift.alpha"),
        ({"chunk_rows": 2.5}, "drift.chunk_rows"),
        ({"min_effect": {"wasserstein": -1}}, "drift.min_effect.wasserstein"),
        ({"retrain": True}, "unknown setting `drift.retrain`"),
    ],
)
def test_bad_settings_are_named(params, change, message):
    document = params.model_dump()
    changed = {**document, "drift": {**document["drift"], **change}}
    with pytest.raises(ProjectError, match=message):
        parse_params(changed)
