"""Drift reports from one JSON document: markdown (for the issue) and self-contained HTML.

Both list the columns by severity (drifted first, then by effect size). The HTML draws each
column's reference-vs-current shares as inline SVG, with inline CSS: it opens offline, from an
artifact or an e-mail, with no script and no CDN.
"""

import datetime
import html
import json
import math
import re
from pathlib import Path
from typing import Any

from ..axes import round_step
from .decision import BASELINES

STATUS_TITLES = {
    "no_drift": "✅ no drift",
    "drift": "⚠️ drift",
    "could_not_check": "❌ could not check",
}
# Effect sizes by the names rule_text uses (drift.json keeps its own).
EFFECT_NAMES = {"wasserstein_normalized": "Wasserstein", "jensen_shannon": "Jensen-Shannon"}
REFERENCE_COLOR, CURRENT_COLOR = "#9aa5b1", "#d9480f"
# A chart's plot area and margins (px). Labels are sized by CHAR_WIDTH, a generous average
# width of a 10 px sans-serif character, so a label is never cut at the edge of the drawing.
PLOT_WIDTH, PLOT_HEIGHT, LEFT, RIGHT, TOP = 366, 120, 40, 14, 8
CHAR_WIDTH, LABEL_CHARS, MIN_SLOT, MAX_PLOT_WIDTH = 6.4, 24, 13.0, 980


