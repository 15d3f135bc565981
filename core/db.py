"""Database plumbing shared by every package: metadata, engine, sessions, units of work.

It lives in `core` (not `oms`, as the architecture notes first suggested) because `inventory`
needs sessions too and must not import `oms`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, MetaData, create_engine, event, insert, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker

from core import metrics

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids are plain integers there.
log = logging.getLogger(__name__)

BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sql_in(values: tuple[str, ...]) -> str:
    """`'a', 'b'` for CHECK constraints that pin a column to known values."""
    return ", ".join(f"'{v}'" for v in values)


def utcnow() -> dt.datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL, rendered with a `Z`."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Timeouts:
    """How long the database may take, on PostgreSQL (README, "Protecting the service").

    - `statement_ms` (OMS_DB_STATEMENT_TIMEOUT_MS): one statement, waiting for locks included;
      past it PostgreSQL cancels the statement and its transaction rolls back. It bounds how
      long a request can hold a web thread and a pooled connection on a slow query.
    - `lock_ms` (OMS_DB_LOCK_TIMEOUT_MS): waiting for one lock. 0 by default, so lock waits
      count against the statement timeout only: orders for a hot SKU queue on its rows by
      design (the LOCK ORDER below), and cutting that queue short would turn a Black-Friday
      bestseller into refusals. Set it to fail fast instead.
    - `connect_s`: opening a connection (a database host that does not answer must not hang
      a request for the TCP timeout's minutes).

    0 turns a limit off. They are sent as connection options (`-c statement_timeout=...`),
    so they hold for every statement on every pooled connection without a round trip, and no
    `SET` leaves session state behind. Behind PgBouncer (`pgbouncer=True`, which refuses the
    `options` startup parameter) they are not sent: the role carries them instead,
    `ALTER ROLE oms SET statement_timeout = '15s'` (README, "Connection pooling"). Reads
    that scan everything on purpose lift the statement timeout for their own transaction
    (`long_read_session`); migrations run on an engine of their own, without these limits.
    SQLite has none of them: its writers wait for each other up to its busy timeout (30 s),
    readers never wait.
    """

    statement_ms: int = 15_000
    lock_ms: int = 0
    connect_s: int = 10

    def connect_args(self, url: str, *, pgbouncer: bool = False) -> dict[str, Any]:
        """psycopg's connection arguments for these limits, keeping any `options` and
        `connect_timeout` the URL itself gives. `pgbouncer`: see `pgbouncer_connect_args`."""
        query = make_url(url).query
        args: dict[str, Any] = pgbouncer_connect_args() if pgbouncer else {}
        settings = [f"-c {name}={value}" for name, value in (
            ("statement_timeout", self.statement_ms), ("lock_timeout", self.lock_ms))
            if value > 0]
        if settings and not pgbouncer:
            given = query.get("options")
            given = given if isinstance(given, str) else " ".join(given or ())
            args["options"] = " ".join([*([given] if given else []), *settings])
        if self.connect_s > 0 and "connect_timeout" not in query:
            args["connect_timeout"] = self.connect_s
        return args


def pgbouncer_connect_args() -> dict[str, Any]:
    """psycopg's connection arguments behind PgBouncer in transaction pooling mode
    (OMS_DATABASE_PGBOUNCER=1), where consecutive transactions of one client connection run on
    whichever server connection is free:

    - no server-side prepared statements (`prepare_threshold=None`): psycopg prepares a
      statement after 5 executions and then only sends its name, which another server
      connection has never seen (`prepared statement "_pg3_0" does not exist`) or has seen
      with another meaning. Debian 12's PgBouncer is 1.18; only 1.21+ can track protocol-level
      prepared statements (`max_prepared_statements`), so they are off rather than relied on.
    - no `options` startup parameter (PgBouncer refuses it, "unsupported startup parameter"):
      the statement and lock timeouts are the role's (`ALTER ROLE ... SET`), not sent.

    Nothing else in the application keeps state on a server connection between transactions:
    no session `SET` (only `SET LOCAL`, which ends with its transaction), no advisory locks,
    no LISTEN/NOTIFY, no temporary tables (tests/e2e/test_pgbouncer.py runs the hot paths
    through a transaction-mode PgBouncer)."""
    return {"prepare_threshold": None}


# How long a replica that refused a connection is left alone before it is tried again (reads
# that tolerate staleness go to the primary meanwhile).
REPLICA_RETRY_SECONDS = 10.0


class Database:
    """One engine and its session factory for a database URL, and optionally a read replica
    for the reads that tolerate a little staleness (`read_session(stale_ok=True)`)."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10,
                 replica_url: str | None = None, timeouts: Timeouts | None = None,
                 pgbouncer: bool = False, replica_pgbouncer: bool | None = None) -> None:
        self.url = url
        # Behind PgBouncer in transaction mode: see pgbouncer_connect_args. The replica may be
        # reached another way (None: the same as the primary).
        self.pgbouncer = pgbouncer
        self.replica_pgbouncer = pgbouncer if replica_pgbouncer is None else replica_pgbouncer
        self.pool_size = pool_size
        self.replica: Engine | None = None
        self.replica_url: str | None = None
        self._replica_down_until = 0.0
        self.is_sqlite = url.startswith("sqlite")
        self.timeouts = timeouts or Timeouts()
        if self.is_sqlite:
            # isolation_level=None hands transaction control to us, so that writes can start
            # with BEGIN IMMEDIATE (see _begin) instead of upgrading a read lock mid-way.
            self.engine: Engine = create_engine(
                url, echo=echo, connect_args={"isolation_level": None, "timeout": 30}
            )
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=pool_size * 2,
                pool_pre_ping=True,
                connect_args=self.timeouts.connect_args(url, pgbouncer=pgbouncer),
            )
        metrics.watch_pool(self.engine, "primary")
        self._writer = self.engine.execution_options(oms_write=True)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        event.listen(self.sessions, "before_flush", _refuse_read_session_writes)
        self.write_sessions = sessionmaker(bind=self._writer, expire_on_commit=False)
        # Per-process memo of lookups that cannot change while this database lives (the id of a
        # SKU or of a location code: neither is ever renamed or deleted). Building blocks keep
        # their tables here under a name of their own; whoever wipes the database clears it.
        self.memo: dict[str, Any] = {}
        self.set_replica(replica_url)

    def set_replica(self, url: str | None) -> None:
        """Use the streaming replica at `url` for stale-tolerant reads (None: none)."""
        if url == self.replica_url:
            return
        if self.replica is not None:
            metrics.unwatch_pool(self.replica)
            self.replica.dispose()
        self.replica, self.replica_url, self._replica_down_until = None, url, 0.0
        if url:
            # A short connect timeout: a replica that is down costs a page two seconds once,
            # then it is skipped for REPLICA_RETRY_SECONDS. Its statements have the primary's
            # time limits.
            self.replica = create_engine(
                url, pool_size=self.pool_size, max_overflow=self.pool_size * 2,
                pool_pre_ping=True,
                connect_args={**self.timeouts.connect_args(url,
                                                           pgbouncer=self.replica_pgbouncer),
                              "connect_timeout": 2})
            metrics.watch_pool(self.replica, "replica")

    def replica_connection(self) -> Connection | None:
        """A connection to the replica, or None when there is none or it is unreachable (it is
        then skipped for REPLICA_RETRY_SECONDS)."""
        if self.replica is None or time.monotonic() < self._replica_down_until:
            return None
        try:
            return self.replica.connect()
        except OperationalError as exc:
            self.replica_failed(exc)
            return None

    def replica_failed(self, exc: Exception) -> None:
        log.warning("read replica unreachable, reading from the primary for %.0f s: %s",
                    REPLICA_RETRY_SECONDS, exc)
        self._replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS

    def memo_table(self, name: str, factory: Callable[[], Any] = dict) -> Any:
        """This process's memo `name` for this database (made by `factory` the first time)."""
        table = self.memo.get(name)
        if table is None:
            table = self.memo[name] = factory()
        return table

    def dispose(self) -> None:
        metrics.unwatch_pool(self.engine)
        self.engine.dispose()
        if self.replica is not None:
            metrics.unwatch_pool(self.replica)
            self.replica.dispose()


