"""The migrations build exactly the schema the models describe (tables, columns, types,
indexes, foreign keys), on both databases: a model change without its migration, or the
reverse, fails here. CHECK constraints are not compared by Alembic; the tests that violate
them on purpose cover those."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import oms.app  # noqa: F401  (imports every package's models into Base.metadata)
from core.db import Base


def _differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url):
    assert _differences(database_url) == []
