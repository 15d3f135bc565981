"""Order and customer rules as plain Python: statuses, how they roll up, which changes are legal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.errors import Conflict

CHANNELS = ("shopify", "web", "pos", "marketplace", "phone", "store")
FULFILLMENT_METHODS = ("ship", "pickup", "carry_out")
IDENTITY_KINDS = ("email", "phone", "account")
CONTACT_CHANNELS = ("phone", "chat", "email", "store", "social", "other")

ORDER_STATUSES = (
    "received",             # stored, not yet routed
    "on_hold",              # kept as the channel sent it, nothing reserved: something it
                            # names is not known here yet (a SKU, a channel location)
    "routed",               # every open unit reserved at a node
    "backordered",          # some units wait for stock that the network does not have
    "needs_attention",      # some units could not be placed (no stock, no backorder; or a
                            # pickup store lacks them and the policy asks the customer)
    "partially_fulfilled",  # some units shipped or handed over
    "fulfilled",            # every unit not cancelled is shipped or handed over
    "closed",
    "cancelled",
)
TERMINAL = frozenset({"closed", "cancelled"})
HOLD_CODES = ("unknown_sku", "unmapped_location")

# The legal moves. Status is derived from line counts (see `rolled_up_status`); this table is
# the invariant that the derivation never produces an impossible jump.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    # A held order leaves the hold as a new order would start (received, then routed), or
    # is cancelled; nothing else happens to it while it waits (oms/holds.py).
    "on_hold": frozenset({"received", "cancelled"}),
    "received": frozenset({"routed", "backordered", "needs_attention", "fulfilled",
                           "partially_fulfilled", "cancelled", "on_hold"}),
    "routed": frozenset({"backordered", "needs_attention", "partially_fulfilled", "fulfilled",
                         "cancelled", "received"}),
    "backordered": frozenset({"routed", "needs_attention", "partially_fulfilled", "fulfilled",
                              "cancelled", "received"}),
    "needs_attention": frozenset({"routed", "backordered", "partially_fulfilled", "fulfilled",
                                  "cancelled", "received"}),
    "partially_fulfilled": frozenset({"fulfilled", "cancelled", "backordered",
                                      "needs_attention", "routed"}),
    "fulfilled": frozenset({"closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


class Owed(Protocol):
    """What `open_units` reads (read-only, so frozen snapshots qualify)."""

    @property
    def quantity(self) -> int: ...
    @property
    def cancelled(self) -> int: ...
    @property
    def fulfilled(self) -> int: ...


class Placed(Owed, Protocol):
    """What `unplaced_units` reads: an `OrderLine` row, a snapshot of one, or `LineCounts`."""

    @property
    def allocated(self) -> int: ...
    @property
    def backordered(self) -> int: ...


class Counted(Protocol):
    """What an order line counts and the steps below change: an `OrderLine` row."""

    quantity: int
    allocated: int
    backordered: int
    fulfilled: int
    cancelled: int


class Returnable(Protocol):
    """What `mark_returned` changes: an `OrderLine` row."""

    fulfilled: int
    returned: int


class Priced(Protocol):
    quantity: int
    cancelled: int
    unit_price: Decimal


# Per line: ordered = cancelled + fulfilled + allocated + backordered + unplaced, and
# 0 <= returned <= fulfilled (returned units were handed over first).

def open_units(line: Owed) -> int:
    """Units still owed to the customer: neither cancelled nor shipped/handed over."""
    return line.quantity - line.cancelled - line.fulfilled


def unplaced_units(line: Placed) -> int:
    """Open units that hold no stock and wait for no backorder: routing's work."""
    return open_units(line) - line.allocated - line.backordered


def fulfil(line: Counted, quantity: int) -> None:
    """Allocated units left the node (shipped, handed over): allocated -> fulfilled."""
    if not 0 < quantity <= line.allocated:
        raise Conflict(f"cannot fulfil {quantity} unit(s): only {line.allocated} allocated")
    line.allocated -= quantity
    line.fulfilled += quantity


def mark_returned(line: Returnable, quantity: int) -> None:
    """Handed-over units came under a return (negative: a cancelled return gives them back).
    Returned units are a subset of fulfilled ones: 0 <= returned <= fulfilled."""
    if not -line.returned <= quantity <= line.fulfilled - line.returned or quantity == 0:
        raise Conflict(f"cannot return {quantity} unit(s): {line.fulfilled} handed over, "
                       f"{line.returned} returned already")
    line.returned += quantity


def unallocate(line: Counted, quantity: int) -> None:
    """Allocated units were released (rejected, short, re-routed): back to unplaced."""
    if not 0 <= quantity <= line.allocated:
        raise Conflict(f"cannot release {quantity} unit(s): only {line.allocated} allocated")
    line.allocated -= quantity


def open_subtotal(lines: Iterable[Priced]) -> Decimal:
    """What the order's lines come to once cancelled units are taken off (exact: prices
    have two decimals, so no rounding happens here)."""
    return sum((ln.unit_price * (ln.quantity - ln.cancelled) for ln in lines), Decimal("0"))


@dataclass(frozen=True)
class LineCounts:
    quantity: int
    allocated: int
    backordered: int
    fulfilled: int
    cancelled: int

    @property
    def unplaced(self) -> int:
        return unplaced_units(self)


def rolled_up_status(lines: Iterable[LineCounts], *, routed_once: bool,
                     held: bool = False) -> str:
    lines = list(lines)
    owed = sum(c.quantity - c.cancelled for c in lines)
    fulfilled = sum(c.fulfilled for c in lines)
    if owed == 0:
        return "cancelled"
    if held:
        return "on_hold"   # only a release (or cancelling every unit) ends a hold
    if fulfilled == owed:
        return "fulfilled"
    if fulfilled:
        return "partially_fulfilled"
    if not routed_once:
        return "received"
    if any(c.unplaced for c in lines):
        return "needs_attention"
    if any(c.backordered for c in lines):
        return "backordered"
    return "routed"


def check_transition(current: str, new: str) -> None:
    if new != current and new not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(f"an order cannot go from {current} to {new}",
                       current=current, requested=new)


def promise_refusal(promised: dt.date | None, method: str, today: dt.date) -> str | None:
    """Why an order cannot carry this promised delivery date, or None when it can. A
    counter sale is handed over at the till (there is no delivery to promise); a date before
    today nobody can keep. Today itself is a date routing may find no node for, which is the
    customer-service case the promise exists to raise, not a bad input."""
    if promised is None:
        return None
    if method == "carry_out":
        return "a carry_out sale is handed over at the till: there is no delivery to promise"
    if promised < today:
        return f"must not be before today ({today.isoformat()})"
    return None
