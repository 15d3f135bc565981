"""Pollers claiming pick lists at the same moment on PostgreSQL get disjoint work."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from core.auth import Principal
from fulfillment import use_cases as fulfilling
from inventory import services
from oms import orders
from oms.customers import SeenIdentity
from tests.support import CAUSE, assert_ledger_clean

pytestmark = pytest.mark.postgres_only


def _orders(count: int) -> None:
    services.receive("SOCK-1", "dc-east", count, CAUSE)
    for n in range(count):
        orders.place_order(orders.PlaceOrder(
            channel="web", external_id=f"poll-{n}", currency="USD",
            lines=(orders.LineInput("SOCK-1", 1, Decimal("1.00")),), method="ship",
            customer=SeenIdentity(), actor="test", source="test",
            address=orders.Address(country="US", latitude=40.75, longitude=-74.0)))


@pytest.mark.parametrize("pollers", [2, 8])
def test_concurrent_pollers_never_share_a_fulfillment(network, pollers):
    _orders(40)
    start = threading.Barrier(pollers)

    def poll(n: int) -> list[int]:
        me = Principal(key_id=100 + n, name=f"poller-{n}", role="wms", location="dc-east")
        start.wait()
        got: list[int] = []
        while batch := fulfilling.claim("dc-east", 3, 300, me):
            got.extend(f["id"] for f in batch)
        return got

    with ThreadPoolExecutor(pollers) as pool:
        claimed = list(pool.map(poll, range(pollers)))
    every = [fid for batch in claimed for fid in batch]
    assert len(every) == len(set(every)) == 40
    assert sum(1 for batch in claimed if batch) > 1  # they really competed
    assert_ledger_clean()
