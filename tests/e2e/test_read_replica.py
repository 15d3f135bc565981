"""The read replica (OMS_DATABASE_REPLICA_URL), against a real PostgreSQL streaming replica
(`make test` starts one with pg_basebackup): reads that tolerate staleness (search, the staff
pages' views) go to it, everything that decides stock or state goes to the primary; a staff
member's own change shows on the page they are sent back to; an unreachable replica costs
nothing but a warning. Replay on the replica is paused to make it visibly behind."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.db import REPLICA_RETRY_SECONDS, Database, read_session
from core.staff import create_staff_user
from tests import cs_scene
from tests.conftest import _service_url
from tests.cs_scene import PASSWORD
from tests.e2e.test_cs_pages_http import post, sign_in

API = "/api/v1"


@pytest.fixture
def replica(db: Database):
    if db.is_sqlite:
        pytest.skip("a streaming replica is PostgreSQL's")
    if not os.environ.get("OMS_TEST_REPLICA_URL") and os.environ.get(
            "OMS_TEST_REQUIRE_REPLICA") != "1":
        pytest.skip("OMS_TEST_REPLICA_URL not set (make test starts a replica)")
    server = make_url(_service_url("OMS_TEST_REPLICA_URL"))
    url = make_url(db.url).set(host=server.host, port=server.port)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    replica = Replica(db, engine)
    db.set_replica(url.render_as_string(hide_password=False))
    replica.catch_up()
    yield replica
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    db.set_replica(None)
    engine.dispose()


class Replica:
    def __init__(self, db: Database, engine) -> None:
        self.db, self.engine = db, engine

    def pause(self) -> None:
        self.catch_up()
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))

    def resume(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        self.catch_up()

    def catch_up(self, seconds: float = 10) -> None:
        with self.db.engine.connect() as conn:
            # The insert position: with synchronous_commit=off (the test server) a commit may
            # still be in the WAL buffers, past pg_current_wal_lsn (the write position).
            target = conn.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                behind = conn.execute(text("SELECT pg_wal_lsn_diff(:t, pg_last_wal_replay_lsn())"),
                                      {"t": target}).scalar()
            if behind is not None and behind <= 0:
                return
            time.sleep(0.05)
        raise AssertionError("the replica did not catch up")


def numbers(answer) -> list[str]:
    assert answer.status_code == 200, answer.get_json()
    return [o["number"] for o in answer.get_json()["items"]]


def test_search_reads_the_replica_and_decisions_the_primary(app, network, as_role, replica):
    cs_scene.stock_the_network()
    replica.pause()
    placed = cs_scene.web_order(as_role)  # routing reserved on the primary: it is routed
    assert placed["status"] == "routed"
    cs = as_role("cs")
    # The search is a moment behind (here: paused); the order itself is read from the primary.
    assert numbers(cs.get(f"{API}/orders", query_string={"q": "lopez"})) == []
    assert cs.get(f"{API}/orders/{placed['id']}").get_json()["status"] == "routed"
    # Stock decisions never read the replica: the replica still shows the stock the first
    # order took, the primary does not, and a second order is placed from what is left.
    second = cs_scene.web_order(as_role, "W-1043", lines=(("BOOT-1", 4, "160.00"),))
    assert second["status"] == "routed"  # 5 at dc-east, 1 taken, 4 left: all 4 reserved
    third = cs_scene.web_order(as_role, "W-1044", lines=(("BOOT-1", 3, "160.00"),))
    placed_units = sum(a["quantity"] for a in third["routing"]["allocations"])
    assert placed_units == 2  # only store-chicago's 2 were left
    replica.resume()
    assert numbers(cs.get(f"{API}/orders", query_string={"q": "lopez"})) == [
        third["number"], second["number"], placed["number"]]


def test_a_staff_members_own_change_shows_on_the_page_they_are_sent_back_to(
        app, network, as_role, replica):
    cs_scene.stock_the_network()
    placed = cs_scene.web_order(as_role)
    create_staff_user("carla", "cs", PASSWORD)
    create_staff_user("dana", "cs", PASSWORD)
    replica.pause()
    client = app.test_client()
    sign_in(client)
    page = f"/orders/{placed['id']}"
    status, html = post(client, page, f"{page}/notes",
                        {"note-text": "Customer asked about the boots", "note-channel": "phone"})
    assert status in (302, 303), html
    shown = client.get(page).get_data(as_text=True)
    assert "Customer asked about the boots" in shown  # read from the primary
    # Another rep (no change of their own) reads the replica, still paused behind.
    other = app.test_client()
    sign_in(other, "dana")
    assert "Customer asked about the boots" not in other.get(page).get_data(as_text=True)
    replica.resume()
    assert "Customer asked about the boots" in other.get(page).get_data(as_text=True)


def test_an_unreachable_replica_costs_a_warning_not_an_answer(app, network, as_role, db,
                                                             caplog):
    if db.is_sqlite:
        pytest.skip("a streaming replica is PostgreSQL's")
    cs_scene.stock_the_network()
    placed = cs_scene.web_order(as_role)
    closed = make_url(db.url).set(host="127.0.0.1", port=1)
    db.set_replica(closed.render_as_string(hide_password=False))
    try:
        cs = as_role("cs")
        assert numbers(cs.get(f"{API}/orders", query_string={"q": "lopez"})) == [
            placed["number"]]
        assert "read replica unreachable" in caplog.text
        # Skipped for a while: the next read does not try it again.
        assert db.replica_connection() is None
        assert db._replica_down_until - time.monotonic() > REPLICA_RETRY_SECONDS - 5
    finally:
        db.set_replica(None)


def test_without_stale_ok_the_primary_answers(db, replica, network):
    replica.pause()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO oms_customers (name, created_at) VALUES ('X', now())"))
    with read_session() as session:
        fresh = session.scalar(text("SELECT count(*) FROM oms_customers"))
    with read_session(stale_ok=True) as session:
        stale = session.scalar(text("SELECT count(*) FROM oms_customers"))
    assert (fresh, stale) == (1, 0)
