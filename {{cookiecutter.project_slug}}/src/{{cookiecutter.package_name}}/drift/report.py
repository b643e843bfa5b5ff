"""Drift reports from one JSON document: markdown (for the issue) and self-contained HTML.

The HTML draws each column's reference-vs-current histogram as inline SVG, with inline CSS:
it opens offline, from an artifact or an e-mail, with no script and no CDN.
"""

import datetime
import html
import json
from pathlib import Path
from typing import Any

STATUS_TITLES = {
    "no_drift": "✅ no drift",
    "drift": "⚠️ drift",
    "could_not_check": "❌ could not check",
}
REFERENCE_COLOR, CURRENT_COLOR = "#9aa5b1", "#d9480f"
CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 420, 150, 28


def today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def _number(value: object, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and (value == 0 or 1e-3 <= abs(value) < 1e5):
        return f"{value:.{digits}f}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    result = document.get("result") or {}
    rows = list(result.get("columns") or [])
    if result.get("predictions"):
        rows.append(result["predictions"])
    return rows


def title(document: dict[str, Any]) -> str:
    """One line naming the date and the outcome (issue titles use it)."""
    status = document["status"]
    result = document.get("result") or {}
    if status == "drift":
        drifted = len(result.get("drifted_columns") or [])
        features = sum(1 for row in result.get("columns") or [] if row["role"] == "feature")
        return f"Data drift on {document['date']}: {drifted} of {features} feature columns drifted"
    if status == "could_not_check":
        return f"Drift check could not run on {document['date']}"
    return f"No data drift on {document['date']}"


def _header_lines(document: dict[str, Any]) -> list[str]:
    files = document.get("files") or []
    shown = ", ".join(f"`{path}`" for path in files[:5]) + (" ..." if len(files) > 5 else "")
    result = document.get("result") or {}
    rows = f" ({result['current_rows']:,} rows)" if result.get("current_rows") else ""
    lines = [
        f"## Drift check {document['date']}: {STATUS_TITLES[document['status']]}",
        "",
        f"- Current data: `{document.get('source')}`{': ' + shown if files else ''}{rows}",
        f"- Reference: {document['reference']['description']}",
    ]
    if document.get("run_url"):
        lines.append(f"- Run: {document['run_url']}")
    return lines


def markdown(document: dict[str, Any]) -> str:
    lines = _header_lines(document)
    if document["status"] == "could_not_check":
        lines += [
            "",
            f"**Problem:** {document['problem']}",
            "",
            f"**Fix:** {document['fix']}",
            "",
            "Exit status 3: the data could not be checked, so nothing is known about drift.",
        ]
        return "\n".join(lines) + "\n"
    result = document["result"]
    lines += ["", "**Why:**" if result["reasons"] else "Nothing drifted."]
    lines += [f"- {reason}" for reason in result["reasons"]]
    lines += [
        "",
        "| column | role | test | statistic | p-value | corrected p | effect size | PSI "
        "| missing ref → current | drifted |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in _rows(document):
        unseen = f" (unseen: {', '.join(map(str, row['unseen']))})" if row["unseen"] else ""
        lines.append(
            f"| `{row['column']}`{unseen} | {row['role']} | {row['test']} "
            f"| {_number(row['statistic'])} | {_p(row['p_value'])} "
            f"| {_p(row['corrected_p_value'])} | {row['effect_name']} {_number(row['effect'])} "
            f"| {_number(row['psi'])} | {row['reference_null_rate']:.1%} → "
            f"{row['current_null_rate']:.1%} | {'⚠️ yes' if row['drifted'] else 'no'} |"
        )
    lines += _performance_lines(result.get("performance"))
    lines += _contract_lines(document.get("contract"))
    settings = result["settings"]
    floors = settings["min_effect"]
    lines += [
        "",
        f"Rule: a column drifts when its {settings['correction']}-corrected p-value is below "
        f"{settings['alpha']} and its effect size reaches {floors['wasserstein']} "
        f"(normalized Wasserstein) or {floors['jensen_shannon']} (Jensen-Shannon), or its "
        f"missing-value rate moves by {settings['max_null_rate_change']:.0%}; action at "
        f"{settings['drifted_share']:.0%} of the feature columns (params.yaml `drift:`).",
    ]
    return "\n".join(lines) + "\n"


def _performance_lines(performance: dict[str, Any] | None) -> list[str]:
    if not performance:
        return []
    lines = [
        "",
        "Model performance on the current data (it carries the target):",
        "",
        "| metric | at release | current |",
        "|---|---|---|",
    ]
    for name, values in performance["metrics"].items():
        lines.append(f"| `{name}` | {_number(values['release'])} | {_number(values['current'])} |")
    return lines


def _contract_lines(contract: list[dict[str, Any]] | None) -> list[str]:
    if not contract:
        return []
    lines = [
        "",
        "Contract findings (counted as drift evidence, not errors):",
        "",
        "| column | rule | rows | examples |",
        "|---|---|---|---|",
    ]
    for item in contract:
        examples = ", ".join(f"`{example}`" for example in item["examples"])
        lines.append(f"| `{item['column']}` | {item['rule']} | {item['rows']} | {examples} |")
    return lines


# --- HTML ---------------------------------------------------------------------------------------


def histogram_svg(histogram: dict[str, Any]) -> str:
    """Grouped bars (reference grey, current orange) for {"labels", "reference", "current"}."""
    labels = histogram.get("labels") or []
    if not labels:
        return "<p>No values to draw.</p>"
    top = max(max(histogram["reference"]), max(histogram["current"])) or 1.0
    plot_height = CHART_HEIGHT - CHART_MARGIN
    group = CHART_WIDTH / len(labels)
    bar = max(group * 0.4, 0.5)
    shapes = []
    for index, label in enumerate(labels):
        for offset, (series, color) in enumerate(
            [("reference", REFERENCE_COLOR), ("current", CURRENT_COLOR)]
        ):
            share = histogram[series][index]
            height = plot_height * share / top
            x = index * group + group * 0.1 + offset * bar
            shapes.append(
                f'<rect x="{x:.1f}" y="{plot_height - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{color}"><title>{html.escape(str(label))}: '
                f"{series} {share:.1%}</title></rect>"
            )
    for index in sorted({0, len(labels) // 2, len(labels) - 1}):
        x = index * group + group * 0.1
        text = html.escape(str(labels[index]))[:18]
        shapes.append(f'<text x="{x:.1f}" y="{CHART_HEIGHT - 10}" font-size="10">{text}</text>')
    shapes.append(
        f'<line x1="0" y1="{plot_height}" x2="{CHART_WIDTH}" y2="{plot_height}" stroke="#333"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" '
        f'height="{CHART_HEIGHT}" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img">'
        + "".join(shapes)
        + "</svg>"
    )


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}.drifted{background:#fff0e6}.legend span{display:inline-block;
width:12px;height:12px;margin:0 4px 0 12px}.charts{display:flex;flex-wrap:wrap;gap:1.5em}
figure{margin:0}figcaption{font-weight:600}
"""


def html_page(document: dict[str, Any]) -> str:
    """The whole report as one HTML file with inline CSS and SVG."""
    body = [
        f"<h1>{html.escape(title(document))}</h1>",
        "<pre>" + html.escape("\n".join(_header_lines(document)[2:])) + "</pre>",
    ]
    if document["status"] == "could_not_check":
        body += [
            f"<p><b>Problem:</b> {html.escape(document['problem'])}</p>",
            f"<p><b>Fix:</b> {html.escape(document['fix'])}</p>",
        ]
    else:
        result = document["result"]
        body.append("<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in result["reasons"]))
        body.append("</ul>" if result["reasons"] else "<li>Nothing drifted.</li></ul>")
        header = (
            "<tr><th>column</th><th>role</th><th>test</th><th>statistic</th><th>p-value</th>"
            "<th>corrected p</th><th>effect size</th><th>PSI</th><th>missing ref → current</th>"
            "<th>drifted</th></tr>"
        )
        cells = []
        for row in _rows(document):
            values = [
                row["column"],
                row["role"],
                row["test"],
                _number(row["statistic"]),
                _p(row["p_value"]),
                _p(row["corrected_p_value"]),
                f"{row['effect_name']} {_number(row['effect'])}",
                _number(row["psi"]),
                f"{row['reference_null_rate']:.1%} → {row['current_null_rate']:.1%}",
                "yes" if row["drifted"] else "no",
            ]
            css = ' class="drifted"' if row["drifted"] else ""
            cells.append(
                f"<tr{css}>" + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>"
            )
        body.append(f"<table>{header}{''.join(cells)}</table>")
        body.append(
            f'<p class="legend"><span style="background:{REFERENCE_COLOR}"></span>reference'
            f'<span style="background:{CURRENT_COLOR}"></span>current (shares of rows)</p>'
        )
        charts = [
            f"<figure><figcaption>{html.escape(row['column'])}"
            f"{' ⚠️' if row['drifted'] else ''}</figcaption>{histogram_svg(row['histogram'])}"
            "</figure>"
            for row in _rows(document)
        ]
        body.append(f'<div class="charts">{"".join(charts)}</div>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title(document))}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write_reports(document: dict[str, Any], output_dir: str | Path) -> dict[str, Path]:
    """drift.json, drift.md and drift.html in output_dir; returns their paths."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"drift.{name}" for name in ("json", "md", "html")}
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(markdown(document), encoding="utf-8")
    paths["html"].write_text(html_page(document), encoding="utf-8")
    return paths


def read_document(output_dir: str | Path) -> dict[str, Any] | None:
    path = Path(output_dir) / "drift.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