def _refuse_read_session_writes(session: Session, _context: Any, _instances: Any) -> None:
    # A read session ends with COMMIT (see read_session), so it must have nothing to write.
    raise RuntimeError("a read session must not write: open a unit of work")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A write transaction takes SQLite's write lock up front: two writers then queue on the
    # busy timeout instead of failing with "database is locked" on a lock upgrade.
    mode = "IMMEDIATE" if conn.get_execution_options().get("oms_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


_database: Database | None = None


def init_database(url: str, *, replica_url: str | None = None, **kwargs: Any) -> Database:
    """Configure the process-wide database (the app factory and CLI call this once). The same
    URL with the same timeouts and PgBouncer switch keeps the database already configured (and
    its memo)."""
    global _database
    if _database is not None and _database.url == url and \
            _database.timeouts == (kwargs.get("timeouts") or Timeouts()) and \
            _database.pgbouncer == kwargs.get("pgbouncer", False) and \
            _database.replica_pgbouncer == _pick(kwargs.get("replica_pgbouncer"),
                                                 kwargs.get("pgbouncer", False)):
        _database.set_replica(replica_url)
        return _database
    if _database is not None:
        _database.dispose()
    _database = Database(url, replica_url=replica_url, **kwargs)
    return _database


def _pick(value: bool | None, default: bool) -> bool:
    return default if value is None else value


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database not configured: call core.db.init_database(url) first")
    return _database


# LOCK ORDER. Every use case that changes an order and its work takes its row locks in this
# order, so that no two can wait for each other in a cycle:
#   1. the order (`oms.orders.load_for_update`, FOR NO KEY UPDATE);
#   2. the allocation guard on its items (`fulfillment.planning.guard_items`);
#   3. balance rows, in (item, location) order (the ledger's guarded updates);
#   4. reservations and transfers;
#   5. fulfillments (`fulfillment.work.lock`, claims with SKIP LOCKED).
# Row locks are FOR NO KEY UPDATE where the row is referenced by foreign keys, so the
# key-share locks that inserting a referencing row takes never wait for them. Where a cycle
# can still form (locks PostgreSQL takes on its own), the unit of work is retried whole.


class UnitOfWork:
    """One attempt of one use case: a write transaction and what rides on its commit.

    A use case opens it (`unit_of_work` or `run_in_unit_of_work`), passes it down to building
    blocks that never commit, and commits it once. It carries:

    - `attempt`: 1 on the first try; a retry (after a deadlock or a lost race for stock) gets
      a fresh unit of work with the next number, so nothing collected by a failed attempt
      survives into the next one;
    - `joined`: work that must commit together with the use case's effect, handed in
      explicitly by the caller (an `Idempotency-Key` record, the settling of an inbound
      event); each runs just before the commit;
    - `before_commit`: writes a building block batches until the end (events);
    - `after_commit`: actions for after the commit (enqueue a job, notify), run only once the
      transaction is durable, never for a rolled-back attempt;
    - `events`: the kinds of the timeline events and outbox topics recorded in it, in order
      (what the use case did, for its result and its tests);
    - `memo`: per-transaction state of building blocks (the locks this transaction holds).
    """

    def __init__(self, session: Session, *, attempt: int = 1,
                 joined: Sequence[Callable[[UnitOfWork], None]] = ()) -> None:
        self.session = session
        self.attempt = attempt
        self.events: list[str] = []
        self.memo: dict[str, Any] = {}
        self._joined = list(joined)
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[UnitOfWork], None]] = []
        self.committed = False

    @property
    def contended(self) -> bool:
        """This use case lost a race before: lock ahead of newcomers (see the ledger)."""
        return self.attempt > 1

    def join(self, work: Callable[[UnitOfWork], None]) -> None:
        self._joined.append(work)

    def after_commit(self, action: Callable[[], None]) -> None:
        self._after_commit.append(action)

    def before_commit(self, write: Callable[[UnitOfWork], None]) -> None:
        """A building block's writes it batches until the end (events, as multi-row inserts):
        run after the joined work, just before the commit."""
        self._before_commit.append(write)

    def record(self, kind: str) -> None:
        self.events.append(kind)

    def commit(self) -> None:
        if self.committed:
            raise RuntimeError("a unit of work commits once")
        for work in self._joined:
            work(self)
        for write in self._before_commit:
            write(self)
        self.session.commit()
        self.committed = True
        for action in self._after_commit:
            try:
                action()
            except Exception:  # the effect is committed; sweeps re-derive what was missed
                log.exception("after-commit action failed")


