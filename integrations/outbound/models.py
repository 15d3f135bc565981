"""Subscriptions, deliveries and attempts (tables `integ_subscriptions`,
`integ_deliveries`, `integ_delivery_attempts`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, sql_in, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Subscription(Base):
    """A receiver of events: its URL, the topics it wants (`order.*` or exact names), the
    secret its bodies are signed with (kept in clear: signing needs it; never shown again
    after creation) and, optionally, the one location whose events it gets."""

    __tablename__ = "integ_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    topics: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(60), nullable=True)
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Events with an outbox id above this one are its own (not the backlog before it existed).
    after_outbox_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Delivery(Base):
    """One outbox event for one subscription. Its id is the `X-OMS-Delivery-Id` every attempt
    sends (receivers drop duplicates by it). `attempts` counts the current budget (a retry
    starts a new one at `budget_started_at`); the history is in `DeliveryAttempt`."""

    __tablename__ = "integ_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "outbox_id",
                         name="uq_integ_deliveries_subscription_event"),
        CheckConstraint(f"status IN ({sql_in(DELIVERY_STATUSES)})", name="known_status"),
        # the sweep: what is due
        Index("ix_integ_deliveries_due", "status", "next_attempt_at"),
        # the ordering: earlier deliveries of the same order to the same subscription
        Index("ix_integ_deliveries_chain", "subscription_id", "aggregate", "aggregate_id",
              "outbox_id"),
        Index("ix_integ_deliveries_outbox_id", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("integ_subscriptions.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(BigId, ForeignKey("oms_outbox.id"))
    topic: Mapped[str] = mapped_column(String(60))
    aggregate: Mapped[str] = mapped_column(String(30))
    aggregate_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    budget_started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    history: Mapped[list[DeliveryAttempt]] = relationship(
        order_by="DeliveryAttempt.id", cascade="all, delete-orphan", passive_deletes=True)


class DeliveryAttempt(Base):
    """One HTTP attempt: when, the status code (none if no answer), the error, the latency."""

    __tablename__ = "integ_delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("integ_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def attempt_view(a: DeliveryAttempt) -> dict[str, Any]:
    return {"at": iso(a.at), "status_code": a.status_code, "error": a.error,
            "latency_ms": a.latency_ms}
