"""What fulfillment needs from orders, as an interface: fulfillment sits below `oms` and must
not import it. `oms.fulfillment_port.OmsOrders` implements it; the app factory wires it
(`wire`), and so do the CLI, the workers and the tests, all through `oms.app`."""

from __future__ import annotations

from typing import Any, Protocol

from core.db import UnitOfWork
from core.ports import Port

Moved = list[tuple[int, int]]   # (order line id, units)


class OrderSide(Protocol):
    def lock(self, uow: UnitOfWork, order_id: int) -> None:
        """Lock the order for the rest of the unit of work (before any fulfillment step)."""

    def guard_items(self, uow: UnitOfWork, order_id: int) -> None:
        """Take the allocation guard on the order's items (before releasing its stock)."""

    def note(self, uow: UnitOfWork, order_id: int, kind: str, message: str, *, actor: str,
             source: str, topic: str | None = None, data: dict[str, Any] | None = None) -> None:
        """A timeline event (and, with `topic`, an outbox row) on the order."""

    def publish(self, uow: UnitOfWork, order_id: int, topic: str, data: dict[str, Any], *,
                actor: str) -> None:
        """An outbox row on the order (`fulfillment.*`: `event_data`), no timeline event: the
        timeline tells the fact in its own words (a note, the order's status change)."""

    def customer_email(self, uow: UnitOfWork, order_id: int) -> str | None:
        """Where the customer can be told (a pickup is ready): the order's email."""

    def handed_over(self, uow: UnitOfWork, order_id: int, moved: Moved, *, kind: str,
                    message: str, actor: str, source: str, data: dict[str, Any]) -> None:
        """Units left the node for the customer (shipped, picked up)."""

    def reroute_without(self, uow: UnitOfWork, order_id: int, moved: Moved, *, node: str,
                        why: str, actor: str, source: str) -> None:
        """Units the node released (short pick, rejection) go elsewhere, never to `node`."""

    def expired(self, uow: UnitOfWork, order_id: int, moved: Moved, *, message: str,
                actor: str, source: str, data: dict[str, Any]) -> None:
        """A pickup was not collected in time: its units are cancelled."""


_port: Port[OrderSide] = Port("fulfillment's order side")
wire = _port.wire
orders = _port.get
