"""Drift's performance check: evaluate's rule for the positive class (a configured label the
model never learned is an error, never a silent fallback), and decay counted only beyond the
current metric's sampling noise."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from {{ cookiecutter.package_name }}.contract.schema import parse_schema
from {{ cookiecutter.package_name }}.drift.performance import PerformanceTracker
from {{ cookiecutter.package_name }}.errors import ProjectError

SCHEMA = {
    "target": "label",
    "positive_label": "yes",
    "columns": {
        "x": {"dtype": "float", "nullable": False},
        "label": {"dtype": "category", "nullable": False, "categories": ["yes", "no", "maybe"]},
    },
}


def test_a_positive_label_the_model_never_learned_is_refused():
    frame = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4], "label": ["no", "maybe", "no", "maybe"]})
    model = DummyClassifier(strategy="prior").fit(frame[["x"]], frame["label"])
    tracker = PerformanceTracker(model, parse_schema(SCHEMA), "binary_classification")
    tracker.predict(frame)
    with pytest.raises(ProjectError, match=r"positive_label 'yes' in schema\.yaml is not a class"):
        tracker.decay({"roc_auc": 0.8}, "roc_auc", 0.05)


def tracker_on(rows, seed, shuffle_labels=False):
    """A logistic model of one noisy feature, and its tracker fed `rows` fresh rows."""
    rng = np.random.default_rng(seed)

    def frame(n):
        x = rng.normal(size=n)
        label = np.where(x + rng.normal(scale=1.2, size=n) > 0, "yes", "no")
        return pd.DataFrame({"x": x, "label": rng.permutation(label) if shuffle_labels else label})

    train = frame(2000)
    model = LogisticRegression().fit(train[["x"]], train["label"])
    tracker = PerformanceTracker(model, parse_schema(SCHEMA), "binary_classification")
    tracker.predict(frame(rows))
    return tracker


def test_a_drop_within_the_sampling_noise_is_not_decay():
    tracker = tracker_on(150, seed=3)
    point = tracker.decay({"roc_auc": 0.0}, "roc_auc", 0.05).current
    release = point / 0.93  # the point value is 7% worse: past the 5% allowed

    decay = tracker.decay({"roc_auc": release}, "roc_auc", 0.05)

    assert decay.relative_decay > 0.05 and not decay.decayed
    low, high = decay.interval
    assert low < point < high and high >= release * 0.95


def test_a_drop_beyond_the_noise_is_decay():
    tracker = tracker_on(1000, seed=3, shuffle_labels=True)  # the labels no longer follow x

    decay = tracker.decay({"roc_auc": 0.8}, "roc_auc", 0.05)

    assert decay.decayed and decay.interval[1] < 0.8 * 0.95
