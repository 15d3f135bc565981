"""Shopify orders we cannot process yet become orders on hold (`oms.holds`), not failed events:
a line whose SKU is not one of our items, or a pickup / POS till at a Shopify location the shop
has not mapped. Customer service finds them like any order; they are released when the item is
created or the location mapped (`flask integrations shopify add-shop DOMAIN --location
ID=CODE`), by oms's periodic job or by hand.

oms cannot read the shop's location map (it must not import integrations), so the held order
keeps `{"shop", "shopify_location"}` and `resolve_location`, registered with oms at start-up,
maps it at release time. Other payload problems (no SKU on a line, fields of the wrong shape)
still fail the event, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.models import ShopifyShop
from integrations.shopify import translate
from integrations.shopify.shops import Shop
from integrations.shopify.translate import Delivery, UnmappedLocation
from oms import holds
from oms.orders import PlaceOrder


def delivery_or_hold(shop: Shop, order: dict[str, Any],
                     delivery_for: Callable[[Shop, dict[str, Any]], Delivery]
                     ) -> tuple[Delivery, holds.LocationProblem | None]:
    """How the order is delivered, or (at an unmapped location) what it is and why it must
    wait. An unmapped location that names no location at all still fails the event."""
    try:
        return delivery_for(shop, order), None
    except UnmappedLocation as exc:
        if exc.shopify_location is None:
            raise
        problem = holds.LocationProblem(
            str(exc), exc.method, {"shop": shop.domain, "shopify_location": exc.shopify_location})
        return Delivery(exc.method, None, "unmapped_location", str(exc)), problem


def result(intake: holds.Intake) -> dict[str, Any]:
    out: dict[str, Any] = {"order_id": intake.order_id, "created": intake.created}
    if intake.on_hold:
        out.update(on_hold=True, hold_code=intake.hold_code, hold_reason=intake.hold_reason)
    return out


def resolve_location(session: Session, detail: dict[str, Any]) -> str | None:
    """oms asks, for a held Shopify order: is its location mapped now, and to what?"""
    domain, shopify_location = detail.get("shop"), detail.get("shopify_location")
    if not domain or not shopify_location:
        return None
    row = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == domain)).first()
    return (row.location_map or {}).get(str(shopify_location)) if row else None


def register() -> None:
    holds.register_location_resolver(translate.CHANNEL, resolve_location)


def _current_lines(cmd: PlaceOrder, order: Mapping[str, Any]) -> PlaceOrder:
    """A held order keeps what the customer still orders: Shopify's current quantities
    (units removed by an edit are simply not there; nothing was reserved for them)."""
    items = order.get("line_items") or []
    kept = tuple(translate.line_input(item, translate.current_quantity(item),
                                      applications=order.get("discount_applications") or [],
                                      taxes_included=cmd.taxes_included)
                 for item in items if translate.current_quantity(item) > 0)
    return replace(cmd, lines=kept) if kept else cmd


def refresh(shop: Shop, order: dict[str, Any], order_id: int,
            delivery_for: Callable[[Shop, dict[str, Any]], Delivery], *, actor: str,
            force: bool, base: dict[str, Any]) -> dict[str, Any] | None:
    """orders/updated for a held order: its content becomes Shopify's current order, then the
    release is tried at once (the edit may have replaced the unknown SKU). None when the order
    was released meanwhile (the caller applies the update as to any order)."""
    delivery, problem = delivery_or_hold(shop, order, delivery_for)
    cmd = _current_lines(translate.to_place_order(order, shop.domain, delivery, actor=actor),
                         order)
    done = holds.refresh_held(order_id, cmd, location=problem, force=force)
    if done == "not_held":
        return None
    out: dict[str, Any] = {**base, "order_id": order_id, "on_hold": True}
    if done == "stale":
        return {**out, "reason": "stale"}
    released = holds.release(order_id, actor=actor, source=translate.CHANNEL)
    out.update(applied=["held order refreshed"] if done == "refreshed" else [],
               on_hold=not released.released, status=released.status,
               hold_code=released.hold_code, hold_reason=released.hold_reason)
    return out
