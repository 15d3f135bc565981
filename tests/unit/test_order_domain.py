"""The order's rules, written once in oms.domain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from core.errors import Conflict
from oms.domain import (
    LineCounts,
    check_transition,
    fulfil,
    open_subtotal,
    open_units,
    promise_refusal,
    rolled_up_status,
    unallocate,
    unplaced_units,
)


@dataclass
class Line:
    quantity: int
    allocated: int = 0
    backordered: int = 0
    fulfilled: int = 0
    cancelled: int = 0
    unit_price: Decimal = Decimal("10.00")


def test_open_and_unplaced_units():
    line = Line(quantity=10, allocated=3, backordered=2, fulfilled=1, cancelled=1)
    assert open_units(line) == 8
    assert unplaced_units(line) == 3
    assert LineCounts(10, 3, 2, 1, 1).unplaced == 3


def test_fulfil_moves_allocated_units_and_refuses_more_than_allocated():
    line = Line(quantity=3, allocated=2)
    fulfil(line, 2)
    assert (line.allocated, line.fulfilled) == (0, 2)
    with pytest.raises(Conflict):
        fulfil(line, 1)
    with pytest.raises(Conflict):
        fulfil(Line(quantity=1, allocated=1), 0)


def test_unallocate_never_goes_below_zero():
    line = Line(quantity=3, allocated=2)
    unallocate(line, 2)
    assert line.allocated == 0
    with pytest.raises(Conflict):
        unallocate(line, 1)


def test_open_subtotal_leaves_out_cancelled_units_exactly():
    lines = [Line(quantity=3, cancelled=1, unit_price=Decimal("19.99")),
             Line(quantity=1, unit_price=Decimal("0.01"))]
    assert open_subtotal(lines) == Decimal("39.99")
    assert open_subtotal([]) == Decimal("0")


@pytest.mark.parametrize(("lines", "routed", "status"), [
    ([LineCounts(2, 0, 0, 0, 0)], False, "received"),
    ([LineCounts(2, 2, 0, 0, 0)], True, "routed"),
    ([LineCounts(2, 1, 1, 0, 0)], True, "backordered"),
    ([LineCounts(2, 1, 0, 0, 0)], True, "needs_attention"),
    ([LineCounts(2, 1, 0, 1, 0)], True, "partially_fulfilled"),
    ([LineCounts(2, 0, 0, 1, 1)], True, "fulfilled"),
    ([LineCounts(2, 0, 0, 0, 2)], True, "cancelled"),
])
def test_status_rolls_up_from_line_counts(lines, routed, status):
    assert rolled_up_status(lines, routed_once=routed) == status


def test_illegal_transitions_are_refused():
    check_transition("routed", "fulfilled")
    check_transition("routed", "routed")
    with pytest.raises(Conflict):
        check_transition("cancelled", "routed")
    with pytest.raises(Conflict):
        check_transition("fulfilled", "routed")


TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(("promised", "method", "refused"), [
    (None, "ship", None),
    (None, "carry_out", None),                          # no promise: nothing to refuse
    (TODAY, "ship", None),                              # routing may find nobody: CS's case
    (TODAY + dt.timedelta(days=30), "pickup", None),
    (TODAY - dt.timedelta(days=1), "ship", "must not be before today (2026-12-04)"),
    (TODAY, "carry_out", "no delivery to promise"),
])
def test_which_promised_delivery_dates_an_order_may_carry(promised, method, refused):
    problem = promise_refusal(promised, method, TODAY)
    assert problem is None if refused is None else refused in (problem or "")
