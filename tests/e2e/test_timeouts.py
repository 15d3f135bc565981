"""Time limits: PostgreSQL's statement and lock timeouts cut a slow statement inside a request
(the client gets the documented 503 `timeout`, nothing is written, the Idempotency-Key is still
free) or a use case, but not the verification commands; outbound calls to a server that never
answers give up (the relay records the attempt and delivers later; a Shopify call's thread
ends), and a Redis that never answers does not hold a request."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from core import jobs
from core.auth import create_api_key
from core.db import (
    STATEMENT_TIMEOUT,
    Timeouts,
    long_read_session,
    read_session,
    run_in_unit_of_work,
    timeout_cause,
)
from core.idempotency import IdempotencyKey
from integrations.outbound.models import Delivery, DeliveryAttempt
from integrations.shopify import client as shopify_client
from inventory import services
from inventory.models import Movement, Reservation
from oms.config import Settings
from oms.models import Order, OutboxEvent
from tests.support import CAUSE, assert_ledger_clean

API = "/api/v1"
ORDER = {"channel": "web", "external_id": "W-slow", "currency": "USD",
         "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
         "fulfillment": {"method": "ship", "address": {
             "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
             "country": "US"}}}


def make_app(db, **settings):
    from oms.app import create_app

    app = create_app(Settings(database_url=db.url, embedded_worker=False,
                              log_level="WARNING", **settings))
    app.testing = True
    return app


def count(model: Any) -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def pg(db) -> str:
    """A plain libpq URL of the test database, for a connection of the test's own."""
    if db.is_sqlite:
        pytest.skip("SQLite has no statement or lock timeout (its writers wait up to its "
                    "busy timeout)")
    return db.url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def slow_inserts(pg: str, table: str, seconds: float) -> Iterator[None]:
    """Every INSERT into `table` first sleeps (a trigger calling pg_sleep): a statement
    deliberately slower than the statement timeout."""
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"""CREATE OR REPLACE FUNCTION oms_test_slow() RETURNS trigger AS $$
                         BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$
                         LANGUAGE plpgsql""")
        conn.execute(f"CREATE TRIGGER oms_test_slow BEFORE INSERT ON {table} "
                     "FOR EACH ROW EXECUTE FUNCTION oms_test_slow()")
        try:
            yield
        finally:
            conn.execute(f"DROP TRIGGER IF EXISTS oms_test_slow ON {table}")
            conn.execute("DROP FUNCTION IF EXISTS oms_test_slow()")


@contextmanager
def table_locked(pg: str, table: str, seconds: float) -> Iterator[None]:
    """Another session holds `table` in ACCESS EXCLUSIVE mode for `seconds` (from when the
    block starts): every statement that touches it waits."""
    locked, done = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(pg) as conn:
            conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            done.wait(seconds)
            conn.rollback()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join(10)


# --------------------------------------------------------------------------- the database

def test_a_slow_statement_in_a_request_is_a_503_timeout_and_writes_nothing(db, network, pg):
    app = make_app(db, db_timeouts=Timeouts(statement_ms=300))
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    client = app.test_client()
    key = create_api_key("channel", name="shop")
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "slow-1"}
    with slow_inserts(pg, "oms_orders", 2):
        started = time.monotonic()
        response = client.post(f"{API}/orders", json=ORDER, headers=headers)
        elapsed = time.monotonic() - started
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "2"
    error = response.get_json()["error"]
    assert error["code"] == "timeout"
    assert error["details"] == {"cause": "statement_timeout", "limit_ms": 300}
    assert "statement timeout (300 ms)" in error["message"]
    assert elapsed < 1.5  # cut at 300 ms, not after the 2 s sleep
    assert (count(Order), count(IdempotencyKey), count(Reservation)) == (0, 0, 0)
    assert_ledger_clean()
    retried = client.post(f"{API}/orders", json=ORDER, headers=headers)
    assert retried.status_code == 201, retried.get_json()
    assert "Idempotent-Replayed" not in retried.headers


def test_a_session_terminated_mid_request_is_a_503_unavailable_and_a_retry_places_once(
        db, network, pg):
    """What a PostgreSQL restart does to a request in flight (`pg_ctl restart -m fast`
    terminates every session: 57P01): a 503 `unavailable` with Retry-After, not a 500 (the
    soak's PostgreSQL restart found the 500); the same Idempotency-Key then places the order
    once."""
    app = make_app(db)
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    client = app.test_client()
    key = create_api_key("channel", name="shop")
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "restart-1"}

    def terminate_the_insert() -> None:
        with psycopg.connect(pg, autocommit=True) as conn:
            for _ in range(100):
                if conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE pid <> pg_backend_pid() AND state = 'active' "
                                "AND query ILIKE 'INSERT INTO oms_orders%'").fetchall():
                    return
                time.sleep(0.05)

    killer = threading.Thread(target=terminate_the_insert)
    with slow_inserts(pg, "oms_orders", 3):
        killer.start()
        response = client.post(f"{API}/orders", json=ORDER, headers=headers)
        killer.join()
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["error"]["code"] == "unavailable"
    assert (count(Order), count(IdempotencyKey), count(Reservation)) == (0, 0, 0)
    retried = client.post(f"{API}/orders", json=ORDER, headers=headers)
    assert retried.status_code == 201, retried.get_json()
    assert count(Order) == 1
    assert_ledger_clean()


def test_a_database_that_cannot_be_reached_is_a_503_unavailable(db):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(db)
    from core.db import init_database

    init_database(f"postgresql+psycopg://oms@127.0.0.1:{port}/nothing")
    try:
        response = app.test_client().get(f"{API}/orders",
                                          headers={"Authorization": "Bearer oms_nokey"})
    finally:
        init_database(db.url)
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "2"


