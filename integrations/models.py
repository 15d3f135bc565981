"""The edge's own tables (prefix `integ_`): configured Shopify shops and every inbound webhook
delivery, stored verbatim before anything is done with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, utcnow

EVENT_STATUSES = ("received", "processed", "ignored", "failed")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ShopifyShop(Base):
    """One Shopify shop this OMS takes orders from. The webhook secret is kept in clear
    because verifying a signature needs it; the previous secret is still accepted until
    `previous_secret_until` (Shopify may sign with the old one for up to an hour after a
    rotation)."""

    __tablename__ = "integ_shopify_shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)   # "acme.myshopify.com"
    webhook_secret: Mapped[str] = mapped_column(String(255))
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    access_token: Mapped[str | None] = mapped_column(String(255))
    api_version: Mapped[str] = mapped_column(String(20), default="2025-10")
    # Shopify location id (as a string of digits) -> our location code.
    location_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class InboundEvent(Base):
    """A webhook delivery as received (raw body, headers), then what processing made of it.
    (source, webhook_id) is the dedupe key: a redelivery is answered and not stored again."""

    __tablename__ = "integ_inbound_events"
    __table_args__ = (
        UniqueConstraint("source", "webhook_id", name="uq_integ_inbound_events_source_webhook_id"),
        CheckConstraint(f"status IN ({_in(EVENT_STATUSES)})", name="known_status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_integ_inbound_events_status", "status", "id"),
        Index("ix_integ_inbound_events_resource", "shop_domain", "resource_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), default="shopify")
    shop_domain: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str | None] = mapped_column(String(100))      # X-Shopify-Event-Id
    api_version: Mapped[str | None] = mapped_column(String(20))
    triggered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # What the topic is about: the Shopify order id (orders/*), the refund id (refunds/*).
    resource_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)                         # the exact bytes, as UTF-8
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
