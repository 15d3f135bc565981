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


def test_key_locations_move_into_their_table_and_back(tmp_path):
    """0007: a key's single location_code becomes a core_api_key_locations row (SQLite,
    batch mode; the PostgreSQL schema is checked above)."""
    from alembic import command
    from sqlalchemy import text

    from oms.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    before = "0007_key_locations-1"  # whatever precedes it in the chain
    upgrade(url, before)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for i, (role, location) in enumerate([("store", "store-a"), ("wms", None)]):
                conn.execute(text(
                    "INSERT INTO core_api_keys (name, role, location_code, key_hash, "
                    "display_prefix, created_at) VALUES (:n, :r, :l, :h, 'oms_', "
                    "CURRENT_TIMESTAMP)"), {"n": role, "r": role, "l": location, "h": f"h{i}"})
        upgrade(url, "0007_key_locations")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT k.role, l.location_code FROM core_api_key_locations l "
                "JOIN core_api_keys k ON k.id = l.key_id")).all() == [("store", "store-a")]
        command.downgrade(alembic_config(url), before)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT role, location_code FROM core_api_keys "
                                     "ORDER BY id")).all() == [("store", "store-a"),
                                                               ("wms", None)]
    finally:
        engine.dispose()
