"""Timeline events and outbox rows: written together with the change they describe."""

from __future__ import annotations

from typing import Any

from core import jobs
from core.db import UnitOfWork
from oms.models import Customer, Order, OutboxEvent, TimelineEvent


def order_payload(order: Order) -> dict[str, Any]:
    """What subscribers (storefront, POS, WMS) get to know about an order."""
    return {
        "order_id": order.id, "number": order.number, "channel": order.channel,
        "external_id": order.external_id, "status": order.status,
        "customer_id": order.customer_id,
        "lines": [{"line_id": ln.id, "sku": ln.sku, "quantity": ln.quantity,
                   "allocated": ln.allocated, "backordered": ln.backordered,
                   "fulfilled": ln.fulfilled, "cancelled": ln.cancelled}
                  for ln in order.lines],
    }


# The job that carries new outbox rows outside, queued once after each commit that wrote some
# (the app factory's wiring sets it: `integrations.outbound` registers its fan-out job).
_relay_job: tuple[str, str] | None = None


def set_relay_job(func_path: str | None, queue: str = "default") -> None:
    global _relay_job
    _relay_job = (func_path, queue) if func_path else None


def _announce_outbox(uow: UnitOfWork) -> None:
    if _relay_job is None or uow.memo.get("outbox_announced"):
        return
    uow.memo["outbox_announced"] = True
    func_path, queue = _relay_job
    uow.after_commit(lambda: jobs.enqueue(func_path, queue=queue))


def record(uow: UnitOfWork, order: Order | None, kind: str, message: str, *, actor: str,
           source: str, topic: str | None = None, data: dict[str, Any] | None = None,
           customer: Customer | None = None, contact_channel: str | None = None) -> None:
    """One timeline event; with `topic`, also the outbox row that carries it outside. Both
    are written in the caller's unit of work, which lists them in `uow.events`."""
    session = uow.session
    uow.record(kind)
    session.add(TimelineEvent(
        order_id=order.id if order else None,
        customer_id=customer.id if customer else (order.customer_id if order else None),
        kind=kind, message=message, actor=actor, source=source,
        contact_channel=contact_channel, data=data,
    ))
    if topic and order is not None:
        publish(uow, order, topic, actor=actor, data=data)


def publish(uow: UnitOfWork, order: Order, topic: str, *, actor: str,
            data: dict[str, Any] | None = None) -> None:
    """The outbox row alone, in the caller's unit of work: for a fact the timeline already
    tells in its own words (a shipment's `fulfillment.shipped` next to the order's status
    change, the work routing created or a cancel took away). `data` goes over the order's
    payload (a fulfillment's `lines` replace the order's; README, "Event catalogue"; the
    shapes are in `oms.event_schemas`)."""
    uow.record(f"outbox:{topic}")
    _announce_outbox(uow)
    uow.session.add(OutboxEvent(topic=topic, aggregate="order", aggregate_id=order.id,
                                payload={**order_payload(order), **(data or {})},
                                actor=actor))


def record_outbox(uow: UnitOfWork, *, topic: str, aggregate: str, aggregate_id: int,
                  payload: dict[str, Any], actor: str) -> None:
    """An outbox row about something other than an order (`stock.changed`: aggregate `stock`,
    one chain per balance), written in the caller's unit of work and carried outside like
    `record`'s (the relay orders deliveries per aggregate and id)."""
    uow.record(f"outbox:{topic}")
    _announce_outbox(uow)
    uow.session.add(OutboxEvent(topic=topic, aggregate=aggregate, aggregate_id=aggregate_id,
                                payload=payload, actor=actor))
