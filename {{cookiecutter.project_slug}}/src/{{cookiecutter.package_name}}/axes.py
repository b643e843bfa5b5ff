"""The one rule for round axis ticks, shared by every chart the project draws (drift report,
operations report, pull-request report): steps of 1, 2 or 5 times a power of ten."""

import math

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


def round_step(span: float, count: int) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that splits `span` into at most `count`
    steps (1.0 for an empty span)."""
    raw = span / count if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def even_grid(low: float, high: float, step: float) -> Floats:
    """low, low + step, ..., high (a chart that spaces values evenly needs even x values)."""
    return np.arange(low, high + step / 2, step)


def on_grid(x: Floats, y: Floats, grid: Floats) -> Floats:
    """A curve's y at the grid's x values, linearly between its points; where x repeats, the
    largest y is kept (the curve's upper envelope, as ROC and precision-recall are read)."""
    order = np.lexsort((y, x))
    x, y = x[order], y[order]
    last = np.r_[x[1:] != x[:-1], True]
    return np.interp(grid, x[last], y[last])