# Work a caller hands to a use case, to commit together with its effect (see UnitOfWork).
Joined = Sequence[Callable[[UnitOfWork], None]]


@contextmanager
def unit_of_work(*, attempt: int = 1, joined: Joined = ()) -> Iterator[UnitOfWork]:
    """A write transaction. The use case calls `uow.commit()` exactly once; anything not
    committed when the block ends is rolled back."""
    session = get_database().write_sessions()
    try:
        yield UnitOfWork(session, attempt=attempt, joined=joined)
    finally:
        # close() rolls back whatever was not committed and detaches objects without
        # expiring them, so results read inside the block stay usable after it.
        session.close()


TRANSIENT_ATTEMPTS = 4
STOCK_ATTEMPTS = 8
T = TypeVar("T")


def run_in_unit_of_work(work: Callable[[UnitOfWork], T], *, joined: Joined = (),
                        retry_lost_stock: bool = False,
                        exhausted: Callable[[], Exception] | None = None) -> T:
    """Run `work` in a fresh unit of work and commit it (unless `work` did); run it again
    from the start, in a new unit of work with the next attempt number, when PostgreSQL
    aborted it to break a deadlock or a serialization conflict, and (with
    `retry_lost_stock`) when stock the plan counted on moved under it (InsufficientStock).

    Transient failures are retried up to TRANSIENT_ATTEMPTS times, lost stock up to
    STOCK_ATTEMPTS times (`work` may look at `uow.attempt == STOCK_ATTEMPTS` to settle for
    less on its last try); then `exhausted()` is raised, or the last error itself."""
    from core.errors import InsufficientStock

    transient = 0
    attempt = 0
    while True:
        attempt += 1
        try:
            with unit_of_work(attempt=attempt, joined=joined) as uow:
                result = work(uow)
                if not uow.committed:
                    uow.commit()
                return result
        except OperationalError as exc:
            transient += 1
            if not is_transient(exc) or transient >= TRANSIENT_ATTEMPTS:
                raise
        except InsufficientStock:
            if not retry_lost_stock or attempt >= STOCK_ATTEMPTS:
                if exhausted is not None:
                    raise exhausted() from None
                raise


