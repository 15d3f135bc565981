"""Cancelling a return through HTTP: nothing received (cancelled, no refund, the units
returnable again), partly received (received for what arrived, the refund for those units
only, and a later return of the rest adds up to the cent), twice (409), at another store
(403), an exchange's hold released, and an Idempotency-Key replay."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.db import read_session
from inventory import services
from oms.models import OutboxEvent
from returns import policy
from tests.e2e.test_returns_api import NEW_YORK, counts, ok, place, ship_all, shipped_order
from tests.support import CAUSE, assert_ledger_clean, balance

API = "/api/v1"


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    policy.configure(policy.ReturnPolicy())
    yield
    assert_ledger_clean()
    policy.configure(policy.ReturnPolicy())


def _return(caller, order: dict, location: str, quantity: int, **extra) -> dict:
    return ok(caller.post(f"{API}/returns", {
        "order_id": order["id"], "location": location,
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": quantity,
                   "reason": "changed_mind"}], **extra}), 201)


def _returned(cs, order: dict) -> int:
    return ok(cs.get(f"{API}/orders/{order['id']}"))["lines"][0]["returned"]


def _topics(order_id: int) -> list[str]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent.topic).where(
            OutboxEvent.aggregate == "order", OutboxEvent.aggregate_id == order_id)
            .order_by(OutboxEvent.id)))


def test_cancel_an_authorised_return_gives_the_units_back(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 2, "10.00"),))
    store = as_role("store", "store-soho")
    ret = _return(store, order, "store-soho", 2)
    assert _returned(cs, order) == 2
    out = ok(store.post(f"{API}/returns/{ret['id']}/cancel",
                        {"reason": "customer kept the jacket"}))
    assert (out["status"], out["refund"], out["refund_total"]) == ("cancelled", None, "0.00")
    assert out["lines"][0]["cancelled"] == 2 and out["lines"][0]["received"] == 0
    assert out["cancellation"]["reason"] == "customer kept the jacket"
    assert ok(cs.get(f"{API}/returns/{ret['id']}")) == out
    assert _returned(cs, order) == 0
    viewed = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert "return.cancelled" in [e["kind"] for e in viewed["timeline"]]
    assert "return.cancelled" in _topics(order["id"])
    customer = ok(cs.get(f"{API}/customers/{order['customer_id']}"))
    assert "return.cancelled" in [n["kind"] for n in customer["notes"]]
    # The units can come back on another return.
    assert _return(cs, order, "dc-east", 2)["refund_total"] == "20.00"


def test_partly_received_then_cancelled_refunds_what_arrived_to_the_cent(as_role, channel,
                                                                          cs):
    """3 units with a discount and a tax that split unevenly (odd cents on the first units):
    1 received, 2 cancelled, then the 2 returned again: the two refunds are what was paid."""
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    order = ok(channel.post(f"{API}/orders", {
        "channel": "web", "external_id": "odd-cents", "currency": "USD",
        "customer": {"email": "pat@example.com", "name": "Pat Jones"},
        "lines": [{"sku": "JKT-1", "quantity": 3, "unit_price": "33.33", "discount": "0.05",
                   "tax_lines": [{"title": "T", "rate": "0.08", "amount": "7.99"}]}],
        "fulfillment": {"method": "ship", "address": NEW_YORK}}), 201)
    paid = D(order["lines"][0]["paid"])
    assert paid == D("107.93")
    ship_all(as_role, order)
    line_id = order["lines"][0]["line_id"]
    store = as_role("store", "store-soho")
    first = _return(store, order, "store-soho", 3)
    assert D(first["refund_total"]) == paid
    ok(store.post(f"{API}/returns/{first['id']}/receive", {"lines": [
        {"line_id": line_id, "quantity": 1, "disposition": "restock"}]}))
    out = ok(store.post(f"{API}/returns/{first['id']}/cancel", {"reason": "lost in post"}))
    assert out["status"] == "received" and out["received_at"] is not None
    assert (out["lines"][0]["received"], out["lines"][0]["cancelled"]) == (1, 2)
    # The first unit: 33.33 - 0.02 discount + 2.67 tax.
    assert out["refund"]["amount"] == out["refund_total"] == "35.98"
    assert out["lines"][0]["refund"] == {"subtotal": "33.33", "discount": "0.02",
                                         "tax": "2.67", "included_tax": "0.00",
                                         "total": "35.98"}
    assert _returned(cs, order) == 1
    assert balance("JKT-1", "store-soho")["on_hand"] == 1
    assert _topics(order["id"])[-2:] == ["return.cancelled", "refund.created"]
    # The other two come back after all.
    again = _return(cs, order, "dc-east", 2)
    done = ok(as_role("wms", "dc-east").post(f"{API}/returns/{again['id']}/receive", {
        "lines": [{"line_id": line_id, "quantity": 2, "disposition": "restock"}]}))
    assert D(out["refund"]["amount"]) + D(done["refund"]["amount"]) == paid
    assert _returned(cs, order) == 3


def test_cancelling_an_older_return_frees_its_units_for_the_next_one_to_the_cent(
        as_role, channel, cs):
    """Return A holds the first two units (with the odd cents), return B the third; A is
    cancelled while B is open; C then takes A's units, not B's: A + B + C = what was paid."""
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    order = ok(channel.post(f"{API}/orders", {
        "channel": "web", "external_id": "freed-units", "currency": "USD",
        "customer": {"email": "pat@example.com", "name": "Pat Jones"},
        "lines": [{"sku": "JKT-1", "quantity": 3, "unit_price": "33.33",
                   "tax_lines": [{"title": "T", "rate": "0.0002", "amount": "0.02"}]}],
        "fulfillment": {"method": "ship", "address": NEW_YORK}}), 201)
    paid = D(order["lines"][0]["paid"])
    assert paid == D("100.01")  # units: 33.34, 33.34, 33.33 (the odd cents on the first)
    ship_all(as_role, order)
    line_id = order["lines"][0]["line_id"]
    a = _return(cs, order, "dc-east", 2)
    b = _return(cs, order, "dc-east", 1)
    ok(cs.post(f"{API}/returns/{a['id']}/cancel", {"reason": "customer kept them"}))
    c = _return(cs, order, "dc-east", 2)
    assert c["refund_total"] == a["refund_total"]  # the same two units, priced the same
    wms = as_role("wms", "dc-east")
    refunds = D(0)
    for ret, n in ((b, 1), (c, 2)):
        done = ok(wms.post(f"{API}/returns/{ret['id']}/receive", {"lines": [
            {"line_id": line_id, "quantity": n, "disposition": "restock"}]}))
        refunds += D(done["refund"]["amount"])
    assert refunds == paid
    assert _returned(cs, order) == 3


def test_cancel_twice_or_after_receipt_is_409_and_changes_nothing(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    line_id = order["lines"][0]["line_id"]
    ret = _return(cs, order, "dc-east", 1)
    url = f"{API}/returns/{ret['id']}/cancel"
    ok(cs.post(url, {"reason": "duplicate"}))
    before = counts()
    twice = cs.post(url, {"reason": "again"})
    assert twice.status_code == 409
    assert twice.get_json()["error"]["details"]["status"] == "cancelled"
    assert as_role("wms", "dc-east").post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": line_id, "quantity": 1, "disposition": "restock"}]}).status_code == 409
    received = _return(cs, order, "dc-east", 1)
    ok(as_role("wms", "dc-east").post(f"{API}/returns/{received['id']}/receive", {"lines": [
        {"line_id": line_id, "quantity": 1, "disposition": "restock"}]}))
    before = counts()
    assert cs.post(f"{API}/returns/{received['id']}/cancel",
                   {"reason": "late"}).status_code == 409
    assert counts() == before
    assert _returned(cs, order) == 1


def test_who_may_cancel(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    ret = _return(as_role("store", "store-soho"), order, "store-soho", 1)
    url = f"{API}/returns/{ret['id']}/cancel"
    before = counts()
    assert as_role("store", "store-brooklyn").post(url, {"reason": "x"}).status_code == 403
    assert as_role("channel").post(url, {"reason": "x"}).status_code == 403  # not its order
    assert as_role("wms", "store-soho").post(url, {"reason": "x"}).status_code == 403
    for bad in ({}, {"reason": ""}, {"reason": "x" * 501}):
        assert cs.post(url, bad).status_code == 422
    assert counts() == before
    ok(channel.post(url, {"reason": "the customer changed their mind"}))


def test_cancel_releases_an_exchange_held_for_payment(as_role, channel, cs):
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    order = place(channel, "W-5", lines=(("SOCK-1", 1, "12.50"),))
    ship_all(as_role, order)
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    store = as_role("store", "store-soho")
    ret = _return(store, order, "store-soho", 1,
                  exchange_lines=[{"sku": "BOOT-1", "quantity": 1}])
    assert ret["exchange"]["state"] == "awaiting_payment"
    assert balance("BOOT-1", "store-soho")["reserved"] == 1
    out = ok(store.post(f"{API}/returns/{ret['id']}/cancel", {"reason": "no swap after all"}))
    assert (out["status"], out["exchange"]["state"]) == ("cancelled", "released")
    row = balance("BOOT-1", "store-soho")
    assert (row["on_hand"], row["reserved"], row["available"]) == (1, 0, 1)
    assert_ledger_clean()
    assert store.post(f"{API}/returns/{ret['id']}/exchange-payment",
                      {"amount": out["exchange"]["difference"],
                       "reference": "till-1"}).status_code == 409


def test_cancel_keeps_a_placed_exchange_order_and_says_so(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 1, "120.00"),))
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    store = as_role("store", "store-soho")
    ret = _return(store, order, "store-soho", 1, exchange_lines=[{"sku": "JKT-1",
                                                                  "quantity": 1}])
    out = ok(cs.post(f"{API}/returns/{ret['id']}/cancel", {"reason": "never came back"}))
    assert (out["status"], out["exchange"]["state"]) == ("cancelled", "placed")
    [event] = [e for e in ok(cs.get(f"{API}/orders/{order['id']}"))["timeline"]
               if e["kind"] == "return.cancelled"]
    assert out["exchange"]["order_number"] in event["message"]
    assert ok(cs.get(f"{API}/orders/{out['exchange']['order_id']}"))["status"] == "fulfilled"


def test_cancel_is_idempotent(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    ret = _return(cs, order, "dc-east", 2)
    url = f"{API}/returns/{ret['id']}/cancel"
    first = cs.post(url, {"reason": "dup"}, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 200
    after = counts()
    again = cs.post(url, {"reason": "dup"}, headers={"Idempotency-Key": "c-1"})
    assert again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert counts() == after
    assert _returned(cs, order) == 0
