"""The raw-SQL ceiling of the order-intake transaction (bench/intake_compare.py, part 3).

What one 2-line ship order writes, as hand-written SQL over psycopg with server-side prepared
statements (prepare_threshold=0), one transaction per order:

  INSERT oms_orders (its number from its id, one statement)       1
  INSERT oms_order_lines, both lines in one statement             1
  per line, in (item, location) order: the guarded UPDATE of the balance (its row count
  decides), INSERT the reservation movement, upsert the reservation row            3 x 2
  per fulfillment (one per node): INSERT ful_fulfillments, INSERT its lines
  (+ for a node with a daily capacity, when the tree keeps ful_capacity_counters: add one
  to today's counter, UPDATE ... RETURNING, checked against the capacity)         2-3 x 1-2
  UPDATE oms_orders (status routed, the routing summary)          1
  INSERT oms_timeline, every row a real order writes, one statement               1
  INSERT oms_outbox, every row a real order writes, one statement                 1
  COMMIT (psycopg sends BEGIN before the first statement)

The rows are copies of a real order's rows: the template is the newest 2-line ship order the
app placed through HTTP in the database (`capture_template`), whose every column is copied
(as text, cast back to the column's type) except what identifies the new order. So the
ceiling writes what the tree being measured writes (the same timeline and outbox rows, the
same payload sizes) and keeps working when columns are added. It reads nothing: no API key,
no customer resolution (the template's customer), no routing (each line goes to a random
shipping node that stocks it, one node for both when they share one), no response body.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from bench_common import conninfo
from growth import capacity_counter, counter_add_sql, counter_start_sql, today

Row = dict[str, str | None]  # column -> its value as text


@dataclass
class Template:
    source: str  # "order NW-100301 (id 301, 2 lines, 1 fulfillment)"
    order: Row
    line: Row
    movement: Row
    reservation: Row
    fulfillment: Row
    fulfillment_line: Row
    timeline: list[Row]
    outbox: list[Row]  # order-level rows, then one fulfillment.created
    outbox_per_fulfillment: list[Row]
    number_prefix: str
    number_offset: int  # number = prefix || (offset + id)
    types: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> type

    def describe(self) -> list[str]:
        def names(rows: list[Row], key: str) -> str:
            return ", ".join(r[key] or "?" for r in rows) or "none"

        return [
            f"copies the rows of {self.source}:",
            f"  timeline: {names(self.timeline, 'kind')}; outbox: {names(self.outbox, 'topic')}"
            f" + per fulfillment {names(self.outbox_per_fulfillment, 'topic')}",
        ]


TABLES = ("oms_orders", "oms_order_lines", "inv_movements", "inv_reservations",
          "ful_fulfillments", "ful_fulfillment_lines", "oms_timeline", "oms_outbox")


def _types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,))}


def _rows(conn: psycopg.Connection, table: str, cols: dict[str, str], where: str,
          params: tuple) -> list[Row]:
    names = [c for c in cols if c != "id"]
    select = ", ".join(f"{c}::text" for c in names)
    return [dict(zip(names, r, strict=True)) for r in conn.execute(
        f"SELECT {select} FROM {table} WHERE {where} ORDER BY id", params).fetchall()]


def capture_template(url: str, external_ids: str = "bench-%") -> Template:
    """The newest order the HTTP load placed (external id LIKE `external_ids`) with 2 lines,
    shipped from one node."""
    with psycopg.connect(conninfo(url)) as conn:
        types = {t: _types(conn, t) for t in TABLES}
        found = conn.execute(
            "SELECT o.id, o.number FROM oms_orders AS o "
            "WHERE o.external_id LIKE %s AND o.status = 'routed' "
            "AND o.fulfillment_method = 'ship' "
            "AND (SELECT count(*) FROM oms_order_lines AS l WHERE l.order_id = o.id) = 2 "
            "AND (SELECT count(*) FROM ful_fulfillments AS f WHERE f.order_id = o.id) = 1 "
            "ORDER BY o.id DESC LIMIT 1", (external_ids,)).fetchone()
        if found is None:
            raise RuntimeError("no 2-line routed ship order from the HTTP load to copy")
        oid, number = found
        ful = _rows(conn, "ful_fulfillments", types["ful_fulfillments"], "order_id = %s",
                    (oid,))
        fid = conn.execute("SELECT id FROM ful_fulfillments WHERE order_id = %s",
                           (oid,)).fetchone()[0]
        outbox = _rows(conn, "oms_outbox", types["oms_outbox"],
                       "aggregate = 'order' AND aggregate_id = %s", (oid,))
        lines = _rows(conn, "oms_order_lines", types["oms_order_lines"], "order_id = %s",
                      (oid,))
        refs = [f"order:{oid}/line:{lid}" for (lid,) in conn.execute(
            "SELECT id FROM oms_order_lines WHERE order_id = %s ORDER BY id", (oid,))]
        movements = _rows(conn, "inv_movements", types["inv_movements"],
                          "demand_ref = ANY(%s) AND kind = 'reservation'", (refs,))
        reservations = _rows(conn, "inv_reservations", types["inv_reservations"],
                             "demand_ref = ANY(%s)", (refs,))
        if not movements or not reservations:
            raise RuntimeError(f"order {number}: no reservation rows under {refs}: the demand "
                               "reference format has changed (see OrderLine.demand_ref)")
        prefix, _, digits = number.rpartition("-")
        return Template(
            source=f"order {number} (id {oid}, 2 lines, 1 fulfillment)",
            order=_rows(conn, "oms_orders", types["oms_orders"], "id = %s", (oid,))[0],
            line=lines[0], movement=movements[0], reservation=reservations[0],
            fulfillment=ful[0],
            fulfillment_line=_rows(conn, "ful_fulfillment_lines",
                                   types["ful_fulfillment_lines"], "fulfillment_id = %s",
                                   (fid,))[0],
            timeline=_rows(conn, "oms_timeline", types["oms_timeline"], "order_id = %s",
                           (oid,)),
            outbox=[r for r in outbox if r["topic"] != "fulfillment.created"],
            outbox_per_fulfillment=[r for r in outbox if r["topic"] == "fulfillment.created"],
            number_prefix=prefix + "-", number_offset=int(digits) - oid, types=types)


# ---------------------------------------------------------------- statements

NOW = "(now() AT TIME ZONE 'utc')"


class Insert:
    """INSERT INTO table (every column but id) VALUES (...), one row per template row; each
    column is the row's own value, a named override (a parameter) or an SQL expression."""

    def __init__(self, table: str, types: dict[str, str], templates: list[Row],
                 params: tuple[str, ...] = (), exprs: dict[str, str] | None = None,
                 suffix: str = "") -> None:
        self.columns = [c for c in types if c != "id"]
        self.params = params
        self.templates = templates
        exprs = exprs or {}
        rows = []
        for _ in templates:
            cells = []
            for c in self.columns:
                cells.append(exprs[c] if c in exprs else f"%s::{types[c]}")
            rows.append(f"({', '.join(cells)})")
        self.exprs = exprs
        self.sql = (f"INSERT INTO {table} ({', '.join(self.columns)}) VALUES "
                    f"{', '.join(rows)} {suffix}")

    def values(self, overrides: list[dict[str, object]]) -> list[object]:
        out: list[object] = []
        for template, over in zip(self.templates, overrides, strict=True):
            for c in self.columns:
                if c in self.exprs:
                    continue
                out.append(over[c] if c in over else template[c])
        return out


