"""cancelling a return: per return line the units cancelled (they will not come), on the
return the reason, who and when; an exchange held for a cancelled return is `released`

Revision ID: 0012_return_cancel
Revises: 0011_order_money
Create Date: 2026-12-02 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_return_cancel"
down_revision = "0011_order_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ret_return_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled", sa.Integer(), server_default="0",
                                      nullable=False))
        # The unit positions each return line was priced on (NULL on lines made before:
        # they hold `returned_before` and the positions after it).
        batch_op.add_column(sa.Column("units", sa.JSON(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_ret_return_lines_cancelled_within_authorised"),
            "cancelled >= 0 AND restocked + damaged + cancelled <= quantity")
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f("ck_ret_returns_known_exchange_state"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_returns_placed_has_order"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_known_exchange_state"),
            "exchange_state IS NULL OR exchange_state IN "
            "('awaiting_payment', 'placed', 'released')")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_placed_has_order"),
            "exchange_state IS NULL OR exchange_state IN ('awaiting_payment', 'released') "
            "OR exchange_order_id IS NOT NULL")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_cancel_recorded"),
            "(cancel_reason IS NULL) = (cancelled_at IS NULL) "
            "AND (cancel_reason IS NULL) = (cancelled_by IS NULL)")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_cancelled_has_reason"),
            "status <> 'cancelled' OR cancel_reason IS NOT NULL")


def downgrade() -> None:
    # A released exchange had no order: back to the state that says so.
    op.execute("UPDATE ret_returns SET exchange_state = 'awaiting_payment' "
               "WHERE exchange_state = 'released'")
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ret_returns_cancelled_has_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_returns_cancel_recorded"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_returns_placed_has_order"), type_="check")
        batch_op.drop_constraint(op.f("ck_ret_returns_known_exchange_state"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_known_exchange_state"),
            "exchange_state IS NULL OR exchange_state IN ('awaiting_payment', 'placed')")
        batch_op.create_check_constraint(
            op.f("ck_ret_returns_placed_has_order"),
            "exchange_state IS NULL OR exchange_state = 'awaiting_payment' "
            "OR exchange_order_id IS NOT NULL")
        for name in ("cancelled_at", "cancelled_by", "cancel_reason"):
            batch_op.drop_column(name)
    with op.batch_alter_table("ret_return_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ret_return_lines_cancelled_within_authorised"),
                                 type_="check")
        batch_op.drop_column("units")
        batch_op.drop_column("cancelled")
