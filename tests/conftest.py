"""Fixtures shared by the suite.

Every test that takes `db` (or anything built on it) runs twice: on SQLite and on PostgreSQL
(`OMS_TEST_DATABASE_URL`, started by `make test`). The schema comes from the Alembic migrations,
never from `create_all`, so the migrations are tested on both too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from core.auth import create_api_key
from core.db import Base, Database, init_database
from oms.app import wire
from oms.config import Settings, normalise_database_url
from oms.migrate import upgrade

BACKENDS = ("sqlite", "postgresql")
REQUIRE_SERVICES = os.environ.get("OMS_TEST_REQUIRE_SERVICES") == "1"


def _service_url(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail(f"{name} is not set but the suite requires it")
        pytest.skip(f"{name} not set (run the suite with `make test`)")
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'oms-test.sqlite3'}"
    else:
        url = normalise_database_url(_service_url("OMS_TEST_DATABASE_URL"))
    upgrade(url)
    return url


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


def _truncate(database: Database) -> None:
    database.memo.clear()  # ids start again from 1
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.is_sqlite:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(request: pytest.FixtureRequest, database_url: str) -> Iterator[Database]:
    if request.node.get_closest_marker("postgres_only") and database_url.startswith("sqlite"):
        pytest.skip("needs PostgreSQL's row-level locking")
    database = init_database(database_url)
    wire()  # what create_app does, for tests that call use cases without an app
    _truncate(database)
    yield database


@pytest.fixture
def redis_url() -> str:
    url = _service_url("OMS_TEST_REDIS_URL")
    from redis import Redis

    Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def app(db: Database):
    from oms.app import create_app

    application = create_app(Settings(database_url=db.url, redis_url=None,
                                      embedded_worker=False, log_level="WARNING"))
    application.testing = True
    return application


@dataclass
class Caller:
    """A test client bound to one API key."""

    client: Any
    key: str | None

    def _headers(self, headers: dict | None) -> dict:
        out = dict(headers or {})
        if self.key:
            out.setdefault("Authorization", f"Bearer {self.key}")
        return out

    def get(self, path: str, **kw: Any):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)),
                                **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self.client.put(path, json=json, headers=self._headers(kw.pop("headers", None)),
                               **kw)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_role(client):
    """`as_role("store", "store-a")` -> a Caller holding a fresh key of that role/scope;
    `as_role("wms", ["dc-a", "dc-b"])` for a key with several locations."""

    def make(role: str, location: str | list[str] | None = None) -> Caller:
        codes = [location] if isinstance(location, str) else list(location or [])
        return Caller(client, create_api_key(role, name=f"test-{role}", locations=codes))

    return make


@pytest.fixture
def admin(as_role) -> Caller:
    return as_role("admin")


@pytest.fixture
def channel(as_role) -> Caller:
    return as_role("channel")


@pytest.fixture
def cs(as_role) -> Caller:
    return as_role("cs")


@pytest.fixture
def network(db: Database) -> None:
    """Two warehouses, three stores and three SKUs, no stock yet."""
    from tests.support import build_network

    build_network()
