"""Session-level reads for planners in other packages: what each node can promise now."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from inventory.models import Balance, Item, Location

_FREE = Balance.on_hand - Balance.reserved - Balance.safety_stock
# Built once (routing reads it on every order); only positive free stock comes back.
_AVAILABILITY = (
    select(Item.sku, Location.code, _FREE)
    .join(Item, Item.id == Balance.item_id)
    .join(Location, Location.id == Balance.location_id)
    .where(Item.sku.in_(bindparam("skus", expanding=True)), Location.active.is_(True),
           _FREE > 0))


def availability(session: Session, skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """Available-to-promise (on hand - reserved - safety stock, when positive) per SKU per
    active location code. Read on the session's connection (a Core read: nothing of the
    session's own needs flushing for it, the ledger writes with Core statements)."""
    skus = list(dict.fromkeys(skus))
    snapshot: dict[str, dict[str, int]] = {sku: {} for sku in skus}
    for sku, code, free in session.connection().execute(_AVAILABILITY, {"skus": skus}):
        snapshot[sku][code] = free
    return snapshot


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
