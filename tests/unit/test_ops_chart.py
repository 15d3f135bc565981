"""The dashboard chart's geometry (web/chart.py): round axis tops, whole-number ticks, one
point per slot, a day line at each local midnight, a style per series."""

from __future__ import annotations

import datetime as dt

import pytest

from web import chart


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (6, 10), (11, 20),
                                            (21, 50), (51, 100), (480, 500), (501, 1000)])
def test_the_axis_top_is_the_next_1_2_5_step(value, top):
    assert chart.nice_ceiling(value) == top


@pytest.mark.parametrize("top", [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
def test_ticks_divide_the_top_into_whole_numbers(top):
    steps = chart.tick_count(top)
    assert 1 <= steps <= 5 and top % steps == 0


def test_one_point_per_slot_and_a_day_line_at_each_midnight():
    start = dt.datetime(2026, 3, 1, 22)
    slots = [start + dt.timedelta(hours=i) for i in range(30)]
    drawn = chart.line_chart(slots, [("web", "web", [0] * 29 + [7]), ("pos", "pos", [1] * 30)],
                             style_of={"web": 1, "pos": 2})
    web, pos = drawn.series
    assert len(web.points.split()) == 30 and web.total == 7 and pos.total == 30
    assert (web.color, web.dash) == chart.STYLES[1] and (pos.color, pos.dash) == chart.STYLES[2]
    assert [t.label for t in drawn.x_ticks] == ["Mon 2", "Tue 3"]  # the midnights
    assert [t.label for t in drawn.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    first_x, first_y = map(float, web.points.split()[0].split(","))
    last_x, last_y = map(float, web.points.split()[-1].split(","))
    assert first_x == chart.LEFT and last_x == chart.WIDTH - chart.RIGHT
    assert first_y == chart.HEIGHT - chart.BOTTOM                 # 0 on the axis
    assert last_y == pytest.approx(chart.TOP + (chart.HEIGHT - chart.TOP - chart.BOTTOM) * 0.3)


def test_no_series_still_draws_an_axis():
    drawn = chart.line_chart([dt.datetime(2026, 3, 1, h) for h in range(3)], [])
    assert drawn.series == () and [t.label for t in drawn.y_ticks] == ["0", "1"]
