"""ops.md and ops.html from a hand-made report: headlines, definitions, n/a with its reason, the
figures not computed, a self-contained page with one chart per charted figure, honest axes, and a
summary that stays under GitHub's limit for any length of history."""

import copy
import re
from html import escape
from html.parser import HTMLParser

import pytest

from {{ cookiecutter.package_name }}.ops.render import MAX_ROWS, MAX_WEEKS, html, markdown

GITHUB_LIMIT = 65_536
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
RELEASE_RUNS_UNREAD = "could not be read: gh run list failed"
DEFINITIONS = {
    "deployment_frequency": "production assignments per ISO week",
    "lead_time": "from a change's merge to its first production assignment",
    "change_failure_rate": "assignments rolled back or fixed, plus refused releases",
    "time_to_restore": "from a rollback's trigger to the rollback",
    "time_to_retrain": "from a drift issue to its retrained model in production",
    "reliability": "completed runs that succeeded over completed runs",
    "quality": "each version's primary metric from its metrics.json",
}
CHARTED = ["deployment_frequency", "lead_time", "change_failure_rate", "reliability", "quality"]


def week(n):
    return f"{2020 + n // 52}-W{n % 52 + 1:02d}"


def make_report():
    """Two weeks of a model's life; latency was not computed (no gh)."""
    return {
        "model": "customer-churn",
        "since": "2026-01-05T00:00:00+00:00",
        "until": "2026-01-18T23:59:59+00:00",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "sources": {"changes": "commits on main", "release_runs": RELEASE_RUNS_UNREAD},
        "definitions": dict(DEFINITIONS),
        "unavailable": {"latency": "gh is not installed or GH_TOKEN is not set"},
        "figures": {
            "deployment_frequency": {
                "total": 5,
                "per_week": 2.5,
                "weeks": [{"week": "2026-W02", "count": 2}, {"week": "2026-W03", "count": 3}],
            },
            "lead_time": {
                "changes_shipped": 4,
                "changes_not_in_production": 1,
                "median_hours": 25.0,
                "p90_hours": 49.5,
                "weeks": [{"week": "2026-W02", "changes": 4, "median_hours": 25.0}],
            },
            "change_failure_rate": {
                "deployments": 5,
                "failed": 2,
                "refused": None,
                "rate": 0.4,
                "failures": [
                    {"version": "v0.2.0", "at": "2026-01-08T10:00:00+00:00", "why": "rolled back"}
                ],
                "refusals": None,
                "weeks": [
                    {"week": "2026-W02", "deployments": 2, "failed": 1},
                    {"week": "2026-W03", "deployments": 3, "failed": 1},
                ],
            },
            "time_to_restore": {
                "rollbacks": [
                    {
                        "from": "v0.2.0",
                        "to": "v0.1.0",
                        "at": "2026-01-09T06:00:00+00:00",
                        "trigger": "not recorded",
                        "hours": None,
                        "exposure_hours": 20.0,
                    }
                ],
                "median_hours": None,
            },
            "time_to_retrain": {
                "cycles": [
                    {
                        "issue": 3,
                        "opened_at": "2026-01-09T00:00:00+00:00",
                        "pull_request": "#5",
                        "to_merge_hours": 24.0,
                        "version": "v0.4.0",
                        "to_production_hours": 120.0,
                    }
                ],
                "median_to_production_hours": 120.0,
            },
            "reliability": {
                "workflows": {
                    "drift.yml": {
                        "runs": 4,
                        "succeeded": 2,
                        "success_share": 0.5,
                        "longest_failing_streak": 2,
                        "weeks": [{"week": "2026-W02", "runs": 4, "succeeded": 2}],
                    }
                }
            },
            "quality": {
                "metric": "roc_auc",
                "production": "v0.4.0",
                "versions": [
                    {"version": "v0.1.0", "value": 0.8123, "production": False, "problem": ""},
                    {
                        "version": "v0.3.0",
                        "value": None,
                        "production": False,
                        "problem": "metrics.json does not match dvc.lock at its commit",
                    },
                    {"version": "v0.4.0", "value": 0.8402, "production": True, "problem": ""},
                ],
            },
        },
    }