def today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def _number(value: object, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and (value == 0 or 1e-3 <= abs(value) < 1e5):
        return f"{value:.{digits}f}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def p_text(value: float | None) -> str:
    """A p-value in three significant digits, never in exponent form: below 0.0001 the exact
    value tells a reader nothing more."""
    if value is None:
        return "n/a"
    return "< 0.0001" if value < 1e-4 else f"{value:.3g}"


def sorted_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every compared column and the predictions, drifted first, then by effect size
    (largest first); ties keep drift.json's order."""
    result = document.get("result") or {}
    rows = list(result.get("columns") or [])
    if result.get("predictions"):
        rows.append(result["predictions"])
    return sorted(rows, key=lambda row: (not row["drifted"], -(row["effect"] or 0.0)))


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


def _current_data(document: dict[str, Any]) -> str:
    """The source, then the files it matched (each path written once), then the rows."""
    source, files = document.get("source"), document.get("files") or []
    text = f"`{source}`"
    others = [path for path in files if path != source]
    if others:
        shown = ", ".join(f"`{path}`" for path in others[:5])
        more = f" and {len(others) - 5} more" if len(others) > 5 else ""
        text += f" ({len(files)} file{'s' * (len(files) != 1)}: {shown}{more})"
    rows = (document.get("result") or {}).get("current_rows")
    return text + (f", {rows:,} rows" if rows else "")


def header_items(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text with `code` spans) of the facts above the verdict."""
    items = [("Current data", _current_data(document))]
    items.append(("Reference", document["reference"]["description"]))
    return items + ([("Run", document["run_url"])] if document.get("run_url") else [])


def rule_text(settings: dict[str, Any]) -> str:
    floors = settings["min_effect"]
    return (
        f"Rule: a column drifts when its {settings['correction']}-corrected p-value is below "
        f"{settings['alpha']} and its effect size reaches {floors['wasserstein']} "
        f"(normalized Wasserstein) or {floors['jensen_shannon']} (Jensen-Shannon), or its "
        f"missing-value rate moves by {settings['max_null_rate_change']:.0%}; action at "
        f"{settings['drifted_share']:.0%} of the feature columns (params.yaml `drift:`)."
    )


COLUMN_HEADERS = ["column", "role", "test", "statistic", "p-value", "corrected p", "effect size"]
COLUMN_HEADERS += ["PSI", "missing ref → current", "drifted"]
Table = tuple[str, list[str], list[tuple[bool, list[str]]]]  # caption, header, (marked, cells)


def _column_cells(row: dict[str, Any]) -> list[str]:
    unseen = f" (unseen: {', '.join(map(str, row['unseen']))})" if row["unseen"] else ""
    return [
        f"`{row['column']}`{unseen}",
        row["role"],
        row["test"],
        _number(row["statistic"]),
        p_text(row["p_value"]),
        p_text(row["corrected_p_value"]),
        f"{EFFECT_NAMES.get(row['effect_name'], row['effect_name'])} {_number(row['effect'])}",
        _number(row["psi"]),
        f"{row['reference_null_rate']:.1%} → {row['current_null_rate']:.1%}",
        "⚠️ yes" if row["drifted"] else "no",
    ]


def tables(document: dict[str, Any]) -> list[Table]:
    """The columns by severity, the model's metrics (with labelled current data) and the
    contract's findings, as cells with `code` spans, for both reports."""
    rows = [(row["drifted"], _column_cells(row)) for row in sorted_rows(document)]
    found = [("Columns, drifted first, then by effect size", COLUMN_HEADERS, rows)]
    performance = document["result"].get("performance")
    if performance:
        # What the metrics are compared with: "at release", "the workspace's test metrics".
        baseline = BASELINES[document["reference"].get("source") or "production"]
        metrics = [
            (False, [f"`{name}`", _number(values["release"]), _number(values["current"])])
            for name, values in performance["metrics"].items()
        ]
        caption = "Model performance on the current data (it carries the target)"
        found.append((caption, ["metric", baseline.removeprefix("in "), "current"], metrics))
    if document.get("contract"):
        findings = [
            (False, [f"`{item['column']}`", item["rule"], str(item["rows"]), examples])
            for item in document["contract"]
            for examples in [", ".join(f"`{example}`" for example in item["examples"])]
        ]
        caption = "Contract findings (counted as drift evidence, not errors)"
        found.append((caption, ["column", "rule", "rows", "examples"], findings))
    return found


def markdown(document: dict[str, Any]) -> str:
    lines = [f"## Drift check {document['date']}: {STATUS_TITLES[document['status']]}", ""]
    lines += [f"- {label}: {text}" for label, text in header_items(document)]
    if document["status"] == "could_not_check":
        lines += ["", f"**Problem:** {document['problem']}", "", f"**Fix:** {document['fix']}"]
        lines += ["", "Exit status 3: the data could not be checked, so nothing is known of drift."]
        return "\n".join(lines) + "\n"
    result = document["result"]
    lines += ["", "**Why:**" if result["reasons"] else "Nothing drifted."]
    lines += [f"- {reason}" for reason in result["reasons"]]
    for caption, header, rows in tables(document):
        cells = [header, ["---"] * len(header), *(row for _, row in rows)]
        lines += ["", f"{caption}:", "", *(f"| {' | '.join(row)} |" for row in cells)]
    lines += ["", rule_text(result["settings"])]
    return "\n".join(lines) + "\n"


# --- charts -------------------------------------------------------------------------------------


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def _tick_text(value: float, step: float, scale: float = 1.0, suffix: str = "") -> str:
    """Whole numbers when the step is whole, else just the decimals the step needs."""
    decimals = max(0, -math.floor(math.log10(step * scale) + 1e-9))
    shown = round(value * scale, decimals) + 0.0  # + 0.0: no "-0"
    return f"{shown:,.{decimals}f}{suffix}"


def _numeric_ticks(labels: list[str], slot: float) -> list[tuple[float, str]]:
    """(x in the plot, text) of round ticks over a numeric histogram's bins, and of its first
    bar's label when that bar holds values below the range ("< low")."""
    below = labels[0].startswith("<")
    starts = [float(label) for label in labels[int(below) :]]
    low = starts[0]
    width = (starts[-1] - low) / (len(starts) - 1) if len(starts) > 1 else 1.0
    high = low + width * len(starts)
    ticks = [(0.5 * slot, labels[0])] if below else []
    for count in (6, 5, 4, 3, 2):
        step = round_step(high - low, count)
        values = [i * step for i in range(math.ceil(low / step - 1e-9), int(high / step) + 1)]
        texts = [_tick_text(value, step) for value in values]
        spacing = step / width * slot
        if max(map(_text_width, texts), default=0) + 8 <= spacing or count == 2:
            break
    fence = _text_width(labels[0]) / 2 + 0.5 * slot + 6 if below else -math.inf
    for value, text in zip(values, texts, strict=True):
        x = (int(below) + (value - low) / width) * slot
        if x - _text_width(text) / 2 >= fence:
            ticks.append((x, text))
    return ticks


def _bars(histogram: dict[str, Any], slot: float, top: float) -> list[str]:
    shapes, bar = [], slot * 0.4
    for index, label in enumerate(histogram["labels"]):
        for offset, series in enumerate(("reference", "current")):
            share, color = histogram[series][index], (REFERENCE_COLOR, CURRENT_COLOR)[offset]
            height = PLOT_HEIGHT * share / top
            x = index * slot + slot * 0.1 + offset * bar
            shapes.append(
                f'<rect x="{x:.1f}" y="{PLOT_HEIGHT - height:.1f}" width="{max(bar, 0.5):.1f}" '
                f'height="{height:.1f}" fill="{color}"><title>{html.escape(str(label))}: '
                f"{series} {share:.1%}</title></rect>"
            )
    return shapes


def _y_axis(top_share: float, plot_width: float) -> tuple[float, list[str]]:
    """(the share at the top of the plot, grid lines and percentage labels)."""
    step = round_step(top_share, 4)
    top = step * max(1, math.ceil(top_share / step - 1e-9))
    shapes = []
    for index in range(round(top / step) + 1):
        y = PLOT_HEIGHT * (1 - index * step / top)
        shapes.append(
            f'<line x1="0" x2="{plot_width:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="-5" y="{y + 3.5:.1f}" text-anchor="end">'
            f"{_tick_text(index * step, step, 100, '%')}</text>"
        )
    return top, shapes


def _x_labels(texts: list[tuple[float, str]], plot_width: float, turn: bool) -> list[str]:
    """The x axis: labels under the plot at their x, with a tick; turned ones hang down-left."""
    shapes = [f'<path d="M0 {PLOT_HEIGHT}H{plot_width:.1f}" stroke="#333"/>']
    for x, text in texts:
        half, anchor = _text_width(text) / 2, "end" if turn else "middle"
        place = f'transform="translate({x:.1f},{PLOT_HEIGHT + 12}) rotate(-45)"'
        if not turn:  # kept inside the drawing: the last round tick may sit at its right edge
            edge = "end" if x + half > plot_width + RIGHT else "start" if x - half < -LEFT else ""
            anchor = edge or anchor
            place = f'x="{x:.1f}" y="{PLOT_HEIGHT + 15}"'
        shapes.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PLOT_HEIGHT}" y2="{PLOT_HEIGHT + 4}" '
            f'stroke="#333"/><text {place} text-anchor="{anchor}">{html.escape(text)}</text>'
        )
    return shapes