@dataclass
class Statements:
    order: str
    order_columns: list[str]  # the parameters of `order` after the number's two
    lines: Insert
    balance: str
    movement: Insert
    reservation: Insert
    fulfillment: Insert
    fulfillment_lines: dict[int, Insert]  # by number of lines
    counter: tuple[str, str] | None  # add to a counter; start one (first of the day)
    route: str
    timeline: Insert
    outbox: dict[int, Insert]  # by number of fulfillments


def build(template: Template, counter: tuple[str, str] | None) -> Statements:
    t = template.types
    order_cols = [c for c in t["oms_orders"] if c not in ("id", "number")]
    stamped = ("created_at", "updated_at")
    order_values = ", ".join(NOW if c in stamped else "%s::" + t["oms_orders"][c]
                             for c in order_cols)
    order_sql = (
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('oms_orders', 'id')) AS id) "
        f"INSERT INTO oms_orders (id, number, {', '.join(order_cols)}) "
        f"SELECT n.id, %s || (%s + n.id), {order_values} FROM n RETURNING id")
    two_lines = [template.line, template.line]
    return Statements(
        order=order_sql,
        order_columns=[c for c in order_cols if c not in stamped],
        lines=Insert("oms_order_lines", t["oms_order_lines"], two_lines,
                     suffix="RETURNING id, line_no"),
        balance=("UPDATE inv_balances SET reserved = reserved + %(q)s "
                 "WHERE item_id = %(item)s AND location_id = %(loc)s "
                 "AND reserved + %(q)s <= on_hand "
                 "AND on_hand - reserved - safety_stock >= %(q)s"),
        movement=Insert("inv_movements", t["inv_movements"], [template.movement],
                        exprs={"created_at": NOW}),
        reservation=Insert("inv_reservations", t["inv_reservations"], [template.reservation],
                           exprs={"created_at": NOW, "updated_at": NOW},
                           suffix="ON CONFLICT (item_id, location_id, demand_ref) DO UPDATE "
                                  "SET quantity = inv_reservations.quantity + "
                                  "EXCLUDED.quantity, updated_at = EXCLUDED.updated_at"),
        fulfillment=Insert("ful_fulfillments", t["ful_fulfillments"], [template.fulfillment],
                           exprs={"created_at": NOW, "updated_at": NOW}, suffix="RETURNING id"),
        fulfillment_lines={n: Insert("ful_fulfillment_lines", t["ful_fulfillment_lines"],
                                     [template.fulfillment_line] * n) for n in (1, 2)},
        counter=counter,
        route=("UPDATE oms_orders SET status = 'routed', routing = %s::json, "
               f"updated_at = {NOW} WHERE id = %s"),
        timeline=Insert("oms_timeline", t["oms_timeline"], template.timeline,
                        exprs={"created_at": NOW}),
        outbox={n: Insert("oms_outbox", t["oms_outbox"],
                          template.outbox + template.outbox_per_fulfillment * n,
                          exprs={"created_at": NOW}) for n in (1, 2)},
    )


