"""The shape of each event's `data` (README, "Event catalogue"): the order as subscribers see
it (`oms.events.order_payload`) plus what the event adds. `oms.catalogue` maps each topic to
one of these and publishes them in the API document.

Fields may be added within a version (the shapes allow additional properties: receivers
ignore what they do not know); a field removed or changed in meaning is a new version."""

from __future__ import annotations

from marshmallow import fields, validate

from core.http import Payload, money_out, timestamp
from fulfillment.models import FULFILLMENT_METHODS, FULFILLMENT_STATUSES
from fulfillment.schemas import LabelAddressOut
from oms.domain import CHANNELS, HOLD_CODES, ORDER_STATUSES
from oms.schemas import LineUnitsOut, RoutingOut
from returns.models import (
    EXCHANGE_BALANCES,
    EXCHANGE_STATES,
    REFUND_METHODS,
    REFUND_STATUSES,
    RETURN_STATUSES,
)
from returns.policy import DISPOSITIONS


def _text(description: str, **kwargs) -> fields.String:
    return fields.String(metadata={"description": description}, **kwargs)


# ------------------------------------------------------------------ the order, in every event

class OrderLineData(Payload):
    line_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, metadata={"description": "ordered"})
    allocated = fields.Integer(required=True, metadata={"description": "reserved at a node"})
    backordered = fields.Integer(required=True)
    fulfilled = fields.Integer(required=True, metadata={
        "description": "shipped or handed over"})
    cancelled = fields.Integer(required=True)


class OrderData(Payload):
    """What every event says about its order."""

    order_id = fields.Integer(required=True)
    number = _text("the order number (`NW-100042`)", required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    external_id = _text("the channel's id of the order", required=True)
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES),
                           metadata={"description": "the order's status after the change"})
    customer_id = fields.Integer(required=True, allow_none=True)
    # Not required: rows written to the outbox before it existed are delivered without it.
    promised_delivery_date = fields.String(allow_none=True, metadata={
        "format": "date", "description": "the delivery date promised to the customer "
        "(express), or null"})
    lines = fields.List(fields.Nested(OrderLineData), required=True)


class HoldDetailData(Payload):
    unknown_skus = fields.List(fields.String(), required=True)
    location = fields.Dict(metadata={"description": "the channel's location we cannot map"})


class PromiseChangeData(Payload):
    from_ = fields.String(data_key="from", required=True, allow_none=True,
                          metadata={"format": "date", "description": "null: none before"})
    to = fields.String(required=True, allow_none=True,
                       metadata={"format": "date", "description": "null: promise dropped"})


class OrderEventData(OrderData):
    """`order.*`: the order, and what caused the change where the cause says more."""

    routing = fields.Nested(RoutingOut, metadata={
        "description": "after routing or re-routing: the decision and its reasons"})
    cancelled = fields.List(fields.Nested(LineUnitsOut), metadata={
        "description": "units cancelled by this change (`order.cancelled`, `order.updated`)"})
    added = fields.List(fields.String(), metadata={
        "description": "`order.updated`: what a channel or CS added, in words"})
    promise = fields.Nested(PromiseChangeData, metadata={
        "description": "`order.updated`: customer service moved or dropped the promised "
                       "delivery date"})
    fulfillment_id = fields.Integer(metadata={
        "description": "the shipment or pickup that fulfilled units, or the pickup that "
                       "expired (`order.cancelled`)"})
    location = _text("the node of that fulfillment")
    carrier = _text("a shipment's carrier")
    tracking_number = _text("a shipment's tracking number")
    hold_code = fields.String(validate=validate.OneOf(HOLD_CODES),
                              metadata={"description": "`order.on_hold`: why"})
    hold = fields.Nested(HoldDetailData, metadata={"description": "`order.on_hold`: what"})


# ------------------------------------------------------------------ fulfillment.*

class WorkLineData(Payload):
    line_id = fields.Integer(required=True, metadata={"description": "the order line"})
    sku = fields.String(required=True)
    name = fields.String(required=True, allow_none=True, metadata={
        "description": "the product name (the channel's, else the catalogue's)"})
    quantity = fields.Integer(required=True)


class RecipientData(Payload):
    name = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)


class FulfillmentData(OrderData):
    """`fulfillment.*`: one node's work for the order. `lines` are that work's lines (per order
    line), not the order's; `status` stays the order's."""

    fulfillment_id = fields.Integer(required=True)
    location = _text("the node doing the work (a location-scoped subscription gets the "
                     "events naming its location)", required=True)
    kind = fields.String(required=True, validate=validate.OneOf(FULFILLMENT_METHODS),
                         metadata={"description": "`ship` to the customer, `pickup` at a "
                                                  "store, `transfer` to a pickup store"})
    fulfillment_status = fields.String(required=True,
                                       validate=validate.OneOf(FULFILLMENT_STATUSES))
    transfer_to = _text("a transfer's pickup store", required=True, allow_none=True)
    lines = fields.List(fields.Nested(WorkLineData), required=True)