def histogram_svg(histogram: dict[str, Any], kind: str = "category") -> str:
    """Grouped bars (reference grey, current orange) for {"labels", "reference", "current"},
    over a percentage axis: numeric bins under round ticks, every category labelled (turned
    when they would not fit side by side)."""
    labels = [str(label) for label in histogram.get("labels") or []]
    if not labels:
        return "<p>No values to draw.</p>"
    plot_width = min(max(PLOT_WIDTH, MIN_SLOT * len(labels)), MAX_PLOT_WIDTH)
    slot = plot_width / len(labels)
    note = ""
    if kind == "numeric":
        texts, turn = _numeric_ticks(labels, slot), False
    else:  # every category labelled, long ones shortened (their bars' tooltips say them whole)
        every = math.ceil(MIN_SLOT / slot)
        shown = [t if len(t) <= LABEL_CHARS else t[: LABEL_CHARS - 1] + "…" for t in labels]
        texts = [(slot * (i + 0.5), shown[i]) for i in range(0, len(labels), every)]
        turn = max(_text_width(text) for text in shown) + 4 > slot
        if every > 1:  # too many to write: said under the chart, never dropped silently
            note = f"one category in {every} labelled; each bar names its category on hover"
    top_share = max(max(histogram["reference"]), max(histogram["current"])) or 1.0
    top, grid = _y_axis(top_share, plot_width)
    hang = max(_text_width(text) for _, text in texts) * 0.71 if turn else 0
    left = max(LEFT, hang - texts[0][0] + 4) if turn else LEFT
    height = TOP + PLOT_HEIGHT + (20 + hang if turn else 22) + (14 if note else 0)
    width = left + plot_width + RIGHT
    shapes = [*grid, *_bars(histogram, slot, top), *_x_labels(texts, plot_width, turn)]
    if note:
        shapes.append(f'<text x="0" y="{height - TOP - 4:.1f}">{html.escape(note)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-size="10" role="img">'
        f'<g transform="translate({left:.1f},{TOP})">{"".join(shapes)}</g></svg>'
    )