def long_report(weeks=300, versions=1000):
    """Years of history: every weekly and per-version list far past what a summary can hold."""
    report = make_report()
    figures = report["figures"]
    names = [f"v0.{n}.0" for n in range(versions)]
    figures["deployment_frequency"]["weeks"] = [
        {"week": week(n), "count": n % 3} for n in range(weeks)
    ]
    figures["lead_time"]["weeks"] = [
        {"week": week(n), "changes": 2, "median_hours": 30.5} for n in range(weeks)
    ]
    figures["change_failure_rate"]["weeks"] = [
        {"week": week(n), "deployments": 3, "failed": 1} for n in range(weeks)
    ]
    figures["change_failure_rate"]["failures"] = [
        {"version": name, "at": "2026-01-08T10:00:00+00:00", "why": "rolled back"} for name in names
    ]
    figures["time_to_restore"]["rollbacks"] *= versions
    figures["time_to_retrain"]["cycles"] *= versions
    figures["latency"] = {
        "versions": [
            {"version": name, "concurrency": 8, "p50_ms": 12.3, "p99_ms": 25.0} for name in names
        ]
    }
    del report["unavailable"]["latency"]
    figures["quality"]["versions"] = [
        {"version": name, "value": 0.8 + n % 7 / 100, "production": False, "problem": ""}
        for n, name in enumerate(names)
    ]
    return report


