import hashlib
import shutil
import subprocess
import sys

import pytest
import yaml

from {{ cookiecutter.package_name }}.axes import round_step
from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.params import GateParams
from {{ cookiecutter.package_name }}.pipeline.gate import ProductionMetrics
from {{ cookiecutter.package_name }}.review.charts import curve_charts, nice_ceiling, value_axis
from {{ cookiecutter.package_name }}.review.comparison import Comparison
from {{ cookiecutter.package_name }}.review.report import (
    MetricChange,
    PrReportInputs,
    fingerprints_from_lock,
    fit_comment,
    metric_changes,
    params_changes,
    render_pr_report,
    usable_base,
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
    intervals = {"roc_auc": (0.01, 0.07), "accuracy": (-0.01, 0.05)}
    text, passed = render_pr_report(inputs(diff, comparison=Comparison(intervals, True, 1000)))
    assert passed
    row = "| `roc_auc` | 0.8000 | 0.8400 | +0.0400 | +0.0100 to +0.0700 | +5.00% | better |"
    assert row in text
    assert "| `accuracy` | 0.8000 | 0.8200 | +0.0200 | -0.0100 to +0.0500 | +2.50% " in text
    assert "| within noise (±0.0300) |" in text
    assert "1 metrics better, 0 worse, 1 within noise" in text.splitlines()[0]
    assert "paired (both models on the same rows)" in text
    assert text.rstrip().endswith("**Quality gate: PASS**")


def test_without_the_bases_test_predictions_no_change_is_called_better_or_worse():
    diff = {"metrics.json": {"roc_auc": {"old": 0.8, "new": 0.84}}}
    note = "the base `origin/main` has no test predictions to compare with (not found)"
    text, _ = render_pr_report(inputs(diff, comparison=Comparison({}, note=note)))
    assert text.splitlines()[0] == "## Model report: quality gate ✅ PASS"
    assert "Changes are not tested for noise: " + note in text
    assert "| `roc_auc` | 0.8000 | 0.8400 | +0.0400 | — | +5.00% |  |" in text


def test_error_metrics_that_grow_are_worse():
    assert MetricChange("rmse", 10.0, 12.0, (1.0, 3.0)).verdict == "worse"
    assert MetricChange("r2", 0.5, 0.6, (0.05, 0.15)).verdict == "better"
    assert MetricChange("r2", 0.5, 0.5, (-0.05, 0.05)).verdict == "within noise"


def test_first_pr_without_base_metrics_is_reported_not_crashed():
    diff = {"metrics.json": {"roc_auc": {"new": 0.81}}}
    text, passed = render_pr_report(inputs(diff))
    assert passed
    assert "has no metrics yet" in text
    assert "| `roc_auc` | — | 0.8100 | — | — | — |  |" in text


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
    assert "| `note` | `a` | `b` | — | — | — |  |" in text


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


def mermaid_blocks(text):
    blocks, current = [], None
    for line in text.splitlines():
        if line == "```mermaid":
            current = []
        elif line == "```" and current is not None:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line.strip())
    return blocks


def test_the_primary_chart_has_bars_from_zero_and_no_line_across_categories():
    diff = {"metrics.json": {"roc_auc": {"old": 0.8, "new": 0.805}}}
    production = ProductionMetrics("v0.1.0", {"roc_auc": 0.81})
    (chart,) = mermaid_blocks(render_pr_report(inputs(diff, production=production))[0])
    assert 'x-axis ["base", "this PR", "production v0.1.0", "threshold"]' in chart
    assert 'y-axis "roc_auc" 0 --> 1' in chart
    assert "bar [0.8000, 0.8050, 0.8100, 0.7500]" in chart
    assert not any(line.startswith("line") for line in chart)
    (chart,) = mermaid_blocks(
        render_pr_report(inputs({"metrics.json": {"roc_auc": {"new": 0.84}}}))[0]
    )
    assert 'x-axis ["this PR", "threshold"]' in chart


def test_unbounded_metrics_get_an_axis_from_zero_to_a_round_number():
    assert value_axis("rmse", [3.2, 4.1, 5.0]) == (0.0, 5.0)
    assert value_axis("rmse", [3.2, 5.01]) == (0.0, 10.0)
    assert value_axis("log_loss", [0.41, 0.52]) == (0.0, 1.0)
    assert value_axis("r2", [-0.3, 0.6]) == (-0.5, 1.0)
    assert value_axis("roc_auc", [0.8, 0.81]) == (0.0, 1.0)
    assert [nice_ceiling(v) for v in (0.013, 0.2, 7, 12)] == [0.02, 0.2, 10, 20]


