"""How far current values lie outside the reference range, summed exactly and in any order.

The Wasserstein distance adds the summed distances of current values below the reference's
first edge and above its last. A float sum depends on the order of its terms, and so on chunk
sizes and on how an engine splits the data into batches: the same data would give drift
reports that differ in the last digits. So each distance is measured in the
column's distance unit (the scale the decision divides by), cut to a multiple of 2^-40 units
(a trillionth of a standard deviation: the only rounding, per value and the same everywhere),
and the resulting integers are summed exactly, as four 30-bit parts per value: int64 sums
that cannot overflow below 2^33 values, merged from batches in any order. A distance of 2^80
units or more, or an infinite one, makes the sum infinite.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FRACTION_BITS = 40
PART_BITS = 30
PARTS = 4  # 4 x 30 bits hold FRACTION_BITS + log2(FAR) = 120 bits
FAR = 2.0**80


def distance_unit(column_profile: dict[str, Any]) -> float:
    """The scale a numeric column's distances are measured in: the reference's standard
    deviation, else its range, else 1 (a constant or empty column)."""
    low, high = column_profile.get("min"), column_profile.get("max")
    spread = high - low if low is not None and high is not None else 0.0
    return float(column_profile.get("std") or spread or 1.0)


def fixed_point_parts(distances: npt.NDArray[np.float64], unit: float) -> tuple[list[int], int]:
    """([sum of each 30-bit part over the values], how many are FAR or more) for distances >= 0.

    Every step is exact in float64: scaling by powers of two, floor, and subtracting integers
    that differ by less than 2^53."""
    scaled = distances / unit
    near = scaled < FAR  # False for inf and NaN too
    fixed = np.floor(scaled[near] * 2.0**FRACTION_BITS)
    parts = []
    for part in range(PARTS):
        high = np.floor(fixed / 2.0 ** (PART_BITS * (part + 1)))
        low = np.floor(fixed / 2.0 ** (PART_BITS * part)) - high * 2.0**PART_BITS
        parts.append(int(low.astype(np.int64).sum()))
    return parts, int(len(scaled) - np.count_nonzero(near))


@dataclass
class TailSum:
    """An exact running sum of distances, in 2^-40 distance units."""

    parts: list[int] = field(default_factory=lambda: [0] * PARTS)
    far: int = 0

    def add(self, parts: list[int], far: int) -> None:
        self.parts = [mine + theirs for mine, theirs in zip(self.parts, parts, strict=True)]
        self.far += far

    def add_distances(self, distances: npt.NDArray[np.float64], unit: float) -> None:
        self.add(*fixed_point_parts(distances, unit))

    def value(self, unit: float) -> float:
        if self.far:
            return float("inf")
        total = sum(part << (PART_BITS * index) for index, part in enumerate(self.parts))
        return total / 2**FRACTION_BITS * unit  # int / int: correctly rounded
