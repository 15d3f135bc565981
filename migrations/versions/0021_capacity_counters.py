"""daily capacity as a counter row per node and day (fulfillment/capacity.py), given back by
a trigger when counted work is cancelled, rejected or deleted; the index for counting a day's
work across nodes goes

Revision ID: 0021_capacity_counters
Revises: 0020_cs_search
Create Date: 2026-12-07 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_capacity_counters"
down_revision = "0020_cs_search"
branch_labels = None
depends_on = None

# What uses capacity (the same rule as fulfillment.capacity._counted), for row r.
COUNTED = "({r}.method <> 'pickup' AND {r}.status NOT IN ('cancelled', 'rejected'))"
MOVED = (f"({COUNTED.format(r='OLD')} IS DISTINCT FROM {COUNTED.format(r='NEW')} "
         "OR OLD.location_code IS DISTINCT FROM NEW.location_code "
         "OR OLD.assigned_on IS DISTINCT FROM NEW.assigned_on)")
GIVE_BACK = ("UPDATE ful_capacity_counters SET assigned = assigned - 1 "
             "WHERE location_code = OLD.location_code AND day = OLD.assigned_on "
             "AND assigned > 0")
COUNT_AGAIN = ("UPDATE ful_capacity_counters SET assigned = assigned + 1 "
               "WHERE location_code = NEW.location_code AND day = NEW.assigned_on")

POSTGRES_FUNCTION = f"""
CREATE FUNCTION ful_capacity_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {COUNTED.format(r='OLD')} THEN
        {GIVE_BACK};
    END IF;
    IF TG_OP = 'UPDATE' AND {COUNTED.format(r='NEW')} THEN
        {COUNT_AGAIN};
    END IF;
    RETURN NULL;
END $$
"""


# NOTE for later migrations: on SQLite, a batch_alter_table that recreates ful_fulfillments
# drops these triggers with the old table; create them again there (see upgrade below).


def upgrade() -> None:
    # Routing no longer counts a day's work (the counter does; the first count of a node's
    # day uses ix_ful_fulfillments_location_day): one index fewer to keep on every insert.
    op.drop_index("ix_ful_fulfillments_day", table_name="ful_fulfillments")
    op.create_table(
        "ful_capacity_counters",
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.CheckConstraint("assigned >= 0",
                           name=op.f("ck_ful_capacity_counters_assigned_not_negative")),
        sa.PrimaryKeyConstraint("location_code", "day", name=op.f("pk_ful_capacity_counters")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        # Only transitions in or out of "counted" fire it: claims, picks and shipments, the
        # busy updates, never touch the counter row.
        op.execute("CREATE TRIGGER ful_capacity_follow_update AFTER UPDATE ON ful_fulfillments "
                   f"FOR EACH ROW WHEN {MOVED} EXECUTE FUNCTION ful_capacity_follow()")
        op.execute("CREATE TRIGGER ful_capacity_follow_delete AFTER DELETE ON ful_fulfillments "
                   f"FOR EACH ROW WHEN {COUNTED.format(r='OLD')} "
                   "EXECUTE FUNCTION ful_capacity_follow()")
    else:
        op.execute("CREATE TRIGGER ful_capacity_follow_update AFTER UPDATE ON ful_fulfillments "
                   f"FOR EACH ROW WHEN {MOVED} BEGIN "
                   f"UPDATE ful_capacity_counters SET assigned = assigned - 1 "
                   f"WHERE {COUNTED.format(r='OLD')} AND location_code = OLD.location_code "
                   "AND day = OLD.assigned_on AND assigned > 0; "
                   f"UPDATE ful_capacity_counters SET assigned = assigned + 1 "
                   f"WHERE {COUNTED.format(r='NEW')} AND location_code = NEW.location_code "
                   "AND day = NEW.assigned_on; END")
        op.execute("CREATE TRIGGER ful_capacity_follow_delete AFTER DELETE ON ful_fulfillments "
                   f"FOR EACH ROW WHEN {COUNTED.format(r='OLD')} BEGIN {GIVE_BACK}; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ful_capacity_follow_update ON ful_fulfillments"
               if op.get_bind().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS ful_capacity_follow_update")
    op.execute("DROP TRIGGER IF EXISTS ful_capacity_follow_delete ON ful_fulfillments"
               if op.get_bind().dialect.name == "postgresql"
               else "DROP TRIGGER IF EXISTS ful_capacity_follow_delete")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ful_capacity_follow()")
    op.drop_table("ful_capacity_counters")
    op.create_index("ix_ful_fulfillments_day", "ful_fulfillments", ["assigned_on"], unique=False)
