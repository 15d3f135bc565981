"""Load the demo retailer through the same services and importer real data goes through.
Idempotent: locations and items that exist are left alone, and stock is loaded as absolute
counts, so a second run records no movement."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from core.db import read_session
from core.staff import create_staff_user, find_user, set_password
from inventory import importer, services
from inventory.models import Item, Location, Movement
from oms import demo_data

DEMO_ACTOR = "demo-loader"


def _csv(rows: list[tuple[str, str, int]], safety: dict[tuple[str, str], int]) -> str:
    lines = ["sku,location,quantity,safety_stock"]
    lines += [f"{sku},{code},{qty},{safety.get((sku, code), 0)}" for sku, code, qty in rows]
    return "\n".join(lines) + "\n"


def load_demo(progress: Callable[[str], None] = lambda _msg: None) -> str:
    locations = demo_data.WAREHOUSES + demo_data.STORES
    items = demo_data.catalog()
    with read_session() as session:
        have_codes = set(session.scalars(select(Location.code)))
        have_skus = set(session.scalars(select(Item.sku)))
    new_locations = [loc for loc in locations if loc["code"] not in have_codes]
    for loc in new_locations:
        services.create_location(loc)
    progress(f"locations: {len(new_locations)} added, {len(locations)} in the demo")
    new_items = [item for item in items if item["sku"] not in have_skus]
    for item in new_items:
        services.create_item({**item, "currency": demo_data.DEMO_RETAILER["currency"]})
    progress(f"items: {len(new_items)} added, {len(items)} in the demo")
    with read_session() as session:
        stocked = session.scalar(select(Movement.id).where(Movement.actor == DEMO_ACTOR).limit(1))
    if stocked is not None:
        # Stock loaded before: re-counting now would undo what orders have done since.
        return (f"demo retailer '{demo_data.DEMO_RETAILER['name']}' already loaded: "
                f"{len(locations)} locations, {len(items)} SKUs; stock left as it is")
    plan = demo_data.stock_plan(items, locations)
    safety = {(sku, code): qty for sku, code, qty in demo_data.safety_stock_plan(items, locations)}
    report = importer.import_counts("demo-stock.csv", DEMO_ACTOR, text=_csv(plan, safety))
    if report.errors:
        raise RuntimeError(f"demo stock did not load: {report.errors[:5]}")
    return (f"demo retailer '{demo_data.DEMO_RETAILER['name']}': {len(locations)} locations, "
            f"{len(items)} SKUs, {report.rows} stock rows ({report.changed} changed, "
            f"{report.unchanged} unchanged)")


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    location: str | None
    password: str


# One per role: store staff at the demo's SoHo store, a CS rep, an admin.
DEMO_USERS = (("demo-store", "store", "store-nyc-soho"), ("demo-cs", "cs", None),
              ("demo-admin", "admin", None))


def ensure_demo_users() -> list[DemoUser]:
    """Create the demo users, or give the existing ones new passwords: only a hash is kept,
    so a password can be shown only when it is set. Safe to run again."""
    users = []
    for username, role, location in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        if find_user(username) is None:
            create_staff_user(username, role, password, location)
        else:
            set_password(username, password)
        users.append(DemoUser(username, role, location, password))
    return users
