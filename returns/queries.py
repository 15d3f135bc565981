"""Read side of returns: a return's view, the returns of an order or a customer's orders, and
the returns desk's lookup (what a return needs of an order, and no more)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from core.db import read_session
from core.errors import NotFound
from returns import order_port
from returns.models import Refund, Return, ReturnLine
from returns.order_port import OrderForReturn
from returns.use_cases import held_units


def _iso(value) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def refund_view(refund: Refund) -> dict:
    return {
        "id": refund.id, "amount": _money(refund.amount), "status": refund.status,
        "subtotal": _money(refund.subtotal), "discount": _money(refund.discount),
        "tax": _money(refund.tax), "included_tax": _money(refund.included_tax),
        "shipping": _money(refund.shipping),
        "exchange_applied": _money(refund.exchange_applied),
        "external_ref": refund.external_ref, "method": refund.method,
        "settled_by": refund.settled_by, "settled_at": _iso(refund.settled_at),
        "created_at": _iso(refund.created_at)}


def return_view(ret: Return, refund: Refund | None) -> dict:
    return {
        "id": ret.id, "number": f"R-{ret.id}", "order_id": ret.order_id,
        "order_number": ret.order_number, "channel": ret.channel,
        "customer_id": ret.customer_id, "location": ret.location_code, "status": ret.status,
        "source": ret.source, "note": ret.note, "currency": ret.currency,
        "refund_total": _money(ret.refund_total), "refund_shipping": ret.refund_shipping,
        "window_override": None if ret.window_override_reason is None else {
            "reason": ret.window_override_reason, "by": ret.window_overridden_by},
        "lines": [{
            "line_id": ln.order_line_id, "sku": ln.sku, "name": ln.name,
            "quantity": ln.quantity, "reason": ln.reason, "received": ln.received,
            "restocked": ln.restocked, "damaged": ln.damaged, "cancelled": ln.cancelled,
            "refund": {"subtotal": _money(ln.refund_subtotal),
                       "discount": _money(ln.refund_discount), "tax": _money(ln.refund_tax),
                       "included_tax": _money(ln.refund_included_tax),
                       "total": _money(ln.refund_total)}} for ln in ret.lines],
        "refund": None if refund is None else refund_view(refund),
        "exchange": None if ret.exchange_balance is None else {
            "order_id": ret.exchange_order_id, "order_number": ret.exchange_order_number,
            "total": _money(ret.exchange_total), "balance": ret.exchange_balance,
            "difference": _money(ret.exchange_difference), "state": ret.exchange_state,
            "held_at": ret.exchange_hold_location},
        "cancellation": None if ret.cancelled_at is None else {
            "reason": ret.cancel_reason, "by": ret.cancelled_by,
            "at": _iso(ret.cancelled_at)},
        "created_by": ret.created_by, "created_at": _iso(ret.created_at),
        "received_at": _iso(ret.received_at), "updated_at": _iso(ret.updated_at),
    }


def _views(session: Session, returns: Sequence[Return]) -> list[dict]:
    ids = [r.id for r in returns]
    refunds = {r.return_id: r for r in session.scalars(
        select(Refund).where(Refund.return_id.in_(ids)))} if ids else {}
    return [return_view(r, refunds.get(r.id)) for r in returns]


def for_orders(session: Session, order_ids: Sequence[int]) -> list[dict]:
    if not order_ids:
        return []
    rows = session.scalars(select(Return).where(Return.order_id.in_(list(order_ids)))
                           .options(selectinload(Return.lines)).order_by(Return.id)).all()
    return _views(session, rows)


def for_order(session: Session, order_id: int) -> list[dict]:
    """The order's returns, and the ones its exchange order came from."""
    return for_orders(session, [order_id]) + _views(session, session.scalars(
        select(Return).where(Return.exchange_order_id == order_id)
        .options(selectinload(Return.lines)).order_by(Return.id)).all())


