"""Cost growth of order intake (bench/intake_compare.py, part 5): bulk SQL that grows an app
database between two measurements, by orders in the database and by fulfillments booked today
at one node that has a daily capacity.

Orders are grown with orders_bench.seed_search_data (old routed ship orders of bulk-seeded
customers, ids above the app's). Today's fulfillments are inserted here; when the tree keeps a
per-node-per-day capacity counter (`ful_capacity_counters`, fulfillment/capacity.py), the same
transaction keeps it in step: an existing counter gets the inserted count added, a missing one
starts from a count of the day's work (what the app itself does on a node's first assignment
of the day), so `flask oms verify` finds counter and rows agreeing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg
from bench_common import conninfo

COUNTER_TABLE = "ful_capacity_counters"


@dataclass(frozen=True)
class CounterColumns:
    node: str  # the node's code, or (node_is_id) its inv_locations.id
    node_is_id: bool
    day: str
    count: str


# The counter's columns as fulfillment/capacity.py documents them (migration 0021). A tree whose
# table differs (set this to None) gets them guessed from the table (`capacity_counter`).
COUNTER_COLUMNS: CounterColumns | None = CounterColumns(
    node="location_code", node_is_id=False, day="day", count="assigned")
# What uses a node's capacity (fulfillment.capacity._counted; the trigger of migration 0021).
COUNTED = "method <> 'pickup' AND status NOT IN ('cancelled', 'rejected')"


def _columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum", (table,))]


def capacity_counter(conn: psycopg.Connection) -> CounterColumns | None:
    """The counter table's columns when the tree has one, else None."""
    if conn.execute("SELECT to_regclass(%s)", (COUNTER_TABLE,)).fetchone()[0] is None:
        return None
    columns = _columns(conn, COUNTER_TABLE)
    if COUNTER_COLUMNS is not None and {COUNTER_COLUMNS.node, COUNTER_COLUMNS.day,
                                        COUNTER_COLUMNS.count} <= {c for c, _ in columns}:
        return COUNTER_COLUMNS
    days = [name for name, kind in columns if kind == "date"]
    nodes = [(name, kind) for name, kind in columns
             if any(w in name for w in ("location", "node")) and name not in days]
    counts = [name for name, kind in columns
              if kind in ("integer", "bigint", "smallint")
              and any(w in name for w in ("count", "used", "booked", "assigned", "taken"))
              and name not in {n for n, _ in nodes}]
    if len(days) != 1 or len(nodes) != 1 or len(counts) != 1:
        raise SystemExit(
            f"!! {COUNTER_TABLE} exists but its columns {columns} do not tell day / node / "
            "count: set COUNTER_COLUMNS in bench/growth.py (see fulfillment/capacity.py)")
    name, kind = nodes[0]
    return CounterColumns(node=name, node_is_id=kind in ("integer", "bigint"), day=days[0],
                          count=counts[0])


def _node(cols: CounterColumns) -> str:
    return ("(SELECT id FROM inv_locations WHERE code = %(code)s::varchar)" if cols.node_is_id
            else "%(code)s::varchar")


def counter_add_sql(cols: CounterColumns) -> str:
    """Add %(n)s to the counter of (%(code)s, %(day)s) and return the total; no row when the
    node has no counter yet that day (as fulfillment.capacity.take)."""
    return (f"UPDATE {COUNTER_TABLE} SET {cols.count} = {cols.count} + %(n)s "
            f"WHERE {cols.node} = {_node(cols)} AND {cols.day} = %(day)s::date "
            f"RETURNING {cols.count}")


