"""`/api/v1/stock-sync` (admin): the stock.changed publisher and Shopify inventory sync."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_roles
from integrations.stock import service
from integrations.stock.schemas import ShopifySyncArgs, ShopifySyncListOut, StockSyncOut

blp = Blueprint("stock_sync", __name__, url_prefix="/api/v1",
                description="Stock changes told outside: stock.changed and Shopify inventory.")


@blp.route("/stock-sync", methods=["GET"])
@require_roles()
@blp.response(200, StockSyncOut)
def sync_status():
    """Where the stock.changed publisher is, and Shopify inventory sync per shop.

    `publisher`: the movements read so far and the settings; `shopify`: per shop, how many
    (location, SKU) quantities are kept in sync, still owed, failing, and SKUs Shopify
    does not know."""
    return service.status()


@blp.route("/stock-sync/shopify", methods=["GET"])
@require_roles()
@blp.arguments(ShopifySyncArgs, location="query")
@blp.response(200, ShopifySyncListOut)
def list_shopify_quantities(args: dict):
    """List Shopify inventory quantities kept in sync, newest first (`?status=failing`).

    Each row is one (shop, Shopify location, SKU): what we want Shopify to show
    (`desired`, our available), what it holds as far as we know (`last_pushed`), and how
    the last push went (`attempts`, `last_error`, `next_attempt_at`)."""
    return service.list_shopify(args["shop"], args["status"], args["sku"], args["limit"],
                                args["cursor"])
