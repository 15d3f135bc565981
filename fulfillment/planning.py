"""From demand to reserved work at nodes, inside the caller's transaction.

Snapshot the network, route (a pure decision), reserve the plan all-or-nothing, and record one
fulfillment per node. If a concurrent order took stock between the snapshot and the
reservation, the reservation's guard refuses (nothing is ever oversold) and the caller plans
again in a fresh transaction, this time ahead of newcomers on the same items.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import UnitOfWork, attach_written, write_new
from core.errors import Conflict, InsufficientStock, InvalidInput
from fulfillment import capacity, holding
from fulfillment.metrics import ROUTING_SECONDS
from fulfillment.models import OPEN_STATUSES, Fulfillment, FulfillmentLine
from fulfillment.queries import label_address
from fulfillment.routing import (
    CostModel,
    Line,
    Node,
    RoutingError,
    RoutingPlan,
    RoutingRequest,
    route,
)
from fulfillment.routing.eta import TransitTimes
from fulfillment.routing.model import (
    DEFAULT_SINGLE_PACKAGE_TOLERANCE,
    DEFAULT_SINGLE_PACKAGE_TOLERANCE_PCT,
    DEFAULT_TIME_BUDGET_MS,
)
from inventory import ledger, snapshot
from inventory import metrics as inventory_metrics
from inventory.ledger import Cause


class CapacityTaken(InsufficientStock):
    """A concurrent order took the node capacity a plan counted on (retried like stock)."""


@dataclass(frozen=True)
class RoutingRules:
    """What an operator configures about routing (oms.policy reads it from the environment):
    costs, delivery estimates, the single-package tolerance and the search's time budget."""

    cost: CostModel = field(default_factory=CostModel)
    transit: TransitTimes = field(default_factory=TransitTimes)
    single_package_tolerance: float = DEFAULT_SINGLE_PACKAGE_TOLERANCE
    single_package_tolerance_pct: float = DEFAULT_SINGLE_PACKAGE_TOLERANCE_PCT
    time_budget_ms: float | None = DEFAULT_TIME_BUDGET_MS

    def request(self, **fields: Any) -> RoutingRequest:
        """A routing request under these rules (the caller gives what the order says)."""
        return RoutingRequest(
            single_package_tolerance=self.single_package_tolerance,
            single_package_tolerance_pct=self.single_package_tolerance_pct,
            time_budget_ms=self.time_budget_ms, **fields)


@dataclass(frozen=True)
class DemandLine:
    line_id: int
    sku: str
    quantity: int
    demand_ref: str
    backorder_allowed: bool = False
    name: str | None = None                      # as the channel sent it; else the catalogue's


@dataclass(frozen=True)
class Demand:
    order_id: int
    order_number: str
    lines: tuple[DemandLine, ...]
    method: str                                  # "ship" | "pickup"
    destination: tuple[float, float] | None = None
    destination_estimated: bool = False
    pickup_location: str | None = None
    bopis_policy: str = "transfer"
    exclude: frozenset[str] = frozenset()
    deliver_by: dt.date | None = None            # a promised delivery date (express)
    # What the nodes need to pack and label, stored on each fulfillment (see models).
    channel: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    ship_to: Mapping[str, Any] | None = field(default=None, hash=False, compare=False)


def readdress(session: Session, order_id: int, ship_to: Mapping[str, Any] | None,
              customer_name: str | None, phone: str | None) -> list[int]:
    """The order's shipping address changed: its shipments that have not left carry the new
    one (a label printed before is out of date; the fulfillment shows the current one).
    Returns the ids of the fulfillments changed."""
    rows = session.scalars(select(Fulfillment).where(
        Fulfillment.order_id == order_id, Fulfillment.method == "ship",
        Fulfillment.status == "pending")).all()
    label = label_address(ship_to, customer_name, phone)
    for f in rows:
        f.ship_to = label
    return [f.id for f in rows]


