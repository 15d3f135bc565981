"""The ledger's invariants, written once and checked by `flask inventory verify` and by the
tests after every scenario (beancount's `check_invariants` idea).

1. balance_matches_ledger: each balance's on_hand, reserved and in_transit equal the sums of
   the movements posted at that (item, location).
2. reserved_matches_open_demand: each balance's reserved equals the sum of its open
   reservations.
3. in_transit_matches_open_transfers: each balance's in_transit equals what open transfers to
   that location still carry.
4. no_negative_stock: on_hand, reserved, in_transit >= 0 and reserved <= on_hand (the database
   CHECK constraints enforce this too; verified here so drift is reported, not just refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import Balance, Item, Location, Movement, Reservation, Transfer

Key = tuple[int, int]


@dataclass(frozen=True)
class Drift:
    invariant: str
    sku: str
    location: str
    field: str
    recorded: int
    expected: int

    def __str__(self) -> str:
        return (f"{self.invariant}: {self.sku} at {self.location}: {self.field} is "
                f"{self.recorded}, ledger says {self.expected}")


def _sums(session: Session, stmt) -> dict[Key, tuple[int, ...]]:
    return {(row[0], row[1]): tuple(int(v or 0) for v in row[2:]) for row in session.execute(stmt)}


def find_drift(session: Session) -> list[Drift]:
    balances = {
        (b.item_id, b.location_id): b for b in session.scalars(select(Balance))
    }
    ledger = _sums(session, select(
        Movement.item_id, Movement.location_id, func.sum(Movement.on_hand_delta),
        func.sum(Movement.reserved_delta), func.sum(Movement.in_transit_delta),
    ).group_by(Movement.item_id, Movement.location_id))
    reservations = _sums(session, select(
        Reservation.item_id, Reservation.location_id, func.sum(Reservation.quantity),
    ).group_by(Reservation.item_id, Reservation.location_id))
    transfers = _sums(session, select(
        Transfer.item_id, Transfer.to_location_id,
        func.sum(Transfer.quantity - Transfer.received_quantity),
    ).group_by(Transfer.item_id, Transfer.to_location_id))

    found: list[tuple[str, Key, str, int, int]] = []
    for key in sorted(set(balances) | set(ledger) | set(reservations) | set(transfers)):
        b = balances.get(key)
        held = (b.on_hand, b.reserved, b.in_transit) if b else (0, 0, 0)
        sums = ledger.get(key, (0, 0, 0))
        for name, h, s in zip(("on_hand", "reserved", "in_transit"), held, sums, strict=True):
            if h != s:
                found.append(("balance_matches_ledger", key, name, h, s))
        open_demand = reservations.get(key, (0,))[0]
        if held[1] != open_demand:
            found.append(("reserved_matches_open_demand", key, "reserved", held[1], open_demand))
        open_transfers = transfers.get(key, (0,))[0]
        if held[2] != open_transfers:
            found.append(("in_transit_matches_open_transfers", key, "in_transit", held[2],
                          open_transfers))
        if b and (b.on_hand < 0 or b.reserved < 0 or b.in_transit < 0
                  or b.reserved > b.on_hand):
            found.append(("no_negative_stock", key, "on_hand", b.on_hand, b.reserved))
    if not found:
        return []
    skus = dict(session.execute(select(Item.id, Item.sku)).all())
    codes = dict(session.execute(select(Location.id, Location.code)).all())
    drifts = []
    for invariant, (item_id, location_id), name, held_value, expected in found:
        drifts.append(Drift(invariant, skus.get(item_id, str(item_id)),
                            codes.get(location_id, str(location_id)), name, held_value, expected))
    return drifts


def summary(session: Session) -> dict[str, int]:
    return {
        "balances": session.scalar(select(func.count()).select_from(Balance)) or 0,
        "movements": session.scalar(select(func.count()).select_from(Movement)) or 0,
        "open_reservations": session.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.quantity > 0)) or 0,
    }


def held_by_demand(session: Session) -> dict[str, int]:
    """What each demand holds in the ledger: units reserved for it anywhere, plus units on
    the road that its transfers still carry (re-reserved for it on arrival)."""
    held: dict[str, int] = {}
    for ref, qty in session.execute(select(Reservation.demand_ref, func.sum(Reservation.quantity))
                                    .group_by(Reservation.demand_ref)):
        held[ref] = held.get(ref, 0) + int(qty or 0)
    for carried_for, qty in session.execute(
            select(Transfer.demand_ref, func.sum(Transfer.carried_quantity))
            .where(Transfer.demand_ref.is_not(None)).group_by(Transfer.demand_ref)):
        assert carried_for is not None  # filtered above
        held[carried_for] = held.get(carried_for, 0) + int(qty or 0)
    return {ref: qty for ref, qty in held.items() if qty}