def get_return(return_id: int) -> dict:
    with read_session() as session:
        ret = session.get(Return, return_id, options=[selectinload(Return.lines)])
        if ret is None:
            raise NotFound(f"unknown return {return_id}")
        return _views(session, [ret])[0]


def get_refund(refund_id: int) -> dict:
    """A refund with its return's id, number and status (what settling it answers)."""
    with read_session() as session:
        refund = session.get(Refund, refund_id)
        if refund is None:
            raise NotFound(f"unknown refund {refund_id}")
        ret = session.get(Return, refund.return_id)
        assert ret is not None  # a refund belongs to a return
        return {**refund_view(refund), "return_id": ret.id, "return_number": f"R-{ret.id}",
                "return_status": ret.status, "order_id": ret.order_id,
                "order_number": ret.order_number, "currency": refund.currency}


def refund_location(refund_id: int) -> str | None:
    """Where the refund's return came back (a store key acts on its own returns only)."""
    with read_session() as session:
        return session.scalar(select(Return.location_code).join(
            Refund, Refund.return_id == Return.id).where(Refund.id == refund_id))


def location_of(return_id: int) -> str | None:
    with read_session() as session:
        return session.scalar(select(Return.location_code).where(Return.id == return_id))


def held_positions(session: Session, order_id: int) -> dict[int, list[int]]:
    """Per order line, the unit positions its returns hold (authorised or received, not
    cancelled): what `oms.money_view.line_amounts` prices the returned units on."""
    held: dict[int, list[int]] = {}
    for line in session.scalars(select(ReturnLine).join(Return).where(
            Return.order_id == order_id, Return.status != "cancelled")):
        held.setdefault(line.order_line_id, []).extend(held_units(line))
    return held


def refunded_total(session: Session, order_ids: Select[Any]) -> Decimal:
    """Every refund recorded for returns of these orders (pending or settled: what the
    customer gets or got back), from a subquery of order ids."""
    return session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).join(Return, Return.id ==
                                                                 Refund.return_id)
        .where(Return.order_id.in_(order_ids))) or Decimal("0")


def exchange_orders(order_ids: Select[Any]) -> Select[Any]:
    """A subquery: the exchange orders placed for returns of these orders (paid for by the
    return's refund, not by the customer)."""
    return select(Return.exchange_order_id).where(Return.order_id.in_(order_ids),
                                                  Return.exchange_order_id.is_not(None))


def exchange_top_ups(session: Session, order_ids: Select[Any]) -> Decimal:
    """What customers paid on top for exchanges dearer than what they returned (placed)."""
    return session.scalar(
        select(func.coalesce(func.sum(Return.exchange_difference), 0)).where(
            Return.order_id.in_(order_ids), Return.exchange_balance == "owed",
            Return.exchange_state == "placed")) or Decimal("0")


def returnable_view(order: OrderForReturn) -> dict:
    """What a returns desk needs of an order: lines, units handed over, what can still come
    back and what was paid per unit. No address, contact or timeline."""
    return {
        "order_id": order.order_id, "number": order.number, "channel": order.channel,
        "channel_name": order.channel_name, "status": order.status,
        "currency": order.currency,
        "lines": [{
            "line_id": ln.line_id, "sku": ln.sku, "name": ln.name, "ordered": ln.quantity,
            "handed_over": ln.fulfilled, "returned": ln.returned,
            "returnable": ln.returnable,
            "paid_per_unit": _money(ln.paid.unit_amounts()[0].total),
            "paid": _money(ln.paid.paid),
            "handed_over_at": _iso(ln.handed_over_at)} for ln in order.lines],
    }


def lookup(q: str, limit: int) -> list[dict]:
    side = order_port.orders()
    with read_session() as session:
        found = [side.describe(session, order_id) for order_id in side.search(session, q, limit)]
        return [returnable_view(o) for o in found if o is not None]


def returnable(order_id: int) -> dict:
    with read_session() as session:
        order = order_port.orders().describe(session, order_id)
        if order is None:
            raise NotFound(f"unknown order {order_id}")
        return returnable_view(order)
