"""The pull-request report's noise test: bootstrap metrics agree with scikit-learn on every
resample, a change that is noise reads as noise, a real degradation reads as worse."""

import warnings

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.pipeline.predictions import read_outcomes, write_outcomes
from {{ cookiecutter.package_name }}.pipeline.resampling import Outcomes, bootstrap, interval, resample_counts
from {{ cookiecutter.package_name }}.pipeline.slices import slice_table
from {{ cookiecutter.package_name }}.review.comparison import BETTER, NOISE, WORSE, MetricChange, compare

ROWS = 1000


def binary(seed, noise=1.0, rows=ROWS, labels=(0, 1), decimals=None):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, rows)
    scores = 1 / (1 + np.exp(-(2 * truth - 1 + rng.normal(0, noise, rows))))
    if decimals is not None:  # many rows share a score, as a small tree ensemble gives
        scores = scores.round(decimals)
    probabilities = np.column_stack([1 - scores, scores])
    y_true = np.array(labels)[truth]
    y_pred = np.array(labels)[(scores > 0.5).astype(int)]
    return Outcomes("binary_classification", y_true, y_pred, probabilities, list(labels), labels[1])


def multiclass(seed, rows=400, rare=0):
    rng = np.random.default_rng(seed)
    names = np.array(["a", "b", "c", "d"])
    truth = rng.integers(0, 3, rows)
    truth[:rare] = 3
    probabilities = rng.dirichlet(np.ones(4), rows)
    probabilities[np.arange(rows), truth] += 0.6
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return Outcomes(
        "multiclass_classification",
        names[truth],
        names[probabilities.argmax(axis=1)],
        probabilities,
        list(names),
    )


def regression(seed, rows=500, noise=0.5):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(10, 3, rows)
    return Outcomes("regression", y_true, y_true + rng.normal(0, noise, rows))


