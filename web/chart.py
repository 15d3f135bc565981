"""A line chart's geometry for a hand-written SVG template (`web/ops/_chart.html`): pure code,
no drawing library and nothing from a CDN. The template draws what this computes: one
polyline per series, the value axis with round ticks, a line and a label at each day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

# Okabe-Ito colours (told apart with the common colour-vision deficiencies) and a dash
# pattern per series, so that no series is told from another by colour alone.
STYLES = (("#0072B2", ""), ("#D55E00", "7 4"), ("#009E73", "2 3"), ("#CC79A7", "9 3 2 3"),
          ("#E69F00", "4 4"), ("#56B4E9", "12 4"), ("#000000", "1 5"))
WIDTH, HEIGHT = 860, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: tuple[int, ...]
    color: str
    dash: str
    points: str          # "x,y x,y ..." for <polyline points>

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: tuple[Series, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 x 10^k (at least 1) that is >= value: a readable axis top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def tick_count(top: int) -> int:
    """Steps that divide a `nice_ceiling` evenly into whole numbers: 1, 2 and 5 count one by
    one; 10^k in fifths, 2 x 10^k in quarters, 5 x 10^k in fifths."""
    if top <= 5:
        return top
    return 4 if str(top)[0] == "2" else 5


def line_chart(slots: Sequence[dt.datetime], series: Sequence[tuple[str, str, Sequence[int]]],
               *, style_of: dict[str, int] | None = None) -> LineChart:
    """`slots` are the x positions (local times, one per value); `series` are (key, label,
    values). A day line and label wherever a slot starts a day (local midnight)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = nice_ceiling(max((max(v, default=0) for _, _, v in series), default=0))
    span = max(len(slots) - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + plot_w * i / span, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h - plot_h * value / top_value, 1)

    drawn = []
    for i, (key, label, values) in enumerate(series):
        color, dash = STYLES[(style_of or {}).get(key, i) % len(STYLES)]
        points = " ".join(f"{x(j)},{y(v)}" for j, v in enumerate(values))
        drawn.append(Series(key, label, tuple(values), color, dash, points))
    steps = tick_count(top_value)
    y_ticks = tuple(Tick(y(top_value * k / steps), f"{top_value * k // steps}")
                    for k in range(steps + 1))
    # A day's label sits right of its line: none where it would run off the plot (the last
    # slot is labelled "now" by the template instead).
    x_ticks = tuple(Tick(x(i), f"{at:%a} {at.day}" if x(i) < WIDTH - RIGHT - 60 else "")
                    for i, at in enumerate(slots) if at.hour == 0 and at.minute == 0)
    return LineChart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, tuple(drawn), y_ticks, x_ticks)