# ---------------------------------------------------------------- the workload

@dataclass(frozen=True)
class Stock:
    items: list[tuple[int, str, str, str]]  # (item id, sku, name, price) with stock to ship
    nodes: dict[int, list[tuple[int, str]]]  # item id -> [(location id, code)]
    limited: dict[str, int]  # daily capacity by node code


def stock(url: str) -> Stock:
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT b.item_id, b.location_id, l.code FROM inv_balances AS b "
            "JOIN inv_locations AS l ON l.id = b.location_id "
            "WHERE l.ships AND l.active AND b.on_hand - b.reserved - b.safety_stock >= 1000 "
            "ORDER BY 1, 2").fetchall()
        items = conn.execute("SELECT id, sku, name, price::text FROM inv_items "
                             "ORDER BY id").fetchall()
        limited = dict(conn.execute(
            "SELECT code, daily_capacity FROM inv_locations WHERE daily_capacity IS NOT NULL"
        ).fetchall())
    nodes: dict[int, list[tuple[int, str]]] = {}
    for item_id, location_id, code in rows:
        nodes.setdefault(item_id, []).append((location_id, code))
    return Stock([i for i in items if i[0] in nodes], nodes, limited)


class RawStockTaken(Exception):
    pass


Request = Callable[[int], tuple[int, bytes]]