class FulfillmentCreatedData(FulfillmentData):
    assigned_on = fields.String(required=True, metadata={"format": "date"})
    ship_to = fields.Nested(LabelAddressOut, required=True, allow_none=True, metadata={
        "description": "a shipment's label address; null for pickups and transfers"})
    recipient = fields.Nested(RecipientData, required=True, metadata={
        "description": "who receives the parcel or collects the pickup"})
    shipping_method = _text("the service the customer chose, as the channel named it",
                            required=True, allow_none=True)


class FulfillmentCancelledData(FulfillmentData):
    lines = fields.List(fields.Nested(WorkLineData), required=True, metadata={
        "description": "what the node still holds (empty: nothing)"})
    cancelled = fields.List(fields.Nested(WorkLineData), required=True, metadata={
        "description": "what the node no longer holds"})
    reason = fields.String(required=True)


class FulfillmentClaimedData(FulfillmentData):
    claimed_by = fields.String(required=True)
    lease_expires_at = timestamp(required=True)


class FulfillmentShippedData(FulfillmentData):
    lines = fields.List(fields.Nested(WorkLineData), required=True,
                        metadata={"description": "what was picked and shipped"})
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True)
    shipped_at = timestamp(required=True)


class FulfillmentTransferShippedData(FulfillmentShippedData):
    locations = fields.List(fields.String(), required=True, metadata={
        "description": "the sender and the pickup store: both stores' subscriptions get it"})


class FulfillmentRejectedData(FulfillmentData):
    reason = fields.String(required=True, allow_none=True)


class FulfillmentReadyForPickupData(FulfillmentData):
    pickup_code = _text("the code the customer gives at the counter (`ABCD-EFGH`)",
                        required=True)
    ready_at = timestamp(required=True)
    pickup_expires_at = timestamp(required=True, metadata={
        "description": "not collected by then, the pickup is cancelled"})
    recipient = fields.Nested(RecipientData, required=True,
                              metadata={"description": "who collects"})


class FulfillmentPickedUpData(FulfillmentData):
    picked_up_at = timestamp(required=True)


class FulfillmentExpiringData(FulfillmentData):
    ready_at = timestamp(required=True)
    pickup_expires_at = timestamp(required=True, metadata={
        "description": "not collected by then, the pickup is cancelled"})
    recipient = fields.Nested(RecipientData, required=True,
                              metadata={"description": "who collects (to remind)"})


class FulfillmentExpiredData(FulfillmentData):
    pickup_expires_at = timestamp(required=True)
    reason = fields.String(required=True, allow_none=True)


# ------------------------------------------------------------------ return.*, refund.*

class ReturnLineData(Payload):
    line_id = fields.Integer(required=True, metadata={"description": "the order line"})
    quantity = fields.Integer(required=True)


class ReceivedLineData(ReturnLineData):
    disposition = fields.String(required=True, validate=validate.OneOf(DISPOSITIONS))


class ReturnCreatedData(OrderData):
    return_id = fields.Integer(required=True)
    location = _text("where the return is expected", required=True)
    refund_total = money_out(required=True)
    lines = fields.List(fields.Nested(ReturnLineData), required=True,
                        metadata={"description": "the return's lines, not the order's"})
    window_override = _text("why the return window was overridden")


class ReturnReceivedData(OrderData):
    return_id = fields.Integer(required=True)
    location = _text("where it was received", required=True)
    status = fields.String(required=True, validate=validate.OneOf(RETURN_STATUSES),
                           metadata={"description": "the return's status"})
    lines = fields.List(fields.Nested(ReceivedLineData), required=True,
                        metadata={"description": "what arrived"})


class ReturnExchangeData(OrderData):
    return_id = fields.Integer(required=True)
    balance = fields.String(required=True, allow_none=True,
                            validate=validate.OneOf(EXCHANGE_BALANCES))
    difference = money_out(required=True)
    exchange_order_id = fields.Integer(metadata={"description": "once the order is placed"})


class ReturnCancelledData(OrderData):
    return_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(RETURN_STATUSES),
                           metadata={"description": "the return's status"})
    lines = fields.List(fields.Nested(ReturnLineData), required=True, metadata={
        "description": "units that will not come, negative"})
    refund_total = money_out(required=True)
    exchange_state = fields.String(required=True, allow_none=True,
                                   validate=validate.OneOf(EXCHANGE_STATES))
    exchange_order_id = fields.Integer(required=True, allow_none=True)


class RefundCreatedData(OrderData):
    return_id = fields.Integer(required=True)
    refund_id = fields.Integer(required=True)
    amount = money_out(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REFUND_STATUSES),
                           metadata={"description": "the refund's status"})


class RefundSettledData(RefundCreatedData):
    external_ref = _text("the reference of the money moved back (Shopify: its refund id)",
                         required=True)
    method = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf(REFUND_METHODS),
                           metadata={"description": "how, when the settler said"})
    settled_at = timestamp(required=True)
