"""Response shapes of the stock sync's admin views."""

from __future__ import annotations

from marshmallow import fields, validate

from core.http import PageArgs, Payload, timestamp
from integrations.stock.service import SYNC_STATUSES


class PublisherOut(Payload):
    safe_movement_id = fields.Integer(required=True, metadata={
        "description": "every movement up to this id is committed and was read"})
    pending_movement_id = fields.Integer(required=True, allow_none=True, metadata={
        "description": "becomes safe once the lookback has passed since `pending_since`"})
    pending_since = timestamp(required=True, allow_none=True)
    last_run_at = timestamp(required=True, allow_none=True)
    reconciled_at = timestamp(required=True, allow_none=True, metadata={
        "description": "the last time every balance was compared"})
    publish_seconds = fields.Integer(required=True)
    lookback_seconds = fields.Float(required=True)
    reconcile_seconds = fields.Integer(required=True, metadata={"description": "0: never"})


class ShopSyncOut(Payload):
    shop = fields.String(required=True)
    quantities = fields.Integer(required=True, metadata={
        "description": "(Shopify location, SKU) pairs kept in sync"})
    owed = fields.Integer(required=True, metadata={"description": "still to push"})
    failing = fields.Integer(required=True, metadata={"description": "last push failed"})
    unknown_skus = fields.Integer(required=True, metadata={
        "description": "SKUs Shopify does not know (or has on several inventory items)"})
    last_pushed_at = timestamp(required=True, allow_none=True)


class StockSyncOut(Payload):
    publisher = fields.Nested(PublisherOut, required=True)
    shopify = fields.List(fields.Nested(ShopSyncOut), required=True)


class ShopifySyncArgs(PageArgs):
    shop = fields.String(load_default=None, validate=validate.Length(min=1, max=255),
                         metadata={"description": "the shop's myshopify domain"})
    status = fields.String(load_default=None, validate=validate.OneOf(SYNC_STATUSES),
                           metadata={"description": "`owed` (to push), `failing` (the last "
                                                    "push failed), `synced`"})
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class ShopifySyncOut(Payload):
    id = fields.Integer(required=True)
    shop = fields.String(required=True)
    shopify_location_id = fields.String(required=True)
    location = fields.String(required=True, metadata={"description": "our location code"})
    sku = fields.String(required=True)
    inventory_item_id = fields.String(required=True, allow_none=True, metadata={
        "description": "Shopify's inventory item (null until found)"})
    desired = fields.Integer(required=True, metadata={"description": "our `available`"})
    last_pushed = fields.Integer(required=True, allow_none=True, metadata={
        "description": "what Shopify holds as far as we know (sent as changeFromQuantity)"})
    owed = fields.Boolean(required=True)
    attempts = fields.Integer(required=True, metadata={
        "description": "failed attempts since the last success"})
    last_error = fields.String(required=True, allow_none=True)
    next_attempt_at = timestamp(required=True)
    pushed_at = timestamp(required=True, allow_none=True)
    changed_at = timestamp(required=True, metadata={"description": "when `desired` changed"})


class ShopifySyncListOut(Payload):
    items = fields.List(fields.Nested(ShopifySyncOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class StockChangedData(Payload):
    """`stock.changed`: one balance's figures as they are now (absolute, not a delta: a
    receiver that missed one keeps nothing stale), coalesced over a publishing pass."""

    location = fields.String(required=True, metadata={"description": "our location code"})
    sku = fields.String(required=True)
    on_hand = fields.Integer(required=True)
    reserved = fields.Integer(required=True, metadata={"description": "held for orders"})
    safety_stock = fields.Integer(required=True)
    in_transit = fields.Integer(required=True, metadata={
        "description": "on its way here by transfer"})
    available = fields.Integer(required=True, metadata={
        "description": "what may be promised: on hand - reserved - safety stock, at least 0; "
                       "0 at an inactive location"})
    changed_at = timestamp(required=True, metadata={
        "description": "the newest movement the figures include"})

