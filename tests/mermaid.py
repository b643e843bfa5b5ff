"""Draw a report's Mermaid charts the way GitHub does (the Makefile's MERMAID_VERSION, from a
local file) in Debian's headless Chromium, and measure what a reader sees: each chart's bars,
lines and axis ticks in the drawing's own coordinates, and whether the page overflows."""

import html
import json
import re
import tempfile
from pathlib import Path

import pytest
from browser import OUTPUT, chromium
from github_in_a_box.tools import in_ci
from pins import makefile_pin

ROOT = Path(__file__).resolve().parents[1]

# Renders the blocks in the page and writes the measurements into the DOM.
PROBE = Path(__file__).with_name("mermaid_probe.js")


def mermaid_js():
    """The Mermaid script `make test` fetches; missing: skip, or fail under CI=true."""
    version = makefile_pin(ROOT / "Makefile", "MERMAID_VERSION")
    path = ROOT / ".tools" / f"mermaid-{version}.min.js"
    if not path.is_file():
        message = f"{path.name} is missing: run `make {path.relative_to(ROOT)}` (make test does)"
        if in_ci():
            pytest.fail(f"{message} (CI=true: a missing tool fails instead of skipping)")
        pytest.skip(message)
    return path


def mermaid_blocks(markdown):
    """The text of every ```mermaid block, in order."""
    return re.findall(r"^```mermaid\n(.*?)^```$", markdown, re.MULTILINE | re.DOTALL)


def render_charts(markdown, screenshot=None, width=1280):
    """{"charts": [{"ok", "title", "bars", "lines", "x_ticks", "y_ticks", "colours"} or
    {"ok": False, "error"}], "scroll_width", "client_width"} for the markdown's Mermaid blocks."""
    blocks = mermaid_blocks(markdown)
    data = json.dumps(blocks).replace("</", "<\\/")  # no "</script>" inside the script
    page = (
        f'<!doctype html><html><head><meta charset="utf-8">'
        f'<script src="{mermaid_js().as_uri()}"></script></head>'
        f'<body style="margin:8px"><script type="application/json" id="blocks">'
        f'{data}</script><div id="charts"></div>'
        f"<script>{PROBE.read_text(encoding='utf-8')}</script></body></html>"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "charts.html"
        path.write_text(page, encoding="utf-8")
        options = ["--virtual-time-budget=30000", f"--window-size={width},900"]
        dom = chromium(*options, "--dump-dom", path.as_uri()).stdout
        if screenshot is not None:
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            height = 540 * max(len(blocks), 1)
            chromium(
                "--virtual-time-budget=30000",
                f"--window-size={width},{height}",
                f"--screenshot={screenshot}",
                path.as_uri(),
            )
    found = re.search(r'data-charts="([^"]*)"', dom)
    assert found, f"the charts did not render:\n{dom[:800]}"
    return json.loads(html.unescape(found.group(1)))


def block_values(block):
    """The numbers of each `bar [...]` or `line [...]` series of one block, in order."""
    return [
        [float(value) for value in values.split(",")]
        for values in re.findall(r"^\s*(?:bar|line) \[(.*)\]$", block, re.MULTILINE)
    ]


def assert_drawn_as_written(block, chart):
    """A reader sees what the block says: every series point drawn (none lost at an axis's
    end), lines spanning the whole x-axis, bars from a zero baseline with heights in the order
    of their values, and the value axis's first tick at its written lower end."""
    assert chart["ok"], chart.get("error")
    series = block_values(block)
    y_axis = re.search(r'y-axis "[^"]*" (\S+) --> (\S+)', block)
    assert y_axis, f"no explicit value axis in:\n{block}"
    assert float(chart["y_ticks"][-1][0]) == float(y_axis.group(1)), chart["y_ticks"]
    if chart["bars"]:
        (values,) = series
        assert len(chart["bars"]) == len(values)
        bottoms = {round(y + height, 1) for _, y, _, height in chart["bars"]}
        assert len(bottoms) == 1, "bars do not share one baseline"
        heights = [height for *_, height in chart["bars"]]
        assert all(height > 0 for height in heights)
        assert sorted(range(len(values)), key=values.__getitem__) == sorted(
            range(len(values)), key=heights.__getitem__
        )
    else:
        assert [len(points) for points in chart["lines"]] == [len(v) for v in series]
        first, last = chart["x_ticks"][0][1], chart["x_ticks"][-1][1]
        for points in chart["lines"]:
            assert abs(points[0][0] - first) < 1 and abs(points[-1][0] - last) < 1


def assert_charts_drawn_as_written(markdown, screenshot_name):
    """Every Mermaid chart of `markdown` drawn as written (assert_drawn_as_written), with no
    sideways overflow at 1280 px; the screenshot goes to .test-output/ to look at."""
    blocks = mermaid_blocks(markdown)
    assert blocks, "the report has no Mermaid chart"
    drawn = render_charts(markdown, screenshot=OUTPUT / screenshot_name)
    assert drawn["scroll_width"] <= drawn["client_width"], drawn
    for block, chart in zip(blocks, drawn["charts"], strict=True):
        assert_drawn_as_written(block, chart)
