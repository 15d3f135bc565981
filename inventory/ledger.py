"""Ledger operations inside a caller's transaction. Nothing here commits.

Every function changes a balance with SQL-side arithmetic guarded by a WHERE clause, and writes
the movement that explains it, in the caller's transaction. Under concurrency the guard is what
decides: PostgreSQL re-evaluates it after waiting for a competing row lock, so two buyers can
never both take the last unit. Rows are always touched in (item_id, location_id) order, so
multi-row operations cannot deadlock each other. Other packages (fulfillment, returns, oms) call
these to make stock changes part of their own use case's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, NamedTuple, NoReturn, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Integer,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from core.db import DIALECT_INSERT, dialect_insert, get_database, utcnow
from core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from inventory import metrics
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


class BalanceAfter(NamedTuple):
    """A balance as a posting left it (returned by the guarded write itself: no read after)."""

    on_hand: int
    reserved: int
    safety_stock: int
    in_transit: int


@dataclass(frozen=True, slots=True)
class PostedMovement:
    """A movement as written (the row of `inv_movements`, id included): what the ledger's
    operations return. A plain object, not an ORM one: the movement is inserted with one
    Core statement, and nothing updates a movement afterwards."""

    id: int
    kind: str
    item_id: int
    location_id: int
    on_hand_delta: int
    reserved_delta: int
    in_transit_delta: int
    counter_location_id: int | None
    transfer_id: int | None
    demand_ref: str | None
    reference: str | None
    actor: str
    note: str | None
    created_at: dt.datetime
    # The balance at (item, location) right after this movement, in this transaction.
    balance_after: BalanceAfter


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


class KnownLocation(NamedTuple):
    """What the hot paths need of a location besides its id: its names for an answer."""

    id: int
    code: str
    name: str
    kind: str


_ITEM_ID = select(Item.id).where(Item.sku == bindparam("key"))
_KNOWN_LOCATION = select(Location.id, Location.code, Location.name, Location.kind).where(
    Location.code == bindparam("key"))


def _memoized(session: Session, table: str, stmt: Any, key: str) -> Any:
    """A lookup by code, from the per-process memo (`Database.memo_table`) or else from the
    database. What is memoised never changes while the database lives: a SKU's id, and a
    location's id, code, name and kind (no API, job or import renames, re-kinds or deletes
    one; whatever starts to must clear this memo). A hit needs no round trip; a miss is never
    remembered (the row may be created later)."""
    memo = get_database().memo_table(table)
    found = memo.get(key)
    if found is None:
        found = _connection(session).execute(stmt, {"key": key}).first()
        if found is not None:
            memo[key] = found
    return found


def item_id_by_sku(session: Session, sku: str, *, field: str | None = "sku") -> int:
    """The item's id (memoised per process): for use cases that need only the id."""
    found = _memoized(session, "inventory.item_id_by_sku", _ITEM_ID, sku)
    if found is None:
        raise _missing(f"unknown SKU '{sku}'", field)
    return cast(int, found[0])


def known_location(session: Session, code: str, *,
                   field: str | None = "location") -> KnownLocation:
    """The location's id and names (memoised per process), without loading the row."""
    found = _memoized(session, "inventory.location_by_code", _KNOWN_LOCATION, code)
    if found is None:
        raise _missing(f"unknown location '{code}'", field)
    return KnownLocation(*found)


def location_id_by_code(session: Session, code: str, *,
                        field: str | None = "location") -> int:
    """The location's id (memoised per process): for use cases that need only the id."""
    return known_location(session, code, field=field).id


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


# ---------------------------------------------------------------- the hot path
#
# The statements that every stock change runs are built ONCE, here, with bind parameters, and
# executed on the session's connection. Why: building the guarded UPDATE and the upserts as
# expressions on every call (and generating their cache keys) cost several times the CPU that
# PostgreSQL spends executing them. A prebuilt statement hits SQLAlchemy's compiled cache at
# once, and its SQL text is the same on every call, so psycopg prepares it on the server after
# a few executions (read sessions end with COMMIT, which keeps prepared statements alive).
# What they guard is unchanged: the balance arithmetic is SQL-side and guarded in the WHERE
# clause, so the database decides under concurrency.

