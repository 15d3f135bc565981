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
    name = fields.String(required=True, allow_none=True,
                         metadata={"description": "the channel's product name, else the "
                                                  "catalogue's"})
    quantity = fields.Integer(required=True)
    picked_quantity = fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "null until picked"})
    source_location = fields.String(required=True)


class CustomerContactOut(Payload):
    name = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)


class LabelAddressOut(Payload):
    """The ship-to as a label shows it (the address's name, else the customer's)."""

    name = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    line1 = fields.String(allow_none=True)
    line2 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class FulfillmentOut(Payload):
    id = fields.Integer(required=True)
    order_id = fields.Integer(required=True)
    order_number = fields.String(required=True)
    channel = fields.String(required=True, allow_none=True)
    customer = fields.Nested(CustomerContactOut, required=True,
                             metadata={"description": "who a pickup is handed to"})
    ship_to = fields.Nested(LabelAddressOut, required=True, allow_none=True,
                            metadata={"description": "shipments only"})
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
    """A fulfillment on its own (pick lists, the steps)."""


class ReadyForPickupOut(ListedFulfillmentOut):
    pickup_code = fields.String(required=True, metadata={
        "description": "8 characters, shown this once: the customer gives it at pickup"})


class PickListOut(Payload):
    items = fields.List(fields.Nested(ListedFulfillmentOut), required=True)