@dataclass
class Placement:
    plan: RoutingPlan
    attempts: int
    allocated: dict[int, int] = field(default_factory=dict)
    backordered: dict[int, int] = field(default_factory=dict)
    unfillable: dict[int, int] = field(default_factory=dict)
    # The work recorded, lines loaded: oms tells the nodes about it without reading it back.
    fulfillments: list[Fulfillment] = field(default_factory=list)


def routing_nodes(nodes: list[capacity.NodeRow]) -> list[Node]:
    """The active nodes as routing sees them, with the capacity left today where there is a
    limit."""
    return [
        Node(code=n.code, kind=n.kind, latitude=n.latitude, longitude=n.longitude,
             ships=n.ships, pickup=n.pickup, priority=n.priority, capacity_left=n.capacity_left)
        for n in nodes
    ]


def _request(demand: Demand, rules: RoutingRules) -> RoutingRequest:
    return rules.request(
        lines=tuple(Line(str(ln.line_id), ln.sku, ln.quantity, ln.backorder_allowed)
                    for ln in demand.lines),
        method=demand.method, destination=demand.destination,
        destination_estimated=demand.destination_estimated,
        pickup_node=demand.pickup_location, bopis_policy=demand.bopis_policy,
        exclude=demand.exclude, today=capacity.today(), deliver_by=demand.deliver_by,
    )


def plan(session: Session, demand: Demand, rules: RoutingRules,
         nodes: list[capacity.NodeRow] | None = None) -> RoutingPlan:
    """Route against a fresh snapshot, without reserving (also used for dry runs)."""
    if nodes is None:
        nodes = capacity.active_nodes(session)
    stock = snapshot.availability(session, {ln.sku for ln in demand.lines})
    started = time.perf_counter()
    try:
        return route(_request(demand, rules), routing_nodes(nodes), stock, rules.cost,
                     rules.transit)
    except RoutingError as exc:  # a request routing cannot take is the caller's input
        raise InvalidInput("fulfillment", str(exc)) from exc
    finally:
        ROUTING_SECONDS.labels(demand.method).observe(time.perf_counter() - started)


GUARDED_ITEMS = "fulfillment.guarded_items"  # uow.memo: the guard this transaction holds


def guard_items(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, int]:
    """Take the allocation guard (`ledger.guard_allocation`) once per unit of work, exclusively
    when it lost a race before (`uow.contended`). A use case that releases stock and then
    re-routes calls this first, for all its order's SKUs, so that it too locks items before
    balance rows, like every allocator. Returns ids by SKU."""
    held: dict[str, int] = uow.memo.setdefault(GUARDED_ITEMS, {})
    missing = set(skus) - held.keys()
    if missing:
        held.update(ledger.guard_allocation(uow.session, missing, exclusive=uow.contended))
    return {sku: held[sku] for sku in skus if sku in held}


def place(uow: UnitOfWork, demand: Demand, rules: RoutingRules, cause: Cause) -> Placement:
    """Plan on a fresh snapshot, reserve the plan all-or-nothing, record fulfillments.

    Raises InsufficientStock when a concurrent order took stock between the snapshot and the
    reservation. The caller then rolls its whole transaction back and tries again: retrying
    inside the same transaction (after a savepoint) would leave other transactions queued
    behind ours on rows we no longer need, which is how PostgreSQL deadlocks are made.
    A unit of work that has already lost (`uow.contended`) is served before newcomers on the
    same items (see `ledger.guard_allocation`)."""
    session = uow.session
    items = guard_items(uow, {ln.sku for ln in demand.lines})
    nodes = capacity.active_nodes(session)
    chosen = plan(session, demand, rules, nodes)
    by_id = {str(ln.line_id): ln for ln in demand.lines}
    _reserve(uow, chosen, by_id, items, {n.code: n.id for n in nodes}, cause)
    # Before the fulfillments are written (a node's first counter of the day counts them).
    _take_capacity(session, chosen, {n.code: n.daily_capacity for n in nodes
                                     if n.daily_capacity is not None})
    placement = Placement(plan=chosen, attempts=1)
    for a in chosen.allocations:
        line_id = int(a.line_id)
        placement.allocated[line_id] = placement.allocated.get(line_id, 0) + a.quantity
    for ref, qty in chosen.backordered:
        placement.backordered[int(ref)] = qty
    for ref, qty in chosen.unfillable:
        placement.unfillable[int(ref)] = qty
    placement.fulfillments = _record_fulfillments(session, demand, chosen, by_id)
    return placement


