"""`flask oms verify`: order lines against their work and the ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from core.db import unit_of_work
from inventory import services
from oms import orders
from oms.customers import SeenIdentity
from oms.models import OrderLine
from tests.support import CAUSE


def test_oms_verify_is_clean_then_names_the_drifting_line(app, network):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    placed = orders.place_order(orders.PlaceOrder(
        channel="web", external_id="v-1", currency="USD",
        lines=(orders.LineInput("JKT-1", 2, Decimal("10.00")),), method="ship",
        customer=SeenIdentity(email="v@example.com"),
        address=orders.Address(city="New York", country="US", latitude=40.7, longitude=-74.0),
        actor="test", source="test"))
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["oms", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "orders OK" in ok.output
    with unit_of_work() as uow:
        uow.session.execute(update(OrderLine).where(OrderLine.order_id == placed.order_id)
                            .values(allocated=1))
        uow.commit()
    bad = runner.invoke(args=["oms", "verify"])
    assert bad.exit_code == 1
    assert "allocated_matches_open_work" in bad.output
    assert "allocated_matches_ledger" in bad.output
    assert "allocated 1, expected 2 held in the ledger" in bad.output
