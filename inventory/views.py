"""Plain-dict renderings of ledger rows, shared by services, queries and the API."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from inventory.models import Balance, Item, Location, Movement, Transfer

if TYPE_CHECKING:
    from inventory.ledger import PostedMovement


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def location_view(loc: Location) -> dict:
    return {
        "code": loc.code, "name": loc.name, "kind": loc.kind,
        "latitude": loc.latitude, "longitude": loc.longitude,
        "ships": loc.ships, "pickup": loc.pickup, "priority": loc.priority,
        "daily_capacity": loc.daily_capacity, "city": loc.city, "region": loc.region,
        "country": loc.country, "postal_code": loc.postal_code, "active": loc.active,
    }


def item_view(item: Item) -> dict:
    return {"sku": item.sku, "name": item.name, "price": f"{item.price:.2f}",
            "currency": item.currency, "weight_grams": item.weight_grams}


def balance_view(balance: Balance, loc: Location, distance_km: float | None = None) -> dict:
    return balance_fields(loc.code, loc.name, loc.kind, balance.on_hand, balance.reserved,
                          balance.safety_stock, balance.in_transit, distance_km)


def balance_fields(code: str, name: str, kind: str, on_hand: int, reserved: int,
                   safety_stock: int, in_transit: int,
                   distance_km: float | None = None) -> dict:
    """A balance at a location from plain values (what the hot paths read with Core); the
    same rendering as `balance_view`. Available never goes negative (see Balance.available)."""
    view = {
        "location": code, "location_name": name, "kind": kind,
        "on_hand": on_hand, "reserved": reserved, "safety_stock": safety_stock,
        "available": max(0, on_hand - reserved - safety_stock), "in_transit": in_transit,
    }
    if distance_km is not None:
        view["distance_km"] = round(distance_km, 1)
    return view


def movement_view(m: Movement | PostedMovement, sku: str, location_code: str,
                  counter_code: str | None = None) -> dict:
    return {
        "id": m.id, "kind": m.kind, "sku": sku, "location": location_code,
        "on_hand_delta": m.on_hand_delta, "reserved_delta": m.reserved_delta,
        "in_transit_delta": m.in_transit_delta, "counter_location": counter_code,
        "transfer_id": m.transfer_id, "demand_ref": m.demand_ref, "reference": m.reference,
        "actor": m.actor, "note": m.note, "created_at": iso(m.created_at),
    }


def transfer_view(t: Transfer, sku: str, source: str, destination: str) -> dict:
    return {
        "id": t.id, "sku": sku, "from_location": source, "to_location": destination,
        "quantity": t.quantity, "received_quantity": t.received_quantity, "status": t.status,
        "demand_ref": t.demand_ref, "reserved_on_arrival": t.carried_quantity,
        "reference": t.reference,
        "created_at": iso(t.created_at), "received_at": iso(t.received_at),
    }
