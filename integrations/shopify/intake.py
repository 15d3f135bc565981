"""Storing a verified Shopify delivery (the webhook view's use case): one unit of work that
stores the event once per webhook id and, after the commit, queues its processing.

- a webhook id seen before: `duplicate`, nothing stored (also when a concurrent delivery of
  the same id commits first: the unique constraint decides);
- a topic we do not handle: stored as `ignored`;
- otherwise stored as `received`, and `process_event` is queued once the row is durable. If
  queueing fails, the event stays `received` for the periodic sweep and `flask integrations
  replay`: Shopify must not retry for our queue's sake.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork, read_session, run_in_unit_of_work
from integrations.models import InboundEvent
from integrations.shopify.jobs import HANDLERS, enqueue

log = logging.getLogger(__name__)

SOURCE = "shopify"


@dataclass(frozen=True)
class Delivery:
    shop_domain: str
    topic: str
    webhook_id: str
    event_id: str | None
    api_version: str | None
    triggered_at: dt.datetime | None
    resource_id: str | None
    body: str
    headers: dict[str, Any]


def accept(delivery: Delivery) -> tuple[str, int | None]:
    """`(status, stored event id)`: `accepted`, `ignored` or `duplicate` (no id)."""
    if _seen(delivery.webhook_id):
        return "duplicate", None
    handled = delivery.topic in HANDLERS

    def store(uow: UnitOfWork) -> int:
        event = InboundEvent(
            source=SOURCE, shop_domain=delivery.shop_domain, topic=delivery.topic[:100],
            webhook_id=delivery.webhook_id[:100], event_id=(delivery.event_id or "")[:100] or None,
            api_version=(delivery.api_version or "")[:20] or None,
            triggered_at=delivery.triggered_at, resource_id=delivery.resource_id,
            body=delivery.body, headers=delivery.headers,
            status="received" if handled else "ignored",
            result=None if handled else {"reason": f"topic {delivery.topic} is not handled"})
        uow.session.add(event)
        uow.session.flush()
        stored_id = event.id
        if handled:
            uow.after_commit(lambda: enqueue(stored_id))
        return stored_id

    try:
        stored_id = run_in_unit_of_work(store)
    except IntegrityError:  # a concurrent delivery of the same webhook id got there first
        return "duplicate", None
    if not handled:
        log.info("shopify webhook %s: topic %s stored and ignored", delivery.webhook_id,
                 delivery.topic)
        return "ignored", stored_id
    return "accepted", stored_id


def _seen(webhook_id: str) -> bool:
    with read_session() as session:
        return session.scalar(select(InboundEvent.id).where(
            InboundEvent.source == SOURCE, InboundEvent.webhook_id == webhook_id)) is not None
