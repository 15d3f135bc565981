"""Delivering: one attempt of one delivery, the per-order ordering, backoff, dead letters,
the sweep of what is due, and retention.

An attempt is three steps, and the HTTP call is in none of the transactions:
1. claim (a unit of work): the delivery is pending, due, not leased by another worker, and
   the head of its chain (no earlier pending delivery of the same order to the same
   subscription, no earlier outbox row of that order not fanned out yet); take a lease;
2. POST the body, signed, with a timeout, on the destination's pooled session;
3. settle (a unit of work): record the attempt; 2xx is delivered; otherwise the next attempt
   is due after tenacity's exponential backoff with jitter (at least `Retry-After` on 429 and
   503), and when the budget (attempts or age) is spent the delivery is dead (`failed`). What
   a successful call made that our database records (a Shopify push's refund: settled) is
   written in this unit of work too (`Outcome.then`).
A delivered or dead delivery enqueues the next one of its chain, so one order's events go in
outbox order while other orders' chains proceed independently.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import aliased
from tenacity import RetryCallState
from tenacity.wait import wait_exponential_jitter

from core import jobs, observe
from core.db import UnitOfWork, run_in_unit_of_work, utcnow
from integrations.outbound import fanout, metrics, settings
from integrations.outbound.models import Delivery, DeliveryAttempt, Subscription, iso
from oms import catalogue
from oms.models import OutboxEvent

log = logging.getLogger(__name__)

DELIVER_JOB = "integrations.outbound.jobs.deliver"
QUEUE = "webhooks"
SWEEP_BATCH = 1000


# --------------------------------------------------------------------------- HTTP

_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(url: str) -> requests.Session:
    """One pooled `requests.Session` per destination (scheme and host:port)."""
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}"
    with _sessions_lock:
        s = _sessions.get(key)
        if s is None:
            s = _sessions[key] = requests.Session()
        return s


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(event: OutboxEvent) -> bytes:
    """The body every subscriber gets (README, "Event catalogue"; its shape per topic is in
    the API document, `oms.catalogue`)."""
    return json.dumps({"id": event.id, "type": event.topic,
                       "occurred_at": iso(event.created_at),
                       "version": catalogue.version(event.topic),
                       "data": event.payload}, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    url: str
    secret: str
    topic: str
    body: bytes
    push: Any = None  # a Shopify destination's `integrations.shopify.push.Push`
    subscription_id: int = 0
    request_id: str | None = None  # of the request that caused the event (core.observe)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    latency_ms: int
    retry_after: float | None
    accepted: bool | None = None  # set when the answer is not HTTP's (a Shopify push)
    counts: bool = True           # False: throttled, the attempt budget is not spent
    then: Callable[[UnitOfWork], None] | None = None  # recorded in settle, when ok

    @property
    def ok(self) -> bool:
        if self.accepted is not None:
            return self.accepted
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def post(claim: Claim, timeout: float) -> Outcome:
    headers = {"Content-Type": "application/json", "User-Agent": "omnichannel-oms-relay/1",
               "X-OMS-Delivery-Id": str(claim.delivery_id), "X-OMS-Event": claim.topic,
               "X-OMS-Signature": sign(claim.secret, claim.body)}
    if claim.request_id:
        # The subscriber's logs can name the request that caused the event (not signed: it
        # tells where to look, it is not part of the event).
        headers[observe.REQUEST_ID_HEADER] = claim.request_id
    started = time.monotonic()
    try:
        resp = session_for(claim.url).post(claim.url, data=claim.body, headers=headers,
                                           timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:1000],
                       int((time.monotonic() - started) * 1000), None)
    latency = int((time.monotonic() - started) * 1000)
    code = resp.status_code
    if 200 <= code < 300:
        return Outcome(code, None, latency, None)
    retry_after = (retry_after_seconds(resp.headers.get("Retry-After"))
                   if code in (429, 503) else None)
    return Outcome(code, f"HTTP {code}: {resp.text[:300]}", latency, retry_after)


def push_to_shopify(claim: Claim) -> Outcome:
    from integrations.shopify import push

    r = push.send(claim.push)
    return Outcome(None, r.error, r.latency_ms, r.retry_after, accepted=r.ok, counts=r.counts,
                   then=r.then)


# --------------------------------------------------------------------------- ordering

def _earlier_pending(d: Any) -> Any:
    """An earlier delivery of the same order to the same subscription that is still pending
    (`d` is the Delivery entity or an alias of it)."""
    earlier = aliased(Delivery)
    return exists().where(and_(
        earlier.subscription_id == d.subscription_id, earlier.aggregate == d.aggregate,
        earlier.aggregate_id == d.aggregate_id, earlier.outbox_id < d.outbox_id,
        earlier.status == "pending"))


def _earlier_unfanned(d: Delivery) -> Any:
    return exists().where(and_(
        OutboxEvent.delivered.is_(False), OutboxEvent.id < d.outbox_id,
        OutboxEvent.aggregate == d.aggregate, OutboxEvent.aggregate_id == d.aggregate_id))


# --------------------------------------------------------------------------- one attempt

def _claim(uow: UnitOfWork, delivery_id: int) -> Claim | str:
    session = uow.session
    d = session.scalars(select(Delivery).where(Delivery.id == delivery_id)
                        .with_for_update()).one_or_none()
    if d is None:
        return "gone"
    if d.status != "pending":
        return d.status
    now = utcnow()
    if d.next_attempt_at > now:
        return "not_due"
    if d.lease_until is not None and d.lease_until > now:
        return "leased"
    if session.scalar(select(_earlier_pending(Delivery)).where(Delivery.id == d.id)) or \
            session.scalar(select(_earlier_unfanned(d))):
        return "waiting"
    sub = session.get(Subscription, d.subscription_id)
    event = session.get(OutboxEvent, d.outbox_id)
    assert sub is not None and event is not None
    cfg = settings.current()
    d.lease_until = now + dt.timedelta(seconds=cfg.timeout + cfg.lease_margin)
    if is_shopify(sub.url):
        from integrations.shopify import push

        return Claim(d.id, sub.url, sub.secret, d.topic, b"",
                     push.prepare(session, sub.url, event), sub.id, event.request_id)
    return Claim(d.id, sub.url, sub.secret, d.topic, event_body(event),
                 subscription_id=sub.id, request_id=event.request_id)


def is_shopify(url: str) -> bool:
    return url.startswith("shopify://")


def backoff_seconds(attempt: int, cfg: settings.DeliverySettings) -> float:
    """tenacity's exponential backoff with jitter for the `attempt`-th failure (1-based)."""
    wait = wait_exponential_jitter(multiplier=cfg.backoff, max=cfg.max_backoff, jitter=cfg.backoff)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return float(wait(state))