_BALANCES = cast(Table, Balance.__table__)
_MOVEMENTS = cast(Table, Movement.__table__)
_RESERVATIONS = cast(Table, Reservation.__table__)

# The columns of a movement row, in the order of PostedMovement (after its id).
_MOVEMENT_COLUMNS = ("kind", "item_id", "location_id", "on_hand_delta", "reserved_delta",
                     "in_transit_delta", "counter_location_id", "transfer_id", "demand_ref",
                     "reference", "actor", "note", "created_at")


_BALANCE_AFTER = (_BALANCES.c.on_hand, _BALANCES.c.reserved, _BALANCES.c.safety_stock,
                  _BALANCES.c.in_transit)


def _guarded_update(*, need_available: bool):
    """The one guarded balance change: add the deltas where the result keeps every invariant
    (and, for a reservation, where enough is free beyond safety stock). Its row count decides:
    no row means refused (or no balance row). Returns the balance as it leaves it."""
    b = _BALANCES.c
    on_hand, reserved = b.on_hand + bindparam("d_on_hand"), b.reserved + bindparam("d_reserved")
    in_transit = b.in_transit + bindparam("d_in_transit")
    guards = [b.item_id == bindparam("i"), b.location_id == bindparam("l"),
              on_hand >= 0, reserved >= 0, reserved <= on_hand, in_transit >= 0]
    if need_available:
        guards.append(b.on_hand - b.reserved - b.safety_stock >= bindparam("need"))
    return update(_BALANCES).where(*guards).values(
        on_hand=on_hand, reserved=reserved, in_transit=in_transit).returning(*_BALANCE_AFTER)


_GUARDED_UPDATE = _guarded_update(need_available=False)
_GUARDED_UPDATE_NEEDING_AVAILABLE = _guarded_update(need_available=True)


@cache
def _balance_upsert(dialect: str):
    """Inbound stock (only adds): create the balance or add to it, in one statement."""
    stmt = DIALECT_INSERT[dialect](_BALANCES).values(
        item_id=bindparam("i"), location_id=bindparam("l"), on_hand=bindparam("d_on_hand"),
        reserved=0, safety_stock=0, in_transit=bindparam("d_in_transit"))
    return stmt.on_conflict_do_update(
        index_elements=[_BALANCES.c.item_id, _BALANCES.c.location_id],
        set_={"on_hand": _BALANCES.c.on_hand + stmt.excluded.on_hand,
              "in_transit": _BALANCES.c.in_transit + stmt.excluded.in_transit},
    ).returning(*_BALANCE_AFTER)


# Movements and reservation rows are written with one statement per call whatever the number
# of rows (on PostgreSQL a single posting and a reservation's rows go further: see
# `_posted_with_movement` and `_RESERVATION_ROWS`): executed with a list of parameter sets, an
# INSERT ... RETURNING is rendered by SQLAlchemy ("insertmanyvalues") as ONE multi-row INSERT
# (with a single parameter set it is a plain INSERT). RETURNING is what makes that happen on
# psycopg.
# Both databases hand out the new ids in the order of the VALUES rows, but neither promises to
# return them in that order: whoever needs them sorts them (`post`). (SQLAlchemy's
# sort_by_parameter_order would cost one INSERT per row on SQLite.)
_INSERT_MOVEMENTS = insert(_MOVEMENTS).returning(_MOVEMENTS.c.id)


@cache
def _reservation_upsert(dialect: str):
    """Add to each demand's reservation row (create it when the demand holds nothing here)."""
    stmt = DIALECT_INSERT[dialect](_RESERVATIONS)
    return stmt.on_conflict_do_update(
        index_elements=[_RESERVATIONS.c.item_id, _RESERVATIONS.c.location_id,
                        _RESERVATIONS.c.demand_ref],
        set_={"quantity": _RESERVATIONS.c.quantity + stmt.excluded.quantity,
              "updated_at": stmt.excluded.updated_at}).returning(_RESERVATIONS.c.id)


def _connection(session: Session) -> Connection:
    """The session's connection, for the prebuilt statements. Pending ORM changes are flushed
    first (what autoflush did when these ran through `session.execute`), so the statements see
    whatever the caller's unit of work did before; nothing is pending on the hot path, and
    then the flush costs nothing."""
    session.flush()
    return session.connection()


