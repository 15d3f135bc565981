"""Read side of fulfillment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.db import read_session
from fulfillment.models import Fulfillment

SHIP_TO_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code",
                  "country")


def label_address(ship_to: Mapping[str, Any] | None, customer_name: str | None,
                  phone: str | None) -> dict[str, Any] | None:
    """The ship-to as a label shows it: the address's own fields (not its coordinates), its
    name or else the customer's, its phone or else the customer's."""
    if not ship_to:
        return None
    label = {k: ship_to.get(k) for k in SHIP_TO_FIELDS}
    label["name"] = label["name"] or customer_name
    label["phone"] = ship_to.get("phone") or phone
    return label


def _iso(value) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def fulfillment_view(f: Fulfillment) -> dict:
    """A fulfillment with what the node needs to pick, pack and label it: the order's
    number and channel, the ship-to (name, address, phone) of a shipment, the customer's name
    and phone (a pickup is handed to them), and each line's SKU and product name."""
    return {
        "id": f.id, "order_id": f.order_id, "order_number": f.order_number,
        "channel": f.channel, "location": f.location_code, "method": f.method,
        "status": f.status,
        "status_reason": f.status_reason, "transfer_to": f.transfer_to,
        "customer": {"name": f.customer_name, "phone": f.customer_phone},
        "ship_to": (label_address(f.ship_to, f.customer_name, f.customer_phone)
                    if f.method == "ship" else None),
        "assigned_on": f.assigned_on.isoformat(),
        "claimed_by": f.claimed_by, "lease_expires_at": _iso(f.lease_expires_at),
        "picked_at": _iso(f.picked_at), "carrier": f.carrier,
        "tracking_number": f.tracking_number, "shipped_at": _iso(f.shipped_at),
        "ready_at": _iso(f.ready_at), "pickup_expires_at": _iso(f.pickup_expires_at),
        "picked_up_at": _iso(f.picked_up_at),
        "lines": [{"line_id": ln.order_line_id, "order_line_id": ln.order_line_id,
                   "sku": ln.sku, "name": ln.name, "quantity": ln.quantity,
                   "picked_quantity": ln.picked_quantity,
                   "source_location": ln.source_location} for ln in f.lines],
    }


TRACKING_MIN_LENGTH = 6  # shorter text is not worth a look-up (no carrier's number is)


def tracking_forms(typed: str) -> list[str]:
    """What a tracking number read out on the phone may be stored as: as typed, and upper-case
    without spaces or dashes ("1z 999 aa1" -> "1Z999AA1"). Carriers print them in capitals,
    often grouped, and a node records what it scanned; each form is one equality on the
    `tracking_number` index, so no function index is needed."""
    as_typed = typed.strip()
    if len(as_typed) < TRACKING_MIN_LENGTH or len(as_typed) > 100:
        return []
    compact = "".join(ch for ch in as_typed if ch not in " -").upper()
    return list(dict.fromkeys((as_typed, compact)))


def orders_with_tracking(session: Session, tracking_number: str) -> list[int]:
    """Order ids whose parcels carry this tracking number, in any case and grouping (for
    order search)."""
    forms = tracking_forms(tracking_number)
    if not forms:
        return []
    return list(session.scalars(select(Fulfillment.order_id).where(
        Fulfillment.tracking_number.in_(forms)).distinct()))


def orders_with_work_at(location_code: str):
    """A subquery of the order ids with work at a location (shipping, pickup, or a transfer
    sent there), for order listings filtered by location."""
    return select(Fulfillment.order_id).where(or_(Fulfillment.location_code == location_code,
                                                  Fulfillment.transfer_to == location_code))


def for_order(session: Session, order_id: int) -> list[dict]:
    rows = session.scalars(select(Fulfillment).where(Fulfillment.order_id == order_id)
                           .options(selectinload(Fulfillment.lines))
                           .order_by(Fulfillment.id)).all()
    return [fulfillment_view(f) for f in rows]


def pickups_expiring(before: dt.datetime, limit: int = 50) -> dict:
    """Pickups ready and waiting whose window ends before `before` (also those already past it
    that the expiry job has not cancelled yet), soonest first: how many, and the first
    `limit` with who collects and what."""
    due = (Fulfillment.status == "ready_for_pickup", Fulfillment.pickup_expires_at < before)
    with read_session() as session:
        total = session.scalar(select(func.count()).select_from(Fulfillment).where(*due))
        rows = session.scalars(select(Fulfillment).where(*due)
                               .options(selectinload(Fulfillment.lines))
                               .order_by(Fulfillment.pickup_expires_at, Fulfillment.id)
                               .limit(limit)).all()
        return {"total": int(total or 0), "items": [fulfillment_view(f) for f in rows]}
