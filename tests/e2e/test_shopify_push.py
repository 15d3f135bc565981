"""Our shipments and cancellations pushed back to Shopify through the outbound relay. Here
"Shopify" is a real HTTP server on a loopback port speaking Admin GraphQL: it checks the
operation and variables it gets and answers in Shopify's documented shapes (fulfillment
orders, `fulfillmentCreate`, `orderCancel`, `userErrors`, `THROTTLED`)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select, update

from core import jobs
from core.db import read_session, unit_of_work, utcnow
from integrations.outbound.models import Delivery, Subscription
from inventory import services
from tests.e2e.test_shopify_webhooks import ORDER_ID, deliver, load
from tests.support import CAUSE

API = "/api/v1"
TOKEN = "shpat_push_0123456789abcdef"
SECRET = "shpss_push_loopback"
API_VERSION = "2025-10"
OPEN_FO = "gid://shopify/FulfillmentOrder/1046000002"
CLOSED_FO = "gid://shopify/FulfillmentOrder/1046000001"
JKT_ITEM, SOCK_ITEM = 866550311766439020, 141249953214522974  # orders_create.json
COST = {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
                 "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1990,
                                    "restoreRate": 100.0}}}


def _fo(gid: str, status: str, remaining: int) -> dict[str, Any]:
    return {
        "id": gid, "status": status,
        "deliveryMethod": {"methodType": "SHIPPING"},
        "assignedLocation": {"location": {"id": "gid://shopify/Location/999"}},
        "lineItems": {"nodes": [
            {"id": f"gid://shopify/FulfillmentOrderLineItem/{gid[-1]}1",
             "remainingQuantity": 2 * remaining,
             "lineItem": {"id": f"gid://shopify/LineItem/{JKT_ITEM}"}},
            {"id": f"gid://shopify/FulfillmentOrderLineItem/{gid[-1]}2",
             "remainingQuantity": remaining,
             "lineItem": {"id": f"gid://shopify/LineItem/{SOCK_ITEM}"}}]}}


class FakeShopify:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.throttle = 0           # THROTTLED answers to give to the next mutations
        self.user_errors = False

    def mutations(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if f"{name}(" in r["query"]]

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if query.lstrip().startswith("mutation") and self.throttle:
            self.throttle -= 1
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": COST}
        if "fulfillmentCreate(" in query:
            given = variables["fulfillment"]
            assert set(given) >= {"lineItemsByFulfillmentOrder", "notifyCustomer"}
            if self.user_errors:
                return {"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": [{
                    "field": ["fulfillment"],
                    "message": "Fulfillment order 1046000002 has an unfulfillable status= "
                               "closed."}]}}, "extensions": COST}
            return {"data": {"fulfillmentCreate": {
                "fulfillment": {"id": "gid://shopify/Fulfillment/255858046", "status": "SUCCESS"},
                "userErrors": []}}, "extensions": COST}
        if "orderCancel(" in query:
            assert set(variables) == {"orderId", "reason", "refund", "restock", "notifyCustomer"}
            return {"data": {"orderCancel": {
                "job": {"id": "gid://shopify/Job/1", "done": False},
                "orderCancelUserErrors": [], "userErrors": []}}, "extensions": COST}
        if "fulfillmentOrders(" in query:
            assert variables == {"id": f"gid://shopify/Order/{ORDER_ID}"}
            return {"data": {"order": {"fulfillmentOrders": {"nodes": [
                _fo(CLOSED_FO, "CLOSED", 0), _fo(OPEN_FO, "OPEN", 1)]}}}, "extensions": COST}
        return {"errors": [{"message": "unknown operation"}]}


@pytest.fixture
def fake_shopify(monkeypatch):
    fake = FakeShopify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            ok = (self.path == f"/admin/api/{API_VERSION}/graphql.json"
                  and self.headers.get("X-Shopify-Access-Token") == TOKEN)
            fake.requests.append({"query": body.get("query", ""),
                                  "variables": body.get("variables") or {}})
            payload = (fake.answer(body.get("query", ""), body.get("variables") or {}) if ok
                       else {"errors": "[API] Invalid API key or access token"})
            data = json.dumps(payload).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OMS_SHOPIFY_PROTOCOL", "http")
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    fake.domain = f"127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(app, network, fake_shopify):
    for sku in ("JKT-1", "SOCK-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    result = app.test_cli_runner().invoke(args=[
        "integrations", "shopify", "add-shop", fake_shopify.domain, "--secret", SECRET,
        "--access-token", TOKEN, "--api-version", API_VERSION])
    assert "pushed to it" in result.output, result.output
    client = app.test_client()
    response = deliver(client, load("orders_create"), shop=fake_shopify.domain, secret=SECRET)
    assert response.status_code == 200
    fake_shopify.requests.clear()
    with read_session() as session:
        from oms.models import Order

        order = session.scalars(select(Order).where(
            Order.external_id == f"{fake_shopify.domain}/{ORDER_ID}")).one()
        return {"client": client, "order_id": order.id}


def push_deliveries() -> list[Delivery]:
    with read_session() as session:
        return list(session.scalars(
            select(Delivery).join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Subscription.url.startswith("shopify://")).order_by(Delivery.id)))


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
    [d] = push_deliveries()
    assert (d.topic, d.status, d.attempts) == ("order.fulfilled", "delivered", 1)


def test_a_cancellation_by_customer_service_is_an_order_cancel(shop, fake_shopify, cs):
    assert cs.post(f"{API}/orders/{shop['order_id']}/cancel", {}).status_code == 200
    [cancel] = fake_shopify.mutations("orderCancel")
    assert cancel["variables"] == {"orderId": f"gid://shopify/Order/{ORDER_ID}",
                                   "reason": "OTHER", "refund": False, "restock": False,
                                   "notifyCustomer": False}
    assert [(d.topic, d.status) for d in push_deliveries()] == [("order.cancelled",
                                                                 "delivered")]


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
    with unit_of_work() as uow:  # two seconds pass
        uow.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        uow.commit()
    jobs.run_job("integrations.outbound.jobs.sweep")
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
    # Fixed on Shopify's side, the dead letter is retried through the usual endpoint.
    fake_shopify.user_errors = False
    assert admin.post(f"{API}/deliveries/{item['id']}/retry").status_code == 200
    assert [d.status for d in push_deliveries()] == ["delivered"]


def test_a_cancellation_shopify_told_us_is_not_pushed_back(shop, fake_shopify):
    response = deliver(shop["client"], load("orders_cancelled"), topic="orders/cancelled",
                       shop=fake_shopify.domain, secret=SECRET)
    assert response.status_code == 200
    assert fake_shopify.mutations("orderCancel") == []
    assert push_deliveries() == []

