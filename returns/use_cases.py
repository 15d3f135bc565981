"""Return use cases: authorise a return (with an optional exchange), receive it (in parts, per
line restocked or damaged), and the building block the Shopify refund uses. Each is one unit
of work: the order is locked first (`order_port.lock`, LOCK ORDER in core.db), then the return,
then the ledger's balance rows (receipts), and everything commits once, with the order's and
customer's timeline events and outbox rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Principal
from core.db import Joined, UnitOfWork, read_session, run_in_unit_of_work, utcnow
from core.errors import Conflict, Forbidden, InsufficientStock, InvalidInput, NotFound
from core.money import Balance, RefundParts, balance, refund_shipping, total_of
from inventory import ledger, snapshot
from inventory import metrics as inventory_metrics
from inventory.ledger import Cause
from inventory.models import Location
from returns import order_port, policy
from returns.errors import ReturnRuleBroken
from returns.models import REFUND_METHODS, Refund, Return, ReturnLine
from returns.order_port import (
    ExchangeLine,
    ExchangeRequest,
    OrderForReturn,
    ReturnableLine,
)
from returns.policy import DISPOSITIONS, REASONS

OVERRIDE_ROLES = ("admin", "cs")
MAX_RETURN_LINES = 200


@dataclass(frozen=True)
class ReturnLineInput:
    line_id: int            # the order line
    quantity: int
    reason: str


@dataclass(frozen=True)
class ExchangeInput:
    lines: tuple[ExchangeLine, ...]
    method: str = "ship"                 # when the store where it comes back lacks them
    pickup_location: str | None = None
    address: dict | None = None


@dataclass(frozen=True)
class CreateReturn:
    order_id: int
    lines: tuple[ReturnLineInput, ...]
    location: str
    actor: str
    source: str
    note: str | None = None
    override_window_reason: str | None = None
    exchange: ExchangeInput | None = None
    external_ref: str | None = None
    channel_source: str = "api"          # api | shopify


@dataclass(frozen=True)
class ReceiveLineInput:
    line_id: int            # the order line (each is on a return once)
    quantity: int
    disposition: str


# ------------------------------------------------------------------ access

def check_may_return(principal: Principal | None, order: OrderForReturn) -> None:
    """cs and admin: any order; a channel key: its channel's orders (or those it created);
    a store key: any order, at its own counter (checked on the location)."""
    if principal is None or principal.role in ("admin", "cs", "store"):
        return
    if principal.role == "channel" and (principal.channel == order.channel
                                        or order.created_by_key_id == principal.key_id):
        return
    raise Forbidden("this key may not return this order's units")


def check_location(principal: Principal | None, location: str) -> None:
    if principal is not None and not principal.may_act_at(location):
        raise Forbidden(f"this key acts at {principal.scope}, not at '{location}'",
                        fields={"location": [f"outside this key's scope ({principal.scope})"]})


# ------------------------------------------------------------------ authorise

def create_return(cmd: CreateReturn, principal: Principal | None, *,
                  receive_now: Sequence[ReceiveLineInput] = (),
                  joined: Joined = ()) -> int:
    """Authorise a return (and place its exchange order): one unit of work. The id.

    `receive_now`: the units are in the associate's hands at the return's counter, so they
    are received there (restocked or damaged, `receive_in`) in the same unit of work: the
    customer standing there never leaves a return half done. A return found again by its
    `external_ref` (the same form sent twice) is answered, not received twice."""
    def work(uow: UnitOfWork) -> int:
        return_id, new = _authorise(uow, cmd, principal)
        if new and receive_now:
            receive_in(uow, cmd.order_id, return_id, receive_now, principal,
                       actor=cmd.actor, source=cmd.source)
        return return_id

    return run_in_unit_of_work(work, joined=joined, retry_lost_stock=True)


def _existing(session: Session, external_ref: str | None) -> Return | None:
    if external_ref is None:
        return None
    return session.scalars(select(Return).where(Return.external_ref == external_ref)).first()


@dataclass(frozen=True)
class PricedLine:
    """A line of a return request that passed the rules, with what it gives back."""

    line: ReturnableLine
    wanted: ReturnLineInput
    units: list[int]                 # the unit positions it is priced on
    refund: RefundParts


@dataclass(frozen=True)
class ReturnPrice:
    lines: tuple[PricedLine, ...]
    overridden: tuple[str, ...]      # lines past the window, let through by an override
    refund_shipping: bool
    shipping: RefundParts            # zero unless `refund_shipping`
    total: Decimal


def _check_request(session: Session, order: OrderForReturn, cmd: CreateReturn,
                   principal: Principal | None) -> Location:
    """Who may return what where; the location it comes back to."""
    check_may_return(principal, order)
    location = ledger.location_by_code(session, cmd.location, field="location")
    check_location(principal, location.code)
    if not location.active:
        raise ReturnRuleBroken("location_inactive", "location",
                               f"'{location.code}' is not active")
    if cmd.override_window_reason is not None and principal is not None \
            and principal.role not in OVERRIDE_ROLES:
        raise Forbidden("only cs and admin may override the return window",
                        fields={"override_window_reason": ["cs and admin only"]})
    if not cmd.lines:
        raise InvalidInput("lines", "a return needs at least one line")
    if len(cmd.lines) > MAX_RETURN_LINES:
        raise InvalidInput("lines", f"at most {MAX_RETURN_LINES} lines")
    return location


def price_return(session: Session, order: OrderForReturn, cmd: CreateReturn) -> ReturnPrice:
    """The return rules per line (each a ReturnRuleBroken naming `lines.N.*`) and what exactly
    these units give back: authorising a return and showing its refund before it is confirmed
    use this one function, so what the counter shows is what is refunded."""
    rules = policy.current()
    window = rules.window_for(order.channel)
    now = utcnow()
    seen: set[int] = set()
    overridden: list[str] = []
    priced: list[PricedLine] = []
    for i, wanted in enumerate(cmd.lines):
        line = order.line(wanted.line_id)
        if line is None:
            raise ReturnRuleBroken("unknown_line", f"lines.{i}.line_id",
                                   f"no line {wanted.line_id} on order {order.number}")
        if line.line_id in seen:
            raise ReturnRuleBroken("duplicate_line", f"lines.{i}.line_id",
                                   f"line {line.line_id} is listed twice")
        seen.add(line.line_id)
        if wanted.reason not in REASONS:
            raise ReturnRuleBroken("unknown_reason", f"lines.{i}.reason",
                                   f"must be one of {', '.join(REASONS)}")
        ledger.check_quantity(wanted.quantity, field=f"lines.{i}.quantity")
        if line.fulfilled == 0:
            raise ReturnRuleBroken("not_handed_over", f"lines.{i}.quantity",
                                   f"no unit of line {line.line_id} ({line.sku}) has been "
                                   "handed over yet", handed_over=0)
        if wanted.quantity > line.returnable:
            raise ReturnRuleBroken(
                "over_return", f"lines.{i}.quantity",
                f"at most {line.returnable} unit(s) of line {line.line_id} ({line.sku}) can "
                f"come back: {line.fulfilled} handed over, {line.returned} already returned "
                "or authorised", returnable=line.returnable, requested=wanted.quantity)
        if line.handed_over_at is not None and \
                now - line.handed_over_at > dt.timedelta(days=window):
            if cmd.override_window_reason is None:
                raise ReturnRuleBroken(
                    "return_window", f"lines.{i}.line_id",
                    f"line {line.line_id} was handed over on "
                    f"{line.handed_over_at.date().isoformat()}, more than {window} days ago "
                    f"({order.channel}); cs may override with a reason",
                    window_days=window)
            overridden.append(f"line {line.line_id}")
        # What was paid for exactly these units: the lowest unit positions no other return
        # holds (a cancelled return frees its positions for the next one).
        units = free_units(session, line.line_id, line.quantity)[:wanted.quantity]
        priced.append(PricedLine(line, wanted, units, line.paid.refund_units(units)))
    reasons = {ln.reason for ln in cmd.lines}
    with_shipping = bool(rules.refunds_shipping(reasons) and not order.shipping_refunded
                         and order.shipping)
    shipping = refund_shipping(order.shipping) if with_shipping else RefundParts.zero()
    total = total_of([*(p.refund for p in priced), shipping]).total
    return ReturnPrice(tuple(priced), tuple(overridden), with_shipping, shipping, total)


def authorise(uow: UnitOfWork, cmd: CreateReturn, principal: Principal | None) -> int:
    """The building block: the return authorised inside the caller's unit of work (the order
    is locked here, first). A return with the same `external_ref` is that one (its id)."""
    return _authorise(uow, cmd, principal)[0]


def _authorise(uow: UnitOfWork, cmd: CreateReturn,
               principal: Principal | None) -> tuple[int, bool]:
    """`authorise`, also saying whether the return is new (False: found by `external_ref`)."""
    session = uow.session
    side = order_port.orders()
    try:
        order = side.lock(uow, cmd.order_id)
    except NotFound:   # named in the body, not the path: a 422 naming it
        raise InvalidInput("order_id", f"unknown order {cmd.order_id}") from None
    if (found := _existing(session, cmd.external_ref)) is not None:
        return found.id, False
    location = _check_request(session, order, cmd, principal)
    price = price_return(session, order, cmd)
    ret = Return(order_id=order.order_id, order_number=order.number, channel=order.channel,
                 customer_id=order.customer_id, currency=order.currency,
                 location_code=location.code, status="authorised",
                 source=cmd.channel_source, external_ref=cmd.external_ref, note=cmd.note,
                 created_by=cmd.actor, refund_total=price.total,
                 refund_shipping=price.refund_shipping)
    for p in price.lines:
        ret.lines.append(ReturnLine(
            order_line_id=p.line.line_id, sku=p.line.sku, name=p.line.name, units=p.units,
            quantity=p.wanted.quantity, reason=p.wanted.reason, returned_before=p.units[0],
            refund_subtotal=p.refund.subtotal, refund_discount=p.refund.discount,
            refund_tax=p.refund.tax, refund_included_tax=p.refund.included_tax,
            refund_total=p.refund.total, restocked=0, damaged=0))
    if price.overridden:
        assert cmd.override_window_reason is not None
        ret.window_override_reason = cmd.override_window_reason
        ret.window_overridden_by = cmd.actor
    session.add(ret)
    session.flush()
    moved = [(ln.order_line_id, ln.quantity) for ln in ret.lines]
    what = ", ".join(f"{ln.sku} x{ln.quantity} ({ln.reason})" for ln in ret.lines)
    override = (f"; return window overridden by {cmd.actor}: {cmd.override_window_reason}"
                if price.overridden else "")
    side.returned(uow, order.order_id, moved, kind="return.authorised",
                  message=f"return R-{ret.id} authorised, back to {location.code}: {what}; "
                          f"refund {ret.refund_total} {order.currency}{override}",
                  actor=cmd.actor, source=cmd.source,
                  data={"return_id": ret.id, "location": location.code,
                        "refund_total": f"{ret.refund_total:.2f}",
                        "lines": [{"line_id": lid, "quantity": q} for lid, q in moved],
                        **({"window_override": cmd.override_window_reason}
                           if price.overridden else {})})
    if cmd.exchange is not None:
        _exchange(uow, ret, order, location.code, location.kind, cmd)
    return ret.id, True


@dataclass(frozen=True)
class ExchangePreview:
    total: Decimal                   # the new items at catalogue prices
    balance: Balance                 # who pays whom, and how much
    in_store: bool                   # the return's store has every new item to hand over


@dataclass(frozen=True)
class ReturnQuote:
    """What a return would be, before it is confirmed: nothing is written."""

    order: OrderForReturn
    location: str
    price: ReturnPrice
    exchange: ExchangePreview | None


def quote_return(cmd: CreateReturn, principal: Principal | None) -> ReturnQuote:
    """The refund (and an exchange's balance) a return would have, by the same rules and
    pricing as `authorise` (a 4xx naming the field when it breaks one), read without a lock:
    the return itself re-checks everything when it is confirmed."""
    side = order_port.orders()
    with read_session() as session:
        order = side.describe(session, cmd.order_id)
        if order is None:
            raise InvalidInput("order_id", f"unknown order {cmd.order_id}")
        location = _check_request(session, order, cmd, principal)
        price = price_return(session, order, cmd)
        exchange = None
        if cmd.exchange is not None:
            lines = _exchange_lines(cmd.exchange)
            quote = side.quote_exchange(session, lines)
            exchange = ExchangePreview(
                total=quote.total, balance=balance(price.total, quote.total),
                in_store=(location.kind == "store"
                          and store_has_all(session, location.code, lines)))
        return ReturnQuote(order=order, location=location.code, price=price,
                           exchange=exchange)


def store_has_all(session: Session, store: str, lines: Sequence[ExchangeLine]) -> bool:
    """The store has every new item of an exchange available: the customer standing there
    takes them home now (`oms.returns_port` places the carry-out sale on this rule)."""
    free = snapshot.availability(session, [ln.sku for ln in lines])
    return all(free.get(ln.sku, {}).get(store, 0) >= ln.quantity for ln in lines)


def _exchange_lines(ex: ExchangeInput) -> tuple[ExchangeLine, ...]:
    for i, ln in enumerate(ex.lines):
        ledger.check_quantity(ln.quantity, field=f"exchange_lines.{i}.quantity")
    return ex.lines


def _exchange(uow: UnitOfWork, ret: Return, order: OrderForReturn, location: str,
              location_kind: str, cmd: CreateReturn) -> None:
    """Even or refunding: the exchange order now (carry-out at the store when it has the new
    items). Owed: the new items are reserved now (at the store when it has them, else where
    one location has them all) and the order is placed when the payment is recorded."""
    assert cmd.exchange is not None
    side = order_port.orders()
    ex = cmd.exchange
    quote = side.quote_exchange(uow.session, _exchange_lines(ex))
    diff = balance(ret.refund_total, quote.total)
    store = location if location_kind == "store" else None
    ret.exchange_total = quote.total
    ret.exchange_balance = diff.direction
    ret.exchange_difference = diff.amount
    ret.exchange_request = {
        "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in ex.lines],
        "method": ex.method, "pickup_location": ex.pickup_location, "address": ex.address,
        "store": store}
    if diff.direction == "owed":
        ret.exchange_state = "awaiting_payment"
        ret.exchange_hold_location = _hold_replacement(uow, ret, ex.lines, store, cmd.actor)
        uow.session.flush()
        side.note(uow, order.order_id, "return.exchange",
                  f"return R-{ret.id}: exchange for {quote.total} {order.currency}; the "
                  f"customer owes {diff.amount} {order.currency}; the new items are held at "
                  f"{ret.exchange_hold_location} until the payment is recorded",
                  actor=cmd.actor, source=cmd.source, topic="return.exchange",
                  data={"return_id": ret.id, "balance": diff.direction,
                        "difference": f"{diff.amount:.2f}"})
        return
    _place_exchange(uow, ret, order, cmd.actor, cmd.source)


def held_units(line: ReturnLine) -> list[int]:
    """The unit positions a return line holds: those it was priced on, less what it cancelled
    (lines made before positions were kept hold the ones after `returned_before`)."""
    units = line.units if line.units is not None else list(
        range(line.returned_before, line.returned_before + line.quantity))
    return units[:line.quantity - line.cancelled]


def free_units(session: Session, order_line_id: int, quantity: int) -> list[int]:
    """The order line's unit positions (0..quantity-1) that no return holds, lowest first."""
    held: set[int] = set()
    for ln in session.scalars(select(ReturnLine).join(Return).where(
            ReturnLine.order_line_id == order_line_id, Return.status != "cancelled")):
        held.update(held_units(ln))
    return [p for p in range(quantity) if p not in held]


def exchange_demand(return_id: int) -> str:
    return f"return:{return_id}/exchange"


def _hold_replacement(uow: UnitOfWork, ret: Return, lines: tuple[ExchangeLine, ...],
                      store: str | None, actor: str) -> str:
    session = uow.session
    free = snapshot.availability(session, [ln.sku for ln in lines])
    places = [code for code in sorted({c for per in free.values() for c in per})
              if all(free.get(ln.sku, {}).get(code, 0) >= ln.quantity for ln in lines)]
    if not places:
        raise InsufficientStock("no single location has every new item of the exchange to "
                                "hold until the payment",
                                fields={"exchange_lines": ["not in stock at one location"]})
    where = store if store in places else max(
        places, key=lambda c: (sum(free[ln.sku][c] for ln in lines), c))
    location = ledger.location_by_code(session, where, field=None)
    ids = snapshot.item_ids(session, [ln.sku for ln in lines])
    rows = ledger.reserve(session, [(ids[ln.sku], location.id, ln.quantity) for ln in lines],
                          exchange_demand(ret.id),
                          Cause(actor=actor, reference=f"return:{ret.id}",
                                note="exchange held until the payment"))
    inventory_metrics.reserved(uow, rows, sum(ln.quantity for ln in lines))
    return where


def _place_exchange(uow: UnitOfWork, ret: Return, order: OrderForReturn, actor: str,
                    source: str) -> None:
    side = order_port.orders()
    asked = ret.exchange_request or {}
    lines = tuple(ExchangeLine(ln["sku"], ln["quantity"]) for ln in asked.get("lines", []))
    quote = side.quote_exchange(uow.session, lines)
    request = ExchangeRequest(
        return_id=ret.id, lines=lines, store=asked.get("store"),
        method=asked.get("method") or "ship", pickup_location=asked.get("pickup_location"),
        address=asked.get("address") or order.ship_to)
    placed = side.place_exchange(uow, order.order_id, request, quote, actor=actor,
                                 source=source)
    ret.exchange_order_id = placed.order_id
    ret.exchange_order_number = placed.number
    ret.exchange_state = "placed"
    uow.session.flush()
    direction = ret.exchange_balance
    words = {"even": "even exchange: no money moves",
             "owed": f"the customer paid {ret.exchange_difference} {order.currency} "
                     f"({ret.exchange_payment_ref})",
             "refund": f"{ret.exchange_difference} {order.currency} to refund"}[direction or "even"]
    side.note(uow, order.order_id, "return.exchange",
              f"return R-{ret.id}: exchange order {placed.number} ({placed.method}, "
              f"{placed.status}) for {ret.exchange_total} {order.currency}; {words}",
              actor=actor, source=source, topic="return.exchange",
              data={"return_id": ret.id, "exchange_order_id": placed.order_id,
                    "balance": direction, "difference": f"{ret.exchange_difference:.2f}"})


def pay_exchange(return_id: int, amount: Decimal, reference: str,
                 principal: Principal | None, *, actor: str, source: str,
                 joined: Joined = ()) -> None:
    """The customer paid the exchange's difference: the held items are released and the
    exchange order placed at once (carry-out from the store when it has them): one unit of
    work, the order locked first, then the items' allocation guard, then the stock."""
    order_id = _order_of(return_id)

    def work(uow: UnitOfWork) -> None:
        session = uow.session
        side = order_port.orders()
        order = side.lock(uow, order_id)
        ret = _lock_return(session, return_id)
        check_location(principal, ret.location_code)
        if ret.exchange_state != "awaiting_payment":
            raise Conflict(f"return R-{ret.id} has no exchange waiting for a payment",
                           exchange_state=ret.exchange_state)
        if amount != ret.exchange_difference:
            raise ReturnRuleBroken("exchange_payment", "amount",
                                   f"the customer owes {ret.exchange_difference}, not {amount}",
                                   owed=f"{ret.exchange_difference:.2f}")
        skus = [ln["sku"] for ln in (ret.exchange_request or {}).get("lines", [])]
        ledger.guard_allocation(session, skus, exclusive=uow.contended)
        ledger.release_demand(session, exchange_demand(ret.id),
                              Cause(actor=actor, reference=f"return:{ret.id}",
                                    note="exchange paid: placed as an order"))
        ret.exchange_payment_ref = reference
        _place_exchange(uow, ret, order, actor, source)

    run_in_unit_of_work(work, joined=joined, retry_lost_stock=True)


# ------------------------------------------------------------------ receive

def receive(return_id: int, lines: Sequence[ReceiveLineInput], principal: Principal | None, *,
            actor: str, source: str, joined: Joined = ()) -> None:
    """Receive (part of) a return at its location: one unit of work."""
    order_id = _order_of(return_id)
    run_in_unit_of_work(lambda uow: receive_in(uow, order_id, return_id, lines, principal,
                                               actor=actor, source=source), joined=joined)


def _order_of(return_id: int) -> int:
    return _order_id_of(Return, return_id, "return")


def _order_id_of(model: type[Return] | type[Refund], row_id: int, what: str) -> int:
    """The order a return or refund belongs to (never changes: read before locking)."""
    from core.db import read_session

    with read_session() as session:
        order_id = session.scalar(select(model.order_id).where(model.id == row_id))
    if order_id is None:
        raise NotFound(f"unknown {what} {row_id}")
    return order_id


def _lock_return(session: Session, return_id: int) -> Return:
    ret = session.scalars(select(Return).where(Return.id == return_id)
                          .with_for_update(key_share=True)).first()
    if ret is None:
        raise NotFound(f"unknown return {return_id}")
    return ret


def receive_in(uow: UnitOfWork, order_id: int, return_id: int,
               lines: Sequence[ReceiveLineInput], principal: Principal | None, *, actor: str,
               source: str, settled_refund: str | None = None) -> None:
    """The building block: the order locked first, then the return, then the ledger. Each
    restocked unit is a `return_restock` movement at the return's location (available there at
    once); a damaged one comes in and is written off (`return_restock` then `damage`), so the
    ledger's history there shows it and it is never sellable. Receiving more than is
    outstanding is a 422 and writes nothing."""
    session = uow.session
    side = order_port.orders()
    order = side.lock(uow, order_id)
    ret = _lock_return(session, return_id)
    check_location(principal, ret.location_code)
    if ret.status in ("cancelled",):
        raise Conflict(f"return R-{ret.id} is cancelled")
    if ret.status in ("received", "refunded"):
        raise Conflict(f"return R-{ret.id} is already received", status=ret.status)
    if not lines:
        raise InvalidInput("lines", "receive at least one line")
    by_line = {ln.order_line_id: ln for ln in ret.lines}
    outstanding = {ln.order_line_id: ln.expected for ln in ret.lines}
    for i, got in enumerate(lines):
        ledger.check_quantity(got.quantity, field=f"lines.{i}.quantity")
        if got.disposition not in DISPOSITIONS:
            raise InvalidInput(f"lines.{i}.disposition",
                               f"must be one of {', '.join(DISPOSITIONS)}")
        if got.line_id not in by_line:
            raise ReturnRuleBroken("not_on_return", f"lines.{i}.line_id",
                                   f"line {got.line_id} is not on return R-{ret.id}")
        if got.quantity > outstanding[got.line_id]:
            raise ReturnRuleBroken(
                "receipt_exceeds_authorised", f"lines.{i}.quantity",
                f"line {got.line_id}: {outstanding[got.line_id]} unit(s) still expected, "
                f"not {got.quantity}", outstanding=outstanding[got.line_id])
        outstanding[got.line_id] -= got.quantity
    location = ledger.location_by_code(session, ret.location_code, field=None)
    cause = Cause(actor=actor, reference=f"return:{ret.id}")
    for got in sorted(lines, key=lambda g: (by_line[g.line_id].sku, g.disposition)):
        line = by_line[got.line_id]
        item = ledger.item_by_sku(session, line.sku, field=None)
        if got.disposition == "restock":
            ledger.restock_return(session, item.id, location.id, got.quantity,
                                  Cause(actor, cause.reference, "returned, restocked"))
            line.restocked += got.quantity
        else:
            ledger.restock_return(session, item.id, location.id, got.quantity,
                                  Cause(actor, cause.reference, "returned damaged"))
            ledger.damage(session, item, location, got.quantity,
                          Cause(actor, cause.reference, "returned damaged: not sellable"))
            line.damaged += got.quantity
    complete = all(ln.received == ln.quantity for ln in ret.lines)
    ret.status = "received" if complete else "partly_received"
    ret.updated_at = utcnow()
    if complete:
        ret.received_at = ret.updated_at
    what = ", ".join(f"{by_line[g.line_id].sku} x{g.quantity} {g.disposition}" for g in lines)
    side.note(uow, order_id, f"return.{ret.status}",
              f"return R-{ret.id} {ret.status.replace('_', ' ')} at {ret.location_code}: {what}",
              actor=actor, source=source, topic="return.received",
              data={"return_id": ret.id, "location": ret.location_code, "status": ret.status,
                    "lines": [{"line_id": g.line_id, "quantity": g.quantity,
                               "disposition": g.disposition} for g in lines]})
    if complete:
        record_refund(uow, ret, order, actor=actor, source=source,
                      settled_refund=settled_refund)
    session.flush()


def record_refund(uow: UnitOfWork, ret: Return, order: OrderForReturn, *, actor: str,
                  source: str,
                  settled_refund: str | None = None) -> Refund:
    """The return's refund record: what was paid for its units (and shipping, when its
    reason's policy says so), less an exchange's new items. `pending` until the channel's
    payment provider moves the money (outbound sync); `settled` when the channel refunded it
    already (Shopify), which makes the return `refunded`."""
    lines = [RefundParts(subtotal=ln.refund_subtotal, discount=ln.refund_discount,
                         tax=ln.refund_tax, included_tax=ln.refund_included_tax)
             for ln in ret.lines]
    if ret.refund_shipping:
        lines.append(refund_shipping(order.shipping))
    parts = total_of(lines)
    applied = Decimal("0.00")
    if ret.exchange_total is not None and ret.exchange_state != "released":
        applied = min(ret.exchange_total, parts.total)
    refund = Refund(return_id=ret.id, order_id=ret.order_id, currency=ret.currency,
                    amount=parts.total - applied, subtotal=parts.subtotal,
                    discount=parts.discount, tax=parts.tax, included_tax=parts.included_tax,
                    shipping=parts.shipping, exchange_applied=applied,
                    status="settled" if settled_refund else "pending",
                    external_ref=settled_refund,
                    settled_by=actor if settled_refund else None,
                    settled_at=utcnow() if settled_refund else None)
    uow.session.add(refund)
    uow.session.flush()
    if settled_refund:
        ret.status = "refunded"
    order_port.orders().note(
        uow, ret.order_id, "refund.created",
        f"refund for return R-{ret.id}: {refund.amount} {ret.currency}"
        + (f" ({applied} kept for the exchange)" if applied else "")
        + (f", refunded by the channel ({settled_refund})" if settled_refund
           else ", to be refunded through the channel"),
        actor=actor, source=source, topic="refund.created",
        data={"return_id": ret.id, "refund_id": refund.id, "amount": f"{refund.amount:.2f}",
              "status": refund.status})
    return refund


# ------------------------------------------------------------------ settle a refund

MAX_REF_LENGTH = 200


@dataclass(frozen=True)
class SettleRefund:
    refund_id: int
    external_ref: str              # the payment provider's or channel's reference
    actor: str
    source: str
    method: str | None = None      # REFUND_METHODS, when the caller says how it went back
    channel: str | None = None     # the channel that refunded it ("Shopify"), in words


def settle_refund(cmd: SettleRefund, principal: Principal | None, *,
                  joined: Joined = ()) -> int:
    """A pending refund's money went back (the payment integrator or a store's till says so):
    one unit of work. The return's id."""
    order_id = _order_of_refund(cmd.refund_id)
    return run_in_unit_of_work(
        lambda uow: settle_refund_in(uow, order_id, cmd, principal).return_id, joined=joined)


def _order_of_refund(refund_id: int) -> int:
    return _order_id_of(Refund, refund_id, "refund")


def _lock_refund(session: Session, refund_id: int) -> Refund:
    refund = session.scalars(select(Refund).where(Refund.id == refund_id)
                             .with_for_update()).first()
    if refund is None:
        raise NotFound(f"unknown refund {refund_id}")
    return refund


def _check_settlement(cmd: SettleRefund) -> None:
    if not cmd.external_ref.strip() or len(cmd.external_ref) > MAX_REF_LENGTH:
        raise InvalidInput("external_ref", f"1 to {MAX_REF_LENGTH} characters, not blank")
    if cmd.method is not None and cmd.method not in REFUND_METHODS:
        raise InvalidInput("method", f"must be one of {', '.join(REFUND_METHODS)}")


def _same_settlement(refund: Refund, cmd: SettleRefund) -> None:
    """A settled refund told again: the same reference is a retry (nothing changes); another
    reference, or another method than the one recorded, is a 409 naming it."""
    if refund.external_ref != cmd.external_ref:
        raise Conflict(f"refund {refund.id} is settled already, as '{refund.external_ref}'",
                       fields={"external_ref": [f"settled already as '{refund.external_ref}'"]},
                       settled_as=refund.external_ref)
    if cmd.method is not None and refund.method is not None and cmd.method != refund.method:
        raise Conflict(f"refund {refund.id} was settled by {refund.method}",
                       fields={"method": [f"settled already by {refund.method}"]},
                       settled_as=refund.external_ref)


def settle_refund_in(uow: UnitOfWork, order_id: int, cmd: SettleRefund,
                     principal: Principal | None) -> Refund:
    """The one rule for settling a refund, whoever says the money went (the API, or the
    Shopify push once `refundCreate` made it): the order locked first, then the return, then
    the refund. `pending` -> `settled` with the reference, the method, who and when; the
    return becomes `refunded`; a timeline event and a `refund.settled` outbox row. Settled
    already: see `_same_settlement`. Access as for cancelling the return: cs and admin, the
    channel whose order it is, a store at the return's location."""
    _check_settlement(cmd)
    session = uow.session
    side = order_port.orders()
    order = side.lock(uow, order_id)
    return_id = session.scalar(select(Refund.return_id).where(Refund.id == cmd.refund_id))
    if return_id is None:
        raise NotFound(f"unknown refund {cmd.refund_id}")
    ret = _lock_return(session, return_id)
    refund = _lock_refund(session, cmd.refund_id)
    check_may_return(principal, order)
    check_location(principal, ret.location_code)
    if refund.status == "settled":
        _same_settlement(refund, cmd)
        return refund
    now = utcnow()
    refund.status, refund.external_ref, refund.method = "settled", cmd.external_ref, cmd.method
    refund.settled_by, refund.settled_at = cmd.actor, now
    if ret.status == "received":
        ret.status, ret.updated_at = "refunded", now
    session.flush()
    how = f" on {cmd.channel}" if cmd.channel else (
        f" by {cmd.actor}" + (f" ({cmd.method.replace('_', ' ')})" if cmd.method else ""))
    side.note(uow, order_id, "refund.settled",
              f"refund for return R-{ret.id} ({refund.amount} {refund.currency}) settled{how}: "
              f"{cmd.external_ref}",
              actor=cmd.actor, source=cmd.source, topic="refund.settled",
              data={"return_id": ret.id, "refund_id": refund.id,
                    "amount": f"{refund.amount:.2f}", "status": refund.status,
                    "external_ref": refund.external_ref, "method": refund.method,
                    "settled_at": now.isoformat() + "Z"})
    return refund


def settled_on_channel(uow: UnitOfWork, refund_id: int, external_ref: str, *, channel: str,
                       actor: str, source: str) -> None:
    """The channel made the refund we sent it (the relay's settle step, after the call):
    settled with the channel's reference through the same rule. Settled meanwhile with
    another reference (by hand, through the API) is not an error of the push: the order's
    timeline says so, since the customer may have been refunded twice."""
    order_id = uow.session.scalar(select(Refund.order_id).where(Refund.id == refund_id))
    if order_id is None:
        raise NotFound(f"unknown refund {refund_id}")
    cmd = SettleRefund(refund_id, external_ref, actor=actor, source=source, channel=channel)
    try:
        settle_refund_in(uow, order_id, cmd, None)
    except Conflict as exc:  # raised before anything was written
        order_port.orders().note(
            uow, order_id, "refund.settle_conflict",
            f"{channel} made refund {external_ref} for our refund {refund_id}, settled "
            f"already as '{exc.details.get('settled_as')}': check that the customer was not "
            "refunded twice",
            actor=actor, source=source)


# ------------------------------------------------------------------ cancel

def cancel(return_id: int, reason: str, principal: Principal | None, *, actor: str,
           source: str, joined: Joined = ()) -> None:
    """Cancel a return whose units are still expected: one unit of work."""
    order_id = _order_of(return_id)
    run_in_unit_of_work(lambda uow: cancel_in(uow, order_id, return_id, reason, principal,
                                              actor=actor, source=source), joined=joined)


def cancel_in(uow: UnitOfWork, order_id: int, return_id: int, reason: str,
              principal: Principal | None, *, actor: str, source: str) -> None:
    """The building block: the order locked first, then the return, then the ledger (an
    exchange's hold). Nothing received: the return is `cancelled`. Partly received: it is
    `received` for what arrived, the rest cancelled per line, and the refund is recorded for
    the received units only: each line's first received units in the order the return took
    them (`PaidLine.refund_units` of the positions they keep), so the units given back to the order
    line are its last returned ones and a later return of them refunds the rest to the cent.
    The order lines' `returned` counters give the cancelled units back. An exchange held for
    a payment is released; an exchange order already placed stays (cancelling it is its own
    action) and the timeline says so."""
    session = uow.session
    side = order_port.orders()
    order = side.lock(uow, order_id)
    ret = _lock_return(session, return_id)
    check_may_return(principal, order)
    check_location(principal, ret.location_code)
    if ret.status not in ("authorised", "partly_received"):
        raise Conflict(f"return R-{ret.id} is {ret.status.replace('_', ' ')}: only a return "
                       "with units still expected can be cancelled", status=ret.status)
    if not reason or not reason.strip():
        raise InvalidInput("reason", "say why the return is cancelled")
    now = utcnow()
    moved: list[tuple[int, int]] = []
    parts: list[RefundParts] = []
    for ln in ret.lines:
        if ln.expected > 0:
            moved.append((ln.order_line_id, -ln.expected))
            ln.cancelled += ln.expected
        paid = order.line(ln.order_line_id)
        assert paid is not None, f"line {ln.order_line_id} of return R-{ret.id}"
        kept = (paid.paid.refund_units(held_units(ln)[:ln.received]) if ln.received
                else RefundParts.zero())
        ln.refund_subtotal, ln.refund_discount = kept.subtotal, kept.discount
        ln.refund_tax, ln.refund_included_tax = kept.tax, kept.included_tax
        ln.refund_total = kept.total
        parts.append(kept)
    received_any = any(ln.received for ln in ret.lines)
    if ret.refund_shipping and not policy.current().refunds_shipping(
            {ln.reason for ln in ret.lines if ln.received}):
        ret.refund_shipping = False
    if ret.refund_shipping:
        parts.append(refund_shipping(order.shipping))
    ret.refund_total = total_of(parts).total
    ret.status = "received" if received_any else "cancelled"
    ret.cancel_reason, ret.cancelled_by, ret.cancelled_at = reason.strip(), actor, now
    ret.updated_at = now
    if received_any:
        ret.received_at = now
    exchange = ""
    if ret.exchange_state == "awaiting_payment":
        ledger.release_demand(session, exchange_demand(ret.id),
                              Cause(actor=actor, reference=f"return:{ret.id}",
                                    note="return cancelled: exchange hold released"))
        exchange = f"; the exchange's items held at {ret.exchange_hold_location} are released"
        ret.exchange_state = "released"
    elif ret.exchange_state == "placed":
        exchange = (f"; exchange order {ret.exchange_order_number} stays placed (cancel it "
                    "separately if it should not go out)")
    session.flush()
    what = ", ".join(f"{ln.sku} x{ln.cancelled}" for ln in ret.lines if ln.cancelled)
    outcome = (f"received for what arrived, refund {ret.refund_total} {ret.currency}"
               if received_any else "nothing received, no refund")
    side.returned(uow, order_id, moved, kind="return.cancelled", topic="return.cancelled",
                  message=f"return R-{ret.id} cancelled by {actor}: {reason.strip()}; "
                          f"not coming: {what}; {outcome}{exchange}",
                  actor=actor, source=source,
                  data={"return_id": ret.id, "reason": reason.strip(), "status": ret.status,
                        "lines": [{"line_id": lid, "quantity": -q} for lid, q in moved],
                        "refund_total": f"{ret.refund_total:.2f}",
                        "exchange_state": ret.exchange_state,
                        "exchange_order_id": ret.exchange_order_id})
    if received_any:
        record_refund(uow, ret, order, actor=actor, source=source)
    session.flush()


def received_view(session: Session, return_id: int) -> dict:
    """A return's status inside a unit of work (for a channel sync that books it at once)."""
    ret = session.get(Return, return_id)
    if ret is None:
        raise NotFound(f"unknown return {return_id}")
    return {"id": ret.id, "status": ret.status}
