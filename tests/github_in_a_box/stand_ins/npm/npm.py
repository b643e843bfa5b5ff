"""Recording `npm`: emulates only `npm install --global <package>@<exact version>` of the CLIs
the workflows install (CML), recording the call instead of downloading anything.

Every call is appended to $STANDIN_RECORDS/npm/calls.jsonl ({"argv": [...]}). A global install
of @dvcorg/cml puts the recording `cml` (../cml/cml.py) into $STANDIN_NPM_BIN, the folder of
this launcher, as npm puts a global package's executables next to node's. An install without
an exact version (`@dvcorg/cml`, `@latest`, `@^0.20`), of a package with no recorder, or any
other npm command exits 1 naming itself, so a workflow that installs CML unpinned, or uses more
of npm, fails its test instead of passing on a silent no-op. Standard library only.
"""

import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Package -> (executable name, recording script it runs).
RECORDERS = {"@dvcorg/cml": ("cml", HERE.parent / "cml" / "cml.py")}
GLOBAL_FLAGS = {"--global", "-g", "--location=global"}
# Flags that only change npm's chatter; accepted and ignored.
QUIET_FLAGS = {"--no-audit", "--no-fund", "--no-update-notifier", "--quiet", "--silent"}
EXACT_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")


def record(argv):
    folder = Path(os.environ["STANDIN_RECORDS"]) / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "calls.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"argv": argv}) + "\n")


def split_spec(spec):
    """("@scope/name", "1.2.3") from "@scope/name@1.2.3"; version "" when none is given."""
    name, at, version = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    return (f"@{name}" if spec.startswith("@") else name), (version if at else "")


def install(flags, specs):
    if not GLOBAL_FLAGS & set(flags):
        return "only global installs are emulated (--global)"
    unknown = sorted(set(flags) - GLOBAL_FLAGS - QUIET_FLAGS)
    if unknown:
        return f"flags not emulated: {' '.join(unknown)}"
    if not specs:
        return "no package named"
    bin_folder = Path(os.environ["STANDIN_NPM_BIN"])
    for spec in specs:
        name, version = split_spec(spec)
        if name not in RECORDERS:
            return f"no recorder for {name!r}"
        if not EXACT_VERSION_RE.match(version):
            return f"{spec!r} is not pinned to an exact version"
        executable, script = RECORDERS[name]
        launcher = bin_folder / executable
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
        launcher.chmod(0o755)
        print(f"added 1 package: {name}@{version} (recording {executable} at {launcher})")
    return None


def main(argv):
    if not os.environ.get("STANDIN_RECORDS") or not os.environ.get("STANDIN_NPM_BIN"):
        print("recording npm: STANDIN_RECORDS or STANDIN_NPM_BIN is not set", file=sys.stderr)
        return 1
    record(argv)
    if argv[:1] not in (["install"], ["i"]):
        print(f"recording npm: `npm {' '.join(argv)}` is not emulated", file=sys.stderr)
        return 1
    flags = [token for token in argv[1:] if token.startswith("-")]
    specs = [token for token in argv[1:] if not token.startswith("-")]
    problem = install(flags, specs)
    if problem:
        print(f"recording npm: `npm {' '.join(argv)}`: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
