"""oms's side of fulfillment (`fulfillment.order_port.OrderSide`): how work at the nodes
changes orders. Each method is a building block inside the fulfillment use case's unit of
work, with the order locked first (`lock`)."""

from __future__ import annotations

from typing import Any

from core.db import UnitOfWork
from fulfillment.order_port import Moved
from oms import domain, events
from oms.models import Order
from oms.orders import (
    excluded_locations,
    guard_before_release,
    load_for_update,
    roll_up,
    route_order,
)


def _order(uow: UnitOfWork, order_id: int) -> Order:
    order = uow.session.get(Order, order_id)
    assert order is not None, f"order {order_id} of a fulfillment"
    return order


class OmsOrders:
    def lock(self, uow: UnitOfWork, order_id: int) -> None:
        load_for_update(uow.session, order_id)

    def guard_items(self, uow: UnitOfWork, order_id: int) -> None:
        guard_before_release(uow, _order(uow, order_id))

    def note(self, uow: UnitOfWork, order_id: int, kind: str, message: str, *, actor: str,
             source: str, topic: str | None = None, data: dict[str, Any] | None = None) -> None:
        events.record(uow, _order(uow, order_id), kind, message, actor=actor, source=source,
                      topic=topic, data=data)

    def publish(self, uow: UnitOfWork, order_id: int, topic: str, data: dict[str, Any], *,
                actor: str) -> None:
        events.publish(uow, _order(uow, order_id), topic, actor=actor, data=data)

    def customer_email(self, uow: UnitOfWork, order_id: int) -> str | None:
        return _order(uow, order_id).email

    def handed_over(self, uow: UnitOfWork, order_id: int, moved: Moved, *, kind: str,
                    message: str, actor: str, source: str, data: dict[str, Any]) -> None:
        order = _order(uow, order_id)
        lines = {ln.id: ln for ln in order.lines}
        for line_id, qty in moved:
            domain.fulfil(lines[line_id], qty)
        roll_up(uow, order, actor, source, kind, message, data=data)

    def reroute_without(self, uow: UnitOfWork, order_id: int, moved: Moved, *, node: str,
                        why: str, actor: str, source: str) -> None:
        order = _order(uow, order_id)
        lines = {ln.id: ln for ln in order.lines}
        for line_id, qty in moved:
            domain.unallocate(lines[line_id], qty)
        events.record(uow, order, "fulfillment.rerouting",
                      f"{why}; re-routing {sum(q for _, q in moved)} unit(s) without {node}",
                      actor=actor, source=source)
        route_order(uow, order, actor=actor, source=source,
                    exclude=excluded_locations(order) | {node})

    def expired(self, uow: UnitOfWork, order_id: int, moved: Moved, *, message: str,
                actor: str, source: str, data: dict[str, Any]) -> None:
        order = _order(uow, order_id)
        lines = {ln.id: ln for ln in order.lines}
        for line_id, qty in moved:
            domain.unallocate(lines[line_id], qty)
            lines[line_id].cancelled += qty
        roll_up(uow, order, actor, source, "fulfillment.expired", message, data=data)
