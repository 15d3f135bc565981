"""refund settlement: how a pending refund's money went back (method), who said so and when;
a settled refund names its reference and time

Refunds settled before this (Shopify's own refunds, booked settled when recorded) get their
recording time and the return's author (`shopify:<shop>`) as when and who settled them.

Revision ID: 0017_refund_settlement
Revises: 0016_pickup_reminder
Create Date: 2026-12-06 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_refund_settlement"
down_revision = "0016_pickup_reminder"
branch_labels = None
depends_on = None

METHODS = "'card', 'cash', 'gift_card', 'store_credit', 'other'"


def upgrade() -> None:
    with op.batch_alter_table("ret_refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("settled_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE ret_refunds SET settled_at = created_at, settled_by = "
               "(SELECT created_by FROM ret_returns WHERE ret_returns.id = ret_refunds.return_id) "
               "WHERE status = 'settled'")
    with op.batch_alter_table("ret_refunds", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_ret_refunds_known_method"),
                                         f"method IS NULL OR method IN ({METHODS})")
        batch_op.create_check_constraint(op.f("ck_ret_refunds_settled_has_time"),
                                         "(status = 'settled') = (settled_at IS NOT NULL)")
        batch_op.create_check_constraint(op.f("ck_ret_refunds_settled_has_ref"),
                                         "status <> 'settled' OR external_ref IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("ret_refunds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ret_refunds_settled_has_ref"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_refunds_settled_has_time"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_refunds_known_method"), type_="check")
        batch_op.drop_column("settled_at")
        batch_op.drop_column("settled_by")
        batch_op.drop_column("method")
