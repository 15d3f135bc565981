"""Outbound sync's metrics (README, "Observability"): delivery attempts and failures as they
are settled, and the outbox's depth and age per destination, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from core.db import read_session, utcnow
from integrations.outbound.models import Delivery, Subscription
from oms.models import OutboxEvent

if TYPE_CHECKING:
    from integrations.outbound.relay import Outcome

DELIVERY_ATTEMPTS = Counter(
    "oms_delivery_attempts",
    "Delivery attempts settled, by subscription and what became of the delivery: delivered, "
    "retry (failed, another attempt is due later) or failed (dead: the budget is spent).",
    ["subscription", "result"])
DELIVERY_FAILURES = Counter(
    "oms_delivery_failures",
    "Delivery attempts that failed, by subscription and error: timeout, connection, http_429, "
    "http_4xx, http_5xx, or refused (a Shopify push Shopify did not accept).",
    ["subscription", "error"])


def error_class(outcome: Outcome) -> str:
    """A failed attempt's error, in a few words (bounded: a label)."""
    code = outcome.status_code
    if code is not None:
        if code == 429:
            return "http_429"
        return "http_5xx" if code >= 500 else "http_4xx"
    error = outcome.error or ""
    if outcome.accepted is not None:
        return "refused"
    return "timeout" if "Timeout" in error else "connection"


def attempted(subscription_id: int, outcome: Outcome, result: str) -> None:
    """Count an attempt once its settle has committed (`result` is what it recorded)."""
    sub = str(subscription_id)
    DELIVERY_ATTEMPTS.labels(sub, result).inc()
    if not outcome.ok:
        DELIVERY_FAILURES.labels(sub, error_class(outcome)).inc()


def destination(url: str) -> str:
    """A subscription's destination without its path or credentials: `https://host:port`,
    `shopify://shop`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


def outbox_depth() -> Iterator[Metric]:
    """At scrape time, in one read session: pending and dead deliveries per subscription and
    the age of the oldest pending one (the status index `ix_integ_deliveries_due` finds them),
    and the outbox rows not fanned out yet (`ix_oms_outbox_pending`)."""
    labels = ["subscription", "destination"]
    pending = GaugeMetricFamily("oms_outbox_pending_deliveries",
                                "Deliveries not delivered yet, per subscription", labels=labels)
    oldest = GaugeMetricFamily("oms_outbox_oldest_pending_age_seconds",
                               "Age of the oldest delivery not delivered yet, per "
                               "subscription (0 when none)", labels=labels)
    dead = GaugeMetricFamily("oms_outbox_dead_deliveries",
                             "Deliveries given up on (status failed: replay them with `flask "
                             "integrations redeliver`), per subscription", labels=labels)
    unfanned = GaugeMetricFamily("oms_outbox_unfanned_events",
                                 "Outbox events not fanned out to subscriptions yet")
    unfanned_age = GaugeMetricFamily("oms_outbox_unfanned_oldest_age_seconds",
                                     "Age of the oldest of those (0 when none)")
    now = utcnow()
    with read_session() as session:
        subs = session.execute(select(Subscription.id, Subscription.url)
                               .order_by(Subscription.id)).all()
        waiting = {row[0]: (row[1], row[2]) for row in session.execute(
            select(Delivery.subscription_id, func.count(), func.min(Delivery.created_at))
            .where(Delivery.status == "pending").group_by(Delivery.subscription_id))}
        given_up = dict(session.execute(
            select(Delivery.subscription_id, func.count())
            .where(Delivery.status == "failed").group_by(Delivery.subscription_id)).all())
        count, first = session.execute(
            select(func.count(), func.min(OutboxEvent.created_at))
            .where(OutboxEvent.delivered.is_(False))).one()
    for sub_id, url in subs:
        values = [str(sub_id), destination(url)]
        n, since = waiting.get(sub_id, (0, None))
        pending.add_metric(values, n)
        oldest.add_metric(values, (now - since).total_seconds() if since else 0.0)
        dead.add_metric(values, given_up.get(sub_id, 0))
    unfanned.add_metric([], count)
    unfanned_age.add_metric([], (now - first).total_seconds() if first else 0.0)
    return iter([pending, oldest, dead, unfanned, unfanned_age])
