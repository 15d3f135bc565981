"""Orders, customers, their timelines, and the outbox of events to deliver."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, BigId, sql_in, utcnow
from oms.domain import FULFILLMENT_METHODS, HOLD_CODES, IDENTITY_KINDS, ORDER_STATUSES
from oms.identity import phone_reversed, surname_key


# Search keys (set below, whenever a row is written) are matched by prefix: PostgreSQL needs
# text_pattern_ops for LIKE 'abc%' to use a b-tree index under a non-C collation.
def _prefix_index(name: str, column: str, *more: str) -> Index:
    return Index(name, column, *more, postgresql_ops={column: "text_pattern_ops"})


class Customer(Base):
    __tablename__ = "oms_customers"
    __table_args__ = (
        _prefix_index("ix_oms_customers_name_search", "name_search"),
        _prefix_index("ix_oms_customers_surname_search", "surname_search"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    name_search: Mapped[str | None] = mapped_column(String(200))
    surname_search: Mapped[str | None] = mapped_column(String(200))  # last word of the name
    # Set when this customer was merged into another; its identities and orders moved there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("oms_customers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", order_by="CustomerIdentity.id")


class CustomerIdentity(Base):
    """An email, phone or channel account id seen for a customer. Each belongs to exactly one
    customer: that uniqueness is what makes the single customer view single."""

    __tablename__ = "oms_customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value", name="uq_oms_customer_identities_kind_value"),
        CheckConstraint(f"kind IN ({sql_in(IDENTITY_KINDS)})", name="known_kind"),
        Index("ix_oms_customer_identities_customer", "customer_id"),
        _prefix_index("ix_oms_customer_identities_phone_reversed", "phone_reversed"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("oms_customers.id"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str | None] = mapped_column(String(120))
    # Phones only: the digits reversed, so "the last 7 digits" is an indexed prefix match.
    phone_reversed: Mapped[str | None] = mapped_column(String(32))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class CustomerMerge(Base):
    """Audit of a merge, with what moved, so that an admin can undo a wrong one."""

    __tablename__ = "oms_customer_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("oms_customers.id"))
    merged_id: Mapped[int] = mapped_column(ForeignKey("oms_customers.id"))
    moved_identity_ids: Mapped[list[int]] = mapped_column(JSON)
    moved_order_ids: Mapped[list[int]] = mapped_column(JSON)
    moved_note_ids: Mapped[list[int]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(200))


# The order's total from its other totals (core.money.OrderTotals.total): tax is added on top
# unless the prices include it.
TOTAL_RULE = ("subtotal - discounts_total + shipping_total + "
              "CASE WHEN taxes_included THEN 0 ELSE tax_total END")
MONEY_ZERO = "0"


class Order(Base):
    __tablename__ = "oms_orders"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_oms_orders_channel_external_id"),
        CheckConstraint(f"status IN ({sql_in(ORDER_STATUSES)})", name="known_status"),
        CheckConstraint(f"fulfillment_method IN ({sql_in(FULFILLMENT_METHODS)})",
                        name="known_method"),
        Index("ix_oms_orders_customer", "customer_id", "id"),
        Index("ix_oms_orders_email", "email"),
        Index("ix_oms_orders_external_id", "external_id"),
        Index("ix_oms_orders_channel_name", "channel_name"),
        Index("ix_oms_orders_phone", "phone"),
        Index("ix_oms_orders_name_search", "name_search",
              postgresql_ops={"name_search": "text_pattern_ops"}),
        _prefix_index("ix_oms_orders_surname_search", "surname_search"),
        _prefix_index("ix_oms_orders_phone_reversed", "phone_reversed"),
        Index("ix_oms_orders_status", "status", "id"),
        Index("ix_oms_orders_created_at", "created_at"),
        CheckConstraint(f"hold_code IS NULL OR hold_code IN ({sql_in(HOLD_CODES)})",
                        name="known_hold_code"),
        CheckConstraint("(status = 'on_hold' AND hold_code IS NOT NULL) OR "
                        "(status <> 'on_hold' AND hold_code IS NULL)",
                        name="held_has_reason"),
        CheckConstraint("discounts_total >= 0 AND tax_total >= 0 AND shipping_total >= 0 "
                        "AND total >= 0", name="totals_not_negative"),
        # Within half a cent: SQLite keeps NUMERIC as floating point.
        CheckConstraint(f"abs(total - ({TOTAL_RULE})) < 0.005", name="total_adds_up"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(120))
    channel_name: Mapped[str | None] = mapped_column(String(120))  # e.g. Shopify's "#1042"
    status: Mapped[str] = mapped_column(String(30), default="received")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("oms_customers.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    name_search: Mapped[str | None] = mapped_column(String(200))
    surname_search: Mapped[str | None] = mapped_column(String(200))   # last word of the name
    phone_reversed: Mapped[str | None] = mapped_column(String(32))    # digits, reversed
    currency: Mapped[str] = mapped_column(String(3))
    # What the customer pays (oms/money_view.py), over the units not cancelled: `subtotal`
    # (unit prices x open quantities), the discounts on them and on shipping, their tax (all
    # of it; inside the prices when `taxes_included`), shipping, and `total`, which follow
    # every cancel and addition. Orders stored before 0011: no discount, tax or shipping.
    subtotal: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    discounts_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"),
                                                     server_default=MONEY_ZERO)
    tax_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"),
                                               server_default=MONEY_ZERO)
    shipping_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"),
                                                    server_default=MONEY_ZERO)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"),
                                           server_default=MONEY_ZERO)
    taxes_included: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    # As charged: [{title, price, discount, tax}] (decimal strings, shop currency).
    shipping_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    fulfillment_method: Mapped[str] = mapped_column(String(20))
    location_code: Mapped[str | None] = mapped_column(String(40))  # pickup or selling store
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The delivery date the channel promised the customer (express), if any: every routing of
    # the order uses only nodes whose estimate makes it (oms.orders.route_order). CS may move
    # or drop it when re-routing (the customer agrees to wait).
    promised_delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    routing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source_updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # On hold (status on_hold): why, in a stable code and in words, since when, and what is
    # missing (`{"unknown_skus": [...], "location": {...channel's own keys}}`). Cleared on
    # release.
    hold_code: Mapped[str | None] = mapped_column(String(30))
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    held_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    hold_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_key_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(back_populates="order",
                                                  order_by="OrderLine.line_no")


class OrderLine(Base):
    __tablename__ = "oms_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no", name="uq_oms_order_lines_order_line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("cancelled >= 0 AND cancelled <= quantity", name="cancelled_within"),
        CheckConstraint("allocated >= 0 AND backordered >= 0 AND fulfilled >= 0",
                        name="counts_not_negative"),
        CheckConstraint("allocated + backordered + fulfilled + cancelled <= quantity",
                        name="counts_within_quantity"),
        CheckConstraint("returned >= 0 AND returned <= fulfilled", name="returned_within"),
        CheckConstraint("discount >= 0 AND tax >= 0", name="money_not_negative"),
        CheckConstraint("discount <= unit_price * quantity + 0.005", name="discount_within"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("oms_orders.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(120))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # What was paid for the `quantity` units as ordered (oms/money_view.py): the line's
    # discounts summed (its own and its share of order discounts), its tax (its tax lines,
    # each rounded once) and, for the record, the tax lines [{title, rate, amount}] and the
    # discount allocations as the channel sent them. Zero on lines stored before 0011.
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"),
                                              server_default=MONEY_ZERO)
    tax: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"),
                                         server_default=MONEY_ZERO)
    tax_lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    discount_allocations: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Where the ordered units are: reserved at a node, waiting for stock, handed over or
    # shipped, or cancelled. Units in none of these are unrouted.
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    backordered: Mapped[int] = mapped_column(Integer, default=0)
    fulfilled: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    # Handed-over units under a return (authorised or received; a cancelled return gives them
    # back): a subset of `fulfilled`, kept by the returns use cases (oms.returns_port).
    returned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def open_quantity(self) -> int:
        """Units still owed to the customer that are not yet handed over or shipped."""
        return self.quantity - self.cancelled - self.fulfilled

    @property
    def paid(self) -> Decimal:
        """What the customer paid for the line as ordered: unit price x quantity - discount
        + tax unless the order's prices include it."""
        included = bool(self.order.taxes_included)
        return self.unit_price * self.quantity - self.discount + \
            (Decimal("0") if included else self.tax)

    @property
    def demand_ref(self) -> str:
        return f"order:{self.order_id}/line:{self.id}"


