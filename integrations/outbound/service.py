"""The use cases (each one unit of work) and reads behind the API and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from core.db import UnitOfWork, read_session, run_in_unit_of_work, utcnow
from core.errors import Conflict, NotFound
from core.http import MAX_BIG_ID, decode_cursor, encode_cursor
from integrations.outbound import relay
from integrations.outbound.models import (
    DELIVERY_STATUSES,
    Delivery,
    DeliveryAttempt,
    Subscription,
    attempt_view,
    iso,
)
from oms.models import OutboxEvent


def subscription_view(s: Subscription) -> dict[str, Any]:
    return {"id": s.id, "url": s.url, "topics": list(s.topics), "location": s.location,
            "description": s.description, "created_by": s.created_by,
            "created_at": iso(s.created_at)}


def delivery_view(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "subscription_id": d.subscription_id, "event_id": d.outbox_id,
            "topic": d.topic, "aggregate": d.aggregate, "aggregate_id": d.aggregate_id,
            "status": d.status, "attempt_count": d.attempts,
            "next_attempt_at": iso(d.next_attempt_at), "last_error": d.last_error,
            "created_at": iso(d.created_at), "delivered_at": iso(d.delivered_at),
            "attempts": [attempt_view(a) for a in d.history]}


def create_subscription(data: dict[str, Any], actor: str) -> dict[str, Any]:
    def work(uow: UnitOfWork) -> dict[str, Any]:
        session = uow.session
        # Its own events are those after it exists, not the backlog not yet fanned out.
        last = session.scalar(select(func.max(OutboxEvent.id))) or 0
        sub = Subscription(url=data["url"], topics=sorted(set(data["topics"])),
                           secret=data["secret"], location=data.get("location"),
                           description=data.get("description"), after_outbox_id=last,
                           created_by=actor)
        session.add(sub)
        session.flush()
        return subscription_view(sub)

    return run_in_unit_of_work(work)


def list_subscriptions() -> list[dict[str, Any]]:
    with read_session() as session:
        return [subscription_view(s) for s in
                session.scalars(select(Subscription).order_by(Subscription.id))]


def delete_subscription(subscription_id: int) -> dict[str, Any]:
    """The subscription and its deliveries (pending ones are not sent any more)."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        session = uow.session
        sub = session.get(Subscription, subscription_id, with_for_update=True)
        if sub is None:
            raise NotFound(f"unknown subscription {subscription_id}")
        ids = select(Delivery.id).where(Delivery.subscription_id == subscription_id)
        session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)))
        session.execute(delete(Delivery).where(Delivery.subscription_id == subscription_id))
        view = subscription_view(sub)
        session.delete(sub)
        return view

    return run_in_unit_of_work(work)


def list_deliveries(status: str | None, subscription_id: int | None, limit: int,
                    cursor: str | None) -> dict[str, Any]:
    """Newest first, cursor-paginated, each with its attempts."""
    before = decode_cursor(cursor, MAX_BIG_ID)
    with read_session() as session:
        stmt = (select(Delivery).options(selectinload(Delivery.history))
                .order_by(Delivery.id.desc()).limit(limit + 1))
        if status is not None:
            stmt = stmt.where(Delivery.status == status)
        if subscription_id is not None:
            stmt = stmt.where(Delivery.subscription_id == subscription_id)
        if before is not None:
            stmt = stmt.where(Delivery.id < before)
        rows = session.scalars(stmt).all()
        items = [delivery_view(d) for d in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1].id) if more else None}


def get_delivery(delivery_id: int) -> dict[str, Any]:
    with read_session() as session:
        d = session.scalars(select(Delivery).options(selectinload(Delivery.history))
                            .where(Delivery.id == delivery_id)).one_or_none()
        if d is None:
            raise NotFound(f"unknown delivery {delivery_id}")
        return delivery_view(d)


ORDER_DELIVERIES_SHOWN = 500


def destination_of(s: Subscription) -> dict[str, Any]:
    """Who a subscription delivers to, for people: a Shopify shop (the order pushes) or a
    webhook receiver (a POS, a WMS, anything else), with its location scope."""
    if relay.is_shopify(s.url):
        return {"kind": "shopify", "name": s.url.removeprefix("shopify://")}
    return {"kind": "webhook", "name": s.description or s.url}


