"""API keys act at one or several locations (core_api_key_locations)

wms and store keys now need their locations; a key's single `location_code` moves into the
new table. wms keys created without a location used to act everywhere; after this they act
nowhere (403 at every location) until replaced by keys created with `--location`.

Revision ID: 0007_key_locations
Revises: 0006_order_holds
Create Date: 2026-11-30 19:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_key_locations"
down_revision = "0006_order_holds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "core_api_key_locations",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["core_api_keys.id"],
                                name=op.f("fk_core_api_key_locations_key_id_core_api_keys")),
        sa.PrimaryKeyConstraint("key_id", "location_code",
                                name=op.f("pk_core_api_key_locations")),
    )
    op.execute("INSERT INTO core_api_key_locations (key_id, location_code) "
               "SELECT id, location_code FROM core_api_keys WHERE location_code IS NOT NULL")
    with op.batch_alter_table("core_api_keys", schema=None) as batch_op:
        batch_op.drop_column("location_code")


def downgrade() -> None:
    with op.batch_alter_table("core_api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_code", sa.String(length=40), nullable=True))
    # A key with several locations keeps the first (by code) when going back.
    op.execute("UPDATE core_api_keys SET location_code = (SELECT MIN(l.location_code) "
               "FROM core_api_key_locations l WHERE l.key_id = core_api_keys.id)")
    op.drop_table("core_api_key_locations")
