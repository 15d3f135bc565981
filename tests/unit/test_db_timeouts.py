"""The database's time limits as connection options, and how a cut statement is recognised
(from real driver errors)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from core.db import (
    LOCK_TIMEOUT,
    STATEMENT_TIMEOUT,
    Timeouts,
    database_unavailable,
    is_transient,
    timeout_cause,
)

PG = "postgresql+psycopg://oms@db:5432/oms"


def test_the_limits_travel_as_connection_options():
    args = Timeouts(statement_ms=15000, lock_ms=2000, connect_s=10).connect_args(PG)
    assert args == {"options": "-c statement_timeout=15000 -c lock_timeout=2000",
                    "connect_timeout": 10}


def test_defaults_bound_statements_not_lock_waits():
    assert Timeouts().connect_args(PG) == {"options": "-c statement_timeout=15000",
                                           "connect_timeout": 10}


def test_zero_sends_nothing_for_pgbouncer():
    assert Timeouts(statement_ms=0, lock_ms=0, connect_s=0).connect_args(PG) == {}


def test_what_the_url_says_is_kept():
    url = PG + "?options=-c%20search_path%3Doms&connect_timeout=3"
    assert Timeouts().connect_args(url) == {
        "options": "-c search_path=oms -c statement_timeout=15000"}


def test_behind_pgbouncer_no_options_and_no_prepared_statements():
    # PgBouncer refuses the `options` startup parameter; the role carries the timeouts. The
    # connect timeout is libpq's own, never sent to the server: it stays.
    assert Timeouts(statement_ms=15000, lock_ms=2000).connect_args(PG, pgbouncer=True) == {
        "prepare_threshold": None, "connect_timeout": 10}


def test_the_pgbouncer_switch_reads_from_the_environment(monkeypatch):
    from oms.config import Settings

    assert Settings.from_env().database_pgbouncer is False
    monkeypatch.setenv("OMS_DATABASE_PGBOUNCER", "1")
    assert Settings.from_env().database_pgbouncer is True


def wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize("orig, cause", [
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
     STATEMENT_TIMEOUT),
    (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
     LOCK_TIMEOUT),
    (psycopg.errors.DeadlockDetected("deadlock detected"), None),
    (psycopg.errors.UniqueViolation("duplicate key"), None),
])
def test_postgresql_errors(orig, cause):
    assert timeout_cause(wrapped(orig)) == cause
    assert timeout_cause(orig) is None  # only what SQLAlchemy raised carries `orig`


def test_sqlite_busy_past_its_timeout_is_a_lock_timeout(tmp_path):
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0.05)
    with pytest.raises(sqlite3.OperationalError) as err:
        waiter.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    assert timeout_cause(wrapped(err.value)) == LOCK_TIMEOUT
    assert not is_transient(wrapped(err.value))
    assert timeout_cause(wrapped(sqlite3.OperationalError("no such table: t"))) is None


@pytest.mark.parametrize("orig, unavailable", [
    (psycopg.OperationalError("connection failed: connection refused"), True),
    (psycopg.InterfaceError("the connection is closed"), True),
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
    (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
    (psycopg.errors.ConnectionFailure("connection failure"), True),
    (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
    (psycopg.errors.DeadlockDetected("deadlock detected"), False),
    (psycopg.errors.UniqueViolation("duplicate key"), False),
    (sqlite3.OperationalError("database is locked"), False),
])
def test_a_database_going_away_is_told_from_other_errors(orig, unavailable):
    assert database_unavailable(wrapped(orig)) is unavailable
    assert database_unavailable(orig) is False  # only what SQLAlchemy raised carries `orig`
