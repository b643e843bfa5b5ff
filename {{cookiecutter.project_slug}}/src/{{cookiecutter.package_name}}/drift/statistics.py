"""Drift statistics: current data against the reference profile (models/profile.json).

Numeric columns: a two-sample Kolmogorov-Smirnov test computed from the binned CDFs at the
stored quantile edges (with one edge per distinct value it equals scipy's `ks_2samp`), the
normalized Wasserstein distance as effect size, and PSI over reference deciles for comparison.
Category columns: a two-sample chi-square test on the 2 x K table of counts (categories never
seen in training count) and the Jensen-Shannon distance. P-values are corrected across every
tested column (Bonferroni or Benjamini-Hochberg); a column drifts when its corrected p-value is
below alpha and its effect reaches a small floor, or when its missing-value rate moved.
"""

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..errors import ProjectError

PSI_BINS = 10  # reference deciles: PSI's usual resolution
PSI_FLOOR = 1e-4  # share used for an empty bin, so PSI stays finite
# scipy's exact kstwo distribution slows down beyond this effective sample size (seconds at
# 1e6); the asymptotic Kolmogorov distribution agrees to three digits there.
KSTWO_MAX_N = 50_000
CORRECTIONS = ("bonferroni", "benjamini-hochberg")


def binned_cdfs(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Both CDFs at the right end of every bin but the last (where both are 1)."""
    reference = np.cumsum(reference_counts)[:-1] / np.sum(reference_counts)
    current = np.cumsum(current_counts)[:-1] / np.sum(current_counts)
    return reference, current


def ks_from_counts(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> tuple[float, float]:
    """(statistic, p-value) of the two-sample KS test on binned data: the largest CDF gap over
    bin boundaries, and the p-value scipy's ks_2samp(method="asymp") gives for it."""
    n, m = int(np.sum(reference_counts)), int(np.sum(current_counts))
    reference, current = binned_cdfs(reference_counts, current_counts)
    statistic = float(np.max(np.abs(reference - current))) if len(reference) else 0.0
    larger, smaller = max(n, m), min(n, m)
    effective_n = larger * smaller / (larger + smaller)
    if effective_n <= KSTWO_MAX_N:
        p_value = stats.kstwo.sf(statistic, np.round(effective_n))
    else:
        p_value = stats.kstwobign.sf(statistic * math.sqrt(effective_n))
    return statistic, float(np.clip(p_value, 0, 1))


def wasserstein_from_counts(
    reference_counts: npt.ArrayLike,
    current_counts: npt.ArrayLike,
    edges: npt.ArrayLike,
    below: float = 0.0,
    above: float = 0.0,
) -> float:
    """Wasserstein-1 distance between the binned distributions: the area between the CDFs,
    each bin's gap spanning the bin's width; current values outside the reference range add
    their summed distance to it (`below`, `above`). Exact with one edge per distinct value."""
    edges = np.asarray(edges, dtype=float)
    if len(edges) < 2:
        return float((below + above) / max(np.sum(current_counts), 1))
    reference, current = binned_cdfs(reference_counts, current_counts)
    # reference/current[k] is the CDF just below edges[k]; it holds on [edges[k-1], edges[k]).
    inner = np.sum(np.abs(reference[1:] - current[1:]) * np.diff(edges))
    return float(inner + (below + above) / np.sum(current_counts))


def psi(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> float:
    """Population stability index over the given bins (empty shares floored at PSI_FLOOR)."""
    reference = np.maximum(np.asarray(reference_counts) / np.sum(reference_counts), PSI_FLOOR)
    current = np.maximum(np.asarray(current_counts) / np.sum(current_counts), PSI_FLOOR)
    return float(np.sum((current - reference) * np.log(current / reference)))


def decile_groups(
    reference_counts: npt.ArrayLike, n_groups: int = PSI_BINS
) -> npt.NDArray[np.int_]:
    """The coarse group of each fine bin: bins are grouped by the reference share below them,
    so each group holds about 1/n_groups of the reference."""
    reference = np.asarray(reference_counts, dtype=float)
    below = (np.cumsum(reference) - reference) / reference.sum()
    return np.minimum((below * n_groups).astype(int), n_groups - 1)


def grouped(
    counts: npt.ArrayLike, groups: npt.NDArray[np.int_], n_groups: int
) -> npt.NDArray[Any]:  # float64 (weighted counts), which numpy's stubs do not say
    return np.bincount(groups, weights=np.asarray(counts, dtype=float), minlength=n_groups)


def chi_square(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> tuple[float, float]:
    """(statistic, p-value) of scipy's chi2_contingency on the 2 x K table; categories empty in
    both samples are dropped, and fewer than two categories left means nothing to test."""
    table = np.array([reference_counts, current_counts], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    result = stats.chi2_contingency(table)
    return float(result.statistic), float(result.pvalue)


def jensen_shannon(reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike) -> float:
    """Jensen-Shannon distance (base 2: 0 same, 1 disjoint) between two count vectors."""
    reference, current = np.asarray(reference_counts), np.asarray(current_counts)
    if reference.sum() == 0 or current.sum() == 0:
        return 0.0
    return float(jensenshannon(reference, current, base=2))


def corrected_p_values(p_values: npt.ArrayLike, method: str) -> npt.NDArray[np.float64]:
    """Bonferroni (p * k, capped at 1) or Benjamini-Hochberg adjusted p-values, in order."""
    p_values = np.asarray(p_values, dtype=float)
    if len(p_values) == 0:
        return p_values
    if method == "bonferroni":
        return np.minimum(p_values * len(p_values), 1.0)
    if method == "benjamini-hochberg":
        return stats.false_discovery_control(p_values, method="bh")
    raise ProjectError(f"correction {method!r} is unknown", f"use one of {', '.join(CORRECTIONS)}")


# --- comparing ----------------------------------------------------------------------------------
