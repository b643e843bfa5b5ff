"""Time the pull-request report's noise test: the task's metrics on 1,000 bootstrap resamples,
as the generated package computes them (pipeline/resampling.py: one counts matrix per block of
resamples), against the baseline of calling scikit-learn's metrics (compute_metrics, the
definition) on each resample's rows, in the same process.

A project is baked with default answers (hooks off) and its package imported from src. The
outcomes are synthetic and seeded: a binary classifier, a 4-class one and a regression, on
1,000 and 10,000 test rows. The baseline runs BASELINE_RESAMPLES resamples and is scaled to
1,000 (it is linear in the count). Printed per case: the median of --runs for both, their
ratio, and the largest difference between the two on the baseline's resamples (they must agree
to the 6 digits metrics.json keeps).

Run: `.venv/bin/python benchmarks/pr_noise.py` (~1 min).
"""

import argparse
import importlib
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scoring import bake, log, package_of

RESAMPLES = 1000
BASELINE_RESAMPLES = 30


def outcomes(resampling, task, rows, seed=0):
    rng = np.random.default_rng(seed)
    if task == "regression":
        truth = rng.normal(10, 3, rows)
        return resampling.Outcomes(task, truth, truth + rng.normal(0, 1, rows))
    classes = 2 if task == "binary_classification" else 4
    truth = rng.integers(0, classes, rows)
    scores = rng.dirichlet(np.ones(classes), rows)
    scores[np.arange(rows), truth] += 0.5
    scores /= scores.sum(axis=1, keepdims=True)
    positive = 1 if classes == 2 else None
    return resampling.Outcomes(
        task, truth, scores.argmax(axis=1), scores, list(range(classes)), positive
    )


def baseline(resampling, case, resamples):
    """Seconds and values of scikit-learn's metrics on each resample's rows."""
    values = []
    started = time.perf_counter()
    rng = np.random.default_rng(resampling.SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(resamples):
            values.append(case.take(rng.integers(0, len(case), len(case))).metrics())
    return time.perf_counter() - started, values


def vectorized(resampling, case):
    started = time.perf_counter()
    values = resampling.bootstrap(case, RESAMPLES)
    return time.perf_counter() - started, values


def largest_difference(fast, slow):
    return max(
        abs(fast[name][index] - row[name])
        for index, row in enumerate(slow)
        for name in row
        if np.isfinite(row[name])
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = bake(Path(folder))
        sys.path.insert(0, str(project / "src"))
        resampling = importlib.import_module(f"{package_of(project)}.pipeline.resampling")
        print(f"{'case':<40} {'bootstrap':>10} {'scikit-learn':>13} {'ratio':>7} {'max diff':>9}")
        for task in ("binary_classification", "multiclass_classification", "regression"):
            for rows in (1_000, 10_000):
                case = outcomes(resampling, task, rows)
                log(f"{task}, {rows:,} rows")
                fast = [vectorized(resampling, case) for _ in range(args.runs)]
                slow = [baseline(resampling, case, BASELINE_RESAMPLES) for _ in range(args.runs)]
                fast_s = statistics.median(seconds for seconds, _ in fast)
                slow_s = statistics.median(s for s, _ in slow) * RESAMPLES / BASELINE_RESAMPLES
                difference = largest_difference(fast[0][1], slow[0][1])
                label = f"{task} {rows:,} rows"
                print(
                    f"{label:<40} {fast_s:>9.2f}s {slow_s:>12.1f}s "
                    f"{slow_s / fast_s:>6.0f}x {difference:>9.1e}"
                )
    print(f"({RESAMPLES:,} resamples; scikit-learn timed on {BASELINE_RESAMPLES} and scaled)")


if __name__ == "__main__":
    main()
