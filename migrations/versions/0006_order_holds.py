"""orders on hold (with their reason) and search keys: surname, phone digits reversed

Revision ID: 0006_order_holds
Revises: 0005_transfer_carried
Create Date: 2026-11-30 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_order_holds"
down_revision = "0005_transfer_carried"
branch_labels = None
depends_on = None

OLD_STATUSES = ("received", "routed", "backordered", "needs_attention", "partially_fulfilled",
                "fulfilled", "closed", "cancelled")
NEW_STATUSES = ("received", "on_hold", *OLD_STATUSES[1:])
HOLD_CODES = ("unknown_sku", "unmapped_location")
BATCH = 5000


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _prefix(name: str, table: str, column: str) -> None:
    op.create_index(name, table, [column], unique=False,
                    postgresql_ops={column: "text_pattern_ops"})


# The same derivations as oms.identity (copied: a migration must not change when the code
# does).
def _surname(name_search):
    words = (name_search or "").split()
    return words[-1] if len(words) > 1 else None


def _reversed_digits(phone):
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[::-1] or None


def _backfill(table: str, select_cols: str, where: str, derive) -> None:
    """Chunked by id so that a large table is not held in memory or one huge statement."""
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.text(
            f"SELECT id, {select_cols} FROM {table} WHERE id > :last {where} "
            f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        updates = [{"id": row[0], **derive(row)} for row in rows]
        columns = ", ".join(f"{k} = :{k}" for k in updates[0] if k != "id")
        conn.execute(sa.text(f"UPDATE {table} SET {columns} WHERE id = :id"), updates)
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table("oms_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surname_search", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("phone_reversed", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("hold_code", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("held_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("hold_detail", sa.JSON(), nullable=True))
        batch_op.drop_constraint(op.f("ck_oms_orders_known_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_oms_orders_known_status"),
                                         f"status IN ({_in(NEW_STATUSES)})")
        batch_op.create_check_constraint(op.f("ck_oms_orders_known_hold_code"),
                                         f"hold_code IS NULL OR hold_code IN ({_in(HOLD_CODES)})")
        batch_op.create_check_constraint(
            op.f("ck_oms_orders_held_has_reason"),
            "(status = 'on_hold' AND hold_code IS NOT NULL) OR "
            "(status <> 'on_hold' AND hold_code IS NULL)")
    with op.batch_alter_table("oms_customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("surname_search", sa.String(length=200), nullable=True))
    with op.batch_alter_table("oms_customer_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_reversed", sa.String(length=32), nullable=True))

    _backfill("oms_orders", "name_search, phone", "", lambda r: {
        "surname_search": _surname(r[1]), "phone_reversed": _reversed_digits(r[2])})
    _backfill("oms_customers", "name_search", "", lambda r: {"surname_search": _surname(r[1])})
    _backfill("oms_customer_identities", "value", "AND kind = 'phone'",
              lambda r: {"phone_reversed": _reversed_digits(r[1])})

    _prefix("ix_oms_orders_surname_search", "oms_orders", "surname_search")
    _prefix("ix_oms_orders_phone_reversed", "oms_orders", "phone_reversed")
    op.create_index("ix_oms_orders_status", "oms_orders", ["status", "id"], unique=False)
    op.create_index("ix_oms_orders_created_at", "oms_orders", ["created_at"], unique=False)
    _prefix("ix_oms_customers_surname_search", "oms_customers", "surname_search")
    _prefix("ix_oms_customer_identities_phone_reversed", "oms_customer_identities",
            "phone_reversed")


def downgrade() -> None:
    op.drop_index("ix_oms_customer_identities_phone_reversed",
                  table_name="oms_customer_identities")
    op.drop_index("ix_oms_customers_surname_search", table_name="oms_customers")
    op.drop_index("ix_oms_orders_created_at", table_name="oms_orders")
    op.drop_index("ix_oms_orders_status", table_name="oms_orders")
    op.drop_index("ix_oms_orders_phone_reversed", table_name="oms_orders")
    op.drop_index("ix_oms_orders_surname_search", table_name="oms_orders")
    # Held orders have no status the old schema knows: they go back to "received".
    op.execute("UPDATE oms_orders SET status = 'received', hold_code = NULL "
               "WHERE status = 'on_hold'")
    with op.batch_alter_table("oms_customer_identities", schema=None) as batch_op:
        batch_op.drop_column("phone_reversed")
    with op.batch_alter_table("oms_customers", schema=None) as batch_op:
        batch_op.drop_column("surname_search")
    with op.batch_alter_table("oms_orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_oms_orders_held_has_reason"), type_="check")
        batch_op.drop_constraint(op.f("ck_oms_orders_known_hold_code"), type_="check")
        batch_op.drop_constraint(op.f("ck_oms_orders_known_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_oms_orders_known_status"),
                                         f"status IN ({_in(OLD_STATUSES)})")
        batch_op.drop_column("hold_detail")
        batch_op.drop_column("held_at")
        batch_op.drop_column("hold_reason")
        batch_op.drop_column("hold_code")
        batch_op.drop_column("phone_reversed")
        batch_op.drop_column("surname_search")
