"""Read side of the customer-service pages: the API's order and customer views
(`oms.queries`), plus what a rep with a customer on the phone needs beside them: each line's
amounts (as ordered, cancelled, returned), the customer's notes not tied to an order, a
customer's lifetime value and channels, and their orders a page at a time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import read_session
from core.errors import NotFound
from core.http import decode_cursor, encode_cursor
from oms import customer_value, money_view, queries
from oms.models import Order, TimelineEvent
from returns import queries as return_queries

CUSTOMER_NOTES_SHOWN = 50


def order_page(order_id: int) -> dict:
    """`GET /api/v1/orders/{id}`'s view, each line with `amounts` (Decimals: `paid`,
    `cancelled`, `returned`, `kept`), and `customer_notes`: contact notes about the customer
    that were not made on an order (newest first)."""
    with read_session(stale_ok=True) as session:
        order = session.get(Order, order_id, options=[selectinload(Order.lines)])
        if order is None:
            raise NotFound(f"unknown order {order_id}")
        view = queries.order_view(session, order)
        held = return_queries.held_positions(session, order_id)
        included = bool(order.taxes_included)
        amounts = {ln.id: money_view.line_amounts(ln, included, held.get(ln.id, ()))
                   for ln in order.lines}
        for line in view["lines"]:
            a = amounts[line["line_id"]]
            line["amounts"] = {"paid": a.paid, "cancelled": a.cancelled,
                               "returned": a.returned, "kept": a.kept}
        view["customer_notes"] = [] if order.customer_id is None else [
            queries.event_view(e) for e in session.scalars(
                select(TimelineEvent).where(TimelineEvent.customer_id == order.customer_id,
                                            TimelineEvent.order_id.is_(None),
                                            TimelineEvent.kind == "note")
                .order_by(TimelineEvent.id.desc()).limit(CUSTOMER_NOTES_SHOWN))]
        return view


def customer_orders(customer_id: int, limit: int, cursor: str | None) -> dict:
    """The customer's orders, newest first, cursor-paginated like `find_orders`."""
    before = decode_cursor(cursor)
    with read_session(stale_ok=True) as session:
        stmt = (select(Order).where(Order.customer_id == customer_id)
                .order_by(Order.id.desc()).limit(limit + 1))
        if before is not None:
            stmt = stmt.where(Order.id < before)
        rows = session.scalars(stmt).all()
    more = len(rows) > limit
    return {"items": [queries.order_summary(o) for o in rows[:limit]],
            "next_cursor": encode_cursor(rows[limit - 1].id) if more else None}


def customer_page(customer_id: int, limit: int, cursor: str | None) -> dict:
    """`GET /api/v1/customers/{id}`'s view (identities, returns, notes, merges), with the
    customer's `money` (`customer_value.CustomerMoney`: lifetime value), `channels_used`
    (orders and totals per channel) and `orders` a page at a time."""
    view = queries.get_customer(customer_id)
    with read_session(stale_ok=True) as session:
        view["money"] = customer_value.customer_money(session, customer_id)
        view["channels_used"] = customer_value.channels_used(session, customer_id)
    view["orders"] = customer_orders(customer_id, limit, cursor)
    return view
