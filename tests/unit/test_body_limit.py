"""OMS_MAX_BODY_BYTES against the largest legitimate bodies: a 200-line order with every text at
a generous length, and the Shopify webhooks of the fixtures (which have their own limit)."""

from __future__ import annotations

import json
from pathlib import Path

from integrations.shopify.webhooks import MAX_BODY_BYTES as WEBHOOK_MAX_BODY_BYTES
from oms.config import DEFAULT_MAX_BODY_BYTES
from oms.orders import MAX_LINES
from oms.schemas import OrderIn

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shopify"


def large_order() -> dict:
    """The most an API client plausibly sends at once: MAX_LINES lines, each with a 64-character
    SKU, a 200-character name, a 120-character external id, two discounts and two taxes with
    60-character titles; a full customer and address; 20 shipping lines."""
    def text(n: int, fill: str = "x") -> str:
        return fill * n

    line = {
        "quantity": 1000, "unit_price": "9999999.99", "name": text(200),
        "discount_allocations": [{"amount": "1.00", "title": text(60), "code": text(40),
                                  "kind": "line"} for _ in range(2)],
        "tax_lines": [{"title": text(60), "rate": "0.0825"} for _ in range(2)],
    }
    return {
        "channel": "web", "external_id": text(120), "currency": "USD",
        "customer": {"email": text(300) + "@e.co", "phone": "+1 212 555 0134",
                     "name": text(200), "account_id": text(200)},
        "lines": [{**line, "sku": f"{i:064d}", "external_id": f"{i:0120d}"}
                  for i in range(MAX_LINES)],
        "fulfillment": {"method": "ship", "address": {
            "name": text(200), "line1": text(300), "city": text(120), "region": text(120),
            "postal_code": text(20), "country": "US"}},
        "shipping_lines": [{"title": text(200), "price": "10.00"} for _ in range(20)],
        "channel_name": text(120),
    }


def test_the_largest_plausible_order_is_valid_and_well_under_the_limit():
    body = large_order()
    assert OrderIn().validate(body) == {}  # a body the API accepts, not a straw man
    size = len(json.dumps(body).encode())
    print(f"largest plausible order: {size} bytes")
    assert size * 4 < DEFAULT_MAX_BODY_BYTES


def test_shopify_webhooks_of_the_fixtures_fit_their_own_larger_limit():
    sizes = {path.name: path.stat().st_size for path in FIXTURES.glob("*.json")}
    assert sizes and max(sizes.values()) * 100 < WEBHOOK_MAX_BODY_BYTES
    assert WEBHOOK_MAX_BODY_BYTES > DEFAULT_MAX_BODY_BYTES
