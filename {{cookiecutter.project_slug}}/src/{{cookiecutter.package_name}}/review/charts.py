"""The pull-request report's pictures, as Mermaid `xychart-beta` blocks (GitHub draws them in
comments and job summaries without an image host). One chart per question, on axes that do not
exaggerate: bars start at zero (a bounded metric's axis spans its whole range), and curves are
drawn only over a numeric axis, never across categories."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..axes import even_grid, on_grid, round_step
from ..pipeline.evaluate import binary_curves
from ..pipeline.resampling import Outcomes
from ..tasks import HIGHER_IS_BETTER

# Curves are resampled on evenly spaced points of their x-axis (Mermaid spaces a line's values
# evenly, so the x values must be). The step is a power of two: Mermaid steps along the axis by
# adding it, and a step such as 0.025 drifts past the axis's end and loses the last point.
CURVE_STEP = 1 / 32
# Residual quantiles from 1/16 to 15/16: the extremes would squash the rest of the chart.
QUANTILES = (1 / 16, 15 / 16)
# Base in grey, this pull request in blue (Mermaid draws no legend, so the titles name them).
BASE_COLOUR, NEW_COLOUR = "#7f7f7f", "#1f77b4"
# Metrics that cannot leave [0, 1] (the scores tasks.py lists, r2 aside, which can go below
# zero); the others get an axis from zero (or their lowest value)
# to a round number above the largest.
UNIT_INTERVAL = {name for name, higher in HIGHER_IS_BETTER.items() if higher} - {"r2"}
Floats = npt.NDArray[np.float64]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^n at or above `value` (positive)."""
    return round_step(value, 1)


def value_axis(metric: str, values: Sequence[float]) -> tuple[float, float]:
    """(low, high) of the value axis: the unit interval for bounded metrics; otherwise from
    zero (or below the lowest negative value) to a round number above the highest."""
    if metric in UNIT_INTERVAL:
        return 0.0, 1.0
    high = max([*values, 0.0])
    low = min([*values, 0.0])
    top = nice_ceiling(high) if high > 0 else 0.0
    bottom = -nice_ceiling(-low) if low < 0 else 0.0
    if metric == "r2":
        top = 1.0
    return bottom, top if top > bottom else bottom + 1.0


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else "0"


def _opening(colours: Sequence[str]) -> list[str]:
    """A Mermaid block's first lines, with the series' colours in its front matter."""
    return [
        "```mermaid",
        "---",
        "config:",
        "  themeVariables:",
        "    xyChart:",
        f'      plotColorPalette: "{", ".join(colours)}"',
        "---",
        "xychart-beta",
    ]


def bar_chart(title: str, metric: str, bars: Sequence[tuple[str, float]]) -> list[str]:
    """A Mermaid bar chart of named values on `value_axis`."""
    low, high = value_axis(metric, [value for _, value in bars])
    names = ", ".join(f'"{name}"' for name, _ in bars)
    values = ", ".join(f"{value:.4f}" for _, value in bars)
    return [
        *_opening([NEW_COLOUR]),
        f'  title "{title}"',
        f"  x-axis [{names}]",
        f'  y-axis "{metric}" {_number(low)} --> {_number(high)}',
        f"  bar [{values}]",
        "```",
    ]


def line_chart(
    title: str, x_label: str, x_range: tuple[float, float], y_label: str, lines: Sequence[Floats]
) -> list[str]:
    """A Mermaid chart of lines over a numeric x-axis (values evenly spaced along it)."""
    low = min(0.0, *(float(np.min(line)) for line in lines))
    high = max(float(np.max(line)) for line in lines)
    top = 1.0 if low >= 0 and high <= 1 else nice_ceiling(max(high, 1e-9))
    bottom = 0.0 if low >= 0 else -nice_ceiling(-low)
    colours = [BASE_COLOUR, NEW_COLOUR][-len(lines) :]
    rows = [
        *_opening(colours),
        f'  title "{title}"',
        f'  x-axis "{x_label}" {_number(x_range[0])} --> {_number(x_range[1])}',
        f'  y-axis "{y_label}" {_number(bottom)} --> {_number(top)}',
    ]
    rows += [f"  line [{', '.join(f'{v:.4f}' for v in line)}]" for line in lines]
    return [*rows, "```"]


def curve_charts(base: Outcomes | None, new: Outcomes) -> list[str]:
    """Base (grey) against this PR (blue): ROC and precision-recall curves for a
    binary classifier, residual quantiles for regression; nothing for multiclass."""
    grid = even_grid(0.0, 1.0, CURVE_STEP)
    models = [m for m in (base, new) if m is not None]
    legend = "base (grey) vs this PR (blue)" if base is not None else "this PR"
    if new.task == "regression":
        levels = even_grid(*QUANTILES, CURVE_STEP)
        lines = [
            np.quantile(m.y_true.astype(float) - m.y_pred.astype(float), levels) for m in models
        ]
        return line_chart(
            f"Residual (actual - predicted) quantiles: {legend}",
            "quantile",
            QUANTILES,
            "residual",
            lines,
        )
    if new.task != "binary_classification":
        return []
    roc, precision = [], []
    for model in models:
        assert model.probabilities is not None and model.classes is not None
        scores = model.probabilities[:, list(model.classes).index(model.positive_label)]
        tables = binary_curves(model.y_true, scores, model.positive_label)
        curve = tables["roc.csv"]
        roc.append(on_grid(curve["fpr"].to_numpy(), curve["tpr"].to_numpy(), grid))
        curve = tables["precision_recall.csv"]
        precision.append(on_grid(curve["recall"].to_numpy(), curve["precision"].to_numpy(), grid))
    return [
        *line_chart(
            f"ROC curve: {legend}", "false positive rate", (0, 1), "true positive rate", roc
        ),
        "",
        *line_chart(f"Precision-recall: {legend}", "recall", (0, 1), "precision", precision),
    ]
