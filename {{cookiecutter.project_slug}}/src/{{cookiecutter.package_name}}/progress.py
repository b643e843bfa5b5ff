"""Progress bars for work that may take a while (rows of a drift check or a batch scoring, bytes
fetched from the DVC remote): drawn on a terminal only, after the first two seconds, so logs, CI
output and quick runs stay clean."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

# Quick work draws nothing: the bar appears once this many seconds have passed.
DELAY_SECONDS = 2.0


@contextmanager
def rows_progress(label: str, stream: TextIO | None = None) -> Iterator[Callable[[int], object]]:
    """Yields `advance(rows)`; a bar counting rows on `stream` (stderr) when it is a TTY."""
    from tqdm import tqdm

    stream = sys.stderr if stream is None else stream
    with tqdm(
        desc=label,
        unit=" rows",
        unit_scale=True,
        file=stream,
        disable=not stream.isatty(),
        delay=DELAY_SECONDS,
        leave=False,
    ) as bar:
        yield bar.update


def transfer_progress(label: str, stream: TextIO | None = None) -> Any:
    """An fsspec callback for a file transfer, to use as a context manager: a bar counting
    bytes on `stream` (stderr) when it is a TTY, fsspec's no-op callback otherwise."""
    from fsspec.callbacks import NoOpCallback, TqdmCallback

    stream = sys.stderr if stream is None else stream
    if not stream.isatty():
        return NoOpCallback()
    return TqdmCallback(
        tqdm_kwargs={
            "desc": label,
            "unit": "B",
            "unit_scale": True,
            "unit_divisor": 1024,
            "file": stream,
            "delay": DELAY_SECONDS,
            "leave": False,
        }
    )
