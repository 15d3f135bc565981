"""outbox rows keep the id of the request that caused them (sent to subscribers as X-Request-Id)

Revision ID: 0023_outbox_request_id
Revises: 0022_promised_delivery
Create Date: 2026-12-10 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0023_outbox_request_id"
# Other branches may add one after 0022 too: re-chained when they land.
down_revision = "0022_promised_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: a metadata-only change on PostgreSQL (no table rewrite, no long
    # lock), and old code that does not write it runs beside the new during a rolling deploy.
    with op.batch_alter_table("oms_outbox") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oms_outbox") as batch:
        batch.drop_column("request_id")
