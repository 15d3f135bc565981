"""Promised delivery dates on orders, through HTTP on both databases: an express order is
routed only to nodes whose estimate makes the date, one nobody can keep waits for customer
service (never a backorder, nothing reserved for the units that cannot make it), and a rep
moves or drops the promise while re-routing. Dates are computed from today with the routing's
own business-day rule, so the tests do not depend on the weekday they run on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import read_session
from fulfillment import capacity
from fulfillment.planning import RoutingRules
from fulfillment.routing import CostModel
from fulfillment.routing.eta import business_days_after
from inventory import services
from oms import policy
from oms.jobs import retry_unplaced_orders
from oms.models import Order, OutboxEvent
from tests.e2e.test_orders_api import API, order, orders_count, placed
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

# From the test network to New York (tests/support.py, default TransitTimes): dc-east (16 km)
# and store-soho (3 km) deliver 2 business days out (1 handling + 1 transit); dc-central
# (Chicago, 1,150 km) 4 (1 + 3).
FAST, SLOW = 2, 4


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def days_out(days: int) -> dt.date:
    return business_days_after(capacity.today(), days)


def promised(external_id: str, when: dt.date | None, **kw) -> dict:
    body = order(external_id, **kw)
    body["fulfillment"]["promised_delivery_date"] = when.isoformat() if when else None
    return body


def codes(body: dict) -> list[str]:
    return [r["code"] for r in body["routing"]["reasons"]]


def reason(body: dict, code: str) -> str:
    return " | ".join(r["text"] for r in body["routing"]["reasons"] if r["code"] == code)


def outbox(order_id: int) -> list[tuple[str, dict]]:
    with read_session() as session:
        return [(e.topic, e.payload) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.aggregate_id == order_id)
            .order_by(OutboxEvent.id))]


def test_an_express_order_uses_only_nodes_that_make_the_date_even_when_dearer(channel,
                                                                           monkeypatch):
    # Distance free: a warehouse package (5.00 + 1.00) is cheaper than a store's (5.00 +
    # 3.00), so without a promise the Chicago warehouse wins over the SoHo store.
    monkeypatch.setattr(policy, "_current", policy.OrderPolicy(
        routing=RoutingRules(cost=CostModel(per_km=0))))
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    plain = placed(channel.post(f"{API}/orders", order("W-PLAIN")))
    assert [f["location"] for f in plain["fulfillments"]] == ["dc-central"]
    assert plain["routing"]["estimated_delivery"] == days_out(SLOW).isoformat()
    assert plain["fulfillment"]["promised_delivery_date"] is None

    express = placed(channel.post(f"{API}/orders", promised("W-EXPRESS", days_out(FAST))))
    assert express["status"] == "routed"
    assert [f["location"] for f in express["fulfillments"]] == ["store-soho"]
    assert express["fulfillment"]["promised_delivery_date"] == days_out(FAST).isoformat()
    assert express["routing"]["estimated_delivery"] == days_out(FAST).isoformat()
    assert reason(express, "promise").startswith("skipped, too slow for the promised ")
    assert "dc-central (earliest " in reason(express, "promise")
    assert express["routing"]["total_cost"] > plain["routing"]["total_cost"]
    assert balance("JKT-1", "store-soho")["reserved"] == 1
    assert balance("JKT-1", "dc-central")["reserved"] == 1  # the plain order's
    # Subscribers see the promise on every event of the order.
    assert {p["promised_delivery_date"] for _, p in outbox(express["id"])} == {
        days_out(FAST).isoformat()}
    assert {p["promised_delivery_date"] for _, p in outbox(plain["id"])} == {None}


def test_a_promise_nobody_can_keep_waits_for_cs_and_reserves_nothing_for_it(channel, cs):
    services.receive("JKT-1", "dc-east", 1, CAUSE)      # in time, but only one
    services.receive("JKT-1", "dc-central", 5, CAUSE)   # enough, too slow
    body = placed(channel.post(f"{API}/orders", promised(
        "W-LATE", days_out(FAST),
        lines=[{"sku": "JKT-1", "quantity": 2, "unit_price": "120.00"}])))
    [line] = body["lines"]
    assert body["status"] == "needs_attention"
    # Backorders are on by default, but a backorder cannot keep a promise.
    assert (line["allocated"], line["backordered"]) == (1, 0)
    assert body["routing"]["unfillable"] == [{"line_id": line["line_id"], "quantity": 1}]
    assert "promise" in codes(body) and "shortfall" in codes(body)
    assert "dc-central (earliest " in reason(body, "promise")
    assert "in time for" in reason(body, "shortfall")
    assert balance("JKT-1", "dc-east")["reserved"] == 1
    assert balance("JKT-1", "dc-central")["reserved"] == 0
    assert [(t, p["promised_delivery_date"]) for t, p in outbox(body["id"])
            if t == "order.needs_attention"] == [("order.needs_attention",
                                                  days_out(FAST).isoformat())]

    # The re-routing job keeps the promise: the slow node still gets nothing.
    assert retry_unplaced_orders() == 1
    # So does a re-route that does not mention it.
    again = placed(cs.post(f"{API}/orders/{body['id']}/reroute", {}), 200)
    assert again["status"] == "needs_attention"
    assert again["fulfillment"]["promised_delivery_date"] == days_out(FAST).isoformat()
    assert balance("JKT-1", "dc-central")["reserved"] == 0

    # The customer accepts a later date: re-routed against it, in one unit of work.
    later = days_out(SLOW)
    moved = placed(cs.post(f"{API}/orders/{body['id']}/reroute",
                           {"promised_delivery_date": later.isoformat()}), 200)
    assert moved["status"] == "routed"
    assert moved["fulfillment"]["promised_delivery_date"] == later.isoformat()
    assert moved["lines"][0]["allocated"] == 2
    assert moved["routing"]["estimated_delivery"] <= later.isoformat()
    assert "promise" not in codes(moved)
    assert balance("JKT-1", "dc-east")["reserved"] + balance(
        "JKT-1", "dc-central")["reserved"] == 2
    [change] = [e for e in moved["timeline"] if e["kind"] == "order.promise_changed"]
    assert change["actor"].startswith("key:")
    assert change["message"].startswith("promised delivery date changed from ")
    assert change["actor"] in change["message"]
    [updated] = [p for t, p in outbox(body["id"]) if t == "order.updated"]
    assert updated["promise"] == {"from": days_out(FAST).isoformat(), "to": later.isoformat()}
    assert updated["promised_delivery_date"] == later.isoformat()
    with read_session() as session:
        assert session.get(Order, body["id"]).promised_delivery_date == later


def test_dropping_the_promise_lets_routing_use_any_node(channel, cs):
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    # Nothing arrives today: handling alone takes a business day.
    body = placed(channel.post(f"{API}/orders", promised("W-TODAY", capacity.today())))
    assert body["status"] == "needs_attention"
    assert body["fulfillments"] == [] and body["routing"]["estimated_delivery"] is None
    assert balance("JKT-1", "dc-central")["reserved"] == 0

    dropped = placed(cs.post(f"{API}/orders/{body['id']}/reroute",
                             {"promised_delivery_date": None}), 200)
    assert dropped["status"] == "routed"
    assert dropped["fulfillment"]["promised_delivery_date"] is None
    assert [f["location"] for f in dropped["fulfillments"]] == ["dc-central"]
    assert dropped["routing"]["estimated_delivery"] == days_out(SLOW).isoformat()
    [change] = [e for e in dropped["timeline"] if e["kind"] == "order.promise_changed"]
    assert change["message"].endswith(
        f"to none (the customer agrees to wait) by {change['actor']}")
    assert balance("JKT-1", "dc-central")["reserved"] == 1


def test_a_pickup_promise_counts_the_transfer(channel):
    # Brooklyn has nothing: a transfer from dc-east (16 km) arrives 2 business days out.
    services.receive("JKT-1", "dc-east", 2, CAUSE)
    body = placed(channel.post(f"{API}/orders", promised(
        "W-PICK", days_out(1), method="pickup", pickup_location="store-brooklyn")))
    assert body["status"] == "needs_attention"
    assert balance("JKT-1", "dc-east")["reserved"] == 0
    ok = placed(channel.post(f"{API}/orders", promised(
        "W-PICK-2", days_out(FAST), method="pickup", pickup_location="store-brooklyn")))
    assert ok["status"] == "routed"
    assert ok["routing"]["estimated_delivery"] == days_out(FAST).isoformat()


@pytest.mark.parametrize(("value", "method", "words"), [
    ("yesterday", "ship", "must not be before today"),
    ("2026-02-30", "ship", "Not a valid date"),
    ("soon", "ship", "Not a valid date"),
    (7, "ship", "Not a valid date"),
    ("today", "carry_out", "no delivery to promise"),
])
def test_bad_promises_are_422_naming_the_field_and_write_nothing(channel, value, method,
                                                                 words):
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    when = {"yesterday": capacity.today() - dt.timedelta(days=1),
            "today": capacity.today()}.get(value)
    body = order("W-BAD", method=method, **({"location": "store-soho"}
                                            if method == "carry_out" else {}))
    body["fulfillment"]["promised_delivery_date"] = when.isoformat() if when else value
    before = movement_count()
    response = channel.post(f"{API}/orders", body)
    assert response.status_code == 422, response.get_json()
    problems = response.get_json()["error"]["fields"]
    assert words in " ".join(problems["fulfillment.promised_delivery_date"]), problems
    assert orders_count() == 0 and movement_count() == before


def test_a_bad_new_promise_on_reroute_is_422_and_changes_nothing(channel, cs):
    services.receive("JKT-1", "dc-east", 1, CAUSE)
    body = placed(channel.post(f"{API}/orders", promised("W-RR", days_out(FAST))))
    yesterday = capacity.today() - dt.timedelta(days=1)
    for value, words in [(yesterday.isoformat(), "must not be before today"),
                         ("31/12/2026", "Not a valid date")]:
        response = cs.post(f"{API}/orders/{body['id']}/reroute",
                           {"promised_delivery_date": value})
        assert response.status_code == 422, response.get_json()
        problems = response.get_json()["error"]["fields"]
        assert words in " ".join(problems["promised_delivery_date"]), problems
    after = placed(cs.get(f"{API}/orders/{body['id']}"), 200)
    assert after["fulfillment"]["promised_delivery_date"] == days_out(FAST).isoformat()
    assert after["fulfillments"] == body["fulfillments"]
    assert after["timeline"] == body["timeline"]
    assert balance("JKT-1", "dc-east")["reserved"] == 1
