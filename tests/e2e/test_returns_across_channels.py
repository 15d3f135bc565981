"""End to end across channels: a Shopify order ships from a warehouse, comes back at a store
(Shopify's refund with `restock_type: return` at the till's location), is restocked there, and
that unit then serves a BOPIS order at that store; the ledger verifies clean at every step.
A refund seen twice (two deliveries, or after the order update that listed it) makes one
return."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import func, select

from core.auth import Principal
from fulfillment import use_cases as fulfilling
from integrations.shopify import shops
from inventory import services
from returns.models import Refund, Return
from tests.e2e.test_shopify_webhooks import (
    POS_LOCATION,
    SECRET,
    SHOP,
    deliver,
    events,
    line,
    load,
    the_order,
    timeline,
)
from tests.support import CAUSE, assert_ledger_clean, balance

API = "/api/v1"


@pytest.fixture
def shop(app, network):
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    for sku in ("JKT-1", "SOCK-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    return app.test_client()


def ship_everything(order_id: int) -> None:
    from core.db import read_session
    from fulfillment.models import Fulfillment

    with read_session() as session:
        work = list(session.scalars(select(Fulfillment).where(Fulfillment.order_id == order_id)))
    for f in work:
        assert f.location_code == "dc-east" and f.method == "ship"
        fulfilling.ship(f.id, "UPS", f"1Z{f.id:08d}", Principal(
            key_id=1, name="wms", role="wms", locations=frozenset({"dc-east"})))


def returned_refund() -> dict:
    refund = load("refunds_create")
    refund["refund_line_items"][0].update(restock_type="return", location_id=int(POS_LOCATION))
    return refund


def counts() -> tuple[int, int]:
    from core.db import read_session

    with read_session() as session:
        return (session.scalar(select(func.count()).select_from(Return)),
                session.scalar(select(func.count()).select_from(Refund)))


def test_shopify_order_shipped_returned_at_a_store_serves_a_bopis_order(shop, as_role, cs):
    deliver(shop, load("orders_create"))
    order = the_order()
    ship_everything(order.id)
    assert_ledger_clean()
    assert balance("JKT-1", "store-soho")["on_hand"] == 0
    deliver(shop, returned_refund(), topic="refunds/create")
    assert events()[-1].status == "processed", events()[-1].result
    assert_ledger_clean()
    row = balance("JKT-1", "store-soho")
    assert (row["on_hand"], row["available"]) == (1, 1)
    [ret] = events()[-1].result["returns"]
    view = cs.get(f"{API}/returns/{ret['return_id']}").get_json()
    assert (view["status"], view["location"], view["source"]) == ("refunded", "store-soho",
                                                                  "shopify")
    assert (view["refund"]["amount"], view["refund"]["status"]) == ("120.00", "settled")
    assert line(the_order(), "JKT-1").returned == 1
    assert timeline(order.id, "shopify.return_restock_owed") == []
    assert [e.kind for e in timeline(order.id)][-3:] == [
        "return.authorised", "return.received", "refund.created"]
    # The same refund again, by another subscription: one return.
    deliver(shop, returned_refund(), topic="refunds/create")
    assert counts() == (1, 1)
    # That unit serves a BOPIS order at the store.
    channel = as_role("channel")
    bopis = channel.post(f"{API}/orders", {
        "channel": "web", "external_id": "BOPIS-1", "currency": "USD",
        "customer": {"email": "kim@example.com"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
        "fulfillment": {"method": "pickup", "pickup_location": "store-soho"}}).get_json()
    [pickup] = bopis["fulfillments"]
    assert (pickup["method"], pickup["location"], pickup["status"]) == (
        "pickup", "store-soho", "pending")
    assert_ledger_clean()
    store = as_role("store", "store-soho")
    code = store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup").get_json()[
        "pickup_code"]
    assert store.post(f"{API}/fulfillments/{pickup['id']}/pickup",
                      json={"code": code}).status_code == 200
    assert balance("JKT-1", "store-soho")["on_hand"] == 0
    assert_ledger_clean()


def test_a_refund_listed_by_an_order_update_first_makes_one_return(shop):
    deliver(shop, load("orders_create"))
    ship_everything(the_order().id)
    updated = copy.deepcopy(load("orders_create"))
    updated["updated_at"] = "2025-11-20T12:00:00-05:00"
    updated["refunds"] = [returned_refund()]
    deliver(shop, updated, topic="orders/updated")
    deliver(shop, returned_refund(), topic="refunds/create")
    deliver(shop, returned_refund(), topic="refunds/create")
    assert counts() == (1, 1)
    assert line(the_order(), "JKT-1").returned == 1
    assert line(the_order(), "JKT-1").cancelled == 0
    assert balance("JKT-1", "store-soho")["on_hand"] == 1
    assert_ledger_clean()


def test_units_not_handed_over_stay_a_restock_owed(shop):
    deliver(shop, load("orders_create"))
    deliver(shop, returned_refund(), topic="refunds/create")
    assert counts() == (0, 0)
    [owed] = timeline(the_order().id, "shopify.return_restock_owed")
    assert "not_handed_over" in owed.message
    assert_ledger_clean()
