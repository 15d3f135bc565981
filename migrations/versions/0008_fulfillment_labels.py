"""fulfillments carry what a node needs to pick, pack and label

Order number was there already; now the channel, the customer's name and phone, the ship-to
of a shipment, and each line's product name. Fulfillments made before are filled in from
their orders (product names from the order line, else the catalogue).

Revision ID: 0008_fulfillment_labels
Revises: 0007_key_locations
Create Date: 2026-11-30 19:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_fulfillment_labels"
down_revision = "0007_key_locations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ful_fulfillments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("customer_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("customer_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("ship_to", sa.JSON(), nullable=True))
    with op.batch_alter_table("ful_fulfillment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))

    order = "(SELECT {} FROM oms_orders o WHERE o.id = ful_fulfillments.order_id)"
    op.execute("UPDATE ful_fulfillments SET "
               f"channel = {order.format('o.channel')}, "
               f"customer_name = {order.format('o.customer_name')}, "
               f"customer_phone = {order.format('o.phone')}")
    # The label of a shipment: the order's address as it is now (the view shows only the
    # address fields and fills name and phone from the customer where the address has none).
    op.execute(f"UPDATE ful_fulfillments SET ship_to = {order.format('o.ship_to')} "
               "WHERE method = 'ship'")
    op.execute(
        "UPDATE ful_fulfillment_lines SET name = COALESCE("
        "(SELECT l.name FROM oms_order_lines l WHERE l.id = ful_fulfillment_lines.order_line_id),"
        " (SELECT i.name FROM inv_items i WHERE i.sku = ful_fulfillment_lines.sku))")


def downgrade() -> None:
    with op.batch_alter_table("ful_fulfillment_lines", schema=None) as batch_op:
        batch_op.drop_column("name")
    with op.batch_alter_table("ful_fulfillments", schema=None) as batch_op:
        batch_op.drop_column("ship_to")
        batch_op.drop_column("customer_phone")
        batch_op.drop_column("customer_name")
        batch_op.drop_column("channel")
