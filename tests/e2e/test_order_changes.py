"""Each change to an order records its own kind and updates what it changes; reads never
write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import read_session
from inventory import services
from oms.models import OutboxEvent, TimelineEvent
from tests.e2e.test_fulfillment_api import API, ok, open_fulfillments, place
from tests.support import CAUSE, assert_ledger_clean


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def _rows() -> tuple[int, int]:
    with read_session() as session:
        return (session.scalar(select(func.count()).select_from(TimelineEvent)),
                session.scalar(select(func.count()).select_from(OutboxEvent)))


def test_cancelling_lines_updates_totals_and_time_and_says_cancelled(channel, cs):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    order = place(channel, quantity=3)
    assert Decimal(order["subtotal"]) == Decimal(order["lines"][0]["unit_price"]) * 3
    line = order["lines"][0]
    after = ok(cs.post(f"{API}/orders/{order['id']}/cancel",
                       {"lines": [{"line_id": line["line_id"], "quantity": 1}],
                        "reason": "customer changed mind"}))
    assert Decimal(after["subtotal"]) == Decimal(line["unit_price"]) * 2
    assert after["updated_at"] > order["updated_at"]
    last = after["timeline"][-1]
    assert last["kind"] == "order.lines_cancelled"
    assert "cancelled" in last["message"] and "customer changed mind" in last["message"]
    whole = ok(cs.post(f"{API}/orders/{order['id']}/cancel", {}))
    assert whole["status"] == "cancelled" and Decimal(whole["subtotal"]) == 0
    assert whole["timeline"][-1]["kind"] == "order.cancelled"


def test_reads_never_write(as_role, channel, cs):
    """A pick list read while a transfer has arrived does not promote it (the claim, the
    receipt and the periodic job do); no GET adds a timeline event or an outbox row."""
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    transfer = open_fulfillments(order, "transfer")[0]
    ok(as_role("wms", "dc-east").post(f"{API}/fulfillments/{transfer['id']}/ship",
                                      {"carrier": "truck", "tracking_number": "T-1"}))
    store = as_role("store", "store-brooklyn")
    [moving] = ok(store.get(
        f"{API}/transfers?location=store-brooklyn&status=in_transit"))["items"]
    services.receive_transfer(moving["id"], CAUSE)  # booked by the ledger alone
    before = _rows()
    for path in ("/pick-lists?location=store-brooklyn", f"/orders/{order['id']}",
                 "/transfers?location=store-brooklyn", "/stock/JKT-1?near=store-brooklyn"):
        ok((store if "orders" not in path else cs).get(API + path))
    listed = ok(store.get(f"{API}/pick-lists?location=store-brooklyn"))["items"]
    assert [f["status"] for f in listed] == ["awaiting_transfer"]
    assert _rows() == before
    claimed = ok(store.post(f"{API}/pick-lists/claim", {"location": "store-brooklyn"}))["items"]
    assert [f["status"] for f in claimed] == ["pending"]


def test_receiving_a_transfer_promotes_its_pickup_at_once(as_role, channel):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    transfer = open_fulfillments(order, "transfer")[0]
    ok(as_role("wms", "dc-east").post(f"{API}/fulfillments/{transfer['id']}/ship",
                                      {"carrier": "truck", "tracking_number": "T-2"}))
    store = as_role("store", "store-brooklyn")
    [moving] = ok(store.get(
        f"{API}/transfers?location=store-brooklyn&status=in_transit"))["items"]
    ok(store.post(f"{API}/transfers/{moving['id']}/receive", {}))
    listed = ok(store.get(f"{API}/pick-lists?location=store-brooklyn"))["items"]
    assert [f["status"] for f in listed] == ["pending"]
