"""Fulfillment endpoints: warehouse pick lists, shipping, store pickups, rejections."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.auth import current_principal, require_location, require_roles
from core.http import Pattern, record_id
from core.idempotency import idempotent, joined_work
from fulfillment import use_cases
from fulfillment.schemas import ListedFulfillmentOut, PickListOut, ReadyForPickupOut
from fulfillment.use_cases import MAX_LEASE_SECONDS
from inventory import queries as inventory_queries
from inventory.ledger import Cause
from inventory.models import MAX_MOVEMENT_QUANTITY
from inventory.schemas import TransferOut, TransferReceiveIn

CODE = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
                       error="1-40 letters, digits, '.', '_' or '-'")
ID = "<int(max=2147483647):fulfillment_id>"

LEASE = validate.Range(min=1, max=MAX_LEASE_SECONDS)
CONFLICT = "CONFLICT"  # the document's 409 response (core.http.ERROR_RESPONSES)

blp = Blueprint("fulfillment", __name__, url_prefix="/api/v1",
                description="Work at nodes: pick lists, shipping, pickups, rejections.")


class PickListArgs(Schema):
    location = fields.String(required=True, validate=CODE)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ClaimIn(Schema):
    location = fields.String(required=True, validate=CODE)
    limit = fields.Integer(load_default=10, strict=True, validate=validate.Range(min=1, max=100))
    lease_seconds = fields.Integer(load_default=300, strict=True, validate=LEASE)


class RenewIn(Schema):
    lease_seconds = fields.Integer(load_default=300, strict=True, validate=LEASE)


class PickLineIn(Schema):
    line_id = record_id(required=True)
    picked_quantity = fields.Integer(required=True, strict=True,
                                     validate=validate.Range(min=0, max=MAX_MOVEMENT_QUANTITY))


class PickIn(Schema):
    lines = fields.List(fields.Nested(PickLineIn), required=True,
                        validate=validate.Length(min=1))


class ShipIn(Schema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=60))
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PickupIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


@blp.route("/pick-lists", methods=["GET"])
@require_roles("wms", "store")
@blp.arguments(PickListArgs, location="query")
@blp.response(200, PickListOut)
def pick_list(args: dict):
    """List open fulfillments at a location, oldest first."""
    require_location(args["location"])
    return {"items": use_cases.pick_list(args["location"], args["limit"])}


@blp.route("/pick-lists/claim", methods=["POST"])
@require_roles("wms", "store")
@blp.arguments(ClaimIn)
@blp.response(200, PickListOut)
def claim(data: dict):
    """Claim up to `limit` unclaimed fulfillments with a lease.

    Atomic: two pollers never get the same one, and an expired lease returns the work to the
    pool."""
    claimed = use_cases.claim(data["location"], data["limit"], data["lease_seconds"],
                               current_principal())
    return {"items": claimed}


@blp.route(f"/fulfillments/{ID}", methods=["GET"])
@require_roles("wms", "store", "cs")
@blp.response(200, ListedFulfillmentOut)
def get_fulfillment(fulfillment_id: int):
    """Show a fulfillment with its lines."""
    return use_cases.get(fulfillment_id, current_principal())


@blp.route(f"/fulfillments/{ID}/renew", methods=["POST"])
@require_roles("wms", "store")
@blp.arguments(RenewIn)
@blp.response(200, ListedFulfillmentOut)
@blp.alt_response(409, CONFLICT)
def renew(data: dict, fulfillment_id: int):
    """Extend the lease of a fulfillment you claimed."""
    return use_cases.renew(fulfillment_id, data["lease_seconds"], current_principal())


@blp.route(f"/fulfillments/{ID}/pick", methods=["POST"])
@require_roles("wms", "store")
@blp.arguments(PickIn)
@blp.response(200, ListedFulfillmentOut)
@blp.alt_response(409, CONFLICT)
def pick(data: dict, fulfillment_id: int):
    """Confirm picked quantities; a short pick re-routes the missing units elsewhere."""
    picked = {ln["line_id"]: ln["picked_quantity"] for ln in data["lines"]}
    return use_cases.pick(fulfillment_id, picked, current_principal())


@blp.route(f"/fulfillments/{ID}/ship", methods=["POST"])
@require_roles("wms", "store")
@blp.arguments(ShipIn)
@blp.response(200, ListedFulfillmentOut)
@blp.alt_response(409, CONFLICT)
def ship(data: dict, fulfillment_id: int):
    """Hand over to the carrier: the reservation is consumed as a shipment movement."""
    return use_cases.ship(fulfillment_id, data["carrier"], data["tracking_number"],
                           current_principal())


@blp.route(f"/fulfillments/{ID}/reject", methods=["POST"])
@require_roles("wms", "store")
@blp.arguments(RejectIn)
@blp.response(200, ListedFulfillmentOut)
@blp.alt_response(409, CONFLICT)
def reject(data: dict, fulfillment_id: int):
    """Reject: this node cannot fill it; release and re-route the lines elsewhere."""
    return use_cases.reject(fulfillment_id, data["reason"], current_principal())


@blp.route(f"/fulfillments/{ID}/ready-for-pickup", methods=["POST"])
@require_roles("store")
@blp.response(200, ReadyForPickupOut)
@blp.alt_response(409, CONFLICT)
def ready_for_pickup(fulfillment_id: int):
    """Issue the pickup code (returned once) and start the pickup window."""
    return use_cases.ready_for_pickup(fulfillment_id, current_principal())


@blp.route(f"/fulfillments/{ID}/pickup", methods=["POST"])
@require_roles("store")
@blp.arguments(PickupIn)
@blp.response(200, ListedFulfillmentOut)
@blp.alt_response(409, CONFLICT)
def pickup(data: dict, fulfillment_id: int):
    """Hand over to the customer against the pickup code."""
    return use_cases.pickup(fulfillment_id, data["code"], current_principal())


@blp.route("/transfers/<int(max=2147483647):transfer_id>/receive", methods=["POST"])
@require_roles("wms", "store")
@idempotent
@blp.arguments(TransferReceiveIn)
@blp.response(200, TransferOut)
@blp.alt_response(409, CONFLICT)
def receive_transfer(data: dict, transfer_id: int):
    """Receive a transfer (or part of it) at its destination.

    Pickups waiting for it there become ready to prepare in the same transaction."""
    destination = inventory_queries.transfer_destination(transfer_id)
    if destination is not None:
        require_location(destination)
    cause = Cause(actor=current_principal().actor, reference=data["reference"])
    return use_cases.receive_transfer(transfer_id, cause, data["quantity"],
                                      joined=joined_work())
