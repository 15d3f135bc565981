"""Outbox rows -> delivery rows, one per matching subscription.

Fan-out runs in its own unit of work after the commit that wrote outbox rows (a job on queue
`webhooks`) and in the periodic sweep, never in the request's transaction: the outbox row is
already durable, so the request stays as short as it was and a fan-out that fails loses
nothing (the sweep does it again). An outbox row's `delivered` flag means "fanned out": its
deliveries exist (none if no subscription wanted it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork, run_in_unit_of_work, utcnow
from integrations.outbound.models import Delivery, Subscription
from oms.models import OutboxEvent

BATCH = 500


def topic_matches(patterns: list[str], topic: str) -> bool:
    """`*` is every topic, `order.*` every `order.` topic, anything else an exact name."""
    for pattern in patterns:
        if pattern == "*" or pattern == topic:
            return True
        if pattern.endswith(".*") and topic.startswith(pattern[:-1]):
            return True
    return False


def locations_named(payload: dict[str, Any]) -> set[str]:
    """The locations an event concerns: its payload's `location` (fulfillment events: the
    node doing the work; returns: where the return is received) and `pickup_location`, and
    each of `locations`. Order events name none: they go to unscoped subscriptions only."""
    out = {payload[k] for k in ("location", "pickup_location")
           if isinstance(payload.get(k), str)}
    listed = payload.get("locations")
    if isinstance(listed, list):
        out |= {v for v in listed if isinstance(v, str)}
    return out


def wants(sub: Subscription, event: OutboxEvent) -> bool:
    if event.id <= sub.after_outbox_id:
        return False
    if sub.url.startswith("shopify://"):
        # A shop's push destination: integrations.shopify decides from the event (its topics
        # are for display), so a new kind of push needs no change to existing destinations.
        from integrations.shopify import push

        return push.wants(sub.url, event)
    if not topic_matches(sub.topics, event.topic):
        return False
    return sub.location is None or sub.location in locations_named(event.payload or {})


def _fan_out_batch(uow: UnitOfWork) -> tuple[int, list[int]]:
    session = uow.session
    # FOR UPDATE: two fan-outs at once queue here, and the second one skips what the first
    # fanned out (PostgreSQL re-checks `delivered` after the wait); the unique constraint on
    # (subscription, event) backs it up.
    events = session.scalars(
        select(OutboxEvent).where(OutboxEvent.delivered.is_(False))
        .order_by(OutboxEvent.id).limit(BATCH).with_for_update()).all()
    if not events:
        return 0, []
    subs = session.scalars(select(Subscription).order_by(Subscription.id)).all()
    now = utcnow()
    created: list[Delivery] = []
    for event in events:
        for sub in subs:
            if wants(sub, event):
                d = Delivery(subscription_id=sub.id, outbox_id=event.id, topic=event.topic,
                             aggregate=event.aggregate, aggregate_id=event.aggregate_id,
                             status="pending", attempts=0, next_attempt_at=now,
                             budget_started_at=now, created_at=now)
                session.add(d)
                created.append(d)
        event.delivered = True
    session.flush()
    return len(events), [d.id for d in created]


def fan_out() -> list[int]:
    """Fan out every outbox row not fanned out yet; the new deliveries' ids, in order."""
    new: list[int] = []
    while True:
        count, ids = run_in_unit_of_work(_fan_out_batch)
        new += ids
        if count < BATCH:
            return new


def any_subscription() -> bool:
    from core.db import read_session

    with read_session() as session:
        return session.scalar(select(Subscription.id).limit(1)) is not None
