"""The explicit unit of work: a retried transaction leaves no trace of its failed attempt, and
what a use case collects (events, after-commit actions, joined work) belongs to one attempt."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core.db import UnitOfWork, get_database, run_in_unit_of_work, unit_of_work
from inventory import ledger, services
from oms import orders
from oms.customers import SeenIdentity
from oms.models import Order, OrderLine, OutboxEvent, TimelineEvent
from tests.support import CAUSE, assert_ledger_clean


def _order(external_id: str = "uow-1", quantity: int = 2) -> int:
    return orders.place_order(orders.PlaceOrder(
        channel="web", external_id=external_id, currency="USD",
        lines=(orders.LineInput("JKT-1", quantity, Decimal("50.00")),), method="ship",
        customer=SeenIdentity(email="uow@example.com"),
        address=orders.Address(city="New York", country="US", latitude=40.75,
                               longitude=-73.99),
        actor="test", source="test")).order_id


def _kinds(order_id: int) -> list[str]:
    with get_database().sessions() as session:
        return list(session.scalars(select(TimelineEvent.kind).where(
            TimelineEvent.order_id == order_id).order_by(TimelineEvent.id)))


def _topics(order_id: int) -> list[str]:
    with get_database().sessions() as session:
        return list(session.scalars(select(OutboxEvent.topic).where(
            OutboxEvent.aggregate_id == order_id).order_by(OutboxEvent.id)))


def test_after_commit_actions_run_once_and_only_after_the_commit(db):
    ran: list[str] = []

    def fails(uow: UnitOfWork) -> None:
        uow.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        run_in_unit_of_work(fails)

    def works(uow: UnitOfWork) -> str:
        uow.after_commit(lambda: ran.append(f"committed on attempt {uow.attempt}"))
        assert ran == []  # nothing runs before the commit
        return "done"

    assert run_in_unit_of_work(works) == "done"
    assert ran == ["committed on attempt 1"]


def test_a_unit_of_work_commits_once(db):
    with unit_of_work() as uow:
        uow.commit()
        with pytest.raises(RuntimeError, match="commits once"):
            uow.commit()


def test_events_recorded_are_listed_on_the_unit_of_work(network):
    order_id = _order()
    seen: list[list[str]] = []
    orders.cancel(order_id, None, actor="test", source="test",
                  joined=(lambda uow: seen.append(list(uow.events)),))
    assert seen == [["order.cancelled", "outbox:order.cancelled"]]


@pytest.mark.postgres_only
def test_a_deadlocked_use_case_is_retried_and_leaves_no_trace_of_its_first_attempt(network):
    """A real deadlock: another transaction holds the balance row the cancel must release,
    then waits for the order row the cancel holds. PostgreSQL aborts the cancel (its
    deadlock_timeout is the shorter); the use case runs again in a fresh unit of work."""
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    order_id = _order()
    with get_database().sessions() as session:
        line_id = session.scalar(select(OrderLine.id).where(OrderLine.order_id == order_id))
        item = ledger.item_by_sku(session, "JKT-1")
        east = ledger.location_by_code(session, "dc-east")
    events_before = len(_kinds(order_id))
    attempts: list[int] = []
    after: list[int] = []

    def record_attempt(uow: UnitOfWork) -> None:
        attempts.append(uow.attempt)
        uow.after_commit(lambda: after.append(uow.attempt))

    engine = get_database().engine
    with engine.connect() as other, ThreadPoolExecutor(1) as pool:
        other.execute(text("SET deadlock_timeout = '20s'"))  # so the cancel is the victim
        other.execute(text("UPDATE inv_balances SET on_hand = on_hand "
                           "WHERE item_id = :i AND location_id = :l"),
                      {"i": item.id, "l": east.id})
        cancelling = pool.submit(orders.cancel, order_id, [(line_id, 1)], actor="cs",
                                 source="cs", reason="customer asked",
                                 joined=(record_attempt,))
        _wait_for_a_lock_wait(engine)
        # Now wait for the order row the cancel holds: a cycle, which PostgreSQL breaks by
        # aborting the cancel after its (default, 1 s) deadlock_timeout.
        other.execute(text("SELECT id FROM oms_orders WHERE id = :o FOR UPDATE"),
                      {"o": order_id})
        other.commit()
        cancelling.result(timeout=60)

    # Only the attempt that committed ran its joined work and after-commit actions. Usually the
    # second; on a loaded machine the retry can take the order row before the other
    # transaction's queued lock is granted and deadlock once more (a third attempt).
    assert len(attempts) == 1 and attempts[0] >= 2 and after == attempts
    kinds = _kinds(order_id)[events_before:]
    assert kinds == ["order.lines_cancelled"]
    assert _topics(order_id).count("order.updated") == 1
    with get_database().sessions() as session:
        line = session.get(OrderLine, line_id)
        assert (line.cancelled, line.allocated) == (1, 1)
        order = session.get(Order, order_id)
        assert order.subtotal == Decimal("50.00")
    assert_ledger_clean()


def _wait_for_a_lock_wait(engine, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the use case never waited for the held row")


def test_transient_retries_are_bounded(db):
    calls = threading.local()
    calls.n = 0
    from sqlalchemy.exc import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    def always_deadlocks(uow: UnitOfWork) -> None:
        calls.n += 1
        raise OperationalError("UPDATE ...", {}, Deadlock())

    with pytest.raises(OperationalError):
        run_in_unit_of_work(always_deadlocks)
    assert calls.n == 4
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TimelineEvent)) == 0


# ------------------------------------------------------------------ core.db.write_new

def _statements(db) -> tuple[list[str], object]:
    sent: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        sent.append(" ".join(statement.split())[:40])
    return sent, before


def test_write_new_inserts_once_runs_insert_hooks_and_leaves_nothing_to_flush(db, backend):
    """One INSERT per table for several objects; the class's before_insert hook derives its
    columns as a flush would; ids set; the objects read as loaded and the commit's flush
    inserts nothing again."""
    from sqlalchemy import event

    from core.db import attach_written, write_new

    sent, before = _statements(db)
    order = Order(number="T-1", channel="web", external_id="wn-1", status="received",
                  name_search="ada lovelace", phone="+12125550123", currency="USD",
                  fulfillment_method="ship")
    order.lines = [OrderLine(line_no=i, sku="JKT-1", quantity=1, unit_price=Decimal("1.00"))
                   for i in (1, 2)]
    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with unit_of_work() as uow:
            write_new(uow.session, [order], attach=False)
            for line in order.lines:
                line.order_id = order.id
            write_new(uow.session, order.lines, attach=False)
            attach_written(uow.session, [order, *order.lines])
            assert not uow.session.new and not uow.session.dirty
            uow.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    inserts = [s for s in sent if s.startswith("INSERT")]
    # One per table on PostgreSQL (SQLite returns ids in order only row by row); none again
    # at the commit.
    assert len(inserts) == (2 if backend == "postgresql" else 3), sent
    assert order.id and all(line.id for line in order.lines)
    assert (order.surname_search, order.phone_reversed) == ("lovelace", "32105552121")
    assert order.lines[0].allocated == 0 and order.updated_at is not None  # defaults applied
    with read_back() as session:
        stored = session.get(Order, order.id)
        assert stored is not None and stored.surname_search == "lovelace"
        assert session.scalar(select(func.count()).select_from(OrderLine)
                              .where(OrderLine.order_id == order.id)) == 2


def read_back():
    from core.db import read_session

    return read_session()
