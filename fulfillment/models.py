"""Work at nodes: one fulfillment per node and method for an order, with its lines.

Orders are referenced by id and number (no foreign key across packages); what a node needs to
pack and label (channel, customer, ship-to, product names) is copied onto the fulfillment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, sql_in, utcnow

FULFILLMENT_METHODS = ("ship", "pickup", "transfer")
FULFILLMENT_STATUSES = (
    "pending",             # waiting to be picked (or, for pickups, prepared)
    "awaiting_transfer",   # pickup whose units are still travelling to the store
    "cancelled",
    "rejected",
    "shipped",
    "ready_for_pickup",
    "picked_up",
)
OPEN_STATUSES = ("pending", "awaiting_transfer", "ready_for_pickup")
MAX_WRONG_PICKUP_CODES = 5



class Fulfillment(Base):
    __tablename__ = "ful_fulfillments"
    __table_args__ = (
        CheckConstraint(f"method IN ({sql_in(FULFILLMENT_METHODS)})", name="known_method"),
        CheckConstraint(f"status IN ({sql_in(FULFILLMENT_STATUSES)})", name="known_status"),
        CheckConstraint("method <> 'transfer' OR transfer_to IS NOT NULL",
                        name="transfer_has_destination"),
        # A node's first capacity counter of a day counts its day's work (fulfillment.capacity).
        Index("ix_ful_fulfillments_location_day", "location_code", "assigned_on"),
        Index("ix_ful_fulfillments_order", "order_id"),
        Index("ix_ful_fulfillments_location_status", "location_code", "status", "id"),
        # The operations dashboard: pickups expiring; work made since a period's start.
        Index("ix_ful_fulfillments_status_expiry", "status", "pickup_expires_at"),
        Index("ix_ful_fulfillments_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer)
    order_number: Mapped[str] = mapped_column(String(40))
    location_code: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    transfer_to: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30), default="pending")
    # What a node needs to pick, pack and label without reading the order (this package
    # knows no orders): copied from the order when the fulfillment is made; the address is
    # kept in step with the order's until the parcel leaves (planning.readdress).
    channel: Mapped[str | None] = mapped_column(String(40))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # shipments only
    status_reason: Mapped[str | None] = mapped_column(String(500))
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    # Pick lists: who holds the work and until when (an expired lease returns it to the pool).
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    picked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(100), index=True)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Pickups: only a hash of the code is kept; wrong codes are counted.
    pickup_code_hash: Mapped[str | None] = mapped_column(String(64))
    pickup_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    picked_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # When the customer was reminded that the pickup expires soon (once per pickup).
    expiry_reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    wrong_code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[FulfillmentLine]] = relationship(back_populates="fulfillment",
                                                        order_by="FulfillmentLine.id")


class FulfillmentLine(Base):
    __tablename__ = "ful_fulfillment_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_ful_fulfillment_lines_fulfillment", "fulfillment_id"),
        Index("ix_ful_fulfillment_lines_order_line", "order_line_id"),
        Index("ix_ful_fulfillment_lines_fed_by", "fed_by_line_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("ful_fulfillments.id"))
    order_line_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))  # the channel's, else the catalogue's
    quantity: Mapped[int] = mapped_column(Integer)
    # Where the reserved units are: this node, or (for a pickup fed by a transfer) the sender.
    source_location: Mapped[str] = mapped_column(String(40))
    demand_ref: Mapped[str] = mapped_column(String(120))
    picked_quantity: Mapped[int | None] = mapped_column(Integer)
    # A pickup line fed by a transfer: the transfer's line that carries exactly these units
    # (closing, shrinking or receiving one side touches only its own partner).
    fed_by_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("ful_fulfillment_lines.id", ondelete="SET NULL"))
    # A shipped transfer line: the ledger's transfer that carries its units.
    transfer_id: Mapped[int | None] = mapped_column(Integer)

    fulfillment: Mapped[Fulfillment] = relationship(back_populates="lines")


class CapacityCounter(Base):
    """Work given to a node on a day, against its daily capacity (fulfillment.capacity)."""

    __tablename__ = "ful_capacity_counters"
    __table_args__ = (CheckConstraint("assigned >= 0", name="assigned_not_negative"),)

    location_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    assigned: Mapped[int] = mapped_column(Integer)
