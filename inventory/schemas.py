"""Request and response shapes of the inventory API (marshmallow; flask-smorest documents them).
The rules for quantities are enforced by `inventory.ledger.check_quantity` (sign and zero per
kind); the schemas state the same bounds so that the API document shows them."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.http import Money, PageArgs, Pattern, Payload, money_out, timestamp
from inventory.models import LOCATION_KINDS, MAX_MOVEMENT_QUANTITY

CODE = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                       error="1-40 letters, digits, '.', '_' or '-'")
# No "/": a SKU is a path segment (/stock/{sku}/movements).
SKU = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                      error="1-64 letters, digits, '.', '_' or '-'")
API_MOVEMENT_KINDS = ("receipt", "adjustment", "cycle_count", "damage", "transfer")
SIGNED_UNITS = validate.Range(min=-MAX_MOVEMENT_QUANTITY, max=MAX_MOVEMENT_QUANTITY)
UNITS = validate.Range(min=1, max=MAX_MOVEMENT_QUANTITY)
UNITS_OR_ZERO = validate.Range(min=0, max=MAX_MOVEMENT_QUANTITY)


class LocationIn(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    ships = fields.Boolean(load_default=True)
    pickup = fields.Boolean(load_default=False)
    priority = fields.Integer(strict=True, load_default=0,
                              validate=validate.Range(min=-1000, max=1000))
    daily_capacity = fields.Integer(strict=True, load_default=None, allow_none=True,
                                    validate=validate.Range(min=1, max=1_000_000))
    city = fields.String(load_default=None, validate=validate.Length(max=120))
    region = fields.String(load_default=None, validate=validate.Length(max=120))
    country = fields.String(load_default=None, validate=validate.Length(equal=2))
    postal_code = fields.String(load_default=None, validate=validate.Length(max=20))


class LocationOut(Payload):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    ships = fields.Boolean(required=True)
    pickup = fields.Boolean(required=True)
    priority = fields.Integer(required=True)
    daily_capacity = fields.Integer(required=True, allow_none=True)
    city = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    postal_code = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class LocationListArgs(Schema):
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))


class ItemIn(Schema):
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price = Money(required=True)
    currency = fields.String(load_default="USD", validate=Pattern(
        r"^[A-Z]{3}$", error="an ISO 4217 code such as USD"))
    weight_grams = fields.Integer(strict=True, load_default=0,
                                  validate=validate.Range(min=0, max=10_000_000))


class MovementIn(Schema):
    sku = fields.String(required=True, validate=SKU)
    location = fields.String(required=True, validate=CODE)
    kind = fields.String(required=True, validate=validate.OneOf(API_MOVEMENT_KINDS))
    quantity = fields.Integer(
        required=True, strict=True, validate=SIGNED_UNITS,
        metadata={"description": "units; signed for adjustment; the counted quantity for "
                                 "cycle_count (0 allowed there); positive otherwise"})
    to_location = fields.String(load_default=None, validate=CODE)
    reference = fields.String(load_default=None, validate=validate.Length(max=200))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))

    @validates_schema
    def _transfer_needs_destination(self, data: dict, **_: object) -> None:
        if data.get("kind") == "transfer" and not data.get("to_location"):
            raise ValidationError("required for a transfer", "to_location")
        if data.get("kind") != "transfer" and data.get("to_location"):
            raise ValidationError("only for kind 'transfer'", "to_location")


class SafetyStockIn(Schema):
    safety_stock = fields.Integer(required=True, strict=True, validate=UNITS_OR_ZERO)


class TransferReceiveIn(Schema):
    quantity = fields.Integer(strict=True, load_default=None, validate=UNITS,
                              metadata={"description": "default: all that is outstanding"})
    reference = fields.String(load_default=None, validate=validate.Length(max=200))


class TransferListArgs(PageArgs):
    location = fields.String(validate=CODE)
    status = fields.String(validate=validate.OneOf(("in_transit", "received")))


class StockArgs(Schema):
    near = fields.String(validate=CODE, metadata={"description": "sort by distance from here"})
    latitude = fields.Float(validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(validate=validate.Range(min=-180, max=180))
    kind = fields.String(validate=validate.OneOf(LOCATION_KINDS))
    min_available = fields.Integer(load_default=0, validate=validate.Range(min=0))

    @validates_schema
    def _both_coordinates(self, data: dict, **_: object) -> None:
        if ("latitude" in data) != ("longitude" in data):
            raise ValidationError("give latitude and longitude together",
                                  "longitude" if "latitude" in data else "latitude")


class HistoryArgs(PageArgs):
    location = fields.String(validate=CODE)


class LocationStockArgs(PageArgs):
    available_only = fields.Boolean(load_default=False)


class BalanceOut(Payload):
    location = fields.String()
    location_name = fields.String()
    kind = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    safety_stock = fields.Integer()
    available = fields.Integer()
    in_transit = fields.Integer()
    distance_km = fields.Float()


class MovementOut(Payload):
    id = fields.Integer()
    kind = fields.String()
    sku = fields.String()
    location = fields.String()
    on_hand_delta = fields.Integer()
    reserved_delta = fields.Integer()
    in_transit_delta = fields.Integer()
    counter_location = fields.String(allow_none=True)
    transfer_id = fields.Integer(allow_none=True)
    demand_ref = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String(allow_none=True)
    created_at = timestamp()


class TransferOut(Payload):
    id = fields.Integer()
    sku = fields.String()
    from_location = fields.String()
    to_location = fields.String()
    quantity = fields.Integer()
    received_quantity = fields.Integer()
    status = fields.String()
    demand_ref = fields.String(allow_none=True)
    reserved_on_arrival = fields.Integer(
        metadata={"description": "units still on the road that will be reserved for "
                                 "demand_ref when they arrive (the rest arrive free)"})
    reference = fields.String(allow_none=True)
    created_at = timestamp()
    received_at = timestamp(allow_none=True)


class TransferPageOut(Payload):
    items = fields.List(fields.Nested(TransferOut))
    next_cursor = fields.String(allow_none=True)


class MovementResultOut(Payload):
    movements = fields.List(fields.Nested(MovementOut))
    balance = fields.Nested(BalanceOut)
    transfer = fields.Nested(TransferOut)


class NetworkTotalsOut(Payload):
    on_hand = fields.Integer()
    reserved = fields.Integer()
    safety_stock = fields.Integer()
    available = fields.Integer()
    in_transit = fields.Integer()


class StockOut(Payload):
    sku = fields.String()
    name = fields.String()
    network = fields.Nested(NetworkTotalsOut)
    locations = fields.List(fields.Nested(BalanceOut))


class MovementPageOut(Payload):
    items = fields.List(fields.Nested(MovementOut))
    next_cursor = fields.String(allow_none=True)


class ItemOut(Payload):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    price = money_out(required=True)
    currency = fields.String(required=True)
    weight_grams = fields.Integer(required=True)


class ItemPageOut(Payload):
    items = fields.List(fields.Nested(ItemOut))
    next_cursor = fields.String(allow_none=True)


class LocationStockRowOut(BalanceOut):
    sku = fields.String()
    name = fields.String()


class LocationStockOut(Payload):
    location = fields.Nested(LocationOut)
    items = fields.List(fields.Nested(LocationStockRowOut))
    next_cursor = fields.String(allow_none=True)