def _take_capacity(session: Session, chosen: RoutingPlan, limits: dict[str, int]) -> None:
    """Daily capacity is a hard limit: the plan's nodes with a limit take one unit of today's
    counter per fulfillment (fulfillment.capacity), locked until the commit, so concurrent
    orders cannot each take the last slot. Over the limit raises CapacityTaken and the caller
    plans again (its snapshot then shows the node full)."""
    wanted: dict[str, int] = defaultdict(int)
    for node, kind in {(a.node, a.kind) for a in chosen.allocations}:
        if kind != "pickup" and node in limits:
            wanted[node] += 1
    if not wanted:
        return
    full = capacity.take(session, wanted, limits)
    if full is not None:
        raise CapacityTaken(f"{full}: today's capacity of {limits[full]} was taken while "
                            "planning")


def _reserve(uow: UnitOfWork, chosen: RoutingPlan, by_id: dict[str, DemandLine],
             items: dict[str, int], locations: dict[str, int], cause: Cause) -> None:
    """The whole plan in one call (the ledger keeps the lock order). No savepoint: a refusal
    means stock moved under the plan, and the caller rolls its whole transaction back and
    plans again (see `place`)."""
    rows = ledger.reserve_lines(
        uow.session, [(items[by_id[a.line_id].sku], locations[a.node], a.quantity,
                       by_id[a.line_id].demand_ref) for a in chosen.allocations],
        cause, savepoint=False)
    inventory_metrics.reserved(uow, rows, sum(a.quantity for a in chosen.allocations))


def _record_fulfillments(session: Session, demand: Demand, chosen: RoutingPlan,
                         by_id: dict[str, DemandLine]) -> list[Fulfillment]:
    groups: dict[tuple[str, str, str | None], list] = defaultdict(list)
    for a in chosen.allocations:
        if a.kind == "transfer":
            assert a.transfer_to is not None  # the router sets it on every transfer
            groups[(a.node, "transfer", a.transfer_to)].append(a)
            groups[(a.transfer_to, "pickup", None)].append(a)
        else:
            groups[(a.node, a.kind, None)].append(a)
    names = snapshot.item_names(session, {ln.sku for ln in by_id.values() if not ln.name})
    ship_to = label_address(demand.ship_to, demand.customer_name, demand.customer_phone)
    created = []
    for (node, method, transfer_to), allocations in sorted(
            groups.items(), key=lambda kv: (kv[0][1] != "transfer", kv[0][0], kv[0][1])):
        awaiting = method == "pickup" and any(a.kind == "transfer" for a in allocations)
        fulfillment = Fulfillment(
            order_id=demand.order_id, order_number=demand.order_number, location_code=node,
            method=method, transfer_to=transfer_to,
            status="awaiting_transfer" if awaiting else "pending", assigned_on=capacity.today(),
            channel=demand.channel, customer_name=demand.customer_name,
            customer_phone=demand.customer_phone,
            ship_to=ship_to if method == "ship" else None,
        )
        fulfillment.lines = [
            FulfillmentLine(order_line_id=int(a.line_id), sku=a.sku,
                            name=by_id[a.line_id].name or names.get(a.sku),
                            quantity=a.quantity, source_location=a.node,
                            demand_ref=by_id[a.line_id].demand_ref)
            for a in allocations
        ]
        created.append((fulfillment, allocations))
    # One INSERT per table (two when transfers feed pickups: each pickup line fed by a
    # transfer points at the transfer line that carries its units, the same allocation).
    fulfillments = [f for f, _ in created]
    write_new(session, fulfillments, attach=False)  # attached with their lines, once written
    feeding: dict[int, FulfillmentLine] = {}
    transfer_lines = []
    for f, allocations in created:
        for line in f.lines:
            line.fulfillment_id = f.id
        if f.method == "transfer":
            transfer_lines += f.lines
            feeding.update((id(a), line) for a, line in zip(allocations, f.lines, strict=True))
    write_new(session, transfer_lines, attach=False)
    for f, allocations in created:
        if f.method == "pickup":
            for a, line in zip(allocations, f.lines, strict=True):
                if a.kind == "transfer":
                    line.fed_by_line_id = feeding[id(a)].id
    write_new(session, [line for f in fulfillments if f.method != "transfer" for line in f.lines],
              attach=False)
    attach_written(session, [*fulfillments, *(line for f in fulfillments for line in f.lines)])
    return fulfillments