# Set for a request whose caller has just written (web: a staff member's own form post): its
# stale-tolerant reads go to the primary, so a page never shows the state before its own change.
_reading_own_writes: ContextVar[bool] = ContextVar("oms_reading_own_writes", default=False)


def read_own_writes(on: bool = True) -> Any:
    """Send this context's stale-tolerant reads to the primary (`on`); returns the token for
    `ContextVar.reset`."""
    return _reading_own_writes.set(on)


def reset_read_own_writes(token: Any) -> None:
    _reading_own_writes.reset(token)


@contextmanager
def long_read_session() -> Iterator[Session]:
    """A read session whose statements the statement timeout does not cut: for reads that
    scan whole tables on purpose (ledger and order verification, by hand or as the periodic
    job), which on a big database may take longer than any request should. `SET LOCAL` ends
    with the transaction: nothing stays on the pooled connection."""
    with read_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL statement_timeout = 0"))
        yield session


@contextmanager
def read_session(*, stale_ok: bool = False) -> Iterator[Session]:
    """A read-only session. It ends with COMMIT, not ROLLBACK (the same for a transaction that
    wrote nothing): psycopg forgets every prepared statement of the connection on ROLLBACK, and
    PostgreSQL would then plan the hot statements again on every request.

    `stale_ok`: the read may come from the read replica (OMS_DATABASE_REPLICA_URL), a moment
    behind the primary: search, the staff pages' order and customer views, stock shown for
    display, dashboards. Never for a read that decides stock or state. Without a replica, when
    it is unreachable, or while the caller reads its own writes, the primary answers."""
    database = get_database()
    connection = None
    if stale_ok and not _reading_own_writes.get():
        connection = database.replica_connection()
    session = database.sessions(bind=connection) if connection is not None else database.sessions()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        if connection is not None:  # the replica went away mid-read: skip it for a while
            database.replica_failed(exc)
        raise
    finally:
        # close() rolls back whatever was not committed and detaches objects without
        # expiring them, so results read inside the block stay usable after it.
        session.close()
        if connection is not None:
            connection.close()


def write_new(session: Session, objects: Sequence[Any], *, attach: bool = True) -> None:
    """Insert new ORM objects of one class with ONE Core INSERT ... RETURNING id (SQLAlchemy
    batches the rows; the statement is compiled once), then (`attach`) add them to the session
    as if they had been loaded: persistent, every column set, nothing left for a flush to do.
    For the hot path (a new order, new work at nodes), where the unit of work's flush machinery
    cost more than the database did. The class's before/after insert hooks run as in a flush
    (they derive columns). Ids already set are kept. Parents and children written in several
    calls are attached together at the end (`attach_written`): attaching cascades along
    relationships, and an object not written yet would be inserted again."""
    if not objects:
        return
    mapper = sa_inspect(type(objects[0]))
    table = mapper.local_table
    [key] = [c.key for c in table.primary_key.columns]
    connection = session.connection()
    for obj in objects:
        mapper.dispatch.before_insert(mapper, connection, sa_inspect(obj))  # as a flush does
    rows = [_column_values(mapper, obj, key) for obj in objects]
    # On the session's connection: Core statements, without the ORM's execution layer.
    if all(row.get(key) is not None for row in rows):
        connection.execute(_inserts(table, returning=False), rows)
    else:
        ids = connection.execute(_inserts(table, returning=True), rows).scalars().all()
        for obj, new_id in zip(objects, ids, strict=True):
            setattr(obj, key, new_id)
    for obj in objects:
        mapper.dispatch.after_insert(mapper, connection, sa_inspect(obj))
    if attach:
        attach_written(session, objects)


