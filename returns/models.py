"""Returns: an authorisation per return (lines, where it comes back), what was received and
how (restocked or damaged), its refund, and a linked exchange order.

Orders are referenced by id and number (no foreign key across packages, like fulfillment's);
the order line's own `returned` counter is kept by oms through `returns.order_port`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, sql_in, utcnow
from returns.policy import REASONS

RETURN_STATUSES = ("requested", "authorised", "partly_received", "received", "refunded",
                   "cancelled")
REFUND_STATUSES = ("pending", "settled")   # pending: the outbound sync sends it
# How the money went back, as the payment integrator or the till says (a refund the channel
# made keeps none: the channel refunded its own payment).
REFUND_METHODS = ("card", "cash", "gift_card", "store_credit", "other")
EXCHANGE_BALANCES = ("even", "owed", "refund")
EXCHANGE_STATES = ("awaiting_payment", "placed", "released")   # released: return cancelled
RETURN_SOURCES = ("api", "shopify")


class Return(Base):
    __tablename__ = "ret_returns"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(RETURN_STATUSES)})", name="known_status"),
        CheckConstraint(f"source IN ({sql_in(RETURN_SOURCES)})", name="known_source"),
        CheckConstraint("exchange_balance IS NULL OR exchange_balance IN "
                        f"({sql_in(EXCHANGE_BALANCES)})", name="known_balance"),
        CheckConstraint("exchange_state IS NULL OR exchange_state IN "
                        f"({sql_in(EXCHANGE_STATES)})", name="known_exchange_state"),
        CheckConstraint("(exchange_total IS NULL) = (exchange_balance IS NULL)",
                        name="exchange_has_balance"),
        CheckConstraint("exchange_state IS NULL OR exchange_state IN ('awaiting_payment', "
                        "'released') OR exchange_order_id IS NOT NULL", name="placed_has_order"),
        CheckConstraint("(cancel_reason IS NULL) = (cancelled_at IS NULL) "
                        "AND (cancel_reason IS NULL) = (cancelled_by IS NULL)",
                        name="cancel_recorded"),
        CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL",
                        name="cancelled_has_reason"),
        CheckConstraint("window_override_reason IS NULL OR window_overridden_by IS NOT NULL",
                        name="override_has_actor"),
        UniqueConstraint("external_ref", name="uq_ret_returns_external_ref"),
        Index("ix_ret_returns_order", "order_id", "id"),
        Index("ix_ret_returns_customer", "customer_id", "id"),
        Index("ix_ret_returns_location_status", "location_code", "status", "id"),
        Index("ix_ret_returns_created_at", "created_at"),   # returns made in a period
        Index("ix_ret_returns_exchange_order", "exchange_order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer)
    order_number: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    location_code: Mapped[str] = mapped_column(String(40))   # where it comes back
    status: Mapped[str] = mapped_column(String(30), default="authorised")
    source: Mapped[str] = mapped_column(String(20), default="api")
    # What makes a channel's return unique there (Shopify: `shop/refund id`).
    external_ref: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    window_override_reason: Mapped[str | None] = mapped_column(String(500))
    window_overridden_by: Mapped[str | None] = mapped_column(String(200))
    refund_shipping: Mapped[bool] = mapped_column(default=False)
    # The refund the authorised units come to (the refund record is written on receipt).
    refund_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    exchange_order_id: Mapped[int | None] = mapped_column(Integer)
    exchange_order_number: Mapped[str | None] = mapped_column(String(40))
    exchange_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    exchange_balance: Mapped[str | None] = mapped_column(String(20))
    exchange_difference: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    exchange_state: Mapped[str | None] = mapped_column(String(30))
    # An exchange the customer tops up: the new items as asked (lines, method, address), held
    # (reserved for `return:<id>/exchange`) at this location until the payment is recorded.
    exchange_request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    exchange_hold_location: Mapped[str | None] = mapped_column(String(40))
    exchange_payment_ref: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Cancelled (POST /returns/{id}/cancel): the units still expected will not come.
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by: Mapped[str | None] = mapped_column(String(200))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    lines: Mapped[list[ReturnLine]] = relationship(back_populates="ret",
                                                   order_by="ReturnLine.id")


class ReturnLine(Base):
    __tablename__ = "ret_return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("restocked >= 0 AND damaged >= 0", name="received_not_negative"),
        CheckConstraint("restocked + damaged <= quantity", name="received_within_authorised"),
        CheckConstraint("cancelled >= 0 AND restocked + damaged + cancelled <= quantity",
                        name="cancelled_within_authorised"),
        CheckConstraint(f"reason IN ({sql_in(REASONS)})", name="known_reason"),
        # Within half a cent: SQLite keeps NUMERIC as floating point.
        CheckConstraint("abs(refund_total - (refund_subtotal - refund_discount + refund_tax "
                        "- refund_included_tax)) < 0.005", name="refund_adds_up"),
        Index("ix_ret_return_lines_return", "return_id"),
        Index("ix_ret_return_lines_order_line", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("ret_returns.id"))
    order_line_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)          # authorised
    restocked: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)
    # Units that will not come: the return was cancelled before they arrived.
    cancelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reason: Mapped[str] = mapped_column(String(30))
    # Units of the order line returned before these (their refund is the next units' parts).
    returned_before: Mapped[int] = mapped_column(Integer)
    # The unit positions of the order line this return line was priced on (the first
    # `quantity - cancelled` of them are the ones it keeps): see core.money.refund_units.
    units: Mapped[list[int] | None] = mapped_column(JSON)
    refund_subtotal: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    refund_discount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    refund_tax: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    refund_included_tax: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    refund_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    ret: Mapped[Return] = relationship(back_populates="lines")

    @property
    def received(self) -> int:
        return self.restocked + self.damaged

    @property
    def expected(self) -> int:
        """Units still to come back."""
        return self.quantity - self.received - self.cancelled


class Refund(Base):
    """What a return gives back, in parts that add up (core.money.RefundParts); one per
    return. Moving the money is the payment provider's job through the channel."""

    __tablename__ = "ret_refunds"
    __table_args__ = (
        UniqueConstraint("return_id", name="uq_ret_refunds_return_id"),
        CheckConstraint(f"status IN ({sql_in(REFUND_STATUSES)})", name="known_status"),
        CheckConstraint("abs(amount - (subtotal - discount + tax - included_tax + shipping "
                        "- exchange_applied)) < 0.005", name="adds_up"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(f"method IS NULL OR method IN ({sql_in(REFUND_METHODS)})",
                        name="known_method"),
        # Settled says where the money went and when; pending has neither yet.
        CheckConstraint("(status = 'settled') = (settled_at IS NOT NULL)",
                        name="settled_has_time"),
        CheckConstraint("status <> 'settled' OR external_ref IS NOT NULL",
                        name="settled_has_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("ret_returns.id"))
    order_id: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    discount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    tax: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    included_tax: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    shipping: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # An exchange: what the new items cost, kept back from the refund (never more than it).
    exchange_applied: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Settled: the channel's or payment provider's reference of the money moved (Shopify: its
    # refund id), how (REFUND_METHODS, when told), who said so and when.
    external_ref: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str | None] = mapped_column(String(20))
    settled_by: Mapped[str | None] = mapped_column(String(200))
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
