"""The ledger's tables. Movements are the truth; balances are their running sum, kept in the
same transaction and checked by `inventory.invariants`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigId, sql_in, utcnow

LOCATION_KINDS = ("warehouse", "store")

# Each movement posts at one physical location; `kind` says what happened there.
MOVEMENT_KINDS = (
    "receipt",          # from a supplier: on hand +
    "adjustment",       # signed correction: on hand ±
    "cycle_count",      # the counted quantity minus what the ledger held: on hand ±
    "damage",           # written off: on hand -
    "transfer_out",     # at the source: on hand -; at the destination: in transit +
    "transfer_in",      # at the destination: in transit -, on hand +
    "reservation",      # promised to a demand: reserved +
    "release",          # promise withdrawn: reserved -
    "shipment",         # left with a carrier or the customer: on hand -, reserved -
    "return_restock",   # came back sellable: on hand +
)

MAX_MOVEMENT_QUANTITY = 1_000_000



class Location(Base):
    __tablename__ = "inv_locations"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(LOCATION_KINDS)})", name="known_kind"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("daily_capacity IS NULL OR daily_capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    ships: Mapped[bool] = mapped_column(Boolean, default=True)
    pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    daily_capacity: Mapped[int | None] = mapped_column(Integer)
    city: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Item(Base):
    __tablename__ = "inv_items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Balance(Base):
    __tablename__ = "inv_balances"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", name="uq_inv_balances_item_location"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
        CheckConstraint("in_transit >= 0", name="in_transit_not_negative"),
        Index("ix_inv_balances_location_item", "location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, default=0)
    in_transit: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def available(self) -> int:
        """What we may promise: never negative, even when safety stock exceeds what is free."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)


class Movement(Base):
    """Append-only: nothing updates or deletes a movement; corrections are new movements."""

    __tablename__ = "inv_movements"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(MOVEMENT_KINDS)})", name="known_kind"),
        CheckConstraint(
            "on_hand_delta <> 0 OR reserved_delta <> 0 OR in_transit_delta <> 0",
            name="moves_something",
        ),
        CheckConstraint(
            "kind NOT IN ('receipt', 'return_restock') "
            "OR (on_hand_delta > 0 AND reserved_delta = 0 AND in_transit_delta = 0)",
            name="inbound_adds_on_hand",
        ),
        CheckConstraint(
            "kind NOT IN ('reservation', 'release') "
            "OR (on_hand_delta = 0 AND in_transit_delta = 0)",
            name="reservations_touch_reserved_only",
        ),
        CheckConstraint(
            "kind <> 'shipment' OR (on_hand_delta < 0 AND reserved_delta <= 0)",
            name="shipment_removes_on_hand",
        ),
        CheckConstraint("kind <> 'damage' OR on_hand_delta < 0", name="damage_removes_on_hand"),
        Index("ix_inv_movements_item_location_id", "item_id", "location_id", "id"),
        Index("ix_inv_movements_reference", "reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    in_transit_delta: Mapped[int] = mapped_column(Integer, default=0)
    counter_location_id: Mapped[int | None] = mapped_column(ForeignKey("inv_locations.id"))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("inv_transfers.id"))
    demand_ref: Mapped[str | None] = mapped_column(String(120))
    reference: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Reservation(Base):
    """Open promises per demand. Their sum per (item, location) is the balance's `reserved`."""

    __tablename__ = "inv_reservations"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", "demand_ref",
                         name="uq_inv_reservations_item_location_demand"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        Index("ix_inv_reservations_demand_ref", "demand_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    demand_ref: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Transfer(Base):
    __tablename__ = "inv_transfers"
    __table_args__ = (
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity",
                        name="received_within_shipped"),
        CheckConstraint("status IN ('in_transit', 'received')", name="known_status"),
        # Units still on the road that are promised to the demand they travel for; a demand
        # that gives them up while they travel lowers this, so they arrive free.
        CheckConstraint("carried_quantity >= 0 AND "
                        "carried_quantity <= quantity - received_quantity",
                        name="carried_within_outstanding"),
        CheckConstraint("demand_ref IS NOT NULL OR carried_quantity = 0",
                        name="carried_only_for_a_demand"),
        Index("ix_inv_transfers_to_status", "to_location_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inv_items.id"))
    from_location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("inv_locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="in_transit")
    demand_ref: Mapped[str | None] = mapped_column(String(120))
    carried_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reference: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