def test_a_lock_wait_past_the_lock_timeout_is_a_503_timeout(db, network, pg):
    app = make_app(db, db_timeouts=Timeouts(statement_ms=15_000, lock_ms=200))
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    key = create_api_key("channel", name="shop")
    with table_locked(pg, "oms_orders", 2):
        response = app.test_client().post(f"{API}/orders", json=ORDER,
                                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 503, response.get_json()
    assert response.get_json()["error"]["details"] == {"cause": "lock_timeout",
                                                       "limit_ms": 200}
    assert count(Order) == 0


def test_a_use_case_is_cut_and_the_pooled_connection_keeps_its_limit(db, pg):
    make_app(db, db_timeouts=Timeouts(statement_ms=300))
    started = time.monotonic()
    with pytest.raises(OperationalError) as err:
        run_in_unit_of_work(lambda uow: uow.session.execute(text("SELECT pg_sleep(2)")))
    assert time.monotonic() - started < 1.5
    assert timeout_cause(err.value) == STATEMENT_TIMEOUT
    with read_session() as session:
        assert session.scalar(text("SHOW statement_timeout")) == "300ms"


def test_long_reads_lift_the_limit_for_their_own_transaction_only(db, pg):
    make_app(db, db_timeouts=Timeouts(statement_ms=300))
    with long_read_session() as session:
        assert session.scalar(text("SHOW statement_timeout")) == "0"
        session.execute(text("SELECT pg_sleep(0.5)"))
    for _ in range(3):  # whichever pooled connection comes next
        with read_session() as session:
            assert session.scalar(text("SHOW statement_timeout")) == "300ms"


@pytest.mark.parametrize("command", [["inventory", "verify"], ["oms", "verify"]])
def test_verification_waits_past_the_statement_timeout(db, network, pg, command):
    app = make_app(db, db_timeouts=Timeouts(statement_ms=300))
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    with table_locked(pg, "inv_movements", 1.0):
        # An ordinary read of the ledger is cut while it waits ...
        with pytest.raises(OperationalError) as err, read_session() as session:
            session.scalar(select(func.count()).select_from(Movement))
        assert timeout_cause(err.value) == STATEMENT_TIMEOUT
        # ... the verification waits as long as it takes.
        result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


# --------------------------------------------------------------------------- outbound calls

class Hanging:
    """An HTTP server on loopback that accepts requests and, while `hang` is set, never
    answers them (until the test ends); otherwise answers 200 and records the body."""

    def __init__(self) -> None:
        self.hang = True
        self.got: list[bytes] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if server.hang:
                    server.release.wait(30)
                    return
                server.got.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hanging() -> Iterator[Hanging]:
    server = Hanging()
    yield server
    server.stop()


def test_a_subscriber_that_never_answers_gets_the_event_once_it_does(db, network, hanging,
                                                                      monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "0.3")
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    app = make_app(db)
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    client = app.test_client()
    admin, channel = create_api_key("admin", name="ops"), create_api_key("channel", name="s")
    assert client.post(f"{API}/subscriptions", headers={"Authorization": f"Bearer {admin}"},
                       json={"url": f"http://127.0.0.1:{hanging.port}/hook",
                             "topics": ["order.created"],
                             "secret": "s3cret-s3cret-s3cret"}).status_code == 201
    started = time.monotonic()
    placed = client.post(f"{API}/orders", json=ORDER,
                         headers={"Authorization": f"Bearer {channel}"})
    assert placed.status_code == 201  # the first attempt ran inline (no worker in tests)
    assert time.monotonic() - started < 5
    with read_session() as session:
        [delivery] = session.scalars(select(Delivery)).all()
        [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert attempt.status_code is None and "Timeout" in attempt.error
    assert hanging.got == []
    hanging.hang = False
    for _ in range(40):
        time.sleep(0.05)
        jobs.run_job("integrations.outbound.jobs.sweep")
        with read_session() as session:
            if session.get(Delivery, delivery.id).status != "pending":
                break
    with read_session() as session:
        assert session.get(Delivery, delivery.id).status == "delivered"
    assert len(hanging.got) == 1


def test_a_shopify_call_that_never_answers_gives_up_and_its_thread_ends(hanging,
                                                                         monkeypatch):
    monkeypatch.setenv("OMS_SHOPIFY_PROTOCOL", "http")

    def graphql_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "shopify-graphql"]

    before = len(graphql_threads())
    started = time.monotonic()
    with pytest.raises(shopify_client.ShopifyApiError, match=r"did not answer within 0\.3s"):
        shopify_client.graphql(f"127.0.0.1:{hanging.port}", "2025-10", "token",
                               "{ shop { name } }", timeout=0.3)
    assert time.monotonic() - started < 2
    # The socket has the same timeout: the helper thread does not wait for Shopify forever.
    deadline = time.monotonic() + 3
    while len(graphql_threads()) > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(graphql_threads()) == before


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: Redis on a host that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_redis_that_never_answers_does_not_hold_a_request(db, network, silent_redis,
                                                             monkeypatch):
    monkeypatch.setattr(jobs, "REDIS_TIMEOUT_SECONDS", 0.3)
    app = make_app(db, redis_url=silent_redis)
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    key = create_api_key("channel", name="shop")
    started = time.monotonic()
    placed = app.test_client().post(f"{API}/orders", json=ORDER,
                                    headers={"Authorization": f"Bearer {key}"})
    assert placed.status_code == 201, placed.get_json()
    assert time.monotonic() - started < 5
    # The jobs it would have queued are derived again from what was committed.
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEvent)) >= 1
