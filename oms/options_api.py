"""`POST /api/v1/fulfillment-options`: what a storefront can promise for a cart at a place
(pickup stores, shipping), computed by `fulfillment.options` under the operator's routing
rules. A read: nothing is reserved or written."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.auth import require_roles
from core.db import read_session
from core.errors import InvalidInput
from core.http import Payload
from fulfillment import capacity, options
from oms import policy
from oms.domain import promise_refusal
from oms.schemas import CODE, UNITS, AddressIn, ReasonOut

blp = Blueprint("fulfillment_options", __name__, url_prefix="/api/v1",
                description="What a storefront can promise for a cart before an order: "
                            "pickup stores and shipping.")


# ---------------------------------------------------------------- request

class CartLineIn(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True, validate=UNITS)


class FulfillmentOptionsIn(Schema):
    lines = fields.List(fields.Nested(CartLineIn), required=True,
                        validate=validate.Length(min=1, max=options.MAX_LINES))
    destination = fields.Nested(AddressIn, load_default=None, metadata={
        "description": "where the shopper is or wants it: `latitude` and `longitude`, or a "
                       "`postal_code` and `country` (`city`, `region` help), estimated offline "
                       "like an order's ship-to (`place.estimated` says so). The same object "
                       "as an order's `fulfillment.address`; `name` and `line1` are not used."})
    pickup_location = fields.String(load_default=None, validate=CODE, metadata={
        "description": "the shopper's store: always answered in `pickup.selected_store`; "
                       "without a destination, the place is this store (one of the two is "
                       "required)"})
    radius_km = fields.Float(load_default=options.DEFAULT_RADIUS_KM, validate=validate.Range(
        min=1, max=options.MAX_RADIUS_KM), metadata={
        "description": "pickup stores within this distance of the place"})
    max_stores = fields.Integer(load_default=options.DEFAULT_MAX_STORES, strict=True,
                                validate=validate.Range(min=1, max=options.MAX_STORES))
    deliver_by = fields.Date(load_default=None, metadata={
        "description": "express: only nodes whose estimate makes this date (not before "
                       "today, UTC) may send; shipping and transfers to stores"})


# ---------------------------------------------------------------- response

class ItemUnitsOut(Payload):
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True)


class MissingUnitsOut(Payload):
    line = fields.Integer(required=True, metadata={"description": "the cart line (from 0)"})
    sku = fields.String(required=True)
    quantity = fields.Integer(required=True, metadata={"description": "units it cannot have"})


class TransferOptionOut(Payload):
    source = fields.String(required=True, data_key="from",
                           metadata={"description": "the node that sends them"})
    kind = fields.String(required=True, metadata={"description": "`warehouse` or `store`"})
    distance_km = fields.Float(required=True, metadata={"description": "to the pickup store"})
    arrives_on = fields.Date(required=True)
    items = fields.List(fields.Nested(ItemUnitsOut), required=True)


class StoreOptionOut(Payload):
    code = fields.String(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    postal_code = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, allow_none=True)
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    distance_km = fields.Float(required=True, metadata={"description": "from the place"})
    selected = fields.Boolean(required=True, metadata={
        "description": "this is the `pickup_location` asked about"})
    available = fields.Boolean(required=True, metadata={
        "description": "the whole cart can be ready here"})
    ready = fields.String(required=True, allow_none=True, validate=validate.OneOf(
        (options.NOW, options.AFTER_TRANSFER)), metadata={
        "description": "`now`: from the store's shelf; `after_transfer`: once `transfers` "
                       "arrive; null when not available"})
    ready_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "the day it can be collected (estimated for a transfer)"})
    in_store = fields.List(fields.Nested(ItemUnitsOut), required=True, metadata={
        "description": "units from the store's own shelf"})
    transfers = fields.List(fields.Nested(TransferOptionOut), required=True)
    missing = fields.List(fields.Nested(MissingUnitsOut), required=True, metadata={
        "description": "what the store cannot have, even by transfer (when not available)"})
    reasons = fields.List(fields.Nested(ReasonOut), required=True, metadata={
        "description": "the routing decision in words, for support"})


class PickupOptionsOut(Payload):
    selected_store = fields.Nested(StoreOptionOut, required=True, allow_none=True, metadata={
        "description": "the `pickup_location`, whatever it can do (null without one)"})
    stores = fields.List(fields.Nested(StoreOptionOut), required=True, metadata={
        "description": "stores within `radius_km` of the place (and the selected store "
                       "wherever it is) that can have the whole cart ready, nearest first, "
                       "at most `max_stores`"})
    radius_km = fields.Float(required=True)


class ShipNodeOut(Payload):
    code = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "`warehouse` or `store`"})
    distance_km = fields.Float(required=True, metadata={"description": "to the place"})
    estimated_delivery = fields.Date(required=True, metadata={
        "description": "this package's estimated delivery"})
    items = fields.List(fields.Nested(ItemUnitsOut), required=True)


class ShipOptionOut(Payload):
    available = fields.Boolean(required=True, metadata={"description": "the whole cart ships"})
    estimated_delivery = fields.Date(required=True, allow_none=True, metadata={
        "description": "when the last package arrives; null when nothing can ship"})
    packages = fields.Integer(required=True, metadata={
        "description": "1: one package; more: a split across nodes"})
    nodes = fields.List(fields.Nested(ShipNodeOut), required=True)
    missing = fields.List(fields.Nested(MissingUnitsOut), required=True)
    reasons = fields.List(fields.Nested(ReasonOut), required=True)


class PlaceOut(Payload):
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    estimated = fields.Boolean(required=True, metadata={
        "description": "from a postal code, city, region or country, not exact coordinates"})
    source = fields.String(required=True, metadata={
        "description": "e.g. `coordinates`, `postal code 100xx`, `pickup store store-soho`"})


class FulfillmentOptionsOut(Payload):
    today = fields.Date(required=True, metadata={"description": "the day the dates count "
                                                                "from (UTC)"})
    deliver_by = fields.Date(required=True, allow_none=True)
    place = fields.Nested(PlaceOut, required=True)
    pickup = fields.Nested(PickupOptionsOut, required=True)
    ship = fields.Nested(ShipOptionOut, required=True)


# ---------------------------------------------------------------- the endpoint

@blp.route("/fulfillment-options", methods=["POST"])
@require_roles("channel")
@blp.arguments(FulfillmentOptionsIn)
@blp.response(200, FulfillmentOptionsOut, description="What can be promised, nothing held.")
def fulfillment_options(data: dict):
    """What we can promise for a cart at a place: pickup stores and shipping.

    For a product or cart page: which stores near the place can have the whole cart ready
    (now from the shelf, or after a transfer, with the day), the shopper's own store even when
    it cannot (with what it lacks), and shipping to the place (estimated delivery, packages,
    the nodes). Computed like an order's routing, on the same available stock (safety stock
    never promised); nothing is reserved, so an order placed later is routed afresh."""
    # The storefront's date is a delivery promise like an order's, by the same rule ("ship":
    # a cart asks about pickup and shipping, never a counter sale).
    problem = promise_refusal(data["deliver_by"], "ship", capacity.today())
    if problem is not None:
        raise InvalidInput("deliver_by", problem)
    query = options.OptionsQuery(
        lines=tuple(options.CartLine(ln["sku"], ln["quantity"]) for ln in data["lines"]),
        destination=data["destination"], pickup_location=data["pickup_location"],
        radius_km=data["radius_km"], max_stores=data["max_stores"],
        deliver_by=data["deliver_by"])
    with read_session() as session:
        return options.fulfillment_options(session, query, policy.current().routing)