def sklearn_on(outcomes, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return outcomes.take(rows).metrics()


@pytest.mark.parametrize(
    "outcomes",
    [
        binary(1),
        binary(2, labels=("no", "yes")),
        binary(6, decimals=1),
        multiclass(3),
        multiclass(4, 60, rare=2),
        regression(5),
    ],
    ids=[
        "binary",
        "binary-text",
        "binary-tied-scores",
        "multiclass",
        "multiclass-rare-class",
        "regression",
    ],
)
def test_bootstrap_metrics_equal_scikit_learn_on_every_resample(outcomes):
    rng = np.random.default_rng(0)
    n = len(outcomes)
    for _ in range(25):
        rows = rng.integers(0, n, n)
        counts = np.bincount(rows, minlength=n).astype(float)[None, :]
        fast = {name: values[0] for name, values in outcomes.weighted(counts).items()}
        slow = sklearn_on(outcomes, rows)
        assert fast.keys() == slow.keys()
        for name, value in slow.items():
            if np.isnan(value):
                assert np.isnan(fast[name]), name
            else:
                assert fast[name] == pytest.approx(value, abs=1e-6), name


@pytest.mark.parametrize(
    "outcomes, metrics",
    [
        (binary(8, decimals=2), ["roc_auc"]),
        (binary(9), ["f1", "log_loss"]),
        (multiclass(10), ["roc_auc_ovr", "accuracy"]),
        (regression(11), ["r2"]),
    ],
    ids=["binary-auc", "binary-f1-log-loss", "multiclass", "regression"],
)
def test_a_bootstrap_of_some_metrics_gives_their_values_of_the_full_bootstrap(outcomes, metrics):
    full = bootstrap(outcomes, resamples=40)
    some = bootstrap(outcomes, resamples=40, metrics=metrics)
    assert list(some) == [name for name in full if name in metrics]
    for name in metrics:
        assert np.array_equal(some[name], full[name], equal_nan=True), name


def test_a_bootstrap_of_a_metric_the_task_lacks_names_the_task_s_metrics():
    with pytest.raises(ValueError, match="rmse are not metrics of binary_classification: use"):
        bootstrap(binary(12), resamples=5, metrics=["roc_auc", "rmse"])


def test_resample_counts_are_the_seeded_draws_in_blocks():
    blocks = list(resample_counts(7, resamples=5, seed=3))
    counts = np.concatenate(blocks)
    rng = np.random.default_rng(3)
    expected = [np.bincount(rng.integers(0, 7, 7), minlength=7) for _ in range(5)]
    assert counts.shape == (5, 7) and (counts == np.array(expected)).all()
    assert (counts.sum(axis=1) == 7).all()


def test_a_change_that_is_noise_reads_within_noise():
    base = binary(11)
    rng = np.random.default_rng(12)
    jitter = np.clip(base.probabilities[:, 1] + rng.normal(0, 0.01, ROWS), 0, 1)
    same = Outcomes(
        base.task,
        base.y_true,
        np.where(jitter > 0.5, 1, 0),
        np.column_stack([1 - jitter, jitter]),
        base.classes,
        1,
    )
    comparison = compare(base, same)
    assert comparison.paired
    verdicts = {
        name: MetricChange(name, 0.0, 0.0 + 1e-9, bounds).verdict
        for name, bounds in comparison.intervals.items()
    }
    assert set(verdicts.values()) == {NOISE}, verdicts


def test_a_real_degradation_reads_worse_and_an_improvement_better():
    good, bad = binary(21, noise=0.8), binary(21, noise=2.5)  # same rows, a noisier model
    worse = compare(good, bad).intervals["roc_auc"]
    assert worse is not None and worse[1] < 0
    assert MetricChange("roc_auc", 0.9, 0.8, worse).verdict == WORSE
    better = compare(bad, good).intervals["log_loss"]
    assert better is not None and better[1] < 0
    assert MetricChange("log_loss", 0.6, 0.4, better).verdict == BETTER


def test_different_test_rows_are_compared_unpaired_with_wider_intervals():
    base, new = binary(31), binary(32)
    unpaired = compare(base, new)
    paired = compare(base, binary(31, noise=1.05))
    assert not unpaired.paired and paired.paired
    low, high = unpaired.intervals["roc_auc"]
    paired_low, paired_high = paired.intervals["roc_auc"]
    assert high - low > 2 * (paired_high - paired_low)


def test_an_untested_change_has_no_verdict():
    assert MetricChange("roc_auc", 0.8, 0.7).verdict == ""
    assert MetricChange("roc_auc", None, 0.7, (-0.1, -0.05)).verdict == ""


def test_interval_needs_half_the_resamples_defined():
    assert interval(np.array([np.nan] * 6 + [1.0] * 4)) is None
    assert interval(np.array([1.0, 2.0, 3.0, np.nan])) is not None


def test_test_predictions_round_trip_with_their_classes(tmp_path):
    outcomes = binary(41, labels=("no", "yes"))
    write_outcomes(outcomes, tmp_path / "predictions.parquet")
    back = read_outcomes(tmp_path / "predictions.parquet")
    assert back.classes == ["no", "yes"] and back.positive_label == "yes"
    assert back.metrics() == outcomes.metrics()


def test_a_parquet_file_without_the_stage_metadata_is_refused(tmp_path):
    pd.DataFrame({"actual": [1], "predicted": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(Exception, match="not a test-predictions file"):
        read_outcomes(tmp_path / "other.parquet")


def test_slices_flag_the_group_the_model_fails():
    rng = np.random.default_rng(51)
    rows = 1200
    group = rng.choice(["good", "bad", "fine"], rows)
    truth = rng.integers(0, 2, rows)
    noise = np.where(group == "bad", 4.0, 0.7)
    scores = 1 / (1 + np.exp(-(2 * truth - 1 + rng.normal(0, 1, rows) * noise)))
    outcomes = Outcomes(
        "binary_classification",
        truth,
        (scores > 0.5).astype(int),
        np.column_stack([1 - scores, scores]),
        [0, 1],
        1,
    )
    frame = pd.DataFrame({"group": group, "x": rng.normal(size=rows), "y": truth})
    frame.loc[:9, "group"] = None
    schema = parse_schema(
        {
            "target": "y",
            "columns": {
                "group": {"dtype": "category", "nullable": True},
                "x": {"dtype": "float"},
                "y": {"dtype": "integer"},
            },
        }
    )
    table = slice_table(frame, outcomes, schema, "roc_auc")
    flagged = {row["category"] for row in table["slices"] if row["worse"]}
    assert flagged == {"bad"}
    by_name = {row["category"]: row for row in table["slices"]}
    assert by_name["(missing)"]["rows"] == 10
    assert sum(row["rows"] for row in table["slices"]) == rows
    low, high = by_name["good"]["low"], by_name["good"]["high"]
    assert low < by_name["good"]["value"] < high


def test_bootstrap_of_one_class_gives_no_auc():
    outcomes = binary(61, rows=40)
    one_class = outcomes.take(np.flatnonzero(outcomes.y_true == 1))
    assert interval(bootstrap(one_class, resamples=50)["roc_auc"]) is None


def test_an_unreadable_base_gives_no_verdict_and_says_why(tmp_path, monkeypatch):
    from {{ cookiecutter.package_name }}.review import comparison

    class NoCredentialsError(Exception):
        pass

    class Refusing:
        def __init__(self, *args):
            raise NoCredentialsError("Unable to locate credentials")

    import subprocess

    git = ["git", "-c", "user.name=a", "-c", "user.email=a@b.c"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    write_outcomes(binary(71), tmp_path / "new.parquet")
    monkeypatch.setattr(comparison, "checked_workspace_output", lambda *a: tmp_path / "new.parquet")
    monkeypatch.setattr(comparison, "CommitOutputs", Refusing)
    monkeypatch.setattr(comparison, "use_credentials", lambda: None)
    result = comparison.compare_with_base("HEAD", root=tmp_path)
    assert result.intervals == {} and result.new is not None
    assert result.note == (
        "the base `HEAD`'s test predictions could not be read "
        "(NoCredentialsError: Unable to locate credentials)"
    )


def test_rows_are_matched_by_their_keys_not_their_targets(tmp_path):
    from dataclasses import replace

    from {{ cookiecutter.package_name }}.pipeline.resampling import same_rows

    base = replace(binary(81), keys=np.arange(ROWS, dtype=np.uint64))
    shuffled = replace(base, keys=np.arange(ROWS, dtype=np.uint64)[::-1].copy())
    assert same_rows(base, replace(base))
    assert not same_rows(base, shuffled)  # same targets in the same order, other rows
    assert not compare(base, shuffled).paired
    write_outcomes(shuffled, tmp_path / "keyed.parquet")
    assert (read_outcomes(tmp_path / "keyed.parquet").keys == shuffled.keys).all()
