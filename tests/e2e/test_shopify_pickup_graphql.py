"""Local pickup is only visible in Shopify's fulfillment orders: the job asks Admin GraphQL
through the ShopifyAPI package. Here "Shopify" is a real HTTP server on a loopback port that
speaks the Admin GraphQL wire format; when it fails or stalls, the fallback rule decides."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import shopify as shopify_api

from integrations.shopify import shops
from inventory import services
from tests.e2e.test_shopify_webhooks import deliver, events, load
from tests.support import CAUSE, assert_ledger_clean, balance

TOKEN = "shpat_0123456789abcdef"
SECRET = "shpss_loopback"
API_VERSION = "2025-10"
PICKUP_ORDER = 5940139491234


class FakeShopify:
    """What the stub answers, and what it was asked."""

    def __init__(self) -> None:
        self.mode = "pick_up"           # pick_up | shipping | error | stall
        self.requests: list[dict] = []
        self.release = threading.Event()

    def answer(self) -> tuple[int, dict]:
        if self.mode == "error":
            return 500, {"errors": "Internal Server Error"}
        method, location = (("PICK_UP", "gid://shopify/Location/123") if self.mode != "shipping"
                            else ("SHIPPING", "gid://shopify/Location/999"))
        return 200, {
            "data": {"order": {"fulfillmentOrders": {"nodes": [{
                "deliveryMethod": {"methodType": method},
                "assignedLocation": {"location": {"id": location}}}]}}},
            "extensions": {"cost": {
                "requestedQueryCost": 12, "actualQueryCost": 5,
                "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 1995,
                                   "restoreRate": 100.0}}},
        }


def _handler(fake: FakeShopify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fake.requests.append({"path": self.path,
                                  "token": self.headers.get("X-Shopify-Access-Token"),
                                  "body": json.loads(body or b"{}")})
            if self.path != f"/admin/api/{API_VERSION}/graphql.json":
                return self._send(404, {"errors": "Not Found"})
            if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                return self._send(401, {"errors": "[API] Invalid API key or access token "
                                                  "(unrecognized login or wrong password)"})
            if fake.mode == "stall":
                fake.release.wait(10)
            self._send(*fake.answer())

        def _send(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped waiting (the timeout test)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def fake_shopify(monkeypatch):
    fake = FakeShopify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OMS_SHOPIFY_PROTOCOL", "http")
    fake.domain = f"127.0.0.1:{server.server_address[1]}"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(app, network, fake_shopify):
    for code in ("store-soho", "store-brooklyn"):
        services.receive("SOCK-1", code, 5, CAUSE)
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    return app.test_client()


def _shop(fake: FakeShopify, locations: dict[str, str]) -> None:
    shops.save(fake.domain, secret=SECRET, access_token=TOKEN, api_version=API_VERSION,
               locations=locations)


def test_fulfillment_order_pick_up_makes_a_pickup_at_the_mapped_store(client, fake_shopify):
    # Two mapped stores: the shipping-line fallback could not tell which; GraphQL can.
    _shop(fake_shopify, {"123": "store-soho", "456": "store-brooklyn"})
    response = deliver(client, load("orders_create_pickup"), shop=fake_shopify.domain,
                       secret=SECRET)
    assert response.status_code == 200
    [event] = events()
    assert event.status == "processed", event.last_error
    assert (event.result["method"], event.result["location"]) == ("pickup", "store-soho")
    assert event.result["delivery_rule"] == "graphql_pick_up"
    [asked] = fake_shopify.requests
    assert asked["path"] == f"/admin/api/{API_VERSION}/graphql.json"
    assert asked["token"] == TOKEN
    assert asked["body"]["variables"] == {"id": f"gid://shopify/Order/{PICKUP_ORDER}"}
    assert "fulfillmentOrders(first: 10)" in asked["body"]["query"]
    assert balance("SOCK-1", "store-soho")["reserved"] == 2
    assert balance("SOCK-1", "store-brooklyn")["reserved"] == 0
    # The package's process-wide session is cleared after the call.
    assert shopify_api.ShopifyResource.get_site() is None
    assert "X-Shopify-Access-Token" not in shopify_api.ShopifyResource.get_headers()
    assert_ledger_clean()


def test_fulfillment_order_shipping_keeps_a_shipped_order_shipped(client, fake_shopify):
    _shop(fake_shopify, {"123": "store-soho"})
    fake_shopify.mode = "shipping"
    deliver(client, load("orders_create"), shop=fake_shopify.domain, secret=SECRET)
    [event] = events()
    assert event.status == "processed", event.last_error
    assert (event.result["method"], event.result["delivery_rule"]) == ("ship", "graphql_ship")
    assert balance("JKT-1", "dc-east")["reserved"] == 2


@pytest.mark.parametrize("failure", ["error", "stall"])
def test_when_shopify_fails_or_stalls_the_fallback_rule_decides(client, fake_shopify,
                                                                monkeypatch, failure):
    monkeypatch.setenv("OMS_SHOPIFY_TIMEOUT", "0.5")
    _shop(fake_shopify, {"123": "store-soho"})
    fake_shopify.mode = failure
    response = deliver(client, load("orders_create_pickup"), shop=fake_shopify.domain,
                       secret=SECRET)
    assert response.status_code == 200
    [event] = events()
    assert event.status == "processed", event.last_error
    assert event.result["delivery_rule"] == "fallback_pickup_shipping_line"
    assert "fulfillment orders unavailable" in event.result["delivery"]
    assert (event.result["method"], event.result["location"]) == ("pickup", "store-soho")
    assert len(fake_shopify.requests) == 1
    assert balance("SOCK-1", "store-soho")["reserved"] == 2
    assert shopify_api.ShopifyResource.get_site() is None


def test_a_wrong_token_is_a_failure_the_fallback_absorbs(client, fake_shopify):
    shops.save(fake_shopify.domain, secret=SECRET, access_token="shpat_revoked",
               api_version=API_VERSION, locations={"123": "store-soho"})
    deliver(client, load("orders_create_pickup"), shop=fake_shopify.domain, secret=SECRET)
    [event] = events()
    assert event.status == "processed"
    assert event.result["delivery_rule"] == "fallback_pickup_shipping_line"
    assert fake_shopify.requests[0]["token"] == "shpat_revoked"


def test_pickup_at_an_unmapped_location_is_held_until_it_is_mapped(client, fake_shopify, app):
    """Shopify says PICK_UP at location 123, which the shop does not map yet: the order is
    kept on hold (not a failed event) and released as a pickup at the store once mapped."""
    from sqlalchemy import select

    from core.db import read_session
    from oms.jobs import release_holds
    from oms.models import Order
    from tests.e2e.test_shopify_webhooks import run

    _shop(fake_shopify, {"456": "store-brooklyn"})
    deliver(client, load("orders_create_pickup"), shop=fake_shopify.domain, secret=SECRET)
    [event] = events()
    assert event.status == "processed", event.last_error
    assert (event.result["hold_code"], event.result["method"]) == ("unmapped_location",
                                                                  "pickup")

    def held() -> Order:
        with read_session() as session:
            order = session.scalars(select(Order)).one()
            _ = order.lines
            return order

    assert (held().status, held().fulfillment_method, held().location_code) == (
        "on_hold", "pickup", None)
    assert balance("SOCK-1", "store-soho")["reserved"] == 0
    assert release_holds() == 0
    mapped = run(app, "integrations", "shopify", "add-shop", fake_shopify.domain,
                 "--location", "123=store-soho")
    assert mapped.exit_code == 0, mapped.output
    assert release_holds() == 1
    order = held()
    assert (order.status, order.location_code) == ("routed", "store-soho")
    assert balance("SOCK-1", "store-soho")["reserved"] == 2
    assert_ledger_clean()