def release(session: Session, order_id: int, line_id: int, demand_ref: str, quantity: int,
            cause: Cause) -> int:
    """Take `quantity` units of an order line out of its open fulfillments (newest first) and
    release their reservations. Returns how many were released (fewer if fewer were open)."""
    rows = session.execute(
        select(FulfillmentLine, Fulfillment)
        .join(Fulfillment, Fulfillment.id == FulfillmentLine.fulfillment_id)
        .where(Fulfillment.order_id == order_id, FulfillmentLine.order_line_id == line_id,
               Fulfillment.status.in_(OPEN_STATUSES))
        .order_by(FulfillmentLine.id.desc())
    ).all()
    # A transferred unit appears twice (the sender's transfer line and the store's pickup line
    # it feeds) but holds one reservation: release by the pickup line, shrink its feeder.
    holders = [(fl, f) for fl, f in rows if f.method != "transfer"]
    mirrors = {fl.id: fl for fl, f in rows if f.method == "transfer"}
    items = snapshot.item_ids(session, {fl.sku for fl, _ in holders})
    locations = snapshot.location_ids(
        session, {fl.source_location for fl, _ in holders} | {f.location_code for _, f in holders})
    released = 0
    for fl, f in holders:
        take = min(fl.quantity, quantity - released)
        if take == 0:
            break
        found = holding.give_back(session, fl, items[fl.sku], locations[fl.source_location],
                                  locations[f.location_code], take, cause)
        if found != take:
            raise Conflict(f"line {line_id}: {take} unit(s) of {fl.sku} should be held for "
                           f"{demand_ref}, found {found}; the ledger needs a look "
                           "(flask inventory verify)")
        _shrink(session, fl, take)
        feeder = mirrors.get(fl.fed_by_line_id) if fl.fed_by_line_id else None
        if feeder is not None:  # the transfer has not left: it carries `take` fewer units
            _shrink(session, feeder, take)
        released += take
    session.flush()
    _close_empty(session, {f.id for _, f in rows}, cause.note or "cancelled")
    return released


def _shrink(session: Session, line: FulfillmentLine, quantity: int) -> None:
    if line.quantity == quantity:
        session.delete(line)
    else:
        line.quantity -= quantity


def _close_empty(session: Session, fulfillment_ids: set[int], reason: str) -> None:
    for fulfillment in session.scalars(
            select(Fulfillment).where(Fulfillment.id.in_(fulfillment_ids))):
        session.refresh(fulfillment, ["lines"])
        if not fulfillment.lines:
            fulfillment.status = "cancelled"
            fulfillment.status_reason = reason


def open_fulfillments(session: Session, order_id: int) -> list[Fulfillment]:
    return list(session.scalars(
        select(Fulfillment).where(Fulfillment.order_id == order_id).order_by(Fulfillment.id)))