# ---------------------------------------------------------------- the posting engine


def _balance_write(dialect: str, p: Posting) -> tuple[Any, dict[str, Any]]:
    """The statement that changes the posting's balance, and its parameters: the upsert for
    inbound stock, else the guarded update (needing free stock for a reservation)."""
    params = {"i": p.item_id, "l": p.location_id, "d_on_hand": p.on_hand,
              "d_reserved": p.reserved, "d_in_transit": p.in_transit}
    if (p.on_hand >= 0 and p.in_transit >= 0 and p.reserved == 0
            and p.need_available is None):
        return _balance_upsert(dialect), params
    if p.need_available is None:
        return _GUARDED_UPDATE, params
    params["need"] = p.need_available
    return _GUARDED_UPDATE_NEEDING_AVAILABLE, params


def _apply(session: Session, conn: Connection, p: Posting) -> BalanceAfter:
    stmt, params = _balance_write(conn.dialect.name, p)
    row = conn.execute(stmt, params).first()
    if row is None:
        _explain_refusal(session, p)
    return BalanceAfter(*row)


@cache
def _posted_with_movement(balance_write: Any):
    """PostgreSQL, one posting (a receipt, an adjustment, a damage, ...): the balance write and
    its movement in ONE statement, a data-modifying CTE. The movement is inserted from the row
    the guarded write returned, so when the guard refuses there is no row, no movement, and
    nothing comes back: the guard still decides, in SQL. Returns the movement's id and the
    balance as the write left it. Built once per balance statement (the compiled form and the
    SQL text repeat, so it stays prepared)."""
    written = balance_write.cte("written")
    values = select(
        bindparam("kind", type_=_MOVEMENTS.c.kind.type),
        *(bindparam(name, type_=Integer()) for name in ("i", "l", "d_on_hand", "d_reserved",
                                                         "d_in_transit")),
        *(bindparam(c, type_=_MOVEMENTS.c[c].type) for c in _MOVEMENT_COLUMNS[6:]),
    ).select_from(written)
    moved = (insert(_MOVEMENTS).from_select(list(_MOVEMENT_COLUMNS), values)
             .returning(_MOVEMENTS.c.id).cte("moved"))
    return select(moved.c.id, *(written.c[c.name] for c in _BALANCE_AFTER)).select_from(
        written.join(moved, true()))


def _explain_refusal(session: Session, p: Posting) -> NoReturn:
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


def post(session: Session, postings: Sequence[Posting],
         cause: Cause) -> list[PostedMovement]:
    """Apply postings in lock order and record one movement each (one INSERT for all; on
    PostgreSQL a single posting and its movement are one statement)."""
    conn = _connection(session)
    now = utcnow()
    ordered = sorted(postings, key=lambda p: p.lock_key)
    rows = [(p.kind, p.item_id, p.location_id, p.on_hand, p.reserved, p.in_transit,
             p.counter_location_id, p.transfer_id, p.demand_ref, cause.reference, cause.actor,
             cause.note, now) for p in ordered]
    if len(ordered) == 1 and conn.dialect.name == "postgresql":
        [p], [row] = ordered, rows
        stmt, params = _balance_write("postgresql", p)
        params.update(zip(_MOVEMENT_COLUMNS[6:], row[6:], strict=True), kind=p.kind)
        written = conn.execute(_posted_with_movement(stmt), params).first()
        if written is None:
            _explain_refusal(session, p)
        return [PostedMovement(written[0], *row, balance_after=BalanceAfter(*written[1:]))]
    balances = [_apply(session, conn, p) for p in ordered]
    ids = sorted(conn.execute(_INSERT_MOVEMENTS, [dict(zip(_MOVEMENT_COLUMNS, row, strict=True))
                                                  for row in rows]).scalars())
    return [PostedMovement(movement_id, *row, balance_after=balance)
            for movement_id, row, balance in zip(ids, rows, balances, strict=True)]


# ---------------------------------------------------------------- stock changes

# The stock changes take the item and the location as rows or as ids (the use cases in
# inventory.services resolve codes to ids through the memo, `item_id_by_sku`, and load no row).
ItemRef = Item | int
LocationRef = Location | int


