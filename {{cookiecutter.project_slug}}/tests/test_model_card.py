"""The model card: notebooks/model_card.ipynb rendered from a trained project's files."""

import json
import re
import shutil
from datetime import UTC, datetime

import nbformat
import pytest
from conftest import PROJECT_ROOT

from {{ cookiecutter.package_name }}.pipeline.gate import judge
from {{ cookiecutter.package_name }}.release import card as release
from {{ cookiecutter.package_name }}.release import pictures
from {{ cookiecutter.package_name }}.release.tags import Version

NOTEBOOK = PROJECT_ROOT / "notebooks" / "model_card.ipynb"
LOCK = """\
stages:
  validate:
    deps:
      - path: data/raw/demo.csv
        md5: 0123456789abcdef0123456789abcdef
        size: 1000
  train:
    outs:
      - path: models/model.joblib
        md5: fedcba9876543210fedcba9876543210
        size: 2000
"""

LEVEL = {"requests": 300, "errors": 0, "p50_ms": 19.2, "p95_ms": 24.1, "p99_ms": 29.3}
LATENCY = {
    "version": "v1.2.0",
    "commit": "a" * 40,
    "floor_ms": 16.5,
    "levels": [
        {"concurrency": 1, **LEVEL, "requests_per_second": 51.9},
        {"concurrency": 8, **LEVEL, "p99_ms": 81.0, "requests_per_second": 192.5},
    ],
}


@pytest.fixture(scope="module")
def card(trained_project, tmp_path_factory, params):
    """(context, markdown, html) of a model card rendered for the trained project."""
    root = tmp_path_factory.mktemp("card") / "bundle"
    root.mkdir()
    # The bundle's files, as build_bundle copies them from the released commit.
    for name in ("models/model.json", "models/profile.json", "metrics.json", "schema.yaml"):
        shutil.copy(trained_project / name, root)
    shutil.copy(trained_project / "reports/slices.json", root)
    shutil.copy(PROJECT_ROOT / "dvc.yaml", root / "dvc.yaml")
    (root / "dvc.lock").write_text(LOCK)
    metrics = json.loads((root / "metrics.json").read_text())
    report = judge(metrics, None, params.gate)
    if params.task == "regression":
        results = (
            "per-segment",
            release.per_segment_results(trained_project / "plots/predictions.csv"),
        )
    else:
        confusion = trained_project / "plots/confusion_matrix.csv"
        results = ("per-class", release.per_class_results(confusion))
    version = Version(
        "the-model",
        "v1.2.0",
        "a" * 40,
        "the-model@v1.2.0",
        datetime(2026, 1, 2, tzinfo=UTC),
        "octocat",
        "",
    )
    (root / "reports").mkdir()
    (root / "reports/latency.json").write_text(json.dumps(LATENCY))
    latency = release.latency_record(version, root)
    plots = trained_project / "plots"
    tables = {path.name: pictures.read_table(path) for path in plots.glob("*.csv")}
    drawn = pictures.pictures_of(params.task, tables)
    context = release.card_context(root, version, params, report, results, latency, drawn)
    release.render_model_card(context, root, NOTEBOOK)
    return context, (root / "model_card.md").read_text(), (root / "model_card.html").read_text()


def test_the_notebook_is_saved_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_the_card_shows_every_metric_and_the_gate(card, params):
    context, markdown, _ = card

    for name, value in context["metrics"].items():
        assert f"| {name} | {value:.4f} |" in markdown
    assert f"Quality gate on `{params.gate.metric}`: ✅ passed" in markdown
    assert "against production: no model is in production yet" in markdown


def test_the_card_has_every_section(card):
    _, markdown, html = card

    for heading in (
        "# Model card: the-model v1.2.0",
        "## Intended use",
        "## Training data",
        "## Metrics",
        "## Serving latency",
        "## Limitations",
        "## Lineage",
    ):
        assert heading in markdown
        assert heading.lstrip("# ") in html
    assert "octocat" in markdown
    assert "| data/raw/demo.csv | 0123456789abcdef0123456789abcdef | 1000 |" in markdown
    assert "model: md5 `fedcba9876543210fedcba9876543210`" in markdown
    assert "import json" not in markdown and "import json" not in html  # code is left out


def test_the_breakdown_matches_the_test_split(card, trained_project, task):
    context, markdown, _ = card
    rows = context["breakdown"]["rows"]

    if task == "regression":
        assert "## Per-segment results" in markdown
        assert sum(row["rows"] for row in rows) == len(
            (trained_project / "plots" / "predictions.csv").read_text().splitlines()[1:]
        )
    else:
        assert "## Per-class results" in markdown
        test_rows = (trained_project / "plots" / "confusion_matrix.csv").read_text().splitlines()
        assert sum(row["support"] for row in rows) == len(test_rows) - 1
        for row in rows:
            assert f"| {row['class']} | {row['support']} |" in markdown


