"""orders may carry a promised delivery date (express): routing uses only nodes that make it

Revision ID: 0022_promised_delivery
Revises: 0021_capacity_counters
Create Date: 2026-12-08 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_promised_delivery"
# Other branches may add one after 0021 too: re-chained when they land.
down_revision = "0021_capacity_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: orders stored before it promised nothing. On SQLite a lone
    # add_column is an ALTER TABLE (batch mode does not recreate oms_orders).
    with op.batch_alter_table("oms_orders") as batch:
        batch.add_column(sa.Column("promised_delivery_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oms_orders") as batch:
        batch.drop_column("promised_delivery_date")
