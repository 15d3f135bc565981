"""How the store pages say when: how long until a pickup expires, as said at a counter."""

from __future__ import annotations

import datetime as dt

import pytest

from web.store.common import parse_time, store_time, time_left

NOW = dt.datetime(2026, 11, 30, 12, 0)


@pytest.mark.parametrize(("later", "said"), [
    (dt.timedelta(seconds=-5), "now"), (dt.timedelta(seconds=20), "1 min"),
    (dt.timedelta(minutes=5), "5 min"), (dt.timedelta(hours=3, minutes=10), "3 h 10 min"),
    (dt.timedelta(hours=12, minutes=30), "12 h"), (dt.timedelta(hours=47, minutes=59), "47 h"),
    (dt.timedelta(hours=71, minutes=59), "3 days"), (dt.timedelta(hours=100), "4 days")])
def test_time_left_is_rough_and_never_negative(later, said):
    assert time_left(NOW + later, NOW) == said


def test_api_timestamps_read_back_and_print_in_utc():
    at = parse_time("2026-11-30T14:05:00Z")
    assert at == dt.datetime(2026, 11, 30, 14, 5)
    assert store_time("2026-11-30T14:05:00Z") == "Mon 30 Nov, 14:05 UTC"
    assert time_left("2026-11-30T14:05:00Z", NOW) == "2 h 5 min"
    assert parse_time(None) is None and store_time(None) == "" and time_left(None) == ""
