"""Request shapes of the orders and customers API."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.http import PageArgs, record_id
from oms.domain import CHANNELS, CONTACT_CHANNELS, FULFILLMENT_METHODS, ORDER_STATUSES
from oms.policy import BOPIS_POLICIES

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                       error="1-40 letters, digits, '.', '_' or '-'")


class CustomerIn(Schema):
    email = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(max=320))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    account_id = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=200),
                               metadata={"description": "the customer's id on this channel"})


class LineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True)
    unit_price = fields.Decimal(required=True, as_string=True,
                                validate=validate.Range(min=0, max=10_000_000))
    name = fields.String(load_default=None, validate=validate.Length(max=200))
    external_id = fields.String(load_default=None, validate=validate.Length(max=120))


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


class OrderIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    external_id = fields.String(required=True, validate=validate.Length(min=1, max=120))
    customer = fields.Nested(CustomerIn, load_default=dict)
    lines = fields.List(fields.Nested(LineIn), required=True,
                        validate=validate.Length(min=1, max=200))
    currency = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Z]{3}$", error="an ISO 4217 code such as USD"))
    fulfillment = fields.Nested(FulfillmentIn, required=True)
    bopis_policy = fields.String(load_default=None, validate=validate.OneOf(BOPIS_POLICIES))
    channel_name = fields.String(load_default=None, validate=validate.Length(max=120))


class CancelLineIn(Schema):
    line_id = record_id(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class CancelIn(Schema):
    lines = fields.List(fields.Nested(CancelLineIn), load_default=None,
                        validate=validate.Length(min=1))
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class AddLineIn(Schema):
    line_id = record_id(load_default=None, metadata={
        "description": "more of this line (its SKU and price); omit for a new line"})
    sku = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit_price = fields.Decimal(load_default=None, as_string=True,
                                validate=validate.Range(min=0, max=10_000_000))
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
