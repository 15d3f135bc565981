"""Timeline events and outbox rows: written together with the change they describe."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from core import jobs, observe
from core.db import UnitOfWork, utcnow
from oms.models import Customer, Order, OutboxEvent, TimelineEvent

# The unit of work's events not written yet (uow.memo): all are written just before its commit,
# one multi-row INSERT per table, instead of one ORM flush per event along the way.
PENDING = "oms.events.pending"


def order_payload(order: Order) -> dict[str, Any]:
    """What subscribers (storefront, POS, WMS) get to know about an order."""
    return {
        "order_id": order.id, "number": order.number, "channel": order.channel,
        "external_id": order.external_id, "status": order.status,
        "customer_id": order.customer_id,
        "promised_delivery_date": (order.promised_delivery_date.isoformat()
                                   if order.promised_delivery_date else None),
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
    uow.after_commit(lambda: jobs.enqueue_coalesced(func_path, queue=queue))


def record(uow: UnitOfWork, order: Order | None, kind: str, message: str, *, actor: str,
           source: str, topic: str | None = None, data: dict[str, Any] | None = None,
           customer: Customer | None = None, contact_channel: str | None = None) -> None:
    """One timeline event; with `topic`, also the outbox row that carries it outside. Both
    are written in the caller's unit of work, which lists them in `uow.events`."""
    uow.record(kind)
    _pending(uow).timeline.append(TimelineEvent(
        order_id=order.id if order else None,
        customer_id=customer.id if customer else (order.customer_id if order else None),
        kind=kind, message=message, actor=actor, source=source,
        contact_channel=contact_channel, data=data, created_at=utcnow(),
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
    _pending(uow).outbox.append(dict(topic=topic, aggregate="order", aggregate_id=order.id,
                                     payload={**order_payload(order), **(data or {})},
                                     actor=actor))


def record_outbox(uow: UnitOfWork, *, topic: str, aggregate: str, aggregate_id: int,
                  payload: dict[str, Any], actor: str) -> None:
    """An outbox row about something other than an order (`stock.changed`: aggregate `stock`,
    one chain per balance), written in the caller's unit of work and carried outside like
    `record`'s (the relay orders deliveries per aggregate and id)."""
    uow.record(f"outbox:{topic}")
    _announce_outbox(uow)
    _pending(uow).outbox.append(dict(topic=topic, aggregate=aggregate,
                                     aggregate_id=aggregate_id, payload=payload, actor=actor))


class _Pending:
    def __init__(self) -> None:
        self.timeline: list[TimelineEvent] = []
        self.written: list[TimelineEvent] = []
        self.outbox: list[dict[str, Any]] = []


def _pending(uow: UnitOfWork) -> _Pending:
    pending = uow.memo.get(PENDING)
    if pending is None:
        pending = uow.memo[PENDING] = _Pending()
        uow.before_commit(write_pending)
    return pending


def write_pending(uow: UnitOfWork) -> None:
    """Write the events recorded so far (run before the commit; a building block that must
    read its own events back within the transaction may call it earlier). Timeline rows get
    their ids, for views built from them without reading them back."""
    pending: _Pending | None = uow.memo.get(PENDING)
    if pending is None:
        return
    session = uow.session
    timeline = [{c: getattr(e, c) for c in _TIMELINE_COLUMNS} for e in pending.timeline]
    now = utcnow()
    request_id = observe.current_request_id()
    outbox = [{**row, "request_id": request_id, "delivered": False, "created_at": now}
              for row in pending.outbox]
    if session.get_bind().dialect.name == "postgresql":
        ids = _write_both(session, timeline, outbox, now)
    else:
        ids = list(session.scalars(insert(TimelineEvent).returning(
            TimelineEvent.id, sort_by_parameter_order=True), timeline).all()
            if timeline else [])
        if outbox:
            session.execute(insert(OutboxEvent), outbox)
    for event, event_id in zip(pending.timeline, ids, strict=True):
        event.id = event_id
    pending.written.extend(pending.timeline)
    pending.timeline, pending.outbox = [], []


# Both tables in ONE round trip, with SQL text that does not depend on how many rows there are
# (so SQLAlchemy compiles it once and PostgreSQL keeps it prepared): each table's rows travel as
# one JSON array that `json_to_recordset` turns back into rows, in order (one json.dumps in C,
# no per-value adaptation); the outbox rows are written by a data-modifying CTE. The timeline's
# ids come back, for views built without reading back.
_WRITE_BOTH = text("""
WITH outbox_rows AS (
    INSERT INTO oms_outbox (topic, aggregate, aggregate_id, payload, actor, request_id,
                            delivered, created_at)
    SELECT topic, aggregate, aggregate_id, payload, actor, request_id, false, :now
    FROM json_to_recordset(CAST(:outbox AS json))
         AS o(topic text, aggregate text, aggregate_id integer, payload json, actor text,
              request_id text)
)
INSERT INTO oms_timeline (order_id, customer_id, kind, message, actor, source,
                          contact_channel, data, created_at)
SELECT order_id, customer_id, kind, message, actor, source, contact_channel, data, created_at
FROM json_to_recordset(CAST(:timeline AS json))
     AS t(order_id integer, customer_id integer, kind text, message text, actor text,
          source text, contact_channel text, data json, created_at timestamp)
RETURNING id
""")


def _write_both(session: Session, timeline: list[dict[str, Any]],
                outbox: list[dict[str, Any]], now: dt.datetime) -> list[int]:
    rows = {"now": now,
            "outbox": json.dumps([{k: row[k] for k in _OUTBOX_JSON} for row in outbox]),
            "timeline": json.dumps([{**{k: row[k] for k in _TIMELINE_JSON},
                                     "created_at": row["created_at"].isoformat()}
                                    for row in timeline])}
    session.flush()  # the rows these reference (a new order) are written first
    # One INSERT ... SELECT takes its ids from the sequence in row order.
    return sorted(session.connection().scalars(_WRITE_BOTH, rows).all())


_OUTBOX_JSON = ("topic", "aggregate", "aggregate_id", "payload", "actor", "request_id")


def recorded(uow: UnitOfWork, order_id: int) -> list[TimelineEvent]:
    """The timeline events this unit of work recorded for an order (ids set once written)."""
    pending: _Pending | None = uow.memo.get(PENDING)
    if pending is None:
        return []
    return [e for e in pending.written + pending.timeline if e.order_id == order_id]


_TIMELINE_COLUMNS = ("order_id", "customer_id", "kind", "message", "actor", "source",
                     "contact_channel", "data", "created_at")
_TIMELINE_JSON = _TIMELINE_COLUMNS[:-1]  # created_at travels as ISO text
