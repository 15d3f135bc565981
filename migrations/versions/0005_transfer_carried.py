"""transfers remember how many travelling units are still promised to their demand

Revision ID: 0005_transfer_carried
Revises: 0004_fulfillment_work
Create Date: 2026-11-25 12:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_transfer_carried"
down_revision = "0004_fulfillment_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inv_transfers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_quantity", sa.Integer(), server_default="0",
                                      nullable=False))
    # Transfers already on the road carried their whole outstanding quantity.
    op.execute("UPDATE inv_transfers SET carried_quantity = quantity - received_quantity "
               "WHERE demand_ref IS NOT NULL AND status = 'in_transit'")
    with op.batch_alter_table("inv_transfers", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_inv_transfers_carried_within_outstanding"),
            "carried_quantity >= 0 AND carried_quantity <= quantity - received_quantity")
        batch_op.create_check_constraint(
            op.f("ck_inv_transfers_carried_only_for_a_demand"), "demand_ref IS NOT NULL OR carried_quantity = 0")


def downgrade() -> None:
    with op.batch_alter_table("inv_transfers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_inv_transfers_carried_only_for_a_demand"), type_="check")
        batch_op.drop_constraint(op.f("ck_inv_transfers_carried_within_outstanding"), type_="check")
        batch_op.drop_column("carried_quantity")
