"""What returns need from orders, as an interface: `returns` sits below `oms` and must not
import it. `oms.returns_port.OmsReturnOrders` implements it; the app factory wires it
(`oms.app.wire`), like fulfillment's `order_port`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy.orm import Session

from core.db import UnitOfWork
from core.money import PaidLine, ShippingLine
from core.ports import Port

Moved = list[tuple[int, int]]   # (order line id, units); negative units give them back


@dataclass(frozen=True)
class ReturnableLine:
    line_id: int
    sku: str
    name: str | None
    quantity: int
    fulfilled: int          # handed over: shipped, picked up, carried out
    returned: int           # under a return already (authorised or received, not cancelled)
    paid: PaidLine          # what the customer paid for the line's units
    handed_over_at: dt.datetime | None   # the last hand-over of its units (naive UTC)

    @property
    def returnable(self) -> int:
        return self.fulfilled - self.returned


@dataclass(frozen=True)
class OrderForReturn:
    order_id: int
    number: str
    channel: str
    channel_name: str | None
    status: str
    currency: str
    customer_id: int | None
    created_by_key_id: int | None
    ship_to: dict[str, Any] | None
    lines: tuple[ReturnableLine, ...]
    shipping: tuple[ShippingLine, ...]
    shipping_refunded: bool    # a return of this order refunded its shipping already

    def line(self, line_id: int) -> ReturnableLine | None:
        return next((ln for ln in self.lines if ln.line_id == line_id), None)


@dataclass(frozen=True)
class ExchangeLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ExchangeRequest:
    return_id: int
    lines: tuple[ExchangeLine, ...]
    store: str | None                 # where the customer stands (carry-out if it has them)
    method: str = "ship"              # otherwise: ship | pickup
    pickup_location: str | None = None
    address: dict[str, Any] | None = None   # default: the original order's ship-to
    hand_over_now: bool = True        # False: wait for a top-up before handing over


@dataclass(frozen=True)
class ExchangeQuote:
    total: Decimal                    # what the new items cost (catalogue prices)
    prices: tuple[Decimal, ...]


@dataclass(frozen=True)
class ExchangePlaced:
    order_id: int
    number: str
    status: str
    method: str


class OrderSide(Protocol):
    def lock(self, uow: UnitOfWork, order_id: int) -> OrderForReturn:
        """Lock the order (first, see LOCK ORDER in core.db) and describe it; 404 unknown."""

    def describe(self, session: Session, order_id: int) -> OrderForReturn | None:
        """The order as a return sees it (a read, no lock)."""

    def returned(self, uow: UnitOfWork, order_id: int, moved: Moved, *, kind: str,
                 message: str, actor: str, source: str, data: dict[str, Any],
                 topic: str = "return.created") -> None:
        """Units came under a return (or left it, negative: a cancelled return's units that
        will not come): the lines' `returned` counters, a timeline event on the order and the
        customer, and an outbox row (`topic`)."""

    def note(self, uow: UnitOfWork, order_id: int, kind: str, message: str, *, actor: str,
             source: str, topic: str | None = None, data: dict[str, Any] | None = None) -> None:
        """A timeline event (and, with `topic`, an outbox row) on the order and customer."""

    def quote_exchange(self, session: Session, lines: tuple[ExchangeLine, ...]) -> ExchangeQuote:
        """The new items' prices (422 naming an unknown SKU)."""

    def place_exchange(self, uow: UnitOfWork, original_order_id: int, request: ExchangeRequest,
                       quote: ExchangeQuote, *, actor: str, source: str) -> ExchangePlaced:
        """The exchange order, placed and routed (or carried out) in this unit of work."""

    def search(self, session: Session, q: str, limit: int) -> list[int]:
        """Ids of orders matching `q` (number, email, phone, name), newest first."""


_port: Port[OrderSide] = Port("returns' order side")
wire = _port.wire
orders = _port.get