class TimelineEvent(Base):
    """What happened to an order or customer, for customer service: who, when, what, where."""

    __tablename__ = "oms_timeline"
    __table_args__ = (
        Index("ix_oms_timeline_order", "order_id", "id"),
        Index("ix_oms_timeline_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("oms_orders.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("oms_customers.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(60))
    contact_channel: Mapped[str | None] = mapped_column(String(30))  # notes: phone, chat, ...
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OutboxEvent(Base):
    """An event to deliver outside, written in the transaction of the change it reports; the
    relay (outbound sync) delivers it at least once, keyed by `id` for receivers to dedupe."""

    __tablename__ = "oms_outbox"
    __table_args__ = (Index("ix_oms_outbox_pending", "delivered", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(60))
    aggregate: Mapped[str] = mapped_column(String(30))
    aggregate_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who caused it (`shopify:<shop>` for what a shop told us): not sent to subscribers; the
    # Shopify destination skips what came from Shopify.
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The request (or the job it queued) that caused it (core.observe): its deliveries send it
    # to subscribers as X-Request-Id and log under it.
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# ------------------------------------------------------------------ search keys
# Derived from the normalised name and phone on every insert and update, whichever use case
# wrote them (intake, holds, customer resolution), so they never drift from their source.

@event.listens_for(Order, "before_insert")
@event.listens_for(Order, "before_update")
def _order_search_keys(_mapper, _connection, order: Order) -> None:
    order.surname_search = surname_key(order.name_search)
    order.phone_reversed = phone_reversed(order.phone)


@event.listens_for(Order, "before_update")
def _hold_ends_with_its_status(_mapper, _connection, order: Order) -> None:
    """An order that leaves on_hold (released, or cancelled while held) no longer waits for
    anything: its hold fields go with the status (a CHECK constraint pins them together)."""
    if order.status != "on_hold" and order.hold_code is not None:
        order.hold_code = order.hold_reason = order.hold_detail = order.held_at = None


@event.listens_for(Customer, "before_insert")
@event.listens_for(Customer, "before_update")
def _customer_search_keys(_mapper, _connection, customer: Customer) -> None:
    customer.surname_search = surname_key(customer.name_search)


@event.listens_for(CustomerIdentity, "before_insert")
@event.listens_for(CustomerIdentity, "before_update")
def _identity_search_keys(_mapper, _connection, identity: CustomerIdentity) -> None:
    identity.phone_reversed = phone_reversed(identity.value) if identity.kind == "phone" \
        else None
