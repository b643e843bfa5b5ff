"""The quality gate, the one rule every caller uses (evaluate, `gate`, the pull-request report,
the release): the primary metric must meet params.yaml's threshold and, when a model is in
production, be no worse than it by more than `gate.tolerance`."""

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import GateFailed, ProjectError
from ..params import GateParams
from ..tasks import HIGHER_IS_BETTER

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProductionMetrics:
    """The metrics.json committed at the version holding production (see release/baseline)."""

    version: str
    metrics: dict[str, Any]


@dataclass(frozen=True)
class AgainstProduction:
    version: str
    value: float
    production_value: float
    tolerance: float
    higher_is_better: bool

    @property
    def worst_allowed(self) -> float:
        slack = -self.tolerance if self.higher_is_better else self.tolerance
        return self.production_value + slack

    @property
    def passed(self) -> bool:
        return _meets(self.value, self.worst_allowed, self.higher_is_better)

    def __str__(self) -> str:
        direction = "below" if self.higher_is_better else "above"
        return (
            f"{self.value:.4f} vs production {self.version}'s {self.production_value:.4f} "
            f"(at most {self.tolerance} {direction} it): {_verdict(self.passed)}"
        )


@dataclass(frozen=True)
class GateReport:
    metric: str
    value: float
    threshold: float
    higher_is_better: bool
    production: AgainstProduction | None
    production_note: str  # why there is no comparison with production, when there is none

    @property
    def threshold_passed(self) -> bool:
        return _meets(self.value, self.threshold, self.higher_is_better)

    @property
    def passed(self) -> bool:
        return self.threshold_passed and (self.production is None or self.production.passed)

    def threshold_line(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        return (
            f"{self.metric} {self.value:.4f} (must be {sign} {self.threshold}): "
            f"{_verdict(self.threshold_passed)}"
        )

    def lines(self) -> list[str]:
        if self.production is None:
            production = self.production_note
        else:
            production = f"{self.metric} {self.production}"
        return [f"threshold: {self.threshold_line()}", f"against production: {production}"]

    def as_dict(self) -> dict[str, Any]:
        production = None
        if self.production is not None:
            production = {
                "version": self.production.version,
                "value": self.production.production_value,
                "tolerance": self.production.tolerance,
                "passed": self.production.passed,
            }
        return {
            "passed": self.passed,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "higher_is_better": self.higher_is_better,
            "threshold_passed": self.threshold_passed,
            "production": production,
            "summary": self.lines(),
        }


def judge(
    metrics: Mapping[str, float], production: ProductionMetrics | None, gate: GateParams
) -> GateReport:
    """The GateReport of `metrics` against `gate` (params.yaml's GateParams) and the
    ProductionMetrics of the version in production (None when there is none)."""
    metric = gate.metric
    if metric not in HIGHER_IS_BETTER:
        raise ProjectError(
            f"gate.metric {metric!r} in params.yaml is not a known metric",
            f"use one of {', '.join(sorted(HIGHER_IS_BETTER))}",
        )
    if metric not in metrics:
        raise ProjectError(
            f"gate.metric {metric!r} is not among the computed metrics ({', '.join(metrics)})",
            "set gate.metric in params.yaml to one of those, or run `dvc repro`",
        )
    value, better = float(metrics[metric]), HIGHER_IS_BETTER[metric]
    against: AgainstProduction | None = None
    note = "no model is in production yet"
    if production is not None:
        if _is_number(production.metrics.get(metric)):
            against = AgainstProduction(
                production.version,
                value,
                float(production.metrics[metric]),
                gate.tolerance,
                better,
            )
        else:
            note = f"production {production.version} recorded no {metric} to compare with"
    return GateReport(metric, value, float(gate.threshold), better, against, note)


def require(report: GateReport, subject: str, consequence: str = "") -> None:
    """Print the gate's lines; raise GateFailed (exit 1) naming `subject` when it failed."""
    for line in report.lines():
        LOGGER.info(f"quality gate: {line}")
    if not report.passed:
        raise GateFailed(
            f"{subject} does not meet the quality gate{consequence} "
            f"({report.metric} {report.value:.4f})",
            "improve the model, or change gate.threshold / gate.tolerance in params.yaml with "
            "a reviewer's consent",
        )


def _meets(value: float, bound: float, higher_is_better: bool) -> bool:
    # NaN compares false both ways, so a metric that could not be computed fails.
    return value >= bound if higher_is_better else value <= bound


def _verdict(passed: bool) -> str:
    return "passed" if passed else "FAILED"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
