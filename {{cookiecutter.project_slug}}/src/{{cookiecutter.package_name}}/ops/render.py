"""ops.md and ops.html from ops.json: the same sections in the same order, each figure's headline,
definition and a small table; the page draws charts as inline SVG and loads nothing. Tables keep
the last weeks or versions (and say so): ops.md fits GitHub's 65,536-character issue body.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html import escape
from typing import Any

from ..svgchart import CHART_STYLE, Chart

Figure = dict[str, Any]
MAX_WEEKS, MAX_ROWS = 26, 50
STYLE = (
    CHART_STYLE
    + """body{font:15px/1.45 system-ui,sans-serif;color:#1b1f24;margin:0}h2{margin-top:32px}
main{max-width:960px;margin:0 auto;padding:8px 24px 32px}.note{color:#57606a;font-size:13px}
svg{display:block;max-width:100%;height:auto;margin:8px 0}
table{border-collapse:collapse;margin:4px 0 12px}.definition{font-style:italic;color:#57606a}
th,td{border:1px solid #d0d7de;padding:2px 8px;text-align:left;overflow-wrap:anywhere}"""
)
CHARTS = {  # figure: chart title, x axis, y axis with its unit
    "deployment_frequency": ("Production deployments per week", "ISO week", "deployments (count)"),
    "lead_time": ("Median lead time per week", "ISO week of deployment", "lead time (hours)"),
    "change_failure_rate": ("Deployments and failures per week", "ISO week", "deployments (count)"),
    "latency": ("Latency per version (p50 and p99)", "version", "latency (ms)"),
    "reliability": ("Success share per workflow", "workflow", "runs that succeeded (%)"),
}


def shown(value: Any, kind: str = "", why: str = "") -> str:
    """A value as both reports print it, or n/a with the reason where it is known."""
    if value is None:
        return f"n/a ({why})" if why else "n/a"
    if kind == "hours":
        return f"{value:.1f} h" + (f" ({value / 24:.1f} days)" if value >= 48 else "")
    if kind == "when":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
        return f"{moment.astimezone(UTC) if moment.tzinfo else moment:%Y-%m-%d %H:%M} UTC"
    formats = {"share": "{:.1%}", "ms": "{:.2f} ms", "metric": "{:.4f}", "rate": "{:.2f}"}
    formats |= {"issue": "#{}", "yes": "yes" if value else ""}
    return formats.get(kind, "{}").format(value)


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    note: str = ""

    def markdown(self) -> list[str]:
        lines = [self.header, ["---"] * len(self.header), *self.rows]
        cells = [" | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) for r in lines]
        return [f"| {line} |" for line in cells] + (["", self.note] if self.note else []) + [""]

    def html(self) -> str:
        lines = [(self.header, "th")] + [(row, "td") for row in self.rows]
        rows = ["".join(f"<{tag}>{escape(c)}</{tag}>" for c in row) for row, tag in lines]
        note = f'<p class="note">{escape(self.note)}</p>' if self.note else ""
        return "<table>" + "".join(f"<tr>{row}</tr>" for row in rows) + "</table>" + note


def table(items: list[Figure], unit: str, spec: str) -> tuple[Table, list[Figure]]:
    """The last weeks or rows of `items` as a table (saying so when some are left out), and those
    items for its chart. `spec` lists the columns, comma-separated, as `[header=]key[:kind[:why]]`:
    kind for `shown`, why said after n/a ("@key" reads it from the item)."""
    limit = MAX_WEEKS if unit == "weeks" else MAX_ROWS
    kept, note = items[-limit:], f"(showing the last {limit} of {len(items)} {unit})"
    columns = [part.strip().rpartition("=") for part in spec.split(",")]
    rows = [[cell(item, column) for _, _, column in columns] for item in kept]
    header = [name or column.split(":")[0] for name, _, column in columns]
    return Table(header, rows, note if len(items) > limit else ""), kept


def cell(item: Figure, column: str) -> str:
    key, kind, why = [*column.split(":", 2), "", ""][:3]
    return shown(item.get(key), kind, str(item.get(why[1:]) or "") if why[:1] == "@" else why)


def plot(labels: tuple[str, str, str], items: list[Figure], key: str, **options: Any) -> Chart:
    """A chart of `items` by `key`; `series` maps each series' name to the items' key."""
    values = {name: [item[k] for item in items] for name, k in options.pop("series").items()}
    return Chart(labels, [str(item[key]) for item in items], values, **options)


@dataclass
class Section:
    headlines: list[str]
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    name: str = ""
    definition: str = ""


def title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def deployment_frequency(figure: Figure, report: Figure) -> Section:
    weekly, weeks = table(figure["weeks"], "weeks", "week, deployments=count")
    chart = plot(CHARTS["deployment_frequency"], weeks, "week", series={"deployments": "count"})
    per_week = shown(figure["per_week"], "rate")
    headline = f"production deployments: **{figure['total']}**, {per_week} per week"
    return Section([headline], [weekly], [chart])


def lead_time(figure: Figure, report: Figure) -> Section:
    spec = "week, changes shipped=changes, median=median_hours:hours"
    weekly, weeks = table(figure["weeks"], "weeks", spec)
    chart = plot(CHARTS["lead_time"], weeks, "week", series={"median": "median_hours"})
    median = shown(figure["median_hours"], "hours", "no change reached production in the window")
    timed = f"median **{median}**, p90 {shown(figure['p90_hours'], 'hours')}"
    shipped, waiting = figure["changes_shipped"], figure["changes_not_in_production"]
    counts = f"changes shipped: {shipped}; merged but not in production yet: {waiting}"
    source = f"changes: {report.get('sources', {}).get('changes', 'n/a')}"
    return Section([timed, counts, source], [weekly], [chart])


def change_failure_rate(figure: Figure, report: Figure) -> Section:
    refused, failed, deployed = figure["refused"], figure["failed"], figure["deployments"]
    rate = shown(figure["rate"], "share", "no deployment or refused release in the window")
    sources = report.get("sources", {})
    lost = sources.get("release_runs", sources.get("github", "release runs were not read"))
    bad, total = failed + (refused or 0), deployed + (refused or 0)
    headlines = [
        f"failure rate: **{rate}** ({bad} of {total} deployments and refused releases)",
        f"failed deployments: {failed} of {deployed}; refused releases: {shown(refused, '', lost)}",
    ]
    refusals = [{**r, "why": f"refused (release run {r['run']})"} for r in figure["refusals"] or []]
    failures = sorted(figure["failures"] + refusals, key=lambda item: str(item["at"]))
    listed, _ = table(failures, "failures", "version, at:when, why")
    weekly, weeks = table(figure["weeks"], "weeks", "week, deployments, failed")
    series = {"deployments": "deployments", "failed": "failed"}
    chart = plot(CHARTS["change_failure_rate"], weeks, "week", series=series)
    return Section(headlines, [listed, weekly], [chart])


def time_to_restore(figure: Figure, report: Figure) -> Section:
    events = figure["rollbacks"]
    spec = "from, to, at:when, trigger, time to restore=hours:hours:trigger not recorded, "
    listed, _ = table(events, "rollbacks", spec + "exposure=exposure_hours:hours")
    why = "no rollback had a recorded trigger" if events else "no rollback in the window"
    median = shown(figure["median_hours"], "hours", why)
    timed = sum(event["hours"] is not None for event in events)
    counts = f"rollbacks: {len(events)}, with a recorded trigger: {timed}"
    return Section([f"median **{median}** from trigger to rollback", counts], [listed])


def time_to_retrain(figure: Figure, report: Figure) -> Section:
    cycles = figure["cycles"]
    spec = "issue:issue, opened=opened_at:when, pull request=pull_request::none merged yet, "
    spec += "to merge=to_merge_hours:hours:not merged, version::not in production yet, "
    listed, _ = table(cycles, "drift issues", spec + "to production=to_production_hours:hours")
    why = "none in production yet" if cycles else "no drift issue in the window"
    median = shown(figure["median_to_production_hours"], "hours", why)
    merged = sum(cycle["pull_request"] is not None for cycle in cycles)
    counts = f"drift issues: {len(cycles)}, with a merged retraining: {merged}"
    headline = f"median **{median}** from a drift issue to its retrained model in production"
    return Section([headline, counts], [listed])


def latency(figure: Figure, report: Figure) -> Section:
    if not figure["versions"]:
        return Section(["no version released in the window recorded its latency"])
    spec = "version, concurrency, p50=p50_ms:ms, p99=p99_ms:ms"
    listed, versions = table(figure["versions"], "versions", spec)
    series = {"p50": "p50_ms", "p99": "p99_ms"}
    chart = plot(CHARTS["latency"], versions, "version", series=series, bars=False)
    last = versions[-1]
    p50, p99 = shown(last["p50_ms"], "ms"), shown(last["p99_ms"], "ms")
    level = f"at {last['concurrency']} concurrent requests"
    return Section([f"{last['version']}: p50 **{p50}**, p99 **{p99}** {level}"], [listed], [chart])


def reliability(figure: Figure, report: Figure) -> Section:
    flows = [{"workflow": name, **flow} for name, flow in figure["workflows"].items()]
    runs, succeeded = sum(f["runs"] for f in flows), sum(f["succeeded"] for f in flows)
    share = shown(succeeded / runs if runs else None, "share", "no completed run")
    headline = f"**{share}** of completed runs succeeded ({succeeded} of {runs})"
    spec = "workflow, runs, succeeded, success share=success_share:share:no completed run, "
    listed, _ = table(flows, "workflows", spec + "longest failing streak=longest_failing_streak")
    for flow in flows:
        flow["percent"] = None if flow["success_share"] is None else flow["success_share"] * 100
    chart = plot(CHARTS["reliability"], flows, "workflow", series={"share": "percent"}, top=100)
    return Section([headline], [listed], [chart])


def quality(figure: Figure, report: Figure) -> Section:
    metric, production = figure["metric"], figure["production"]
    held: Figure = next((v for v in figure["versions"] if v["version"] == production), {})
    value = shown(held.get("value"), "metric", held.get("problem", "not registered in the window"))
    headline = f"production {production}: {metric} **{value}**"
    headline = headline if production else "no version is in production"
    spec = "version, value:metric:@problem, in production=production:yes"
    listed, versions = table(figure["versions"], "versions", spec)
    listed.header[1] = metric
    labels = (f"{metric} per version", "version", f"{metric} (the version's metrics.json)")
    mark = {"marked": production or "", "mark_label": f"in production ({production})"}
    mark |= {"series": {metric: "value"}, "bars": False, "from_zero": False}
    chart = plot(labels, versions, "version", **mark)
    return Section([headline], [listed], [chart])


# The figures in the reports' order, each with the builder of its section.
ORDER = [deployment_frequency, lead_time, change_failure_rate, time_to_restore, time_to_retrain]
FIGURES = {build.__name__: build for build in [*ORDER, latency, reliability, quality]}


def document(report: Figure) -> list[Section]:
    """Every figure present in its order, then those not computed, with why."""
    figures, definitions = report.get("figures", {}), report.get("definitions", {})
    found = []
    for name, build in FIGURES.items():
        if name in figures:
            definition = str(definitions.get(name, "")).strip()
            found.append(replace(build(figures[name], report), name=name, definition=definition))
    absent = dict(report.get("unavailable", {}))
    absent |= {n: "no reason recorded" for n in FIGURES if n not in figures and n not in absent}
    lines = [f"{title(name)}: n/a ({why})" for name, why in absent.items()]
    found += [Section(lines, name="not_computed")] if lines else []
    return found


def markdown(report: Figure) -> str:
    """ops.md: what a GitHub issue body or job summary shows, under 65,536 characters."""
    since, until = (shown(report.get(key), "when") for key in ("since", "until"))
    commit = report.get("commit") or "n/a"
    lines = [f"# Model health: {report.get('model') or 'n/a'}", ""]
    lines += [f"From {since} to {until}, computed at commit `{commit}`.", ""]
    for section in document(report):
        lines += [f"## {title(section.name)}", "", *(f"- {line}" for line in section.headlines), ""]
        lines += [f"*{section.definition}*", ""] if section.definition else []
        lines += [line for table in section.tables if table.rows for line in table.markdown()]
    return "\n".join(lines)


def html_section(section: Section) -> str:
    """Headlines, charts, the definition under them, then the tables."""
    bold = [re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(h)) for h in section.headlines]
    parts = [f'<section id="{section.name}">', f"<h2>{escape(title(section.name))}</h2>"]
    parts.append("<ul>" + "".join(f"<li>{line}</li>" for line in bold) + "</ul>")
    parts += [svg for chart in section.charts if (svg := chart.svg())]
    if section.definition:
        parts.append(f'<p class="definition">{escape(section.definition)}</p>')
    parts += [table.html() for table in section.tables if table.rows]
    return "\n".join([*parts, "</section>"])


def html(report: Figure) -> str:
    """ops.html: one self-contained page (inline CSS and SVG, no script, nothing fetched)."""
    heading = escape(f"Model health: {report.get('model') or 'n/a'}")
    since, until = (escape(shown(report.get(key), "when")) for key in ("since", "until"))
    commit = escape(report.get("commit") or "n/a")
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{heading}</title><style>{STYLE}</style></head><body><main><h1>{heading}</h1>",
        f"<p>From {since} to {until}, computed at commit <code>{commit}</code>.</p>",
    ]
    parts += [html_section(section) for section in document(report)]
    return "\n".join([*parts, "</main></body></html>"]) + "\n"
