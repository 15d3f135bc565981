"""The stock publisher's and the Shopify inventory sync's tables (migration 0015_stock_sync).

- `integ_stock_cursor`: how far the publisher has read the movements (one row per reader);
- `integ_stock_published`: the figures subscribers were last told, per balance (location, SKU);
- `integ_shopify_inventory_items`: SKU -> Shopify inventory item, per shop (a lookup cache that
  also records SKUs Shopify does not know);
- `integ_shopify_inventory_sync`: the desired `available` per (shop, Shopify location, SKU),
  what we last pushed (or read back), and how the last push went.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, sql_in, utcnow

PUBLISHER = "stock.changed"
SKU_STATUSES = ("found", "unknown", "ambiguous")


class StockCursor(Base):
    """A reader's position in `inv_movements`. Movements with an id up to `safe_movement_id`
    are all committed and read; `pending_movement_id` is the highest id seen by the pass that
    started at `pending_since`, promoted to safe once the lookback window has passed since
    (README, "Stock changes")."""

    __tablename__ = "integ_stock_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    safe_movement_id: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_movement_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pending_since: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    reconciled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class PublishedStock(Base):
    """What `stock.changed` last said about one balance: an event is written only when the
    current figures differ from these."""

    __tablename__ = "integ_stock_published"

    balance_id: Mapped[int] = mapped_column(ForeignKey("inv_balances.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    safety_stock: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    available: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ShopifyInventoryItem(Base):
    """A shop's inventory item for one of our SKUs, as `productVariants(query: "sku:...")`
    found it; `unknown` (no variant) and `ambiguous` (several inventory items) are recorded
    too and looked up again only after OMS_SHOPIFY_SKU_RECHECK_HOURS."""

    __tablename__ = "integ_shopify_inventory_items"
    __table_args__ = (
        UniqueConstraint("shop_domain", "sku", name="uq_integ_shopify_inventory_items_shop_sku"),
        CheckConstraint(f"status IN ({sql_in(SKU_STATUSES)})", name="known_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str] = mapped_column(String(64))
    inventory_item_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ShopifyInventorySync(Base):
    """The desired state of one quantity in Shopify and how far we got pushing it.

    `desired` is our `available` at the mapped location; `last_pushed` is what Shopify holds as
    far as we know (what we last set, or read back after a compare mismatch; null before the
    first push) and is sent as `changeFromQuantity`. `dirty` says a push is owed (desired !=
    last_pushed, or the last one failed); `version` changes whenever what would be sent
    changes, so an idempotency key is never reused for another request."""

    __tablename__ = "integ_shopify_inventory_sync"
    __table_args__ = (
        UniqueConstraint("shop_domain", "shopify_location_id", "item_id",
                         name="uq_integ_shopify_inventory_sync_shop_location_item"),
        CheckConstraint("desired >= 0", name="desired_not_negative"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # the push job: what is owed to a shop and due
        Index("ix_integ_shopify_inventory_sync_due", "shop_domain", "dirty", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    shopify_location_id: Mapped[str] = mapped_column(String(40))
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_items.id"))
    sku: Mapped[str] = mapped_column(String(64))
    desired: Mapped[int] = mapped_column(Integer)
    last_pushed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    pushed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
