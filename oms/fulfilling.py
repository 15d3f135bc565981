"""Fulfillment use cases: the work at nodes (fulfillment.work) kept in step with the order
(line quantities, status, timeline, outbox) in one transaction each. Units a node cannot supply
(short pick, rejection) are re-routed elsewhere in the same transaction, never to that node."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.auth import Principal
from core.db import read_session, retry_transient, unit_of_work, utcnow
from core.errors import Forbidden, InsufficientStock, InvalidInput, NotFound
from fulfillment import work
from fulfillment.models import Fulfillment
from fulfillment.queries import fulfillment_view
from inventory.ledger import Cause
from oms import events
from oms.models import Order, OrderLine
from oms.orders import (
    ROUTING_ATTEMPT,
    guard_before_release,
    roll_up,
    route_order,
    with_routing_attempts,
)

MAX_LEASE_SECONDS = 24 * 3600


def pickup_window() -> dt.timedelta:
    return dt.timedelta(hours=float(os.environ.get("OMS_PICKUP_WINDOW_HOURS", "72")))


def _authorise(principal: Principal, f: Fulfillment) -> None:
    if not principal.may_act_at(f.location_code):
        raise Forbidden(f"fulfillment {f.id} is at {f.location_code}, outside this key's "
                        f"location ({principal.location})")


def _order(session: Session, order_id: int) -> Order:
    return session.scalars(select(Order).where(Order.id == order_id).with_for_update()).one()


def _lines(order: Order) -> dict[int, OrderLine]:
    return {ln.id: ln for ln in order.lines}


def _listed(f: Fulfillment) -> dict:
    """A fulfillment whose lines are already loaded, as the API shows it."""
    return {**fulfillment_view(f), "order_id": f.order_id, "order_number": f.order_number}


def _view(session: Session, f: Fulfillment) -> dict:
    """After a step changed its lines: flush and reload them first."""
    session.flush()
    session.refresh(f, ["lines"])
    return _listed(f)


def _with_fulfillment(fulfillment_id: int, principal: Principal,
                      step: Callable[[Session, Fulfillment, Order], Any]) -> Any:
    """Lock the fulfillment and its order, check the caller's location, run the step, commit.
    A re-route that lost a race for stock is retried in a fresh transaction."""
    def once(attempt: int) -> Any:
        with unit_of_work() as session:
            session.info[ROUTING_ATTEMPT] = attempt
            f = work.lock(session, fulfillment_id)
            _authorise(principal, f)
            order = _order(session, f.order_id)
            result = step(session, f, order)
            session.commit()
            return result

    return with_routing_attempts(
        once, InsufficientStock("stock kept changing while re-routing; try again"))


def _cause(order: Order, principal: Principal, note: str) -> Cause:
    return Cause(actor=principal.actor, reference=f"order:{order.id}", note=note)


def _reroute_units(session: Session, order: Order, moved: list[tuple[int, int]], node: str,
                   principal: Principal, why: str) -> None:
    lines = _lines(order)
    for line_id, qty in moved:
        lines[line_id].allocated -= qty
    excluded = frozenset((order.routing or {}).get("excluded", [])) | {node}
    events.record(session, order, "fulfillment.rerouting",
                  f"{why}; re-routing {sum(q for _, q in moved)} unit(s) without {node}",
                  actor=principal.actor, source=principal.role)
    route_order(session, order, actor=principal.actor, source=principal.role, exclude=excluded)


# ------------------------------------------------------------------ pick lists

def pick_list(location: str, limit: int) -> list[dict]:
    """Open work at a location, oldest first (pickups waiting for transfers included)."""
    with unit_of_work() as session:
        promote_arrivals(session, location)
        rows = session.scalars(
            select(Fulfillment).where(Fulfillment.location_code == location,
                                      Fulfillment.status.in_(("pending", "awaiting_transfer",
                                                              "ready_for_pickup")))
            .options(selectinload(Fulfillment.lines))
            .order_by(Fulfillment.id).limit(limit)).all()
        views = [_listed(f) for f in rows]
        session.commit()
    return views


def claim(location: str, limit: int, lease_seconds: int, principal: Principal) -> list[dict]:
    if not 1 <= lease_seconds <= MAX_LEASE_SECONDS:
        raise InvalidInput("lease_seconds", f"must be 1 to {MAX_LEASE_SECONDS}")
    if not principal.may_act_at(location):
        raise Forbidden(f"this key may not work at {location}",
                        fields={"location": [f"outside this key's scope ({principal.location})"]})
    with unit_of_work() as session:
        promote_arrivals(session, location)
        claimed = work.claim(session, location, limit, lease_seconds, principal.actor)
        # Claimed rows come with their lines; their orders are loaded in one query.
        views = [_listed(f) for f in claimed]
        by_id = {o.id: o for o in session.scalars(
            select(Order).where(Order.id.in_({f.order_id for f in claimed})))}
        for f in claimed:
            events.record(session, by_id[f.order_id], "fulfillment.claimed",
                          f"{f.method} at {f.location_code} claimed by {principal.name} "
                          f"for {lease_seconds}s", actor=principal.actor,
                          source=principal.role)
        session.commit()
    return views


def renew(fulfillment_id: int, lease_seconds: int, principal: Principal) -> dict:
    if not 1 <= lease_seconds <= MAX_LEASE_SECONDS:
        raise InvalidInput("lease_seconds", f"must be 1 to {MAX_LEASE_SECONDS}")

    def step(session: Session, f: Fulfillment, order: Order) -> dict:
        work.renew(session, f, principal.actor, lease_seconds)
        return _view(session, f)

    return _with_fulfillment(fulfillment_id, principal, step)


# ------------------------------------------------------------------ the steps

@retry_transient()
def pick(fulfillment_id: int, picked: dict[int, int], principal: Principal) -> dict:
    def step(session: Session, f: Fulfillment, order: Order) -> dict:
        guard_before_release(session, order)  # a short pick releases, then re-routes
        short = work.record_pick(session, f, picked, _cause(order, principal, "short pick"))
        if short:
            what = ", ".join(f"line {lid} short {q}" for lid, q in short)
            _reroute_units(session, order, short, f.location_code, principal,
                           f"short pick at {f.location_code} ({what})")
        else:
            events.record(session, order, "fulfillment.picked",
                          f"{f.method} at {f.location_code} picked in full",
                          actor=principal.actor, source=principal.role)
        return _view(session, f)

    return _with_fulfillment(fulfillment_id, principal, step)


@retry_transient()
def ship(fulfillment_id: int, carrier: str, tracking_number: str,
         principal: Principal) -> dict:
    def step(session: Session, f: Fulfillment, order: Order) -> dict:
        moved = work.ship(session, f, carrier, tracking_number,
                          _cause(order, principal, f"shipped {carrier} {tracking_number}"))
        lines = _lines(order)
        for line_id, qty in moved:
            lines[line_id].allocated -= qty
            lines[line_id].fulfilled += qty
        if f.method == "transfer":
            events.record(session, order, "fulfillment.transfer_shipped",
                          f"units left {f.location_code} for pickup at {f.transfer_to} "
                          f"({carrier} {tracking_number})", actor=principal.actor,
                          source=principal.role, topic="fulfillment.transfer_shipped")
        else:
            roll_up(session, order, principal.actor, principal.role, "fulfillment.shipped",
                     f"shipped from {f.location_code} with {carrier} {tracking_number}",
                     data={"fulfillment_id": f.id, "carrier": carrier,
                           "tracking_number": tracking_number})
        return _view(session, f)

    return _with_fulfillment(fulfillment_id, principal, step)


@retry_transient()
def reject(fulfillment_id: int, reason: str, principal: Principal) -> dict:
    def step(session: Session, f: Fulfillment, order: Order) -> dict:
        guard_before_release(session, order)
        moved = work.release_all(session, f, "rejected", reason,
                                 _cause(order, principal, f"rejected: {reason}"))
        _reroute_units(session, order, moved, f.location_code, principal,
                       f"{f.location_code} rejected its {f.method}: {reason}")
        return _view(session, f)

    return _with_fulfillment(fulfillment_id, principal, step)


def ready_for_pickup(fulfillment_id: int, principal: Principal) -> dict:
    def step(session: Session, f: Fulfillment, order: Order) -> dict:
        code = work.ready_for_pickup(session, f, pickup_window())
        roll_up(session, order, principal.actor, principal.role, "fulfillment.ready_for_pickup",
                 f"ready for pickup at {f.location_code} until "
                 f"{f.pickup_expires_at.isoformat(timespec='minutes')}Z",
                 data={"fulfillment_id": f.id,
                       "pickup_expires_at": f.pickup_expires_at.isoformat() + "Z"})
        return {**_view(session, f), "pickup_code": code,
                "pickup_expires_at": f.pickup_expires_at.isoformat() + "Z"}

    return _with_fulfillment(fulfillment_id, principal, step)


def pickup(fulfillment_id: int, code: str, principal: Principal) -> dict:
    def step(session: Session, f: Fulfillment, order: Order) -> dict | None:
        if not work.check_code(f, code):
            return None
        moved = work.hand_over(session, f, _cause(order, principal, "picked up"))
        lines = _lines(order)
        for line_id, qty in moved:
            lines[line_id].allocated -= qty
            lines[line_id].fulfilled += qty
        roll_up(session, order, principal.actor, principal.role, "fulfillment.picked_up",
                 f"handed over at {f.location_code}", data={"fulfillment_id": f.id})
        return _view(session, f)

    handed = _with_fulfillment(fulfillment_id, principal, step)
    if handed is None:
        _count_wrong_code(fulfillment_id, principal)
        raise InvalidInput("code", "does not match this pickup")
    return handed


def _count_wrong_code(fulfillment_id: int, principal: Principal) -> None:
    with unit_of_work() as session:
        f = work.lock(session, fulfillment_id)
        f.wrong_code_attempts += 1
        events.record(session, session.get(Order, f.order_id), "fulfillment.wrong_pickup_code",
                      f"wrong pickup code at {f.location_code} (attempt "
                      f"{f.wrong_code_attempts})", actor=principal.actor,
                      source=principal.role)
        session.commit()


# ------------------------------------------------------------------ background

def promote_arrivals(session: Session, location: str | None = None) -> int:
    promoted = work.promote_arrived(session, location)
    for f in promoted:
        events.record(session, session.get(Order, f.order_id), "fulfillment.transfer_received",
                      f"transferred units arrived at {f.location_code}; pickup can be prepared",
                      actor="system", source="oms")
    return len(promoted)


def promote_all_arrivals() -> int:
    with unit_of_work() as session:
        count = promote_arrivals(session)
        session.commit()
    return count


SYSTEM = Principal(key_id=0, name="pickup-expiry", role="admin", location=None)


def expire_pickups(now: dt.datetime | None = None) -> int:
    """Pickups not collected in their window: cancel, release the stock, record it."""
    with read_session() as session:
        due = work.expired_pickups(session, now or utcnow())
    for fulfillment_id in due:
        def step(session: Session, f: Fulfillment, order: Order) -> None:
            if f.status != "ready_for_pickup":
                return
            moved = work.release_all(session, f, "cancelled", "pickup window passed",
                                     Cause(actor="system:pickup-expiry",
                                           reference=f"order:{order.id}",
                                           note="pickup window passed"))
            lines = _lines(order)
            for line_id, qty in moved:
                lines[line_id].allocated -= qty
                lines[line_id].cancelled += qty
            roll_up(session, order, "system:pickup-expiry", "oms", "fulfillment.expired",
                     f"not collected at {f.location_code} in time: cancelled, stock released",
                     data={"fulfillment_id": f.id})

        _with_fulfillment(fulfillment_id, SYSTEM, step)
    return len(due)


def get(fulfillment_id: int, principal: Principal) -> dict:
    with read_session() as session:
        f = session.get(Fulfillment, fulfillment_id)
        if f is None:
            raise NotFound(f"unknown fulfillment {fulfillment_id}")
        _authorise(principal, f)
        return _listed(f)
