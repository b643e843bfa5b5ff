"""A drift report says which way a metric moved: a score falls, an error rises."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.drift.decision import PerformanceDecay, compare
from {{ cookiecutter.package_name }}.drift.summary import summarize_batches
from {{ cookiecutter.package_name }}.params import DriftParams
from {{ cookiecutter.package_name }}.pipeline.profile import category_profile, numeric_profile


def calm_frame(rows, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(0, 1, rows), "label": rng.normal(0, 1, rows)})


@pytest.mark.parametrize(
    ("metric", "release", "current", "moved"),
    [("rmse", 354.96, 493.45, "rose"), ("roc_auc", 0.8146, 0.70, "fell")],
)
def test_a_decayed_metric_is_said_to_move_the_way_it_did(metric, release, current, moved):
    reference = calm_frame(2000, seed=1)
    profile = {
        "target": "label",
        "columns": {
            "x": numeric_profile(reference["x"], 50),
            "label": numeric_profile(reference["label"], 50),
        },
        "predictions": category_profile(pd.Series(["a", "b"] * 10), ["a", "b"]),
    }
    summary = summarize_batches(profile, [calm_frame(800, seed=2)])
    decay = PerformanceDecay(metric, release, current, 0.39, True, {})
    (reason,) = compare(profile, summary, DriftParams(), decay).reasons
    assert reason.startswith(f"{metric} {moved} from {release:.4f} at release to {current:.4f}")
