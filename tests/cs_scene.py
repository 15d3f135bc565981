"""A customer-service scene for the CS pages' tests (browser and test client): one person who
bought on Shopify and at a store till, another who bought on the web and got a parcel, each
made through the same doors as in production (a signed Shopify webhook, the orders API with
channel keys, the fulfillment API with a WMS key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import read_session
from core.staff import create_staff_user
from integrations.outbound import service as outbound
from integrations.shopify import shops
from inventory import services
from oms.models import Order
from tests.e2e.test_shopify_webhooks import ORDER_ID, POS_LOCATION, SECRET, SHOP, deliver, load
from tests.support import CAUSE

API = "/api/v1"
PASSWORD = "correct horse battery"
TRACKING = "1Z999AA10123456784"
HOOK_SECRET = "s3cret-s3cret-s3cret"
COLUMBUS = {"name": "Ana Lopez", "line1": "50 W Broad St", "city": "Columbus", "region": "OH",
            "postal_code": "43215", "country": "US"}


@dataclass(frozen=True)
class Scene:
    shopify_order: int      # Jon Snow's Shopify #1001: 2 jackets and a sock, routed to DC East
    pos_order: int          # Jon Snow at the SoHo till (same phone: the same customer)
    web_order: int          # Ana Lopez's web order, shipped with TRACKING
    jon: int                # customer ids
    ana: int


def ok(response: Any, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def stock_the_network() -> None:
    for sku, location, quantity in [("JKT-1", "dc-east", 10), ("SOCK-1", "dc-east", 10),
                                    ("BOOT-1", "dc-east", 5), ("JKT-1", "store-soho", 5),
                                    ("BOOT-1", "store-chicago", 2)]:
        services.receive(sku, location, quantity, CAUSE)


def shopify_order(app: Any) -> int:
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    ok(deliver(app.test_client(), load("orders_create")))
    return order_id(f"{SHOP}/{ORDER_ID}")


def pos_sale(as_role: Any, external_id: str = "POS-88001") -> dict:
    pos = as_role("channel")
    return ok(pos.post(f"{API}/orders", {
        "channel": "pos", "external_id": external_id, "currency": "USD",
        "customer": {"phone": "212-555-0148", "name": "Jon Snow"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "129.00"}],
        "fulfillment": {"method": "carry_out", "location": "store-soho"}}), 201)


def web_order(as_role: Any, external_id: str = "W-1042",
              lines: tuple[tuple[str, int, str], ...] = (("JKT-1", 2, "129.00"),
                                                         ("BOOT-1", 1, "160.00"))) -> dict:
    web = as_role("channel")
    return ok(web.post(f"{API}/orders", {
        "channel": "web", "external_id": external_id, "currency": "USD",
        "customer": {"email": "ana.lopez@example.com", "phone": "(614) 555-0134",
                     "name": "Ana Lopez"},
        "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
        "shipping_lines": [{"title": "Standard", "price": "7.50"}],
        "fulfillment": {"method": "ship", "address": COLUMBUS}}), 201)


def ship(as_role: Any, order: dict, tracking: str = TRACKING) -> None:
    for f in order["fulfillments"]:
        node = as_role("wms" if f["location"].startswith("dc-") else "store", f["location"])
        ok(node.post(f"{API}/fulfillments/{f['id']}/ship",
                     {"carrier": "UPS", "tracking_number": tracking}))


def order_id(external_id: str) -> int:
    with read_session() as session:
        return session.scalars(select(Order.id).where(Order.external_id == external_id)).one()


def customer_of(order: int) -> int:
    with read_session() as session:
        found = session.get(Order, order)
        assert found is not None and found.customer_id is not None
        return found.customer_id


def build(app: Any, as_role: Any) -> Scene:
    """The network must exist (the `network` fixture); a cs user `carla` signs in."""
    stock_the_network()
    create_staff_user("carla", "cs", PASSWORD)
    shopify = shopify_order(app)
    pos = pos_sale(as_role)
    web = web_order(as_role)
    ship(as_role, web)
    return Scene(shopify_order=shopify, pos_order=pos["id"], web_order=web["id"],
                 jon=customer_of(shopify), ana=customer_of(web["id"]))


def subscribe(url: str, topics: tuple[str, ...] = ("order.*",),
              description: str | None = "Store POS (webhook)") -> dict:
    return outbound.create_subscription({"url": url, "topics": list(topics),
                                         "secret": HOOK_SECRET, "description": description},
                                        actor="test")
