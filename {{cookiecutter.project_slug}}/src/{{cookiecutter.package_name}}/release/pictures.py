"""The model card's pictures, from the release's own plot tables (read through DVC, checked
against its dvc.lock): SVG charts for the HTML card, the same numbers as tables for the
markdown card (the release notes), and the confusion matrix as a heat-map table."""

import csv
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from .. import paths
from ..axes import even_grid, on_grid
from ..edge.dvc import CommitOutputs
from ..svgchart import Chart

# Curves are drawn at evenly spaced x values; this many keep their shape.
CURVE_STEP = 1 / 20
Picture = dict[str, Any]  # {"heading", "svg", "columns", "rows"}
TABLES_BY_TASK = {
    "binary_classification": ("roc.csv", "precision_recall.csv", "feature_importance.csv"),
    "multiclass_classification": ("feature_importance.csv",),
    "regression": ("residuals.csv", "feature_importance.csv"),
}


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([float(row[name]) for row in rows])


def curve(
    heading: str, axes: tuple[str, str], rows: list[dict[str, str]], xy: tuple[str, str]
) -> Picture:
    """A curve resampled on an even grid of its x-axis (0 to 1), points joined."""
    grid = even_grid(0.0, 1.0, CURVE_STEP)
    values = on_grid(column(rows, xy[0]), column(rows, xy[1]), grid)
    labels = [f"{x:g}" for x in grid]
    chart = Chart(
        (heading, *axes), labels, {xy[1]: [round(float(v), 4) for v in values]}, bars=False, top=1.0
    )
    table = [
        {axes[0]: label, axes[1]: round(float(v), 4)}
        for label, v in zip(labels, values, strict=True)
    ]
    return {"heading": heading, "svg": chart.svg(styled=True), "columns": list(axes), "rows": table}


def residual_quantiles(rows: list[dict[str, str]]) -> Picture:
    levels = even_grid(0.05, 0.95, 0.05)
    values = np.quantile(column(rows, "residual"), levels)
    labels = [f"{level:.2f}" for level in levels]
    axes = ("quantile", "residual (actual - predicted)")
    chart = Chart(
        ("Residual quantiles", *axes),
        labels,
        {"residual": [round(float(v), 4) for v in values]},
        bars=False,
        from_zero=False,
    )
    table = [
        {axes[0]: label, axes[1]: round(float(v), 4)}
        for label, v in zip(labels, values, strict=True)
    ]
    return {
        "heading": "Residual quantiles",
        "svg": chart.svg(styled=True),
        "columns": list(axes),
        "rows": table,
    }


def importance(rows: list[dict[str, str]]) -> Picture:
    names = [row["feature"] for row in rows]
    values: list[float | None] = [round(float(row["importance"]), 4) for row in rows]
    axes = ("feature", "mean drop in the score when shuffled")
    chart = Chart(
        ("Permutation feature importance", *axes),
        names,
        {"importance": values},
        from_zero=all(value is not None and value >= 0 for value in values),
    )
    table = [{axes[0]: name, axes[1]: value} for name, value in zip(names, values, strict=True)]
    return {
        "heading": "Feature importance",
        "svg": chart.svg(styled=True),
        "columns": list(axes),
        "rows": table,
    }


def confusion(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """{"labels", "counts" (actual x predicted), "html"}: a table whose cells are shaded by
    their share of the largest count."""
    labels = sorted({label for pair in pairs for label in pair})
    tally = Counter(pairs)
    counts = [[tally[(actual, predicted)] for predicted in labels] for actual in labels]
    largest = max((max(row) for row in counts), default=0) or 1
    head = "".join(f"<th>{escape(label)}</th>" for label in labels)
    body = "".join(
        f"<tr><th>{escape(actual)}</th>"
        + "".join(
            f'<td style="background:rgba(76,120,168,{count / largest:.2f});color:'
            f'{"#fff" if count / largest > 0.55 else "#1b1f24"};text-align:right">{count}</td>'
            for count in row
        )
        + "</tr>"
        for actual, row in zip(labels, counts, strict=True)
    )
    html = (
        '<table style="border-collapse:collapse"><tr><th>actual \\ predicted</th>'
        f"{head}</tr>{body}</table>"
    )
    return {"labels": labels, "counts": counts, "html": html}


def card_pictures(outputs: CommitOutputs, task: str, folder: str | Path) -> dict[str, Any]:
    """pictures_of the release's plot tables, each checked against its dvc.lock."""
    names = [*TABLES_BY_TASK[task], *([] if task == "regression" else ["confusion_matrix.csv"])]
    return pictures_of(
        task,
        {name: read_table(outputs.get(paths.PLOTS / name, Path(folder) / name)) for name in names},
    )


def pictures_of(task: str, tables: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """{"charts": [Picture], "confusion": confusion() or None} from the task's plot tables."""
    charts = []
    if task == "binary_classification":
        roc_axes = ("false positive rate", "true positive rate")
        charts.append(curve("ROC curve", roc_axes, tables["roc.csv"], ("fpr", "tpr")))
        charts.append(
            curve(
                "Precision-recall curve",
                ("recall", "precision"),
                tables["precision_recall.csv"],
                ("recall", "precision"),
            )
        )
    if task == "regression":
        charts.append(residual_quantiles(tables["residuals.csv"]))
    charts.append(importance(tables["feature_importance.csv"]))
    pairs = tables.get("confusion_matrix.csv")
    matrix = None if pairs is None else confusion([(r["actual"], r["predicted"]) for r in pairs])
    return {"charts": charts, "confusion": matrix}


PLACEHOLDERS = ("Replace this paragraph", "Replace or extend this")


def unwritten_sections(notebook_text: str) -> list[str]:
    """The headings of the model card's prose sections that still hold the template's
    placeholder text (the notebook as JSON)."""
    import json

    found = []
    for cell in json.loads(notebook_text).get("cells", []):
        text = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown" and any(mark in text for mark in PLACEHOLDERS):
            heading = next(
                (line.lstrip("# ") for line in text.splitlines() if line.startswith("#")),
                "a section",
            )
            found.append(heading)
    return found
