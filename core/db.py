"""Database plumbing shared by every package: metadata, engine, sessions, units of work.

It lives in `core` (not `oms`, as the architecture notes first suggested) because `inventory`
needs sessions too and must not import `oms`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BigInteger, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids are plain integers there.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def sql_in(values: tuple[str, ...]) -> str:
    """`'a', 'b'` for CHECK constraints that pin a column to known values."""
    return ", ".join(f"'{v}'" for v in values)


def utcnow() -> dt.datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL, rendered with a `Z`."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Database:
    """One engine and its session factory for a database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
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
            )
        self._writer = self.engine.execution_options(oms_write=True)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(bind=self._writer, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


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


def init_database(url: str, **kwargs: Any) -> Database:
    """Configure the process-wide database (the app factory and CLI call this once)."""
    global _database
    if _database is not None and _database.url == url:
        return _database
    if _database is not None:
        _database.dispose()
    _database = Database(url, **kwargs)
    return _database


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("database not configured: call core.db.init_database(url) first")
    return _database


# Hooks that must run inside the committing transaction of the current use case (for
# example: recording an idempotency key together with the effect it protects).
_before_commit: contextvars.ContextVar[tuple[Callable[[Session], None], ...]] = (
    contextvars.ContextVar("oms_before_commit", default=())
)


@contextmanager
def in_transaction_hook(hook: Callable[[Session], None]) -> Iterator[None]:
    token = _before_commit.set((*_before_commit.get(), hook))
    try:
        yield
    finally:
        _before_commit.reset(token)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A write transaction. The use case calls `session.commit()` exactly once; anything
    not committed when the block ends is rolled back."""
    session = get_database().write_sessions()
    hooks = _before_commit.get()
    if hooks:
        def run_hooks(s: Session) -> None:
            # before_commit also fires when a savepoint is released: hooks belong to the
            # real commit only.
            if s.in_nested_transaction():
                return
            for hook in hooks:
                hook(s)
        event.listen(session, "before_commit", run_hooks)
    try:
        yield session
    finally:
        # close() rolls back whatever was not committed and detaches objects without
        # expiring them, so results read inside the block stay usable after it.
        session.close()


@contextmanager
def read_session() -> Iterator[Session]:
    """A read-only session; never commits."""
    session = get_database().sessions()
    try:
        yield session
    finally:
        # close() rolls back whatever was not committed and detaches objects without
        # expiring them, so results read inside the block stay usable after it.
        session.close()


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL aborted us so another could proceed;
    the whole use case can simply run again."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in ("40P01", "40001")


def retry_transient(attempts: int = 4) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run a use case again (from its start, in a new transaction) on a transient failure.
    For use cases that lock rows in an order they cannot always choose (re-routing releases
    some rows and then reserves others)."""
    import functools

    from sqlalchemy.exc import OperationalError

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except OperationalError as exc:
                    if not is_transient(exc) or attempt == attempts:
                        raise
            raise AssertionError("unreachable")

        return wrapper

    return decorate
