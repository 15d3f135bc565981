"""What the `fulfillment.*` events say about a fulfillment (README, "Event catalogue"). oms
writes them to the outbox in the use case's unit of work (through `order_port` here, directly
in its own use cases) and adds the order's fields; the shapes are in `oms.event_schemas`.

Every builder reads the objects the use case already holds: routing is the hot path, so no
query per line or per fulfillment. `Watch` is the exception, for the few use cases that can
take work away from nodes other than the one acting (cancel, re-route, a rejected transfer's
pickup): two queries per use case, before and after, compared."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fulfillment.models import OPEN_STATUSES, Fulfillment, FulfillmentLine
from fulfillment.queries import label_address
from inventory.views import iso

Data = dict[str, Any]


@dataclass(frozen=True)
class WorkLine:
    """Units of one order line at a node (the node's lines of one order line, added up)."""

    line_id: int
    sku: str
    name: str | None
    quantity: int

    def as_dict(self) -> Data:
        return {"line_id": self.line_id, "sku": self.sku, "name": self.name,
                "quantity": self.quantity}


def work_lines(lines: Iterable[Any]) -> list[WorkLine]:
    """Per order line, in the node's order: a pickup may hold one order line twice (units on
    the shelf and units on a transfer), which a store hands over as one."""
    totals: dict[int, WorkLine] = {}
    for ln in lines:
        seen = totals.get(ln.order_line_id)
        quantity = ln.quantity + (seen.quantity if seen else 0)
        totals[ln.order_line_id] = WorkLine(ln.order_line_id, ln.sku, ln.name, quantity)
    return list(totals.values())


def _lines(lines: Iterable[WorkLine]) -> list[Data]:
    return [ln.as_dict() for ln in lines]


def work(f: Fulfillment) -> Data:
    """What every fulfillment event carries: which work, where (`location` scopes it to the
    node's subscriptions), its status and its lines."""
    return {"fulfillment_id": f.id, "location": f.location_code, "kind": f.method,
            "fulfillment_status": f.status, "transfer_to": f.transfer_to,
            "lines": _lines(work_lines(f.lines))}


def recipient(f: Fulfillment, email: str | None) -> Data:
    """Who the parcel is for (the label's name and phone) or who collects the pickup."""
    label = label_address(f.ship_to, f.customer_name, f.customer_phone) or {}
    return {"name": label.get("name") or f.customer_name,
            "phone": label.get("phone") or f.customer_phone, "email": email}


def created(f: Fulfillment, *, email: str | None, shipping_method: str | None) -> Data:
    """New work at a node: what to pick and, for a shipment, what to print on the label."""
    return {**work(f), "assigned_on": f.assigned_on.isoformat(),
            "ship_to": (label_address(f.ship_to, f.customer_name, f.customer_phone)
                        if f.method == "ship" else None),
            "recipient": recipient(f, email), "shipping_method": shipping_method}


def claimed(f: Fulfillment) -> Data:
    return {**work(f), "claimed_by": f.claimed_by,
            "lease_expires_at": iso(f.lease_expires_at)}


def shipped(f: Fulfillment) -> Data:
    """A parcel left (the lines are what was picked and shipped). A transfer names both its
    sender and the pickup store in `locations`: the store's subscription hears what is coming."""
    data = {**work(f), "carrier": f.carrier, "tracking_number": f.tracking_number,
            "shipped_at": iso(f.shipped_at)}
    if f.method == "transfer":
        data["locations"] = [f.location_code, f.transfer_to]
    return data


def rejected(f: Fulfillment, had: list[WorkLine] | None = None) -> Data:
    """`had`: its lines before a pick that found nothing (the pick deleted them)."""
    data = {**work(f), "reason": f.status_reason}
    if had is not None:
        data["lines"] = _lines(had)
    return data


def ready_for_pickup(f: Fulfillment, *, code: str, email: str | None) -> Data:
    """What a storefront needs to tell the customer: the code (shown once to the store too),
    until when, and who collects."""
    return {**work(f), "pickup_code": code, "ready_at": iso(f.ready_at),
            "pickup_expires_at": iso(f.pickup_expires_at), "recipient": recipient(f, email)}


def picked_up(f: Fulfillment) -> Data:
    return {**work(f), "picked_up_at": iso(f.picked_up_at)}


def expiring(f: Fulfillment, *, email: str | None) -> Data:
    """A reminder to send the customer: the pickup waits until `pickup_expires_at` (the code
    is not repeated: only its hash is kept)."""
    return {**work(f), "ready_at": iso(f.ready_at), "pickup_expires_at": iso(f.pickup_expires_at),
            "recipient": recipient(f, email)}


def expired(f: Fulfillment) -> Data:
    return {**work(f), "pickup_expires_at": iso(f.pickup_expires_at),
            "reason": f.status_reason}


# ------------------------------------------------------------------ work taken away

@dataclass(frozen=True)
class _Line:
    """A fulfillment line as it stood (what `work_lines` adds up)."""

    order_line_id: int
    sku: str
    name: str | None
    quantity: int


@dataclass(frozen=True)
class OpenWork:
    fulfillment_id: int
    location: str
    kind: str
    status: str
    transfer_to: str | None
    lines: dict[int, _Line]  # by fulfillment line id


@dataclass(frozen=True)
class Cancelled:
    """Work a node held that is gone in whole or part: what went, and what is left."""

    before: OpenWork
    status: str
    cancelled: list[WorkLine]
    remaining: list[WorkLine]

    def data(self, reason: str) -> Data:
        w = self.before
        return {"fulfillment_id": w.fulfillment_id, "location": w.location, "kind": w.kind,
                "fulfillment_status": self.status, "transfer_to": w.transfer_to,
                "lines": _lines(self.remaining), "cancelled": _lines(self.cancelled),
                "reason": reason}


def _snapshot(session: Session, *where: Any) -> dict[int, OpenWork]:
    """Fulfillments and their lines as columns: the database's state after the session's
    changes are flushed, whatever the loaded objects' collections still hold."""
    rows = session.execute(
        select(Fulfillment.id, Fulfillment.location_code, Fulfillment.method, Fulfillment.status,
               Fulfillment.transfer_to, FulfillmentLine.id, FulfillmentLine.order_line_id,
               FulfillmentLine.sku, FulfillmentLine.name, FulfillmentLine.quantity)
        .outerjoin(FulfillmentLine, FulfillmentLine.fulfillment_id == Fulfillment.id)
        .where(*where).order_by(Fulfillment.id, FulfillmentLine.id)).all()
    out: dict[int, OpenWork] = {}
    for fid, location, kind, status, transfer_to, line_id, order_line, sku, name, qty in rows:
        w = out.setdefault(fid, OpenWork(fid, location, kind, status, transfer_to, {}))
        if line_id is not None:
            w.lines[line_id] = _Line(order_line, sku, name, qty)
    return out


def _taken(was: OpenWork, now: OpenWork) -> list[_Line]:
    out = []
    for line_id, line in was.lines.items():
        left = now.lines[line_id].quantity if line_id in now.lines else 0
        if left < line.quantity:
            out.append(_Line(line.order_line_id, line.sku, line.name, line.quantity - left))
    return out


class Watch:
    """The order's open work before a change, to name afterwards what nodes lost (each
    fulfillment once, however many steps of the use case touched it). Take it after the order
    is locked: every change to an order's work holds that lock."""

    def __init__(self, session: Session, order_id: int) -> None:
        self.before = _snapshot(session, Fulfillment.order_id == order_id,
                                Fulfillment.status.in_(OPEN_STATUSES))

    def cancelled(self, session: Session, *, exclude: Iterable[int] = ()) -> list[Cancelled]:
        """Fulfillments open before that lost units since, oldest first (`exclude`: the
        acting node's own, which has an event of its own)."""
        skip = set(exclude)
        watched = [fid for fid in self.before if fid not in skip]
        if not watched:
            return []
        after = _snapshot(session, Fulfillment.id.in_(watched))  # autoflush: after the change
        out = []
        for fid in watched:
            was, now = self.before[fid], after[fid]
            taken = _taken(was, now)
            if taken:
                out.append(Cancelled(was, now.status, work_lines(taken),
                                     work_lines(now.lines.values())))
        return out