def counter_start_sql(cols: CounterColumns) -> str:
    """Start the counter of (%(code)s, %(day)s) from a count of the day's work in this
    transaction's view (rows it just wrote included), or, if it exists, add %(n)s."""
    return (f"INSERT INTO {COUNTER_TABLE} ({cols.node}, {cols.day}, {cols.count}) "
            f"SELECT {_node(cols)}, %(day)s::date, count(*) FROM ful_fulfillments "
            f"WHERE location_code = %(code)s::varchar AND assigned_on = %(day)s::date "
            f"AND {COUNTED} "
            f"ON CONFLICT ({cols.node}, {cols.day}) DO UPDATE "
            f"SET {cols.count} = {COUNTER_TABLE}.{cols.count} + %(n)s "
            f"RETURNING {cols.count}")


def counter_value(conn: psycopg.Connection, cols: CounterColumns, code: str,
                  day: dt.date) -> int | None:
    row = conn.execute(f"SELECT {cols.count} FROM {COUNTER_TABLE} WHERE {cols.node} = "
                       f"{_node(cols)} AND {cols.day} = %(day)s::date",
                       {"code": code, "day": day}).fetchone()
    return None if row is None else int(row[0])


def today() -> dt.date:
    """The day the app books capacity on (fulfillment.planning.today: the UTC date)."""
    return dt.datetime.now(dt.UTC).date()


def booked_today(conn: psycopg.Connection, code: str, day: dt.date) -> int:
    """Fulfillments that use the node's capacity that day (as routing counts them)."""
    return conn.execute(
        "SELECT count(*) FROM ful_fulfillments WHERE location_code = %s AND assigned_on = %s "
        f"AND {COUNTED}", (code, day)).fetchone()[0]


# Pending ship fulfillments booked today at one node, one each for the newest bulk-seeded
# orders (created in 2024 by seed_search_data; the app's own orders, which the HTTP load reads
# back, are left alone), without lines: routing only counts them (or their counter).
SEED_TODAY = """
INSERT INTO ful_fulfillments (order_id, order_number, location_code, method, status,
                              assigned_on, created_at, updated_at, wrong_code_attempts)
SELECT o.id, o.number, %(code)s, 'ship', 'pending', %(day)s, now() AT TIME ZONE 'utc',
       now() AT TIME ZONE 'utc', 0
FROM oms_orders AS o
WHERE o.created_at < timestamp '2025-06-01'
  AND NOT EXISTS (SELECT 1 FROM ful_fulfillments AS f WHERE f.order_id = o.id)
ORDER BY o.id DESC
LIMIT %(n)s
"""


def book_today(url: str, code: str, target: int) -> tuple[int, int, str]:
    """Bring the fulfillments booked today at `code` up to `target` (bulk SQL, one transaction,
    the capacity counter kept in step when the tree has one). Returns (before, after, note)."""
    day = today()
    with psycopg.connect(conninfo(url)) as conn:
        before = booked_today(conn, code, day)
        n = max(0, target - before)
        capacity = conn.execute("SELECT daily_capacity FROM inv_locations WHERE code = %s",
                                (code,)).fetchone()
        if capacity is None or capacity[0] is None:
            raise SystemExit(f"!! {code} has no daily capacity: growth by fulfillments needs one")
        if capacity[0] < target * 2:
            raise SystemExit(f"!! {code}'s daily capacity {capacity[0]:,} is too close to "
                             f"{target:,} fulfillments (the run would hit it)")
        inserted = conn.execute(SEED_TODAY, {"code": code, "day": day, "n": n}).rowcount \
            if n else 0
        if inserted < n:
            raise SystemExit(f"!! only {inserted:,} orders to attach {n:,} fulfillments to: "
                             "grow the orders first")
        cols = capacity_counter(conn)
        note = f"no {COUNTER_TABLE} table in this tree"
        if cols is not None:
            had = counter_value(conn, cols, code, day)
            if inserted:
                conn.execute(counter_start_sql(cols), {"code": code, "day": day, "n": inserted})
            value = counter_value(conn, cols, code, day)
            note = (f"{COUNTER_TABLE}.{cols.count} ({code}, {day}): {had} -> {value}, "
                    f"rows counted {booked_today(conn, code, day):,}")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE ful_fulfillments")
        after = booked_today(conn, code, day)
    return before, after, note
