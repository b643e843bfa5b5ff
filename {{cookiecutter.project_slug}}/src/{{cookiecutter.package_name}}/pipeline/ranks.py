"""Exact order statistics of a column read in chunks, in memory that does not grow with rows.

The profile's quantile edges are numpy's inverted_cdf quantiles, and each of those is the value
at one rank of the sorted present values (`inverted_cdf_ranks`). Sorting needs the whole column
in memory (8 bytes a row); `RankSearch` finds the same values in a few passes over the chunks:

1. While the stage's first pass reads the chunks, each column keeps a systematic sample (every
   k-th row, at most PIVOT_SAMPLE values). When the file fits in one chunk the sample is every
   value, and the ranks are read off it: one pass, the same values np.quantile picks.
2. Otherwise the sample's distinct values cut the range into bins, each sampled value with a
   bin of its own (a heavily tied value is then resolved by counting, never held). A pass counts
   the values per bin, which places every wanted rank in a bin with a known count below it.
3. A rank in a one-value bin is resolved. The next pass keeps the values of the bins holding the
   other ranks (about len(ranks) x rows / PIVOT_SAMPLE values, up to KEEP_BUDGET) and sorts them:
   the rank is read off exactly. A bin too full for the budget is cut into SPLIT_WAYS bins of
   the 64-bit key range instead and counted again; every cut narrows a bin's key range
   SPLIT_WAYS-fold, so after at most 64 / log2(SPLIT_WAYS) = 11 cuts a bin holds one value.

Exact rather than a mergeable sketch (t-digest, KLL): an edge stays a value seen in training,
the same at any chunk size (edges and counts do not move when only chunk_rows does), and the
drift check's reference counts per bin are true counts. The price is two more passes over the
numeric columns when the file is larger than a chunk.

Memory per column: the sample (PIVOT_SAMPLE keys, or one chunk's values when the file fits in
one), bin bounds and counts (2 x PIVOT_SAMPLE, or len(ranks) x SPLIT_WAYS entries: under 1 MB)
and the kept values (at most KEEP_BUDGET keys, 8 MB, sorted once at the end of the pass): none
grows with rows, so the stage's peak is its chunk plus at most ~17 MB per numeric column. Three
passes in all up to about KEEP_BUDGET x PIVOT_SAMPLE / len(ranks) rows (17 billion for 1001
ranks; 5M rows keep ~300k values a column); each cut beyond that costs one more pass.
"""

import math

import numpy as np
import numpy.typing as npt

PIVOT_SAMPLE = 16_384
KEEP_BUDGET = 1 << 20
SPLIT_WAYS = 64
_FLIP = np.int64(0x7FFF_FFFF_FFFF_FFFF)

Keys = npt.NDArray[np.int64]
# A range of keys [low, high), the count of values below low, and the positions (in `ranks`) of
# the ranks it holds.
Bin = tuple[int, int, int, list[int]]


