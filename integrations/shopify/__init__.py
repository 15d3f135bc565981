"""Shopify: orders in through webhooks, Shopify's Admin GraphQL out (the `ShopifyAPI` package,
used only inside this package).

- `register(app)`: `POST /webhooks/shopify` (blueprint `shopify_webhooks`), the
  `flask integrations ...` commands and the periodic sweep of events whose job was lost;
  `document(spec, app)` adds the endpoint to the OpenAPI document.
- `webhooks`: verify the HMAC (current or, during a rotation, previous secret), store the event
  (deduplicated by X-Shopify-Webhook-Id), enqueue `jobs.process_event` on queue "high", 200.
- `jobs`: `process_event(event_id)` applies orders/create, orders/updated, orders/cancelled
  and refunds/create through `oms.orders`; `sweep()`.
- `translate`: Shopify's REST order payload -> `oms.orders.PlaceOrder` (pure).
- `holds`: orders with an unknown SKU or an unmapped location kept on hold (`oms.holds`),
  and the location resolver their release asks.
- `apply`, `refunds`: what each topic does to our orders; `client`: Admin GraphQL calls;
  `shops`: configured shops and signatures; `store`: stored events; `cli`: the commands.
"""

from __future__ import annotations

from apispec import APISpec
from flask import Flask


def register(app: Flask) -> None:
    """Add the webhook endpoint, the `flask integrations` commands and the periodic sweep."""
    from integrations.shopify import cli, holds, jobs, webhooks

    app.register_blueprint(webhooks.bp)
    app.cli.add_command(cli.cli)
    jobs.register()
    holds.register()


def document(spec: APISpec, app: Flask) -> None:
    """Describe `POST /webhooks/shopify` in the API document (after `register`)."""
    from integrations.shopify import webhooks

    webhooks.document(spec, app)
