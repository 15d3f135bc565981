"""Inventory use cases: codes and primitives in, one transaction, plain results out.

These are what the API, the CLI and jobs call. Each commits once. Other packages that need a
stock change inside their own transaction call `inventory.ledger` directly instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from core.db import unit_of_work
from core.errors import Conflict, InvalidInput
from inventory import ledger
from inventory.ledger import Cause
from inventory.models import Item, Location, Movement
from inventory.views import balance_view, item_view, location_view, movement_view, transfer_view


def _add_unique(row: Location | Item, key: str, view: Callable[[Any], dict]) -> dict:
    """Insert a catalogue row; a clash on its unique `key` is a 409 naming that field."""
    with unit_of_work() as session:
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            value = getattr(row, key)
            raise Conflict(f"{key} '{value}' already exists",
                           fields={key: ["already exists"]}) from exc
        result = view(row)
        session.commit()
    return result


def create_location(data: dict[str, Any]) -> dict:
    return _add_unique(Location(**data), "code", location_view)


def create_item(data: dict[str, Any]) -> dict:
    price = Decimal(str(data["price"])) + 0  # + 0 turns -0 into 0
    if not price.is_finite() or price < 0:
        raise InvalidInput("price", "must be a non-negative amount")
    if price != price.quantize(Decimal("0.01")):
        raise InvalidInput("price", "must have at most 2 decimals")
    return _add_unique(Item(**{**data, "price": price}), "sku", item_view)


def _one_movement(kind: str, sku: str, location_code: str, quantity: int,
                  cause: Cause) -> dict:
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku)
        location = ledger.location_by_code(session, location_code)
        operation = {
            "receipt": ledger.receive,
            "adjustment": ledger.adjust,
            "damage": ledger.damage,
            "cycle_count": ledger.count,
        }[kind]
        movement: Movement | None = operation(session, item, location, quantity, cause)
        balance = ledger.balance_of(session, item.id, location.id)
        result = {
            "movements": [movement_view(movement, sku, location_code)] if movement else [],
            "balance": balance_view(balance, location),
        }
        session.commit()
    return result


def receive(sku: str, location: str, quantity: int, cause: Cause) -> dict:
    return _one_movement("receipt", sku, location, quantity, cause)


def adjust(sku: str, location: str, delta: int, cause: Cause) -> dict:
    return _one_movement("adjustment", sku, location, delta, cause)


def damage(sku: str, location: str, quantity: int, cause: Cause) -> dict:
    return _one_movement("damage", sku, location, quantity, cause)


def count(sku: str, location: str, counted: int, cause: Cause) -> dict:
    return _one_movement("cycle_count", sku, location, counted, cause)


def transfer(sku: str, source: str, destination: str, quantity: int, cause: Cause,
             *, demand_ref: str | None = None) -> dict:
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku)
        src = ledger.location_by_code(session, source)
        dst = ledger.location_by_code(session, destination, field="to_location")
        moved = ledger.ship_transfer(session, item, src, dst, quantity, cause,
                                     demand_ref=demand_ref)
        view = transfer_view(moved, sku, src.code, dst.code)
        session.commit()
    return view


def receive_transfer(transfer_id: int, cause: Cause, quantity: int | None = None) -> dict:
    with unit_of_work() as session:
        moved = ledger.receive_transfer(session, transfer_id, cause, quantity)
        view = transfer_view(moved, session.get(Item, moved.item_id).sku,
                             session.get(Location, moved.from_location_id).code,
                             session.get(Location, moved.to_location_id).code)
        session.commit()
    return view


def set_safety_stock(sku: str, location: str, quantity: int) -> dict:
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku, field=None)
        loc = ledger.location_by_code(session, location, field=None)
        balance = ledger.set_safety_stock(session, item, loc, quantity)
        view = balance_view(balance, loc)
        session.commit()
    return view


def reserve(lines: Sequence[tuple[str, str, int]], demand_ref: str, cause: Cause) -> int:
    """Reserve (sku, location, quantity) lines for one demand, all or nothing.
    Returns the number of movements written."""
    with unit_of_work() as session:
        resolved = [(ledger.item_by_sku(session, sku).id,
                     ledger.location_by_code(session, code).id, qty)
                    for sku, code, qty in lines]
        movements = ledger.reserve(session, resolved, demand_ref, cause)
        session.commit()
    return len(movements)


def release(sku: str, location: str, quantity: int, demand_ref: str, cause: Cause) -> None:
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, location)
        ledger.release(session, item.id, loc.id, demand_ref, quantity, cause)
        session.commit()


def release_in_transit(sku: str, destination: str, quantity: int, demand_ref: str) -> int:
    """The demand gives up units travelling to `destination` for it; returns how many."""
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, destination)
        released = ledger.release_in_transit(session, item.id, loc.id, demand_ref, quantity)
        session.commit()
    return released


def release_demand(demand_ref: str, cause: Cause) -> int:
    with unit_of_work() as session:
        released = ledger.release_demand(session, demand_ref, cause)
        session.commit()
    return len(released)


def consume(sku: str, location: str, quantity: int, demand_ref: str, cause: Cause) -> None:
    with unit_of_work() as session:
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, location)
        ledger.consume(session, item.id, loc.id, demand_ref, quantity, cause)
        session.commit()
