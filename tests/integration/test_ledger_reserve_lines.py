"""`inventory.ledger.reserve_lines`, the reservation hot path, on SQLite and PostgreSQL: several
demands in one call, all or nothing, the statements it sends (one guarded UPDATE per balance in
lock order, one multi-row INSERT of movements, one multi-row upsert of reservations, a savepoint
only when asked for and needed), and a race on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from core.db import get_database, read_session, unit_of_work
from core.errors import InsufficientStock, InvalidInput
from inventory import ledger, services
from inventory.models import Movement, Reservation
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count


@pytest.fixture(autouse=True)
def _ledger_checked_after_each(network):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("BOOT-1", "dc-east", 3, CAUSE)
    services.receive("SOCK-1", "store-soho", 5, CAUSE)
    yield
    assert_ledger_clean()


def ids() -> tuple[dict[str, int], dict[str, int]]:
    with read_session() as session:
        items = {sku: ledger.item_id_by_sku(session, sku) for sku in ("JKT-1", "BOOT-1", "SOCK-1")}
        locations = {code: ledger.location_id_by_code(session, code)
                     for code in ("dc-east", "store-soho")}
    return items, locations


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL the engine sends inside the block (savepoints included), one line each."""
    seen: list[str] = []
    engine = get_database().engine

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(" ".join(statement.split()))

    def on_savepoint(_conn, name) -> None:
        seen.append(f"SAVEPOINT {name}")

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "savepoint", on_savepoint)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "savepoint", on_savepoint)


def held() -> dict[tuple[int, int, str], int]:
    with read_session() as session:
        rows = session.execute(select(Reservation.item_id, Reservation.location_id,
                                      Reservation.demand_ref, Reservation.quantity)).all()
    return {(i, loc, ref): q for i, loc, ref, q in rows}


def test_several_demands_in_one_call_one_statement_of_each_kind(backend):
    item, loc = ids()
    jkt, boot, sock = item["JKT-1"], item["BOOT-1"], item["SOCK-1"]
    east, soho = loc["dc-east"], loc["store-soho"]
    lines = [(sock, soho, 2, "order:1/line:2"),
             (jkt, east, 2, "order:1/line:1"),
             (jkt, east, 3, "order:2/line:1"),
             (boot, east, 1, "order:2/line:2"),
             (jkt, east, 1, "order:1/line:1")]  # the same demand again: adds up
    with unit_of_work() as uow, statements() as sent:
        assert ledger.reserve_lines(uow.session, lines, CAUSE, savepoint=False) == 4
        uow.commit()

    updates = [s for s in sent if s.startswith("UPDATE inv_balances")]
    inserts = [s for s in sent if s.startswith("INSERT INTO inv_movements")]
    upserts = [s for s in sent if s.startswith("INSERT INTO inv_reservations")]
    both = [s for s in sent if s.lstrip().startswith("WITH wanted")]
    if backend == "postgresql":  # movements and reservation rows in one statement
        assert (len(updates), len(inserts), len(upserts), len(both)) == (3, 0, 0, 1)
    else:
        assert (len(updates), len(inserts), len(upserts)) == (3, 1, 1)  # one per balance
    assert not [s for s in sent if "SAVEPOINT" in s.upper()]
    assert (balance("JKT-1", "dc-east")["reserved"], balance("BOOT-1", "dc-east")["reserved"],
            balance("SOCK-1", "store-soho")["reserved"]) == (6, 1, 2)
    assert held() == {(jkt, east, "order:1/line:1"): 3, (jkt, east, "order:2/line:1"): 3,
                      (boot, east, "order:2/line:2"): 1, (sock, soho, "order:1/line:2"): 2}
    with read_session() as session:
        moved = session.execute(select(Movement.kind, Movement.demand_ref,
                                       Movement.reserved_delta, Movement.actor)
                                .where(Movement.kind == "reservation")
                                .order_by(Movement.id)).all()
    # Written in (item, location, demand) order, one per demand and balance.
    assert [tuple(m) for m in moved] == [
        ("reservation", "order:1/line:1", 3, "test"), ("reservation", "order:2/line:1", 3, "test"),
        ("reservation", "order:2/line:2", 1, "test"), ("reservation", "order:1/line:2", 2, "test")]


