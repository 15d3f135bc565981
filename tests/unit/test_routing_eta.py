"""Delivery estimates and promised dates in routing: business days, distance bands, handling by
node kind, and a promise that only nodes in time may serve. Pure: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from core.geo import distance_km
from fulfillment.routing import CostModel, Line, Node, RoutingError, RoutingRequest, route
from fulfillment.routing.eta import TransitTimes, business_days_after
from fulfillment.routing.explain import too_slow

FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
NYC = (40.7128, -74.0060)
NEAR = Node("dc-near", "warehouse", 40.52, -74.41, ships=True, pickup=False)  # ~40 km
FAR = Node("dc-far", "warehouse", 39.53, -119.81, ships=True, pickup=False)  # ~3,900 km
SOHO = Node("store-soho", "store", 40.7233, -74.0030, ships=True, pickup=True)


@pytest.mark.parametrize(("start", "days", "expected"), [
    (FRIDAY, 0, FRIDAY),
    (FRIDAY, 1, MONDAY),
    (FRIDAY, 2, date(2026, 12, 8)),
    (date(2026, 12, 5), 1, MONDAY),            # from a Saturday
    (MONDAY, 5, date(2026, 12, 14)),
])
def test_business_days_skip_weekends(start, days, expected):
    assert business_days_after(start, days) == expected


def test_transit_days_by_distance_band():
    transit = TransitTimes()
    assert [transit.transit_days(km) for km in (0, 250, 251, 800, 1599, 2999, 3001)] == [
        1, 1, 2, 2, 3, 4, 5]
    assert transit.handling_days("store") == transit.handling_days_store
    assert transit.arrival(MONDAY, "warehouse", 40) == date(2026, 12, 9)  # 1 + 1 business days


@pytest.mark.parametrize("bad", [
    {"bands": ((800.0, 2), (250.0, 1))},
    {"beyond_days": -1},
    {"handling_days_store": 1.5},
])
def test_transit_times_refuse_nonsense(bad):
    with pytest.raises(ValueError):
        TransitTimes(**bad)


def ship(*lines, **kw):
    # No wall-clock budget: the plan must not depend on how busy the machine is.
    return RoutingRequest(lines=tuple(lines), method="ship", destination=NYC,
                          **{"time_budget_ms": None, **kw})


def test_plan_carries_its_estimated_delivery_from_the_latest_package():
    plan = route(ship(Line("1", "A", 1), Line("2", "B", 1), today=MONDAY), [NEAR, FAR],
                 {"A": {"dc-near": 1}, "B": {"dc-far": 1}})
    assert plan.nodes() == ("dc-far", "dc-near")
    far_days = TransitTimes().transit_days(distance_km(FAR.latitude, FAR.longitude, *NYC))
    assert plan.estimated_delivery == business_days_after(MONDAY, 1 + far_days)
    [estimate] = [r for r in plan.reasons if r.code == "estimate"]
    assert estimate.startswith("estimated delivery Tue 15 Dec 2026 (the latest part: delivery "
                               "from dc-far (3,852 km))")


def test_no_estimate_without_today():
    plan = route(ship(Line("1", "A", 1)), [NEAR], {"A": {"dc-near": 1}})
    assert plan.estimated_delivery is None
    assert not any(r.code == "estimate" for r in plan.reasons)


def test_a_promise_uses_only_nodes_in_time_even_when_dearer():
    # Both hold A; distance is free and dc-far has priority, so it wins without a promise. It
    # cannot make a promise two business days out (5 days in transit).
    snap = {"A": {"dc-near": 1, "dc-far": 1}}
    nodes, free_km = [NEAR, replace(FAR, priority=5)], CostModel(per_km=0)
    assert route(ship(Line("1", "A", 1), today=MONDAY), nodes, snap, free_km).nodes() == (
        "dc-far",)
    promised = business_days_after(MONDAY, 2)
    plan = route(ship(Line("1", "A", 1), today=MONDAY, deliver_by=promised), nodes, snap,
                 free_km)
    assert plan.nodes() == ("dc-near",)
    assert plan.estimated_delivery == promised
    [skipped] = [r for r in plan.reasons if r.code == "promise"]
    assert skipped == ("skipped, too slow for the promised Wed 9 Dec 2026: dc-far (earliest "
                       "Tue 15 Dec 2026)")


def test_a_promise_nobody_can_keep_leaves_the_units_unfillable_not_backordered():
    promised = business_days_after(MONDAY, 2)
    request = ship(Line("1", "A", 2, backorder_allowed=True), today=MONDAY, deliver_by=promised)
    plan = route(request, [NEAR, FAR], {"A": {"dc-near": 1, "dc-far": 5}})
    assert [(a.node, a.quantity) for a in plan.allocations] == [("dc-near", 1)]
    assert plan.unfillable == (("1", 1),) and plan.backordered == ()
    [short] = [r for r in plan.reasons if r.code == "shortfall"]
    assert short == ("line 1 (SKU A): 1 unfillable (backorder not allowed), only 1 available "
                     "in the network in time for Wed 9 Dec 2026")


def test_pickup_ready_today_from_shelf_or_after_the_transfer_arrives():
    shelf = route(RoutingRequest((Line("1", "A", 1),), "pickup", pickup_node="store-soho",
                                 today=FRIDAY), [SOHO, NEAR], {"A": {"store-soho": 1}})
    assert shelf.estimated_delivery == FRIDAY
    assert any(r.code == "estimate" and r.startswith("ready for pickup Fri 4 Dec 2026")
               for r in shelf.reasons)
    moved = route(RoutingRequest((Line("1", "A", 1),), "pickup", pickup_node="store-soho",
                                 today=FRIDAY), [SOHO, NEAR], {"A": {"dc-near": 1}})
    assert [a.kind for a in moved.allocations] == ["transfer"]
    assert moved.estimated_delivery == date(2026, 12, 8)  # handling 1 + transit 1, from Friday


def test_a_promise_needs_today():
    with pytest.raises(RoutingError, match="today"):
        route(ship(Line("1", "A", 1), deliver_by=MONDAY), [NEAR], {"A": {"dc-near": 1}})


def test_nodes_too_slow_are_grouped_by_their_earliest_date_soonest_first():
    text = too_slow({"dc-reno": date(2026, 12, 8), "store-b": MONDAY, "dc-dallas": MONDAY},
                    FRIDAY)
    assert text == ("skipped, too slow for the promised Fri 4 Dec 2026: dc-dallas and store-b "
                    "(earliest Mon 7 Dec 2026); dc-reno (earliest Tue 8 Dec 2026)")
