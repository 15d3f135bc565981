"""`inventory.queries.stock_for_sku` (the network availability read, rewritten as one prebuilt
statement over plain rows) answers exactly what the ORM version before it answered: the
reference below is that version, kept here as the contract's oracle. Both databases."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from core.db import read_session
from core.errors import InvalidInput, NotFound
from core.geo import distance_km
from inventory import ledger, queries, services
from inventory.models import Balance, Location
from inventory.views import balance_view
from tests.support import CAUSE, assert_ledger_clean


def reference(sku: str, origin: tuple[float, float] | None = None, kind: str | None = None,
              min_available: int = 0, here: str | None = None) -> dict:
    """stock_for_sku as of a40bb6e (ORM rows, then the views)."""
    with read_session() as session:
        item = ledger.item_by_sku(session, sku, field=None)
        stmt = (select(Balance, Location).join(Location, Location.id == Balance.location_id)
                .where(Balance.item_id == item.id))
        if kind:
            stmt = stmt.where(Location.kind == kind)
        rows = [(b, loc) for b, loc in session.execute(stmt)]
        here_loc = ledger.location_by_code(session, here, field="near") if here else None
    if here_loc is not None and (not kind or here_loc.kind == kind) and not any(
            loc.id == here_loc.id for _, loc in rows):
        rows.append((Balance(on_hand=0, reserved=0, safety_stock=0, in_transit=0), here_loc))
    totals = dict.fromkeys(queries.TOTAL_FIELDS, 0)
    views = []
    for balance, loc in rows:
        distance = (distance_km(origin[0], origin[1], loc.latitude, loc.longitude)
                    if origin else None)
        view = balance_view(balance, loc, distance)
        for name in queries.TOTAL_FIELDS:
            totals[name] += view[name]
        if view["available"] >= min_available or loc.code == here:
            views.append(view)
    if origin:
        views.sort(key=lambda v: (v["distance_km"], v["location"]))
    else:
        views.sort(key=lambda v: v["location"])
    return {"sku": item.sku, "name": item.name, "network": totals, "locations": views}


@pytest.fixture(autouse=True)
def stocked(network):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.receive("JKT-1", "store-chicago", 5, CAUSE)
    services.set_safety_stock("JKT-1", "store-chicago", 7)  # safety above on hand: 0 free
    services.reserve([("JKT-1", "store-soho", 2)], "order:1", CAUSE)
    services.transfer("JKT-1", "dc-east", "store-brooklyn", 4, CAUSE)  # in transit there
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    yield
    assert_ledger_clean()


def test_the_answer_is_the_one_the_orm_version_gave():
    origins = [None, (40.7128, -74.0060), (41.88, -87.63)]
    kinds = [None, "store", "warehouse"]
    minimums = [0, 1, 3]
    heres = [None, "store-soho", "dc-central", "store-brooklyn"]
    for sku in ("JKT-1", "BOOT-1", "SOCK-1"):  # SOCK-1 was never stocked anywhere
        for origin, kind, minimum, here in itertools.product(origins, kinds, minimums, heres):
            got = queries.stock_for_sku(sku, origin, kind=kind, min_available=minimum,
                                        here=here)
            assert got == reference(sku, origin, kind=kind, min_available=minimum, here=here), (
                sku, origin, kind, minimum, here)


def test_a_shape_worth_reading_once():
    got = queries.stock_for_sku("JKT-1", here="dc-central")
    assert got["network"] == {"on_hand": 14, "reserved": 2, "safety_stock": 7, "available": 7,
                              "in_transit": 4}
    assert [row["location"] for row in got["locations"]] == [
        "dc-central", "dc-east", "store-brooklyn", "store-chicago", "store-soho"]
    assert got["locations"][0] == {
        "location": "dc-central", "location_name": "DC Central", "kind": "warehouse",
        "on_hand": 0, "reserved": 0, "safety_stock": 0, "available": 0, "in_transit": 0}


def test_unknown_sku_and_unknown_here():
    with pytest.raises(NotFound):
        queries.stock_for_sku("NOPE")
    with pytest.raises(InvalidInput) as err:
        queries.stock_for_sku("JKT-1", here="nowhere")
    assert "near" in err.value.fields
