"""Alembic environment: every package's tables, rendered in batch mode so that the same
migrations run on SQLite (which cannot ALTER most things) and PostgreSQL."""

from alembic import context
from sqlalchemy import create_engine, pool

import core.auth
import core.idempotency
import core.signin  # noqa: F401  (and core.staff: the staff users)
import fulfillment.models  # noqa: F401
import integrations.models
import integrations.outbound.models
import integrations.stock.models  # noqa: F401
import inventory.models  # noqa: F401
import oms.models  # noqa: F401
import returns.models  # noqa: F401
from core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
