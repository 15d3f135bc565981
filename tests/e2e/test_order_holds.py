"""Orders on hold: a Shopify order naming a SKU we do not know, or a till nobody mapped, is
kept as an order (on hold, with its reason, nothing reserved), found like any other, and
released by the periodic job or customer service once what it names exists; never twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.db import read_session
from integrations.shopify import shops
from inventory import services
from oms import holds
from oms.jobs import release_holds
from oms.models import Order, OutboxEvent
from tests.e2e.test_shopify_webhooks import (
    ORDER_ID,
    POS_LOCATION,
    SECRET,
    SHOP,
    deliver,
    events,
    line,
    load,
    run,
    shopify_orders,
    the_order,
    timeline,
)
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

API = "/api/v1"
HAT = dict(sku="HAT-1", name="Wool Hat", price="30.00", weight_grams=100)
UNMAPPED_TILL = 77001


@pytest.fixture
def shop(app, network):
    """As in test_shopify_webhooks: the shop configured, stock at dc-east and SoHo."""
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    for sku in ("JKT-1", "SOCK-1", "BOOT-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    return app.test_client()


def with_unknown_sku(sku: str = "HAT-1") -> dict:
    payload = load("orders_create")
    payload["line_items"][1]["sku"] = sku       # the sock line, renamed to a SKU we lack
    return payload


def outbox_topics(order_id: int) -> list[str]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent.topic).where(
            OutboxEvent.aggregate_id == order_id).order_by(OutboxEvent.id)))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [o["id"] for o in response.get_json()["items"]]


def test_unknown_sku_is_an_order_on_hold_found_by_cs_and_released_by_the_job(shop, cs,
                                                                            admin):
    moved = movement_count()
    assert deliver(shop, with_unknown_sku(), webhook_id="hold-1").status_code == 200
    [event] = events()
    assert event.status == "processed", event.last_error
    assert (event.result["on_hold"], event.result["hold_code"]) == (True, "unknown_sku")
    order = the_order()
    assert order.status == "on_hold"
    assert order.hold_code == "unknown_sku" and "HAT-1" in order.hold_reason
    assert order.hold_detail["unknown_skus"] == ["HAT-1"]
    assert [(ln.sku, ln.quantity, ln.allocated) for ln in order.lines] == [
        ("JKT-1", 2, 0), ("HAT-1", 1, 0)]
    assert order.customer_id is not None and order.email == "jon@example.com"
    assert order.ship_to["city"] == "New York" and str(order.subtotal) == "252.50"
    assert movement_count() == moved                       # reserves nothing
    assert [e.kind for e in timeline(order.id)] == ["order.received", "order.on_hold"]
    assert outbox_topics(order.id) == ["order.created", "order.on_hold"]

    # Customer service finds it like any order: email, surname, status list, customer view.
    for query in ({"q": "jon@example.com"}, {"q": "snow"}, {"status": "on_hold"}):
        assert ids(cs.get(f"{API}/orders", query_string=query)) == [order.id], query
    [summary] = cs.get(f"{API}/orders?status=on_hold").get_json()["items"]
    assert summary["hold"]["code"] == "unknown_sku"
    assert summary["hold"]["unknown_skus"] == ["HAT-1"]
    customer = cs.get(f"{API}/customers/{order.customer_id}").get_json()
    assert [o["status"] for o in customer["orders"]] == ["on_hold"]
    counts = cs.get(f"{API}/orders/on-hold").get_json()
    assert (counts["total"], counts["by_code"]) == (1, {"unknown_sku": 1})
    assert counts["unknown_skus"] == [{"sku": "HAT-1", "orders": 1}]

    # The same order again (redelivery, another subscription, orders/updated): one order.
    assert deliver(shop, with_unknown_sku(), webhook_id="hold-1").json == {
        "status": "duplicate"}
    deliver(shop, with_unknown_sku(), webhook_id="hold-2")
    assert events()[-1].result["created"] is False
    assert len(shopify_orders()) == 1

    # The periodic job leaves it alone while the SKU is unknown (and says nothing more).
    assert release_holds() == 0
    assert the_order().status == "on_hold"
    assert len(timeline(order.id)) == 2

    created = admin.post(f"{API}/items", HAT)
    assert created.status_code == 201, created.get_json()
    services.receive("HAT-1", "dc-east", 4, CAUSE)
    assert release_holds() == 1
    order = the_order()
    assert order.status == "routed"
    assert order.hold_code is None and order.hold_reason is None and order.held_at is None
    assert (line(order, "JKT-1").allocated, line(order, "HAT-1").allocated) == (2, 1)
    assert balance("HAT-1", "dc-east")["reserved"] == 1
    assert balance("JKT-1", "dc-east")["reserved"] == 2
    assert "order.released_from_hold" in [e.kind for e in timeline(order.id)]
    assert "order.released_from_hold" in outbox_topics(order.id)
    assert release_holds() == 0                             # done once
    assert ids(cs.get(f"{API}/orders?status=on_hold")) == []
    assert len(shopify_orders()) == 1
    assert_ledger_clean()


def test_cs_release_is_409_with_what_is_missing_then_200(shop, cs, channel):
    deliver(shop, with_unknown_sku("HAT-9"))
    order_id = the_order().id
    refused = cs.post(f"{API}/orders/{order_id}/release-hold")
    assert refused.status_code == 409
    assert "HAT-9" in refused.get_json()["error"]["message"]
    assert refused.get_json()["error"]["details"]["hold_code"] == "unknown_sku"
    assert channel.post(f"{API}/orders/{order_id}/release-hold").status_code == 403
    # Nothing else routes a held order behind the hold's back.
    assert cs.post(f"{API}/orders/{order_id}/reroute", json={}).status_code == 409
    assert cs.post(f"{API}/orders/{order_id}/lines", json={"lines": [
        {"sku": "JKT-1", "quantity": 1, "unit_price": "1.00"}]}).status_code == 409

    services.create_item(dict(HAT, sku="HAT-9"))   # no stock: it waits as a backorder
    released = cs.post(f"{API}/orders/{order_id}/release-hold")
    assert released.status_code == 200, released.get_json()
    body = released.get_json()
    assert body["status"] == "backordered" and body["hold"] is None
    assert any(e["kind"] == "order.released_from_hold" for e in body["timeline"])
    assert balance("JKT-1", "dc-east")["reserved"] == 2
    again = cs.post(f"{API}/orders/{order_id}/release-hold")
    assert again.status_code == 409 and "not on hold" in again.get_json()["error"]["message"]
    assert cs.post(f"{API}/orders/999999/release-hold").status_code == 404
    assert_ledger_clean()


def test_pos_sale_at_an_unmapped_till_is_held_until_add_shop_maps_it(shop, app, cs):
    payload = load("orders_create_pos")
    payload["location_id"] = UNMAPPED_TILL
    deliver(shop, payload)
    [event] = events()
    assert event.status == "processed", event.last_error
    order = the_order(450789469)
    assert (order.status, order.hold_code) == ("on_hold", "unmapped_location")
    assert str(UNMAPPED_TILL) in order.hold_reason
    assert (order.fulfillment_method, order.location_code) == ("carry_out", None)
    assert balance("JKT-1", "store-soho")["on_hand"] == 5
    refused = cs.post(f"{API}/orders/{order.id}/release-hold")
    assert refused.status_code == 409 and str(UNMAPPED_TILL) in refused.get_json()["error"][
        "message"]
    assert cs.get(f"{API}/orders/on-hold").get_json()["unmapped_locations"] == [
        {"location": f"{SHOP} {UNMAPPED_TILL}", "orders": 1}]

    mapped = run(app, "integrations", "shopify", "add-shop", SHOP, "--location",
                 f"{UNMAPPED_TILL}=store-soho")
    assert mapped.exit_code == 0, mapped.output
    assert release_holds() == 1
    order = the_order(450789469)
    assert (order.status, order.location_code) == ("fulfilled", "store-soho")
    assert balance("JKT-1", "store-soho")["on_hand"] == 4     # the sale is booked now
    assert len(shopify_orders()) == 1
    assert_ledger_clean()


def test_a_till_mapped_while_a_sku_is_still_unknown_waits_for_the_sku(shop, app):
    payload = load("orders_create_pos")
    payload["location_id"] = UNMAPPED_TILL
    payload["line_items"][0]["sku"] = "HAT-1"
    deliver(shop, payload)
    order = the_order(450789469)
    assert order.hold_code == "unmapped_location" and "HAT-1" in order.hold_reason
    run(app, "integrations", "shopify", "add-shop", SHOP, "--location",
        f"{UNMAPPED_TILL}=store-soho")
    assert release_holds() == 0
    order = the_order(450789469)
    assert (order.hold_code, order.location_code) == ("unknown_sku", "store-soho")
    assert "order.hold_updated" in [e.kind for e in timeline(order.id)]
    services.create_item(HAT)
    services.receive("HAT-1", "store-soho", 2, CAUSE)
    assert release_holds() == 1
    assert the_order(450789469).status == "fulfilled"
    assert balance("HAT-1", "store-soho")["on_hand"] == 1
    assert_ledger_clean()


def test_an_edit_on_shopify_refreshes_the_held_order_and_releases_it_when_it_can(shop):
    deliver(shop, with_unknown_sku())
    order_id = the_order().id
    still = with_unknown_sku()
    still["updated_at"] = "2025-11-20T11:00:00-05:00"
    still["line_items"][0]["current_quantity"] = 1        # one jacket removed on Shopify
    still["shipping_address"]["city"] = "Brooklyn"
    deliver(shop, still, topic="orders/updated")
    event = events()[-1]
    assert event.status == "processed", event.last_error
    assert event.result["on_hold"] is True
    order = the_order()
    assert order.id == order_id and order.status == "on_hold"
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("JKT-1", 1), ("HAT-1", 1)]
    assert order.ship_to["city"] == "Brooklyn"
    assert len(timeline(order_id, "shopify.hold_refreshed")) == 1

    stale = with_unknown_sku()          # older than what we hold now
    deliver(shop, stale, topic="orders/updated")
    assert (events()[-1].status, events()[-1].result["reason"]) == ("ignored", "stale")

    fixed = load("orders_updated")      # the SKU corrected on Shopify: released and routed
    fixed["updated_at"] = "2025-11-20T12:00:00-05:00"
    deliver(shop, fixed, topic="orders/updated")
    event = events()[-1]
    assert event.status == "processed", event.last_error
    assert event.result["on_hold"] is False and event.result["status"] == "routed"
    order = the_order()
    assert [(ln.sku, ln.quantity, ln.allocated) for ln in order.lines] == [
        ("JKT-1", 1, 1), ("SOCK-1", 1, 1)]
    assert balance("JKT-1", "dc-east")["reserved"] == 1
    assert len(shopify_orders()) == 1
    assert_ledger_clean()


def test_orders_updated_for_an_unknown_order_with_an_unknown_sku_holds_it(shop):
    payload = load("orders_updated")
    payload["line_items"][1]["sku"] = "HAT-1"
    deliver(shop, payload, topic="orders/updated")
    event = events()[-1]
    assert event.status == "processed", event.last_error
    order = the_order()
    assert order.status == "on_hold"
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("JKT-1", 1), ("HAT-1", 1)]


def test_a_held_order_cancelled_on_shopify_is_cancelled_here(shop, cs):
    deliver(shop, with_unknown_sku())
    moved = movement_count()
    deliver(shop, load("orders_cancelled"), topic="orders/cancelled")
    assert events()[-1].status == "processed", events()[-1].last_error
    order = the_order()
    assert order.status == "cancelled" and order.hold_code is None
    assert movement_count() == moved
    assert release_holds() == 0
    assert_ledger_clean()


def test_a_partial_cancel_keeps_the_order_on_hold_and_a_cancelled_unknown_line_frees_it(
        shop, cs):
    deliver(shop, with_unknown_sku())
    order = the_order()
    hat = line(order, "HAT-1")
    response = cs.post(f"{API}/orders/{order.id}/cancel",
                       json={"lines": [{"line_id": hat.id, "quantity": 1}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "on_hold"
    assert release_holds() == 1                 # only JKT-1 is left, and it is known
    assert the_order().status == "routed"
    assert balance("JKT-1", "dc-east")["reserved"] == 2
    assert_ledger_clean()


def test_orders_stuck_on_hold_do_not_starve_newer_ones(shop):
    for n, sku in enumerate(("NEVER-1", "NEVER-2", "HAT-1")):
        payload = with_unknown_sku(sku)
        payload["id"] = ORDER_ID + n
        deliver(shop, payload)
    services.create_item(HAT)
    services.receive("HAT-1", "dc-east", 1, CAUSE)
    assert holds.release_held(batch=1) == 1            # the newest, behind two stuck ones
    assert the_order(ORDER_ID + 2).status == "routed"
    assert [the_order(ORDER_ID + n).status for n in (0, 1)] == ["on_hold", "on_hold"]
    assert_ledger_clean()


@pytest.mark.postgres_only
def test_releasing_one_held_order_from_many_workers_at_once_releases_it_once(shop):
    deliver(shop, with_unknown_sku())
    order_id = the_order().id
    services.create_item(HAT)
    services.receive("HAT-1", "dc-east", 3, CAUSE)
    results, errors = [], []
    start = threading.Barrier(6)

    def worker() -> None:
        try:
            start.wait()
            results.append(holds.release(order_id, actor="test", source="test").released)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [False] * 5 + [True]
    assert len(timeline(order_id, "order.released_from_hold")) == 1
    assert balance("HAT-1", "dc-east")["reserved"] == 1
    assert balance("JKT-1", "dc-east")["reserved"] == 2
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert_ledger_clean()


def test_the_hold_check_constraint_pins_reason_to_status(shop):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from core.db import unit_of_work

    deliver(shop, with_unknown_sku())
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.session.execute(update(Order).values(hold_code=None))
        uow.commit()