def ceiling_factory(url: str, template: Template, tag: str
                    ) -> tuple[Callable[[int], tuple[Request, Callable[[], None]]],
                               Callable[[], float]]:
    """A run_load factory (each client: one connection, prepared statements) placing raw
    orders, and a function giving the average statements per order sent so far."""
    on_hand = stock(url)
    with psycopg.connect(conninfo(url)) as conn:
        counter_cols = capacity_counter(conn)
    stmts = build(template, (counter_add_sql(counter_cols), counter_start_sql(counter_cols))
                  if counter_cols else None)
    sent = [0, 0]  # statements, orders
    sent_lock = threading.Lock()

    def factory(idx: int) -> tuple[Request, Callable[[], None]]:
        conn = psycopg.connect(conninfo(url), prepare_threshold=0)
        cur = conn.cursor()
        rng = random.Random(f"{tag}:{idx}")
        day = today()

        def place(n: int) -> tuple[int, bytes]:
            picked = rng.sample(on_hand.items, 2)
            a, b = (on_hand.nodes[i[0]] for i in picked)
            common = sorted(set(a) & set(b))
            where = [rng.choice(common)] * 2 if common else [rng.choice(a), rng.choice(b)]
            quantities = [rng.choice((1, 1, 1, 2)) for _ in picked]
            count = 0
            try:
                order = dict(template.order, status="received", routing=None,
                             external_id=f"raw-{tag}-{idx}-{n}")
                cur.execute(stmts.order, [template.number_prefix, template.number_offset,
                                          *(order[c] for c in stmts.order_columns)])
                oid = cur.fetchone()[0]
                overrides = [{"order_id": oid, "line_no": k + 1, "sku": item[1],
                              "name": item[2], "quantity": q, "unit_price": item[3],
                              "allocated": q}
                             for k, (item, q) in enumerate(zip(picked, quantities, strict=True))]
                cur.execute(stmts.lines.sql, stmts.lines.values(overrides))
                line_ids = {no: lid for lid, no in cur.fetchall()}
                count += 2
                lines = sorted(
                    ((item[0], loc[0], loc[1], q, line_ids[k + 1], item)
                     for k, (item, loc, q) in enumerate(zip(picked, where, quantities,
                                                            strict=True))),
                    key=lambda x: (x[0], x[1]))
                for item_id, loc_id, _code, q, line_id, _item in lines:
                    ref = f"order:{oid}/line:{line_id}"
                    cur.execute(stmts.balance, {"q": q, "item": item_id, "loc": loc_id})
                    if cur.rowcount != 1:
                        raise RawStockTaken(f"item {item_id} at location {loc_id}")
                    cur.execute(stmts.movement.sql, stmts.movement.values([{
                        "item_id": item_id, "location_id": loc_id, "reserved_delta": q,
                        "demand_ref": ref, "reference": f"order:{oid}"}]))
                    cur.execute(stmts.reservation.sql, stmts.reservation.values([{
                        "item_id": item_id, "location_id": loc_id, "demand_ref": ref,
                        "quantity": q}]))
                    count += 3
                by_node: dict[str, list] = {}
                for line in lines:
                    by_node.setdefault(line[2], []).append(line)
                number = f"{template.number_prefix}{template.number_offset + oid}"
                for code, node_lines in by_node.items():
                    cur.execute(stmts.fulfillment.sql, stmts.fulfillment.values([{
                        "order_id": oid, "order_number": number, "location_code": code,
                        "assigned_on": day, "status": "pending"}]))
                    fid = cur.fetchone()[0]
                    insert = stmts.fulfillment_lines[len(node_lines)]
                    cur.execute(insert.sql, insert.values([{
                        "fulfillment_id": fid, "order_line_id": line_id, "sku": item[1],
                        "name": item[2], "quantity": q, "source_location": code,
                        "demand_ref": f"order:{oid}/line:{line_id}"}
                        for _i, _l, code, q, line_id, item in node_lines]))
                    count += 2
                    if stmts.counter and code in on_hand.limited:
                        taken = {"code": code, "day": day, "n": 1}
                        total = cur.execute(stmts.counter[0], taken).fetchone()
                        if total is None:  # the node's first of the day
                            total = cur.execute(stmts.counter[1], taken).fetchone()
                            count += 1
                        if total[0] > on_hand.limited[code]:
                            raise RawStockTaken(f"{code}: daily capacity reached")
                        count += 1
                cur.execute(stmts.route, (template.order["routing"], oid))
                cur.execute(stmts.timeline.sql, stmts.timeline.values(
                    [{"order_id": oid} for _ in template.timeline]))
                outbox = stmts.outbox[len(by_node)]
                cur.execute(outbox.sql, outbox.values(
                    [{"aggregate_id": oid} for _ in outbox.templates]))
                count += 3
                conn.commit()
                count += 2  # BEGIN, COMMIT
            except BaseException:
                conn.rollback()
                raise
            with sent_lock:
                sent[0] += count
                sent[1] += 1
            return 201, b""

        return place, conn.close

    return factory, lambda: sent[0] / sent[1] if sent[1] else 0.0
