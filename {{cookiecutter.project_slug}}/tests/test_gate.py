"""The one quality gate: threshold, then production within gate.tolerance."""

import math

import pytest

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import GateParams
from {{ cookiecutter.package_name }}.pipeline.gate import ProductionMetrics, judge

SCORE = GateParams(metric="roc_auc", threshold=0.75, tolerance=0.01)
ERROR = GateParams(metric="rmse", threshold=25.0, tolerance=0.5)


def test_threshold_only_without_production():
    report = judge({"roc_auc": 0.80}, None, SCORE)
    assert report.passed and report.production is None
    assert report.lines()[1] == "against production: no model is in production yet"


def test_worse_than_production_beyond_tolerance_fails():
    report = judge({"roc_auc": 0.80}, ProductionMetrics("v0.1.0", {"roc_auc": 0.82}), SCORE)
    assert report.threshold_passed and not report.passed
    assert "production v0.1.0's 0.8200" in report.lines()[1]
    assert report.lines()[1].startswith("against production: roc_auc 0.8000")


def test_within_tolerance_passes_and_errors_point_the_other_way():
    assert judge({"roc_auc": 0.815}, ProductionMetrics("v1", {"roc_auc": 0.82}), SCORE).passed
    assert judge({"rmse": 20.4}, ProductionMetrics("v1", {"rmse": 20.0}), ERROR).passed
    assert not judge({"rmse": 20.6}, ProductionMetrics("v1", {"rmse": 20.0}), ERROR).passed
    assert not judge({"rmse": 26.0}, None, ERROR).passed


def test_a_metric_that_could_not_be_computed_fails():
    assert not judge({"roc_auc": math.nan}, None, SCORE).passed


def test_production_without_the_metric_is_said_not_guessed():
    report = judge({"roc_auc": 0.8}, ProductionMetrics("v1", {"f1": 0.5}), SCORE)
    assert report.production is None and "recorded no roc_auc" in report.lines()[1]


def test_a_missing_metric_is_refused():
    with pytest.raises(ProjectError, match="not among the computed metrics"):
        judge({"f1": 0.5}, None, SCORE)
