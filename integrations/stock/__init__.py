"""Stock changes told outside: `stock.changed` events for subscribers and `available` pushed
to Shopify, both coalesced from the ledger by a periodic pass (README, "Stock changes").

- `models`: the publisher's cursor and last published figures, Shopify's inventory items by
  SKU and the desired/pushed quantity per (shop, location, SKU);
- `changes`: the pass (movements since the cursor, with a lookback for late commits),
  reconcile (every balance), and what they write (outbox rows, desired quantities);
- `jobs`: `stock-publish`, `stock-reconcile` and the Shopify push job
  (`integrations.shopify.inventory.push`);
- `api`/`service`/`schemas`: `GET /api/v1/stock-sync[/shopify]`; `cli`: `flask integrations
  stock-sync`.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """The admin views, the command and the periodic jobs."""
    from integrations.stock import api as stock_api
    from integrations.stock import cli, jobs

    api.register_blueprint(stock_api.blp)
    cli.register(app)
    jobs.register()
