"""What a drift report says and in which order: a metric moves the way it did, against what
the reference really is; columns come by severity; the HTML shows every label, whole."""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.drift.decision import PerformanceDecay, compare, numeric_histogram
from {{ cookiecutter.package_name }}.drift.report import (
    CHAR_WIDTH,
    histogram_svg,
    html_page,
    markdown,
    p_text,
    write_reports,
)
from {{ cookiecutter.package_name }}.drift.retrain import pull_request_body
from {{ cookiecutter.package_name }}.drift.summary import summarize_batches
from {{ cookiecutter.package_name }}.params import DriftParams
from {{ cookiecutter.package_name }}.pipeline.profile import category_profile, numeric_profile

WORKSPACE = (
    "the workspace's model and profile at commit `0123456789ab` (no model is in production yet)"
)


def calm_frame(rows, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(0, 1, rows), "label": rng.normal(0, 1, rows)})


def decayed_result(metric, release, current, reference_source="production"):
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
    metrics = {metric: {"release": release, "current": current}}
    decay = PerformanceDecay(metric, release, current, 0.39, True, metrics)
    return compare(profile, summary, DriftParams(), decay, reference_source)


def document_of(result, description=WORKSPACE, reference_source="workspace", **fields):
    document = {
        "status": result["decision"],
        "date": "2030-01-01",
        "source": "data/current/2030-01-01.parquet",
        "files": ["data/current/2030-01-01.parquet"],
        "reference": {"folder": "reference", "description": description},
        "contract": [],
        "result": result,
        "run_url": None,
    }
    document["reference"]["source"] = reference_source
    return document | fields


@pytest.mark.parametrize(
    ("metric", "release", "current", "moved"),
    [("rmse", 354.96, 493.45, "rose"), ("roc_auc", 0.8146, 0.70, "fell")],
)
def test_a_decayed_metric_is_said_to_move_the_way_it_did(metric, release, current, moved):
    (reason,) = decayed_result(metric, release, current).reasons
    assert reason.startswith(f"{metric} {moved} from {release:.4f} at release to {current:.4f}")


def test_before_any_release_the_reports_compare_with_the_workspace_not_a_release():
    result = decayed_result("roc_auc", 0.8146, 0.70, "workspace").to_dict()
    (reason,) = result["reasons"]
    assert reason.startswith("roc_auc fell from 0.8146 in the workspace's test metrics to 0.7000")
    document = document_of(result)
    for report in (markdown(document), html_page(document)):
        assert "at release" not in report and "(error:" not in report
        assert "the workspace's test metrics" in report  # the metrics table's reference column
        assert "no model is in production yet" in report


@pytest.mark.parametrize(
    ("source", "said"),
    [("workspace", "in the workspace's test metrics"), ("production", "at release")],
)
def test_the_retraining_pull_request_names_the_reference_it_compared_with(
    source, said, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"roc_auc": 0.81}))
    result = decayed_result("roc_auc", 0.8146, 0.70, source).to_dict()
    document = document_of(result, reference_source=source)
    body = pull_request_body(document, DriftParams(), "data/raw/demo.csv", 100, 120)
    assert f"on the drifted batch: 0.7000 ({said}: 0.8146)." in body
    assert source == "production" or "at release" not in body


def row(column, drifted, effect):
    return {
        "column": column,
        "role": "feature",
        "kind": "category",
        "test": "chi2",
        "statistic": 1.0,
        "p_value": 2.96e-23 if drifted else 0.186,
        "corrected_p_value": 2.96e-22 if drifted else 1.0,
        "effect_name": "jensen_shannon",
        "effect": effect,
        "psi": 0.1,
        "reference_null_rate": 0.0,
        "current_null_rate": 0.0,
        "drifted": drifted,
        "unseen": {},
        "histogram": {"labels": ["a", "b"], "reference": [0.5, 0.5], "current": [0.4, 0.6]},
    }


def result_of(rows, predictions=None):
    settings = DriftParams().model_dump()
    drifted = [item["column"] for item in rows if item["drifted"]]
    return {
        "decision": "drift" if drifted else "no_drift",
        "reasons": [f"{len(drifted)} of {len(rows)} feature columns drifted"] if drifted else [],
        "drifted_columns": drifted,
        "columns": rows,
        "predictions": predictions,
        "performance": None,
        "current_rows": 2000,
        "settings": settings,
    }


