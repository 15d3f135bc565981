"""Session-level reads for planners in other packages: what each node can promise now."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Balance, Item, Location


def availability(session: Session, skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """Available-to-promise (on hand - reserved - safety stock, when positive) per SKU per
    active location code."""
    skus = list(dict.fromkeys(skus))
    rows = session.execute(
        select(Item.sku, Location.code, Balance.on_hand, Balance.reserved, Balance.safety_stock)
        .join(Item, Item.id == Balance.item_id)
        .join(Location, Location.id == Balance.location_id)
        .where(Item.sku.in_(skus), Location.active.is_(True))
    ).all()
    snapshot: dict[str, dict[str, int]] = {sku: {} for sku in skus}
    for sku, code, on_hand, reserved, safety in rows:
        free = on_hand - reserved - safety
        if free > 0:
            snapshot[sku][code] = free
    return snapshot


def active_locations(session: Session) -> list[Location]:
    return list(session.scalars(
        select(Location).where(Location.active.is_(True)).order_by(Location.code)))


def item_ids(session: Session, skus: Iterable[str]) -> dict[str, int]:
    return dict(session.execute(select(Item.sku, Item.id).where(Item.sku.in_(set(skus)))).all())


def item_names(session: Session, skus: Iterable[str]) -> dict[str, str]:
    """The catalogue's product name per SKU (for pick lists and order lines)."""
    skus = set(skus)
    if not skus:
        return {}
    return dict(session.execute(select(Item.sku, Item.name).where(Item.sku.in_(skus))).all())


def location_ids(session: Session, codes: Iterable[str]) -> dict[str, int]:
    return dict(session.execute(
        select(Location.code, Location.id).where(Location.code.in_(set(codes)))).all())


def lock_for_assignment(session: Session, codes: Iterable[str]) -> dict[str, int | None]:
    """Serialise whoever assigns work to these locations, and return their daily capacity as
    it is now. FOR NO KEY UPDATE: it orders assigners against each other but does not block
    the movements, balances and reservations that reference the location (they take only a
    key-share lock on it). SQLite serialises writers already."""
    rows = session.execute(
        select(Location.code, Location.daily_capacity)
        .where(Location.code.in_(sorted(set(codes)))).order_by(Location.id)
        .with_for_update(key_share=True)).all()
    return dict(rows)
