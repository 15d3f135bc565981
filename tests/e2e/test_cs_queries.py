"""The read side behind the customer-service pages, on both databases: tracking numbers as
people read them out, each line's amounts (cancelled units are the last ones, returned units
the positions the returns hold), a customer's lifetime value (paid - refunded) through
returns, refunds and exchanges, and one order's outbound sync per subscription with the
retry limited to that order's deliveries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.db import read_session
from core.errors import Conflict, NotFound
from fulfillment import queries as fulfillment_queries
from integrations.outbound import service as outbound
from inventory import services
from oms import cs_view, customer_value, queries
from tests.cs_scene import API, COLUMBUS, ok, ship, subscribe
from tests.e2e.test_outbound_webhooks import Receiver
from tests.support import CAUSE, assert_ledger_clean


@pytest.fixture(autouse=True)
def stocked(network):
    for sku, location, quantity in [("JKT-1", "dc-east", 10), ("SOCK-1", "dc-east", 20),
                                    ("BOOT-1", "store-soho", 2)]:
        services.receive(sku, location, quantity, CAUSE)
    yield
    assert_ledger_clean()


def place(channel, external_id: str, lines: list[dict], email: str = "pat@example.com") -> dict:
    return ok(channel.post(f"{API}/orders", {
        "channel": "web", "external_id": external_id, "currency": "USD",
        "customer": {"email": email, "name": "Pat Jones"}, "lines": lines,
        "fulfillment": {"method": "ship", "address": COLUMBUS}}), 201)


def line(sku: str, quantity: int, price: str, discount: str | None = None) -> dict:
    return {"sku": sku, "quantity": quantity, "unit_price": price,
            **({"discount": discount} if discount else {})}


def authorise(cs, order: dict, quantity: int, location: str = "dc-east", **extra) -> dict:
    return ok(cs.post(f"{API}/returns", {
        "order_id": order["id"], "location": location,
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": quantity,
                   "reason": "changed_mind"}], **extra}), 201)


def receive(as_role, ret: dict, location: str = "dc-east") -> dict:
    role = "wms" if location.startswith("dc-") else "store"
    return ok(as_role(role, location).post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": ln["line_id"], "quantity": ln["quantity"], "disposition": "restock"}
        for ln in ret["lines"]]}))


# ------------------------------------------------------------------ tracking numbers

def test_a_tracking_number_is_found_in_any_case_and_grouping(as_role, channel):
    order = place(channel, "W-T", [line("SOCK-1", 1, "12.50")])
    ship(as_role, order, tracking="1Z999AA10123456784")
    with read_session() as session:
        for typed in ("1Z999AA10123456784", "1z999aa10123456784", " 1Z 999 AA1 0123 456 784 ",
                      "1z-999-aa1-0123456784"):
            assert fulfillment_queries.orders_with_tracking(session, typed) == [order["id"]], \
                typed
        assert fulfillment_queries.orders_with_tracking(session, "1Z999") == []  # too short
        assert fulfillment_queries.orders_with_tracking(session, "1Z999AA10123456785") == []
    assert fulfillment_queries.tracking_forms("1z 999 aa1") == ["1z 999 aa1", "1Z999AA1"]
    assert fulfillment_queries.tracking_forms("1Z999AA1") == ["1Z999AA1"]
    found = queries.find_orders("1z999aa1 0123456784", 10, None)["items"]
    assert [o["id"] for o in found] == [order["id"]]


# ------------------------------------------------------------------ line amounts

def test_cancelled_units_are_the_lines_last_and_their_amount_matches_the_totals(channel, cs):
    # 3 x 10.00 less 1.00: the units carry 0.34, 0.33, 0.33 of the discount.
    order = place(channel, "W-C", [line("SOCK-1", 3, "10.00", discount="1.00")])
    ok(cs.post(f"{API}/orders/{order['id']}/cancel",
               {"lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1}]}))
    view = cs_view.order_page(order["id"])
    assert view["lines"][0]["amounts"] == {"paid": Decimal("29.00"),
                                           "cancelled": Decimal("9.67"),
                                           "returned": Decimal("0.00"),
                                           "kept": Decimal("19.33")}
    assert view["totals"]["total"] == "19.33"


def test_returned_amounts_are_the_units_the_returns_hold(as_role, channel, cs):
    order = place(channel, "W-R", [line("SOCK-1", 3, "10.00", discount="1.00")])
    ship(as_role, order)
    first = authorise(cs, order, 1)            # unit 0: 10.00 - 0.34
    assert cs_view.order_page(order["id"])["lines"][0]["amounts"]["returned"] == \
        Decimal("9.66")
    authorise(cs, order, 1)                    # unit 1: 10.00 - 0.33
    assert cs_view.order_page(order["id"])["lines"][0]["amounts"]["returned"] == \
        Decimal("19.33")
    # The first return cancelled: what is returned now is unit 1 alone, not "the first unit".
    ok(cs.post(f"{API}/returns/{first['id']}/cancel", {"reason": "kept it after all"}))
    amounts = cs_view.order_page(order["id"])["lines"][0]["amounts"]
    assert (amounts["returned"], amounts["kept"]) == (Decimal("9.67"), Decimal("19.33"))


# ------------------------------------------------------------------ lifetime value

def test_lifetime_value_is_paid_minus_refunded_through_returns_and_exchanges(as_role, channel,
                                                                            cs):
    a = place(channel, "W-A", [line("JKT-1", 2, "120.00")])
    ship(as_role, a)
    b = place(channel, "W-B", [line("SOCK-1", 1, "12.50")])
    ship(as_role, b)
    c = place(channel, "W-C", [line("JKT-1", 1, "120.00")])
    ok(cs.post(f"{API}/orders/{c['id']}/cancel", {}))
    customer = a["customer_id"]
    assert b["customer_id"] == c["customer_id"] == customer
    with read_session() as session:
        money = customer_value.customer_money(session, customer)
    assert (money.orders_paid, money.refunded, money.lifetime_value) == (
        Decimal("252.50"), Decimal("0.00"), Decimal("252.50"))

    receive(as_role, authorise(cs, a, 1))      # a jacket back: 120.00 refunded
    # The other jacket exchanged for boots at SoHo (160.00): 40.00 to pay on top.
    swap = authorise(cs, a, 1, location="store-soho",
                     exchange_lines=[{"sku": "BOOT-1", "quantity": 1}])
    ok(as_role("store", "store-soho").post(f"{API}/returns/{swap['id']}/exchange-payment",
                                           {"amount": "40.00", "reference": "till 2"}))
    page = cs_view.customer_page(customer, 25, None)
    money = page["money"]
    # The exchange order (160.00) is paid by the return, not by Pat: 240 + 12.50 + 0 + 40 top-up.
    assert (money.orders_paid, money.exchange_top_ups, money.refunded) == (
        Decimal("252.50"), Decimal("40.00"), Decimal("120.00"))
    assert money.lifetime_value == Decimal("172.50")   # 292.50 paid, 120.00 back
    receive(as_role, swap, "store-soho")       # its refund keeps 120.00 for the boots: 0.00
    assert cs_view.customer_page(customer, 25, None)["money"].lifetime_value == \
        Decimal("172.50")
    [web] = page["channels_used"]
    assert (web["channel"], web["orders"], web["total"]) == ("web", 4, Decimal("412.50"))
    assert len(page["orders"]["items"]) == 4


def test_customer_orders_come_a_page_at_a_time(channel):
    placed = [place(channel, f"W-P{i}", [line("SOCK-1", 1, "1.00")]) for i in range(5)]
    customer = placed[0]["customer_id"]
    first = cs_view.customer_orders(customer, 3, None)
    assert [o["id"] for o in first["items"]] == [p["id"] for p in placed[:1:-1]]
    rest = cs_view.customer_orders(customer, 3, first["next_cursor"])
    assert [o["id"] for o in rest["items"]] == [placed[1]["id"], placed[0]["id"]]
    assert rest["next_cursor"] is None


# ------------------------------------------------------------------ outbound sync of an order

@pytest.fixture
def receivers(monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "2")
    up, down = Receiver(), Receiver()
    down.mode = "fail"
    yield up, down
    up.stop()
    down.stop()


def test_one_orders_deliveries_per_subscription_and_its_retry(channel, receivers):
    up, down = receivers
    subscribe(up.url(), description="WMS")
    subscribe(down.url(), topics=("order.created",), description=None)
    order = place(channel, "W-S", [line("SOCK-1", 1, "12.50")])
    other = place(channel, "W-O", [line("SOCK-1", 1, "12.50")], email="sam@example.com")
    sync = outbound.deliveries_for_order(order["id"])
    assert [s["destination"] for s in sync] == [
        {"kind": "webhook", "name": "WMS"}, {"kind": "webhook", "name": down.url()}]
    assert sync[0]["counts"] == {"pending": 0, "delivered": 2, "failed": 0}
    assert [d["topic"] for d in sync[0]["deliveries"]] == ["order.created", "order.routed"]
    [dead] = sync[1]["deliveries"]
    assert sync[1]["counts"]["failed"] == 1 and dead["last_error"].startswith("HTTP 500")
    assert {d["aggregate_id"] for s in sync for d in s["deliveries"]} == {order["id"]}

    with pytest.raises(NotFound):   # another order's delivery, through this order's page
        outbound.retry_for_order(other["id"], dead["id"])
    down.mode = "ok"
    assert outbound.retry_for_order(order["id"], dead["id"])["status"] == "delivered"
    with pytest.raises(Conflict):
        outbound.retry_for_order(order["id"], dead["id"])
    assert [e["type"] for e in down.events_of(order["id"])] == ["order.created"]
    assert outbound.deliveries_for_order(other["id"])[1]["counts"]["failed"] == 1


def test_no_subscription_no_sync(channel):
    order = place(channel, "W-N", [line("SOCK-1", 1, "12.50")])
    assert outbound.deliveries_for_order(order["id"]) == []
