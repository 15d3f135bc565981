"""pickup reminder: when the customer of a ready pickup was told it expires soon

Revision ID: 0016_pickup_reminder
Revises: 0015_stock_sync
Create Date: 2026-11-30 23:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_pickup_reminder"
down_revision = "0015_stock_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ful_fulfillments") as batch:
        batch.add_column(sa.Column("expiry_reminded_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ful_fulfillments") as batch:
        batch.drop_column("expiry_reminded_at")
