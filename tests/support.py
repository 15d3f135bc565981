"""Helpers for building small networks and checking the ledger in tests."""

from __future__ import annotations

from sqlalchemy import func, select, update

from core.db import read_session, unit_of_work
from inventory import services
from inventory.invariants import find_drift
from inventory.ledger import Cause
from inventory.models import Location, Movement
from oms.invariants import find_line_drift

CAUSE = Cause(actor="test", reference="test")

# A tiny network: two warehouses and three stores around New York and Chicago.
LOCATIONS = [
    dict(code="dc-east", name="DC East", kind="warehouse", latitude=40.73, longitude=-74.17,
         ships=True, pickup=False, priority=10),
    dict(code="dc-central", name="DC Central", kind="warehouse", latitude=41.88,
         longitude=-87.63, ships=True, pickup=False, priority=10),
    dict(code="store-soho", name="SoHo", kind="store", latitude=40.7233, longitude=-73.9985,
         ships=True, pickup=True, priority=1),
    dict(code="store-brooklyn", name="Brooklyn", kind="store", latitude=40.6782,
         longitude=-73.9442, ships=False, pickup=True, priority=0),
    dict(code="store-chicago", name="Chicago", kind="store", latitude=41.8925,
         longitude=-87.6244, ships=True, pickup=True, priority=0),
]
ITEMS = [
    dict(sku="JKT-1", name="Jacket", price="120.00", weight_grams=900),
    dict(sku="BOOT-1", name="Boot", price="160.00", weight_grams=1400),
    dict(sku="SOCK-1", name="Sock", price="12.50", weight_grams=80),
]


def build_network() -> None:
    for loc in LOCATIONS:
        services.create_location(loc)
    for item in ITEMS:
        services.create_item(item)


def assert_ledger_clean() -> None:
    """The ledger's invariants and the order lines' (which read the ledger too)."""
    with read_session() as session:
        drifts = [*map(str, find_drift(session)), *map(str, find_line_drift(session))]
    assert drifts == [], "\n".join(drifts)


def movement_count() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Movement))


def balance(sku: str, location: str) -> dict:
    from inventory import queries

    rows = queries.stock_for_sku(sku)["locations"]
    for row in rows:
        if row["location"] == location:
            return row
    return {"on_hand": 0, "reserved": 0, "safety_stock": 0, "available": 0, "in_transit": 0}


def set_daily_capacity(location: str, capacity: int | None) -> None:
    """Set a node's daily capacity directly (the API to change it is not the point here)."""
    with unit_of_work() as uow:
        session = uow.session
        session.execute(update(Location).where(Location.code == location)
                        .values(daily_capacity=capacity))
        uow.commit()
