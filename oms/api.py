"""Orders and customers endpoints of the API contract."""

from __future__ import annotations

from decimal import Decimal

from flask_smorest import Blueprint

from core.auth import Principal, current_principal, require_roles
from core.errors import Forbidden, NotFound
from core.idempotency import idempotent, joined_work
from oms import customers, holds, orders, queries
from oms.customers import SeenIdentity
from oms.money_view import ShippingInput, TaxLineInput
from oms.schemas import (
    AddLinesIn,
    CancelIn,
    CustomerListOut,
    CustomerOut,
    CustomerSearchArgs,
    HoldsSummaryOut,
    MergeIn,
    MergeOut,
    NoteIn,
    NoteOut,
    OrderIn,
    OrderListArgs,
    OrderOut,
    OrderPageOut,
    RerouteIn,
    UnmergeIn,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1",
                description="Orders from every channel, their routing, and customers.")
CONFLICT = "CONFLICT"  # the document's 409 response (core.http.ERROR_RESPONSES)


def to_command(data: dict, principal: Principal) -> orders.PlaceOrder:
    f = data["fulfillment"]
    address = orders.Address(**f["address"]) if f.get("address") else None
    who = data["customer"] or {}
    account = who.get("account_id")
    return orders.PlaceOrder(
        channel=data["channel"], external_id=data["external_id"], currency=data["currency"],
        lines=tuple(_line(ln) for ln in data["lines"]),
        method=f["method"], pickup_location=f.get("pickup_location"),
        sale_location=f.get("location"), address=address,
        customer=SeenIdentity(email=who.get("email"), phone=who.get("phone"),
                              name=who.get("name") or (address.name if address else None),
                              account=f"{data['channel']}:{account}" if account else None,
                              channel=data["channel"],
                              region=address.country if address else None),
        channel_name=data.get("channel_name"), bopis_policy=data.get("bopis_policy"),
        promised_delivery_date=f.get("promised_delivery_date"),
        actor=principal.actor, source=data["channel"], created_by_key_id=principal.key_id,
        taxes_included=bool(data.get("taxes_included")),
        order_discount=data.get("order_discount"),
        shipping_lines=tuple(ShippingInput(title=s.get("title"), price=s["price"],
                                           discount=s.get("discount") or Decimal("0"),
                                           tax=s.get("tax") or Decimal("0"))
                             for s in data.get("shipping_lines") or ()),
        stated_totals=data.get("totals"),
    )


def _line(ln: dict) -> orders.LineInput:
    allocations = ln.get("discount_allocations")
    return orders.LineInput(
        sku=ln["sku"], quantity=ln["quantity"], unit_price=Decimal(str(ln["unit_price"])),
        name=ln.get("name"), external_id=ln.get("external_id"), discount=ln.get("discount"),
        discount_allocations=None if allocations is None else tuple(
            {k: (f"{v:.2f}" if k == "amount" else v) for k, v in a.items() if v is not None}
            for a in allocations),
        tax_lines=tuple(TaxLineInput(title=t.get("title"), rate=t.get("rate"),
                                     amount=t.get("amount"))
                        for t in ln.get("tax_lines") or ()))


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
@blp.response(201, OrderOut, description="The new order, with its routing.")
@blp.alt_response(200, schema=OrderOut, success=True,
                  description="This `(channel, external_id)` was already taken: that order.")
@blp.alt_response(409, CONFLICT)
def create_order(data: dict):
    """Take an order from a POS, web or marketplace channel.

    The answer is the order with its routing. The same `(channel, external_id)` again returns
    the existing order (200), so a channel's retries never make a second order."""
    principal = current_principal()
    if principal.channel and data["channel"] != principal.channel:
        raise Forbidden(f"this key pushes orders for channel '{principal.channel}' only",
                        fields={"channel": [f"must be '{principal.channel}' for this key"]})
    placed = orders.place_order(to_command(data, principal), joined=joined_work())
    if placed.order is None:  # an existing order (200), or a new one held before routing
        return queries.get_order(placed.order_id), 201 if placed.created else 200
    return queries.new_order_view(placed.order, placed.fulfillments, placed.timeline), 201


@blp.route("/orders", methods=["GET"])
@require_roles("cs", "channel", "store")
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, OrderPageOut)
def search_orders(args: dict):
    """List orders newest first, or find them with `q`.

    Filters: status (e.g. `on_hold`), channel, location, created between. `q` finds any
    order by number (with or without its prefix), channel id or name, email, phone or its
    last 7+ digits, name or surname, tracking number. A channel key sees its channel's
    orders, a store key those with work at its store."""
    return queries.find_orders(args["q"], args["limit"], args["cursor"],
                               _scoped_filters(args, current_principal()))


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
@blp.response(200, HoldsSummaryOut)
def orders_on_hold_summary():
    """Orders on hold at a glance.

    How many, why, since when, and the unknown SKUs and unmapped channel locations holding
    the most orders (list them with `?status=on_hold`)."""
    return queries.holds_summary()


@blp.route("/orders/<int(max=2147483647):order_id>/release-hold", methods=["POST"])
@require_roles("cs")
@blp.response(200, OrderOut)
@blp.alt_response(409, CONFLICT)
def release_hold(order_id: int):
    """Try to release an order on hold now.

    The periodic job tries every 2 minutes. The order is routed like a new order when its
    SKUs and location are known, else 409 with what is missing."""
    holds.release_or_conflict(order_id, actor=current_principal().actor, source="cs")
    return queries.get_order(order_id)


