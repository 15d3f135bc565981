"""Fulfillment use cases: the work at nodes (`fulfillment.work`) kept in step with the order
(through `fulfillment.order_port`: line quantities, status, timeline, outbox), one unit of work
each. Units a node cannot supply (short pick, rejection) are re-routed elsewhere in the same
unit of work, never to that node."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth import Principal
from core.db import Joined, UnitOfWork, read_session, run_in_unit_of_work, utcnow
from core.errors import Forbidden, InsufficientStock, InvalidInput, NotFound
from fulfillment import event_data, work
from fulfillment.models import Fulfillment
from fulfillment.order_port import orders
from fulfillment.queries import fulfillment_view
from inventory import services
from inventory.ledger import Cause

MAX_LEASE_SECONDS = 24 * 3600
OPEN_AT_NODE = ("pending", "awaiting_transfer", "ready_for_pickup")
T = TypeVar("T")


def pickup_window() -> dt.timedelta:
    return dt.timedelta(hours=float(os.environ.get("OMS_PICKUP_WINDOW_HOURS", "72")))


def reminder_lead() -> dt.timedelta:
    """How long before a ready pickup expires its customer is reminded (0: never)."""
    return dt.timedelta(hours=float(os.environ.get("OMS_PICKUP_REMINDER_HOURS", "24")))


def _authorise(principal: Principal, f: Fulfillment) -> None:
    if not principal.may_act_at(f.location_code):
        raise Forbidden(f"fulfillment {f.id} is at {f.location_code}, outside this key's "
                        f"location ({principal.scope})")


def _listed(f: Fulfillment) -> dict:
    """A fulfillment whose lines are already loaded, as the API shows it."""
    return {**fulfillment_view(f), "order_id": f.order_id, "order_number": f.order_number}


def _view(uow: UnitOfWork, f: Fulfillment) -> dict:
    """After a step changed its lines: flush and reload them first."""
    uow.session.flush()
    uow.session.refresh(f, ["lines"])
    return _listed(f)


def _with_fulfillment(fulfillment_id: int, principal: Principal,
                      step: Callable[[UnitOfWork, Fulfillment], T]) -> T:
    """One unit of work: lock the order, then the fulfillment, check the caller's location,
    run the step, commit. A re-route that lost a race for stock runs again from the start."""
    def run(uow: UnitOfWork) -> T:
        order_id = uow.session.scalar(select(Fulfillment.order_id).where(
            Fulfillment.id == fulfillment_id))  # never changes: safe to read unlocked
        if order_id is None:
            raise NotFound(f"unknown fulfillment {fulfillment_id}")
        orders().lock(uow, order_id)  # the order first, like every use case (LOCK ORDER)
        f = work.lock(uow.session, fulfillment_id)
        _authorise(principal, f)
        return step(uow, f)

    return run_in_unit_of_work(run, retry_lost_stock=True, exhausted=lambda: InsufficientStock(
        "stock kept changing while re-routing; try again"))


def _cause(f: Fulfillment, principal: Principal, note: str) -> Cause:
    return Cause(actor=principal.actor, reference=f"order:{f.order_id}", note=note)


def _check_lease(lease_seconds: int) -> None:
    if not 1 <= lease_seconds <= MAX_LEASE_SECONDS:
        raise InvalidInput("lease_seconds", f"must be 1 to {MAX_LEASE_SECONDS}")


# ------------------------------------------------------------------ pick lists

def pick_list(location: str, limit: int, methods: tuple[str, ...] | None = None) -> list[dict]:
    """Open work at a location, oldest first (pickups waiting for transfers included), of
    every method or only `methods` (a store's pickups apart from its parcels). A read:
    arrived transfers are promoted by claims, by receiving them and by the periodic job."""
    with read_session() as session:
        stmt = select(Fulfillment).where(Fulfillment.location_code == location,
                                         Fulfillment.status.in_(OPEN_AT_NODE))
        if methods is not None:
            stmt = stmt.where(Fulfillment.method.in_(methods))
        rows = session.scalars(stmt.options(selectinload(Fulfillment.lines))
                               .order_by(Fulfillment.id).limit(limit)).all()
        return [_listed(f) for f in rows]


def claim(location: str, limit: int, lease_seconds: int, principal: Principal, *,
          fulfillment_id: int | None = None) -> list[dict]:
    """Lease up to `limit` unclaimed fulfillments at `location` to the caller, oldest first;
    with `fulfillment_id`, that one only (a store associate takes the parcel they are about
    to pick; nothing when someone else holds it or it is no longer open)."""
    _check_lease(lease_seconds)
    if not principal.may_act_at(location):
        raise Forbidden(f"this key may not work at {location}",
                        fields={"location": [f"outside this key's scope ({principal.scope})"]})

    def run(uow: UnitOfWork) -> list[dict]:
        promote_arrivals(uow, location)
        claimed = work.claim(uow.session, location, limit, lease_seconds, principal.actor,
                             only=fulfillment_id)
        for f in claimed:
            orders().note(uow, f.order_id, "fulfillment.claimed",
                          f"{f.method} at {f.location_code} claimed by {principal.name} "
                          f"for {lease_seconds}s", actor=principal.actor,
                          source=principal.role)
            orders().publish(uow, f.order_id, "fulfillment.claimed", event_data.claimed(f),
                             actor=principal.actor)
        return [_listed(f) for f in claimed]

    return run_in_unit_of_work(run)


def renew(fulfillment_id: int, lease_seconds: int, principal: Principal) -> dict:
    _check_lease(lease_seconds)

    def step(uow: UnitOfWork, f: Fulfillment) -> dict:
        work.renew(uow.session, f, principal.actor, lease_seconds)
        return _view(uow, f)

    return _with_fulfillment(fulfillment_id, principal, step)


# ------------------------------------------------------------------ the steps

def pick(fulfillment_id: int, picked: dict[int, int], principal: Principal) -> dict:
    def step(uow: UnitOfWork, f: Fulfillment) -> dict:
        orders().guard_items(uow, f.order_id)  # a short pick releases, then re-routes
        had = event_data.work_lines(f.lines)
        # A transfer that comes up short takes those units from the pickup it feeds.
        watch = (event_data.Watch(uow.session, f.order_id) if f.method == "transfer"
                 else None)
        short = work.record_pick(uow.session, f, picked, _cause(f, principal, "short pick"))
        if f.status == "rejected":
            orders().publish(uow, f.order_id, "fulfillment.rejected",
                             event_data.rejected(f, had), actor=principal.actor)
        if watch is not None:
            _announce_cancelled(uow, f, watch, principal.actor,
                                f"the transfer from {f.location_code} came up short")
        if short:
            what = ", ".join(f"line {lid} short {q}" for lid, q in short)
            orders().reroute_without(uow, f.order_id, short, node=f.location_code,
                                     why=f"short pick at {f.location_code} ({what})",
                                     actor=principal.actor, source=principal.role)
        else:
            orders().note(uow, f.order_id, "fulfillment.picked",
                          f"{f.method} at {f.location_code} picked in full",
                          actor=principal.actor, source=principal.role)
        return _view(uow, f)

    return _with_fulfillment(fulfillment_id, principal, step)


def ship(fulfillment_id: int, carrier: str, tracking_number: str,
         principal: Principal) -> dict:
    def step(uow: UnitOfWork, f: Fulfillment) -> dict:
        moved = work.ship(uow.session, f, carrier, tracking_number,
                          _cause(f, principal, f"shipped {carrier} {tracking_number}"))
        if f.method == "transfer":
            orders().note(uow, f.order_id, "fulfillment.transfer_shipped",
                          f"units left {f.location_code} for pickup at {f.transfer_to} "
                          f"({carrier} {tracking_number})", actor=principal.actor,
                          source=principal.role)
            orders().publish(uow, f.order_id, "fulfillment.transfer_shipped",
                             event_data.shipped(f), actor=principal.actor)
        else:
            orders().handed_over(uow, f.order_id, moved, kind="fulfillment.shipped",
                                 message=f"shipped from {f.location_code} with {carrier} "
                                         f"{tracking_number}",
                                 actor=principal.actor, source=principal.role,
                                 data={"fulfillment_id": f.id, "location": f.location_code,
                                       "carrier": carrier,
                                       "tracking_number": tracking_number})
            orders().publish(uow, f.order_id, "fulfillment.shipped", event_data.shipped(f),
                             actor=principal.actor)
        return _view(uow, f)

    return _with_fulfillment(fulfillment_id, principal, step)


def reject(fulfillment_id: int, reason: str, principal: Principal) -> dict:
    def step(uow: UnitOfWork, f: Fulfillment) -> dict:
        orders().guard_items(uow, f.order_id)
        # A transfer and the pickup it feeds close together (a shipment has no partner).
        watch = (event_data.Watch(uow.session, f.order_id)
                 if f.method in ("transfer", "pickup") else None)
        moved = work.release_all(uow.session, f, "rejected", reason,
                                 _cause(f, principal, f"rejected: {reason}"))
        orders().publish(uow, f.order_id, "fulfillment.rejected", event_data.rejected(f),
                         actor=principal.actor)
        if watch is not None:
            _announce_cancelled(uow, f, watch, principal.actor,
                                f"the {f.method} at {f.location_code} was rejected "
                                f"({reason}); re-routing")
        orders().reroute_without(uow, f.order_id, moved, node=f.location_code,
                                 why=f"{f.location_code} rejected its {f.method}: {reason}",
                                 actor=principal.actor, source=principal.role)
        return _view(uow, f)

    return _with_fulfillment(fulfillment_id, principal, step)


def ready_for_pickup(fulfillment_id: int, principal: Principal) -> dict:
    def step(uow: UnitOfWork, f: Fulfillment) -> dict:
        code = work.ready_for_pickup(uow.session, f, pickup_window())
        assert f.pickup_expires_at is not None  # ready_for_pickup just set it
        expires = f.pickup_expires_at.isoformat() + "Z"
        side = orders()
        side.note(uow, f.order_id, "fulfillment.ready_for_pickup",
                  f"ready for pickup at {f.location_code} until "
                  f"{f.pickup_expires_at.isoformat(timespec='minutes')}Z",
                  actor=principal.actor, source=principal.role,
                  data={"fulfillment_id": f.id, "location": f.location_code,
                        "pickup_expires_at": expires})
        # The code goes to the storefront that tells the customer, never to the timeline.
        side.publish(uow, f.order_id, "fulfillment.ready_for_pickup",
                     event_data.ready_for_pickup(
                         f, code=code, email=side.customer_email(uow, f.order_id)),
                     actor=principal.actor)
        return {**_view(uow, f), "pickup_code": code, "pickup_expires_at": expires}

    return _with_fulfillment(fulfillment_id, principal, step)


def pickup(fulfillment_id: int, code: str, principal: Principal) -> dict:
    def step(uow: UnitOfWork, f: Fulfillment) -> dict | None:
        if not work.check_code(f, code):
            f.wrong_code_attempts += 1
            orders().note(uow, f.order_id, "fulfillment.wrong_pickup_code",
                          f"wrong pickup code at {f.location_code} (attempt "
                          f"{f.wrong_code_attempts})", actor=principal.actor,
                          source=principal.role)
            return None  # committed: the wrong attempt counts
        moved = work.hand_over(uow.session, f, _cause(f, principal, "picked up"))
        orders().handed_over(uow, f.order_id, moved, kind="fulfillment.picked_up",
                             message=f"handed over at {f.location_code}",
                             actor=principal.actor, source=principal.role,
                             data={"fulfillment_id": f.id, "location": f.location_code})
        orders().publish(uow, f.order_id, "fulfillment.picked_up", event_data.picked_up(f),
                         actor=principal.actor)
        return _view(uow, f)

    handed = _with_fulfillment(fulfillment_id, principal, step)
    if handed is None:
        raise InvalidInput("code", "does not match this pickup")
    return handed


def _announce_cancelled(uow: UnitOfWork, f: Fulfillment, watch: event_data.Watch,
                        actor: str, reason: str) -> None:
    """`fulfillment.cancelled` for the work other nodes lost with this step (the pickup a
    transfer fed, the transfer feeding a pickup); `f` has an event of its own."""
    for gone in watch.cancelled(uow.session, exclude=[f.id]):
        orders().publish(uow, f.order_id, "fulfillment.cancelled", gone.data(reason),
                         actor=actor)


# ------------------------------------------------------------------ background

def promote_arrivals(uow: UnitOfWork, location: str | None = None) -> int:
    """Pickups whose transferred units reached their store become pending there (a building
    block: claims and the periodic job run it)."""
    promoted = work.promote_arrived(uow.session, location)
    for f in promoted:
        orders().note(uow, f.order_id, "fulfillment.transfer_received",
                      f"transferred units arrived at {f.location_code}; pickup can be prepared",
                      actor="system", source="oms")
    return len(promoted)


def receive_transfer(transfer_id: int, cause: Cause, quantity: int | None = None, *,
                     joined: Joined = ()) -> dict:
    """A store (or warehouse) receives a transfer: the ledger books it, and pickups it fed
    become pending there, in one unit of work."""
    def run(uow: UnitOfWork) -> dict:
        view = services.transfer_received(uow.session, transfer_id, cause, quantity)
        promote_arrivals(uow, view["to_location"])
        return view

    return run_in_unit_of_work(run, joined=joined)


def promote_all_arrivals() -> int:
    return run_in_unit_of_work(promote_arrivals)


SYSTEM = Principal(key_id=0, name="pickup-expiry", role="admin", location=None)


def expire_pickups(now: dt.datetime | None = None) -> int:
    """Pickups not collected in their window: cancel, release the stock, record it."""
    with read_session() as session:
        due = work.expired_pickups(session, now or utcnow())
    for fulfillment_id in due:
        def step(uow: UnitOfWork, f: Fulfillment) -> None:
            if f.status != "ready_for_pickup":
                return
            cause = Cause(actor="system:pickup-expiry", reference=f"order:{f.order_id}",
                          note="pickup window passed")
            moved = work.release_all(uow.session, f, "cancelled", "pickup window passed", cause)
            orders().expired(uow, f.order_id, moved,
                             message=f"not collected at {f.location_code} in time: "
                                     "cancelled, stock released",
                             actor="system:pickup-expiry", source="oms",
                             data={"fulfillment_id": f.id, "location": f.location_code})
            orders().publish(uow, f.order_id, "fulfillment.expired", event_data.expired(f),
                             actor="system:pickup-expiry")

        _with_fulfillment(fulfillment_id, SYSTEM, step)
    return len(due)


def remind_expiring_pickups(now: dt.datetime | None = None) -> int:
    """Ready pickups that expire within the reminder lead: one `fulfillment.expiring` each (the
    storefront or POS reminds the customer), once per pickup."""
    lead = reminder_lead()
    if lead <= dt.timedelta(0):
        return 0
    now = now or utcnow()
    with read_session() as session:
        due = work.pickups_expiring(session, now, lead)
    reminded = 0
    for fulfillment_id in due:
        def step(uow: UnitOfWork, f: Fulfillment) -> bool:
            # Re-checked under the lock: collected, expired or reminded meanwhile: nothing.
            if f.status != "ready_for_pickup" or f.expiry_reminded_at is not None:
                return False
            assert f.pickup_expires_at is not None
            f.expiry_reminded_at = now
            side = orders()
            side.note(uow, f.order_id, "fulfillment.expiring",
                      f"pickup at {f.location_code} expires "
                      f"{f.pickup_expires_at.isoformat(timespec='minutes')}Z: customer reminded",
                      actor="system:pickup-reminder", source="oms",
                      data={"fulfillment_id": f.id, "location": f.location_code})
            side.publish(uow, f.order_id, "fulfillment.expiring",
                         event_data.expiring(f, email=side.customer_email(uow, f.order_id)),
                         actor="system:pickup-reminder")
            return True

        reminded += _with_fulfillment(fulfillment_id, SYSTEM, step)
    return reminded


def get(fulfillment_id: int, principal: Principal) -> dict:
    with read_session() as session:
        f = session.get(Fulfillment, fulfillment_id)
        if f is None:
            raise NotFound(f"unknown fulfillment {fulfillment_id}")
        _authorise(principal, f)
        return _listed(f)
