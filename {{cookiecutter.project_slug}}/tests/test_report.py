import hashlib
import shutil
import subprocess
import sys

import pytest
import yaml

from {{ cookiecutter.package_name }}.params import GateParams
from {{ cookiecutter.package_name }}.pipeline.gate import ProductionMetrics
from {{ cookiecutter.package_name }}.review.report import (
    MetricChange,
    PrReportInputs,
    fingerprints_from_lock,
    metric_changes,
    params_changes,
    render_pr_report,
)

PACKAGE = render_pr_report.__module__.split(".")[0]
GATE = {"metric": "roc_auc", "threshold": 0.75, "tolerance": 0.01}
VALID = {"valid": True, "rows": 5000, "columns": 9, "violations": []}


def inputs(metrics_diff, **overrides):
    values = {
        "base": "origin/main",
        "commit": "abc123",
        "metrics_diff": metrics_diff,
        "params_diff": {},
        "validation": VALID,
        "gate": GateParams(**GATE),
    }
    return PrReportInputs(**(values | overrides))


def test_primary_metric_comes_first_with_absolute_and_relative_deltas():
    diff = {
        "metrics.json": {
            "accuracy": {"old": 0.8, "new": 0.82, "diff": 0.02},
            "roc_auc": {"old": 0.8, "new": 0.84, "diff": 0.04},
        }
    }
    changes = metric_changes(diff, primary="roc_auc")
    assert [change.name for change in changes] == ["roc_auc", "accuracy"]
    assert changes[0].delta == pytest.approx(0.04)
    assert changes[0].relative == pytest.approx(0.05)
    text, passed = render_pr_report(inputs(diff))
    assert passed
    assert "| `roc_auc` | 0.8000 | 0.8400 | +0.0400 | +5.00% | better |" in text
    assert text.rstrip().endswith("**Quality gate: PASS**")


def test_error_metrics_that_grow_are_worse():
    assert MetricChange("rmse", 10.0, 12.0).verdict == "worse"
    assert MetricChange("r2", 0.5, 0.6).verdict == "better"
    assert MetricChange("r2", 0.5, 0.5).verdict == ""


def test_first_pr_without_base_metrics_is_reported_not_crashed():
    diff = {"metrics.json": {"roc_auc": {"new": 0.81}}}
    text, passed = render_pr_report(inputs(diff))
    assert passed
    assert "has no metrics yet" in text
    assert "| `roc_auc` | — | 0.8100 | — | — |  |" in text


def test_metrics_that_appear_disappear_or_are_not_numbers():
    diff = {
        "metrics.json": {
            "roc_auc": {"old": 0.8, "new": 0.8},
            "recall": {"old": 0.5},
            "note": {"old": "a", "new": "b"},
        }
    }
    changes = {change.name: change for change in metric_changes(diff, "roc_auc")}
    assert changes["recall"].new is None and changes["recall"].delta is None
    assert changes["note"].delta is None and changes["note"].relative is None
    text, _ = render_pr_report(inputs(diff))
    assert "| `note` | `a` | `b` | — | — |  |" in text


def test_gate_fails_below_threshold_and_says_so_last():
    diff = {"metrics.json": {"roc_auc": {"old": 0.8, "new": 0.7}}}
    text, passed = render_pr_report(inputs(diff))
    assert not passed
    assert "quality gate ❌ FAIL" in text.splitlines()[0]
    assert text.rstrip().endswith("**Quality gate: FAIL**")


def test_gate_compares_with_production_within_tolerance():
    diff = {"metrics.json": {"roc_auc": {"old": 0.9, "new": 0.88}}}
    ok, passed_ok = render_pr_report(
        inputs(diff, production=ProductionMetrics("v0.1.0", {"roc_auc": 0.885}))
    )
    _, passed_worse = render_pr_report(
        inputs(diff, production=ProductionMetrics("v0.1.0", {"roc_auc": 0.9}))
    )
    assert passed_ok and "against production: roc_auc 0.8800 vs production v0.1.0's 0.8850" in ok
    assert not passed_worse


def test_missing_gate_metric_fails():
    text, passed = render_pr_report(inputs({"metrics.json": {"accuracy": {"new": 0.9}}}))
    assert not passed
    assert "`roc_auc` was not measured" in text


def test_validation_violations_params_and_fingerprints_are_listed():
    validation = {
        "valid": False,
        "rows": 10,
        "columns": 3,
        "violations": [
            {"column": "age", "rule": "max", "count": 2, "examples": [130, 140]},
        ],
    }
    text, _ = render_pr_report(
        inputs(
            {"metrics.json": {"roc_auc": {"new": 0.8}}},
            validation=validation,
            params_diff={
                "params.yaml": {"model.family": {"old": "logistic", "new": "random_forest"}}
            },
            fingerprints={"models/model.joblib": "d41d8"},
            notes=["Reproduced from source: no DVC credentials."],
        )
    )
    assert "Data contract **FAILED**: 10 rows, 3 columns, 1 violations." in text
    assert "| `age` | max | 2 | `130`, `140` |" in text
    assert "| `model.family` | `logistic` | `random_forest` |" in text
    assert "- models/model.joblib: `d41d8`" in text
    assert "> Reproduced from source: no DVC credentials." in text


def test_charts_are_mermaid_with_base_line_only_when_comparable():
    both = {"metrics.json": {"roc_auc": {"old": 0.8, "new": 0.84}}}
    first = {"metrics.json": {"roc_auc": {"new": 0.84}}}
    assert "  line [0.8000]" in render_pr_report(inputs(both))[0]
    text = render_pr_report(inputs(first))[0]
    assert "```mermaid" in text and "  line [" not in text


def test_params_changes_flattens_dvc_json():
    diff = {"params.yaml": {"split.seed": {"old": 1, "new": 2}, "model.family": {"new": "x"}}}
    assert params_changes(diff) == [("model.family", None, "x"), ("split.seed", 1, 2)]


def test_fingerprints_skip_source_files(tmp_path):
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: x\n    deps:\n"
        "    - path: src/pkg/train.py\n      md5: aaa\n"
        "    - path: data/split/train.parquet\n      md5: bbb\n"
        "    outs:\n    - path: models/model.joblib\n      md5: ccc\n"
    )
    assert fingerprints_from_lock(lock) == {
        "data/split/train.parquet": "bbb",
        "models/model.joblib": "ccc",
    }
    assert fingerprints_from_lock(tmp_path / "missing.lock") == {}


def test_gate_command_exits_1_with_the_reason_when_the_gate_fails(trained_project, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(trained_project, project)
    # The gate reads metrics.json only as the output dvc.lock records.
    md5 = hashlib.md5((project / "metrics.json").read_bytes()).hexdigest()
    lock = {"stages": {"evaluate": {"outs": [{"path": "metrics.json", "md5": md5}]}}}
    (project / "dvc.lock").write_text(yaml.safe_dump(lock))

    def gate():
        return subprocess.run(
            [sys.executable, "-m", PACKAGE, "gate"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )

    passing = gate()
    assert passing.returncode == 0, passing.stderr
    assert "passed" in passing.stdout
    params = yaml.safe_load((project / "params.yaml").read_text())
    higher_is_better = params["gate"]["metric"] not in {"rmse", "mae", "log_loss"}
    params["gate"]["threshold"] = 1.5 if higher_is_better else 1e-6
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    failing = gate()
    assert failing.returncode == 1
    assert "does not meet the quality gate" in failing.stderr