@blp.route("/orders/<int(max=2147483647):order_id>", methods=["GET"])
@require_roles("cs", "channel", "store")
@blp.response(200, OrderOut)
def get_order(order_id: int):
    """Show an order.

    Status, lines and their quantities, fulfillments, routing with reasons, timeline."""
    _authorise_order(order_id)
    return queries.get_order(order_id)


@blp.route("/orders/<int(max=2147483647):order_id>/cancel", methods=["POST"])
@require_roles("cs", "channel")
@blp.arguments(CancelIn)
@blp.response(200, OrderOut)
@blp.alt_response(409, CONFLICT)
def cancel_order(data: dict, order_id: int):
    """Cancel an order, or some units of its lines.

    Without `lines` the whole order; with `lines` [{line_id, quantity}] those units.
    Reservations are released; shipped or handed-over units are refused (409)."""
    _authorise_order(order_id, write=True)
    lines = [(ln["line_id"], ln["quantity"]) for ln in data["lines"]] if data["lines"] else None
    principal = current_principal()
    orders.cancel(order_id, lines, actor=principal.actor, source=principal.role,
                  reason=data["reason"])
    return queries.get_order(order_id)


@blp.route("/orders/<int(max=2147483647):order_id>/lines", methods=["POST"])
@require_roles("cs", "channel")
@idempotent
@blp.arguments(AddLinesIn)
@blp.response(200, OrderOut)
@blp.alt_response(409, CONFLICT)
def add_lines(data: dict, order_id: int):
    """Add units to an open order.

    The customer added to it on the channel: `line_id` and `quantity` for more of a line, or
    `sku`, `quantity`, `unit_price` for a new line. They are routed at once; the answer is the
    order with its new routing."""
    _authorise_order(order_id, write=True)
    principal = current_principal()
    orders.add_to_order(order_id, [
        orders.MoreUnits(quantity=ln["quantity"], line_id=ln["line_id"],
                         line=None if ln["line_id"] is not None else orders.LineInput(
                             ln["sku"], ln["quantity"], ln["unit_price"], ln["name"],
                             ln["external_id"]))
        for ln in data["lines"]], actor=principal.actor, source=principal.role,
        joined=joined_work())
    return queries.get_order(order_id)


@blp.route("/orders/<int(max=2147483647):order_id>/reroute", methods=["POST"])
@require_roles("cs")
@blp.arguments(RerouteIn)
@blp.response(200, OrderOut)
@blp.alt_response(409, CONFLICT)
def reroute_order(data: dict, order_id: int):
    """Route an order again.

    Every unit not yet shipped or handed over is released and planned again, optionally
    without `exclude_locations` (kept for later re-routes), and against a new
    `promised_delivery_date` (null drops the promise: the customer agrees to wait)."""
    principal = current_principal()
    promise = (orders.NewPromise(data["promised_delivery_date"])
               if "promised_delivery_date" in data else None)
    orders.reroute(order_id, actor=principal.actor, source=principal.role,
                   exclude_locations=frozenset(data["exclude_locations"]), promise=promise)
    return queries.get_order(order_id)


@blp.route("/orders/<int(max=2147483647):order_id>/notes", methods=["POST"])
@require_roles("cs", "store")
@blp.arguments(NoteIn)
@blp.response(201, NoteOut)
def order_note(data: dict, order_id: int):
    """Add a contact note to an order (and its customer's timeline)."""
    _authorise_order(order_id)
    note = customers.add_note(text=data["text"], channel=data["channel"],
                            actor=current_principal().actor, order_id=order_id)
    return note


@blp.route("/customers", methods=["GET"])
@require_roles("cs")
@blp.arguments(CustomerSearchArgs, location="query")
@blp.response(200, CustomerListOut)
def search_customers(args: dict):
    """Find customers by email, phone (any format), channel account id or name."""
    return {"items": queries.search_customers(args["q"], args["limit"])}


@blp.route("/customers/<int(max=2147483647):customer_id>", methods=["GET"])
@require_roles("cs")
@blp.response(200, CustomerOut)
def get_customer(customer_id: int):
    """Show a customer: identities, orders across channels, notes, merges."""
    return queries.get_customer(customer_id)


@blp.route("/customers/<int(max=2147483647):customer_id>/notes", methods=["POST"])
@require_roles("cs", "store")
@blp.arguments(NoteIn)
@blp.response(201, NoteOut)
def customer_note(data: dict, customer_id: int):
    """Add a contact note to a customer's timeline."""
    note = customers.add_note(text=data["text"], channel=data["channel"],
                            actor=current_principal().actor, customer_id=customer_id)
    return note


@blp.route("/customers/<int(max=2147483647):customer_id>/merge", methods=["POST"])
@require_roles("cs")
@blp.arguments(MergeIn)
@blp.response(200, MergeOut)
@blp.alt_response(409, CONFLICT)
def merge_customer(data: dict, customer_id: int):
    """Merge another customer into this one.

    The customer `customer_id` (body) moves into this one: identities, orders and notes;
    audited and undoable with `unmerge`."""
    merge_id = customers.merge_customers(customer_id, data["customer_id"],
                                         actor=current_principal().actor,
                                         reason=data["reason"])
    return {"merge_id": merge_id, "customer": queries.get_customer(customer_id)}


@blp.route("/customers/<int(max=2147483647):customer_id>/unmerge", methods=["POST"])
@require_roles("cs")
@blp.arguments(UnmergeIn)
@blp.response(200, MergeOut)
@blp.alt_response(409, CONFLICT)
def unmerge_customer(data: dict, customer_id: int):
    """Undo the merge of `customer_id` (body) into this one."""
    merge_id = customers.unmerge_customers(customer_id, data["customer_id"],
                                           actor=current_principal().actor)
    return {"merge_id": merge_id, "customer": queries.get_customer(customer_id)}
