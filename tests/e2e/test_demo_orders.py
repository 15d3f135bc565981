"""`flask oms demo` loads a week of orders through the real use cases, once: what the staff
pages show a first-time user (CS search, SoHo's pick list, pickups in each state)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.db import read_session, utcnow
from fulfillment.models import Fulfillment
from oms.models import Order, OutboxEvent, TimelineEvent
from returns.models import Return
from tests.support import assert_ledger_clean, movement_count

SOHO = "store-nyc-soho"


def run_demo(app) -> str:
    result = app.test_cli_runner().invoke(args=["oms", "demo"])
    assert result.exit_code == 0, result.stderr or result.output
    return result.stdout.strip().splitlines()[-1]


def counts() -> dict[str, int]:
    with read_session() as session:
        out = {model.__name__: session.scalar(select(func.count()).select_from(model))
               for model in (Order, TimelineEvent, Fulfillment, Return, OutboxEvent)}
    return {**out, "movements": movement_count()}


def test_demo_orders_load_once_through_the_use_cases(app, as_role):
    first = run_demo(app)
    loaded = counts()
    assert first.startswith("demo orders: ") and " 0 already there" in first, first
    assert 150 <= loaded["Order"] <= 300
    assert_ledger_clean()

    second = run_demo(app)
    assert second.startswith("demo orders: 0 added"), second
    assert counts() == loaded   # nothing placed, stepped, recorded or moved again
    assert_ledger_clean()

    with read_session() as session:
        orders = session.scalars(select(Order)).all()
        now = utcnow()
        assert all(now - dt.timedelta(days=7) <= o.created_at <= now for o in orders)
        assert max(o.created_at for o in orders) - min(o.created_at for o in orders) \
            > dt.timedelta(days=5)
        assert {o.channel for o in orders} >= {"web", "shopify", "pos", "marketplace"}
        assert {o.status for o in orders} >= {"fulfilled", "routed", "cancelled", "on_hold",
                                              "backordered"}
        shipped = session.scalars(select(Fulfillment).where(
            Fulfillment.status == "shipped")).all()
        assert shipped and all(f.tracking_number for f in shipped)
        assert all(f.shipped_at is not None and f.shipped_at <= now for f in shipped)
        soho = session.scalars(select(Fulfillment).where(
            Fulfillment.location_code == SOHO)).all()
        ready = [f for f in soho if f.status == "ready_for_pickup"]
        assert any(f.pickup_expires_at is not None
                   and f.pickup_expires_at - now < dt.timedelta(hours=6) for f in ready)
        assert {f.status for f in soho if f.method == "pickup"} >= {
            "pending", "ready_for_pickup", "picked_up"}
        back = session.scalars(select(Return).where(Return.location_code == SOHO)).all()
        assert {r.status for r in back} == {"received"}
        assert any(r.exchange_order_id for r in back)
        customer = next(o for o in orders if o.channel == "web" and o.customer_name
                        and o.phone)
        surname, phone, number = (customer.customer_name.split()[-1], customer.phone,
                                  customer.number)

    cs = as_role("cs")
    for q in (surname, phone[-7:], number.split("-")[-1]):
        found = cs.get("/api/v1/orders", query_string={"q": q})
        assert found.status_code == 200, found.get_json()
        assert number in [o["number"] for o in found.get_json()["items"]], q

    store = as_role("store", SOHO)
    work = store.get("/api/v1/pick-lists", query_string={"location": SOHO})
    assert work.status_code == 200, work.get_json()
    methods = {f["method"] for f in work.get_json()["items"]}
    assert methods >= {"ship", "pickup"}, methods


def test_the_demo_plan_is_the_same_whatever_the_hour_of_loading():
    from oms.demo_orders import plan_orders

    def content(now: dt.datetime) -> list:
        return sorted((p.channel, p.external_id, p.lines, p.person) for p in plan_orders(now))

    morning = dt.datetime(2026, 12, 1, 1, 0)
    assert content(morning) == content(morning + dt.timedelta(hours=13, minutes=7))
    assert 150 <= len(content(morning)) <= 300
