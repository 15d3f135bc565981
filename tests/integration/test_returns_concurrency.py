"""Returns racing on PostgreSQL: two returns of the last returnable unit, exactly one wins;
two receipts of the last expected unit, exactly one books it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.auth import Principal
from core.db import read_session
from core.errors import DomainError
from fulfillment import use_cases as fulfilling
from fulfillment.models import Fulfillment
from inventory import services
from oms import orders
from oms.customers import SeenIdentity
from oms.models import OrderLine
from returns import use_cases
from tests.support import CAUSE, assert_ledger_clean, balance

pytestmark = pytest.mark.postgres_only
WMS = Principal(key_id=1, name="wms", role="wms", locations=frozenset({"dc-east"}))


def _shipped_order() -> tuple[int, int]:
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    placed = orders.place_order(orders.PlaceOrder(
        channel="web", external_id="race-ret", currency="USD",
        lines=(orders.LineInput("JKT-1", 2, Decimal("10.00")),), method="ship",
        customer=SeenIdentity(email="r@example.com"),
        address=orders.Address(city="New York", country="US", latitude=40.75,
                               longitude=-73.99), actor="test", source="test"))
    with read_session() as session:
        fid = session.scalar(select(Fulfillment.id).where(Fulfillment.order_id == placed.order_id))
        line_id = session.scalar(select(OrderLine.id).where(
            OrderLine.order_id == placed.order_id))
    assert fid is not None and line_id is not None
    fulfilling.ship(fid, "UPS", "1Z1", WMS)
    return placed.order_id, line_id


def _race(n: int, attempt) -> list[str]:
    start = threading.Barrier(n)

    def one(i: int) -> str:
        start.wait()
        try:
            attempt(i)
            return "ok"
        except DomainError as exc:
            return exc.code

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


@pytest.mark.parametrize("round_", range(3))
def test_two_returns_of_the_last_unit_exactly_one_succeeds(network, round_):
    order_id, line_id = _shipped_order()
    use_cases.create_return(use_cases.CreateReturn(
        order_id=order_id, lines=(use_cases.ReturnLineInput(line_id, 1, "other"),),
        location="dc-east", actor="test", source="test"), None)

    def attempt(i: int) -> None:
        use_cases.create_return(use_cases.CreateReturn(
            order_id=order_id, lines=(use_cases.ReturnLineInput(line_id, 1, "other"),),
            location="store-soho", actor=f"t{i}", source="test"), None)

    assert _race(2, attempt) == ["ok", "return_rule"]
    with read_session() as session:
        line = session.get(OrderLine, line_id)
        assert line is not None and (line.fulfilled, line.returned) == (2, 2)
    assert_ledger_clean()


def test_two_receipts_of_the_last_unit_book_it_once(network):
    order_id, line_id = _shipped_order()
    return_id = use_cases.create_return(use_cases.CreateReturn(
        order_id=order_id, lines=(use_cases.ReturnLineInput(line_id, 2, "other"),),
        location="store-soho", actor="test", source="test"), None)

    def attempt(i: int) -> None:
        use_cases.receive(return_id, [use_cases.ReceiveLineInput(line_id, 2, "restock")],
                          None, actor=f"t{i}", source="test")

    assert _race(4, attempt) == ["conflict", "conflict", "conflict", "ok"]
    assert balance("JKT-1", "store-soho")["on_hand"] == 2
    assert_ledger_clean()
