"""Orders on hold: a channel order we cannot process yet (a SKU we do not know, a channel
location nobody mapped to one of ours) is kept as an order all the same, status `on_hold`,
with what the channel sent (customer, lines with their SKUs as sent, address, totals) and why
it waits. It reserves nothing. It is released, in one transaction under its row lock, once
what it names exists: by the periodic job (`oms-release-holds`) or by customer service
(`POST /api/v1/orders/{id}/release-hold`); then it is routed like a new order.

Channel locations are the channel's knowledge (Shopify's location map lives in
`integrations`, which oms must not import): a channel registers a `LocationResolver` here at
start-up, and the held order keeps the channel's own description of the location in
`hold_detail["location"]` for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import STOCK_ATTEMPTS, UnitOfWork, read_session, run_in_unit_of_work, utcnow
from core.errors import Conflict, DomainError, InsufficientStock, InvalidInput
from inventory import ledger
from inventory.models import Item, Location
from oms import customers, events, metrics, money_view, orders
from oms.domain import CHANNELS, check_transition
from oms.identity import normalise_email, normalise_phone
from oms.models import Order

log = logging.getLogger(__name__)

MAX_REASON = 500
RELEASE_BATCH = 200


@dataclass(frozen=True)
class LocationProblem:
    """A channel location we cannot map yet. `detail` is the channel's own description (for
    its resolver); `method` is what the order is (pickup or carry_out)."""

    reason: str
    method: str
    detail: dict[str, Any] = field(default_factory=dict)


# (session, the channel's `detail`) -> our location code, or None while it is still unmapped.
LocationResolver = Callable[[Session, dict[str, Any]], str | None]
_resolvers: dict[str, LocationResolver] = {}


def register_location_resolver(channel: str, resolver: LocationResolver) -> None:
    """A channel integration says how its held orders' locations are mapped (at start-up)."""
    _resolvers[channel] = resolver


@dataclass(frozen=True)
class Intake:
    order_id: int
    created: bool
    on_hold: bool
    hold_code: str | None = None
    hold_reason: str | None = None


@dataclass(frozen=True)
class Missing:
    """What a held order still waits for."""

    unknown_skus: tuple[str, ...] = ()
    location: LocationProblem | None = None
    location_code: str | None = None      # the mapped location, once it is

    @property
    def code(self) -> str | None:
        if self.location is not None:
            return "unmapped_location"
        return "unknown_sku" if self.unknown_skus else None

    @property
    def reason(self) -> str | None:
        parts = []
        if self.location is not None:
            parts.append(self.location.reason)
        if self.unknown_skus:
            parts.append("unknown SKU" + ("s " if len(self.unknown_skus) > 1 else " ")
                         + ", ".join(self.unknown_skus)
                         + " (create the item: POST /api/v1/items)")
        return "; ".join(parts)[:MAX_REASON] or None

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = {"unknown_skus": list(self.unknown_skus)}
        if self.location is not None:
            out["location"] = {**self.location.detail, "method": self.location.method,
                               "reason": self.location.reason}
        return out


# ------------------------------------------------------------------ intake

def unknown_skus(session: Session, skus: list[str]) -> tuple[str, ...]:
    wanted = sorted(set(skus))
    if not wanted:
        return ()
    known = set(session.scalars(select(Item.sku).where(Item.sku.in_(wanted))))
    return tuple(s for s in wanted if s not in known)


def place_or_hold(cmd: orders.PlaceOrder, *, location: LocationProblem | None = None) -> Intake:
    """A channel order that must not be lost: placed as usual when everything it names is
    known, else stored on hold. The same channel order twice is one order either way."""
    with read_session() as session:
        existing = orders.find_by_external(session, cmd.channel, cmd.external_id)
        if existing is not None:
            return _intake(existing, created=False)
        missing = Missing(unknown_skus(session, [ln.sku for ln in cmd.lines]), location)
    if missing.code is None:
        try:
            placed = orders.place_order(cmd)
        except InvalidInput as exc:
            # An item deleted (or a race we did not see) between the check and the placing:
            # hold it rather than lose it, if that is what went wrong.
            if not any(f.startswith("lines.") and f.endswith(".sku") for f in exc.fields):
                raise
        else:
            return Intake(placed.order_id, placed.created, on_hold=False)
        with read_session() as session:
            missing = Missing(unknown_skus(session, [ln.sku for ln in cmd.lines]))
    return hold_order(cmd, missing)