# --- HTML ---------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 2em;max-width:1100px;color:#222}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em}dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}.scroll{overflow-x:auto}table{margin:1em 0;font-size:.9em;
border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}.drifted{background:#fff0e6}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600}
svg{max-width:100%;height:auto}svg text{fill:#333}
"""
# Cells of figures (a number, a named effect size, a p-value, a change of shares): one line.
FIGURE = re.compile(r"n/a|< 0\.0001|([\w-]+ )?-?[\d,]*\.?\d+(e[-+]?\d+)?%?( → [\d.]+%)?")


def _inline(text: str) -> str:
    """Escaped text whose `code` spans become <code> elements, which may break after a "_"."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"`([^`]*)`", lambda m: f"<code>{m[1].replace('_', '_<wbr>')}</code>", escaped)


def _table_html(caption: str, header: list[str], rows: list[tuple[bool, list[str]]]) -> str:
    """A table whose marked rows are highlighted and whose figures stay on one line."""
    cell = {True: '<td class="num">{}</td>', False: "<td>{}</td>"}
    body = "".join(
        ('<tr class="drifted">' if marked else "<tr>")
        + "".join(cell[bool(FIGURE.fullmatch(text))].format(_inline(text)) for text in cells)
        + "</tr>"
        for marked, cells in rows
    )
    head = "".join(f"<th>{_inline(name)}</th>" for name in header)
    table = f"<table><tr>{head}</tr>{body}</table>"
    return f'<h2>{_inline(caption)}</h2><div class="scroll">{table}</div>'


def _facts(document: dict[str, Any]) -> str:
    """The header as a definition list: current data, reference, run (a link)."""
    link = '<a href="{0}">{0}</a>'.format
    items = "".join(
        f"<dt>{name}</dt><dd>{link(html.escape(text)) if name == 'Run' else _inline(text)}</dd>"
        for name, text in header_items(document)
    )
    return f'<dl class="facts">{items}</dl>'


def _charts_html(document: dict[str, Any]) -> str:
    charts = [
        f"<figure><figcaption>{html.escape(row['column'])}"
        f"{' ⚠️ drifted' if row['drifted'] else ''}</figcaption>"
        f"{histogram_svg(row['histogram'], row.get('kind', 'category'))}</figure>"
        for row in sorted_rows(document)
    ]
    return (
        '<h2>Reference and current shares</h2><p class="legend"><span style="background:'
        f'{REFERENCE_COLOR}"></span>reference<span style="background:{CURRENT_COLOR}"></span>'
        "current (share of rows per bin or category)</p>"
        f'<div class="charts">{"".join(charts)}</div>'
    )


def _result_html(document: dict[str, Any]) -> list[str]:
    result = document["result"]
    reasons = "".join(f"<li>{_inline(reason)}</li>" for reason in result["reasons"])
    body = [f"<h2>Why</h2><ul>{reasons}</ul>" if reasons else "<p>Nothing drifted.</p>"]
    body += [_table_html(*table) for table in tables(document)]
    return [*body, f"<p>{_inline(rule_text(result['settings']))}</p>", _charts_html(document)]


def html_page(document: dict[str, Any]) -> str:
    """The whole report as one HTML file with inline CSS and SVG."""
    body = [f"<h1>{html.escape(title(document))}</h1>", _facts(document)]
    if document["status"] == "could_not_check":
        body.append(f"<p><b>Problem:</b> {_inline(document['problem'])}</p>")
        body.append(f"<p><b>Fix:</b> {_inline(document['fix'])}</p>")
    else:
        body += _result_html(document)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
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
