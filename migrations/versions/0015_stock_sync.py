"""stock sync: the stock.changed publisher's cursor and last published figures, Shopify's
inventory items by SKU and the desired/pushed quantity per (shop, location, SKU)

The published figures are seeded from the balances as they are and the cursor from the last
movement, so that upgrading does not announce every existing balance to subscribers: events
start with the first change after the upgrade.

Revision ID: 0015_stock_sync
Revises: 0014_shopify_push
Create Date: 2026-12-05 12:00:00
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0015_stock_sync"
down_revision = "0014_shopify_push"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "integ_stock_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("safe_movement_id", sa.BigInteger(), nullable=False),
        sa.Column("pending_movement_id", sa.BigInteger(), nullable=True),
        sa.Column("pending_since", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("reconciled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integ_stock_cursor")),
    )
    op.create_table(
        "integ_stock_published",
        sa.Column("balance_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("in_transit", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["balance_id"], ["inv_balances.id"],
                                name=op.f("fk_integ_stock_published_balance_id_inv_balances")),
        sa.PrimaryKeyConstraint("balance_id", name=op.f("pk_integ_stock_published")),
    )
    op.create_table(
        "integ_shopify_inventory_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("inventory_item_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('found', 'unknown', 'ambiguous')",
                           name=op.f("ck_integ_shopify_inventory_items_known_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integ_shopify_inventory_items")),
        sa.UniqueConstraint("shop_domain", "sku",
                            name="uq_integ_shopify_inventory_items_shop_sku"),
    )
    op.create_table(
        "integ_shopify_inventory_sync",
        sa.Column("id", BIG, nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("shopify_location_id", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("desired", sa.Integer(), nullable=False),
        sa.Column("last_pushed", sa.Integer(), nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("desired >= 0",
                           name=op.f("ck_integ_shopify_inventory_sync_desired_not_negative")),
        sa.CheckConstraint("attempts >= 0",
                           name=op.f("ck_integ_shopify_inventory_sync_attempts_not_negative")),
        sa.ForeignKeyConstraint(["item_id"], ["inv_items.id"],
                                name=op.f("fk_integ_shopify_inventory_sync_item_id_inv_items")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["inv_locations.id"],
            name=op.f("fk_integ_shopify_inventory_sync_location_id_inv_locations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integ_shopify_inventory_sync")),
        sa.UniqueConstraint("shop_domain", "shopify_location_id", "item_id",
                            name="uq_integ_shopify_inventory_sync_shop_location_item"),
    )
    with op.batch_alter_table("integ_shopify_inventory_sync", schema=None) as batch_op:
        batch_op.create_index("ix_integ_shopify_inventory_sync_due",
                              ["shop_domain", "dirty", "next_attempt_at"])

    # What exists now counts as told (see the docstring); `available` as the publisher
    # computes it (integrations.stock.changes.Figures): none at an inactive location.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    op.execute(sa.text(
        "INSERT INTO integ_stock_published (balance_id, on_hand, reserved, safety_stock, "
        "in_transit, available, changed_at, published_at) "
        "SELECT b.id, b.on_hand, b.reserved, b.safety_stock, b.in_transit, "
        "CASE WHEN l.active AND b.on_hand - b.reserved - b.safety_stock > 0 "
        "THEN b.on_hand - b.reserved - b.safety_stock ELSE 0 END, :now, :now "
        "FROM inv_balances b JOIN inv_locations l ON l.id = b.location_id"
    ).bindparams(now=now))
    op.execute(sa.text(
        "INSERT INTO integ_stock_cursor (name, safe_movement_id) "
        "SELECT 'stock.changed', COALESCE(MAX(id), 0) FROM inv_movements"))


def downgrade() -> None:
    op.drop_table("integ_shopify_inventory_sync")
    op.drop_table("integ_shopify_inventory_items")
    op.drop_table("integ_stock_published")
    op.drop_table("integ_stock_cursor")
