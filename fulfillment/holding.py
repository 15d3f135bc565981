"""Where a fulfillment line's reserved units are right now, and giving them back.

A line's units are reserved at its source location. A pickup line fed by a transfer is the
exception: its units sit reserved at the sender until the transfer ships, then travel to the
store with their demand (the transfer promises them to it), then are reserved at the store once
received, until the pickup is promoted and the line's source becomes the store. Whoever cancels,
rejects or expires such a line must find its units at whichever of those stages they are.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fulfillment.models import FulfillmentLine
from inventory import ledger
from inventory.ledger import Cause


def give_back(session: Session, line: FulfillmentLine, item_id: int, source_id: int,
              held_for_id: int, quantity: int, cause: Cause) -> int:
    """Release up to `quantity` of the line's units wherever they are: at its source
    (`source_id`), on the road to, or arrived at, the location of its fulfillment
    (`held_for_id`, the pickup store). Returns how many were released."""
    left = quantity - _release_held(session, item_id, source_id, line, quantity, cause)
    if left and source_id != held_for_id:
        left -= ledger.release_in_transit(session, item_id, held_for_id, line.demand_ref, left)
        left -= _release_held(session, item_id, held_for_id, line, left, cause)
    return quantity - left


def _release_held(session: Session, item_id: int, location_id: int, line: FulfillmentLine,
                  quantity: int, cause: Cause) -> int:
    take = min(quantity, ledger.held(session, item_id, location_id, line.demand_ref))
    if take:
        ledger.release(session, item_id, location_id, line.demand_ref, take, cause)
    return take
