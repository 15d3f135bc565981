"""orders record what the customer paid: per line discount, tax, tax lines and discount
allocations; per order taxes_included, shipping lines and the open totals (discounts, tax,
shipping, total)

Existing orders had unit prices only: their lines get discount 0 and tax 0, no shipping
lines, and total = subtotal (a refund is unit price x quantity).

Revision ID: 0011_order_money
Revises: 0010_returns
Create Date: 2026-12-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_order_money"
down_revision = "0010_returns"
branch_labels = None
depends_on = None

TOTAL_RULE = ("subtotal - discounts_total + shipping_total + "
              "CASE WHEN taxes_included THEN 0 ELSE tax_total END")


def upgrade() -> None:
    with op.batch_alter_table("oms_order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount", sa.Numeric(12, 2), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("tax", sa.Numeric(12, 2), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("tax_lines", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("discount_allocations", sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_oms_order_lines_money_not_negative"),
                                         "discount >= 0 AND tax >= 0")
        batch_op.create_check_constraint(op.f("ck_oms_order_lines_discount_within"),
                                         "discount <= unit_price * quantity + 0.005")
    with op.batch_alter_table("oms_orders", schema=None) as batch_op:
        for name in ("discounts_total", "tax_total", "shipping_total", "total"):
            batch_op.add_column(sa.Column(name, sa.Numeric(14, 2), server_default="0",
                                          nullable=False))
        batch_op.add_column(sa.Column("taxes_included", sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("shipping_lines", sa.JSON(), nullable=True))
    op.execute("UPDATE oms_orders SET total = subtotal")
    with op.batch_alter_table("oms_orders", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_oms_orders_totals_not_negative"),
            "discounts_total >= 0 AND tax_total >= 0 AND shipping_total >= 0 AND total >= 0")
        batch_op.create_check_constraint(op.f("ck_oms_orders_total_adds_up"),
                                         f"abs(total - ({TOTAL_RULE})) < 0.005")


def downgrade() -> None:
    with op.batch_alter_table("oms_orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_oms_orders_total_adds_up"), type_="check")
        batch_op.drop_constraint(op.f("ck_oms_orders_totals_not_negative"), type_="check")
        for name in ("shipping_lines", "taxes_included", "total", "shipping_total",
                     "tax_total", "discounts_total"):
            batch_op.drop_column(name)
    with op.batch_alter_table("oms_order_lines", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_oms_order_lines_discount_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_oms_order_lines_money_not_negative"), type_="check")
        for name in ("discount_allocations", "tax_lines", "tax", "discount"):
            batch_op.drop_column(name)
