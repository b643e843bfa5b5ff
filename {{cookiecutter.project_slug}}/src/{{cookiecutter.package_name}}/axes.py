"""The one rule for round axis ticks, shared by every chart the project draws (drift report,
operations report, pull-request report): steps of 1, 2 or 5 times a power of ten."""

import math


def round_step(span: float, count: int) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that splits `span` into at most `count`
    steps (1.0 for an empty span)."""
    raw = span / count if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
