"""Order use cases: place (from any channel), route, cancel, re-route. Each commits once, with
its timeline events and outbox rows in the same transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import geocode
from core.db import (
    STOCK_ATTEMPTS,
    Joined,
    UnitOfWork,
    attach_written,
    read_session,
    run_in_unit_of_work,
    utcnow,
    write_new,
)
from core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from fulfillment import capacity, event_data, planning
from fulfillment.models import Fulfillment
from fulfillment.routing import explain
from fulfillment.routing.model import DISTANCE_ESTIMATED, Reason
from inventory import ledger, snapshot
from inventory.ledger import Cause
from oms import customers, events, metrics, money_view, policy
from oms.customers import SeenIdentity
from oms.domain import (
    CHANNELS,
    TERMINAL,
    LineCounts,
    check_transition,
    open_units,
    promise_refusal,
    rolled_up_status,
    unplaced_units,
)
from oms.identity import normalise_email, normalise_phone
from oms.models import Order, OrderLine, TimelineEvent
from oms.money_view import ShippingInput, TaxLineInput

MAX_LINES = 200


@dataclass(frozen=True)
class LineInput:
    """A line as the channel sent it. Money beyond the unit price is optional: `discount`
    (the line's discounts summed) and/or `discount_allocations` ([{amount, ...}] as received,
    summed when `discount` is not given), `tax_lines`. See oms/money_view.price."""

    sku: str
    quantity: int
    unit_price: Decimal
    name: str | None = None
    external_id: str | None = None
    discount: Decimal | None = None
    discount_allocations: tuple[Mapping[str, Any], ...] | None = None
    tax_lines: tuple[TaxLineInput, ...] = ()


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class PlaceOrder:
    channel: str
    external_id: str
    currency: str
    lines: tuple[LineInput, ...]
    method: str                                   # ship | pickup | carry_out
    customer: SeenIdentity = field(default_factory=SeenIdentity)
    pickup_location: str | None = None
    sale_location: str | None = None              # carry_out: the till's store
    address: Address | None = None
    channel_name: str | None = None
    source_updated_at: dt.datetime | None = None
    bopis_policy: str | None = None
    # A delivery date promised to the customer (express): routing uses only nodes that make it.
    promised_delivery_date: dt.date | None = None
    actor: str = "system"
    source: str = "api"
    created_by_key_id: int | None = None
    # What the customer pays beyond unit prices (oms/money_view.py): all optional.
    taxes_included: bool = False
    order_discount: Decimal | None = None         # spread over the lines by their subtotals
    shipping_lines: tuple[ShippingInput, ...] = ()
    stated_totals: Mapping[str, Decimal | None] | None = None
    # Stated totals that do not add up: "refuse" (422 naming the total) or "record" (kept on
    # the timeline; a channel's order that already exists there must not be lost).
    totals_mismatch: str = "refuse"


@dataclass(frozen=True)
class Placed:
    order_id: int
    created: bool
    # A new order's rows as its unit of work wrote them (for the answer, without reading back).
    order: Order | None = None
    fulfillments: tuple[Fulfillment, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()


def _cause(order: Order, actor: str, note: str | None = None) -> Cause:
    return Cause(actor=actor, reference=f"order:{order.id}", note=note)


def find_by_external(session: Session, channel: str, external_id: str) -> Order | None:
    return session.scalars(select(Order).where(Order.channel == channel,
                                               Order.external_id == external_id)).first()


def _validate(session: Session, cmd: PlaceOrder, known_skus: Mapping[str, int]) -> None:
    """The command names things that exist and can take it; `known_skus` are the catalogue's
    ids of its SKUs (what placing looked up anyway)."""
    if cmd.channel not in CHANNELS:
        raise InvalidInput("channel", f"must be one of {', '.join(CHANNELS)}")
    if not cmd.lines:
        raise InvalidInput("lines", "an order needs at least one line")
    if len(cmd.lines) > MAX_LINES:
        raise InvalidInput("lines", f"at most {MAX_LINES} lines")
    for i, line in enumerate(cmd.lines):
        ledger.check_quantity(line.quantity, field=f"lines.{i}.quantity")
        if line.sku not in known_skus:
            raise InvalidInput(f"lines.{i}.sku", f"unknown SKU '{line.sku}'")
        if line.unit_price < 0:
            raise InvalidInput(f"lines.{i}.unit_price", "must not be negative")
    if cmd.method == "pickup":
        if not cmd.pickup_location:
            raise InvalidInput("fulfillment.pickup_location", "required for pickup")
        store = ledger.location_by_code(session, cmd.pickup_location,
                                        field="fulfillment.pickup_location")
        if not store.pickup or not store.active:
            raise InvalidInput("fulfillment.pickup_location",
                               f"'{store.code}' does not offer pickup")
    elif cmd.method == "carry_out":
        if not cmd.sale_location:
            raise InvalidInput("fulfillment.location", "required for carry_out: the selling store")
        store = ledger.location_by_code(session, cmd.sale_location, field="fulfillment.location")
        if store.kind != "store" or not store.active:
            raise InvalidInput("fulfillment.location", f"'{store.code}' is not an open store")
    elif cmd.method == "ship":
        if cmd.address is None:
            raise InvalidInput("fulfillment.address", "required for ship")
    else:
        raise InvalidInput("fulfillment.method", "must be ship, pickup or carry_out")
    check_promise(cmd.promised_delivery_date, cmd.method, "fulfillment.promised_delivery_date")


def check_promise(promised: dt.date | None, method: str, field: str) -> None:
    """422 naming `field` when the order cannot carry this promise (oms.domain's rule, against
    today as capacity and routing count days)."""
    problem = promise_refusal(promised, method, capacity.today())
    if problem is not None:
        raise InvalidInput(field, problem)


@dataclass(frozen=True)
class _Placing:
    """One attempt at placing an order: its result, or None when the order existed."""

    placed: Placed


def place_order(cmd: PlaceOrder, *, joined: Joined = ()) -> Placed:
    """Store, resolve the customer, and route (or sell at the counter). The same channel
    order placed twice, even concurrently, is one order.

    If concurrent orders keep taking the stock our plan counted on, the whole unit of work is
    rolled back and done again on fresh stock; on its last attempt (STOCK_ATTEMPTS) the order
    is stored unrouted (status received) and the periodic re-routing job places it."""
    try:
        return run_in_unit_of_work(lambda uow: _place(uow, cmd), joined=joined,
                                   retry_lost_stock=True)
    except IntegrityError:
        with read_session() as session:
            existing = find_by_external(session, cmd.channel, cmd.external_id)
        if existing is None:
            raise
        return Placed(existing.id, created=False)


def _place(uow: UnitOfWork, cmd: PlaceOrder) -> Placed:
    session = uow.session
    existing_id, ids = _existing_or_new_ids(session, cmd.channel, cmd.external_id,
                                            len(cmd.lines))
    if existing_id is not None:
        return Placed(existing_id, created=False)
    skus = {line.sku for line in cmd.lines}
    # Routing takes the allocation guard on the items anyway (lock order step 2): taking it
    # here looks the SKUs up for validation in the same statement.
    known = (snapshot.item_ids(session, skus) if cmd.method == "carry_out"
             else planning.guard_items(uow, skus))
    _validate(session, cmd, known)
    order = _insert(uow, cmd, ids)
    work: list[Fulfillment] = []
    if cmd.method == "carry_out":
        _sell_at_counter(uow, order, cmd.actor, cmd.source)
    elif uow.attempt < STOCK_ATTEMPTS:
        work = route_order(uow, order, actor=cmd.actor, source=cmd.source,
                           bopis_policy=cmd.bopis_policy)
    else:
        events.record(uow, order, "routing.deferred",
                      f"stock kept changing under {uow.attempt - 1} routing attempts; "
                      "the re-routing job will place this order",
                      actor=cmd.actor, source=cmd.source)
    if ids is not None:  # written now, as routed: one INSERT per table, no UPDATE after
        write_new(session, [order], attach=False)
        write_new(session, order.lines, attach=False)
        attach_written(session, [order, *order.lines])
    return Placed(order.id, created=True, order=order, fulfillments=tuple(work),
                  timeline=tuple(events.recorded(uow, order.id)))


def price(cmd: PlaceOrder) -> money_view.Pricing:
    """What the command's lines and shipping come to; stated totals that do not add up are a
    422 naming them unless the command says to record them."""
    pricing = money_view.price(cmd.lines, taxes_included=cmd.taxes_included,
                               order_discount=cmd.order_discount, shipping=cmd.shipping_lines,
                               stated=cmd.stated_totals)
    if pricing.mismatches and cmd.totals_mismatch != "record":
        raise money_view.mismatch_error(pricing.mismatches)
    return pricing


def priced_lines(cmd: PlaceOrder, pricing: money_view.Pricing) -> list[OrderLine]:
    return [OrderLine(line_no=i + 1, external_id=ln.external_id, sku=ln.sku, name=ln.name,
                      quantity=ln.quantity, unit_price=ln.unit_price, discount=m.discount,
                      tax=m.tax, tax_lines=m.tax_lines or None,
                      discount_allocations=m.discount_allocations,
                      allocated=0, backordered=0, fulfilled=0, cancelled=0, returned=0)
            for i, (ln, m) in enumerate(zip(cmd.lines, pricing.lines, strict=True))]


# Built once (the hot path: no expression building per order; see _existing_or_new_ids).
_EXISTING = select(Order.id).where(Order.channel == bindparam("channel"),
                                   Order.external_id == bindparam("external_id"))
_EXISTING_AND_NEW_IDS = select(
    _EXISTING.scalar_subquery(), func.nextval("oms_orders_id_seq"),
    func.array(select(func.nextval("oms_order_lines_id_seq"))
               .select_from(func.generate_series(1, bindparam("lines"))).scalar_subquery()))


@dataclass(frozen=True)
class _NewIds:
    order_id: int
    line_ids: tuple[int, ...]


def _existing_or_new_ids(session: Session, channel: str, external_id: str,
                         lines: int) -> tuple[int | None, _NewIds | None]:
    """The id of the order this channel already sent with this id, or else (PostgreSQL) the
    ids the new order and its lines will have, in one round trip. Knowing them first, the
    order is written once, at the end, as routed (its number is made from its id, its lines'
    reservations are named after theirs), instead of written, then updated. A duplicate sent
    concurrently still fails on the unique (channel, external_id) index, at the end."""
    given = {"channel": channel, "external_id": external_id}
    if session.get_bind().dialect.name != "postgresql":
        return session.scalar(_EXISTING, given), None
    existing, order_id, line_id_list = session.connection().execute(
        _EXISTING_AND_NEW_IDS, {**given, "lines": lines}).one()
    if existing is not None:
        return existing, None
    return None, _NewIds(order_id, tuple(line_id_list))


def _insert(uow: UnitOfWork, cmd: PlaceOrder, ids: _NewIds | None = None) -> Order:
    """The order and its lines. With `ids` (known ahead) they are not added to the session:
    the caller adds them once routed; else they are written now."""
    session = uow.session
    pricing = price(cmd)
    customer = customers.resolve(uow, cmd.customer, actor=cmd.actor, source=cmd.source)
    seen = cmd.customer
    order = Order(
        id=ids.order_id if ids else None, channel=cmd.channel,
        number=order_number(ids.order_id) if ids else f"pending-{uuid.uuid4().hex}",
        external_id=cmd.external_id, channel_name=cmd.channel_name, status="received",
        customer_id=customer.id if customer else None,
        email=normalise_email(seen.email),
        phone=normalise_phone(seen.phone, region=seen.region),
        customer_name=seen.name, name_search=customers.search_name(seen.name),
        currency=cmd.currency, taxes_included=cmd.taxes_included,
        shipping_lines=pricing.shipping_lines or None,
        fulfillment_method=cmd.method,
        location_code=cmd.pickup_location or cmd.sale_location,
        ship_to=cmd.address.as_dict() if cmd.address else None,
        promised_delivery_date=cmd.promised_delivery_date,
        source_updated_at=cmd.source_updated_at, created_by_key_id=cmd.created_by_key_id,
    )
    order.lines = priced_lines(cmd, pricing)
    money_view.store_totals(order, pricing.totals)
    if ids is not None:
        order.created_at = order.updated_at = utcnow()  # the column defaults come at flush
        for line, line_id in zip(order.lines, ids.line_ids, strict=True):
            line.id, line.order_id = line_id, ids.order_id
    else:
        session.add(order)
        session.flush()  # a concurrent duplicate of (channel, external_id) fails here
        order.number = order_number(order.id)
    metrics.order_accepted(uow, cmd.channel)
    events.record(uow, order, "order.received",
                  f"order {order.number} received from {cmd.channel} "
                  f"({cmd.channel_name or cmd.external_id}), {len(order.lines)} line(s), "
                  f"{cmd.method}", actor=cmd.actor, source=cmd.source, topic="order.created")
    if pricing.mismatches:
        events.record(uow, order, f"{cmd.source}.totals_mismatch",
                      f"the totals {cmd.source} stated do not add up by our rule (kept the "
                      f"line amounts it sent): {money_view.mismatch_note(pricing.mismatches)}",
                      actor=cmd.actor, source=cmd.source,
                      data={"totals": {m.field: {"stated": f"{m.stated:.2f}",
                                                 "computed": f"{m.computed:.2f}"}
                                       for m in pricing.mismatches}})
    return order


def order_number(order_id: int) -> str:
    """What people read and type: the prefix and the id past 100000 (`NW-100042`)."""
    return f"{policy.current().number_prefix}-{100000 + order_id}"


def _sell_at_counter(uow: UnitOfWork, order: Order, actor: str, source: str) -> None:
    """POS carry-out: the goods leave the store now, so the network's availability is true the
    moment the customer walks out."""
    session = uow.session
    assert order.location_code is not None  # a carry-out order names its store
    store = ledger.location_by_code(session, order.location_code, field="fulfillment.location")
    for i, line in enumerate(order.lines):
        item = ledger.item_by_sku(session, line.sku, field=f"lines.{i}.sku")
        ledger.sell_now(session, item.id, store.id, line.quantity, line.demand_ref,
                        _cause(order, actor, "carry-out sale"))
        line.fulfilled = line.quantity
    roll_up(uow, order, actor, source, "order.fulfilled",
            f"sold and handed over at {store.code}")


# The building block of placing (returns' exchange orders are placed inside the return's unit
# of work, through oms.returns_port).
place_in = _place

# oms.holds stores a held order exactly as a new one, and sells a held counter sale later.
insert_order = _insert
sell_at_counter = _sell_at_counter


def _destination(order: Order) -> tuple[tuple[float, float] | None, bool, str | None]:
    """Ship-to coordinates, estimated from the address when the channel sent none."""
    ship_to = order.ship_to or {}
    if ship_to.get("latitude") is not None and ship_to.get("longitude") is not None:
        return (float(ship_to["latitude"]), float(ship_to["longitude"])), False, None
    guess = geocode.estimate(ship_to.get("country"), ship_to.get("postal_code"),
                             ship_to.get("city"), ship_to.get("region"))
    if guess is None:
        return None, False, None
    return (guess.latitude, guess.longitude), True, guess.source


def route_order(uow: UnitOfWork, order: Order, *, actor: str, source: str,
                exclude: frozenset[str] = frozenset(), bopis_policy: str | None = None,
                quiet_if_unchanged: bool = False) -> list[Fulfillment]:
    """Place every unplaced or backordered unit of the order (a building block inside the
    caller's unit of work): reserve at the chosen nodes, record fulfillments, roll the status
    up. `quiet_if_unchanged` (periodic retries) writes no event when nothing moved. Raises
    InsufficientStock when stock moved under the plan: the caller runs its use case again in
    a fresh unit of work (`run_in_unit_of_work(retry_lost_stock=True)`), whose next attempt
    is placed ahead of newcomers on its items. Returns the fulfillments it recorded."""
    if order.status == "on_hold":  # oms.holds releases it first, when what it names exists
        raise Conflict(f"order {order.number} is on hold ({order.hold_reason}); release the "
                       "hold first", hold_code=order.hold_code)
    rules = policy.current()
    before = [(ln.allocated, ln.backordered) for ln in order.lines]
    status_before = order.status
    for line in order.lines:
        line.backordered = 0  # backorders are re-decided on every routing
    wanted = [ln for ln in order.lines if unplaced_units(ln) > 0]
    if not wanted:
        return []
    destination, estimated, estimate_source = (None, False, None)
    if order.fulfillment_method == "ship" or order.ship_to:
        destination, estimated, estimate_source = _destination(order)
    if order.fulfillment_method == "ship" and destination is None:
        if quiet_if_unchanged and status_before == "needs_attention":
            return []
        roll_up(uow, order, actor, source, "order.needs_attention",
                "cannot route: the address has no coordinates and no known postal code, "
                "city or country", routed=True)
        return []
    demand = planning.Demand(
        order_id=order.id, order_number=order.number,
        lines=tuple(planning.DemandLine(ln.id, ln.sku, unplaced_units(ln), ln.demand_ref,
                                        rules.backorder_allowed(ln.sku), name=ln.name)
                    for ln in wanted),
        method="pickup" if order.fulfillment_method == "pickup" else "ship",
        destination=destination, destination_estimated=estimated,
        pickup_location=order.location_code if order.fulfillment_method == "pickup" else None,
        bopis_policy=bopis_policy or rules.bopis_policy, exclude=exclude,
        deliver_by=order.promised_delivery_date,
        channel=order.channel, customer_name=order.customer_name, customer_phone=order.phone,
        ship_to=order.ship_to,
    )
    placement = planning.place(uow, demand, rules.routing, _cause(order, actor, "routing"))
    for line in wanted:
        line.allocated += placement.allocated.get(line.id, 0)
        line.backordered = placement.backordered.get(line.id, 0)
    plan = placement.plan
    order.routing = {
        "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "total_cost": plan.total_cost, "exact": plan.exact, "attempts": uow.attempt,
        "reasons": [_reason(r, estimate_source) for r in plan.reasons],
        "allocations": [{"line_id": int(a.line_id), "sku": a.sku, "location": a.node,
                         "quantity": a.quantity, "kind": a.kind, "transfer_to": a.transfer_to}
                        for a in plan.allocations],
        "backordered": [{"line_id": int(i), "quantity": q} for i, q in plan.backordered],
        "unfillable": [{"line_id": int(i), "quantity": q} for i, q in plan.unfillable],
        "suggestions": list(plan.suggestions),
        "excluded": sorted(exclude),
        "estimated_delivery": (plan.estimated_delivery.isoformat()
                               if plan.estimated_delivery else None),
    }
    summary = "; ".join(r["text"] for r in order.routing["reasons"]) or "routed"
    unchanged = before == [(ln.allocated, ln.backordered) for ln in order.lines]
    if not (quiet_if_unchanged and unchanged and status_before != "received"):
        roll_up(uow, order, actor, source, None, summary, routed=True,
                data={"routing": order.routing})
    announce_work(uow, order, placement.fulfillments, actor=actor)
    return placement.fulfillments


def shipping_method(order: Order) -> str | None:
    """The service the customer chose, as the channel named it (its first titled shipping
    line), for the node's label."""
    return next((s["title"] for s in order.shipping_lines or [] if s.get("title")), None)


def announce_work(uow: UnitOfWork, order: Order, fulfillments: Sequence[Fulfillment], *,
                  actor: str) -> None:
    """`fulfillment.created` for each fulfillment routing just recorded, from the objects in
    hand (intake is the hot path: no query here)."""
    method = shipping_method(order)
    for f in fulfillments:
        events.publish(uow, order, "fulfillment.created", actor=actor,
                       data=event_data.created(f, email=order.email, shipping_method=method))


def announce_cancelled(uow: UnitOfWork, order: Order, watch: event_data.Watch, *,
                       reason: str, actor: str) -> None:
    """`fulfillment.cancelled` for each node's work the change took away, once per
    fulfillment, with what went and what is left."""
    for gone in watch.cancelled(uow.session):
        events.publish(uow, order, "fulfillment.cancelled", actor=actor,
                       data=gone.data(reason))


def _reason(reason: Reason, estimate_source: str | None) -> dict[str, str]:
    """A routing reason as stored and shown: code and words (where the estimate came from is
    only known here)."""
    if reason.code == DISTANCE_ESTIMATED and estimate_source:
        return {"code": reason.code,
                "text": f"distance estimated from {estimate_source}, not the exact address"}
    return reason.as_dict()


def guard_before_release(uow: UnitOfWork, order: Order) -> None:
    """For use cases that release an order's stock and then re-route it: take the allocation
    guard on all the order's items first (releasing locks balance rows, and the guard must
    come before those, or a retried order holding the guard deadlocks with us)."""
    planning.guard_items(uow, {ln.sku for ln in order.lines})


def roll_up(uow: UnitOfWork, order: Order, actor: str, source: str, kind: str | None,
            message: str, *, routed: bool = False, data: dict | None = None,
            topic: str | None = None) -> None:
    """After a change to the order's lines: derive its status, touch it, and record what
    happened as `kind` (default: `order.<new status>`). The outbox carries `topic`, else the
    new status when it changed or when the change has a kind of its own."""
    new = rolled_up_status(
        (LineCounts(ln.quantity, ln.allocated, ln.backordered, ln.fulfilled, ln.cancelled)
         for ln in order.lines),
        routed_once=routed or order.status != "received", held=order.status == "on_hold")
    check_transition(order.status, new)
    changed = new != order.status
    if changed:
        metrics.status_changed(uow, new)
    order.status = new
    order.updated_at = utcnow()
    uow.session.flush()
    events.record(uow, order, kind or f"order.{new}", message, actor=actor, source=source,
                  topic=topic or (f"order.{new}" if changed or kind else None), data=data)


def load_for_update(session: Session, order_id: int) -> Order:
    """The order, locked for the rest of the caller's unit of work (404 if unknown): the first
    lock of every use case that changes an order (see LOCK ORDER in core/db.py). FOR NO KEY
    UPDATE, so it never conflicts with the key-share lock PostgreSQL's foreign-key checks take
    on the order when another transaction inserts a timeline event or outbox row for it."""
    order = session.scalars(select(Order).where(Order.id == order_id)
                            .with_for_update(key_share=True)).first()
    if order is None:
        raise NotFound(f"unknown order {order_id}")
    return order


def cancel(order_id: int, lines: list[tuple[int, int]] | None, *, actor: str, source: str,
           reason: str | None = None, joined: Joined = ()) -> None:
    """Cancel the whole order or (line_id, quantity) parts of it, releasing reservations
    (a use case: one unit of work)."""
    def work(uow: UnitOfWork) -> None:
        cancel_units(uow, load_for_update(uow.session, order_id), lines, actor=actor,
                     source=source, reason=reason)

    run_in_unit_of_work(work, joined=joined)


def cancel_units(uow: UnitOfWork, order: Order, lines: Sequence[tuple[int, int]] | None, *,
                 actor: str, source: str, reason: str | None = None) -> None:
    """Cancel the whole order (`lines` None) or (line_id, quantity) parts of it inside the
    caller's unit of work, the order locked. Units already shipped or handed over cannot be
    cancelled (that is a return): 409. The order's open totals (subtotal, discounts, tax,
    shipping, total: oms/money_view.py) and `updated_at` follow."""
    if order.status in TERMINAL:
        raise Conflict(f"order {order.number} is {order.status}")
    # A channel's edit may cancel some units and add others in this transaction.
    guard_before_release(uow, order)
    by_id = {ln.id: ln for ln in order.lines}
    # Only units reserved at nodes take work away from them (held and backordered ones don't).
    watch = (event_data.Watch(uow.session, order.id)
             if any(ln.allocated for ln in order.lines) else None)
    wanted = ([(ln.id, open_units(ln)) for ln in order.lines if open_units(ln) > 0]
              if lines is None else list(lines))
    if not wanted:
        raise Conflict(f"order {order.number} has nothing left to cancel: shipped or "
                       "handed-over units come back as a return")
    for i, (line_id, qty) in enumerate(wanted):
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput(f"lines.{i}.line_id", f"no line {line_id} on this order")
        if qty > open_units(line):
            raise Conflict(
                f"line {line_id}: only {open_units(line)} unit(s) can still be cancelled; "
                "shipped or handed-over units come back as a return",
                fields={f"lines.{i}.quantity": [f"at most {open_units(line)}"]})
        _cancel_line_units(uow, order, line, qty, actor, reason)
    money_view.refresh_totals(order)
    what = "order cancelled" if lines is None else "lines cancelled: " + ", ".join(
        f"line {lid} x{q}" for lid, q in wanted)
    why = what + (f" ({reason})" if reason else "")
    roll_up(uow, order, actor, source,
            "order.cancelled" if lines is None else "order.lines_cancelled", why,
            topic=None if lines is None else "order.updated",
            data={"cancelled": [{"line_id": lid, "quantity": q} for lid, q in wanted]})
    if watch is not None:
        announce_cancelled(uow, order, watch, reason=why, actor=actor)


def _cancel_line_units(uow: UnitOfWork, order: Order, line: OrderLine, qty: int, actor: str,
                       reason: str | None) -> None:
    # Units that hold nothing go first: backordered ones, then ones never placed.
    left = qty
    unplaced = unplaced_units(line)
    take = min(left, line.backordered)
    line.backordered -= take
    left -= take
    left -= min(left, unplaced)
    if left:
        released = planning.release(uow.session, order.id, line.id, line.demand_ref, left,
                                    _cause(order, actor, reason or "cancelled"))
        line.allocated -= released
        left -= released
    if left:
        raise Conflict(f"line {line.id}: {left} unit(s) are being fulfilled and cannot be "
                       "cancelled now")
    line.cancelled += qty


@dataclass(frozen=True)
class NewPromise:
    """A re-route's change of the order's promised delivery date: a new `date`, or None to
    drop the promise (the customer agrees to wait)."""

    date: dt.date | None


def reroute(order_id: int, *, actor: str, source: str,
            exclude_locations: frozenset[str] = frozenset(),
            promise: NewPromise | None = None) -> None:
    """Re-plan every unit not yet shipped or handed over, never using `exclude_locations`;
    with `promise`, against that promised delivery date (changed in the same unit of work)."""
    def work(uow: UnitOfWork) -> None:
        session = uow.session
        order = load_for_update(session, order_id)
        if order.status in TERMINAL or order.fulfillment_method == "carry_out":
            raise Conflict(f"order {order.number} is {order.status}; nothing to re-route")
        for code in exclude_locations:
            ledger.location_by_code(session, code, field="exclude_locations")
        if promise is not None:
            change_promise(uow, order, promise.date, actor=actor, source=source)
        guard_before_release(uow, order)
        watch = event_data.Watch(session, order.id)
        for line in order.lines:
            if line.allocated:
                line.allocated -= planning.release(
                    session, order.id, line.id, line.demand_ref, line.allocated,
                    _cause(order, actor, "re-route"))
        excluded = frozenset(exclude_locations) | excluded_locations(order)
        # The nodes hear their work is gone before routing gives out new work (maybe to them).
        announce_cancelled(uow, order, watch, reason="re-routed", actor=actor)
        events.record(uow, order, "order.reroute_requested",
                      "re-routing" + (f", excluding {', '.join(sorted(excluded))}"
                                      if excluded else ""), actor=actor, source=source)
        route_order(uow, order, actor=actor, source=source, exclude=excluded)

    run_in_unit_of_work(work, retry_lost_stock=True, exhausted=lambda: Conflict(
        "stock kept changing while re-routing this order; try again"))


def change_promise(uow: UnitOfWork, order: Order, promised: dt.date | None, *, actor: str,
                   source: str) -> None:
    """Move the order's promised delivery date, or drop it (None), inside the caller's unit
    of work, before it routes again: 422 naming `promised_delivery_date` for a date the order
    cannot carry. The timeline says from what to what and who; subscribers get
    `order.updated` with `promise`. The same date again changes nothing and says nothing."""
    check_promise(promised, order.fulfillment_method, "promised_delivery_date")
    before = order.promised_delivery_date
    if promised == before:
        return
    order.promised_delivery_date = promised
    order.updated_at = utcnow()
    was = explain.day(before) if before else "none"
    now = explain.day(promised) if promised else "none (the customer agrees to wait)"
    events.record(uow, order, "order.promise_changed",
                  f"promised delivery date changed from {was} to {now} by {actor}",
                  actor=actor, source=source, topic="order.updated",
                  data={"promise": {"from": before.isoformat() if before else None,
                                    "to": promised.isoformat() if promised else None}})


def excluded_locations(order: Order) -> frozenset[str]:
    """Nodes this order must never be routed to again (they rejected or ran short)."""
    return frozenset((order.routing or {}).get("excluded", []))


WAITING = ("received", "backordered", "needs_attention")


def retry_unplaced(limit: int = 200) -> int:
    """Re-route orders whose units wait for stock or for a quieter moment (a periodic job).
    Returns how many orders it looked at."""
    with read_session() as session:
        ids = list(session.scalars(
            select(Order.id).where(Order.status.in_(WAITING),
                                   Order.fulfillment_method != "carry_out")
            .order_by(Order.id).limit(limit)))
    for order_id in ids:
        with contextlib.suppress(InsufficientStock):  # lost a race: the next pass retries
            run_in_unit_of_work(functools.partial(_retry_one, order_id=order_id))
    return len(ids)


def _retry_one(uow: UnitOfWork, order_id: int) -> None:
    order = load_for_update(uow.session, order_id)
    if order.status not in WAITING:
        return
    route_order(uow, order, actor="system:retry", source="oms",
                exclude=excluded_locations(order), quiet_if_unchanged=True)


# ------------------------------------------------------------------ channel-side changes
# Inside a caller's transaction (an integration applying a channel's update together with its
# own bookkeeping): the order's fields are changed here, by oms, and nowhere else.

def note_source_version(order: Order, updated_at: dt.datetime | None) -> None:
    """Remember the newest channel version applied (channels deliver updates out of order)."""
    if updated_at and (order.source_updated_at is None or updated_at > order.source_updated_at):
        order.source_updated_at = updated_at


@dataclass(frozen=True)
class MoreUnits:
    """A channel's addition to an open order: more of an existing line, or a new line."""

    quantity: int
    line_id: int | None = None
    line: LineInput | None = None   # a new line


def add_to_order(order_id: int, additions: Sequence[MoreUnits], *, actor: str,
                 source: str, joined: Joined = ()) -> list[str]:
    """Add units to an open order and route them (a use case: one unit of work); stock that
    moves under the plan is retried like a new order's."""
    def work(uow: UnitOfWork) -> list[str]:
        order = load_for_update(uow.session, order_id)
        by_id = {ln.id: ln for ln in order.lines}
        resolved: list[tuple[int | None, LineInput]] = []
        for i, more in enumerate(additions):
            if more.line_id is None:
                assert more.line is not None
                resolved.append((None, more.line))
                continue
            line = by_id.get(more.line_id)
            if line is None:
                raise InvalidInput(f"lines.{i}.line_id", f"no line {more.line_id} on this order")
            resolved.append((line.id, LineInput(line.sku, more.quantity, line.unit_price,
                                                line.name)))
        return add_units(uow, order, resolved, actor=actor, source=source)

    return run_in_unit_of_work(work, joined=joined, retry_lost_stock=True, exhausted=lambda:
                               Conflict("stock kept changing while routing the added units; "
                                        "try again"))


def add_units(uow: UnitOfWork, order: Order,
              additions: Sequence[tuple[int | None, LineInput]], *, actor: str,
              source: str) -> list[str]:
    """Units a channel added to an open order (an edit raised a line's quantity, or added a
    line), placed by routing in the caller's transaction. `(line_id, input)` adds
    `input.quantity` to that line; `(None, input)` is a new line. Returns what was added.
    Raises InsufficientStock if stock moved under the plan (the caller retries)."""
    session = uow.session
    if order.status in TERMINAL or order.fulfillment_method == "carry_out":
        raise Conflict(f"order {order.number} is {order.status} "
                       f"({order.fulfillment_method}); units cannot be added")
    by_id = {ln.id: ln for ln in order.lines}
    added = []
    for i, (line_id, extra) in enumerate(additions):
        ledger.check_quantity(extra.quantity, field=f"lines.{i}.quantity")
        if line_id is None:
            ledger.item_by_sku(session, extra.sku, field=f"lines.{i}.sku")
            # A new line keeps the discounts and tax the channel sent for it.
            paid = money_view.price([extra], taxes_included=bool(order.taxes_included),
                                    first=i).lines[0]
            order.lines.append(OrderLine(
                line_no=max((ln.line_no for ln in order.lines), default=0) + 1,
                external_id=extra.external_id, sku=extra.sku, name=extra.name,
                quantity=extra.quantity, unit_price=extra.unit_price, discount=paid.discount,
                tax=paid.tax, tax_lines=paid.tax_lines or None,
                discount_allocations=paid.discount_allocations))
            added.append(f"new line {extra.sku} x{extra.quantity}")
        else:
            line = by_id.get(line_id)
            if line is None:
                raise InvalidInput(f"lines.{i}.line_id", f"no line {line_id} on this order")
            # More units of a line come at its unit price; the line's discount and tax stay
            # what was charged (spread over all its units from now on).
            line.quantity += extra.quantity
            added.append(f"{extra.quantity} more {line.sku} (line {line.id})")
    money_view.refresh_totals(order)
    session.flush()  # new lines get their ids (and demand refs) before routing
    order.updated_at = utcnow()
    events.record(uow, order, f"{source}.units_added",
                  f"added on {source}: " + "; ".join(added), actor=actor, source=source,
                  topic="order.updated", data={"added": added})
    route_order(uow, order, actor=actor, source=source, exclude=excluded_locations(order))
    return added


def change_ship_to(uow: UnitOfWork, order: Order, ship_to: dict, *, actor: str, source: str,
                   description: str) -> bool:
    """A new shipping address from the channel, while units are still open. Routing is not
    redone (re-route if it should change where the order ships from). Returns whether it
    changed anything."""
    still_open = any(open_units(ln) > 0 for ln in order.lines)
    if order.fulfillment_method != "ship" or not still_open or ship_to == (order.ship_to or {}):
        return False
    order.ship_to = ship_to
    order.updated_at = utcnow()
    planning.readdress(uow.session, order.id, ship_to, order.customer_name, order.phone)
    events.record(uow, order, f"{source}.address_changed",
                  f"shipping address changed on {source} to {description}; the routing was "
                  "not redone (re-route the order if the new address should change where it "
                  "ships from)", actor=actor, source=source, data={"ship_to": ship_to})
    return True
