"""outbound sync: webhook subscriptions, one delivery per (outbox event, subscription) with
its attempts, indexed for the relay's sweep and its per-order chains

Revision ID: 0013_outbound
Revises: 0012_return_cancel
Create Date: 2026-12-03 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_outbound"
down_revision = "0012_return_cancel"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "integ_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=60), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("after_outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integ_subscriptions")),
    )
    op.create_table(
        "integ_deliveries",
        sa.Column("id", BIG, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", BIG, nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("aggregate", sa.String(length=30), nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("budget_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')",
                           name=op.f("ck_integ_deliveries_known_status")),
        sa.ForeignKeyConstraint(["outbox_id"], ["oms_outbox.id"],
                                name=op.f("fk_integ_deliveries_outbox_id_oms_outbox")),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["integ_subscriptions.id"], ondelete="CASCADE",
            name=op.f("fk_integ_deliveries_subscription_id_integ_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integ_deliveries")),
        sa.UniqueConstraint("subscription_id", "outbox_id",
                            name="uq_integ_deliveries_subscription_event"),
    )
    with op.batch_alter_table("integ_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_integ_deliveries_due", ["status", "next_attempt_at"])
        batch_op.create_index("ix_integ_deliveries_chain",
                              ["subscription_id", "aggregate", "aggregate_id", "outbox_id"])
        batch_op.create_index("ix_integ_deliveries_outbox_id", ["outbox_id"])
    op.create_table(
        "integ_delivery_attempts",
        sa.Column("id", BIG, nullable=False),
        sa.Column("delivery_id", BIG, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["integ_deliveries.id"], ondelete="CASCADE",
            name=op.f("fk_integ_delivery_attempts_delivery_id_integ_deliveries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integ_delivery_attempts")),
    )
    with op.batch_alter_table("integ_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integ_delivery_attempts_delivery_id"),
                              ["delivery_id"])


def downgrade() -> None:
    op.drop_table("integ_delivery_attempts")
    op.drop_table("integ_deliveries")
    op.drop_table("integ_subscriptions")
