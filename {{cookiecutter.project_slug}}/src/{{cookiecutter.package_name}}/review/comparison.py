"""Which metric changes are real: a paired bootstrap of this pull request's model against the
base's on the test rows, from both revisions' own test predictions (the evaluate stage's output;
the base's copy comes through DVC, checked against its dvc.lock - the base is never retrained).

A change is "better" or "worse" only when its 95% interval excludes zero; otherwise it is
"within noise", with the interval's half-width."""

import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from .. import paths
from ..edge.dvc import CommitOutputs, checked_workspace_output, use_credentials
from ..edge.git import run_git
from ..errors import ProjectError
from ..pipeline.predictions import read_outcomes
from ..pipeline.resampling import RESAMPLES, Outcomes, interval, paired_differences, same_rows
from ..tasks import HIGHER_IS_BETTER

BETTER, WORSE, NOISE = "better", "worse", "within noise"


@dataclass(frozen=True)
class MetricChange:
    name: str
    old: object
    new: object
    interval: tuple[float, float] | None = None  # of new - old, when both models' rows are known

    @property
    def delta(self) -> float | None:
        if is_number(self.old) and is_number(self.new):
            return self.new - self.old
        return None

    @property
    def relative(self) -> float | None:
        delta = self.delta
        if delta is None or not is_number(self.old) or self.old == 0:
            return None
        return delta / abs(self.old)

    @property
    def verdict(self) -> str:
        """BETTER, WORSE or NOISE; '' when the change was not tested (no interval)."""
        if self.interval is None or self.delta is None or self.name not in HIGHER_IS_BETTER:
            return ""
        low, high = self.interval
        if low <= 0 <= high:
            return NOISE
        return BETTER if (low > 0) == HIGHER_IS_BETTER[self.name] else WORSE

    @property
    def noise(self) -> float | None:
        """Half the interval's width: how far the change could move by chance alone."""
        return None if self.interval is None else (self.interval[1] - self.interval[0]) / 2


@dataclass(frozen=True)
class Comparison:
    """{metric: interval of new - old}, how they were drawn, or why there are none."""

    intervals: Mapping[str, tuple[float, float] | None]
    paired: bool = False
    rows: int = 0
    note: str = ""
    base: Outcomes | None = None  # the models' test predictions, for the curves
    new: Outcomes | None = None


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def compare(base: Outcomes, new: Outcomes, resamples: int = RESAMPLES) -> Comparison:
    paired = same_rows(base, new)
    differences = paired_differences(base, new, resamples)
    return Comparison(
        {name: interval(values) for name, values in differences.items()},
        paired=paired,
        rows=len(new),
        base=base,
        new=new,
    )


def compare_with_base(base: str, root: str | Path = ".") -> Comparison:
    """The Comparison of the work tree's test predictions (checked against its dvc.lock) with
    those of the revision `base`; one without intervals, saying why, when the base has none."""
    new = read_outcomes(checked_workspace_output(paths.TEST_PREDICTIONS, root))
    result = run_git("rev-parse", "--verify", base + "^{commit}", cwd=root, check=False)
    if result.returncode != 0:
        return Comparison({}, note=f"the base `{base}` is not a known revision", new=new)
    use_credentials()  # the base's copy may be on the remote only
    try:
        outputs = CommitOutputs(root, result.stdout.strip(), base)
        with tempfile.TemporaryDirectory() as folder:
            copy = outputs.get(paths.TEST_PREDICTIONS, Path(folder) / "base.parquet")
            old = read_outcomes(copy)
    except ProjectError as error:
        note = f"the base `{base}` has no test predictions to compare with ({error.problem})"
        return Comparison({}, note=note, new=new)
    except Exception as error:  # the remote unreachable or refusing: no claim is made
        problem = f"{type(error).__name__}: {error}".splitlines()[0][:200]
        note = f"the base `{base}`'s test predictions could not be read ({problem})"
        return Comparison({}, note=note, new=new)
    if old.task != new.task:
        note = f"the base's task is {old.task}, this one's is {new.task}"
        return Comparison({}, note=note, new=new)
    return compare(old, new)


def summary(changes: list[MetricChange]) -> dict[str, Any]:
    verdicts = [change.verdict for change in changes]
    return {key: verdicts.count(key) for key in (BETTER, WORSE, NOISE)}