def test_the_card_lists_the_metric_across_groups(card, trained_project, params):
    context, markdown, _ = card
    slices = json.loads((trained_project / "reports/slices.json").read_text())

    assert context["slices"] == slices and slices["metric"] == params.gate.metric
    assert "## Results across groups" in markdown
    assert slices["slices"], "the demo data has categorical features"
    for row in slices["slices"]:
        value = "" if row["value"] is None else f"{row['value']:.4f}"
        assert f"| {row['feature']} | {row['category']} | {row['rows']} | {value} |" in markdown


def test_per_class_results_are_computed_from_the_confusion_pairs(tmp_path):
    path = tmp_path / "confusion.csv"
    path.write_text("actual,predicted\na,a\na,b\nb,b\nb,b\nc,b\n")

    rows = {row["class"]: row for row in release.per_class_results(path)}

    assert rows["a"] == {"class": "a", "support": 2, "precision": 1.0, "recall": 0.5, "f1": 0.6667}
    assert rows["b"]["precision"] == 0.5 and rows["b"]["recall"] == 1.0
    assert rows["c"] == {"class": "c", "support": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_per_segment_results_split_by_actual_quartile(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("actual,predicted\n" + "".join(f"{i},{i + 1}\n" for i in range(8)))

    rows = release.per_segment_results(path)

    assert [row["rows"] for row in rows] == [2, 2, 2, 2]
    assert rows[0]["segment"] == "actual 0.00 to 1.00"
    assert all(row["mae"] == 1.0 and row["rmse"] == 1.0 for row in rows)


def test_the_card_quotes_the_latency_of_its_own_version(card):
    context, markdown, _ = card

    assert context["latency"] == LATENCY
    assert "in-process: 16.50 ms" in markdown
    assert "| 8 | 300 | 0 | 19.20 | 24.10 | 81.00 | 192.5000 |" in markdown


def test_latency_measured_on_another_commit_is_left_out(tmp_path, capsys):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/latency.json").write_text(json.dumps({**LATENCY, "commit": "b" * 40}))
    version = Version("m", "v1.2.0", "a" * 40, "m@v1.2.0", datetime(2026, 1, 2, tzinfo=UTC), "", "")

    assert release.latency_record(version, tmp_path) is None
    assert "not m@v1.2.0: the model card shows no latency" in capsys.readouterr().err
    assert release.latency_record(version, tmp_path / "elsewhere") is None


CHARTS_BY_TASK = {
    "binary_classification": [
        "ROC curve",
        "Precision-recall curve",
        "Permutation feature importance",
    ],
    "multiclass_classification": ["Permutation feature importance"],
    "regression": ["Residual quantiles", "Permutation feature importance"],
}


def test_the_html_card_draws_the_charts_and_the_markdown_card_tabulates_them(card, task):
    context, markdown, html = card
    titles = re.findall(r'<svg [^>]*aria-label="([^"]*)"', html)
    assert titles == CHARTS_BY_TASK[task]
    assert "<svg" not in markdown  # GitHub shows no inline SVG in release notes
    assert "The HTML card draws these; here are their numbers." in markdown
    assert "The HTML card draws these" not in html
    for chart in context["pictures"]["charts"]:
        assert f"### {chart['heading']}" in markdown
        first = chart["rows"][0]
        cells = [v if isinstance(v, str) else f"{v:.4f}" for v in map(first.get, chart["columns"])]
        assert f"| {' | '.join(cells)} |" in markdown
    confusion = context["pictures"]["confusion"]
    if task == "regression":
        assert confusion is None
    else:
        assert (
            "Confusion matrix (test split)" in html and "background:rgba(76,120,168,1.00)" in html
        )
        assert sum(map(sum, confusion["counts"])) == sum(
            r["support"] for r in context["breakdown"]["rows"]
        )


def test_integer_bounds_print_as_integers(card):
    context, markdown, _ = card
    columns = context["training_data"]["columns"]
    whole = [
        name
        for name, c in columns.items()
        if isinstance(c.get("min"), float) and c["min"].is_integer()
    ]
    assert whole, "the demo data has integer columns"
    for name in whole:
        low, high = int(columns[name]["min"]), columns[name]["max"]
        high = int(high) if float(high).is_integer() else f"{high:.4f}"
        assert f"| {name} | numeric | {columns[name]['nulls']} | {low} | {high} |" in markdown


def test_the_placeholder_prose_is_flagged_on_top(card):
    _, markdown, _ = card
    top = markdown.split("## Intended use")[0]
    assert "**Not written yet:** Intended use, Limitations" in top
    assert "**Quality gate ✅ passed** on" in top and "version `v1.2.0`" in top


def test_written_sections_are_not_flagged():
    text = NOTEBOOK.read_text()
    assert pictures.unwritten_sections(text) == ["Intended use", "Limitations"]
    edited = text.replace("Replace this paragraph with", "It ranks customers by").replace(
        "Replace or extend this with", "We know"
    )
    assert pictures.unwritten_sections(edited) == []
