"""ops dashboard: indexes for its reads at millions of orders (pickups ready and expiring,
work and returns made since a period's start)

Revision ID: 0019_ops_dashboard
Revises: 0018_staff_users
Create Date: 2026-12-06 12:00:00
"""
from alembic import op

revision = "0019_ops_dashboard"
# Other branches may add one after 0018 too: re-chained when they land.
down_revision = "0018_staff_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Pickups ready and expiring before a time (the dashboard, and the expiry job's scan).
    op.create_index("ix_ful_fulfillments_status_expiry", "ful_fulfillments",
                    ["status", "pickup_expires_at"])
    # The KPIs: work and returns made since a period's start (never before their order).
    op.create_index("ix_ful_fulfillments_created_at", "ful_fulfillments", ["created_at"])
    op.create_index("ix_ret_returns_created_at", "ret_returns", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ret_returns_created_at", table_name="ret_returns")
    op.drop_index("ix_ful_fulfillments_created_at", table_name="ful_fulfillments")
    op.drop_index("ix_ful_fulfillments_status_expiry", table_name="ful_fulfillments")
