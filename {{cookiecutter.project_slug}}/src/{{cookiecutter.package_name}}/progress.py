"""A progress bar for work over chunks that may take a while (drift checks, batch scoring): drawn
on a terminal only, after the first two seconds, so logs, CI output and quick runs stay clean."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

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
