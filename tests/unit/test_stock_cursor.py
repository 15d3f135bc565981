"""The stock publisher's cursor (`integrations.stock.changes.advance`): a pending mark becomes
safe only once the lookback has passed since it was taken."""

from __future__ import annotations

import datetime as dt

from integrations.stock.changes import advance
from integrations.stock.models import StockCursor

T0 = dt.datetime(2026, 12, 5, 12, 0, 0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def marks(c: StockCursor) -> tuple[int, int | None, dt.datetime | None]:
    return c.safe_movement_id, c.pending_movement_id, c.pending_since


def test_pending_waits_for_the_lookback_then_becomes_safe():
    c = StockCursor(name="stock.changed", safe_movement_id=0)
    advance(c, 100, at(0), 120)
    assert marks(c) == (0, 100, at(0))
    advance(c, 150, at(5), 120)       # too soon: movement 90 may still be uncommitted
    assert marks(c) == (0, 100, at(0))
    advance(c, 400, at(120), 120)     # every id up to 100 was taken before T0: committed now
    assert marks(c) == (100, 400, at(120))


def test_nothing_new_takes_no_pending_mark():
    c = StockCursor(name="stock.changed", safe_movement_id=70)
    advance(c, 70, at(0), 120)
    assert marks(c) == (70, None, None)


def test_without_lookback_the_mark_is_promoted_by_the_next_pass():
    c = StockCursor(name="stock.changed", safe_movement_id=0)
    advance(c, 10, at(0), 0)
    advance(c, 12, at(5), 0)
    assert marks(c) == (10, 12, at(5))
