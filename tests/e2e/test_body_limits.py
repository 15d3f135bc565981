"""Request size limits: a body over OMS_MAX_BODY_BYTES is a 413 in the house format (with a
Content-Length or streamed without one), never a 500 and never read; the Shopify webhook has its
own larger limit; staff pages answer with a page."""

from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from core.auth import create_api_key
from core.db import read_session
from integrations.models import InboundEvent
from integrations.shopify import shops
from inventory import services
from oms.config import DEFAULT_MAX_BODY_BYTES, Settings
from oms.models import Order
from tests.e2e.test_shopify_webhooks import POS_LOCATION, SECRET, SHOP, deliver, load
from tests.support import CAUSE

API = "/api/v1"


def make_app(db, **settings):
    from oms.app import create_app

    app = create_app(Settings(database_url=db.url, redis_url=None, embedded_worker=False,
                              log_level="WARNING", **settings))
    app.testing = True
    return app


def order_body(padding: int) -> bytes:
    return json.dumps({
        "channel": "web", "external_id": "W-big", "currency": "USD",
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00",
                   "name": "x" * padding}],
        "fulfillment": {"method": "ship", "address": {"line1": "1 Main St", "city": "New York",
                                                      "postal_code": "10118",
                                                      "country": "US"}}}).encode()


def orders() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Order))


def assert_too_large(response, limit: int) -> None:
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "too_large"
    assert error["details"] == {"max_bytes": limit}
    assert "_body" in error["fields"]


def test_a_body_over_the_default_limit_is_a_413_and_changes_nothing(db, network):
    client = make_app(db).test_client()
    key = create_api_key("admin", name="ops")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    too_big = order_body(DEFAULT_MAX_BODY_BYTES)
    assert_too_large(client.post(f"{API}/orders", data=too_big, headers=headers),
                     DEFAULT_MAX_BODY_BYTES)
    assert orders() == 0
    # Just under the limit the body is read: the name is simply too long for the schema.
    fits = order_body(DEFAULT_MAX_BODY_BYTES - 1000)
    assert len(fits) < DEFAULT_MAX_BODY_BYTES
    refused = client.post(f"{API}/orders", data=fits, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert "lines.0.name" in refused.get_json()["error"]["fields"]


def test_a_streamed_body_without_content_length_is_cut_at_the_limit(db, network):
    client = make_app(db, max_body_bytes=4096).test_client()
    key = create_api_key("admin", name="ops")
    response = client.post(
        f"{API}/orders", input_stream=io.BytesIO(order_body(10_000)),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        # What gunicorn says of a chunked request: read until the stream ends.
        environ_overrides={"wsgi.input_terminated": True})
    assert_too_large(response, 4096)
    assert orders() == 0


def test_the_shopify_webhook_reads_more_than_the_api_does(db, network):
    app = make_app(db, max_body_bytes=1024)
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    for sku in ("JKT-1", "SOCK-1", "BOOT-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    payload = load("orders_create")
    assert len(json.dumps(payload)) > 1024
    response = deliver(app.test_client(), payload)
    assert response.status_code == 200, response.get_json()
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(InboundEvent)) == 1


def test_an_oversized_staff_form_is_a_413_page(db):
    client = make_app(db, max_body_bytes=1024).test_client()
    response = client.post("/sign-in", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
