"""Look at a rendered page the way a person does: Debian's headless Chromium loads it at a
desktop width, reports whether anything overflows sideways, and saves a screenshot to look at."""

import json
import re
import subprocess
import tempfile
from pathlib import Path

from github_in_a_box.tools import require_tool

# Screenshots for people to look at after a run (git ignores the folder).
OUTPUT = Path(__file__).resolve().parents[1] / ".test-output"

# Runs after layout; its result lands in the DOM that --dump-dom prints.
PROBE = (
    "<script>document.body.setAttribute('data-layout', JSON.stringify({"
    "scroll_width: document.documentElement.scrollWidth,"
    "client_width: document.documentElement.clientWidth,"
    "svgs: document.querySelectorAll('svg').length}));</script>"
)


def chromium(*args, timeout=120):
    command = [str(require_tool("chromium")), "--headless", "--no-sandbox", "--disable-gpu"]
    with tempfile.TemporaryDirectory() as profile:
        command += [f"--user-data-dir={profile}", "--hide-scrollbars", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)


def page_layout(page, width=1280, screenshot=None):
    """{"scroll_width", "client_width", "svgs"} of `page` opened at `width` px; with
    `screenshot`, the page is also saved there as a PNG (the top 2,400 px)."""
    page = Path(page)
    with tempfile.TemporaryDirectory() as folder:
        probed = Path(folder) / page.name
        probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
        dom = chromium(f"--window-size={width},900", "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, f"the probe did not run in {page}:\n{dom[:500]}"
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    if screenshot is not None:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        chromium(f"--window-size={width},2400", f"--screenshot={screenshot}", page.as_uri())
    return layout
