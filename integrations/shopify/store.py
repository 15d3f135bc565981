"""Reading and settling stored inbound events."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from core.db import read_session, unit_of_work, utcnow
from integrations.models import InboundEvent

SOURCE = "shopify"
SETTLED = ("processed", "ignored")
MAX_ERROR = 2000


@dataclass(frozen=True)
class StoredEvent:
    id: int
    shop_domain: str
    topic: str
    webhook_id: str
    resource_id: str | None
    status: str
    attempts: int
    body: str
    received_at: dt.datetime


class AlreadySettled(Exception):
    """Another run settled this event first (its transaction is rolled back)."""


def load(event_id: int) -> StoredEvent | None:
    with read_session() as session:
        row = session.get(InboundEvent, event_id)
        if row is None:
            return None
        return StoredEvent(row.id, row.shop_domain, row.topic, row.webhook_id, row.resource_id,
                           row.status, row.attempts, row.body, row.received_at)


def settle(session: Session, event_id: int, status: str, result: dict[str, Any]) -> None:
    """Mark the event processed or ignored inside the caller's transaction (the one that makes
    the change it reports, so that the two commit together). Raises AlreadySettled when
    another run got there first."""
    done = cast(CursorResult[Any], session.execute(
        update(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status.not_in(SETTLED))
        .values(status=status, result=_jsonable(result), processed_at=utcnow(),
                attempts=InboundEvent.attempts + 1, last_error=None)
        .execution_options(synchronize_session=False)))
    if done.rowcount != 1:
        raise AlreadySettled(event_id)


def settle_alone(event_id: int, status: str, result: dict[str, Any]) -> bool:
    """`settle` in its own transaction; False when it was already settled."""
    with unit_of_work() as uow:
        session = uow.session
        try:
            settle(session, event_id, status, result)
        except AlreadySettled:
            return False
        uow.commit()
    return True


def record_failure(event_id: int, error: BaseException) -> None:
    """Make a failure visible before the job raises (its own transaction)."""
    message = f"{type(error).__name__}: {error}"[:MAX_ERROR]
    with unit_of_work() as uow:
        session = uow.session
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == event_id, InboundEvent.status.not_in(SETTLED))
            .values(status="failed", attempts=InboundEvent.attempts + 1, last_error=message)
            .execution_options(synchronize_session=False))
        uow.commit()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------------ related events

def _related(session: Session, shop_domain: str, resource_id: str, topics: tuple[str, ...],
             statuses: tuple[str, ...] | None = None, exclude: int | None = None):
    query = select(InboundEvent).where(
        InboundEvent.source == SOURCE, InboundEvent.shop_domain == shop_domain,
        InboundEvent.resource_id == resource_id, InboundEvent.topic.in_(topics))
    if statuses:
        query = query.where(InboundEvent.status.in_(statuses))
    if exclude is not None:
        query = query.where(InboundEvent.id != exclude)
    return session.scalars(query.order_by(InboundEvent.id))


def cancelled_on_shopify(session: Session, shop_domain: str, order_id: str) -> int | None:
    """The id of a stored event saying Shopify cancelled this order, if any (an orders/create
    that arrives after its cancellation must not make a live order)."""
    for row in _related(session, shop_domain, order_id, ("orders/cancelled", "orders/updated")):
        if row.topic == "orders/cancelled":
            return row.id
        try:
            if json.loads(row.body).get("cancelled_at"):
                return row.id
        except (ValueError, AttributeError):
            continue
    return None


def creation_pending(session: Session, shop_domain: str, order_id: str) -> bool:
    """An orders/create or orders/updated for this order is stored but not yet settled."""
    return session.scalars(
        select(InboundEvent.id).where(
            InboundEvent.source == SOURCE, InboundEvent.shop_domain == shop_domain,
            InboundEvent.resource_id == order_id,
            InboundEvent.topic.in_(("orders/create", "orders/updated")),
            InboundEvent.status.in_(("received", "failed")))).first() is not None


def refund_applied(session: Session, shop_domain: str, refund_id: str, exclude: int) -> int | None:
    """The event that already applied this refund (the same refund delivered twice)."""
    row = _related(session, shop_domain, refund_id, ("refunds/create",), ("processed",),
                   exclude=exclude).first()
    return row.id if row else None


def refund_reflected(session: Session, shop_domain: str, order_id: str,
                     refund_id: str) -> int | None:
    """The applied orders/updated event whose payload already listed this refund (its
    cancellations were applied from the order's quantities then)."""
    for row in _related(session, shop_domain, order_id, ("orders/updated",), ("processed",)):
        if refund_id in ((row.result or {}).get("refunds_seen") or []):
            return row.id
    return None


def last_manual_notes(session: Session, shop_domain: str, order_id: str) -> list | None:
    """What the latest applied orders/updated said needs manual handling (not said twice)."""
    rows = list(_related(session, shop_domain, order_id, ("orders/updated",), ("processed",)))
    for row in reversed(rows):
        if "manual" in (row.result or {}):
            return row.result["manual"]
    return None
