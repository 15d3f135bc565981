"""Orders and customers endpoints of the API contract."""

from __future__ import annotations

from decimal import Decimal

from flask import jsonify
from flask_smorest import Blueprint

from core.auth import Principal, current_principal, require_roles
from core.errors import Forbidden, NotFound
from core.idempotency import idempotent, joined_work
from oms import customers, holds, orders, queries
from oms.customers import SeenIdentity
from oms.schemas import (
    AddLinesIn,
    CancelIn,
    CustomerSearchArgs,
    MergeIn,
    NoteIn,
    OrderIn,
    OrderListArgs,
    RerouteIn,
    UnmergeIn,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1",
                description="Orders from every channel, their routing, and customers.")


def to_command(data: dict, principal: Principal) -> orders.PlaceOrder:
    f = data["fulfillment"]
    address = orders.Address(**f["address"]) if f.get("address") else None
    who = data["customer"] or {}
    account = who.get("account_id")
    return orders.PlaceOrder(
        channel=data["channel"], external_id=data["external_id"], currency=data["currency"],
        lines=tuple(orders.LineInput(sku=ln["sku"], quantity=ln["quantity"],
                                     unit_price=Decimal(str(ln["unit_price"])),
                                     name=ln.get("name"), external_id=ln.get("external_id"))
                    for ln in data["lines"]),
        method=f["method"], pickup_location=f.get("pickup_location"),
        sale_location=f.get("location"), address=address,
        customer=SeenIdentity(email=who.get("email"), phone=who.get("phone"),
                              name=who.get("name") or (address.name if address else None),
                              account=f"{data['channel']}:{account}" if account else None,
                              channel=data["channel"],
                              region=address.country if address else None),
        channel_name=data.get("channel_name"), bopis_policy=data.get("bopis_policy"),
        actor=principal.actor, source=data["channel"], created_by_key_id=principal.key_id,
    )


def _authorise_order(order_id: int, *, write: bool = False) -> None:
    """cs and admin see every order; a channel key its own; a store key orders with work at
    its location (read only)."""
    principal = current_principal()
    if principal.role in ("admin", "cs"):
        return
    facts = queries.order_access_facts(order_id)
    if facts is None:
        raise NotFound(f"unknown order {order_id}")
    channel, created_by, locations = facts
    if principal.role == "channel" and (created_by == principal.key_id
                                         or channel == principal.channel):
        return
    if principal.role == "store" and not write and principal.locations & locations:
        return
    raise Forbidden("this key may not see or change this order")


@blp.route("/orders", methods=["POST"])
@require_roles("channel")
@idempotent
@blp.arguments(OrderIn)
def create_order(data: dict):
    """Take an order from a POS, web or marketplace channel; returns it with its routing.

    The same `(channel, external_id)` again returns the existing order (200), so a channel's
    retries never make a second order."""
    principal = current_principal()
    if principal.channel and data["channel"] != principal.channel:
        raise Forbidden(f"this key pushes orders for channel '{principal.channel}' only",
                        fields={"channel": [f"must be '{principal.channel}' for this key"]})
    placed = orders.place_order(to_command(data, principal), joined=joined_work())
    return jsonify(queries.get_order(placed.order_id)), 201 if placed.created else 200


@blp.route("/orders", methods=["GET"])
@require_roles("cs", "channel", "store")
@blp.arguments(OrderListArgs, location="query")
def search_orders(args: dict):
    """List orders newest first (filters: status, e.g. `on_hold`, channel, location, created
    between), or find any order with `q`: number (with or without its prefix), channel id
    or name, email, phone or its last 7+ digits, name or surname, tracking number."""
    return jsonify(queries.find_orders(args["q"], args["limit"], args["cursor"],
                                       _scoped_filters(args, current_principal())))


def _scoped_filters(args: dict, principal: Principal) -> queries.OrderFilters:
    """A channel key lists its channel's orders (or, unbound, those it created); a store key
    the orders with work at its store. Asking for others' is 403 naming the filter."""
    wanted = {k: args[k] for k in ("status", "channel", "location", "created_from",
                                   "created_to")}
    if principal.role == "channel":
        if principal.channel is None:
            wanted["created_by_key_id"] = principal.key_id
        elif wanted["channel"] not in (None, principal.channel):
            raise Forbidden(f"this key reads '{principal.channel}' orders only",
                            fields={"channel": [f"must be '{principal.channel}' for this key"]})
        else:
            wanted["channel"] = principal.channel
    elif principal.role == "store":
        # A key for several stores names the one it lists (never "all orders").
        if wanted["location"] is None and len(principal.locations) == 1:
            wanted["location"] = principal.location
        if wanted["location"] not in principal.locations:
            raise Forbidden(f"this key reads orders of {principal.scope} only",
                            fields={"location": [f"one of {principal.scope} for this key"]})
    return queries.OrderFilters(**wanted)


@blp.route("/orders/on-hold", methods=["GET"])
@require_roles("cs")
def orders_on_hold_summary():
    """Orders on hold at a glance: how many, why, since when, and the unknown SKUs and
    unmapped channel locations holding the most orders (list them with `?status=on_hold`)."""
    return jsonify(queries.holds_summary())


