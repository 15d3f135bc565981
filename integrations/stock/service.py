"""Reads behind `GET /api/v1/stock-sync` and `GET /api/v1/stock-sync/shopify` (never write)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, select

from core.db import read_session
from core.http import MAX_BIG_ID, decode_cursor, encode_cursor
from integrations.stock import settings
from integrations.stock.models import (
    PUBLISHER,
    ShopifyInventoryItem,
    ShopifyInventorySync,
    StockCursor,
)
from inventory.models import Location

SYNC_STATUSES = ("owed", "failing", "synced")


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def publisher_view(cursor: StockCursor | None) -> dict[str, Any]:
    cfg = settings.current()
    return {
        "safe_movement_id": cursor.safe_movement_id if cursor else 0,
        "pending_movement_id": cursor.pending_movement_id if cursor else None,
        "pending_since": iso(cursor.pending_since) if cursor else None,
        "last_run_at": iso(cursor.last_run_at) if cursor else None,
        "reconciled_at": iso(cursor.reconciled_at) if cursor else None,
        "publish_seconds": cfg.publish_seconds, "lookback_seconds": cfg.lookback_seconds,
        "reconcile_seconds": cfg.reconcile_seconds,
    }


def status() -> dict[str, Any]:
    """Where the publisher is, and per shop how many quantities are synced, owed, failing."""
    sync = ShopifyInventorySync
    with read_session() as session:
        cursor = session.get(StockCursor, PUBLISHER)
        shops = session.execute(
            select(sync.shop_domain, func.count(),
                   func.sum(case((sync.dirty.is_(True), 1), else_=0)),
                   func.sum(case((sync.last_error.is_not(None), 1), else_=0)),
                   func.max(sync.pushed_at))
            .group_by(sync.shop_domain).order_by(sync.shop_domain)).all()
        unknown = dict(session.execute(
            select(ShopifyInventoryItem.shop_domain, func.count())
            .where(ShopifyInventoryItem.status != "found")
            .group_by(ShopifyInventoryItem.shop_domain)).all())
        return {"publisher": publisher_view(cursor), "shopify": [
            {"shop": domain, "quantities": count, "owed": int(owed or 0),
             "failing": int(failing or 0), "unknown_skus": unknown.get(domain, 0),
             "last_pushed_at": iso(last)}
            for domain, count, owed, failing, last in shops]}


def sync_view(row: ShopifyInventorySync, location: str, item_id: str | None) -> dict[str, Any]:
    return {"id": row.id, "shop": row.shop_domain,
            "shopify_location_id": row.shopify_location_id, "location": location,
            "sku": row.sku, "inventory_item_id": item_id, "desired": row.desired,
            "last_pushed": row.last_pushed, "owed": row.dirty, "attempts": row.attempts,
            "last_error": row.last_error, "next_attempt_at": iso(row.next_attempt_at),
            "pushed_at": iso(row.pushed_at), "changed_at": iso(row.changed_at)}


def list_shopify(shop: str | None, status: str | None, sku: str | None, limit: int,
                 cursor: str | None) -> dict[str, Any]:
    """Sync rows, newest first, cursor-paginated; `failing` are those whose last push
    failed (with why), `owed` those still to push, `synced` the others."""
    sync = ShopifyInventorySync
    before = decode_cursor(cursor, MAX_BIG_ID)
    stmt = (select(sync, Location.code, ShopifyInventoryItem.inventory_item_id)
            .join(Location, Location.id == sync.location_id)
            .outerjoin(ShopifyInventoryItem, and_(
                ShopifyInventoryItem.shop_domain == sync.shop_domain,
                ShopifyInventoryItem.sku == sync.sku))
            .order_by(sync.id.desc()).limit(limit + 1))
    if shop is not None:
        stmt = stmt.where(sync.shop_domain == shop.strip().lower())
    if sku is not None:
        stmt = stmt.where(sync.sku == sku)
    if status == "owed":
        stmt = stmt.where(sync.dirty.is_(True))
    elif status == "failing":
        stmt = stmt.where(sync.last_error.is_not(None))
    elif status == "synced":
        stmt = stmt.where(sync.dirty.is_(False))
    if before is not None:
        stmt = stmt.where(sync.id < before)
    with read_session() as session:
        rows = session.execute(stmt).all()
    items = [sync_view(row, code, item) for row, code, item in rows[:limit]]
    more = len(rows) > limit
    return {"items": items,
            "next_cursor": encode_cursor(rows[limit - 1][0].id) if more else None}
