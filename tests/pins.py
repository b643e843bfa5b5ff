"""Pinned versions as the template's files write them, for the tests that check two pins agree:
a Makefile's `NAME := version` and a lock's `name==version`."""

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
