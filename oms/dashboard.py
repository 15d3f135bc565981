"""Read side of the operations dashboard: orders by status and channel, what waits for someone
(holds, backorders, orders needing attention), orders per hour by channel. Aggregates in SQL
over indexed columns (`status`, `created_at`), so the figures stay fast with millions of
orders; the holds' reasons are `oms.queries.holds_summary`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.db import read_session
from oms.kpis import Period
from oms.models import Order, OrderLine

# Statuses that mean someone has to act (the dashboard's "waiting" cards), in that order.
WAITING = ("on_hold", "needs_attention", "backordered")


def orders_by_status_and_channel(period: Period) -> dict[tuple[str, str], int]:
    """Orders placed in the period (every status, cancelled too) per (status, channel)."""
    with read_session(stale_ok=True) as session:
        rows = session.execute(
            select(Order.status, Order.channel, func.count())
            .where(Order.created_at >= period.start, Order.created_at < period.end)
            .group_by(Order.status, Order.channel)).all()
    return {(status, channel): int(n) for status, channel, n in rows}


def waiting_counts() -> dict[str, int]:
    """Orders now on hold, needing attention or backordered, whenever they were placed (one
    index range per status)."""
    with read_session(stale_ok=True) as session:
        rows = session.execute(select(Order.status, func.count())
                               .where(Order.status.in_(WAITING)).group_by(Order.status)).all()
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in WAITING}


def _hour(session: Session) -> ColumnElement:
    """`created_at` cut to its hour, in SQL, by each database's own function."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", Order.created_at)
    return func.strftime("%Y-%m-%d %H:00:00", Order.created_at)


def _as_datetime(value: dt.datetime | str) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def orders_per_hour(period: Period) -> dict[str, dict[dt.datetime, int]]:
    """Per channel, the orders placed in each UTC hour of the period that had any."""
    with read_session(stale_ok=True) as session:
        hour = _hour(session).label("hour")
        rows = session.execute(
            select(Order.channel, hour, func.count())
            .where(Order.created_at >= period.start, Order.created_at < period.end)
            .group_by(Order.channel, hour)).all()
    series: dict[str, dict[dt.datetime, int]] = {}
    for channel, at, n in rows:
        series.setdefault(channel, {})[_as_datetime(at)] = int(n)
    return series


def backorders(limit: int = 10) -> dict:
    """Orders whose status is backordered: the SKUs they wait for (units, orders), most units
    first, and the latest orders with what each waits for."""
    waiting = select(Order.id).where(Order.status == "backordered")
    with read_session(stale_ok=True) as session:
        skus = session.execute(
            select(OrderLine.sku, func.sum(OrderLine.backordered).label("units"),
                   func.count(func.distinct(OrderLine.order_id)))
            .where(OrderLine.order_id.in_(waiting), OrderLine.backordered > 0)
            .group_by(OrderLine.sku).order_by(func.sum(OrderLine.backordered).desc(),
                                              OrderLine.sku).limit(limit)).all()
        latest = session.scalars(select(Order).where(Order.status == "backordered")
                                 .order_by(Order.id.desc()).limit(limit)).all()
        lines = _backordered_lines(session, [o.id for o in latest])
        return {
            "skus": [{"sku": sku, "units": int(units), "orders": int(n)}
                     for sku, units, n in skus],
            "latest": [{"id": o.id, "number": o.number, "channel": o.channel,
                        "customer_name": o.customer_name, "created_at": o.created_at,
                        "lines": lines.get(o.id, [])} for o in latest],
        }


def _backordered_lines(session: Session, order_ids: list[int]) -> dict[int, list[dict]]:
    if not order_ids:
        return {}
    found: dict[int, list[dict]] = {}
    for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids),
                                                        OrderLine.backordered > 0)
                                .order_by(OrderLine.order_id, OrderLine.line_no)):
        found.setdefault(line.order_id, []).append({"sku": line.sku,
                                                    "units": line.backordered})
    return found


def held_orders(limit: int = 10) -> list[dict]:
    """The latest orders on hold, each with its reason in words and what it misses."""
    with read_session(stale_ok=True) as session:
        rows = session.scalars(select(Order).where(Order.status == "on_hold")
                               .order_by(Order.id.desc()).limit(limit)).all()
        return [{"id": o.id, "number": o.number, "channel": o.channel,
                 "channel_name": o.channel_name, "code": o.hold_code, "reason": o.hold_reason,
                 "since": o.held_at,
                 "unknown_skus": (o.hold_detail or {}).get("unknown_skus") or []}
                for o in rows]


def order_numbers(order_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    with read_session(stale_ok=True) as session:
        return {order_id: number for order_id, number in session.execute(
            select(Order.id, Order.number).where(Order.id.in_(ids)))}
