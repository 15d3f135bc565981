"""Request shapes of the orders and customers API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.http import PageArgs, record_id
from oms.domain import CHANNELS, CONTACT_CHANNELS, FULFILLMENT_METHODS
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


class SearchArgs(PageArgs):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))


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
