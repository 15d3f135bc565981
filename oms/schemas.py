"""Request and response shapes of the orders and customers API."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.http import Money, PageArgs, Pattern, Payload, money_out, record_id, timestamp
from fulfillment.schemas import FulfillmentOut
from inventory.models import MAX_MOVEMENT_QUANTITY
from oms.domain import (
    CHANNELS,
    CONTACT_CHANNELS,
    FULFILLMENT_METHODS,
    HOLD_CODES,
    ORDER_STATUSES,
)
from oms.policy import BOPIS_POLICIES

CODE = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                       error="1-40 letters, digits, '.', '_' or '-'")
# Units on a line or in a change of one: what the ledger moves at once (ledger.check_quantity).
UNITS = validate.Range(min=1, max=MAX_MOVEMENT_QUANTITY)


class CustomerIn(Schema):
    email = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(max=320))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    account_id = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=200),
                               metadata={"description": "the customer's id on this channel"})


RATE_PATTERN = r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$"


class Rate(fields.String):
    """A tax rate as a fraction in a decimal string ("0.0825" for 8.25 %), loaded as a
    Decimal."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": RATE_PATTERN, "example": "0.0825",
                                   "description": "a fraction: 0.0825 for 8.25 %"},
                         **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:  # type: ignore[override]
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(RATE_PATTERN, text):
            raise ValidationError("a fraction from 0 to 1 with at most 6 decimals")
        return Decimal(text)


class TaxLineIn(Schema):
    title = fields.String(load_default=None, validate=validate.Length(max=200))
    rate = Rate(load_default=None)
    amount = Money(load_default=None, metadata={
        "description": "the tax in money; without it, computed from the rate on what the "
                       "line costs after discounts (rounded half up, once)"})

    @validates_schema
    def _amount_or_rate(self, data: dict, **_: object) -> None:
        if data.get("amount") is None and data.get("rate") is None:
            raise ValidationError("give the amount or the rate", "amount")


class DiscountAllocationIn(Schema):
    amount = Money(required=True)
    title = fields.String(load_default=None, validate=validate.Length(max=200))
    code = fields.String(load_default=None, validate=validate.Length(max=200))
    kind = fields.String(load_default=None, validate=validate.OneOf(("line", "order")),
                         metadata={"description": "a line-level discount, or this line's "
                                   "share of an order-level one"})


class LineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)
    unit_price = Money(required=True)
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    external_id = fields.String(load_default=None, validate=validate.Length(max=120))
    discount = Money(load_default=None, metadata={
        "description": "the line's discounts summed (for all its units); or give "
                       "discount_allocations"})
    discount_allocations = fields.List(fields.Nested(DiscountAllocationIn), load_default=None,
                                       validate=validate.Length(max=50))
    tax_lines = fields.List(fields.Nested(TaxLineIn), load_default=list,
                            validate=validate.Length(max=20))


class ShippingLineIn(Schema):
    title = fields.String(load_default=None, validate=validate.Length(max=200))
    price = Money(required=True)
    discount = Money(load_default=Decimal("0"))
    tax = Money(load_default=Decimal("0"))


class TotalsIn(Schema):
    """Totals as the channel computed them: each one given is checked (422 naming it)."""

    subtotal = Money(load_default=None, metadata={"description": "unit prices x quantities"})
    discounts = Money(load_default=None, metadata={
        "description": "line, order and shipping discounts"})
    tax = Money(load_default=None, metadata={"description": "all the tax"})
    shipping = Money(load_default=None, metadata={"description": "shipping prices"})
    total = Money(load_default=None, metadata={
        "description": "subtotal - discounts + shipping + tax unless prices include it"})


class AddressIn(Schema):
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    line1 = fields.String(load_default=None, validate=validate.Length(max=300))
    city = fields.String(load_default=None, validate=validate.Length(max=120))
    region = fields.String(load_default=None, validate=validate.Length(max=120))
    postal_code = fields.String(load_default=None, validate=validate.Length(max=20))
    country = fields.String(load_default=None, validate=validate.Length(equal=2))
    latitude = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True,
                             validate=validate.Range(min=-180, max=180))

    @validates_schema
    def _both_or_neither(self, data: dict, **_: object) -> None:
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError("give latitude and longitude together", "longitude")


class FulfillmentIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(FULFILLMENT_METHODS))
    pickup_location = fields.String(load_default=None, validate=CODE)
    location = fields.String(load_default=None, validate=CODE,
                             metadata={"description": "carry_out: the selling store"})
    address = fields.Nested(AddressIn, load_default=None)
    promised_delivery_date = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "a delivery date promised to the customer (express): routing uses only "
                       "nodes whose estimate makes it, and units none can deliver in time are "
                       "left for customer service (`needs_attention`, reasons `promise` and "
                       "`shortfall`), never backordered. Not before today (UTC); not for "
                       "`carry_out`"})


class OrderIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    customer = fields.Nested(CustomerIn, load_default=dict)
    lines = fields.List(fields.Nested(LineIn), required=True,
                        validate=validate.Length(min=1, max=200))
    currency = fields.String(required=True, validate=Pattern(
        r"^[A-Z]{3}$", error="an ISO 4217 code such as USD"))
    fulfillment = fields.Nested(FulfillmentIn, required=True)
    bopis_policy = fields.String(load_default=None, validate=validate.OneOf(BOPIS_POLICIES))
    channel_name = fields.String(load_default=None, validate=validate.Length(max=120))
    taxes_included = fields.Boolean(load_default=False, metadata={
        "description": "unit and shipping prices include their tax"})
    order_discount = Money(load_default=None, metadata={
        "description": "an order-level discount, spread over the lines by their subtotals"})
    shipping_lines = fields.List(fields.Nested(ShippingLineIn), load_default=list,
                                 validate=validate.Length(max=20))
    totals = fields.Nested(TotalsIn, load_default=None)


class CancelLineIn(Schema):
    line_id = record_id(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)


class CancelIn(Schema):
    lines = fields.List(fields.Nested(CancelLineIn), load_default=None,
                        validate=validate.Length(min=1))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class AddLineIn(Schema):
    line_id = record_id(load_default=None, metadata={
        "description": "more of this line (its SKU and price); omit for a new line"})
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)
    unit_price = Money(load_default=None)
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    external_id = fields.String(load_default=None, validate=validate.Length(max=120))

    @validates_schema
    def _line_or_new(self, data: dict, **_: object) -> None:
        if data.get("line_id") is None:
            missing = [f for f in ("sku", "unit_price") if data.get(f) is None]
            if missing:
                raise ValidationError("required for a new line (or give line_id)", missing[0])
        elif data.get("sku") is not None or data.get("unit_price") is not None:
            raise ValidationError("give line_id alone, or sku and unit_price for a new line",
                                  "line_id")


class AddLinesIn(Schema):
    lines = fields.List(fields.Nested(AddLineIn), required=True,
                        validate=validate.Length(min=1, max=200))


class RerouteIn(Schema):
    exclude_locations = fields.List(fields.String(validate=CODE), load_default=list)
    # No default: absent keeps the order's promise, null drops it.
    promised_delivery_date = fields.Date(allow_none=True, metadata={
        "description": "a new promised delivery date to route against, or null to drop the "
                       "promise (the customer agrees to wait); omit to keep the order's. Not "
                       "before today (UTC)"})


