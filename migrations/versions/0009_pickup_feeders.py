"""each pickup line fed by a transfer points at the transfer line that carries its units

A shipped transfer line keeps the ledger transfer that carries it. Existing rows are linked
where the match is unambiguous (same order line and SKU, the transfer's sender is the pickup
line's source and its destination the pickup's store, one candidate only); an unlinked pickup
line keeps the old rule (the store holds the demand's units).

Revision ID: 0009_pickup_feeders
Revises: 0008_fulfillment_labels
Create Date: 2026-11-30 19:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_pickup_feeders"
down_revision = "0008_fulfillment_labels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ful_fulfillment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fed_by_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("transfer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_ful_fulfillment_lines_fed_by_line_id_ful_fulfillment_lines"),
            "ful_fulfillment_lines", ["fed_by_line_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_ful_fulfillment_lines_fed_by", ["fed_by_line_id"],
                              unique=False)
    candidates = (
        "SELECT t.id FROM ful_fulfillment_lines t "
        "JOIN ful_fulfillments tf ON tf.id = t.fulfillment_id "
        "JOIN ful_fulfillments pf ON pf.id = ful_fulfillment_lines.fulfillment_id "
        "WHERE tf.method = 'transfer' AND pf.method = 'pickup' "
        "AND tf.order_id = pf.order_id AND tf.transfer_to = pf.location_code "
        "AND t.order_line_id = ful_fulfillment_lines.order_line_id "
        "AND t.sku = ful_fulfillment_lines.sku "
        "AND tf.location_code = ful_fulfillment_lines.source_location")
    op.execute(
        f"UPDATE ful_fulfillment_lines SET fed_by_line_id = ({candidates}) "
        f"WHERE (SELECT count(*) FROM ({candidates}) AS c) = 1")
    shipped = (
        "SELECT x.id FROM inv_transfers x "
        "JOIN ful_fulfillments tf ON tf.id = ful_fulfillment_lines.fulfillment_id "
        "JOIN inv_locations s ON s.id = x.from_location_id "
        "JOIN inv_locations d ON d.id = x.to_location_id "
        "JOIN inv_items i ON i.id = x.item_id "
        "WHERE tf.method = 'transfer' AND tf.status = 'shipped' "
        "AND x.demand_ref = ful_fulfillment_lines.demand_ref "
        "AND s.code = tf.location_code AND d.code = tf.transfer_to "
        "AND i.sku = ful_fulfillment_lines.sku AND x.quantity = ful_fulfillment_lines.quantity")
    op.execute(
        f"UPDATE ful_fulfillment_lines SET transfer_id = ({shipped}) "
        f"WHERE (SELECT count(*) FROM ({shipped}) AS c) = 1")


def downgrade() -> None:
    with op.batch_alter_table("ful_fulfillment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_ful_fulfillment_lines_fed_by")
        batch_op.drop_constraint(
            batch_op.f("fk_ful_fulfillment_lines_fed_by_line_id_ful_fulfillment_lines"),
            type_="foreignkey")
        batch_op.drop_column("transfer_id")
        batch_op.drop_column("fed_by_line_id")