def _intake(order: Order, *, created: bool) -> Intake:
    return Intake(order.id, created, order.status == "on_hold", order.hold_code,
                  order.hold_reason)


def _validate(cmd: orders.PlaceOrder) -> None:
    """What a held order must still be: a well-formed order (SKUs and location aside)."""
    if cmd.channel not in CHANNELS:
        raise InvalidInput("channel", f"must be one of {', '.join(CHANNELS)}")
    if not cmd.lines:
        raise InvalidInput("lines", "an order needs at least one line")
    if len(cmd.lines) > orders.MAX_LINES:
        raise InvalidInput("lines", f"at most {orders.MAX_LINES} lines")
    for i, line in enumerate(cmd.lines):
        ledger.check_quantity(line.quantity, field=f"lines.{i}.quantity")
        if line.unit_price < 0:
            raise InvalidInput(f"lines.{i}.unit_price", "must not be negative")
    if cmd.method == "ship" and cmd.address is None:
        raise InvalidInput("fulfillment.address", "required for ship")


def hold_order(cmd: orders.PlaceOrder, missing: Missing) -> Intake:
    """Store the order as the channel sent it, on hold, reserving nothing (a use case: one
    unit of work). The same channel order twice, even concurrently, is one order."""
    assert missing.code is not None
    _validate(cmd)

    def work(uow: UnitOfWork) -> Intake:
        existing = orders.find_by_external(uow.session, cmd.channel, cmd.external_id)
        if existing is not None:
            return _intake(existing, created=False)
        order = orders.insert_order(uow, cmd)
        _put_on_hold(uow, order, missing, actor=cmd.actor, source=cmd.source)
        return _intake(order, created=True)

    try:
        return run_in_unit_of_work(work)
    except IntegrityError:
        with read_session() as session:
            existing = orders.find_by_external(session, cmd.channel, cmd.external_id)
        if existing is None:
            raise
        return _intake(existing, created=False)


def _put_on_hold(uow: UnitOfWork, order: Order, missing: Missing, *, actor: str,
                 source: str) -> None:
    check_transition(order.status, "on_hold")
    if order.status != "on_hold":
        metrics.status_changed(uow, "on_hold")
    order.status = "on_hold"
    order.hold_code, order.hold_reason = missing.code, missing.reason
    order.hold_detail, order.held_at = missing.detail(), utcnow()
    uow.session.flush()
    events.record(uow, order, "order.on_hold", f"on hold: {missing.reason}",
                  actor=actor, source=source, topic="order.on_hold",
                  data={"hold_code": missing.code, "hold": missing.detail()})


# ------------------------------------------------------------------ the channel's update

def refresh_held(order_id: int, cmd: orders.PlaceOrder, *,
                 location: LocationProblem | None = None, force: bool = False) -> str:
    """A newer version of a held order from its channel (an edit before we could process
    it): its content is replaced by what the channel now says, and why it waits is decided
    again. Returns "refreshed", "unchanged", "stale" (not newer than what we hold) or
    "not_held" (released meanwhile: the caller applies the change as to any order)."""
    _validate(cmd)
    return run_in_unit_of_work(lambda uow: _refresh(uow, order_id, cmd, location, force))


