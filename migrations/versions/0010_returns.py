"""returns: authorisations, their lines (received, restocked, damaged, refund parts), one refund
per return, exchange links; order lines count their returned units

Revision ID: 0010_returns
Revises: 0009_pickup_feeders
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_returns"
down_revision = "0009_pickup_feeders"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)
REASONS = "'wrong_size', 'damaged', 'wrong_item', 'not_as_described', 'changed_mind', 'other'"


def upgrade() -> None:
    with op.batch_alter_table("oms_order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.create_check_constraint(op.f("ck_oms_order_lines_returned_within"),
                                         "returned >= 0 AND returned <= fulfilled")

    op.create_table(
        "ret_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("window_override_reason", sa.String(length=500), nullable=True),
        sa.Column("window_overridden_by", sa.String(length=200), nullable=True),
        sa.Column("refund_shipping", sa.Boolean(), nullable=False),
        sa.Column("refund_total", MONEY, nullable=False),
        sa.Column("exchange_order_id", sa.Integer(), nullable=True),
        sa.Column("exchange_order_number", sa.String(length=40), nullable=True),
        sa.Column("exchange_total", MONEY, nullable=True),
        sa.Column("exchange_balance", sa.String(length=20), nullable=True),
        sa.Column("exchange_difference", MONEY, nullable=True),
        sa.Column("exchange_state", sa.String(length=30), nullable=True),
        sa.Column("exchange_request", sa.JSON(), nullable=True),
        sa.Column("exchange_hold_location", sa.String(length=40), nullable=True),
        sa.Column("exchange_payment_ref", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'authorised', 'partly_received', 'received', "
            "'refunded', 'cancelled')", name=op.f("ck_ret_returns_known_status")),
        sa.CheckConstraint("source IN ('api', 'shopify')",
                           name=op.f("ck_ret_returns_known_source")),
        sa.CheckConstraint("exchange_balance IS NULL OR exchange_balance IN "
                           "('even', 'owed', 'refund')",
                           name=op.f("ck_ret_returns_known_balance")),
        sa.CheckConstraint("exchange_state IS NULL OR exchange_state IN "
                           "('awaiting_payment', 'placed')",
                           name=op.f("ck_ret_returns_known_exchange_state")),
        sa.CheckConstraint("(exchange_total IS NULL) = (exchange_balance IS NULL)",
                           name=op.f("ck_ret_returns_exchange_has_balance")),
        sa.CheckConstraint("exchange_state IS NULL OR exchange_state = 'awaiting_payment' "
                           "OR exchange_order_id IS NOT NULL",
                           name=op.f("ck_ret_returns_placed_has_order")),
        sa.CheckConstraint("window_override_reason IS NULL OR window_overridden_by IS NOT NULL",
                           name=op.f("ck_ret_returns_override_has_actor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ret_returns")),
        sa.UniqueConstraint("external_ref", name="uq_ret_returns_external_ref"),
    )
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.create_index("ix_ret_returns_order", ["order_id", "id"], unique=False)
        batch_op.create_index("ix_ret_returns_customer", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_ret_returns_location_status",
                              ["location_code", "status", "id"], unique=False)

    op.create_table(
        "ret_return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("restocked", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("returned_before", sa.Integer(), nullable=False),
        sa.Column("refund_subtotal", MONEY, nullable=False),
        sa.Column("refund_discount", MONEY, nullable=False),
        sa.Column("refund_tax", MONEY, nullable=False),
        sa.Column("refund_included_tax", MONEY, nullable=False),
        sa.Column("refund_total", MONEY, nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_ret_return_lines_quantity_positive")),
        sa.CheckConstraint("restocked >= 0 AND damaged >= 0",
                           name=op.f("ck_ret_return_lines_received_not_negative")),
        sa.CheckConstraint("restocked + damaged <= quantity",
                           name=op.f("ck_ret_return_lines_received_within_authorised")),
        sa.CheckConstraint(f"reason IN ({REASONS})",
                           name=op.f("ck_ret_return_lines_known_reason")),
        sa.CheckConstraint("abs(refund_total - (refund_subtotal - refund_discount + refund_tax "
                           "- refund_included_tax)) < 0.005",
                           name=op.f("ck_ret_return_lines_refund_adds_up")),
        sa.ForeignKeyConstraint(["return_id"], ["ret_returns.id"],
                                name=op.f("fk_ret_return_lines_return_id_ret_returns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ret_return_lines")),
    )
    with op.batch_alter_table("ret_return_lines", schema=None) as batch_op:
        batch_op.create_index("ix_ret_return_lines_return", ["return_id"], unique=False)
        batch_op.create_index("ix_ret_return_lines_order_line", ["order_line_id"],
                              unique=False)

    op.create_table(
        "ret_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount", MONEY, nullable=False),
        sa.Column("tax", MONEY, nullable=False),
        sa.Column("included_tax", MONEY, nullable=False),
        sa.Column("shipping", MONEY, nullable=False),
        sa.Column("exchange_applied", MONEY, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'settled')",
                           name=op.f("ck_ret_refunds_known_status")),
        sa.CheckConstraint("abs(amount - (subtotal - discount + tax - included_tax + shipping "
                           "- exchange_applied)) < 0.005", name=op.f("ck_ret_refunds_adds_up")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_ret_refunds_amount_not_negative")),
        sa.ForeignKeyConstraint(["return_id"], ["ret_returns.id"],
                                name=op.f("fk_ret_refunds_return_id_ret_returns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ret_refunds")),
        sa.UniqueConstraint("return_id", name="uq_ret_refunds_return_id"),
    )


def downgrade() -> None:
    op.drop_table("ret_refunds")
    with op.batch_alter_table("ret_return_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_ret_return_lines_order_line")
        batch_op.drop_index("ix_ret_return_lines_return")
    op.drop_table("ret_return_lines")
    with op.batch_alter_table("ret_returns", schema=None) as batch_op:
        batch_op.drop_index("ix_ret_returns_location_status")
        batch_op.drop_index("ix_ret_returns_customer")
        batch_op.drop_index("ix_ret_returns_order")
    op.drop_table("ret_returns")
    with op.batch_alter_table("oms_order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_oms_order_lines_returned_within"), type_="check")
        batch_op.drop_column("returned")
