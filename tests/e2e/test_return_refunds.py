"""Money back to the cent: an order with line and order discounts, taxes and discounted,
taxed shipping is returned unit by unit, in batches, at a store and a warehouse, and the
refunds add up to exactly what the customer paid; never a cent more."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from inventory import services
from tests.e2e.test_order_money import EXCLUSIVE
from tests.e2e.test_returns_api import NEW_YORK, ok, ship_all
from tests.support import CAUSE

API = "/api/v1"


@pytest.fixture(autouse=True)
def _stock(network):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("SOCK-1", "dc-east", 10, CAUSE)


def _order(channel) -> dict:
    body = {"channel": "web", "external_id": "money-back", "currency": "USD",
            "customer": {"email": "ana@example.com", "name": "Ana Lopez"},
            "lines": EXCLUSIVE["lines"], "fulfillment": {"method": "ship", "address": NEW_YORK},
            **{k: v for k, v in EXCLUSIVE.items() if k != "lines"}}
    return ok(channel.post(f"{API}/orders", body), 201)


def _return_and_receive(caller, receiver, order: dict, location: str,
                        lines: list[tuple[int, int, str]]) -> D:
    created = ok(caller.post(f"{API}/returns", {
        "order_id": order["id"], "location": location,
        "lines": [{"line_id": lid, "quantity": q, "reason": r} for lid, q, r in lines]}), 201)
    received = ok(receiver.post(f"{API}/returns/{created['id']}/receive", {
        "lines": [{"line_id": lid, "quantity": q, "disposition": "restock"}
                  for lid, q, _ in lines]}))
    assert received["status"] in ("received", "refunded")
    refund = received["refund"]
    parts = D(refund["subtotal"]) - D(refund["discount"]) + D(refund["tax"]) \
        - D(refund["included_tax"]) + D(refund["shipping"])
    assert parts == D(refund["amount"])  # each refund's parts add up to it
    return D(refund["amount"])


def test_every_unit_back_in_batches_refunds_exactly_what_was_paid(as_role, channel, cs):
    order = _order(channel)
    assert order["totals"]["total"] == "267.20"
    ship_all(as_role, order)
    jacket = next(ln for ln in order["lines"] if ln["sku"] == "JKT-1")
    sock = next(ln for ln in order["lines"] if ln["sku"] == "SOCK-1")
    store = as_role("store", "store-soho")
    wms = as_role("wms", "dc-east")
    refunds = [
        # one jacket at the store, changed mind: no shipping back
        _return_and_receive(store, store, order, "store-soho",
                            [(jacket["line_id"], 1, "changed_mind")]),
        # the sock, damaged, sent to the warehouse: shipping comes back with it, once
        _return_and_receive(cs, wms, order, "dc-east", [(sock["line_id"], 1, "damaged")]),
        # the other jacket, wrong item: shipping was refunded already
        _return_and_receive(cs, wms, order, "dc-east",
                            [(jacket["line_id"], 1, "wrong_item")]),
    ]
    assert sum(refunds) == D("267.20")  # what was paid, to the cent
    again = cs.post(f"{API}/returns", {"order_id": order["id"], "location": "store-soho",
                                       "lines": [{"line_id": jacket["line_id"], "quantity": 1,
                                                  "reason": "other"}]})
    assert again.status_code == 422
    assert again.get_json()["error"]["details"]["rule"] == "over_return"
    after = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert {ln["sku"]: ln["returned"] for ln in after["lines"]} == {"JKT-1": 2, "SOCK-1": 1}
