"""Pinned versions as the template's files write them, for the tests that check two pins agree:
a Makefile's `NAME := version`, a lock's `name==version`, and a generated project's tools/."""

import json
import re
from pathlib import Path


def makefile_pin(makefile, variable):
    """The value of the one `VARIABLE := value` line of `makefile`."""
    pattern = rf"^{re.escape(variable)} := (\S+)$"
    (value,) = re.findall(pattern, Path(makefile).read_text(), re.MULTILINE)
    return value


def locked_versions(lock):
    """{name: version} of a uv-compiled lock (requirements-*.txt, constraints.txt); a marker
    (`; sys_platform == ...`) is left out."""
    return {
        name: rest.split(";")[0].strip()
        for name, _, rest in (
            line.partition("==")
            for line in Path(lock).read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        )
    }


def tool_pin(project, name):
    """The version a generated project pins for a tool the Makefile installs: tools/package.json
    for npm packages, tools/requirements.txt for the rest."""
    tools = Path(project) / "tools"
    npm = json.loads((tools / "package.json").read_text())["dependencies"]
    return npm[name] if name in npm else locked_versions(tools / "requirements.txt")[name]
