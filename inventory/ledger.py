"""Ledger operations inside a caller's transaction. Nothing here commits.

Every function changes a balance with SQL-side arithmetic guarded by a WHERE clause, and writes
the movement that explains it, in the caller's transaction. Under concurrency the guard is what
decides: PostgreSQL re-evaluates it after waiting for a competing row lock, so two buyers can
never both take the last unit. Rows are always touched in (item_id, location_id) order, so
multi-row operations cannot deadlock each other. Other packages (fulfillment, returns, oms) call
these to make stock changes part of their own use case's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from inventory.models import (
    MAX_MOVEMENT_QUANTITY,
    Balance,
    Item,
    Location,
    Movement,
    Reservation,
    Transfer,
)


@dataclass(frozen=True)
class Posting:
    """One balance change at one location, with the movement row that records it."""

    kind: str
    item_id: int
    location_id: int
    on_hand: int = 0
    reserved: int = 0
    in_transit: int = 0
    counter_location_id: int | None = None
    transfer_id: int | None = None
    demand_ref: str | None = None
    # Reservations need free stock beyond the guard's arithmetic: available >= need.
    need_available: int | None = None

    @property
    def lock_key(self) -> tuple[int, int]:
        return (self.item_id, self.location_id)


@dataclass(frozen=True)
class Cause:
    """Why and by whom: carried onto every movement of one operation."""

    actor: str
    reference: str | None = None
    note: str | None = None


# ---------------------------------------------------------------- lookups

def _missing(what: str, field: str | None) -> Exception:
    """A path that names nothing is 404; a request body or query naming nothing is 422."""
    return NotFound(what) if field is None else InvalidInput(field, what)


def item_by_sku(session: Session, sku: str, *, field: str | None = "sku") -> Item:
    item = session.scalars(select(Item).where(Item.sku == sku)).first()
    if item is None:
        raise _missing(f"unknown SKU '{sku}'", field)
    return item


def location_by_code(session: Session, code: str, *,
                     field: str | None = "location") -> Location:
    location = session.scalars(select(Location).where(Location.code == code)).first()
    if location is None:
        raise _missing(f"unknown location '{code}'", field)
    return location


def check_quantity(quantity: object, *, field: str = "quantity", allow_negative: bool = False,
                   allow_zero: bool = False) -> int:
    """The one rule for quantities: whole numbers within MAX_MOVEMENT_QUANTITY."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput(field, "must be a whole number")
    if abs(quantity) > MAX_MOVEMENT_QUANTITY:
        raise InvalidInput(field, f"must be at most {MAX_MOVEMENT_QUANTITY} in size")
    if quantity == 0 and not allow_zero:
        raise InvalidInput(field, "must not be zero")
    if quantity < 0 and not allow_negative:
        raise InvalidInput(field, "must be positive")
    return quantity


# ---------------------------------------------------------------- the posting engine

def _insert_for(session: Session):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert)