def _refresh(uow: UnitOfWork, order_id: int, cmd: orders.PlaceOrder,
             location: LocationProblem | None, force: bool) -> str:
    session = uow.session
    order = orders.load_for_update(session, order_id)
    if order.status != "on_hold":
        return "not_held"
    if (not force and cmd.source_updated_at is not None
            and order.source_updated_at is not None
            and cmd.source_updated_at <= order.source_updated_at):
        return "stale"
    before = _content(order)
    customer = customers.resolve(uow, cmd.customer, actor=cmd.actor, source=cmd.source)
    seen = cmd.customer
    order.customer_id = customer.id if customer else order.customer_id
    order.email = normalise_email(seen.email) or order.email
    order.phone = normalise_phone(seen.phone, region=seen.region) or order.phone
    if seen.name:
        order.customer_name, order.name_search = seen.name, customers.search_name(seen.name)
    order.channel_name = cmd.channel_name or order.channel_name
    order.currency = cmd.currency
    order.fulfillment_method = cmd.method
    order.location_code = cmd.pickup_location or cmd.sale_location
    order.ship_to = cmd.address.as_dict() if cmd.address else None
    orders.note_source_version(order, cmd.source_updated_at)
    pricing = orders.price(cmd)
    order.taxes_included = cmd.taxes_included
    order.shipping_lines = pricing.shipping_lines or None
    wanted = [(ln.sku, ln.quantity, ln.unit_price, ln.name, ln.external_id, m.discount, m.tax)
              for ln, m in zip(cmd.lines, pricing.lines, strict=True)]
    if wanted != [(ln.sku, ln.quantity - ln.cancelled, ln.unit_price, ln.name,
                   ln.external_id, ln.discount, ln.tax) for ln in order.lines]:
        for line in list(order.lines):
            order.lines.remove(line)
            session.delete(line)
        session.flush()
        order.lines.extend(orders.priced_lines(cmd, pricing))
        session.flush()
    money_view.refresh_totals(order)
    missing = Missing(unknown_skus(session, [ln.sku for ln in cmd.lines]), location)
    if missing.code is not None:
        order.hold_code, order.hold_reason = missing.code, missing.reason
        order.hold_detail = missing.detail()
    else:
        # Nothing is missing any more: the release (next) takes it from here.
        order.hold_detail = {**(order.hold_detail or {}), "unknown_skus": []}
        order.hold_detail.pop("location", None)
    session.flush()
    changed = _content(order) != before
    if changed:
        order.updated_at = utcnow()
        events.record(uow, order, f"{cmd.source}.hold_refreshed",
                      f"changed on {cmd.source} while on hold; now: "
                      f"{missing.reason or 'nothing missing, to be released'}",
                      actor=cmd.actor, source=cmd.source,
                      data={"hold": order.hold_detail})
    return "refreshed" if changed else "unchanged"


def _content(order: Order) -> tuple:
    return (order.customer_id, order.email, order.phone, order.customer_name,
            order.fulfillment_method, order.location_code, order.ship_to, order.hold_code,
            order.hold_reason, order.hold_detail,
            [(ln.sku, ln.quantity, ln.cancelled, str(ln.unit_price), ln.name, ln.external_id)
             for ln in order.lines])


# ------------------------------------------------------------------ release

@dataclass(frozen=True)
class Release:
    order_id: int
    released: bool
    status: str
    hold_code: str | None = None
    hold_reason: str | None = None


def _missing_now(session: Session, order: Order) -> Missing:
    open_skus = [ln.sku for ln in order.lines if ln.quantity - ln.cancelled > 0]
    skus = unknown_skus(session, open_skus)
    held_location = (order.hold_detail or {}).get("location")
    if not held_location:
        return Missing(skus)
    problem = LocationProblem(held_location.get("reason") or "unmapped channel location",
                              held_location.get("method") or order.fulfillment_method,
                              {k: v for k, v in held_location.items()
                               if k not in ("reason", "method")})
    resolver = _resolvers.get(order.channel)
    code = resolver(session, problem.detail) if resolver else None
    if code is None:
        return Missing(skus, problem)
    usable = _usable_location(session, code, problem.method)
    if usable is not None:
        return Missing(skus, LocationProblem(usable, problem.method, problem.detail))
    return Missing(skus, None, code)


def _usable_location(session: Session, code: str, method: str) -> str | None:
    """Why a mapped location cannot serve this order, or None when it can."""
    location = session.scalars(select(Location).where(Location.code == code)).first()
    if location is None or not location.active:
        return f"the channel location is mapped to '{code}', which is not an open location"
    if method == "pickup" and not location.pickup:
        return f"the channel location is mapped to '{code}', which does not offer pickup"
    if method == "carry_out" and location.kind != "store":
        return f"the channel location is mapped to '{code}', which is not a store"
    return None


