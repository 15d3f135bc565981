"""Read side of fulfillment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fulfillment.models import Fulfillment


def fulfillment_view(f: Fulfillment) -> dict:
    return {
        "id": f.id, "location": f.location_code, "method": f.method, "status": f.status,
        "status_reason": f.status_reason, "transfer_to": f.transfer_to,
        "assigned_on": f.assigned_on.isoformat(),
        "lines": [{"order_line_id": ln.order_line_id, "sku": ln.sku, "quantity": ln.quantity,
                   "source_location": ln.source_location} for ln in f.lines],
    }


def for_order(session: Session, order_id: int) -> list[dict]:
    rows = session.scalars(select(Fulfillment).where(Fulfillment.order_id == order_id)
                           .options(selectinload(Fulfillment.lines))
                           .order_by(Fulfillment.id)).all()
    return [fulfillment_view(f) for f in rows]
