"""Drift's performance check and evaluate share one rule for the positive class: a
configured label the model never learned is an error, never a silent fallback."""

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

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