class Elements(HTMLParser):
    """Every element opened and closed in order; self-closed SVG shapes open nothing."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self):
        super().__init__()
        self.open, self.problems, self.counts = [], [], {}

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()


def parsed(page):
    elements = Elements()
    elements.feed(page)
    elements.close()
    return elements


def charts(page):
    """{chart title: its svg}."""
    found = re.findall(r'(<svg [^>]*aria-label="([^"]*)">.*?</svg>)', page, re.S)
    return {title: svg for svg, title in found}


def y_ticks(svg):
    return [
        float(t) for t in re.findall(r'<text x="\d+" y="[\d.]+" text-anchor="end">([^<]+)<', svg)
    ]


def test_markdown_gives_each_figure_its_headline_definition_and_table():
    text = markdown(make_report())
    assert text.startswith("# Model health: customer-churn\n")
    assert "2026-01-05 00:00 UTC" in text
    assert "0123456789abcdef0123456789abcdef01234567" in text
    assert "production deployments: **5**, 2.50 per week" in text
    assert "median **25.0 h**, p90 49.5 h (2.1 days)" in text
    assert "failure rate: **40.0%** (2 of 5 deployments and refused releases)" in text
    assert "median **120.0 h (5.0 days)**" in text
    assert "**50.0%** of completed runs succeeded (2 of 4)" in text
    assert "production v0.4.0: roc_auc **0.8402**" in text
    assert "| v0.1.0 | 0.8123 |" in text
    assert "| 2026-W03 | 3 |" in text
    for definition in DEFINITIONS.values():
        assert f"*{definition}*" in text
    titles = re.findall(r"^## (.+)$", text, re.M)
    assert titles == [
        "Deployment frequency",
        "Lead time",
        "Change failure rate",
        "Time to restore",
        "Time to retrain",
        "Reliability",
        "Quality",
        "Not computed",
    ]


def test_missing_values_read_na_with_their_reason_never_none():
    text = markdown(make_report())
    assert "None" not in text
    assert "null" not in text
    assert f"refused releases: n/a ({RELEASE_RUNS_UNREAD})" in text
    assert "median **n/a (no rollback had a recorded trigger)**" in text
    assert "n/a (trigger not recorded)" in text
    assert "n/a (metrics.json does not match dvc.lock at its commit)" in text


def test_refused_releases_count_as_failures():
    report = make_report()
    rate = report["figures"]["change_failure_rate"]
    rate["refused"], rate["rate"] = 1, 0.5
    rate["refusals"] = [{"version": "v0.3.0", "at": "2026-01-12T09:00:00+00:00", "run": 17}]
    text = markdown(report)
    assert "failure rate: **50.0%** (3 of 6 deployments and refused releases)" in text
    assert "failed deployments: 2 of 5; refused releases: 1" in text
    assert "| v0.3.0 | 2026-01-12 09:00 UTC | refused (release run 17) |" in text


def test_figures_not_computed_are_listed_with_why():
    text = markdown(make_report())
    section = text.split("## Not computed", 1)[1]
    assert "Latency: n/a (gh is not installed or GH_TOKEN is not set)" in section
    assert "## Latency" not in text


def test_rendering_leaves_the_report_as_it_was():
    report = make_report()
    kept = copy.deepcopy(report)
    assert markdown(report) == markdown(report)
    assert html(report) == html(report)
    assert report == kept


def test_page_is_well_formed_with_one_chart_per_charted_figure():
    page = html(make_report())
    elements = parsed(page)
    assert elements.problems == []
    assert elements.open == []
    assert elements.counts["svg"] == len(CHARTED)
    assert elements.counts["table"] >= len(CHARTED)
    for definition in DEFINITIONS.values():
        assert f'<p class="definition">{escape(definition)}</p>' in page


def test_each_definition_sits_under_its_chart():
    page = html(make_report())
    section = page.split('<section id="deployment_frequency">', 1)[1].split("</section>", 1)[0]
    assert section.index("</svg>") < section.index(DEFINITIONS["deployment_frequency"])


def test_page_loads_nothing_and_runs_nothing():
    page = html(make_report())
    assert set(re.findall(r"https?://[^\"'\s<>)]+", page)) == {SVG_NAMESPACE}
    for needle in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import"):
        assert needle not in page


def test_page_escapes_text_from_the_report():
    report = make_report()
    report["model"] = "<script>alert(1)</script>"
    report["figures"]["reliability"]["workflows"]["<b>x</b>.yml"] = {
        "runs": 0,
        "succeeded": 0,
        "success_share": None,
        "longest_failing_streak": 0,
        "weeks": [],
    }
    page = html(report)
    assert "<script>" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert parsed(page).problems == []


def test_charts_fit_1280_pixels_and_label_their_axes_with_units():
    page = html(make_report())
    assert "svg{display:block;max-width:100%" in page
    found = charts(page)
    assert len(found) == len(CHARTED)
    for svg in found.values():
        width = re.search(r'viewBox="0 0 (\d+) \d+"', svg)
        assert width and int(width.group(1)) <= 1280
        assert svg.count('rotate(-90)" text-anchor="middle">') == 1
    assert "lead time (hours)" in found["Median lead time per week"]
    assert "runs that succeeded (%)" in found["Success share per workflow"]


def test_weekly_charts_are_bars_without_a_line_across_weeks():
    found = charts(html(make_report()))
    for title in ("Production deployments per week", "Deployments and failures per week"):
        assert "<rect" in found[title]
        assert "stroke=" not in found[title]
    assert y_ticks(found["Production deployments per week"]) == [0, 1, 2, 3]


def test_reliability_axis_runs_from_0_to_100_percent():
    ticks = y_ticks(charts(html(make_report()))["Success share per workflow"])
    assert ticks[0] == 0
    assert ticks[-1] == 100


@pytest.mark.parametrize(
    "values", [[0.8123, None, 0.8402], [0.8, 0.84], [0.81], [0.5, 0.95], [1.0, 112.0]]
)
def test_quality_axis_starts_at_a_round_value_below_the_smallest(values):
    report = make_report()
    report["figures"]["quality"]["versions"] = [
        {"version": f"v0.{n}.0", "value": value, "production": False, "problem": "unknown"}
        for n, value in enumerate(values)
    ]
    ticks = y_ticks(charts(html(report))["roc_auc per version"])
    step = ticks[1] - ticks[0]
    assert ticks[0] < min(v for v in values if v is not None)
    assert ticks[-1] >= max(v for v in values if v is not None)
    assert ticks[0] / step == pytest.approx(round(ticks[0] / step))
    assert any(step == pytest.approx(m * 10.0**e) for m in (1, 2, 5) for e in range(-6, 7))


def test_quality_chart_marks_production_and_joins_only_neighbouring_versions():
    svg = charts(html(make_report()))["roc_auc per version"]
    assert "in production (v0.4.0)" in svg
    assert svg.count("<path") == 2
    assert svg.count("<circle") == 1
    assert "stroke=" not in svg


def test_a_figure_without_any_value_gets_its_table_but_no_chart():
    report = make_report()
    for version in report["figures"]["quality"]["versions"]:
        version["value"] = None
    page = html(report)
    assert "roc_auc per version" not in charts(page)
    assert parsed(page).counts["svg"] == len(CHARTED) - 1
    assert "n/a (metrics.json does not match dvc.lock at its commit)" in page


def test_long_history_stays_under_githubs_limit_and_says_what_was_cut():
    report = long_report()
    text = markdown(report)
    assert len(text) < GITHUB_LIMIT
    assert f"(showing the last {MAX_WEEKS} of 300 weeks)" in text
    assert f"(showing the last {MAX_ROWS} of 1000 versions)" in text
    assert f"(showing the last {MAX_ROWS} of 1000 rollbacks)" in text
    assert "| v0.999.0 | 8 | 12.30 ms | 25.00 ms |" in text
    assert "| v0.949.0 |" not in text


def test_long_history_page_thins_labels_and_says_so():
    page = html(long_report())
    assert parsed(page).problems == []
    svg = charts(page)["roc_auc per version"]
    assert "one in 2 labelled; all are in the table" in svg
    assert svg.count("rotate(-40)") == MAX_ROWS // 2