def _settle(uow: UnitOfWork, claim: Claim, outcome: Outcome) -> str:
    if outcome.ok and outcome.then is not None:
        # Made out there whatever became of the delivery meanwhile; first, since its locks
        # start with the order's (LOCK ORDER in core.db).
        outcome.then(uow)
    session = uow.session
    d = session.scalars(select(Delivery).where(Delivery.id == claim.delivery_id)
                        .with_for_update()).one_or_none()
    if d is None:
        return "gone"
    now = utcnow()
    session.add(DeliveryAttempt(delivery_id=d.id, at=now, status_code=outcome.status_code,
                                error=outcome.error, latency_ms=outcome.latency_ms))
    d.lease_until = None
    if d.status != "pending":  # replayed or settled meanwhile: keep its state
        return d.status
    if outcome.counts:
        d.attempts += 1
    if outcome.ok:
        d.status, d.delivered_at, d.last_error = "delivered", now, None
        return "delivered"
    cfg = settings.current()
    delay = backoff_seconds(max(d.attempts, 1), cfg)
    if outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    d.last_error = outcome.error
    d.next_attempt_at = now + dt.timedelta(seconds=delay)
    deadline = d.budget_started_at + dt.timedelta(hours=cfg.max_age_hours)
    if d.attempts >= cfg.max_attempts or d.next_attempt_at > deadline:
        d.status = "failed"
        return "failed"
    return "retry"


def _next_in_chain(delivery_id: int) -> int | None:
    from core.db import read_session

    with read_session() as session:
        d = session.get(Delivery, delivery_id)
        if d is None:
            return None
        return session.scalar(
            select(Delivery.id).where(
                Delivery.subscription_id == d.subscription_id,
                Delivery.aggregate == d.aggregate, Delivery.aggregate_id == d.aggregate_id,
                Delivery.outbox_id > d.outbox_id, Delivery.status == "pending")
            .order_by(Delivery.outbox_id).limit(1))