def _apply(session: Session, p: Posting) -> None:
    only_adds = (p.on_hand >= 0 and p.in_transit >= 0 and p.reserved == 0
                 and p.need_available is None)
    if only_adds:
        insert = _insert_for(session)
        stmt = insert(Balance).values(
            item_id=p.item_id, location_id=p.location_id,
            on_hand=p.on_hand, reserved=0, safety_stock=0, in_transit=p.in_transit,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[Balance.item_id, Balance.location_id],
            set_={"on_hand": Balance.on_hand + stmt.excluded.on_hand,
                  "in_transit": Balance.in_transit + stmt.excluded.in_transit},
        )
        session.execute(stmt)
        return

    new_on_hand = Balance.on_hand + p.on_hand
    new_reserved = Balance.reserved + p.reserved
    guards = [
        Balance.item_id == p.item_id,
        Balance.location_id == p.location_id,
        new_on_hand >= 0,
        new_reserved >= 0,
        new_reserved <= new_on_hand,
        Balance.in_transit + p.in_transit >= 0,
    ]
    if p.need_available is not None:
        guards.append(Balance.on_hand - Balance.reserved - Balance.safety_stock
                      >= p.need_available)
    result = cast(CursorResult[Any], session.execute(
        update(Balance).where(and_(*guards)).values(
            on_hand=new_on_hand, reserved=new_reserved,
            in_transit=Balance.in_transit + p.in_transit,
        ).execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        _explain_refusal(session, p)


def _explain_refusal(session: Session, p: Posting) -> None:
    balance = session.scalars(
        select(Balance).where(Balance.item_id == p.item_id, Balance.location_id == p.location_id)
    ).first()
    item = session.get(Item, p.item_id)
    location = session.get(Location, p.location_id)
    assert item is not None and location is not None  # the posting names existing rows
    sku, code = item.sku, location.code
    details: dict = {"sku": sku, "location": code}
    if balance is not None:
        details.update(on_hand=balance.on_hand, reserved=balance.reserved,
                       safety_stock=balance.safety_stock, available=balance.available)
    held = balance.on_hand if balance else 0
    if balance is None or p.need_available is not None:
        free = balance.available if balance else 0
        message = (f"insufficient stock of {sku} at {code}: {free} available, "
                   f"{p.need_available or -p.on_hand} requested")
        raise InsufficientStock(message, fields={"quantity": [message]}, **details)
    if held + p.on_hand < 0:
        message = f"{sku} at {code}: only {held} on hand, {-p.on_hand} requested"
        raise InsufficientStock(message, fields={"quantity": [message]}, **details)
    if held + p.on_hand < balance.reserved + p.reserved:
        message = (f"{sku} at {code}: this would leave {balance.reserved + p.reserved} reserved "
                   f"units with only {held + p.on_hand} on hand; release or re-route them first")
        raise Conflict(message, fields={"quantity": [message]}, **details)
    raise Conflict(f"{sku} at {code}: the change would break a stock invariant", **details)


def post(session: Session, postings: Sequence[Posting], cause: Cause) -> list[Movement]:
    """Apply postings in lock order and record one movement each."""
    now = utcnow()
    movements = []
    for p in sorted(postings, key=lambda p: p.lock_key):
        _apply(session, p)
        movements.append(Movement(
            kind=p.kind, item_id=p.item_id, location_id=p.location_id,
            on_hand_delta=p.on_hand, reserved_delta=p.reserved, in_transit_delta=p.in_transit,
            counter_location_id=p.counter_location_id, transfer_id=p.transfer_id,
            demand_ref=p.demand_ref, reference=cause.reference, actor=cause.actor,
            note=cause.note, created_at=now,
        ))
    session.add_all(movements)
    session.flush()
    return movements


# ---------------------------------------------------------------- stock changes

def receive(session: Session, item: Item, location: Location, quantity: int,
            cause: Cause) -> Movement:
    check_quantity(quantity)
    return post(session, [Posting("receipt", item.id, location.id, on_hand=quantity)], cause)[0]


def adjust(session: Session, item: Item, location: Location, delta: int, cause: Cause,
           *, kind: str = "adjustment") -> Movement:
    check_quantity(delta, allow_negative=True)
    return post(session, [Posting(kind, item.id, location.id, on_hand=delta)], cause)[0]


def damage(session: Session, item: Item, location: Location, quantity: int,
           cause: Cause) -> Movement:
    check_quantity(quantity)
    return post(session, [Posting("damage", item.id, location.id, on_hand=-quantity)], cause)[0]


def count(session: Session, item: Item, location: Location, counted: int,
          cause: Cause) -> Movement | None:
    """The counted quantity becomes the truth; the difference is recorded. None if it matched."""
    check_quantity(counted, field="quantity", allow_zero=True)
    _ensure_balance_row(session, item.id, location.id)
    balance = session.scalars(
        select(Balance).where(Balance.item_id == item.id, Balance.location_id == location.id)
        .with_for_update()
    ).first()
    held = balance.on_hand if balance else 0
    if counted == held:
        return None
    return adjust(session, item, location, counted - held, cause, kind="cycle_count")


def _ensure_balance_row(session: Session, item_id: int, location_id: int) -> None:
    """Create an all-zero balance if none exists, so that a read-then-write (a count) can lock
    it: concurrent first counts then queue on the row instead of adding up."""
    insert = _insert_for(session)
    session.execute(insert(Balance).values(
        item_id=item_id, location_id=location_id, on_hand=0, reserved=0, safety_stock=0,
        in_transit=0).on_conflict_do_nothing(index_elements=[Balance.item_id,
                                                             Balance.location_id]))


def set_safety_stock(session: Session, item: Item, location: Location, quantity: int) -> Balance:
    check_quantity(quantity, field="safety_stock", allow_zero=True)
    insert = _insert_for(session)
    session.execute(insert(Balance).values(
        item_id=item.id, location_id=location.id, on_hand=0, reserved=0,
        safety_stock=quantity, in_transit=0,
    ).on_conflict_do_update(
        index_elements=[Balance.item_id, Balance.location_id],
        set_={"safety_stock": quantity},
    ))
    return session.scalars(select(Balance).where(
        Balance.item_id == item.id, Balance.location_id == location.id)).one()


# ---------------------------------------------------------------- transfers

def ship_transfer(session: Session, item: Item, source: Location, destination: Location,
                  quantity: int, cause: Cause, *, demand_ref: str | None = None) -> Transfer:
    """Stock leaves `source` now and is in transit to `destination` until received.

    With `demand_ref`, the units reserved for that demand at the source travel with it (and are
    reserved for it again at the destination on receipt); without, only available stock moves.
    """
    check_quantity(quantity)
    if source.id == destination.id:
        raise InvalidInput("to_location", "must differ from the source location")
    transfer = Transfer(item_id=item.id, from_location_id=source.id,
                        to_location_id=destination.id, quantity=quantity,
                        demand_ref=demand_ref, carried_quantity=quantity if demand_ref else 0,
                        reference=cause.reference, actor=cause.actor)
    if demand_ref:
        out = Posting("transfer_out", item.id, source.id, on_hand=-quantity, reserved=-quantity,
                      counter_location_id=destination.id,
                      demand_ref=demand_ref)
    else:
        out = Posting("transfer_out", item.id, source.id, on_hand=-quantity,
                      need_available=quantity, counter_location_id=destination.id)
    incoming = Posting("transfer_out", item.id, destination.id, in_transit=quantity,
                       counter_location_id=source.id,
                       demand_ref=demand_ref)
    with session.begin_nested():
        session.add(transfer)
        session.flush()
        out = replace(out, transfer_id=transfer.id)
        incoming = replace(incoming, transfer_id=transfer.id)
        if demand_ref:
            _post_then_take(session, [out, incoming], cause, item.id, source.id, demand_ref,
                            quantity)
        else:
            post(session, [out, incoming], cause)
    return transfer


def receive_transfer(session: Session, transfer_id: int, cause: Cause,
                     quantity: int | None = None) -> Transfer:
    transfer = session.scalars(
        select(Transfer).where(Transfer.id == transfer_id).with_for_update()).first()
    if transfer is None:
        raise NotFound(f"unknown transfer {transfer_id}")
    outstanding = transfer.quantity - transfer.received_quantity
    if outstanding == 0:
        raise Conflict(f"transfer {transfer_id} was already received in full")
    quantity = outstanding if quantity is None else check_quantity(quantity)
    if quantity > outstanding:
        raise InvalidInput("quantity", f"only {outstanding} of this transfer is outstanding")
    postings = [Posting("transfer_in", transfer.item_id, transfer.to_location_id,
                        in_transit=-quantity, on_hand=quantity,
                        counter_location_id=transfer.from_location_id,
                        transfer_id=transfer.id, demand_ref=transfer.demand_ref)]
    post(session, postings, cause)
    promised = min(quantity, transfer.carried_quantity)
    if promised:
        assert transfer.demand_ref is not None  # carried units have a demand (check constraint)
        reserve(session, [(transfer.item_id, transfer.to_location_id, promised)],
                transfer.demand_ref, cause, ignore_safety_stock=True)
        transfer.carried_quantity -= promised
    transfer.received_quantity += quantity
    if transfer.received_quantity == transfer.quantity:
        transfer.status = "received"
        transfer.received_at = utcnow()
    session.flush()
    return transfer


def release_in_transit(session: Session, item_id: int, to_location_id: int, demand_ref: str,
                       quantity: int) -> int:
    """The demand gives up to `quantity` units that are travelling to `to_location_id` for it:
    they will arrive as free stock. Returns how many it gave up (0 if none are on the road).

    No balance changes: units in transit are counted in the destination's `in_transit` and are
    not reserved anywhere until they arrive, so only the transfer's promise shrinks."""
    check_quantity(quantity)
    transfers = session.scalars(
        select(Transfer).where(Transfer.item_id == item_id,
                               Transfer.to_location_id == to_location_id,
                               Transfer.demand_ref == demand_ref,
                               Transfer.status == "in_transit",
                               Transfer.carried_quantity > 0)
        .order_by(Transfer.id.desc()).with_for_update()).all()
    left = quantity
    for transfer in transfers:
        take = min(left, transfer.carried_quantity)
        transfer.carried_quantity -= take
        left -= take
        if not left:
            break
    session.flush()
    return quantity - left


# ---------------------------------------------------------------- reservations

def guard_allocation(session: Session, skus: Iterable[str], *,
                     exclusive: bool) -> dict[str, int]:
    """Order allocators of the same items against each other, before they read availability.

    Allocators plan on a snapshot and reserve afterwards; when a competitor takes the stock in
    between, the guard in `reserve` refuses and the allocator starts over. That is cheap when
    contention is rare, but a buyer can keep losing on a hot item. Optimistic allocators take
    a shared lock on the item rows (they never wait for each other); one that has already lost
    takes them exclusively, which waits for the shared holders to commit and keeps new ones
    out, so its snapshot cannot go stale and it is placed on this attempt. Locks are taken in
    item-id order, so allocators cannot deadlock each other here.

    The modes are FOR SHARE and FOR NO KEY UPDATE, which conflict with each other but not with
    the FOR KEY SHARE that PostgreSQL's foreign-key checks take on the item row whenever a
    movement or reservation of that item is inserted: every other ledger writer goes on
    untouched (FOR UPDATE would block them and deadlock against their balance-row locks).
    SQLite serialises writers already (BEGIN IMMEDIATE), so no lock clause is rendered there.
    Returns the items' ids by SKU (unknown SKUs are left out)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    stmt = select(Item.sku, Item.id).where(Item.sku.in_(wanted)).order_by(Item.id)
    return dict(session.execute(stmt.with_for_update(key_share=True) if exclusive
                                else stmt.with_for_update(read=True)).all())


def reserve(session: Session, lines: Iterable[tuple[int, int, int]], demand_ref: str,
            cause: Cause, *, ignore_safety_stock: bool = False) -> list[Movement]:
    """All-or-nothing: reserve every (item_id, location_id, quantity) for `demand_ref`, or
    raise InsufficientStock and leave the caller's transaction as it was (a savepoint)."""
    if not demand_ref:
        raise InvalidInput("demand_ref", "is required")
    merged: dict[tuple[int, int], int] = {}
    for item_id, location_id, quantity in lines:
        check_quantity(quantity)
        merged[(item_id, location_id)] = merged.get((item_id, location_id), 0) + quantity
    postings = [
        Posting("reservation", item_id, location_id, reserved=qty, demand_ref=demand_ref,
                need_available=None if ignore_safety_stock else qty)
        for (item_id, location_id), qty in merged.items()
    ]
    with session.begin_nested():
        movements = post(session, postings, cause)
        for (item_id, location_id), qty in sorted(merged.items()):
            _add_reservation(session, item_id, location_id, demand_ref, qty)
    return movements


def _add_reservation(session: Session, item_id: int, location_id: int, demand_ref: str,
                     quantity: int) -> None:
    insert = _insert_for(session)
    stmt = insert(Reservation).values(item_id=item_id, location_id=location_id,
                                      demand_ref=demand_ref, quantity=quantity,
                                      created_at=utcnow(), updated_at=utcnow())
    session.execute(stmt.on_conflict_do_update(
        index_elements=[Reservation.item_id, Reservation.location_id, Reservation.demand_ref],
        set_={"quantity": Reservation.quantity + stmt.excluded.quantity,
              "updated_at": stmt.excluded.updated_at},
    ))


def _take_reservation(session: Session, item_id: int, location_id: int, demand_ref: str,
                      quantity: int) -> None:
    result = cast(CursorResult[Any], session.execute(
        update(Reservation)
        .where(Reservation.item_id == item_id, Reservation.location_id == location_id,
               Reservation.demand_ref == demand_ref, Reservation.quantity >= quantity)
        .values(quantity=Reservation.quantity - quantity, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        raise _holds_less(demand_ref, held(session, item_id, location_id, demand_ref),
                          quantity)


def transfers_received(session: Session, transfer_ids: Sequence[int]) -> bool:
    """Whether every one of these transfers has been received in full."""
    if not transfer_ids:
        return True
    done = session.scalar(select(func.count()).select_from(Transfer).where(
        Transfer.id.in_(set(transfer_ids)), Transfer.status == "received"))
    return done == len(set(transfer_ids))


def held(session: Session, item_id: int, location_id: int, demand_ref: str) -> int:
    """Units `demand_ref` holds reserved at this location."""
    return session.scalar(select(Reservation.quantity).where(
        Reservation.item_id == item_id, Reservation.location_id == location_id,
        Reservation.demand_ref == demand_ref)) or 0


def _holds_less(demand_ref: str, held: int, quantity: int) -> Conflict:
    message = f"demand '{demand_ref}' holds {held} here, not {quantity}"
    return Conflict(message, fields={"quantity": [message]}, held=held, requested=quantity)


def release(session: Session, item_id: int, location_id: int, demand_ref: str,
            quantity: int, cause: Cause) -> Movement:
    check_quantity(quantity)
    return _out_of_reservation(session, Posting("release", item_id, location_id,
                                                reserved=-quantity, demand_ref=demand_ref),
                               cause)


def release_demand(session: Session, demand_ref: str, cause: Cause) -> list[Movement]:
    """Release everything still reserved for `demand_ref`, wherever it is; units travelling
    for it will arrive free. Returns the release movements."""
    # Transfer rows first: receiving a transfer locks it before the destination's balance.
    session.execute(update(Transfer)
                    .where(Transfer.demand_ref == demand_ref, Transfer.status == "in_transit",
                           Transfer.carried_quantity > 0)
                    .values(carried_quantity=0))
    open_rows = session.scalars(
        select(Reservation).where(Reservation.demand_ref == demand_ref, Reservation.quantity > 0)
        .order_by(Reservation.item_id, Reservation.location_id)
    ).all()
    return [release(session, r.item_id, r.location_id, demand_ref, r.quantity, cause)
            for r in open_rows]


def consume(session: Session, item_id: int, location_id: int, demand_ref: str, quantity: int,
            cause: Cause) -> Movement:
    """The reserved units physically leave: shipped, or handed over at the counter."""
    check_quantity(quantity)
    return _out_of_reservation(session, Posting("shipment", item_id, location_id,
                                                on_hand=-quantity, reserved=-quantity,
                                                demand_ref=demand_ref), cause)


def _out_of_reservation(session: Session, p: Posting, cause: Cause) -> Movement:
    """Balance row first, reservation row second: the same lock order as `reserve`, so a
    demand topped up and released concurrently cannot deadlock. The savepoint undoes the
    balance change when the demand holds less than asked."""
    assert p.demand_ref is not None  # callers post out of a named demand's reservation
    with session.begin_nested():
        return _post_then_take(session, [p], cause, p.item_id, p.location_id, p.demand_ref,
                               -p.reserved)[0]


def _post_then_take(session: Session, postings: list[Posting], cause: Cause, item_id: int,
                    location_id: int, demand_ref: str, quantity: int) -> list[Movement]:
    """Post, then take `quantity` from the demand's reservation; when the posting is refused
    because the demand holds less than that, say so (that is the real reason)."""
    try:
        movements = post(session, postings, cause)
    except Conflict:
        holding = held(session, item_id, location_id, demand_ref)
        if holding < quantity:
            raise _holds_less(demand_ref, holding, quantity) from None
        raise
    _take_reservation(session, item_id, location_id, demand_ref, quantity)
    return movements


def sell_now(session: Session, item_id: int, location_id: int, quantity: int, demand_ref: str,
             cause: Cause) -> Movement:
    """A carry-out sale: unreserved stock leaves at once (a POS till). Safety stock is no
    bar: the customer is holding the goods."""
    check_quantity(quantity)
    return post(session, [Posting("shipment", item_id, location_id, on_hand=-quantity,
                                  demand_ref=demand_ref)], cause)[0]


def restock_return(session: Session, item_id: int, location_id: int, quantity: int,
                   cause: Cause, *, demand_ref: str | None = None) -> Movement:
    check_quantity(quantity)
    return post(session, [Posting("return_restock", item_id, location_id, on_hand=quantity,
                                  demand_ref=demand_ref)], cause)[0]


def balance_of(session: Session, item_id: int, location_id: int) -> Balance:
    """The balance row, or an all-zero one when nothing was ever posted there."""
    balance = session.scalars(select(Balance).where(
        Balance.item_id == item_id, Balance.location_id == location_id)).first()
    return balance or Balance(item_id=item_id, location_id=location_id, on_hand=0, reserved=0,
                              safety_stock=0, in_transit=0)
