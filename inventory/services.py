"""Inventory use cases: codes and primitives in, one transaction, plain results out.

These are what the API, the CLI and jobs call. Each commits once. Other packages that need a
stock change inside their own transaction call `inventory.ledger` directly instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Joined, UnitOfWork, run_in_unit_of_work, unit_of_work
from core.errors import Conflict, InvalidInput
from inventory import ledger, metrics
from inventory.ledger import Cause, PostedMovement
from inventory.models import Item, Location
from inventory.views import (
    balance_fields,
    balance_view,
    item_view,
    location_view,
    movement_view,
    transfer_view,
)


def _add_unique(row: Location | Item, key: str, view: Callable[[Any], dict],
                joined: Joined = ()) -> dict:
    """Insert a catalogue row; a clash on its unique `key` is a 409 naming that field."""
    with unit_of_work(joined=joined) as uow:
        session = uow.session
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            value = getattr(row, key)
            raise Conflict(f"{key} '{value}' already exists",
                           fields={key: ["already exists"]}) from exc
        result = view(row)
        uow.commit()
    return result


def create_location(data: dict[str, Any], *, joined: Joined = ()) -> dict:
    return _add_unique(Location(**data), "code", location_view, joined)


def create_item(data: dict[str, Any], *, joined: Joined = ()) -> dict:
    price = Decimal(str(data["price"])) + 0  # + 0 turns -0 into 0
    if not price.is_finite() or price < 0:
        raise InvalidInput("price", "must be a non-negative amount")
    if price != price.quantize(Decimal("0.01")):
        raise InvalidInput("price", "must have at most 2 decimals")
    return _add_unique(Item(**{**data, "price": price}), "sku", item_view, joined)


def _one_movement(kind: str, sku: str, location_code: str, quantity: int,
                  cause: Cause, joined: Joined = ()) -> dict:
    """The movement use cases' hot path: the item's id and the location's names from the memo
    (no row loaded), the posting's prebuilt statements, and the answer's balance as the
    guarded write returned it (no read after the write)."""
    def work(uow: UnitOfWork) -> dict:
        session = uow.session
        item_id = ledger.item_id_by_sku(session, sku)
        location = ledger.known_location(session, location_code)
        operations: dict[str, Callable[[Session, int, int, int, Cause],
                                       PostedMovement | None]] = {
            "receipt": ledger.receive,
            "adjustment": ledger.adjust,
            "damage": ledger.damage,
            "cycle_count": ledger.count,
        }
        movement = operations[kind](session, item_id, location.id, quantity, cause)
        if movement is None:  # a count that matched: nothing written, read the balance
            balance = ledger.balance_of(session, item_id, location.id)
            after = ledger.BalanceAfter(balance.on_hand, balance.reserved,
                                        balance.safety_stock, balance.in_transit)
        else:
            after = movement.balance_after
        return {
            "movements": [movement_view(movement, sku, location.code)] if movement else [],
            "balance": balance_fields(location.code, location.name, location.kind, *after),
        }

    return run_in_unit_of_work(work, joined=joined)


def receive(sku: str, location: str, quantity: int, cause: Cause, *, joined: Joined = ()) -> dict:
    return _one_movement("receipt", sku, location, quantity, cause, joined)


def adjust(sku: str, location: str, delta: int, cause: Cause, *, joined: Joined = ()) -> dict:
    return _one_movement("adjustment", sku, location, delta, cause, joined)


def damage(sku: str, location: str, quantity: int, cause: Cause, *, joined: Joined = ()) -> dict:
    return _one_movement("damage", sku, location, quantity, cause, joined)


def count(sku: str, location: str, counted: int, cause: Cause, *, joined: Joined = ()) -> dict:
    return _one_movement("cycle_count", sku, location, counted, cause, joined)


def transfer(sku: str, source: str, destination: str, quantity: int, cause: Cause,
             *, demand_ref: str | None = None, joined: Joined = ()) -> dict:
    def work(uow: UnitOfWork) -> dict:
        session = uow.session
        item = ledger.item_by_sku(session, sku)
        src = ledger.location_by_code(session, source)
        dst = ledger.location_by_code(session, destination, field="to_location")
        moved = ledger.ship_transfer(session, item, src, dst, quantity, cause,
                                     demand_ref=demand_ref)
        return transfer_view(moved, sku, src.code, dst.code)

    return run_in_unit_of_work(work, joined=joined)


def receive_transfer(transfer_id: int, cause: Cause, quantity: int | None = None, *,
                     joined: Joined = ()) -> dict:
    with unit_of_work(joined=joined) as uow:
        view = transfer_received(uow.session, transfer_id, cause, quantity)
        uow.commit()
    return view


def transfer_received(session: Session, transfer_id: int, cause: Cause,
                      quantity: int | None = None) -> dict:
    """Receive a transfer (or part of it) inside the caller's transaction; its view. For use
    cases above inventory that do more on arrival (fulfillment promotes pickups)."""
    moved = ledger.receive_transfer(session, transfer_id, cause, quantity)
    item = session.get(Item, moved.item_id)
    source = session.get(Location, moved.from_location_id)
    destination = session.get(Location, moved.to_location_id)
    assert item is not None and source is not None and destination is not None  # foreign keys
    return transfer_view(moved, item.sku, source.code, destination.code)


def set_safety_stock(sku: str, location: str, quantity: int) -> dict:
    with unit_of_work() as uow:
        session = uow.session
        item = ledger.item_by_sku(session, sku, field=None)
        loc = ledger.location_by_code(session, location, field=None)
        balance = ledger.set_safety_stock(session, item, loc, quantity)
        view = balance_view(balance, loc)
        uow.commit()
    return view


def reserve(lines: Sequence[tuple[str, str, int]], demand_ref: str, cause: Cause) -> int:
    """Reserve (sku, location, quantity) lines for one demand, all or nothing.
    Returns the number of movements written."""
    with unit_of_work() as uow:
        session = uow.session
        resolved = [(ledger.item_id_by_sku(session, sku),
                     ledger.location_id_by_code(session, code), qty, demand_ref)
                    for sku, code, qty in lines]
        if not demand_ref:
            raise InvalidInput("demand_ref", "is required")
        # No savepoint: this transaction is ours alone, and a refusal rolls all of it back.
        written = ledger.reserve_lines(session, resolved, cause, savepoint=False)
        metrics.reserved(uow, written, sum(qty for _, _, qty in lines))
        uow.commit()
    return written


def release(sku: str, location: str, quantity: int, demand_ref: str, cause: Cause) -> None:
    with unit_of_work() as uow:
        session = uow.session
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, location)
        ledger.release(session, item.id, loc.id, demand_ref, quantity, cause)
        uow.commit()


def release_in_transit(sku: str, destination: str, quantity: int, demand_ref: str) -> int:
    """The demand gives up units travelling to `destination` for it; returns how many."""
    with unit_of_work() as uow:
        session = uow.session
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, destination)
        released = ledger.release_in_transit(session, item.id, loc.id, demand_ref, quantity)
        uow.commit()
    return released


def release_demand(demand_ref: str, cause: Cause) -> int:
    with unit_of_work() as uow:
        session = uow.session
        released = ledger.release_demand(session, demand_ref, cause)
        uow.commit()
    return len(released)


def consume(sku: str, location: str, quantity: int, demand_ref: str, cause: Cause) -> None:
    with unit_of_work() as uow:
        session = uow.session
        item = ledger.item_by_sku(session, sku)
        loc = ledger.location_by_code(session, location)
        ledger.consume(session, item.id, loc.id, demand_ref, quantity, cause)
        uow.commit()
