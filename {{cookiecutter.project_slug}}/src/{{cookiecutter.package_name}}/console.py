"""What a command tells the person running it, through `logging`: `-q` keeps warnings and
errors only, `-v` adds the detail (each DVC and git command run, with its time).

Status lines go to stdout and warnings to stderr, as DVC's own command line does. A command's
result (JSON, a version, a table a script reads) is printed, never logged, so `-q` cannot hide
it. The streams are looked up when a line is written, so output redirected later (a test
capturing stdout, a workflow step) still receives it.
"""

import logging
import sys

PACKAGE_LOGGER = logging.getLogger(__package__)
DEFAULT_LEVEL = logging.INFO


class _Console(logging.Handler):
    """Status to stdout, warnings and errors to stderr; plain lines for status, a lowercase
    `warning:` / `debug:` prefix for the rest (the prefix is what a reader scans for)."""

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stdout if record.levelno < logging.WARNING else sys.stderr
        try:
            message = self.format(record)
            if record.levelno != logging.INFO:
                message = f"{record.levelname.lower()}: {message}"
            stream.write(message + "\n")
            stream.flush()
        except Exception:  # logging's contract: a handler never raises into the caller
            self.handleError(record)


class _Timestamped(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s")


def _install() -> None:
    if not any(isinstance(handler, _Console) for handler in PACKAGE_LOGGER.handlers):
        PACKAGE_LOGGER.addHandler(_Console())
    PACKAGE_LOGGER.setLevel(DEFAULT_LEVEL)
    # The root logger belongs to whoever embeds the package (uvicorn under `serve`, pytest):
    # its handlers would print each line a second time.
    PACKAGE_LOGGER.propagate = False


def set_verbosity(verbose: int = 0, quiet: int = 0) -> int:
    """The package's level from counted -v/-q flags (each one step; errors always show)."""
    level = DEFAULT_LEVEL + 10 * (quiet - verbose)
    level = min(max(level, logging.DEBUG), logging.ERROR)
    PACKAGE_LOGGER.setLevel(level)
    return level


def with_timestamps() -> None:
    """A long-running process (the service) stamps its lines: they are read after the fact."""
    for handler in PACKAGE_LOGGER.handlers:
        if isinstance(handler, _Console):
            handler.setFormatter(_Timestamped())


_install()
