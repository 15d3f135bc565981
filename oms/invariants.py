"""The order side's invariants, written once and checked by `flask oms verify`, the tests
after every scenario, and the randomized concurrency test after every round (the ledger's
own are in `inventory.invariants`).

Per order line:
1. counts_add_up: quantity = cancelled + fulfilled + allocated + backordered + unplaced, with
   every term >= 0 (unplaced units are routing's work; they hold nothing).
2. allocated_matches_open_work: `allocated` equals the units its open shipping and pickup work
   holds (transfers feed a pickup and are counted through it).
3. returned_within_fulfilled: 0 <= returned <= fulfilled (only handed-over units come back).
4. allocated_matches_ledger: `allocated` equals what the ledger holds for the line's demand
   (reserved anywhere, or carried on the road by its transfers); so nothing stays reserved
   for a cancelled or fulfilled unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fulfillment.models import OPEN_STATUSES, Fulfillment, FulfillmentLine
from inventory.invariants import held_by_demand
from oms.domain import unplaced_units
from oms.models import Order, OrderLine


@dataclass(frozen=True)
class LineDrift:
    invariant: str
    order_number: str
    line_id: int
    sku: str
    recorded: str
    expected: str

    def __str__(self) -> str:
        return (f"{self.invariant}: order {self.order_number} line {self.line_id} ({self.sku}): "
                f"{self.recorded}, expected {self.expected}")


def find_line_drift(session: Session) -> list[LineDrift]:
    open_work = dict(session.execute(
        select(FulfillmentLine.order_line_id, func.sum(FulfillmentLine.quantity))
        .join(Fulfillment, Fulfillment.id == FulfillmentLine.fulfillment_id)
        .where(Fulfillment.status.in_(OPEN_STATUSES), Fulfillment.method != "transfer")
        .group_by(FulfillmentLine.order_line_id)).all())
    held = held_by_demand(session)
    found: list[LineDrift] = []
    rows = session.execute(select(OrderLine, Order.number)
                           .join(Order, Order.id == OrderLine.order_id)
                           .order_by(OrderLine.id))
    for line, number in rows:
        def drift(invariant: str, recorded: str, expected: str, ln: OrderLine = line,
                  num: str = number) -> None:
            found.append(LineDrift(invariant, num, ln.id, ln.sku, recorded, expected))

        counts = (line.cancelled, line.fulfilled, line.allocated, line.backordered)
        if min(counts) < 0 or unplaced_units(line) < 0:
            drift("counts_add_up",
                  f"quantity {line.quantity} = cancelled {line.cancelled} + fulfilled "
                  f"{line.fulfilled} + allocated {line.allocated} + backordered "
                  f"{line.backordered} + unplaced {unplaced_units(line)}",
                  "every term >= 0")
        if not 0 <= line.returned <= line.fulfilled:
            drift("returned_within_fulfilled", f"returned {line.returned}",
                  f"0 to fulfilled {line.fulfilled}")
        working = int(open_work.get(line.id) or 0)
        if line.allocated != working:
            drift("allocated_matches_open_work", f"allocated {line.allocated}",
                  f"{working} held by open work")
        in_ledger = held.get(line.demand_ref, 0)
        if line.allocated != in_ledger:
            drift("allocated_matches_ledger", f"allocated {line.allocated}",
                  f"{in_ledger} held in the ledger")
    return found
