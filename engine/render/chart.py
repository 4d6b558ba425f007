"""A sweep :class:`Chart` → plot geometry for an inline SVG (stage: render; pure).

One small plot per series (each indicator on its own 0–分值 scale, the total on the range it spans),
so a reviewer sees where each step or slope is. Coordinates are computed with ``Decimal`` and printed
with one decimal, so the same chart always gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from engine import decimals
from engine.render.page import Chart, Series

__all__ = ["Plot", "plots"]

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 22, 40
TICKS = 6


@dataclass(frozen=True, slots=True)
class Plot:
    """One plot, ready for the template: every number is already a string."""

    title: str
    x_label: str
    line: str
    dots: tuple[tuple[str, str, str], ...]
    x_ticks: tuple[tuple[str, str], ...]
    y_ticks: tuple[tuple[str, str], ...]
    marker: tuple[str, str] | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def plots(chart: Chart) -> tuple[Plot, ...]:
    """One plot per series of ``chart``, sharing the x axis."""
    xs = [x for x, _ in chart.series[0].points]
    x_lo, x_hi = min(xs), max(xs)
    return tuple(_plot(chart, s, x_lo, x_hi) for s in chart.series)


def _plot(chart: Chart, series: Series, x_lo: Decimal, x_hi: Decimal) -> Plot:
    ys = [y for _, y in series.points]
    y_lo, y_hi = _y_range(ys, series.y_max)

    def px(x: Decimal) -> Decimal:
        span = x_hi - x_lo or Decimal(1)
        return LEFT + (x - x_lo) / span * (WIDTH - LEFT - RIGHT)

    def py(y: Decimal) -> Decimal:
        return HEIGHT - BOTTOM - (y - y_lo) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM)

    points = [(_n(px(x)), _n(py(y)), f"{decimals.fmt(x)} → {decimals.fmt(y)}") for x, y in series.points]
    step = max(1, math.ceil((len(series.points) - 1) / (TICKS - 1)))
    x_ticks = tuple((_n(px(x)), decimals.fmt(x)) for x, _ in series.points[::step])
    y_ticks = tuple((_n(py(y)), decimals.fmt(y)) for y in (y_lo, (y_lo + y_hi) / 2, y_hi))
    marker = None
    if chart.marker is not None and x_lo <= chart.marker <= x_hi:
        marker = (_n(px(chart.marker)), chart.marker_label)
    return Plot(series.name, chart.x_label, " ".join(f"{x},{y}" for x, y, _ in points), tuple(points), x_ticks,
                y_ticks, marker)


def _y_range(ys: list[Decimal], y_max: Decimal | None) -> tuple[Decimal, Decimal]:
    """0 to the weight for an indicator; whole numbers around the values for the total.

    >>> _y_range([Decimal("94.622"), Decimal("100.622")], None)
    (Decimal('94'), Decimal('101'))
    >>> _y_range([Decimal(0), Decimal(6)], Decimal(6))
    (Decimal('0'), Decimal('6'))
    """
    if y_max is not None and y_max > 0:
        return Decimal(min(0, math.floor(min(ys)))), max(y_max, Decimal(math.ceil(max(ys))))
    lo, hi = Decimal(math.floor(min(ys))), Decimal(math.ceil(max(ys)))
    return (lo, hi) if hi > lo else (lo, lo + 1)


def _n(value: Decimal) -> str:
    """A coordinate with one decimal.

    >>> _n(Decimal("56")), _n(Decimal("123.456"))
    ('56.0', '123.5')
    """
    return decimals.fmt(decimals.quantize(value, 1, "half_up"), 1, 1)