def _id(row: Item | Location | int) -> int:
    return row if isinstance(row, int) else row.id


def receive(session: Session, item: ItemRef, location: LocationRef, quantity: int,
            cause: Cause) -> PostedMovement:
    check_quantity(quantity)
    return post(session, [Posting("receipt", _id(item), _id(location), on_hand=quantity)],
                cause)[0]


def adjust(session: Session, item: ItemRef, location: LocationRef, delta: int, cause: Cause,
           *, kind: str = "adjustment") -> PostedMovement:
    check_quantity(delta, allow_negative=True)
    return post(session, [Posting(kind, _id(item), _id(location), on_hand=delta)], cause)[0]


def damage(session: Session, item: ItemRef, location: LocationRef, quantity: int,
           cause: Cause) -> PostedMovement:
    check_quantity(quantity)
    return post(session, [Posting("damage", _id(item), _id(location), on_hand=-quantity)],
                cause)[0]


def count(session: Session, item: ItemRef, location: LocationRef, counted: int,
          cause: Cause) -> PostedMovement | None:
    """The counted quantity becomes the truth; the difference is recorded. None if it matched."""
    check_quantity(counted, field="quantity", allow_zero=True)
    item_id, location_id = _id(item), _id(location)
    _ensure_balance_row(session, item_id, location_id)
    balance = session.scalars(
        select(Balance).where(Balance.item_id == item_id, Balance.location_id == location_id)
        .with_for_update()
    ).first()
    held = balance.on_hand if balance else 0
    if counted == held:
        return None
    return adjust(session, item_id, location_id, counted - held, cause, kind="cycle_count")


def _ensure_balance_row(session: Session, item_id: int, location_id: int) -> None:
    """Create an all-zero balance if none exists, so that a read-then-write (a count) can lock
    it: concurrent first counts then queue on the row instead of adding up."""
    upsert = dialect_insert(session)
    session.execute(upsert(Balance).values(
        item_id=item_id, location_id=location_id, on_hand=0, reserved=0, safety_stock=0,
        in_transit=0).on_conflict_do_nothing(index_elements=[Balance.item_id,
                                                             Balance.location_id]))


