"""Load the demo retailer through the same services and importer real data goes through.
Idempotent: locations and items that exist are left alone, and stock is loaded as absolute
counts, so a second run records no movement."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.db import read_session
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
