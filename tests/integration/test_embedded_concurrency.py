"""The embedded default is safe too: on SQLite, write transactions take the write lock up
front (BEGIN IMMEDIATE), so concurrent buyers queue rather than oversell or fail on a lock
upgrade. (The PostgreSQL races are in test_concurrency.py.)"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.errors import InsufficientStock
from inventory import services
from tests.support import CAUSE, assert_ledger_clean, balance


@pytest.fixture(autouse=True)
def _only_sqlite(backend):
    if backend != "sqlite":
        pytest.skip("the PostgreSQL races live in test_concurrency.py")


def test_thirty_buyers_ten_units_on_sqlite(network):
    services.receive("JKT-1", "store-soho", 10, CAUSE)
    start = threading.Barrier(30)

    def buy(n: int) -> str:
        start.wait()
        try:
            services.reserve([("JKT-1", "store-soho", 1)], f"order:{n}", CAUSE)
            return "ok"
        except InsufficientStock:
            return "refused"

    with ThreadPoolExecutor(30) as pool:
        outcomes = list(pool.map(buy, range(30)))
    assert outcomes.count("ok") == 10
    assert outcomes.count("refused") == 20
    row = balance("JKT-1", "store-soho")
    assert (row["reserved"], row["available"]) == (10, 0)
    assert_ledger_clean()


def test_counts_and_receipts_interleave_without_lost_updates_on_sqlite(network):
    services.receive("SOCK-1", "dc-east", 100, CAUSE)
    start = threading.Barrier(20)

    def receive_one(_: int) -> None:
        start.wait()
        services.receive("SOCK-1", "dc-east", 1, CAUSE)

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(receive_one, range(20)))
    assert balance("SOCK-1", "dc-east")["on_hand"] == 120
    assert_ledger_clean()
