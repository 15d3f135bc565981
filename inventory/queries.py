"""Read side of the ledger: stock across the network, per location, near a point; history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, func, join, or_, outerjoin, select
from sqlalchemy.orm import aliased

from core.db import get_database, read_session
from core.errors import InvalidInput, NotFound
from core.geo import distance_km
from core.http import MAX_BIG_ID, decode_cursor, encode_cursor
from inventory import ledger, snapshot
from inventory.models import Balance, Item, Location, Movement, Transfer
from inventory.views import (
    balance_fields,
    balance_view,
    item_view,
    location_view,
    movement_view,
    transfer_view,
)

TOTAL_FIELDS = ("on_hand", "reserved", "safety_stock", "available", "in_transit")


def list_locations(kind: str | None = None) -> list[dict]:
    with read_session() as session:
        stmt = select(Location).order_by(Location.code)
        if kind:
            stmt = stmt.where(Location.kind == kind)
        return [location_view(loc) for loc in session.scalars(stmt)]


def get_location(code: str) -> dict:
    with read_session() as session:
        return location_view(ledger.location_by_code(session, code, field=None))


def get_item(sku: str) -> dict:
    with read_session() as session:
        return item_view(ledger.item_by_sku(session, sku, field=None))


def find_items(text: str, limit: int = 20) -> list[dict]:
    """Items for what someone typed or scanned: the item whose SKU it is (as typed or in
    upper case, by the unique index) first, then those whose name or SKU contains every word
    of it, in any case ("alpine jack" finds "Alpine Jacket - Black, M"), by name; at most
    `limit`. Part-of-name matching scans the catalogue (fine for tens of thousands of items)."""
    term = text.strip()
    words = term.lower().split()
    if not words:
        return []
    with read_session() as session:
        exact = session.scalars(select(Item).where(
            or_(Item.sku == term, Item.sku == term.upper())).limit(1)).first()
        matches = session.scalars(
            select(Item).where(and_(*(
                or_(func.lower(Item.name).contains(word, autoescape=True),
                    func.lower(Item.sku).contains(word, autoescape=True))
                for word in words)))
            .order_by(Item.name, Item.sku).limit(limit)).all()
    found = [exact] if exact is not None else []
    found += [item for item in matches if exact is None or item.id != exact.id]
    return [item_view(item) for item in found[:limit]]


def list_items(limit: int, cursor: str | None) -> dict:
    after = decode_cursor(cursor)
    with read_session() as session:
        stmt = select(Item).order_by(Item.id).limit(limit + 1)
        if after is not None:
            stmt = stmt.where(Item.id > after)
        rows = session.scalars(stmt).all()
    return _page([item_view(i) for i in rows[:limit]], rows, limit, key=lambda i: i.id)


def _page(views: list, rows: Sequence[Any], limit: int, key) -> dict:
    more = len(rows) > limit
    return {"items": views, "next_cursor": encode_cursor(key(rows[limit - 1])) if more else None}


def resolve_origin(near: str | None, latitude: float | None,
                   longitude: float | None) -> tuple[float, float] | None:
    if near:
        with read_session() as session:
            loc = ledger.location_by_code(session, near, field="near")
            return (loc.latitude, loc.longitude)
    if latitude is not None and longitude is not None:
        return (latitude, longitude)
    return None


def _stock_statement(*, by_kind: bool):
    """One SKU's balances with their locations, in one statement: the item LEFT JOIN its
    balances (each joined to its location, of one kind with `by_kind`), so an unknown SKU
    gives no row and a SKU never stocked one row of NULLs."""
    at = and_(Location.id == Balance.location_id,
              *([Location.kind == bindparam("kind")] if by_kind else []))
    return (select(Item.sku, Item.name, Location.code, Location.name, Location.kind,
                   Location.latitude, Location.longitude, Balance.on_hand, Balance.reserved,
                   Balance.safety_stock, Balance.in_transit)
            .select_from(outerjoin(Item, join(Balance, Location, at),
                                   Balance.item_id == Item.id))
            .where(Item.sku == bindparam("sku")))


# Built once (see the hot path in inventory.ledger): the network availability of a SKU is the
# read every store lookup and channel stock check makes.
_STOCK_FOR_SKU = _stock_statement(by_kind=False)
_STOCK_FOR_SKU_OF_KIND = _stock_statement(by_kind=True)
_PLACE = select(Location.code, Location.name, Location.kind, Location.latitude,
                Location.longitude).where(Location.code == bindparam("code"))


@contextmanager
def _single_statement_reads() -> Iterator[Connection]:
    """A pooled connection in autocommit, for a read that is one statement (a statement is its
    own consistent snapshot): PostgreSQL gets no BEGIN and no COMMIT, two round trips fewer
    than a read session, and psycopg keeps its prepared statements (nothing rolls back)."""
    with get_database().engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def stock_for_sku(sku: str, origin: tuple[float, float] | None = None,
                  kind: str | None = None, min_available: int = 0,
                  here: str | None = None) -> dict:
    """One SKU across the network: a row per location that ever held it, and totals.
    With an origin, rows are sorted by distance and carry `distance_km`. The location `here`
    (the `near` of a lookup at a store) is always listed, with zeros when it never held the
    SKU and whatever `min_available` asks, so staff see "none here" rather than nothing
    (unless `kind` filters its kind out).

    The hot read: one prebuilt statement (a second one only for a `here` that holds none),
    plain rows, no ORM objects."""
    with _single_statement_reads() as conn:
        if kind:
            rows = conn.execute(_STOCK_FOR_SKU_OF_KIND, {"sku": sku, "kind": kind}).all()
        else:
            rows = conn.execute(_STOCK_FOR_SKU, {"sku": sku}).all()
        if not rows:
            raise NotFound(f"unknown SKU '{sku}'")
        # (code, name, kind, latitude, longitude, on_hand, reserved, safety_stock, in_transit)
        places = [row[2:] for row in rows if row[2] is not None]
        if here is not None and not any(place[0] == here for place in places):
            place = conn.execute(_PLACE, {"code": here}).first()
            if place is None:
                raise InvalidInput("near", f"unknown location '{here}'")
            if not kind or place[2] == kind:
                places.append((*place, 0, 0, 0, 0))
    totals = dict.fromkeys(TOTAL_FIELDS, 0)
    views = []
    for code, name, loc_kind, latitude, longitude, on_hand, reserved, safety, moving in places:
        distance = distance_km(origin[0], origin[1], latitude, longitude) if origin else None
        view = balance_fields(code, name, loc_kind, on_hand, reserved, safety, moving, distance)
        for field in TOTAL_FIELDS:
            totals[field] += view[field]
        if view["available"] >= min_available or code == here:
            views.append(view)
    if origin:
        views.sort(key=lambda v: (v["distance_km"], v["location"]))
    else:
        views.sort(key=lambda v: v["location"])
    return {"sku": rows[0][0], "name": rows[0][1], "network": totals, "locations": views}


def nearest_with_stock(sku: str, origin: tuple[float, float], quantity: int = 1,
                       kind: str | None = "store", limit: int = 5,
                       exclude: str | None = None) -> list[dict]:
    """Locations able to promise `quantity` now, nearest first."""
    stock = stock_for_sku(sku, origin, kind=kind, min_available=quantity)
    return [row for row in stock["locations"] if row["location"] != exclude][:limit]


def stock_at_location(code: str, limit: int, cursor: str | None,
                      only_available: bool = False) -> dict:
    after = decode_cursor(cursor)
    with read_session() as session:
        loc = ledger.location_by_code(session, code, field=None)
        stmt = (select(Balance, Item).join(Item, Item.id == Balance.item_id)
                .where(Balance.location_id == loc.id).order_by(Balance.item_id).limit(limit + 1))
        if after is not None:
            stmt = stmt.where(Balance.item_id > after)
        if only_available:
            stmt = stmt.where(Balance.on_hand - Balance.reserved - Balance.safety_stock > 0)
        rows = session.execute(stmt).all()
    views = [{"sku": item.sku, "name": item.name, **balance_view(b, loc)}
             for b, item in rows[:limit]]
    page = _page(views, rows, limit, key=lambda r: r[0].item_id)
    page["location"] = location_view(loc)
    return page


def movement_history(sku: str, location: str | None, limit: int, cursor: str | None) -> dict:
    """The ledger for a SKU, newest first."""
    before = decode_cursor(cursor, maximum=MAX_BIG_ID)
    counter = aliased(Location)
    with read_session() as session:
        item = ledger.item_by_sku(session, sku, field=None)
        stmt = (select(Movement, Location.code, counter.code)
                .join(Location, Location.id == Movement.location_id)
                .outerjoin(counter, counter.id == Movement.counter_location_id)
                .where(Movement.item_id == item.id)
                .order_by(Movement.id.desc()).limit(limit + 1))
        if location:
            loc = ledger.location_by_code(session, location)
            stmt = stmt.where(Movement.location_id == loc.id)
        if before is not None:
            stmt = stmt.where(Movement.id < before)
        rows = session.execute(stmt).all()
    views = [movement_view(m, sku, code, counter_code) for m, code, counter_code in rows[:limit]]
    return _page(views, rows, limit, key=lambda r: r[0].id)


def list_transfers(location: str | None = None, status: str | None = None,
                   limit: int = 50, cursor: str | None = None) -> dict:
    """Newest first, a page at a time: `{"items": [...], "next_cursor": ...}`."""
    before = decode_cursor(cursor)
    source, destination = aliased(Location), aliased(Location)
    with read_session() as session:
        stmt = (select(Transfer, Item.sku, source.code, destination.code)
                .join(Item, Item.id == Transfer.item_id)
                .join(source, source.id == Transfer.from_location_id)
                .join(destination, destination.id == Transfer.to_location_id)
                .order_by(Transfer.id.desc()).limit(limit + 1))
        if location:
            loc = ledger.location_by_code(session, location)
            stmt = stmt.where((Transfer.from_location_id == loc.id)
                              | (Transfer.to_location_id == loc.id))
        if status:
            stmt = stmt.where(Transfer.status == status)
        if before is not None:
            stmt = stmt.where(Transfer.id < before)
        rows = session.execute(stmt).all()
    views = [transfer_view(t, sku, s, d) for t, sku, s, d in rows[:limit]]
    return _page(views, rows, limit, key=lambda r: r[0].id)


def transfer_movements(transfer_id: int) -> list[dict]:
    counter = aliased(Location)
    with read_session() as session:
        rows = session.execute(
            select(Movement, Item.sku, Location.code, counter.code)
            .join(Item, Item.id == Movement.item_id)
            .join(Location, Location.id == Movement.location_id)
            .outerjoin(counter, counter.id == Movement.counter_location_id)
            .where(Movement.transfer_id == transfer_id).order_by(Movement.id)
        ).all()
    return [movement_view(m, sku, code, other) for m, sku, code, other in rows]


def transfer_destination(transfer_id: int) -> str | None:
    """The code a transfer goes to, or None for an id that names no transfer."""
    with read_session() as session:
        t = session.get(Transfer, transfer_id)
        if t is None:
            return None
        destination = session.get(Location, t.to_location_id)
        assert destination is not None  # foreign key
        return destination.code


def availability(skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """Available-to-promise per SKU per location code: the snapshot routing plans against."""
    with read_session() as session:
        return snapshot.availability(session, skus)


def low_stock(threshold: int, location: str | None = None, limit: int = 20) -> dict:
    """Balances at active locations whose available stock (on hand less reserved and safety
    stock) is at or below `threshold`: per location how many SKUs are low and how many of
    them have none available, and the lowest `limit` rows (of `location` when given). Only
    SKUs a location holds a balance for (has ever held) count there."""
    free = Balance.on_hand - Balance.reserved - Balance.safety_stock
    low = (free <= threshold, Location.active.is_(True))
    with read_session() as session:
        per_location = session.execute(
            select(Location.code, Location.name, Location.kind, func.count(),
                   func.sum(case((free <= 0, 1), else_=0)))
            .join(Balance, Balance.location_id == Location.id).where(*low)
            .group_by(Location.code, Location.name, Location.kind)
            .order_by(func.count().desc(), Location.code)).all()
        stmt = (select(Balance, Item, Location).join(Item, Item.id == Balance.item_id)
                .join(Location, Location.id == Balance.location_id).where(*low)
                .order_by(free, Location.code, Item.sku).limit(limit))
        if location:
            stmt = stmt.where(Location.id == ledger.location_by_code(
                session, location, field="low_at").id)
        rows = session.execute(stmt).all()
    return {
        "threshold": threshold,
        "locations": [{"location": code, "name": name, "kind": kind, "low": int(n),
                       "none_available": int(none or 0)}
                      for code, name, kind, n, none in per_location],
        "items": [{"sku": item.sku, "name": item.name, **balance_view(b, loc)}
                  for b, item, loc in rows],
    }
