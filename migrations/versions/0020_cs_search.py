"""customer-service pages: customers' names searched by prefix on PostgreSQL
(text_pattern_ops, as orders' names are), and returns found by their exchange order

Revision ID: 0020_cs_search
Revises: 0019_ops_dashboard
Create Date: 2026-12-06 12:00:00
"""
from alembic import op

revision = "0020_cs_search"
down_revision = "0019_ops_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `LIKE 'jon sn%'` can use a b-tree only with text_pattern_ops under a non-C collation;
    # without it, customer search walked every customer (bench/pages.py: 38 ms at 200,000).
    with op.batch_alter_table("oms_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_oms_customers_name_search")
        batch_op.create_index("ix_oms_customers_name_search", ["name_search"], unique=False,
                              postgresql_ops={"name_search": "text_pattern_ops"})
    # An exchange order's page lists the return it came from.
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.create_index("ix_ret_returns_exchange_order", ["exchange_order_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.drop_index("ix_ret_returns_exchange_order")
    with op.batch_alter_table("oms_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_oms_customers_name_search")
        batch_op.create_index("ix_oms_customers_name_search", ["name_search"], unique=False)
