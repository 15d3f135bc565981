"""Returns endpoints: authorise a return (with an exchange), receive it at its location, cancel
it, read it, settle its refund, and the returns desk's order lookup."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import current_principal, require_location, require_roles
from core.errors import Forbidden
from core.idempotency import idempotent, joined_work
from returns import queries, use_cases
from returns.order_port import ExchangeLine
from returns.schemas import (
    ExchangePaymentIn,
    LookupArgs,
    LookupOut,
    ReceiveIn,
    RefundSettledOut,
    RefundSettleIn,
    ReturnCancelIn,
    ReturnIn,
    ReturnOut,
)

ID = "<int(max=2147483647):return_id>"
REFUND_ID = "<int(max=2147483647):refund_id>"
CONFLICT = "CONFLICT"  # the document's 409 response (core.http.ERROR_RESPONSES)

blp = Blueprint("returns", __name__, url_prefix="/api/v1",
                description="Returns and exchanges: authorise, receive, refund.")


def to_command(data: dict) -> use_cases.CreateReturn:
    principal = current_principal()
    exchange = None
    if data.get("exchange_lines"):
        how = data.get("exchange") or {}
        exchange = use_cases.ExchangeInput(
            lines=tuple(ExchangeLine(ln["sku"], ln["quantity"]) for ln in data["exchange_lines"]),
            method=how.get("method", "ship"), pickup_location=how.get("pickup_location"),
            address=how.get("address"))
    return use_cases.CreateReturn(
        order_id=data["order_id"], location=data["location"],
        lines=tuple(use_cases.ReturnLineInput(ln["line_id"], ln["quantity"], ln["reason"])
                    for ln in data["lines"]),
        note=data.get("note"), override_window_reason=data.get("override_window_reason"),
        exchange=exchange, actor=principal.actor, source=principal.role)


@blp.route("/returns", methods=["POST"])
@require_roles("cs", "store", "channel")
@idempotent
@blp.arguments(ReturnIn)
@blp.response(201, ReturnOut, description="The authorised return with its refund amount and, "
                                          "for an exchange, the new order and the difference.")
@blp.alt_response(409, CONFLICT)
def create_return(data: dict):
    """Authorise a return of handed-over units.

    Rules (each a 422 with `details.rule`): only units handed over, minus those already
    returned or authorised (`not_handed_over`, `over_return`); within the channel's return
    window from hand-over (`return_window`; cs and admin may override with
    `override_window_reason`); a known reason; an active location (a store key: its own).
    The refund is what was paid for exactly these units."""
    return_id = use_cases.create_return(to_command(data), current_principal(),
                                        joined=joined_work())
    return queries.get_return(return_id), 201


@blp.route("/returns/lookup", methods=["GET"])
@require_roles("cs", "store")
@blp.arguments(LookupArgs, location="query")
@blp.response(200, LookupOut)
def lookup(args: dict):
    """Find the order a customer brings back, whatever channel it came from.

    By order number, channel order name, email, phone or name. Only what a return needs:
    lines, units handed over and returnable, what was paid; no address or timeline."""
    return {"items": queries.lookup(args["q"], args["limit"])}


@blp.route(f"/returns/{ID}", methods=["GET"])
@require_roles("cs", "store", "wms")
@blp.response(200, ReturnOut)
def get_return(return_id: int):
    """Show a return: status, lines, refund, exchange order."""
    view = queries.get_return(return_id)
    principal = current_principal()
    if principal.role in ("store", "wms") and not principal.may_act_at(view["location"]):
        raise Forbidden(f"this key acts at {principal.scope}, not at '{view['location']}'")
    return view


@blp.route(f"/returns/{ID}/receive", methods=["POST"])
@require_roles("store", "wms")
@idempotent
@blp.arguments(ReceiveIn)
@blp.response(200, ReturnOut)
@blp.alt_response(409, CONFLICT)
def receive(data: dict, return_id: int):
    """Receive a return (or part of it) at its location, per line restocked or damaged.

    `restock` books the units in at once (a `return_restock` movement: sellable there for
    routing and pickup); `damaged` books them in and writes them off. More than is still
    expected is a 422 (`receipt_exceeds_authorised`); a received return is a 409. Once all
    is received, the refund is recorded."""
    location = queries.location_of(return_id)
    if location is not None:
        require_location(location)
    principal = current_principal()
    use_cases.receive(
        return_id,
        [use_cases.ReceiveLineInput(ln["line_id"], ln["quantity"], ln["disposition"])
         for ln in data["lines"]],
        principal, actor=principal.actor, source=principal.role, joined=joined_work())
    return queries.get_return(return_id)


@blp.route(f"/returns/{ID}/exchange-payment", methods=["POST"])
@require_roles("cs", "store", "channel")
@blp.arguments(ExchangePaymentIn)
@blp.response(200, ReturnOut)
@blp.alt_response(409, CONFLICT)
def exchange_payment(data: dict, return_id: int):
    """Record the payment of an exchange the customer tops up.

    The new items held since the return was made are released and the exchange order is
    placed in the same transaction: carried out at once from the return's store when it has
    them, otherwise shipped or picked up as asked. The amount must be the difference
    (`exchange_payment`); no exchange waiting for a payment is a 409."""
    location = queries.location_of(return_id)
    if location is not None:
        require_location(location)
    principal = current_principal()
    use_cases.pay_exchange(return_id, data["amount"], data["reference"], principal,
                           actor=principal.actor, source=principal.role)
    return queries.get_return(return_id)


@blp.route(f"/returns/{ID}/cancel", methods=["POST"])
@require_roles("cs", "store", "channel")
@idempotent
@blp.arguments(ReturnCancelIn)
@blp.response(200, ReturnOut, description="The return, `cancelled` (nothing had arrived) or "
                                          "`received` for what arrived, with its refund.")
@blp.alt_response(409, CONFLICT)
def cancel(data: dict, return_id: int):
    """Cancel a return whose units are still expected.

    Nothing received: the return is `cancelled`, with no refund. Partly received: it becomes
    `received` for what arrived, the rest is cancelled per line (`cancelled`) and the refund
    is recorded for the received units only. The units that will not come can be returned
    again. An exchange's held items are released; an exchange order already placed stays
    (cancel it on the order). A return received, refunded or cancelled already is a 409.
    cs, admin; a store at the return's location; the channel whose order it is."""
    location = queries.location_of(return_id)
    if location is not None:
        require_location(location)
    principal = current_principal()
    use_cases.cancel(return_id, data["reason"], principal, actor=principal.actor,
                     source=principal.role, joined=joined_work())
    return queries.get_return(return_id)


@blp.route(f"/refunds/{REFUND_ID}/settle", methods=["POST"])
@require_roles("cs", "store", "channel")
@idempotent
@blp.arguments(RefundSettleIn)
@blp.response(200, RefundSettledOut, description="The refund, `settled`, and its return "
                                                 "(`refunded`).")
@blp.alt_response(409, CONFLICT)
def settle_refund(data: dict, refund_id: int):
    """Record that a pending refund's money went back.

    For the payment integrator or a store's till: `pending` -> `settled` with the reference
    of the money moved (`external_ref`) and how (`method`); the return becomes `refunded` and
    subscribers get `refund.settled`. Settling again with the same reference answers the same;
    another reference (or another method than the one recorded) is a 409. Refunds of Shopify
    orders settle by themselves once the push's `refundCreate` made them. cs, admin; the
    channel whose order it is; a store for returns received at its location."""
    location = queries.refund_location(refund_id)
    if location is not None:
        require_location(location)
    principal = current_principal()
    use_cases.settle_refund(
        use_cases.SettleRefund(refund_id, data["external_ref"], method=data.get("method"),
                               actor=principal.actor, source=principal.role),
        principal, joined=joined_work())
    return queries.get_refund(refund_id)