def enqueue_delivery(delivery_id: int) -> None:
    jobs.enqueue(DELIVER_JOB, delivery_id, queue=QUEUE)


def deliver(delivery_id: int) -> str:
    """One attempt of one delivery, if it may go now; what happened (`delivered`, `retry`,
    `failed`, or why nothing was sent: `waiting`, `not_due`, `leased`, ...)."""
    claim = run_in_unit_of_work(lambda uow: _claim(uow, delivery_id))
    if isinstance(claim, str):
        return claim
    # From here on the job logs under the id of the request that caused the event.
    with observe.bound(claim.request_id):
        outcome = (push_to_shopify(claim) if claim.push is not None
                   else post(claim, settings.current().timeout))
        result = run_in_unit_of_work(lambda uow: _settle(uow, claim, outcome))
        metrics.attempted(claim.subscription_id, outcome, result)  # the attempt is committed
        log.log(logging.INFO if outcome.ok else logging.WARNING,
                "delivery %s (%s, subscription %s): %s in %d ms%s", delivery_id, claim.topic,
                claim.subscription_id, result, outcome.latency_ms,
                f" ({outcome.error})" if outcome.error else "",
                extra={"delivery_id": delivery_id, "subscription_id": claim.subscription_id,
                       "outcome": result})
        if result in ("delivered", "failed"):
            following = _next_in_chain(delivery_id)
            if following is not None:
                enqueue_delivery(following)
    return result


# --------------------------------------------------------------------------- sweep

def due_heads(limit: int = SWEEP_BATCH) -> list[int]:
    """Pending deliveries that may go now: due, not leased, first of their chain."""
    from core.db import read_session

    now = utcnow()
    with read_session() as session:
        return list(session.scalars(
            select(Delivery.id).where(
                Delivery.status == "pending", Delivery.next_attempt_at <= now,
                (Delivery.lease_until.is_(None)) | (Delivery.lease_until <= now),
                ~_earlier_pending(Delivery))
            .order_by(Delivery.id).limit(limit)))


def prune(cfg: settings.DeliverySettings) -> None:
    """Retention: delivered deliveries (with their attempts) and fanned-out outbox rows with
    no delivery left, older than OMS_DELIVERY_RETENTION_DAYS."""
    cutoff = utcnow() - dt.timedelta(days=cfg.retention_days)

    def work(uow: UnitOfWork) -> None:
        session = uow.session
        old = select(Delivery.id).where(Delivery.status == "delivered",
                                        Delivery.delivered_at < cutoff)
        session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(old)))
        session.execute(delete(Delivery).where(Delivery.status == "delivered",
                                               Delivery.delivered_at < cutoff))
        session.execute(delete(OutboxEvent).where(
            OutboxEvent.delivered.is_(True), OutboxEvent.created_at < cutoff,
            ~exists().where(Delivery.outbox_id == OutboxEvent.id)))

    run_in_unit_of_work(work)


def sweep() -> int:
    """Fan out what is left, enqueue every due head, prune; the number enqueued."""
    fanout.fan_out()
    due = due_heads()
    for delivery_id in due:
        enqueue_delivery(delivery_id)
    prune(settings.current())
    return len(due)


FAN_OUT_JOB = "integrations.outbound.jobs.fan_out"  # queued coalesced after outbox commits


def after_outbox_commit() -> int:
    """The job queued after a commit that wrote outbox rows: fan them out and enqueue the new
    deliveries (each waits for its chain itself). Nothing to do without subscriptions (the
    sweep marks those rows)."""
    jobs.coalesced_started(FAN_OUT_JOB)  # before reading the outbox: later commits queue again
    if not fanout.any_subscription():
        return 0
    new = fanout.fan_out()
    for delivery_id in heads_among(new):
        enqueue_delivery(delivery_id)
    return len(new)


def heads_among(delivery_ids: list[int]) -> list[int]:
    """Those of the new deliveries that head their chain. Read after the fan-out committed,
    so a delivery left out has an earlier one still pending whose settle commits after this
    read, and that settle enqueues the next of its chain (`_next_in_chain`) once committed:
    a job for each of the others would only find it waiting."""
    if not delivery_ids:
        return []
    from core.db import read_session

    with read_session() as session:
        return list(session.scalars(
            select(Delivery.id).where(Delivery.id.in_(delivery_ids), ~_earlier_pending(Delivery))
            .order_by(Delivery.id)))
