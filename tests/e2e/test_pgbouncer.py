"""The application behind a real PgBouncer in transaction pooling mode (`make test` starts one
in front of the test PostgreSQL: OMS_TEST_PGBOUNCER_URL), with OMS_DATABASE_PGBOUNCER=1: orders
placed by several threads at once on scarce stock (never oversold, the ledger clean), read back,
cancelled, and a background job run; and why the switch is needed: with psycopg's server-side
prepared statements on, a statement prepared on one server connection is sent by name to
another one, which never saw it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from core import jobs
from core.auth import create_api_key
from core.db import Database, Timeouts, get_database, init_database
from inventory import services
from oms.config import Settings
from oms.models import Order
from tests.conftest import Caller, _service_url
from tests.cs_scene import COLUMBUS
from tests.support import CAUSE, assert_ledger_clean, balance

pytestmark = pytest.mark.postgres_only

API = "/api/v1"
THREADS, PER_THREAD = 8, 10
STOCK = 25  # 80 orders of one unit on 25: most wait for stock, none may take one that is not


@pytest.fixture
def bouncer_url(db: Database) -> str:
    """The test database's URL through PgBouncer (its own host and port, the same database)."""
    if not os.environ.get("OMS_TEST_PGBOUNCER_URL") and os.environ.get(
            "OMS_TEST_REQUIRE_REPLICA") != "1":
        pytest.skip("OMS_TEST_PGBOUNCER_URL not set (make test starts a PgBouncer)")
    server = make_url(_service_url("OMS_TEST_PGBOUNCER_URL"))
    return make_url(db.url).set(host=server.host, port=server.port).render_as_string(
        hide_password=False)


@pytest.fixture
def bouncer_app(db: Database, network, bouncer_url: str) -> Iterator:
    """The app on PgBouncer with the switch on; the embedded runner runs its jobs."""
    from oms.app import create_app

    app = create_app(Settings(database_url=bouncer_url, database_pgbouncer=True,
                              redis_url=None, embedded_worker=False, log_level="WARNING"))
    app.testing = True
    yield app
    init_database(db.url)  # the other tests' direct connection again


def order_body(n: int) -> dict:
    return {"channel": "web", "external_id": f"PGB-{n}", "currency": "USD",
            "customer": {"email": f"buyer{n % 7}@example.com", "name": "Ana Lopez"},
            "lines": [{"sku": "BOOT-1", "quantity": 1, "unit_price": "160.00"}],
            "fulfillment": {"method": "ship", "address": COLUMBUS}}


def test_orders_race_for_scarce_stock_through_pgbouncer(bouncer_app):
    assert get_database().pgbouncer
    services.receive("BOOT-1", "dc-east", STOCK, CAUSE)
    key = create_api_key("channel", name="test-channel", locations=[])
    start = threading.Barrier(THREADS)

    def place(thread: int) -> list[int]:
        caller = Caller(bouncer_app.test_client(), key)
        start.wait()
        ids = []
        for i in range(PER_THREAD):
            answer = caller.post(f"{API}/orders", order_body(thread * PER_THREAD + i))
            assert answer.status_code == 201, answer.get_json()
            ids.append(answer.get_json()["id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        ids = [i for chunk in pool.map(place, range(THREADS)) for i in chunk]
    assert len(set(ids)) == THREADS * PER_THREAD

    caller = Caller(bouncer_app.test_client(), key)
    read = [caller.get(f"{API}/orders/{i}") for i in ids]
    assert all(r.status_code == 200 for r in read)
    allocated = sum(ln["allocated"] for r in read for ln in r.get_json()["lines"])
    assert allocated == STOCK  # every unit went to exactly one order: none oversold
    assert balance("BOOT-1", "dc-east")["reserved"] == STOCK

    routed = next(r.get_json() for r in read if r.get_json()["status"] == "routed")
    cancelled = caller.post(f"{API}/orders/{routed['id']}/cancel", {"reason": "changed mind"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json()["status"] == "cancelled"

    # A job through the embedded runner's code path: the ledger verification, whose long
    # read lifts the statement timeout with SET LOCAL (transaction-scoped: fine in this mode).
    jobs.run_job("inventory.jobs.verify_ledger")
    assert_ledger_clean()


def test_prepared_statements_break_behind_a_transaction_pooler(db, bouncer_url):
    """Why OMS_DATABASE_PGBOUNCER is needed. PgBouncer hands a client connection's next
    transaction to the server connection used last (LIFO): client A prepares a statement on
    server connection 1 by running it psycopg's 5 times; client B then holds connection 1 in
    a transaction, so A's next transaction runs on connection 2, which never prepared it."""
    def sequence(database: Database) -> None:
        query = select(Order.id).where(Order.id == 1)
        with database.engine.connect() as a, database.engine.connect() as b:
            for _ in range(6):  # psycopg prepares on the 5th execution
                a.execute(query)
                a.commit()
            b.execute(text("SELECT 1"))  # B now holds server connection 1 (no commit yet)
            a.execute(query)
            a.commit()
            b.rollback()

    # Timeouts off: the `options` startup parameter would be refused before any statement.
    plain = Database(bouncer_url, timeouts=Timeouts(statement_ms=0, lock_ms=0))
    try:
        with pytest.raises(ProgrammingError, match=r"prepared statement .* does not exist"):
            sequence(plain)
    finally:
        plain.dispose()

    switched = Database(bouncer_url, pgbouncer=True)
    try:
        sequence(switched)  # no prepared statements: the same sequence runs
    finally:
        switched.dispose()


def test_the_replica_has_its_own_pgbouncer_switch(db, bouncer_url):
    """Primary through PgBouncer, replica reached directly (OMS_DATABASE_REPLICA_PGBOUNCER=0):
    the replica's connections keep the statement timeout as a startup option; unset, the
    replica follows the primary's switch (no startup options: PgBouncer would refuse them)."""
    def replica_statement_timeout(database: Database) -> str:
        assert database.replica is not None
        with database.replica.connect() as conn:
            return conn.execute(text("SHOW statement_timeout")).scalar_one()

    direct = Database(bouncer_url, pgbouncer=True, replica_pgbouncer=False, replica_url=db.url,
                      timeouts=Timeouts(statement_ms=4321))
    try:
        assert replica_statement_timeout(direct) == "4321ms"
        assert direct.replica_pgbouncer is False and direct.pgbouncer is True
    finally:
        direct.dispose()
    pooled = Database(bouncer_url, pgbouncer=True, replica_url=bouncer_url,
                      timeouts=Timeouts(statement_ms=4321))
    try:
        assert pooled.replica_pgbouncer is True
        assert replica_statement_timeout(pooled) != "4321ms"  # not sent through the pooler
    finally:
        pooled.dispose()


def test_the_replica_switch_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("OMS_DATABASE_PGBOUNCER", "1")
    monkeypatch.delenv("OMS_DATABASE_REPLICA_PGBOUNCER", raising=False)
    assert Settings.from_env().database_replica_pgbouncer is None  # as the primary
    monkeypatch.setenv("OMS_DATABASE_REPLICA_PGBOUNCER", "0")
    assert Settings.from_env().database_replica_pgbouncer is False
    monkeypatch.setenv("OMS_DATABASE_REPLICA_PGBOUNCER", "1")
    assert Settings.from_env().database_replica_pgbouncer is True