def release(order_id: int, *, actor: str, source: str) -> Release:
    """Release a held order if nothing it names is missing any more, and route it (or, for
    a counter sale, book the sale at the till's store) in the same unit of work, the order
    locked. Idempotent: an order that is not on hold is left alone. When something is still
    missing the order stays on hold and its reason is brought up to date. Stock that moves
    under the plan is retried like a new order's; on the last attempt the order is released
    unrouted (received) for the re-routing job."""
    return run_in_unit_of_work(lambda uow: _release(uow, order_id, actor=actor, source=source),
                               retry_lost_stock=True)


def _release(uow: UnitOfWork, order_id: int, *, actor: str, source: str) -> Release:
    session = uow.session
    order = orders.load_for_update(session, order_id)
    if order.status != "on_hold":
        return Release(order.id, released=False, status=order.status)
    missing = _missing_now(session, order)
    if missing.location_code is not None:   # mapped now (it may still wait for a SKU)
        order.location_code = missing.location_code
    if missing.code is not None:
        if (missing.code, missing.reason) != (order.hold_code, order.hold_reason):
            order.hold_code, order.hold_reason = missing.code, missing.reason
            order.hold_detail = missing.detail()
            events.record(uow, order, "order.hold_updated", f"still on hold: {missing.reason}",
                          actor=actor, source=source)
        return Release(order.id, False, order.status, order.hold_code, order.hold_reason)
    held_for = order.hold_reason
    check_transition(order.status, "received")
    metrics.status_changed(uow, "received")
    order.status = "received"
    order.hold_code = order.hold_reason = order.hold_detail = order.held_at = None
    order.updated_at = utcnow()
    session.flush()
    events.record(uow, order, "order.released_from_hold", f"released from hold (was: {held_for})",
                  actor=actor, source=source, topic="order.released_from_hold")
    if order.fulfillment_method == "carry_out":
        try:
            orders.sell_at_counter(uow, order, actor, source)
        except InsufficientStock as exc:  # not a race to retry: the till's shelf is short
            raise Conflict(f"order {order.number} cannot be released: {exc.message}",
                           fields=exc.fields) from exc
    elif uow.attempt < STOCK_ATTEMPTS:
        orders.route_order(uow, order, actor=actor, source=source)
    else:
        events.record(uow, order, "routing.deferred",
                      f"stock kept changing under {uow.attempt - 1} routing attempts; the "
                      "re-routing job will place this order", actor=actor, source=source)
    return Release(order.id, True, order.status)


def release_or_conflict(order_id: int, *, actor: str, source: str) -> Release:
    """Customer service's "try it now": 409 with what is still missing."""
    outcome = release(order_id, actor=actor, source=source)
    if not outcome.released and outcome.hold_code is not None:
        raise Conflict(f"still on hold: {outcome.hold_reason}", hold_code=outcome.hold_code,
                       hold_reason=outcome.hold_reason)
    if not outcome.released:
        raise Conflict(f"order {order_id} is {outcome.status}, not on hold",
                       status=outcome.status)
    return outcome


def release_held(batch: int = RELEASE_BATCH) -> int:
    """The periodic pass over every held order, oldest first, in batches (so that orders
    stuck for long never starve newer ones); returns how many it released. Each is checked
    read-only first: only one whose situation changed takes the write transaction and its
    row lock. One order's failure does not stop the others."""
    released, after = 0, 0
    while True:
        with read_session() as session:
            rows = list(session.scalars(select(Order).where(Order.status == "on_hold",
                                                            Order.id > after)
                                        .order_by(Order.id).limit(batch)))
            due = [o.id for o in rows if _changed(session, o)]
        for order_id in due:
            try:
                released += release(order_id, actor="system:holds", source="oms").released
            except DomainError as exc:   # e.g. a counter sale the till's shelf cannot cover
                log.info("order %s stays on hold: %s", order_id, exc.message)
            except Exception:
                log.exception("order %s: releasing the hold failed; the next pass retries",
                              order_id)
        if len(rows) < batch:
            return released
        after = rows[-1].id


def _changed(session: Session, order: Order) -> bool:
    """Whether a held order can be released, or waits for something else than it says."""
    missing = _missing_now(session, order)
    return (missing.code is None
            or missing.location_code not in (None, order.location_code)
            or (missing.code, missing.reason) != (order.hold_code, order.hold_reason))