def inverted_cdf_ranks(n: int, quantiles: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """The 0-based ranks np.quantile(..., method="inverted_cdf") takes for n values: numpy's own
    arithmetic (index n*q - 1, taken when whole, else rounded up), float rounding included."""
    index = n * quantiles - 1
    previous = np.floor(index)
    ranks = np.where(index - previous == 0, previous, previous + 1).astype(np.intp)
    return np.clip(ranks, 0, n - 1)


def order_keys(values: npt.NDArray[np.float64]) -> Keys:
    """int64 keys in the floats' order (NaN excluded). -0.0 becomes 0.0 first: numpy compares
    them equal, so a zero edge is written 0.0."""
    bits = (values + 0.0).view(np.int64)
    return np.where(bits < 0, bits ^ _FLIP, bits)


def key_values(keys: Keys) -> npt.NDArray[np.float64]:
    return np.where(keys < 0, keys ^ _FLIP, keys).view(np.float64)


class RankSearch:
    """The values at `ranks` of a column's sorted present values, and how many values lie below
    each: `add` every chunk's keys in a pass, then `end_pass`, until `done`."""

    def __init__(self, ranks: npt.NDArray[np.intp], sample: Keys, extremes: Keys, complete: bool):
        """`sample`: keys of some present values, all of them if `complete`; `extremes`: the
        keys of the smallest and largest present value."""
        self.ranks = ranks
        self.found = np.zeros(len(ranks), dtype=np.int64)
        self.below = np.zeros(len(ranks), dtype=np.int64)
        self.pending: list[Bin] = []
        ordered = np.sort(sample)
        low, high = int(extremes[0]), int(extremes[1]) + 1
        everything: Bin = (low, high, 0, list(range(len(ranks))))
        if complete:
            self._read_off(ordered, [everything])
            return
        cuts = np.unique(np.concatenate([extremes[:1], ordered, ordered + 1]))
        self.pending = [everything]
        self._start_pass([], [(*everything, cuts[cuts < high])])

    @property
    def done(self) -> bool:
        return not self.pending

    def values(self) -> npt.NDArray[np.float64]:
        return key_values(self.found)

    def add(self, keys: Keys) -> None:
        # Sorting the chunk and looking the bounds up in it is several times faster than a
        # binary search per value (as profile.bin_count_array), and leaves kept bins contiguous.
        ordered = np.sort(keys)
        sizes = np.diff(np.searchsorted(ordered, self.bounds), prepend=0, append=len(ordered))
        self.counts += sizes
        if self.kept_bins:
            self.kept.append(ordered[np.repeat(self.keep, sizes)])

    def add_counted(self, sizes: Keys, kept: Keys) -> None:
        """add's result computed elsewhere (an engine): the values per bin of `bounds`
        (np.diff of searchsorted), and the keys of the values in `kept_ranges`."""
        self.counts += sizes
        if self.kept_bins:
            self.kept.append(kept)

    @property
    def kept_ranges(self) -> list[tuple[int, int]]:
        """The key ranges [low, high) whose values this pass keeps."""
        return [(low, high) for low, high, _, _ in self.kept_bins]

    def end_pass(self) -> None:
        kept = np.sort(np.concatenate(self.kept)) if self.kept else np.empty(0, np.int64)
        self._read_off(kept, self.kept_bins)
        self._place(self.counted_bins)

    def _start_pass(
        self, keep: list[Bin], cut: list[tuple[int, int, int, list[int], Keys]]
    ) -> None:
        """Bounds for one pass: each kept bin's ends, each cut bin's cuts and end."""
        parts = [np.array([low, high], dtype=np.int64) for low, high, _, _ in keep]
        parts += [np.append(cuts, np.int64(high)) for _, high, _, _, cuts in cut]
        self.bounds = np.unique(np.concatenate(parts))
        self.counts = np.zeros(len(self.bounds) + 1, dtype=np.int64)
        self.keep = np.zeros(len(self.bounds) + 1, dtype=bool)
        for low, high, _, _ in keep:
            start, end = np.searchsorted(self.bounds, [low, high], side="right")
            self.keep[start:end] = True
        self.kept: list[Keys] = []
        self.kept_bins = keep
        self.counted_bins = [
            (low, high, below, positions) for low, high, below, positions, _ in cut
        ]

    def _read_off(self, kept: Keys, bins: list[Bin]) -> None:
        """Resolve the ranks of bins whose every value is in `kept` (sorted)."""
        for low, _, below, positions in bins:
            offset = int(np.searchsorted(kept, low, side="left"))
            keys = kept[offset + self.ranks[positions] - below]
            self.found[positions] = keys
            self.below[positions] = below + np.searchsorted(kept, keys, side="left") - offset

    def _place(self, counted: list[Bin]) -> None:
        """Each pending rank's bin among this pass's counts; the next pass's bins."""
        later: dict[tuple[int, int], Bin] = {}
        for low, high, below, positions in counted:
            start, end = np.searchsorted(self.bounds, [low, high], side="right")
            running = below + np.cumsum(self.counts[start:end])
            edges = np.append(self.bounds[start - 1 : end - 1], np.int64(high))
            for position in positions:
                index = int(np.searchsorted(running, self.ranks[position], side="right"))
                bin_low, bin_high = int(edges[index]), int(edges[index + 1])
                bin_below = below if index == 0 else int(running[index - 1])
                entry = later.setdefault((bin_low, bin_high), (bin_low, bin_high, bin_below, []))
                entry[3].append(position)
        self._plan(list(later.values()))

    def _plan(self, bins: list[Bin]) -> None:
        """One-value bins resolve now; the smallest others are kept next pass within the
        budget, and the rest cut."""
        keep, cut, budget = [], [], KEEP_BUDGET
        for low, high, below, positions in sorted(bins, key=self._size):
            if high - low == 1:
                self.found[positions], self.below[positions] = low, below
            elif self._size((low, high, below, positions)) <= budget:
                budget -= self._size((low, high, below, positions))
                keep.append((low, high, below, positions))
            else:
                cut.append((low, high, below, positions, _cuts(low, high)))
        self.pending = keep + [bin[:4] for bin in cut]
        if self.pending:
            self._start_pass(keep, cut)

    def _size(self, bin: Bin) -> int:
        low, high, _, _ = bin
        start, end = np.searchsorted(self.bounds, [low, high], side="right")
        return int(self.counts[start:end].sum())


def _cuts(low: int, high: int) -> Keys:
    """SPLIT_WAYS cut points spread evenly over the keys low..high-1 (Python ints: the range
    may exceed int64)."""
    ways = min(SPLIT_WAYS, high - low)
    cuts = [low + (high - low) * way // ways for way in range(ways)]
    return np.array(cuts, dtype=np.int64)


def sample_stride(n_rows: int, chunk_rows: int) -> int:
    """Every how many rows a column's sample takes a value."""
    return 1 if n_rows <= chunk_rows else math.ceil(n_rows / PIVOT_SAMPLE)