@blp.route("/orders/<int(max=2147483647):order_id>/release-hold", methods=["POST"])
@require_roles("cs")
def release_hold(order_id: int):
    """Try to release an order on hold now (the periodic job tries every 2 minutes): routed
    like a new order when its SKUs and location are known, else 409 with what is missing."""
    holds.release_or_conflict(order_id, actor=current_principal().actor, source="cs")
    return jsonify(queries.get_order(order_id))


@blp.route("/orders/<int(max=2147483647):order_id>", methods=["GET"])
@require_roles("cs", "channel", "store")
def get_order(order_id: int):
    """Status, lines and their quantities, fulfillments, routing with reasons, timeline."""
    _authorise_order(order_id)
    return jsonify(queries.get_order(order_id))


@blp.route("/orders/<int(max=2147483647):order_id>/cancel", methods=["POST"])
@require_roles("cs", "channel")
@blp.arguments(CancelIn)
def cancel_order(data: dict, order_id: int):
    """Cancel the whole order, or `lines` [{line_id, quantity}]; releases reservations."""
    _authorise_order(order_id, write=True)
    lines = [(ln["line_id"], ln["quantity"]) for ln in data["lines"]] if data["lines"] else None
    principal = current_principal()
    orders.cancel(order_id, lines, actor=principal.actor, source=principal.role,
                  reason=data["reason"])
    return jsonify(queries.get_order(order_id))


@blp.route("/orders/<int(max=2147483647):order_id>/lines", methods=["POST"])
@require_roles("cs", "channel")
@idempotent
@blp.arguments(AddLinesIn)
def add_lines(data: dict, order_id: int):
    """Add units to an open order (the customer added to it on the channel): `line_id` and
    `quantity` for more of a line, or `sku`, `quantity`, `unit_price` for a new line. They are
    routed at once; the answer is the order with its new routing."""
    _authorise_order(order_id, write=True)
    principal = current_principal()
    orders.add_to_order(order_id, [
        orders.MoreUnits(quantity=ln["quantity"], line_id=ln["line_id"],
                         line=None if ln["line_id"] is not None else orders.LineInput(
                             ln["sku"], ln["quantity"], ln["unit_price"], ln["name"],
                             ln["external_id"]))
        for ln in data["lines"]], actor=principal.actor, source=principal.role,
        joined=joined_work())
    return jsonify(queries.get_order(order_id))


@blp.route("/orders/<int(max=2147483647):order_id>/reroute", methods=["POST"])
@require_roles("cs")
@blp.arguments(RerouteIn)
def reroute_order(data: dict, order_id: int):
    """Re-plan every unit not yet shipped or handed over, optionally excluding locations."""
    principal = current_principal()
    orders.reroute(order_id, actor=principal.actor, source=principal.role,
                   exclude_locations=frozenset(data["exclude_locations"]))
    return jsonify(queries.get_order(order_id))


@blp.route("/orders/<int(max=2147483647):order_id>/notes", methods=["POST"])
@require_roles("cs", "store")
@blp.arguments(NoteIn)
def order_note(data: dict, order_id: int):
    _authorise_order(order_id)
    note = queries.add_note(text=data["text"], channel=data["channel"],
                            actor=current_principal().actor, order_id=order_id)
    return jsonify(note), 201


@blp.route("/customers", methods=["GET"])
@require_roles("cs")
@blp.arguments(CustomerSearchArgs, location="query")
def search_customers(args: dict):
    """Find a customer by email, phone (any format), channel account id or name."""
    return jsonify({"items": queries.search_customers(args["q"], args["limit"])})


@blp.route("/customers/<int(max=2147483647):customer_id>", methods=["GET"])
@require_roles("cs")
def get_customer(customer_id: int):
    """Identities, every order across channels, contact notes, merges."""
    return jsonify(queries.get_customer(customer_id))


@blp.route("/customers/<int(max=2147483647):customer_id>/notes", methods=["POST"])
@require_roles("cs", "store")
@blp.arguments(NoteIn)
def customer_note(data: dict, customer_id: int):
    note = queries.add_note(text=data["text"], channel=data["channel"],
                            actor=current_principal().actor, customer_id=customer_id)
    return jsonify(note), 201


@blp.route("/customers/<int(max=2147483647):customer_id>/merge", methods=["POST"])
@require_roles("cs")
@blp.arguments(MergeIn)
def merge_customer(data: dict, customer_id: int):
    """Merge customer `customer_id` (body) into this one; audited, undoable."""
    merge_id = customers.merge_customers(customer_id, data["customer_id"],
                                         actor=current_principal().actor,
                                         reason=data["reason"])
    return jsonify({"merge_id": merge_id, "customer": queries.get_customer(customer_id)})


@blp.route("/customers/<int(max=2147483647):customer_id>/unmerge", methods=["POST"])
@require_roles("cs")
@blp.arguments(UnmergeIn)
def unmerge_customer(data: dict, customer_id: int):
    """Undo the merge of `customer_id` (body) into this one."""
    merge_id = customers.unmerge_customers(customer_id, data["customer_id"],
                                           actor=current_principal().actor)
    return jsonify({"merge_id": merge_id, "customer": queries.get_customer(customer_id)})