def set_safety_stock(session: Session, item: Item, location: Location, quantity: int) -> Balance:
    check_quantity(quantity, field="safety_stock", allow_zero=True)
    upsert = dialect_insert(session)
    session.execute(upsert(Balance).values(
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
    stmt = _GUARD_EXCLUSIVE if exclusive else _GUARD_SHARED
    return dict(_connection(session).execute(stmt, {"skus": wanted}).all())


# Built once: every allocation takes the guard (order intake, on every order).
_GUARD = (select(Item.sku, Item.id).where(Item.sku.in_(bindparam("skus", expanding=True)))
          .order_by(Item.id))
_GUARD_SHARED = _GUARD.with_for_update(read=True)
_GUARD_EXCLUSIVE = _GUARD.with_for_update(key_share=True)


def reserve(session: Session, lines: Iterable[tuple[int, int, int]], demand_ref: str,
            cause: Cause, *, ignore_safety_stock: bool = False) -> int:
    """All-or-nothing: reserve every (item_id, location_id, quantity) for `demand_ref`, or
    raise InsufficientStock and leave the caller's transaction as it was (a savepoint when
    it takes one). Returns the number of movements written (see `reserve_lines`)."""
    if not demand_ref:
        raise InvalidInput("demand_ref", "is required")
    return reserve_lines(session, [(item_id, location_id, quantity, demand_ref)
                                   for item_id, location_id, quantity in lines],
                         cause, ignore_safety_stock=ignore_safety_stock)


def reserve_lines(session: Session, lines: Sequence[tuple[int, int, int, str]], cause: Cause,
                  *, savepoint: bool = True, ignore_safety_stock: bool = False) -> int:
    """Reserve (item_id, location_id, quantity, demand_ref) lines, for one demand or several,
    all or nothing. Returns the number of movements written (one per item, location and
    demand: lines naming the same three add up).

    The reservation hot path, in as few statements as the guarantees allow:
    1. one guarded UPDATE per (item, location), in (item, location) order (the lock order),
       for the sum of what every demand wants there; its row count decides, so under
       concurrency PostgreSQL's re-check after a row lock is what refuses; a refusal raises
       InsufficientStock with what is available (as every posting does);
    2. ONE multi-row INSERT of the reservation movements;
    3. ONE multi-row upsert of the reservation rows, in (item, location, demand) order.

    With `savepoint` (the default) a refusal leaves the caller's transaction as it was. A
    savepoint is taken only when there are several balances to change: with one, the single
    guarded UPDATE refuses before anything is written. `savepoint=False` never issues one, for
    callers whose whole transaction is rolled back (and retried) on InsufficientStock: the
    updates before a refused one then stay in the transaction until that rollback.
    `ignore_safety_stock`: the units may come out of safety stock (a transfer's promised
    units arriving for their demand)."""
    wanted: dict[tuple[int, int, str], int] = {}
    for item_id, location_id, quantity, demand_ref in lines:
        if not demand_ref:
            raise InvalidInput("demand_ref", "is required")
        check_quantity(quantity)
        key = (item_id, location_id, demand_ref)
        wanted[key] = wanted.get(key, 0) + quantity
    if not wanted:
        return 0
    per_balance: dict[tuple[int, int], int] = {}
    for (item_id, location_id, _demand), quantity in wanted.items():
        per_balance[(item_id, location_id)] = per_balance.get((item_id, location_id),
                                                              0) + quantity
    if savepoint and len(per_balance) > 1:
        with session.begin_nested():
            # The SAVEPOINT is emitted when the nested transaction asks for its connection.
            _write_reservations(session, _connection(session), per_balance, wanted, cause,
                                ignore_safety_stock)
    else:
        _write_reservations(session, _connection(session), per_balance, wanted, cause,
                            ignore_safety_stock)
    return len(wanted)


# PostgreSQL: the reservation movements and the reservation rows in ONE round trip, with SQL
# text that does not depend on the number of lines (compiled once, kept prepared): each column
# travels as an array, `unnest` turns them back into rows in (item, location, demand) order,
# the movements are written by a data-modifying CTE.
_RESERVATION_ROWS = text("""
WITH wanted AS (
    SELECT * FROM unnest(CAST(:item_id AS integer[]), CAST(:location_id AS integer[]),
                         CAST(:demand_ref AS text[]), CAST(:quantity AS integer[]))
                  WITH ORDINALITY AS w(item_id, location_id, demand_ref, quantity, n)
), movements AS (
    INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                               in_transit_delta, demand_ref, reference, actor, note, created_at)
    SELECT 'reservation', item_id, location_id, 0, quantity, 0, demand_ref, :reference,
           :actor, :note, :now
    FROM wanted ORDER BY n
)
INSERT INTO inv_reservations (item_id, location_id, demand_ref, quantity, created_at,
                              updated_at)
SELECT item_id, location_id, demand_ref, quantity, :now, :now FROM wanted ORDER BY n
ON CONFLICT (item_id, location_id, demand_ref)
DO UPDATE SET quantity = inv_reservations.quantity + excluded.quantity,
              updated_at = excluded.updated_at
""")


def _write_reservations(session: Session, conn: Connection,
                        per_balance: dict[tuple[int, int], int],
                        wanted: dict[tuple[int, int, str], int], cause: Cause,
                        ignore_safety_stock: bool) -> None:
    guarded = _GUARDED_UPDATE if ignore_safety_stock else _GUARDED_UPDATE_NEEDING_AVAILABLE
    for (item_id, location_id), quantity in sorted(per_balance.items()):
        result = conn.execute(guarded, {"i": item_id, "l": location_id, "d_on_hand": 0,
                                        "d_reserved": quantity, "d_in_transit": 0,
                                        "need": quantity})
        if result.first() is None:
            metrics.OVERSELL_REFUSALS.inc()
            _explain_refusal(session, Posting(
                "reservation", item_id, location_id, reserved=quantity,
                need_available=None if ignore_safety_stock else quantity))
    now = utcnow()
    ordered = sorted(wanted.items())
    if conn.dialect.name == "postgresql":
        conn.execute(_RESERVATION_ROWS, {
            "item_id": [i for (i, _, _), _ in ordered],
            "location_id": [lo for (_, lo, _), _ in ordered],
            "demand_ref": [d for (_, _, d), _ in ordered],
            "quantity": [q for _, q in ordered],
            "reference": cause.reference, "actor": cause.actor, "note": cause.note, "now": now})
        return
    conn.execute(_INSERT_MOVEMENTS, [
        {"kind": "reservation", "item_id": item_id, "location_id": location_id,
         "on_hand_delta": 0, "reserved_delta": quantity, "in_transit_delta": 0,
         "counter_location_id": None, "transfer_id": None, "demand_ref": demand_ref,
         "reference": cause.reference, "actor": cause.actor, "note": cause.note,
         "created_at": now}
        for (item_id, location_id, demand_ref), quantity in ordered])
    conn.execute(_reservation_upsert(conn.dialect.name), [
        {"item_id": item_id, "location_id": location_id, "demand_ref": demand_ref,
         "quantity": quantity, "created_at": now, "updated_at": now}
        for (item_id, location_id, demand_ref), quantity in ordered])


# Take from a demand's reservation row where it holds enough (its row count decides); built once.
_TAKE_RESERVATION = update(_RESERVATIONS).where(
    _RESERVATIONS.c.item_id == bindparam("i"), _RESERVATIONS.c.location_id == bindparam("l"),
    _RESERVATIONS.c.demand_ref == bindparam("demand"),
    _RESERVATIONS.c.quantity >= bindparam("q"),
).values(quantity=_RESERVATIONS.c.quantity - bindparam("q"), updated_at=bindparam("now"))


def _take_reservation(session: Session, item_id: int, location_id: int, demand_ref: str,
                      quantity: int) -> None:
    result = _connection(session).execute(_TAKE_RESERVATION, {
        "i": item_id, "l": location_id, "demand": demand_ref, "q": quantity, "now": utcnow()})
    if cast(CursorResult[Any], result).rowcount != 1:
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
            quantity: int, cause: Cause) -> PostedMovement:
    check_quantity(quantity)
    return _out_of_reservation(session, Posting("release", item_id, location_id,
                                                reserved=-quantity, demand_ref=demand_ref),
                               cause)


def release_demand(session: Session, demand_ref: str, cause: Cause) -> list[PostedMovement]:
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
            cause: Cause) -> PostedMovement:
    """The reserved units physically leave: shipped, or handed over at the counter."""
    check_quantity(quantity)
    return _out_of_reservation(session, Posting("shipment", item_id, location_id,
                                                on_hand=-quantity, reserved=-quantity,
                                                demand_ref=demand_ref), cause)