def test_round_steps_are_one_two_or_five_times_a_power_of_ten():
    assert [round_step(span, 5) for span in (1.0, 0.37, 12, 7300)] == [0.2, 0.1, 5, 2000]
    assert round_step(0.0, 4) == 1.0


def test_curves_are_lines_over_a_numeric_axis_base_first(tmp_path):
    from test_comparison import binary, multiclass, regression

    base, new = binary(1), binary(2, noise=2.0)
    roc, precision = (block for block in mermaid_blocks("\n".join(curve_charts(base, new))))
    assert (
        'x-axis "false positive rate" 0 --> 1' in roc
        and 'y-axis "true positive rate" 0 --> 1' in roc
    )
    assert 'x-axis "recall" 0 --> 1' in precision
    lines = [line for line in roc if line.startswith("line [")]
    values = [[float(v) for v in line[6:-1].split(",")] for line in lines]
    assert len(values) == 2 and all(len(v) <= 50 for v in values)
    assert values[0][-1] == values[1][-1] == 1.0
    assert sum(values[0]) > sum(values[1])  # the base separates the classes better
    (residuals,) = mermaid_blocks("\n".join(curve_charts(None, regression(3))))
    assert 'x-axis "quantile" 0.0625 --> 0.9375' in residuals
    assert len([line for line in residuals if line.startswith("line [")]) == 1
    assert curve_charts(multiclass(4), multiclass(5)) == []


def test_slices_are_listed_with_counts_and_flags():
    slices = {
        "metric": "roc_auc",
        "whole": 0.81,
        "confidence": 0.95,
        "slices": [
            {
                "feature": "plan",
                "category": "basic",
                "rows": 700,
                "value": 0.83,
                "low": 0.8,
                "high": 0.86,
                "worse": False,
            },
            {
                "feature": "plan",
                "category": "pro",
                "rows": 300,
                "value": 0.7,
                "low": 0.64,
                "high": 0.76,
                "worse": True,
            },
            {
                "feature": "plan",
                "category": "(missing)",
                "rows": 3,
                "value": None,
                "low": None,
                "high": None,
                "worse": False,
            },
        ],
    }
    text, _ = render_pr_report(inputs({"metrics.json": {"roc_auc": {"new": 0.81}}}, slices=slices))
    assert "1 slice(s) worse beyond their 95% interval" in text
    assert "| `plan` | `pro` | 300 | 0.7000 | 0.6400 to 0.7600 | ⚠️ worse than all rows |" in text
    assert "| `plan` | `(missing)` | 3 | — | — |  |" in text


def test_a_huge_report_is_cut_under_githubs_limit_with_a_note():
    validation = {
        "valid": False,
        "rows": 10,
        "columns": 5000,
        "violations": [
            {"column": f"c{i}", "rule": "null", "count": 1, "examples": ["x" * 30]}
            for i in range(5000)
        ],
    }
    text, passed = render_pr_report(
        inputs({"metrics.json": {"roc_auc": {"new": 0.9}}}, validation=validation)
    )
    assert len(text) < 65_536
    assert "more lines were left out to stay under GitHub's 65,000-character" in text
    assert text.count("```") % 2 == 0
    assert text.rstrip().endswith("**Quality gate: PASS**") and passed
    lines = ["```mermaid", *["x" * 99] * 1000]
    cut = fit_comment(lines, limit=5000)
    assert sum(len(line) + 1 for line in cut) < 5000 and cut[-3] == "```"


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
    assert failing.stderr.startswith("gate failed: ")  # a finding, not "error:"
    assert "does not meet the quality gate" in failing.stderr


def test_a_fresh_local_project_is_compared_with_its_local_main(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=a", "-c", "user.email=a@b.c", "commit", "-q", "--allow-empty", "-m", "x")
    assert usable_base("main", tmp_path) == ("main", [])
    base, notes = usable_base("origin/main", tmp_path)
    assert base == "main" and "compared with the local `main`" in notes[0]
    with pytest.raises(ProjectError, match="`origin/nothing` does not exist"):
        usable_base("origin/nothing", tmp_path)
