"""Jobs: process one stored webhook event; re-enqueue events whose job was lost.

`process_event` takes an id and is safe to run twice: a settled (processed or ignored) event is
skipped, and the changes it makes commit together with its settling. A failure is recorded on
the event (status `failed`, attempts, last_error) in its own transaction and then raised, so
that RQ retries it with backoff; a payload that can never become an order (a line without
SKU, a field of the wrong shape or a value no column holds) is recorded as failed without
raising: retrying the same payload cannot help, `flask integrations replay` does once the
cause is fixed. (An order naming an unknown SKU or an unmapped location is not a failure: it
is kept on hold, see `holds`.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import select
from sqlalchemy.exc import DataError

from core import jobs
from core.db import read_session, utcnow
from integrations.models import InboundEvent
from integrations.shopify import apply, refunds, shops, store
from integrations.shopify.translate import TranslationError

log = logging.getLogger(__name__)

JOB = "integrations.shopify.jobs.process_event"
SWEEP_EVERY_SECONDS = 5 * 60
SWEEP_AFTER = dt.timedelta(minutes=5)

# A payload of an unexpected shape (an object where a list belongs, a quantity of "abc"), or
# values no column can hold (too long, NUL, out of range), fails the same way every time:
# retrying with backoff cannot help, so the event is recorded as failed at once and waits for
# `flask integrations replay`. Outages (database, Shopify's API) still raise and are retried.
PAYLOAD_ERRORS: tuple[type[Exception], ...] = (
    AttributeError, TypeError, KeyError, IndexError, ValueError, DataError)
# Recorded as failed at once: these and a payload we cannot translate.
FAILS_FOR_GOOD: tuple[type[Exception], ...] = (TranslationError, *PAYLOAD_ERRORS)

HANDLERS = {
    "orders/create": apply.create,
    "orders/updated": apply.update,
    "orders/cancelled": apply.cancelled,
    "refunds/create": refunds.refund,
}


def enqueue(event_id: int) -> None:
    jobs.enqueue(JOB, event_id, job_id=f"shopify-event-{event_id}", queue="high")


def process_event(event_id: int) -> str:
    """Apply one stored event; returns its status afterwards."""
    event = store.load(event_id)
    if event is None:
        log.warning("shopify event %s does not exist", event_id)
        return "missing"
    if event.status in store.SETTLED:
        return event.status
    try:
        outcome = _run(event)
    except FAILS_FOR_GOOD as exc:
        error = exc if isinstance(exc, TranslationError) else TranslationError(
            f"the payload has a field of an unexpected shape or a value no column can hold "
            f"({type(exc).__name__}: {exc})")
        store.record_failure(event_id, error)
        log.warning("shopify event %s (%s) cannot be applied: %s", event_id, event.topic,
                    error, exc_info=error is not exc)
        return "failed"
    except Exception as exc:
        store.record_failure(event_id, exc)
        log.warning("shopify event %s (%s) failed: %r; it will be retried", event_id,
                    event.topic, exc)
        raise
    if not outcome.settled and not store.settle_alone(event_id, outcome.status,
                                                      outcome.result):
        log.info("shopify event %s was settled by another run", event_id)
    settled = store.load(event_id)
    return settled.status if settled else outcome.status


def _run(event: store.StoredEvent) -> apply.Outcome:
    shop = shops.find(event.shop_domain)
    if shop is None:
        raise LookupError(f"shop {event.shop_domain} is not configured any more")
    try:
        payload = json.loads(event.body)
    except ValueError as exc:
        raise TranslationError("the stored body is not JSON") from exc
    handler = HANDLERS.get(event.topic)
    if handler is None:
        return apply.Outcome("ignored", {"reason": f"topic {event.topic} is not handled"})
    return handler(apply.Ctx(event.id, event.topic, shop, payload))


def sweep(limit: int = 500) -> int:
    """Re-enqueue events still `received` a while after they arrived: their job was lost (the
    process died between commit and enqueue, or the embedded in-memory queue went with it)."""
    cutoff = utcnow() - SWEEP_AFTER
    with read_session() as session:
        ids = list(session.scalars(
            select(InboundEvent.id).where(InboundEvent.source == store.SOURCE,
                                          InboundEvent.status == "received",
                                          InboundEvent.received_at < cutoff)
            .order_by(InboundEvent.id).limit(limit)))
    for event_id in ids:
        try:
            enqueue(event_id)
        except Exception:  # the embedded runner runs it inline: one failure must not stop us
            log.exception("shopify event %s: re-processing failed", event_id)
    if ids:
        log.info("re-enqueued %d shopify event(s) left unprocessed", len(ids))
    return len(ids)


def register() -> None:
    jobs.register_periodic(jobs.PeriodicJob("shopify-sweep", "integrations.shopify.jobs.sweep",
                                            SWEEP_EVERY_SECONDS))