def _out_of_reservation(session: Session, p: Posting, cause: Cause) -> PostedMovement:
    """Balance row first, reservation row second: the same lock order as `reserve`, so a
    demand topped up and released concurrently cannot deadlock. The savepoint undoes the
    balance change when the demand holds less than asked."""
    assert p.demand_ref is not None  # callers post out of a named demand's reservation
    with session.begin_nested():
        return _post_then_take(session, [p], cause, p.item_id, p.location_id, p.demand_ref,
                               -p.reserved)[0]


def _post_then_take(session: Session, postings: list[Posting], cause: Cause, item_id: int,
                    location_id: int, demand_ref: str, quantity: int) -> list[PostedMovement]:
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
             cause: Cause) -> PostedMovement:
    """A carry-out sale: unreserved stock leaves at once (a POS till). Safety stock is no
    bar: the customer is holding the goods."""
    check_quantity(quantity)
    return post(session, [Posting("shipment", item_id, location_id, on_hand=-quantity,
                                  demand_ref=demand_ref)], cause)[0]


def restock_return(session: Session, item_id: int, location_id: int, quantity: int,
                   cause: Cause, *, demand_ref: str | None = None) -> PostedMovement:
    check_quantity(quantity)
    return post(session, [Posting("return_restock", item_id, location_id, on_hand=quantity,
                                  demand_ref=demand_ref)], cause)[0]


def balance_of(session: Session, item_id: int, location_id: int) -> Balance:
    """The balance row, or an all-zero one when nothing was ever posted there."""
    balance = session.scalars(select(Balance).where(
        Balance.item_id == item_id, Balance.location_id == location_id)).first()
    return balance or Balance(item_id=item_id, location_id=location_id, on_hand=0, reserved=0,
                              safety_stock=0, in_transit=0)
