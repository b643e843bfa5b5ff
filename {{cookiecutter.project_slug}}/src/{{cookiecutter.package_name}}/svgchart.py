"""Charts as inline SVG for the pages the project writes (the operations report, the model card):
bars side by side per category, or points joined between neighbours, on round ticks (axes.py),
with axis titles and units. The SVG carries no script and loads nothing."""

import math
from dataclasses import dataclass
from html import escape
from itertools import pairwise

from .axes import round_step

# More category labels than this on one axis overlap even rotated: then one in k is written.
MAX_LABELS = 26
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 320, 64, 16, 30, 100
COLORS, MARK = ("#4c78a8", "#e45756", "#f58518", "#54a24b"), "#b07aa1"
# The charts' own style, for a page that has none for them (a page may include it once).
CHART_STYLE = (
    "svg text{font:11px system-ui,sans-serif;fill:#1b1f24}svg .title{font-size:13px;"
    "font-weight:600}svg .grid{stroke:#e6e9ed}svg .axis{stroke:#57606a}"
)


@dataclass
class Chart:
    """An SVG chart: bars side by side in each category, or points joined between neighbours."""

    labels: tuple[str, str, str]  # title, x axis, y axis with its unit
    categories: list[str]
    series: dict[str, list[float | None]]
    bars: bool = True
    from_zero: bool = True  # else from a round value below the smallest value
    top: float | None = None
    marked: str = ""  # the category drawn as a diamond, e.g. the version in production
    mark_label: str = ""

    def svg(self, styled: bool = False) -> str:
        """The chart, or nothing when it has no value to show; `styled` carries CHART_STYLE
        inside it, for a page without it."""
        if all(v is None for series in self.series.values() for v in series):
            return ""
        ticks, band = self.axis(), (WIDTH - LEFT - RIGHT) / max(len(self.categories), 1)
        marks = (self.columns if self.bars else self.points)(ticks, band)
        head = f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img"'
        body = "".join(self.frame(ticks, band) + marks + self.legend())
        body = f"<style>{CHART_STYLE}</style>{body}" if styled else body
        label = escape(self.labels[0])
        return f'<svg xmlns="http://www.w3.org/2000/svg" {head} aria-label="{label}">{body}</svg>'

    def axis(self) -> list[float]:
        """Round ticks from 0 (or a round value below the smallest value) up past the largest."""
        values = [v for series in self.series.values() for v in series if v is not None]
        high = self.top if self.top is not None else max(values, default=0.0)
        low = 0.0 if self.from_zero else min(values, default=0.0)
        span = high - low if high > low else abs(high) / 10 or 1.0
        # About five steps of 1, 2 or 5 times a power of ten; whole ones for counts.
        whole = all(isinstance(v, int) for v in values)
        step = max(round_step(span, 5), 1.0) if whole else round_step(span, 5)
        start = 0.0 if self.from_zero else math.floor(round(low / step, 9)) * step
        start -= step if start >= low and not self.from_zero else 0.0
        count = max(1, math.ceil(round((high - start) / step, 9)))
        return [round(start + i * step, 10) for i in range(count + 1)]

    @staticmethod
    def y(ticks: list[float], value: float) -> float:
        low, high = ticks[0], ticks[-1]
        return HEIGHT - BOTTOM - (value - low) / (high - low) * (HEIGHT - BOTTOM - TOP)

    def frame(self, ticks: list[float], band: float) -> list[str]:
        """Title, grid, axes with their labels and units, and the categories' labels."""
        (title, x_label, y_label), bottom = self.labels, HEIGHT - BOTTOM
        every = math.ceil(len(self.categories) / MAX_LABELS)
        x_label += f" (one in {every} labelled; all are in the table)" if every > 1 else ""
        longest = max((len(name) for name in self.categories), default=0)
        turn = len(self.categories) > 8 or longest * 7 > band
        out = [
            f'<text x="{LEFT}" y="16" class="title">{escape(title)}</text>',
            f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" class="axis"/>',
            f'<text transform="translate(14,{(TOP + bottom) / 2:.0f}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>',
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{HEIGHT - 6 if turn else bottom + 36}"'
            f' text-anchor="middle">{escape(x_label)}</text>',
        ]
        for tick in ticks:
            y, kind = self.y(ticks, tick), "axis" if tick == ticks[0] else "grid"
            out.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="{kind}"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
            )
        rotate, anchor = (" rotate(-40)", "end") if turn else ("", "middle")
        for index in range(0, len(self.categories), every):
            at = f"translate({LEFT + band * (index + 0.5):.1f},{bottom + 14}){rotate}"
            name = self.categories[index]
            name = escape(name if len(name) <= 14 else "…" + name[-13:])
            out.append(f'<text transform="{at}" text-anchor="{anchor}">{name}</text>')
        return out

    def columns(self, ticks: list[float], band: float) -> list[str]:
        """Bars from the axis, with their values written above when there is room."""
        out, base = [], self.y(ticks, ticks[0])
        width = min(band * 0.8, 48 * len(self.series)) / len(self.series)
        labelled = len(self.categories) * len(self.series) <= MAX_LABELS
        for j, values in enumerate(self.series.values()):
            for i, value in enumerate(values):
                x = LEFT + band * (i + 0.5) + (j - len(self.series) / 2) * width
                centre = f'x="{x + width / 2:.1f}" text-anchor="middle"'
                if value is None:
                    out.append(f'<text {centre} y="{base - 4:.1f}">n/a</text>')
                    continue
                top, color = self.y(ticks, value), COLORS[j % len(COLORS)]
                out.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
                    f'height="{base - top:.1f}" fill="{color}"/>'
                )
                text = f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
                out += [f'<text {centre} y="{top - 4:.1f}">{text}</text>'] if labelled else []
        return out

    def points(self, ticks: list[float], band: float) -> list[str]:
        """Points joined between neighbouring categories; the marked category's as a diamond."""
        out = []
        for j, values in enumerate(self.series.values()):
            color = COLORS[j % len(COLORS)]
            found = [(i, value) for i, value in enumerate(values) if value is not None]
            spots = [(i, LEFT + band * (i + 0.5), self.y(ticks, value)) for i, value in found]
            out += [
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{color}"/>'
                for (i, x1, y1), (k, x2, y2) in pairwise(spots)
                if k == i + 1
            ]
            for i, x, y in spots:
                if self.marked and self.categories[i] == self.marked:
                    out.append(f'<path d="M{x:.1f} {y - 8:.1f}l8 8-8 8-8-8z" fill="{MARK}"/>')
                else:
                    out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
        return out

    def legend(self) -> list[str]:
        """Each series' colour and the marked category's diamond, when there is more than one."""
        items = [(name, COLORS[j % len(COLORS)], False) for j, name in enumerate(self.series)]
        items += [(self.mark_label, MARK, True)] if self.marked else []
        out, x = [], WIDTH - RIGHT - sum(24 + 7 * len(label) for label, _, _ in items)
        for label, color, diamond in items if len(items) > 1 else []:
            shape = f'<rect x="{x}" y="6" width="10" height="10" fill="{color}"/>'
            if diamond:
                shape = f'<path d="M{x + 5} 5l6 6-6 6-6-6z" fill="{color}"/>'
            out.append(f'{shape}<text x="{x + 14}" y="15">{escape(label)}</text>')
            x += 24 + 7 * len(label)
        return out
