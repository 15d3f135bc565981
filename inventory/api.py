"""Inventory endpoints of the API contract: locations, items, movements, stock, history."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import ROLES, current_principal, require_location, require_roles
from core.http import PageArgs
from core.idempotency import idempotent, joined_work
from inventory import queries, services
from inventory.ledger import Cause
from inventory.schemas import (
    HistoryArgs,
    ItemIn,
    ItemOut,
    ItemPageOut,
    LocationIn,
    LocationListArgs,
    LocationOut,
    LocationStockArgs,
    LocationStockOut,
    MovementIn,
    MovementPageOut,
    MovementResultOut,
    SafetyStockIn,
    StockArgs,
    StockOut,
    TransferListArgs,
    TransferPageOut,
)

blp = Blueprint("inventory", __name__, url_prefix="/api/v1",
                description="The single stock ledger: locations, items, movements, stock.")

ANY_ROLE = ROLES
CONFLICT = "CONFLICT"  # the document's 409 response (core.http.ERROR_RESPONSES)
STOCK_WORKERS = ("wms", "store")


def _cause(reference: str | None = None, note: str | None = None) -> Cause:
    return Cause(actor=current_principal().actor, reference=reference, note=note)


@blp.route("/locations", methods=["POST"])
@require_roles()
@idempotent
@blp.arguments(LocationIn)
@blp.response(201, LocationOut)
@blp.alt_response(409, CONFLICT)
def create_location(data: dict):
    """Add a warehouse or store."""
    return services.create_location(data, joined=joined_work())


@blp.route("/locations", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.arguments(LocationListArgs, location="query")
@blp.response(200, LocationOut(many=True))
def list_locations(args: dict):
    """Every location, by code."""
    return queries.list_locations(args.get("kind"))


@blp.route("/locations/<code>", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.response(200, LocationOut)
def get_location(code: str):
    """Show a location."""
    return queries.get_location(code)


@blp.route("/locations/<code>/stock", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.arguments(LocationStockArgs, location="query")
@blp.response(200, LocationStockOut)
def location_stock(args: dict, code: str):
    """What one location holds (store staff's shelf view), by SKU."""
    return queries.stock_at_location(code, args["limit"], args["cursor"],
                                     only_available=args["available_only"])


@blp.route("/items", methods=["POST"])
@require_roles()
@idempotent
@blp.arguments(ItemIn)
@blp.response(201, ItemOut)
@blp.alt_response(409, CONFLICT)
def create_item(data: dict):
    """Add a SKU to the catalogue."""
    return services.create_item(data, joined=joined_work())


@blp.route("/items", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.arguments(PageArgs, location="query")
@blp.response(200, ItemPageOut)
def list_items(args: dict):
    """The catalogue, by SKU, cursor-paginated."""
    return queries.list_items(args["limit"], args["cursor"])


@blp.route("/items/<sku>", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.response(200, ItemOut)
def get_item(sku: str):
    """Show a SKU."""
    return queries.get_item(sku)


@blp.route("/stock/movements", methods=["POST"])
@require_roles(*STOCK_WORKERS)
@idempotent
@blp.arguments(MovementIn)
@blp.response(201, MovementResultOut)
@blp.alt_response(409, CONFLICT)
def post_movement(data: dict):
    """Record a receipt, signed adjustment, cycle count or damage, or ship a transfer.

    A cycle count takes the counted quantity and records the difference (no movement when it
    matches). A transfer leaves `location` now and is in transit to `to_location` until it is
    received with `POST /transfers/{id}/receive`."""
    require_location(data["location"])
    cause = _cause(data["reference"], data["note"])
    kind, sku, location, quantity = data["kind"], data["sku"], data["location"], data["quantity"]
    if kind == "transfer":
        moved = services.transfer(sku, location, data["to_location"], quantity, cause,
                                  joined=joined_work())
        return {"transfer": moved, "movements": queries.transfer_movements(moved["id"])}
    operation = {"receipt": services.receive, "adjustment": services.adjust,
                 "cycle_count": services.count, "damage": services.damage}[kind]
    return operation(sku, location, quantity, cause, joined=joined_work())


@blp.route("/transfers", methods=["GET"])
@require_roles(*STOCK_WORKERS, "cs")
@blp.arguments(TransferListArgs, location="query")
@blp.response(200, TransferPageOut)
def list_transfers(args: dict):
    """Transfers from or to a location, newest first, a page at a time."""
    return queries.list_transfers(args.get("location"), args.get("status"), args["limit"],
                                  args["cursor"])


@blp.route("/stock/<sku>", methods=["GET"])
@require_roles(*ANY_ROLE)
@blp.arguments(StockArgs, location="query")
@blp.response(200, StockOut)
def stock(args: dict, sku: str):
    """A SKU's stock across the network, per location and in total.

    `?near=CODE` or `?latitude=&longitude=` sorts by distance; `near` itself is always listed
    (zeros when it has none), whatever `min_available` says."""
    origin = queries.resolve_origin(args.get("near"), args.get("latitude"),
                                    args.get("longitude"))
    return queries.stock_for_sku(sku, origin, kind=args.get("kind"),
                                 min_available=args["min_available"], here=args.get("near"))


@blp.route("/stock/<sku>/movements", methods=["GET"])
@require_roles("store", "cs")
@blp.arguments(HistoryArgs, location="query")
@blp.response(200, MovementPageOut)
def movements(args: dict, sku: str):
    """The ledger's movements of a SKU, newest first (`?location=` for one location)."""
    return queries.movement_history(sku, args.get("location"), args["limit"], args["cursor"])


@blp.route("/stock/<sku>/<location>/safety-stock", methods=["PUT"])
@require_roles()
@blp.arguments(SafetyStockIn)
@blp.response(200, MovementResultOut)
def put_safety_stock(data: dict, sku: str, location: str):
    """Set the units at a location that are never promised to orders."""
    return {"movements": [], "balance": services.set_safety_stock(sku, location,
                                                                   data["safety_stock"])}
