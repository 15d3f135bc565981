"""Response shapes of fulfillments (pick lists, the steps, and inside an order's view), as the
API sends them (`fulfillment.queries.fulfillment_view`). Undeclared keys pass through
(`core.http.Payload`)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.http import Payload, timestamp
from fulfillment.models import FULFILLMENT_METHODS, FULFILLMENT_STATUSES


class FulfillmentLineOut(Payload):
    line_id = fields.Integer(required=True, metadata={"description": "the order line"})
    order_line_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True)
    picked_quantity = fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "null until picked"})
    source_location = fields.String(required=True)


class FulfillmentOut(Payload):
    id = fields.Integer(required=True)
    location = fields.String(required=True, metadata={"description": "the node doing the work"})
    method = fields.String(required=True, validate=validate.OneOf(FULFILLMENT_METHODS))
    status = fields.String(required=True, validate=validate.OneOf(FULFILLMENT_STATUSES))
    status_reason = fields.String(required=True, allow_none=True)
    transfer_to = fields.String(required=True, allow_none=True,
                                metadata={"description": "transfer: the pickup store"})
    assigned_on = fields.String(required=True, metadata={"format": "date"})
    claimed_by = fields.String(required=True, allow_none=True)
    lease_expires_at = timestamp(required=True, allow_none=True)
    picked_at = timestamp(required=True, allow_none=True)
    carrier = fields.String(required=True, allow_none=True)
    tracking_number = fields.String(required=True, allow_none=True)
    shipped_at = timestamp(required=True, allow_none=True)
    ready_at = timestamp(required=True, allow_none=True)
    pickup_expires_at = timestamp(required=True, allow_none=True)
    picked_up_at = timestamp(required=True, allow_none=True)
    lines = fields.List(fields.Nested(FulfillmentLineOut), required=True)


class ListedFulfillmentOut(FulfillmentOut):
    """A fulfillment on its own (pick lists, the steps): with its order."""

    order_id = fields.Integer(required=True)
    order_number = fields.String(required=True)


class ReadyForPickupOut(ListedFulfillmentOut):
    pickup_code = fields.String(required=True, metadata={
        "description": "8 characters, shown this once: the customer gives it at pickup"})


class PickListOut(Payload):
    items = fields.List(fields.Nested(ListedFulfillmentOut), required=True)