def test_balances_are_updated_in_lock_order_whatever_the_order_of_the_lines():
    item, loc = ids()
    east, soho = loc["dc-east"], loc["store-soho"]
    lines = [(item["SOCK-1"], soho, 1, "order:5"), (item["BOOT-1"], east, 1, "order:5"),
             (item["JKT-1"], east, 1, "order:5")]
    order: list[tuple[int, int]] = []

    def before(_conn, _cursor, statement, _params, context, _many) -> None:
        if statement.startswith("UPDATE inv_balances"):
            named = context.compiled_parameters[0]
            order.append((named["i"], named["l"]))

    engine = get_database().engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        with unit_of_work() as uow:
            ledger.reserve_lines(uow.session, lines, CAUSE)
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert len(order) == 3
    assert order == sorted(order)


def test_several_balances_take_one_savepoint_when_asked():
    item, loc = ids()
    east, soho = loc["dc-east"], loc["store-soho"]
    with unit_of_work() as uow, statements() as sent:
        ledger.reserve_lines(uow.session, [(item["SOCK-1"], soho, 1, "order:6"),
                                           (item["JKT-1"], east, 1, "order:6")], CAUSE)
        uow.commit()
    first_update = next(i for i, s in enumerate(sent) if s.startswith("UPDATE inv_balances"))
    assert sent[first_update - 1].upper().startswith("SAVEPOINT")  # two balances: one savepoint


def test_a_refusal_leaves_the_callers_transaction_as_it_was():
    item, loc = ids()
    east = loc["dc-east"]
    before = movement_count()
    with unit_of_work() as uow:
        session = uow.session
        assert ledger.reserve_lines(session, [(item["JKT-1"], east, 4, "order:1")], CAUSE) == 1
        with pytest.raises(InsufficientStock) as err:
            ledger.reserve_lines(session, [(item["JKT-1"], east, 2, "order:2"),
                                           (item["BOOT-1"], east, 2, "order:2"),
                                           (item["BOOT-1"], east, 2, "order:3")], CAUSE)
        # The same explanation as every refused posting: the sum wanted at the balance.
        assert err.value.message == "insufficient stock of BOOT-1 at dc-east: 3 available, " \
                                    "4 requested"
        assert err.value.details["sku"] == "BOOT-1"
        with pytest.raises(InsufficientStock):  # one balance: refused before any write
            ledger.reserve_lines(session, [(item["BOOT-1"], east, 4, "order:4")], CAUSE)
        uow.commit()
    assert movement_count() == before + 1
    assert balance("JKT-1", "dc-east")["reserved"] == 4
    assert balance("BOOT-1", "dc-east")["reserved"] == 0
    assert held() == {(item["JKT-1"], east, "order:1"): 4}


def test_without_savepoint_the_caller_rolls_back():
    item, loc = ids()
    east = loc["dc-east"]
    before = movement_count()
    with unit_of_work() as uow, statements() as sent, pytest.raises(InsufficientStock):
        ledger.reserve_lines(uow.session, [(item["JKT-1"], east, 2, "order:2"),
                                           (item["BOOT-1"], east, 4, "order:2")], CAUSE,
                             savepoint=False)
    # not committed: the unit of work rolled back what was written before the refusal
    assert not [s for s in sent if "SAVEPOINT" in s.upper()]
    assert movement_count() == before
    assert balance("JKT-1", "dc-east")["reserved"] == 0
    assert held() == {}


