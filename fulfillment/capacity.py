"""Daily capacity: how many shipments and transfers a node may be given per day.

The work a node was given on a day is a counter row, `ful_capacity_counters` (location_code,
day, assigned), so checking capacity costs the same with 100 or 50,000 fulfillments booked
that day (counting them grew with the day). The counter counts a node's fulfillments of the
day that are not pickups (a pickup is the store's counter work, not its dispatch capacity) and
not cancelled or rejected:

- routing `take`s the units it assigns, locked and incremented (a hard limit under
  concurrency: the row lock queues assigners of one node, the guard refuses the one too many);
- the database gives it back: a trigger on `ful_fulfillments` decrements the counter when a
  counted fulfillment is cancelled, rejected or deleted (and counts one that comes back), so no
  code path can forget to (migration 0021);
- a node's first assignment of a day starts the counter from a count of that day's work, so
  rows written without routing (imports, a benchmark's bulk seeding, a node that got a limit
  mid-day) are counted: seed today's fulfillments before the day's first routed order at that
  node, or keep the counter in step yourself (INSERT ... ON CONFLICT DO UPDATE assigned).

Only nodes with a `daily_capacity` are counted: orders for unlimited nodes never wait here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Date, and_, bindparam, case, func, literal, select, true, update
from sqlalchemy.orm import Session

from core.db import dialect_insert
from fulfillment.models import CapacityCounter, Fulfillment
from inventory.models import Location

NOT_COUNTED_STATUSES = ("cancelled", "rejected")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _counted(day: dt.date, codes: Iterable[str]):
    """The rule of what uses capacity, as SQL: the day's work at these nodes, not pickups,
    not cancelled or rejected (the trigger in migration 0021 says the same)."""
    return (Fulfillment.assigned_on == day, Fulfillment.location_code.in_(list(codes)),
            *_uses_capacity())


def _uses_capacity():
    return (Fulfillment.method != "pickup", Fulfillment.status.not_in(NOT_COUNTED_STATUSES))


def count_assigned(session: Session, day: dt.date, codes: Iterable[str]) -> dict[str, int]:
    """The day's counted work per node, by counting fulfillments (the slow truth the counter
    keeps; `flask oms verify` compares them)."""
    codes = list(codes)
    if not codes:
        return {}
    return dict(session.execute(
        select(Fulfillment.location_code, func.count()).where(*_counted(day, codes))
        .group_by(Fulfillment.location_code)).all())


def active_nodes(session: Session) -> list[NodeRow]:
    """The active locations as routing needs them, each with the work it was given today
    (`used`, for the nodes with a limit; None for the others), in code order: one read.
    A limited node without a counter yet today is counted (PostgreSQL evaluates the count
    only for those)."""
    rows = session.connection().execute(_ACTIVE_NODES, {"day": today()}).all()
    return [NodeRow(*row) for row in rows]


def _active_nodes_statement():
    day = bindparam("day", type_=Date)
    counted = (select(func.count()).where(Fulfillment.assigned_on == day,
                                          Fulfillment.location_code == Location.code,
                                          *_uses_capacity())
               .correlate(Location).scalar_subquery())
    used = case((Location.daily_capacity.is_(None), None),
                (CapacityCounter.assigned.is_not(None), CapacityCounter.assigned),
                else_=counted)
    return (select(Location.id, Location.code, Location.kind, Location.latitude,
                   Location.longitude, Location.ships, Location.pickup, Location.priority,
                   Location.daily_capacity, used.label("used"))
            .outerjoin(CapacityCounter, and_(CapacityCounter.location_code == Location.code,
                                             CapacityCounter.day == day))
            .where(Location.active.is_(True)).order_by(Location.code))


_ACTIVE_NODES = _active_nodes_statement()  # built once: routing reads it on every order


@dataclass(frozen=True)
class NodeRow:
    id: int
    code: str
    kind: str
    latitude: float
    longitude: float
    ships: bool
    pickup: bool
    priority: int
    daily_capacity: int | None
    used: int | None

    @property
    def capacity_left(self) -> int | None:
        if self.daily_capacity is None:
            return None
        return max(0, self.daily_capacity - (self.used or 0))


_ADD = (update(CapacityCounter)
        .where(CapacityCounter.location_code == bindparam("code"),
               CapacityCounter.day == bindparam("on_day"))
        .values(assigned=CapacityCounter.assigned + bindparam("n"))
        .returning(CapacityCounter.assigned))


def take(session: Session, wanted: Mapping[str, int], limits: Mapping[str, int]) -> str | None:
    """Add `wanted` units of work per node to today's counters, in code order (so assigners
    of several nodes cannot deadlock), each locked until the caller's transaction ends.
    Call it before this transaction's new fulfillments are written (a first counter of the
    day starts from a count of what is committed). Returns the first node whose limit the
    new total passes (the caller rolls back and plans again), or None."""
    day = today()
    for code in sorted(wanted):
        n = wanted[code]
        total = session.connection().scalar(_ADD, {"code": code, "on_day": day, "n": n})
        if total is None:
            total = _start_counter(session, code, day, n)
        if total > limits[code]:
            return code
    return None


def _start_counter(session: Session, code: str, day: dt.date, n: int) -> int:
    """The node's first assignment of the day: its counter starts from the day's committed
    work plus ours. Two first assigners race on the key; the loser adds to the winner's."""
    insert = dialect_insert(session)
    counted = select(func.count()).where(*_counted(day, [code])).scalar_subquery()
    started = session.scalar(
        insert(CapacityCounter).from_select(
            ["location_code", "day", "assigned"],
            select(literal(code), literal(day), counted + n).where(true()))
        .on_conflict_do_nothing(index_elements=["location_code", "day"])
        .returning(CapacityCounter.assigned))
    if started is not None:
        return started
    total = session.connection().scalar(_ADD, {"code": code, "on_day": day, "n": n})
    assert total is not None  # the conflicting row exists and deletes never happen
    return total


def drift(session: Session, day: dt.date | None = None) -> list[str]:
    """Counters that disagree with a count of the day's work (for `flask oms verify`)."""
    day = day or today()
    counters = dict(session.execute(
        select(CapacityCounter.location_code, CapacityCounter.assigned)
        .where(CapacityCounter.day == day)).all())
    counted = count_assigned(session, day, counters)
    return [f"capacity counter {code} {day}: {n}, counted {counted.get(code, 0)}"
            for code, n in sorted(counters.items()) if n != counted.get(code, 0)]