class Moment(fields.DateTime):
    """An ISO 8601 date or date-time, as naive UTC. A date alone means the start of that day
    (or, with `end_of_day`, its last instant, so that `created_to=2026-11-30` includes it)."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        text = str(value).strip()
        try:
            if len(text) == 10:
                start = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
                return start.replace(hour=23, minute=59, second=59, microsecond=999999) \
                    if self.end_of_day else start
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        except (ValueError, OverflowError) as exc:
            raise ValidationError("not an ISO 8601 date or date-time "
                                  "(2026-11-30 or 2026-11-30T09:00:00Z)") from exc
        return moment


class OrderListArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                      metadata={"description": "order number (with or without its prefix), "
                                "channel id or name, email, phone or its last 7+ digits, name, "
                                "surname, tracking number; omit to list every order"})
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    location = fields.String(load_default=None, validate=CODE, metadata={
        "description": "orders with work at this location, or picked up / sold there"})
    created_from = Moment(load_default=None, metadata={"description": "inclusive"})
    created_to = Moment(load_default=None, end_of_day=True,
                        metadata={"description": "inclusive (a date: the whole day)"})

    @validates_schema
    def _range(self, data: dict, **_: object) -> None:
        start, end = data.get("created_from"), data.get("created_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("must not be before created_from", "created_to")


class CustomerSearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class NoteIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CONTACT_CHANNELS))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class MergeIn(Schema):
    customer_id = record_id(required=True)
    reason = fields.String(load_default="merged by customer service",
                           validate=validate.Length(max=500))


class UnmergeIn(Schema):
    customer_id = record_id(required=True)


# ---------------------------------------------------------------- responses

class NoteOut(Payload):
    """A timeline event (a contact note is one)."""

    id = fields.Integer(required=True)
    at = timestamp(required=True)
    kind = fields.String(required=True, metadata={"description": "e.g. `note`, "
                                                  "`order.routed`, `fulfillment.shipped`"})
    message = fields.String(required=True)
    actor = fields.String(required=True)
    source = fields.String(required=True)
    contact_channel = fields.String(required=True, allow_none=True)


class TaxLineOut(Payload):
    title = fields.String(required=True, allow_none=True)
    rate = fields.String(required=True, allow_none=True)
    amount = money_out(required=True)


class ShippingLineOut(Payload):
    title = fields.String(required=True, allow_none=True)
    price = money_out(required=True)
    discount = money_out(required=True)
    tax = money_out(required=True)


class TotalsOut(Payload):
    """Over the units not cancelled (shipping while any unit is)."""

    subtotal = money_out(required=True)
    discounts = money_out(required=True)
    tax = money_out(required=True)
    shipping = money_out(required=True)
    total = money_out(required=True)


class LineOut(Payload):
    line_id = fields.Integer(required=True)
    line_no = fields.Integer(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    external_id = fields.String(required=True, allow_none=True)
    unit_price = money_out(required=True)
    discount = money_out(required=True, metadata={
        "description": "the line's discounts (its own and its share of order discounts)"})
    tax = money_out(required=True)
    tax_lines = fields.List(fields.Nested(TaxLineOut), required=True)
    discount_allocations = fields.List(fields.Dict(), required=True, allow_none=True,
                                       metadata={"description": "as the channel sent them"})
    paid = money_out(required=True, metadata={
        "description": "unit price x ordered - discount + tax unless prices include it"})
    ordered = fields.Integer(required=True)
    allocated = fields.Integer(required=True, metadata={"description": "reserved at a node"})
    backordered = fields.Integer(required=True)
    fulfilled = fields.Integer(required=True)
    shipped = fields.Integer(required=True)
    picked_up = fields.Integer(required=True)
    returned = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)


class AddressOut(Payload):
    name = fields.String(allow_none=True)
    line1 = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class OrderFulfillmentOut(Payload):
    method = fields.String(required=True, validate=validate.OneOf(FULFILLMENT_METHODS))
    location = fields.String(required=True, allow_none=True,
                             metadata={"description": "pickup store or selling store"})
    address = fields.Nested(AddressOut, required=True, allow_none=True)
    promised_delivery_date = fields.String(required=True, allow_none=True, metadata={
        "format": "date", "description": "the delivery date promised to the customer, or null"})


class AllocationOut(Payload):
    line_id = fields.Integer(required=True)
    sku = fields.String(required=True)
    location = fields.String(required=True)
    quantity = fields.Integer(required=True)
    kind = fields.String(required=True)
    transfer_to = fields.String(required=True, allow_none=True)


class LineUnitsOut(Payload):
    line_id = fields.Integer(required=True)
    quantity = fields.Integer(required=True)


class ReasonOut(Payload):
    code = fields.String(required=True, metadata={
        "description": "for programs to branch on, e.g. `distance_estimated`, `excluded`"})
    text = fields.String(required=True)


class RoutingOut(Payload):
    decided_at = timestamp(required=True)
    total_cost = fields.Float(required=True)
    exact = fields.Boolean(required=True, metadata={
        "description": "false when the split was found by the heuristic"})
    attempts = fields.Integer()
    reasons = fields.List(fields.Nested(ReasonOut), required=True)
    allocations = fields.List(fields.Nested(AllocationOut), required=True)
    backordered = fields.List(fields.Nested(LineUnitsOut), required=True)
    unfillable = fields.List(fields.Nested(LineUnitsOut), required=True)
    suggestions = fields.List(fields.String(), required=True, metadata={
        "description": "BOPIS `suggest`: stores that have every line, nearest first"})
    excluded = fields.List(fields.String(), required=True)
    # Not required: orders routed before it was recorded have none.
    estimated_delivery = fields.String(allow_none=True, metadata={
        "format": "date", "description": "when the customer gets everything allocated (the "
        "latest package; a pickup: the day the store has it all), business days from the "
        "routing's day; null when nothing was allocated"})


class HoldOut(Payload):
    code = fields.String(required=True, validate=validate.OneOf(HOLD_CODES))
    reason = fields.String(required=True, allow_none=True)
    since = timestamp(required=True, allow_none=True)
    unknown_skus = fields.List(fields.String(), required=True)


class OrderSummaryOut(Payload):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    external_id = fields.String(required=True)
    channel_name = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES))
    customer_id = fields.Integer(required=True, allow_none=True)
    customer_name = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True)
    subtotal = money_out(required=True)
    total = money_out(required=True)
    fulfillment_method = fields.String(required=True,
                                       validate=validate.OneOf(FULFILLMENT_METHODS))
    created_at = timestamp(required=True)
    hold = fields.Nested(HoldOut, required=True, allow_none=True,
                         metadata={"description": "why, while the order is `on_hold`"})


class OrderOut(OrderSummaryOut):
    taxes_included = fields.Boolean(required=True)
    shipping_lines = fields.List(fields.Nested(ShippingLineOut), required=True)
    totals = fields.Nested(TotalsOut, required=True)
    fulfillment = fields.Nested(OrderFulfillmentOut, required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)
    fulfillments = fields.List(fields.Nested(FulfillmentOut), required=True)
    returns = fields.List(fields.Dict(), required=True)
    routing = fields.Nested(RoutingOut, required=True, allow_none=True,
                            metadata={"description": "null until the order is routed"})
    timeline = fields.List(fields.Nested(NoteOut), required=True)
    updated_at = timestamp(required=True)


class OrderPageOut(Payload):
    items = fields.List(fields.Nested(OrderSummaryOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class SkuCountOut(Payload):
    sku = fields.String(required=True)
    orders = fields.Integer(required=True)


class LocationCountOut(Payload):
    location = fields.String(required=True, metadata={
        "description": "the channel's location as it sent it"})
    orders = fields.Integer(required=True)


class HoldsSummaryOut(Payload):
    total = fields.Integer(required=True)
    by_code = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    oldest_held_at = timestamp(required=True, allow_none=True)
    unknown_skus = fields.List(fields.Nested(SkuCountOut), required=True)
    unmapped_locations = fields.List(fields.Nested(LocationCountOut), required=True)


class AccountOut(Payload):
    id = fields.String(required=True, metadata={"description": "`channel:account id`"})
    channel = fields.String(required=True, allow_none=True)


class CustomerSummaryOut(Payload):
    id = fields.Integer(required=True)
    name = fields.String(required=True, allow_none=True)
    emails = fields.List(fields.String(), required=True)
    phones = fields.List(fields.String(), required=True, metadata={"description": "E.164"})
    accounts = fields.List(fields.Nested(AccountOut), required=True)
    merged_into = fields.Integer(required=True, allow_none=True)


class MergeRecordOut(Payload):
    id = fields.Integer(required=True)
    survivor_id = fields.Integer(required=True)
    merged_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    actor = fields.String(required=True)
    at = timestamp(required=True)
    undone_at = timestamp(required=True, allow_none=True)


class CustomerOut(CustomerSummaryOut):
    orders = fields.List(fields.Nested(OrderSummaryOut), required=True)
    channels = fields.List(fields.String(), required=True)
    returns = fields.List(fields.Dict(), required=True)
    notes = fields.List(fields.Nested(NoteOut), required=True)
    merges = fields.List(fields.Nested(MergeRecordOut), required=True)


class CustomerListOut(Payload):
    items = fields.List(fields.Nested(CustomerSummaryOut), required=True)


class MergeOut(Payload):
    merge_id = fields.Integer(required=True)
    customer = fields.Nested(CustomerOut, required=True)
