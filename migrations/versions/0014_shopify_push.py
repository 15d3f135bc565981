"""shopify push: each outbox row keeps who caused it, so what Shopify told us is not echoed
back to Shopify

Revision ID: 0014_shopify_push
Revises: 0013_outbound
Create Date: 2026-12-04 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_shopify_push"
down_revision = "0013_outbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oms_outbox") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("oms_outbox") as batch:
        batch.drop_column("actor")
