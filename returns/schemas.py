"""Request and response shapes of the returns API. Responses are `core.http.Payload`s
(undeclared keys pass through)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.http import Money, Pattern, Payload, money_out, record_id, timestamp
from inventory.models import MAX_MOVEMENT_QUANTITY
from returns.models import (
    EXCHANGE_BALANCES,
    EXCHANGE_STATES,
    REFUND_METHODS,
    REFUND_STATUSES,
    RETURN_STATUSES,
)
from returns.policy import DISPOSITIONS, REASONS

CODE = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
               error="1-40 letters, digits, '.', '_' or '-'")
UNITS = validate.Range(min=1, max=MAX_MOVEMENT_QUANTITY)
SKU = Pattern(r"^\S{1,64}$", error="1-64 characters without spaces")


class ReturnLineIn(Schema):
    line_id = record_id(required=True, metadata={"description": "the order line"})
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS), metadata={
        "description": "why it comes back; `damaged` and `wrong_item` refund the order's "
                       "shipping too (`OMS_RETURN_SHIPPING_REASONS`)"})


class ExchangeLineIn(Schema):
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)


class ExchangeAddressIn(Schema):
    name = fields.String(validate=validate.Length(max=200))
    line1 = fields.String(validate=validate.Length(max=200))
    city = fields.String(validate=validate.Length(max=120))
    region = fields.String(validate=validate.Length(max=120))
    postal_code = fields.String(validate=validate.Length(max=20))
    country = fields.String(validate=validate.Length(min=2, max=2))
    latitude = fields.Float(validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(validate=validate.Range(min=-180, max=180))


class ExchangeIn(Schema):
    method = fields.String(load_default="ship", validate=validate.OneOf(("ship", "pickup")),
                           metadata={"description": "when the return's store lacks the new "
                                                    "items: ship them or pick them up"})
    pickup_location = fields.String(validate=CODE)
    address = fields.Nested(ExchangeAddressIn, metadata={
        "description": "ship-to; default: the original order's"})


class ReturnIn(Schema):
    order_id = record_id(required=True)
    location = fields.String(required=True, validate=CODE, metadata={
        "description": "where it comes back: any active store or warehouse (a store key: "
                       "its own)"})
    lines = fields.List(fields.Nested(ReturnLineIn), required=True,
                        validate=validate.Length(min=1, max=200))
    note = fields.String(validate=validate.Length(max=2000), metadata={
        "description": "free text next to the reasons"})
    override_window_reason = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "cs and admin: accept units past the return window, recording why"})
    exchange_lines = fields.List(fields.Nested(ExchangeLineIn),
                                 validate=validate.Length(min=1, max=50), metadata={
        "description": "new items for an exchange (catalogue prices): a linked exchange "
                       "order, carried out at once from the store when it has them"})
    exchange = fields.Nested(ExchangeIn)


class ReceiveLineIn(Schema):
    line_id = record_id(required=True, metadata={"description": "the order line"})
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)
    disposition = fields.String(required=True, validate=validate.OneOf(DISPOSITIONS),
                                metadata={"description": "`restock`: sellable here at once; "
                                          "`damaged`: booked in and written off"})


class ReceiveIn(Schema):
    lines = fields.List(fields.Nested(ReceiveLineIn), required=True,
                        validate=validate.Length(min=1, max=200))


class ExchangePaymentIn(Schema):
    amount = Money(required=True, metadata={"description": "the difference the customer owed"})
    reference = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ReturnCancelIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "why the units still expected will not come (on the timeline)"})


class RefundSettleIn(Schema):
    external_ref = fields.String(required=True, validate=[
        validate.Length(min=1, max=200),
        Pattern(r"^\S(?:[^\r\n]*\S)?$", error="one line, no blanks around it")], metadata={
        "description": "the payment provider's or till's reference of the money moved back "
                       "(settling again with the same one changes nothing)"})
    method = fields.String(validate=validate.OneOf(REFUND_METHODS), metadata={
        "description": "how the money went back"})


class LookupArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "order number, channel order name, email, phone, name"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=50))


# ------------------------------------------------------------------ responses

class RefundPartsOut(Payload):
    subtotal = money_out(required=True)
    discount = money_out(required=True)
    tax = money_out(required=True)
    included_tax = money_out(required=True, metadata={
        "description": "the part of `tax` already inside prices"})
    total = money_out(required=True)


class ReturnLineOut(Payload):
    line_id = fields.Integer(required=True, metadata={"description": "the order line"})
    sku = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    quantity = fields.Integer(required=True, metadata={"description": "authorised"})
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    received = fields.Integer(required=True)
    restocked = fields.Integer(required=True)
    damaged = fields.Integer(required=True)
    cancelled = fields.Integer(required=True, metadata={
        "description": "units that will not come: the return was cancelled before them"})
    refund = fields.Nested(RefundPartsOut, required=True, metadata={
        "description": "what was paid for these units (after a cancel: the received ones)"})


class RefundOut(Payload):
    id = fields.Integer(required=True)
    amount = money_out(required=True, metadata={"description": "what goes back"})
    status = fields.String(required=True, validate=validate.OneOf(REFUND_STATUSES), metadata={
        "description": "`pending`: the money is still to go back (the outbound sync sends it; "
                       "Shopify orders: `refundCreate`); `settled`: it went back (the channel "
                       "refunded it, or `POST /refunds/{refund_id}/settle` said so)"})
    subtotal = money_out(required=True)
    discount = money_out(required=True)
    tax = money_out(required=True)
    included_tax = money_out(required=True)
    shipping = money_out(required=True)
    exchange_applied = money_out(required=True, metadata={
        "description": "kept back for an exchange's new items"})
    external_ref = fields.String(required=True, allow_none=True, metadata={
        "description": "settled: the reference of the money moved (Shopify: its refund id)"})
    method = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf(REFUND_METHODS),
                           metadata={"description": "settled: how, when the settler said"})
    settled_by = fields.String(required=True, allow_none=True)
    settled_at = timestamp(required=True, allow_none=True)
    created_at = timestamp(required=True)


class RefundSettledOut(RefundOut):
    return_id = fields.Integer(required=True)
    return_number = fields.String(required=True, metadata={"example": "R-12"})
    return_status = fields.String(required=True, validate=validate.OneOf(RETURN_STATUSES),
                                  metadata={"description": "`refunded` once settled"})
    order_id = fields.Integer(required=True)
    order_number = fields.String(required=True)
    currency = fields.String(required=True)


class ExchangeOut(Payload):
    order_id = fields.Integer(required=True, allow_none=True,
                              metadata={"description": "null while awaiting the payment"})
    order_number = fields.String(required=True, allow_none=True)
    total = money_out(required=True, metadata={"description": "what the new items cost"})
    balance = fields.String(required=True, validate=validate.OneOf(EXCHANGE_BALANCES),
                            metadata={"description": "`owed` by the customer, to `refund`, "
                                                     "or `even`"})
    difference = money_out(required=True)
    state = fields.String(required=True, validate=validate.OneOf(EXCHANGE_STATES))
    held_at = fields.String(required=True, allow_none=True, metadata={
        "description": "awaiting payment: where the new items are reserved (`released`: "
                       "where they were, until the return was cancelled)"})


class WindowOverrideOut(Payload):
    reason = fields.String(required=True)
    by = fields.String(required=True)


class CancellationOut(Payload):
    reason = fields.String(required=True)
    by = fields.String(required=True)
    at = timestamp(required=True)


class ReturnOut(Payload):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "R-12"})
    order_id = fields.Integer(required=True)
    order_number = fields.String(required=True)
    channel = fields.String(required=True)
    customer_id = fields.Integer(required=True, allow_none=True)
    location = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(RETURN_STATUSES))
    source = fields.String(required=True)
    note = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True)
    refund_total = money_out(required=True, metadata={
        "description": "what the authorised units (and shipping, if refunded) give back"})
    refund_shipping = fields.Boolean(required=True)
    window_override = fields.Nested(WindowOverrideOut, required=True, allow_none=True)
    lines = fields.List(fields.Nested(ReturnLineOut), required=True)
    refund = fields.Nested(RefundOut, required=True, allow_none=True,
                           metadata={"description": "recorded once everything is received"})
    exchange = fields.Nested(ExchangeOut, required=True, allow_none=True)
    cancellation = fields.Nested(CancellationOut, required=True, allow_none=True, metadata={
        "description": "set when the return was cancelled (wholly, or the units not received)"})
    created_by = fields.String(required=True)
    created_at = timestamp(required=True)
    received_at = timestamp(required=True, allow_none=True)
    updated_at = timestamp(required=True)


class ReturnableLineOut(Payload):
    line_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    ordered = fields.Integer(required=True)
    handed_over = fields.Integer(required=True)
    returned = fields.Integer(required=True, metadata={
        "description": "under a return already (authorised or received)"})
    returnable = fields.Integer(required=True)
    paid_per_unit = money_out(required=True, metadata={
        "description": "the first unit's share (units differ by a cent at most)"})
    paid = money_out(required=True, metadata={"description": "the whole line"})
    handed_over_at = timestamp(required=True, allow_none=True)


class ReturnableOrderOut(Payload):
    order_id = fields.Integer(required=True)
    number = fields.String(required=True)
    channel = fields.String(required=True)
    channel_name = fields.String(required=True, allow_none=True)
    status = fields.String(required=True)
    currency = fields.String(required=True)
    lines = fields.List(fields.Nested(ReturnableLineOut), required=True)


class LookupOut(Payload):
    items = fields.List(fields.Nested(ReturnableOrderOut), required=True)
