"""setup-cml stand-in: write a `cml` launcher for cml.py and add its folder to GITHUB_PATH."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    folder = Path(os.environ["RUNNER_TEMP"]) / "setup-cml" / "bin"
    folder.mkdir(parents=True, exist_ok=True)
    launcher = folder / "cml"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "cml.py"}" "$@"\n')
    launcher.chmod(0o755)
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as handle:
        handle.write(f"{folder}\n")
    print(f"recording cml at {launcher}")


if __name__ == "__main__":
    main()