@functools.cache
def _inserts(table: Any, *, returning: bool) -> Any:
    """The table's INSERT (returning its id in the rows' order), built once."""
    stmt = insert(table)
    if not returning:
        return stmt
    [key] = table.primary_key.columns
    return stmt.returning(key, sort_by_parameter_order=True)


def attach_written(session: Session, objects: Sequence[Any]) -> None:
    """Objects `write_new` inserted, added to the session as loaded (no INSERT again). Pass
    parents and children together: adding one cascades to the others, which must all be
    marked written first."""
    for obj in objects:
        make_transient_to_detached(obj)
    for obj in objects:
        session.add(obj)


def _column_values(mapper: Any, obj: Any, key: str) -> dict[str, Any]:
    """Every column's value for an INSERT, the Python-side default where none was set (set on
    the object too, so that it reads as loaded)."""
    values: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        [column] = attr.columns
        if attr.key == key:
            if obj.__dict__.get(key) is not None:
                values[column.key] = obj.__dict__[key]
            continue
        if attr.key not in obj.__dict__:
            default = column.default
            if default is None:
                value = None
            elif default.is_callable:
                value = default.arg(None)
            else:
                value = default.arg
            setattr(obj, attr.key, value)
        values[column.key] = getattr(obj, attr.key)
    return values


# INSERT with ON CONFLICT (upserts), by dialect: both databases have it, with one interface.
DIALECT_INSERT: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(session: Session) -> Any:
    """The INSERT construct (with `on_conflict_do_*`) of the session's database."""
    return DIALECT_INSERT[session.get_bind().dialect.name]


STATEMENT_TIMEOUT, LOCK_TIMEOUT = "statement_timeout", "lock_timeout"


def timeout_cause(exc: BaseException) -> str | None:
    """Why the database cut a statement short, if it did (its transaction is rolled back):
    STATEMENT_TIMEOUT for PostgreSQL's `query_canceled` (57014: the statement timeout, or an
    operator's `pg_cancel_backend`), LOCK_TIMEOUT for `lock_not_available` (55P03: the lock
    timeout) and for SQLite's "database is locked" (its busy timeout ran out). Not retried
    by the unit of work: the wait already was as long as allowed."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state == "57014":
        return STATEMENT_TIMEOUT
    if state == "55P03":
        return LOCK_TIMEOUT
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_BUSY" or (
            orig is not None and type(orig).__module__ == "sqlite3"
            and "database is locked" in str(orig)):
        return LOCK_TIMEOUT
    return None


# PostgreSQL's SQLSTATEs for a server going away: admin_shutdown (a fast shutdown or restart
# terminating sessions), crash_shutdown, cannot_connect_now (still starting up); class 08 is
# "connection exception".
UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or went away under the request: a restart, a
    failover, a network cut. Connection failures carry no SQLSTATE (or class 08), a server
    shutting down or starting up says so (UNAVAILABLE_STATES). Not the caller's fault and
    not a defect of the code: the API answers 503 with Retry-After (core.http) instead of
    500. A transaction cut mid-way was rolled back by the server; one whose COMMIT got no
    answer may have committed, which a retry with the same Idempotency-Key answers once
    (the key is stored in the same transaction)."""
    orig = getattr(exc, "orig", None)
    if orig is None or not type(orig).__module__.startswith("psycopg"):
        return False
    if getattr(exc, "connection_invalidated", False):
        return True
    state = getattr(orig, "sqlstate", None)
    if state is None:  # psycopg's own: connection failed, or the connection is closed
        return type(orig).__name__ in ("OperationalError", "InterfaceError")
    return state.startswith("08") or state in UNAVAILABLE_STATES


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL aborted us so another could proceed;
    the whole use case can simply run again."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in ("40P01", "40001")
