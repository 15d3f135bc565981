"""What we do to Shopify's orders, pushed back to Shopify through the outbound relay:
shipments, BOPIS ready and handed over, line cancellations as order edits, whole cancels and
refunds of our returns. Here "Shopify" is a real HTTP server on a loopback port speaking Admin
GraphQL (tests/e2e/shopify_admin_stub.py): it keeps the orders' state, checks every operation
and its variables, and answers in Shopify's documented shapes (`userErrors`, `THROTTLED`,
fulfillment orders, calculated orders, refunds and transactions)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import select, update

from core import jobs
from core.db import read_session, unit_of_work, utcnow
from fulfillment import use_cases as fulfilling
from fulfillment.models import Fulfillment
from integrations.outbound.models import Delivery, Subscription
from inventory import services
from oms.models import Order, OutboxEvent
from tests.e2e.shopify_admin_stub import TOKEN, FakeShopify, FulfillmentOrder, start
from tests.e2e.test_shopify_webhooks import ORDER_ID, POS_LOCATION, deliver, load
from tests.support import CAUSE, assert_ledger_clean

API = "/api/v1"
SECRET = "shpss_push_loopback"
ORDER_GID = f"gid://shopify/Order/{ORDER_ID}"
OPEN_FO = "gid://shopify/FulfillmentOrder/1046000002"
CLOSED_FO = "gid://shopify/FulfillmentOrder/1046000001"
PICKUP_FO = "gid://shopify/FulfillmentOrder/1046000003"
JKT_ITEM, SOCK_ITEM = 866550311766439020, 141249953214522974  # orders_create.json
PICKUP_ORDER, PICKUP_ITEM = 5940139491234, 466157049          # orders_create_pickup.json
PICKUP_LOCATION = "123"                                       # Shopify's SoHo pickup


@pytest.fixture
def api_version() -> str:
    return "2026-04"


@pytest.fixture
def fake_shopify(monkeypatch, api_version):
    fake = FakeShopify()
    fake.api_version = api_version
    fake.add_order(ORDER_ID, {JKT_ITEM: 2, SOCK_ITEM: 1}, paid="262.50", fulfillment_orders=[
        FulfillmentOrder(CLOSED_FO, "SHIPPING", "999", {str(JKT_ITEM): 0, str(SOCK_ITEM): 0},
                         status="CLOSED"),
        FulfillmentOrder(OPEN_FO, "SHIPPING", "999", {str(JKT_ITEM): 2, str(SOCK_ITEM): 1})])
    fake.add_order(PICKUP_ORDER, {PICKUP_ITEM: 2}, paid="25.00", fulfillment_orders=[
        FulfillmentOrder(PICKUP_FO, "PICK_UP", PICKUP_LOCATION, {str(PICKUP_ITEM): 2})])
    server = start(fake)
    monkeypatch.setenv("OMS_SHOPIFY_PROTOCOL", "http")
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    yield fake
    server.shutdown()
    server.server_close()
    assert fake.refused == [], "requests Shopify would have refused"


@pytest.fixture
def shop(app, network, fake_shopify, api_version):
    for sku in ("JKT-1", "SOCK-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    result = app.test_cli_runner().invoke(args=[
        "integrations", "shopify", "add-shop", fake_shopify.domain, "--secret", SECRET,
        "--access-token", TOKEN, "--api-version", api_version,
        "--location", f"{PICKUP_LOCATION}=store-soho", "--location", f"{POS_LOCATION}=store-soho"])
    assert "pushed to it" in result.output, result.output
    client = app.test_client()
    response = deliver(client, load("orders_create"), shop=fake_shopify.domain, secret=SECRET)
    assert response.status_code == 200
    fake_shopify.requests.clear()
    return {"client": client, "order_id": order_id(f"{fake_shopify.domain}/{ORDER_ID}")}


def order_id(external_id: str) -> int:
    with read_session() as session:
        return session.scalars(select(Order.id).where(Order.external_id == external_id)).one()


def push_deliveries() -> list[Delivery]:
    with read_session() as session:
        return list(session.scalars(
            select(Delivery).join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Subscription.url.startswith("shopify://")).order_by(Delivery.id)))


def pushed() -> list[tuple[str, str]]:
    return [(d.topic, d.status) for d in push_deliveries()]


def time_passes() -> None:
    """Every pending delivery is due now, and the sweep sends them."""
    with unit_of_work() as uow:
        uow.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        uow.commit()
    jobs.run_job("integrations.outbound.jobs.sweep")


def ship_everything(as_role) -> None:
    wms = as_role("wms", "dc-east")
    [claimed] = wms.post(f"{API}/pick-lists/claim", {"location": "dc-east"}).get_json()["items"]
    picked = [{"line_id": ln["line_id"], "picked_quantity": ln["quantity"]}
              for ln in claimed["lines"]]
    assert wms.post(f"{API}/fulfillments/{claimed['id']}/pick",
                    {"lines": picked}).status_code == 200
    response = wms.post(f"{API}/fulfillments/{claimed['id']}/ship",
                        {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert response.status_code == 200, response.get_json()


def lines_by_sku(cs, order: int) -> dict[str, int]:
    view = cs.get(f"{API}/orders/{order}").get_json()
    return {ln["sku"]: ln["line_id"] for ln in view["lines"]}


# ------------------------------------------------------------------ shipments and cancels

def test_a_shipment_is_a_fulfillment_create_on_the_open_fulfillment_order(shop, fake_shopify,
                                                                         as_role):
    ship_everything(as_role)
    [create] = fake_shopify.mutations("fulfillmentCreate")
    assert create["variables"]["fulfillment"] == {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": OPEN_FO,
                                         "fulfillmentOrderLineItems": [
                                             {"id": "gid://shopify/FulfillmentOrderLineItem/21",
                                              "quantity": 2},
                                             {"id": "gid://shopify/FulfillmentOrderLineItem/22",
                                              "quantity": 1}]}],
        "trackingInfo": {"company": "UPS", "number": "1Z999AA10123456784"},
        "notifyCustomer": False}
    # The shipment is told twice (the order's status, the fulfillment's event): pushed once.
    d, told = push_deliveries()
    assert (d.topic, d.status, d.attempts) == ("order.fulfilled", "delivered", 1)
    assert (told.topic, told.status) == ("fulfillment.shipped", "delivered")
    assert fake_shopify.orders[ORDER_GID].fulfillment_orders[1].status == "CLOSED"


def test_a_cancellation_by_customer_service_is_an_order_cancel(shop, fake_shopify, cs):
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {}).status_code == 200
    [cancel] = fake_shopify.mutations("orderCancel")
    assert cancel["variables"] == {"orderId": ORDER_GID, "reason": "OTHER", "refund": False,
                                   "restock": False, "notifyCustomer": False}
    assert pushed() == [("order.cancelled", "delivered")]
    assert fake_shopify.orders[ORDER_GID].cancelled_at is not None


def test_throttled_once_then_delivered_without_spending_the_budget(shop, fake_shopify, cs):
    fake_shopify.throttle = 1
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {}).status_code == 200
    [d] = push_deliveries()
    assert d.status == "pending" and d.attempts == 0
    assert "throttled" in (d.last_error or "").lower()
    with read_session() as session:
        row = session.get(Delivery, d.id)
        assert row is not None
        assert (row.next_attempt_at - row.history[0].at).total_seconds() >= 2
    assert jobs.run_job("integrations.outbound.jobs.sweep") == 0  # not due yet
    time_passes()
    [d] = push_deliveries()
    assert (d.status, d.attempts) == ("delivered", 1)
    assert len(fake_shopify.mutations("orderCancel")) == 2


def test_user_errors_fail_the_attempt_and_the_delivery_dies_visibly(shop, fake_shopify,
                                                                    as_role, admin,
                                                                    monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_MAX_ATTEMPTS", "1")
    fake_shopify.user_errors = True
    ship_everything(as_role)
    failed = admin.get(f"{API}/deliveries?status=failed").get_json()["items"]
    [item] = [f for f in failed if f["topic"] == "order.fulfilled"]
    assert "unfulfillable status" in item["last_error"]
    assert "userErrors" in item["attempts"][0]["error"]
    # Fixed on Shopify's side, the dead letter is retried through the usual endpoint; the
    # shipment's own event died the same way, and its retry finds the push done.
    fake_shopify.user_errors = False
    assert admin.post(f"{API}/deliveries/{item['id']}/retry").status_code == 200
    [told] = [f for f in failed if f["topic"] == "fulfillment.shipped"]
    assert admin.post(f"{API}/deliveries/{told['id']}/retry").status_code == 200
    assert [d.status for d in push_deliveries()] == ["delivered", "delivered"]
    assert len(fake_shopify.mutations("fulfillmentCreate")) == 3  # 2 refused, 1 made


def test_a_cancellation_shopify_told_us_is_not_pushed_back(shop, fake_shopify):
    response = deliver(shop["client"], load("orders_cancelled"), topic="orders/cancelled",
                       shop=fake_shopify.domain, secret=SECRET)
    assert response.status_code == 200
    assert fake_shopify.mutations("orderCancel") == []
    assert push_deliveries() == []


# ------------------------------------------------------------------ BOPIS

@pytest.fixture
def pickup(shop, fake_shopify):
    services.receive("SOCK-1", "store-soho", 5, CAUSE)
    response = deliver(shop["client"], load("orders_create_pickup"), shop=fake_shopify.domain,
                       secret=SECRET)
    assert response.status_code == 200
    fake_shopify.requests.clear()
    order = order_id(f"{fake_shopify.domain}/{PICKUP_ORDER}")
    with read_session() as session:
        [f] = session.scalars(select(Fulfillment).where(Fulfillment.order_id == order))
        assert (f.method, f.location_code) == ("pickup", "store-soho")
    return {"order_id": order, "fulfillment_id": f.id}


def test_bopis_ready_then_handed_over_is_prepared_for_pickup_then_fulfilled(pickup, fake_shopify,
                                                                            as_role):
    store = as_role("store", "store-soho")
    url = f"{API}/fulfillments/{pickup['fulfillment_id']}"
    ready = store.post(f"{url}/ready-for-pickup").get_json()
    [prepared] = fake_shopify.mutations("fulfillmentOrderLineItemsPreparedForPickup")
    assert prepared["variables"] == {
        "input": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": PICKUP_FO}]}}
    assert fake_shopify.ready_notices == [PICKUP_FO]  # Shopify emails the customer, once
    assert fake_shopify.mutations("fulfillmentCreate") == []

    assert store.post(f"{url}/pickup", {"code": ready["pickup_code"]}).status_code == 200
    [handed] = fake_shopify.mutations("fulfillmentCreate")
    assert handed["variables"] == {"fulfillment": {  # no tracking: Shopify marks it picked up
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": PICKUP_FO, "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/31", "quantity": 2}]}],
        "notifyCustomer": False}}
    assert pushed() == [("fulfillment.ready_for_pickup", "delivered"),
                        ("order.fulfilled", "delivered"), ("fulfillment.picked_up", "delivered")]
    pickup_fo = fake_shopify.orders[f"gid://shopify/Order/{PICKUP_ORDER}"].fulfillment_orders[0]
    assert (pickup_fo.status, pickup_fo.remaining) == ("CLOSED", {str(PICKUP_ITEM): 0})
    assert_ledger_clean()


def test_ready_for_pickup_whose_answer_was_lost_is_done_on_the_retry(pickup, fake_shopify,
                                                                     as_role):
    fake_shopify.lose.add("fulfillmentOrderLineItemsPreparedForPickup")
    store = as_role("store", "store-soho")
    assert store.post(f"{API}/fulfillments/{pickup['fulfillment_id']}/ready-for-pickup"
                      ).status_code == 200
    [d] = push_deliveries()
    assert (d.status, d.attempts) == ("pending", 1) and "500" in (d.last_error or "")
    time_passes()
    # Shopify says nothing is left to prepare: that is what the first attempt did.
    assert len(fake_shopify.mutations("fulfillmentOrderLineItemsPreparedForPickup")) == 2
    assert pushed() == [("fulfillment.ready_for_pickup", "delivered")]
    assert fake_shopify.ready_notices == [PICKUP_FO]


def test_a_hand_over_told_twice_is_pushed_once(pickup, fake_shopify, as_role):
    """A hand-over writes `fulfillment.picked_up` beside the order's status change: whichever
    the relay takes first pushes, the other finds it done."""
    store = as_role("store", "store-soho")
    url = f"{API}/fulfillments/{pickup['fulfillment_id']}"
    code = store.post(f"{url}/ready-for-pickup").get_json()["pickup_code"]
    assert store.post(f"{url}/pickup", {"code": code}).status_code == 200
    jobs.run_job("integrations.outbound.jobs.sweep")
    assert pushed() == [("fulfillment.ready_for_pickup", "delivered"),
                        ("order.fulfilled", "delivered"),
                        ("fulfillment.picked_up", "delivered")]
    assert len(fake_shopify.mutations("fulfillmentCreate")) == 1
    assert fake_shopify.refused == []


def test_a_pickup_not_collected_in_time_cancels_the_order_on_shopify(pickup, fake_shopify,
                                                                     as_role):
    store = as_role("store", "store-soho")
    assert store.post(f"{API}/fulfillments/{pickup['fulfillment_id']}/ready-for-pickup"
                      ).status_code == 200
    assert fulfilling.expire_pickups(utcnow() + dt.timedelta(days=30)) == 1
    [cancel] = fake_shopify.mutations("orderCancel")
    assert cancel["variables"]["orderId"] == f"gid://shopify/Order/{PICKUP_ORDER}"
    assert pushed() == [("fulfillment.ready_for_pickup", "delivered"),
                        ("order.cancelled", "delivered")]
    assert fake_shopify.mutations("fulfillmentCreate") == []


def test_a_pickup_expired_while_other_units_wait_is_an_order_edit(shop, fake_shopify,
                                                                  as_role):
    """One sock free at the store, none anywhere else: it is made ready and not collected, the
    other waits on backorder. The expiry cancels only the pickup's unit: Shopify's line goes
    to ordered - cancelled = 1."""
    services.count("SOCK-1", "dc-east", 1, CAUSE)  # the shipped order holds that one
    services.receive("SOCK-1", "store-soho", 1, CAUSE)
    deliver(shop["client"], load("orders_create_pickup"), shop=fake_shopify.domain,
            secret=SECRET)
    order = order_id(f"{fake_shopify.domain}/{PICKUP_ORDER}")
    with read_session() as session:
        [f] = session.scalars(select(Fulfillment).where(Fulfillment.order_id == order))
    store = as_role("store", "store-soho")
    assert store.post(f"{API}/fulfillments/{f.id}/ready-for-pickup").status_code == 200
    assert fulfilling.expire_pickups(utcnow() + dt.timedelta(days=30)) == 1
    assert fake_shopify.mutations("orderCancel") == []
    [set_quantity] = fake_shopify.mutations("orderEditSetQuantity")
    assert set_quantity["variables"]["lineItemId"] == \
        f"gid://shopify/CalculatedLineItem/{PICKUP_ITEM}"
    assert (set_quantity["variables"]["quantity"], set_quantity["variables"]["restock"]) == (
        1, False)
    assert fake_shopify.orders[f"gid://shopify/Order/{PICKUP_ORDER}"].quantities == {
        str(PICKUP_ITEM): 1}
    # The expiry travels as the order's status change, carrying the expired pickup's id.
    assert pushed() == [("fulfillment.ready_for_pickup", "delivered"),
                        ("order.backordered", "delivered")]
    assert_ledger_clean()


# ------------------------------------------------------------------ line cancellations

def test_line_cancellations_are_order_edits_to_ordered_minus_cancelled(shop, fake_shopify, cs,
                                                                       as_role):
    lines = lines_by_sku(cs, shop["order_id"])
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {
        "lines": [{"line_id": lines["JKT-1"], "quantity": 1}],
        "reason": "customer asked"}).status_code == 200
    [begin] = fake_shopify.mutations("orderEditBegin")
    assert begin["variables"] == {"id": ORDER_GID}
    [set_jacket] = fake_shopify.mutations("orderEditSetQuantity")
    calculated = set_jacket["variables"]["id"]
    assert calculated.startswith("gid://shopify/CalculatedOrder/")
    assert set_jacket["variables"] == {
        "id": calculated, "lineItemId": f"gid://shopify/CalculatedLineItem/{JKT_ITEM}",
        "quantity": 1, "restock": False}
    [commit] = fake_shopify.mutations("orderEditCommit")
    assert commit["variables"]["id"] == calculated
    assert commit["variables"]["notifyCustomer"] is False
    assert commit["variables"]["staffNote"].startswith("units cancelled in the OMS")
    shopify_order = fake_shopify.orders[ORDER_GID]
    assert shopify_order.quantities == {str(JKT_ITEM): 1, str(SOCK_ITEM): 1}

    # The sock next: the jacket is at its target already and is left alone.
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {
        "lines": [{"line_id": lines["SOCK-1"], "quantity": 1}]}).status_code == 200
    assert [r["variables"]["lineItemId"] for r in
            fake_shopify.mutations("orderEditSetQuantity")] == [
        f"gid://shopify/CalculatedLineItem/{JKT_ITEM}",
        f"gid://shopify/CalculatedLineItem/{SOCK_ITEM}"]
    assert fake_shopify.mutations("orderEditSetQuantity")[1]["variables"]["quantity"] == 0
    assert shopify_order.quantities == {str(JKT_ITEM): 1, str(SOCK_ITEM): 0}
    assert shopify_order.commits == 2

    # What is left ships, and Shopify's open work is exactly that.
    ship_everything(as_role)
    create = fake_shopify.mutations("fulfillmentCreate")[-1]["variables"]["fulfillment"]
    assert create["lineItemsByFulfillmentOrder"] == [{
        "fulfillmentOrderId": OPEN_FO, "fulfillmentOrderLineItems": [
            {"id": "gid://shopify/FulfillmentOrderLineItem/21", "quantity": 1}]}]
    assert pushed() == [("order.updated", "delivered"), ("order.updated", "delivered"),
                        ("order.fulfilled", "delivered"), ("fulfillment.shipped", "delivered")]


def test_an_edit_committed_whose_answer_was_lost_is_not_cancelled_twice(shop, fake_shopify,
                                                                         cs):
    fake_shopify.lose.add("orderEditCommit")
    lines = lines_by_sku(cs, shop["order_id"])
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {
        "lines": [{"line_id": lines["JKT-1"], "quantity": 1}]}).status_code == 200
    [d] = push_deliveries()
    assert (d.status, d.attempts) == ("pending", 1) and "500" in (d.last_error or "")
    shopify_order = fake_shopify.orders[ORDER_GID]
    assert shopify_order.quantities[str(JKT_ITEM)] == 1  # Shopify did commit it
    time_passes()
    assert pushed() == [("order.updated", "delivered")]
    # The retry began an edit, found the jacket at 1 and changed (and committed) nothing.
    assert len(fake_shopify.mutations("orderEditBegin")) == 2
    assert len(fake_shopify.mutations("orderEditSetQuantity")) == 1
    assert (shopify_order.quantities[str(JKT_ITEM)], shopify_order.commits) == (1, 1)


def test_throttled_in_the_middle_of_an_edit_commits_it_once_later(shop, fake_shopify, cs):
    lines = lines_by_sku(cs, shop["order_id"])
    fake_shopify.throttle_call["orderEditSetQuantity"] = 2  # the bucket runs dry mid-edit
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {
        "lines": [{"line_id": lines["JKT-1"], "quantity": 1},
                  {"line_id": lines["SOCK-1"], "quantity": 1}]}).status_code == 200
    [d] = push_deliveries()
    assert (d.status, d.attempts) == ("pending", 0)
    shopify_order = fake_shopify.orders[ORDER_GID]
    assert shopify_order.commits == 0  # the staged edit was dropped, nothing committed
    time_passes()
    assert pushed() == [("order.updated", "delivered")]
    assert shopify_order.quantities == {str(JKT_ITEM): 1, str(SOCK_ITEM): 0}
    assert shopify_order.commits == 1


def test_every_line_cancelled_here_cancels_the_order_on_shopify(shop, fake_shopify, cs):
    lines = lines_by_sku(cs, shop["order_id"])
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {
        "lines": [{"line_id": lines["JKT-1"], "quantity": 2},
                  {"line_id": lines["SOCK-1"], "quantity": 1}]}).status_code == 200
    assert fake_shopify.mutations("orderEditBegin") == []
    [cancel] = fake_shopify.mutations("orderCancel")
    assert cancel["variables"]["orderId"] == ORDER_GID
    assert pushed() == [("order.updated", "delivered")]


# ------------------------------------------------------------------ refunds

def return_a_damaged_jacket(cs, as_role, order: int) -> dict:
    """One jacket back at the SoHo store, damaged (its policy refunds the shipping)."""
    jacket = lines_by_sku(cs, order)["JKT-1"]
    created = cs.post(f"{API}/returns", {
        "order_id": order, "location": "store-soho",
        "lines": [{"line_id": jacket, "quantity": 1, "reason": "damaged"}]})
    assert created.status_code == 201, created.get_json()
    store = as_role("store", "store-soho")
    received = store.post(f"{API}/returns/{created.get_json()['id']}/receive", {
        "lines": [{"line_id": jacket, "quantity": 1, "disposition": "restock"}]})
    assert received.status_code == 200, received.get_json()
    return received.get_json()


def refund_input(ret: dict, number: str, sale: str) -> dict:
    key = f"oms-refund-{ORDER_ID}-{ret['refund']['id']}"
    return {"orderId": ORDER_GID, "notify": False,
            "note": f"Return R-{ret['id']} of order {number} [{key}]",
            "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{JKT_ITEM}",
                                 "quantity": 1, "restockType": "NO_RESTOCK"}],
            "shipping": {"amount": "10.00"},
            "transactions": [{"orderId": ORDER_GID, "parentId": sale, "kind": "REFUND",
                              "gateway": "shopify_payments", "amount": "130.00"}]}


def test_a_refund_of_our_return_is_a_refund_create_against_the_payment(shop, fake_shopify, cs,
                                                                       as_role):
    ship_everything(as_role)
    ret = return_a_damaged_jacket(cs, as_role, shop["order_id"])
    assert (ret["refund"]["amount"], ret["refund"]["shipping"]) == ("130.00", "10.00")
    [create] = fake_shopify.mutations("refundCreate")
    assert "refundCreate(input: $input) @idempotent(key: $idempotencyKey)" in create["query"]
    shopify_order = fake_shopify.orders[ORDER_GID]
    sale = shopify_order.transactions[0]["id"]
    number = cs.get(f"{API}/orders/{shop['order_id']}").get_json()["number"]
    assert create["variables"] == {
        "idempotencyKey": f"oms-refund-{ORDER_ID}-{ret['refund']['id']}",
        "input": refund_input(ret, number, sale)}
    assert pushed() == [("order.fulfilled", "delivered"), ("fulfillment.shipped", "delivered"),
                        ("refund.created", "delivered")]
    [refund] = shopify_order.refunds
    assert refund["answer"]["totalRefundedSet"]["shopMoney"]["amount"] == "130.00"
    # Our refund is settled with Shopify's refund id, and subscribers hear of it (the
    # settlement itself is not pushed back).
    assert_settled_on_shopify(cs, shop, fake_shopify, ret, refund["id"])


def assert_settled_on_shopify(cs, shop, fake_shopify, ret: dict, shopify_refund: str) -> None:
    viewed = cs.get(f"{API}/returns/{ret['id']}").get_json()
    assert viewed["status"] == "refunded"
    assert {k: viewed["refund"][k] for k in ("status", "external_ref", "method")} == {
        "status": "settled", "external_ref": shopify_refund, "method": None}
    assert viewed["refund"]["settled_by"] == f"shopify:{fake_shopify.domain}"
    timeline = cs.get(f"{API}/orders/{shop['order_id']}").get_json()["timeline"]
    [event] = [e for e in timeline if e["kind"] == "refund.settled"]
    assert f"settled on Shopify: {shopify_refund}" in event["message"]
    with read_session() as session:
        [settled] = session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "refund.settled"))
    assert (settled.payload["refund_id"], settled.payload["external_ref"]) == (
        ret["refund"]["id"], shopify_refund)
    assert settled.actor == f"shopify:{fake_shopify.domain}"
    assert "refund.settled" not in [topic for topic, _ in pushed()]


def test_a_refund_whose_answer_was_lost_is_not_refunded_twice(shop, fake_shopify, cs,
                                                              as_role):
    ship_everything(as_role)
    fake_shopify.lose.add("refundCreate")
    ret = return_a_damaged_jacket(cs, as_role, shop["order_id"])
    d = push_deliveries()[-1]
    assert (d.topic, d.status, d.attempts) == ("refund.created", "pending", 1)
    # Shopify made it, but we did not hear: still pending here.
    assert cs.get(f"{API}/returns/{ret['id']}").get_json()["refund"]["status"] == "pending"
    time_passes()
    assert pushed()[-1] == ("refund.created", "delivered")
    # The retry found its marker among the order's refunds and sent nothing.
    assert len(fake_shopify.mutations("refundCreate")) == 1
    [refund] = fake_shopify.orders[ORDER_GID].refunds
    refunds = [t for t in fake_shopify.orders[ORDER_GID].transactions if t["kind"] == "REFUND"]
    assert [t["amountSet"]["shopMoney"]["amount"] for t in refunds] == ["130.00"]
    # ... and settled our refund with the refund it found, once.
    assert_settled_on_shopify(cs, shop, fake_shopify, ret, refund["id"])
    time_passes()  # a later sweep (or a replay of the delivery) changes nothing
    assert_settled_on_shopify(cs, shop, fake_shopify, ret, refund["id"])


def test_a_refund_shopify_refuses_stays_pending(shop, fake_shopify, cs, as_role):
    ship_everything(as_role)
    fake_shopify.orders[ORDER_GID].presentment_currency = "EUR"  # paid in another currency
    ret = return_a_damaged_jacket(cs, as_role, shop["order_id"])
    d = push_deliveries()[-1]
    assert (d.topic, d.status) == ("refund.created", "pending")
    assert "refund it in Shopify by hand" in (d.last_error or "")
    viewed = cs.get(f"{API}/returns/{ret['id']}").get_json()
    assert (viewed["status"], viewed["refund"]["status"]) == ("received", "pending")
    # Refunded by hand in Shopify's admin, and said so here: the push then has nothing to do.
    settled = cs.post(f"{API}/refunds/{ret['refund']['id']}/settle",
                      {"external_ref": "gid://shopify/Refund/777", "method": "card"})
    assert settled.status_code == 200, settled.get_json()
    time_passes()
    assert pushed()[-1] == ("refund.created", "delivered")
    assert fake_shopify.mutations("refundCreate") == []
    assert cs.get(f"{API}/returns/{ret['id']}").get_json()["refund"]["external_ref"] == \
        "gid://shopify/Refund/777"


@pytest.mark.parametrize("api_version", ["2025-10"])
def test_before_2026_01_a_refund_goes_without_the_idempotent_directive(shop, fake_shopify, cs,
                                                                       as_role):
    ship_everything(as_role)
    ret = return_a_damaged_jacket(cs, as_role, shop["order_id"])
    [create] = fake_shopify.mutations("refundCreate")
    assert "@idempotent" not in create["query"]
    number = cs.get(f"{API}/orders/{shop['order_id']}").get_json()["number"]
    sale = fake_shopify.orders[ORDER_GID].transactions[0]["id"]
    assert create["variables"] == {"input": refund_input(ret, number, sale)}
    assert pushed()[-1] == ("refund.created", "delivered")
    [refund] = fake_shopify.orders[ORDER_GID].refunds
    assert_settled_on_shopify(cs, shop, fake_shopify, ret, refund["id"])


def test_refunds_and_cancels_shopify_made_are_not_pushed_back(shop, fake_shopify, as_role):
    # A refund cancelling one unshipped jacket, made in Shopify: cancelled here, not edited back.
    deliver(shop["client"], load("refunds_create"), topic="refunds/create",
            shop=fake_shopify.domain, secret=SECRET)
    ship_everything(as_role)
    # Then a refund of the shipped jacket, returned at the SoHo till: a return booked here
    # with its refund settled by Shopify, not refunded again.
    returned = copy.deepcopy(load("refunds_create"))
    returned["id"] = 929361463
    returned["admin_graphql_api_id"] = "gid://shopify/Refund/929361463"
    returned["refund_line_items"][0].update(id=104689540, restock_type="return",
                                            location_id=int(POS_LOCATION))
    deliver(shop["client"], returned, topic="refunds/create", shop=fake_shopify.domain,
            secret=SECRET)
    with read_session() as session:
        written = [(e.topic, e.actor) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.topic.in_(["order.updated",
                                                              "refund.created"]))
            .order_by(OutboxEvent.id))]
    assert [topic for topic, _ in written] == ["order.updated", "refund.created"]
    assert all(actor.startswith("shopify:") for _, actor in written)
    assert pushed() == [("order.fulfilled", "delivered"), ("fulfillment.shipped", "delivered")]
    assert fake_shopify.mutations("orderEditBegin") == []
    assert fake_shopify.mutations("refundCreate") == []