def test_a_demand_that_holds_some_gets_more_and_safety_stock_is_kept():
    item, loc = ids()
    east = loc["dc-east"]
    services.set_safety_stock("JKT-1", "dc-east", 2)
    with unit_of_work() as uow:
        ledger.reserve_lines(uow.session, [(item["JKT-1"], east, 5, "order:1")], CAUSE)
        ledger.reserve_lines(uow.session, [(item["JKT-1"], east, 3, "order:1")], CAUSE)
        with pytest.raises(InsufficientStock):  # 10 - 8 reserved - 2 safety = 0 free
            ledger.reserve_lines(uow.session, [(item["JKT-1"], east, 1, "order:2")], CAUSE)
        # Promised units arriving by transfer may come out of safety stock.
        ledger.reserve_lines(uow.session, [(item["JKT-1"], east, 2, "order:2")], CAUSE,
                             ignore_safety_stock=True)
        uow.commit()
    assert held() == {(item["JKT-1"], east, "order:1"): 8, (item["JKT-1"], east, "order:2"): 2}
    assert balance("JKT-1", "dc-east")["reserved"] == 10
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Movement)
                              .where(Movement.kind == "reservation")) == 3


@pytest.mark.parametrize(("quantity", "demand"), [(0, "order:1"), (-1, "order:1"),
                                                   (2.5, "order:1"), (1, "")])
def test_bad_lines_are_refused_and_write_nothing(quantity, demand):
    item, loc = ids()
    before = movement_count()
    with unit_of_work() as uow, pytest.raises(InvalidInput):
        ledger.reserve_lines(uow.session, [(item["JKT-1"], loc["dc-east"], 1, "order:9"),
                                           (item["JKT-1"], loc["dc-east"], quantity, demand)],
                             CAUSE)
    assert movement_count() == before
    with unit_of_work() as uow:
        assert ledger.reserve_lines(uow.session, [], CAUSE) == 0


def test_reserve_and_services_reserve_use_it():
    item, loc = ids()
    with unit_of_work() as uow, statements() as sent:
        assert ledger.reserve(uow.session, [(item["JKT-1"], loc["dc-east"], 1),
                                            (item["BOOT-1"], loc["dc-east"], 1)],
                              "order:1", CAUSE) == 2
        uow.commit()
    assert len([s for s in sent if s.startswith("INSERT INTO inv_movements")
                or s.lstrip().startswith("WITH wanted")]) == 1
    with statements() as sent:
        assert services.reserve([("JKT-1", "dc-east", 1), ("SOCK-1", "store-soho", 1)],
                                "order:2", CAUSE) == 2
    assert not [s for s in sent if "SAVEPOINT" in s.upper()]  # its transaction is its own
    assert len([s for s in sent if s.startswith("INSERT INTO inv_reservations")
                or s.lstrip().startswith("WITH wanted")]) == 1


@pytest.mark.postgres_only
def test_racing_multi_demand_calls_in_opposite_orders_never_oversell_or_deadlock():
    from tests.integration.test_concurrency import assert_only_domain_errors, race

    item, loc = ids()
    east = loc["dc-east"]
    jkt, boot = item["JKT-1"], item["BOOT-1"]

    def order(i: int):
        lines = [(jkt, east, 1, f"order:{i}/line:1"), (boot, east, 1, f"order:{i}/line:2"),
                 (jkt, east, 1, f"order:{i}/line:3")]
        if i % 2:
            lines.reverse()

        def call() -> int:
            with unit_of_work() as uow:
                written = ledger.reserve_lines(uow.session, lines, CAUSE, savepoint=i % 3 == 0)
                uow.commit()
            return written
        return call

    outcomes = race([(f"order-{i}", order(i)) for i in range(12)])
    assert_only_domain_errors(outcomes, (InsufficientStock,))
    assert sum(o.ok for o in outcomes) == 3  # BOOT-1 has 3
    assert balance("BOOT-1", "dc-east")["reserved"] == 3
    assert balance("JKT-1", "dc-east")["reserved"] == 6