def deliveries_for_order(order_id: int) -> list[dict[str, Any]]:
    """The outbound sync of one order: for each subscription that has deliveries of the
    order's events, the subscription, its destination, counts per status and the deliveries
    (oldest event first, with their attempts). Delivered rows are pruned after the retention
    period, so an old order may show only what failed. Reads the chain index by naming every
    subscription (its leading column): there are few subscriptions and many deliveries."""
    with read_session() as session:
        subs = {s.id: s for s in session.scalars(select(Subscription).order_by(Subscription.id))}
        if not subs:
            return []
        rows = session.scalars(
            select(Delivery).options(selectinload(Delivery.history))
            .where(Delivery.subscription_id.in_(list(subs)), Delivery.aggregate == "order",
                   Delivery.aggregate_id == order_id)
            .order_by(Delivery.outbox_id, Delivery.subscription_id)
            .limit(ORDER_DELIVERIES_SHOWN)).all()
        grouped: dict[int, list[dict[str, Any]]] = {}
        for d in rows:
            grouped.setdefault(d.subscription_id, []).append(delivery_view(d))
    return [{"subscription": subscription_view(subs[sub_id]),
             "destination": destination_of(subs[sub_id]),
             "counts": {status: sum(1 for d in items if d["status"] == status)
                        for status in DELIVERY_STATUSES},
             "deliveries": items}
            for sub_id, items in grouped.items()]


def _replay(d: Delivery, now: dt.datetime) -> None:
    d.status, d.attempts, d.next_attempt_at = "pending", 0, now
    d.budget_started_at, d.lease_until, d.delivered_at = now, None, None


def retry(delivery_id: int) -> dict[str, Any]:
    """A dead delivery goes back to pending with a new budget, and is enqueued (it still
    waits for earlier pending deliveries of its order)."""

    def work(uow: UnitOfWork) -> None:
        d = uow.session.get(Delivery, delivery_id, with_for_update=True)
        if d is None:
            raise NotFound(f"unknown delivery {delivery_id}")
        if d.status != "failed":
            raise Conflict(f"delivery {delivery_id} is {d.status}; only a failed one is retried",
                           rule="not_failed")
        _replay(d, utcnow())
        uow.after_commit(lambda: relay.enqueue_delivery(delivery_id))

    run_in_unit_of_work(work)
    return get_delivery(delivery_id)


def retry_for_order(order_id: int, delivery_id: int) -> dict[str, Any]:
    """`retry`, for a delivery of this order's events only (404 otherwise): what the order's
    page offers customer service, who may not list or retry the whole dead-letter queue. A
    delivery's order never changes, so reading it first and retrying after is safe."""
    found = get_delivery(delivery_id)
    if (found["aggregate"], found["aggregate_id"]) != ("order", order_id):
        raise NotFound(f"delivery {delivery_id} is not one of order {order_id}'s")
    return retry(delivery_id)


def redeliver(status: str, since: dt.datetime | None, subscription_id: int | None) -> int:
    """Put matching deliveries back to pending (new budget) and enqueue what is due; the
    number put back. Receivers drop what they already had by the delivery id."""

    def work(uow: UnitOfWork) -> int:
        stmt = select(Delivery).where(Delivery.status == status).with_for_update()
        if since is not None:
            stmt = stmt.where(Delivery.created_at >= since)
        if subscription_id is not None:
            stmt = stmt.where(Delivery.subscription_id == subscription_id)
        rows = uow.session.scalars(stmt.order_by(Delivery.id)).all()
        now = utcnow()
        for d in rows:
            _replay(d, now)
        return len(rows)

    count = run_in_unit_of_work(work)
    for delivery_id in relay.due_heads():
        relay.enqueue_delivery(delivery_id)
    return count



def count_deliveries(status: str) -> int:
    """How many deliveries have this status (an index range: `ix_integ_deliveries_due`)."""
    with read_session() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)
                                  .where(Delivery.status == status)) or 0)