def test_columns_come_drifted_first_then_by_effect_size_and_drift_json_keeps_its_order(
    tmp_path,
):
    rows = [row("calm", False, 0.30), row("small", True, 0.05), row("large", True, 0.40)]
    prediction = row("prediction", True, 0.20) | {"role": "prediction"}
    document = document_of(result_of(rows, prediction))
    expected = ["large", "prediction", "small", "calm"]
    table = re.findall(r"^\| `(\w+)` \|", markdown(document), re.MULTILINE)
    assert table == expected
    page = html_page(document)
    assert re.findall(r"<tr[^>]*><td><code>(\w+)</code>", page) == expected
    assert re.findall(r"<figcaption>(\w+)", page) == expected
    paths = write_reports(document, tmp_path)
    written = json.loads(paths["json"].read_text())
    assert [item["column"] for item in written["result"]["columns"]] == ["calm", "small", "large"]
    assert written == json.loads(json.dumps(document))


def test_the_html_header_is_a_definition_list_naming_each_path_once():
    files = ["logs/date=2030-01-01/a.parquet", "logs/date=2030-01-02/b.parquet"]
    document = document_of(result_of([row("x", False, 0.0)]))
    page = html_page(document)
    assert "<pre" not in page and "<dl" in page
    assert page.count("data/current/2030-01-01.parquet") == 1
    assert "(no model is in production yet)" in page
    globbed = html_page(document | {"source": "logs/date=*/*.parquet", "files": files})
    assert all(globbed.count(path) == 1 for path in [*files, "logs/date=*/*.parquet"])
    assert "2 files" in globbed


@pytest.mark.parametrize(
    ("value", "shown"),
    [(2.96e-23, "< 0.0001"), (0.00042, "0.00042"), (0.0496, "0.0496"), (1.0, "1"), (None, "n/a")],
)
def test_p_values_are_short_and_never_in_exponent_form(value, shown):
    assert p_text(value) == shown


def test_figures_stay_on_one_line_in_the_html_table():
    page = html_page(document_of(result_of([row("x", True, 0.3)])))
    assert '<td class="num">&lt; 0.0001</td>' in page  # the p-values
    assert '<td class="num">Jensen-Shannon 0.3000</td>' in page
    assert "td.num{text-align:right;white-space:nowrap}" in page


def svg_labels(svg):
    """(x, text-anchor, text) of the chart's labels, the percentages of its y axis left out;
    x in the plot's coordinates (turned labels: the point they hang from)."""
    found = re.findall(
        r'<text (?:x="([-\d.]+)"|transform="translate\(([-\d.]+),[^"]*")[^>]*'
        r'text-anchor="(\w+)">([^<]*)</text>',
        svg,
    )
    labels = [
        (float(x or turned), anchor, html.unescape(text)) for x, turned, anchor, text in found
    ]
    return [label for label in labels if not label[2].endswith("%")]


def test_every_category_of_a_four_category_column_is_labelled():
    labels = ["bank-transfer", "card", "electronic-check", "mailed-check"]
    svg = histogram_svg(
        {"labels": labels, "reference": [0.25] * 4, "current": [0.2, 0.3, 0.2, 0.3]}, "category"
    )
    assert [text for _, _, text in svg_labels(svg)] == labels


def test_numeric_ticks_are_round_numbers_inside_the_drawing():
    edges = np.linspace(18.0, 91.3, 50)
    counts = np.ones(51)
    counts[0] = 9  # current values below the reference range get their own first bar
    svg = histogram_svg(numeric_histogram(edges, np.ones(51), counts), "numeric")
    width = float(re.search(r'<svg [^>]*width="([\d.]+)"', svg).group(1))
    left = float(re.search(r'<g transform="translate\(([\d.]+)', svg).group(1))
    ticks = svg_labels(svg)
    assert [text for _, _, text in ticks] == ["< 18", "40", "60", "80"]  # 20 would touch "< 18"
    for x, anchor, text in ticks:
        extent = len(text) * CHAR_WIDTH
        start = x - {"start": 0, "middle": extent / 2, "end": extent}[anchor]
        assert left + start >= 0 and left + start + extent <= width, text
