"""Customer-service pages at scale, on PostgreSQL (run by hand; see bench/README.md, "CS
pages").

1. Seeds N orders (default 1,000,000; `--orders`, `--quick` = 100,000) with everything the
   order page reads: 2 lines each, a fulfillment with its lines (shipped ones with a tracking
   number), 3 timeline events (plus a contact note on every 10th order), customers with an
   email and a phone identity, and for every 5th order an outbox row and a delivery to a
   webhook subscriber (every 50th failed, with its attempt). Server-side bulk SQL
   (`INSERT ... SELECT generate_series`) into the migrated tables with all their indexes, one
   statement per table, then `VACUUM ANALYZE`. Locations and items are the demo retailer's,
   through the inventory services.
2. Serves the pages through the Flask test client (the whole app: session cookie, CSRF-free
   GETs, templates), signed in as a cs user, one client: p50/p99 of the search page by
   surname, phone fragment, order number without prefix (and full name, email, tracking
   number, no query, a surname's second page) and of the order and customer pages.
3. For one request of each kind, every SQL statement it sent, with `EXPLAIN (ANALYZE,
   BUFFERS)`: execution time, and a flag on a Seq Scan of a big table or a scan that reads
   and discards more than 10,000 rows.

The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench_pages` by default, dropped and recreated) or else from a throwaway
PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from bench_common import (
    add_database_arguments,
    check_database_arguments,
    conninfo,
    log,
    machine_facts,
    percentile,
    recreate_database,
    services,
    timed,
)
from orders_bench import FIRST_NAMES, LAST_NAMES
from sqlalchemy import event

from core.db import get_database
from core.staff import create_staff_user, find_user
from inventory import services as inventory_services
from oms import demo_data
from oms.app import create_app
from oms.config import Settings
from oms.migrate import upgrade

PASSWORD = "bench password 1"
PG_SETTINGS = ("fsync", "synchronous_commit", "shared_buffers", "work_mem",
               "effective_cache_size", "random_page_cost")
BIG_TABLES = ("oms_orders", "oms_order_lines", "oms_customers", "oms_customer_identities",
              "oms_timeline", "ful_fulfillments", "ful_fulfillment_lines", "oms_outbox",
              "integ_deliveries", "integ_delivery_attempts", "ret_returns", "ret_refunds")
CHANNELS = ["web", "shopify", "web", "pos", "web", "shopify", "marketplace", "web", "shopify",
            "phone", "web", "shopify", "web", "pos", "web", "shopify", "marketplace", "web",
            "shopify", "store"]


@dataclass(frozen=True)
class Size:
    orders: int
    samples: int  # per kind


FULL = Size(orders=1_000_000, samples=200)
QUICK = Size(orders=100_000, samples=60)

# ---------------------------------------------------------------- seeding
# Order g: customer 1 + (g * 48271 mod C); status by g mod 20 (0 cancelled, 1-5 routed, the
# rest fulfilled); line 1 is 1-2 units of SKU (7g mod S) at 20.00-69.99, line 2 one unit of
# SKU (13g + 5 mod S) at 5.00-34.99; shipping 5.00 unless cancelled; node (g mod nodes).

ORDER_STATUS = ("CASE WHEN g %% 20 = 0 THEN 'cancelled' WHEN g %% 20 <= 5 THEN 'routed' "
                "ELSE 'fulfilled' END")
PRICE_1 = "(20 + (g * 37 %% 5000) / 100.0)"
PRICE_2 = "(5 + (g * 53 %% 3000) / 100.0)"
QTY_1 = "(1 + g %% 2)"

SEED_CUSTOMERS = """
INSERT INTO oms_customers (id, name, name_search, surname_search, merged_into_id, created_at)
SELECT c, f || ' ' || l, lower(f || ' ' || l), lower(l), NULL,
       timestamp '2023-01-01' + c * interval '1 minute'
FROM (SELECT c, (%(firsts)s::text[])[1 + c %% %(nf)s] AS f,
             (%(lasts)s::text[])[1 + (c / %(nf)s) %% %(nl)s] AS l
      FROM generate_series(1, %(customers)s) AS c) AS named
ORDER BY c
"""

# Phones: "+1" + area (201 + c mod 700) + (2000000 + c): the last 7 digits are 2000000 + c.
SEED_IDENTITIES = """
INSERT INTO oms_customer_identities (customer_id, kind, value, channel, first_seen_at,
                                     phone_reversed)
SELECT id, kind,
       CASE kind WHEN 'email' THEN replace(name_search, ' ', '.') || id || '@example.com'
                 ELSE '+1' || (201 + id %% 700) || (2000000 + id) END,
       'web', created_at,
       CASE kind WHEN 'phone' THEN reverse('1' || (201 + id %% 700) || (2000000 + id)) END
FROM oms_customers CROSS JOIN (VALUES ('email'), ('phone')) AS k(kind)
ORDER BY id, kind
"""

SEED_ORDERS = f"""
INSERT INTO oms_orders (id, number, channel, external_id, channel_name, status, customer_id,
                        email, phone, customer_name, name_search, surname_search,
                        phone_reversed, currency, subtotal, shipping_total, total,
                        shipping_lines, fulfillment_method, ship_to, routing, created_at,
                        updated_at)
SELECT g, 'NW-' || (100000 + g), ch,
       CASE ch WHEN 'shopify' THEN 'northwind.myshopify.com/' || (5200000000 + g * 13)
               ELSE upper(left(ch, 1)) || '-' || (1000000 + g) END,
       CASE WHEN ch = 'shopify' THEN '#' || (1000 + g) END,
       status, c.id, replace(c.name_search, ' ', '.') || c.id || '@example.com',
       CASE WHEN g %% 10 < 7 THEN '+1' || (201 + c.id %% 700) || (2000000 + c.id) END,
       c.name, c.name_search, c.surname_search,
       CASE WHEN g %% 10 < 7 THEN reverse('1' || (201 + c.id %% 700) || (2000000 + c.id)) END,
       'USD', subtotal, shipping, subtotal + shipping,
       CASE WHEN shipping > 0 THEN json_build_array(json_build_object(
         'title', 'Standard', 'price', '5.00', 'discount', '0.00', 'tax', '0.00')) END,
       'ship',
       json_build_object('name', c.name, 'line1', (g %% 9000 + 1) || ' Main Street',
                         'city', 'Columbus', 'region', 'OH', 'postal_code', '43215',
                         'country', 'US', 'latitude', 39.96, 'longitude', -83.0),
       json_build_object(
         'decided_at', to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS+00:00'), 'total_cost', 9.12,
         'exact', true, 'attempts', 1,
         'reasons', json_build_array(json_build_object(
           'code', 'plan', 'text', node || ': all lines in stock, 412 km, cost 9.12; next '
                                   'best dc-reno cost 11.40')),
         'allocations', json_build_array(), 'backordered', json_build_array(),
         'unfillable', json_build_array(), 'suggestions', json_build_array(),
         'excluded', json_build_array()),
       ts, ts
FROM (SELECT g, 1 + (g::bigint * 48271 %% %(customers)s) AS cid,
             (%(channels)s::text[])[1 + g %% 20] AS ch,
             (%(nodes)s::text[])[1 + g %% %(nn)s] AS node,
             {ORDER_STATUS} AS status,
             CASE WHEN g %% 20 = 0 THEN 0 ELSE {PRICE_1} * {QTY_1} + {PRICE_2} END AS subtotal,
             CASE WHEN g %% 20 = 0 THEN 0 ELSE 5.00 END AS shipping,
             timestamp '2024-01-01' + g * interval '30 seconds' AS ts
      FROM generate_series(1, %(orders)s) AS g) AS s
JOIN oms_customers AS c ON c.id = s.cid
ORDER BY g
"""

SEED_LINES = f"""
INSERT INTO oms_order_lines (id, order_id, line_no, sku, name, quantity, unit_price,
                             allocated, backordered, fulfilled, cancelled, returned)
SELECT 2 * g - 1 + k, g, k + 1, (%(skus)s::text[])[1 + sku_at], (%(names)s::text[])[1 + sku_at],
       quantity, price,
       CASE WHEN status = 'routed' THEN quantity ELSE 0 END, 0,
       CASE WHEN status = 'fulfilled' THEN quantity ELSE 0 END,
       CASE WHEN status = 'cancelled' THEN quantity ELSE 0 END, 0
FROM (SELECT g, k, {ORDER_STATUS} AS status,
             CASE k WHEN 0 THEN (g * 7) %% %(ns)s ELSE (g * 13 + 5) %% %(ns)s END AS sku_at,
             CASE k WHEN 0 THEN {QTY_1} ELSE 1 END AS quantity,
             CASE k WHEN 0 THEN {PRICE_1} ELSE {PRICE_2} END AS price
      FROM generate_series(1, %(orders)s) AS g CROSS JOIN (VALUES (0), (1)) AS t(k)) AS s
ORDER BY 1
"""

SEED_FULFILLMENTS = """
INSERT INTO ful_fulfillments (id, order_id, order_number, location_code, method, status,
                              assigned_on, created_at, updated_at, carrier, tracking_number,
                              shipped_at, picked_at, wrong_code_attempts, channel,
                              customer_name, customer_phone, ship_to)
SELECT o.id, o.id, o.number, (%(nodes)s::text[])[1 + o.id %% %(nn)s], 'ship',
       CASE o.status WHEN 'fulfilled' THEN 'shipped' ELSE 'pending' END,
       o.created_at::date, o.created_at, o.created_at,
       CASE WHEN o.status = 'fulfilled' THEN 'UPS' END,
       CASE WHEN o.status = 'fulfilled' THEN '1ZBENCH' || lpad(o.id::text, 10, '0') END,
       CASE WHEN o.status = 'fulfilled' THEN o.created_at + interval '1 day' END,
       CASE WHEN o.status = 'fulfilled' THEN o.created_at + interval '20 hours' END,
       0, o.channel, o.customer_name, o.phone, o.ship_to
FROM oms_orders AS o WHERE o.status <> 'cancelled'
ORDER BY o.id
"""

SEED_FULFILLMENT_LINES = """
INSERT INTO ful_fulfillment_lines (id, fulfillment_id, order_line_id, sku, name, quantity,
                                   source_location, demand_ref, picked_quantity)
SELECT ln.id, f.id, ln.id, ln.sku, ln.name, ln.quantity, f.location_code,
       'order:' || ln.order_id || '/line:' || ln.id,
       CASE WHEN f.status = 'shipped' THEN ln.quantity END
FROM ful_fulfillments AS f JOIN oms_order_lines AS ln ON ln.order_id = f.order_id
ORDER BY ln.id
"""

SEED_TIMELINE = """
INSERT INTO oms_timeline (order_id, customer_id, kind, message, actor, source,
                          contact_channel, created_at)
SELECT o.id, o.customer_id, e.kind,
       CASE e.kind
         WHEN 'order.received' THEN 'order ' || o.number || ' received from ' || o.channel
                                    || ' (' || o.external_id || '), 2 line(s), ship'
         WHEN 'order.routed' THEN (o.routing -> 'reasons' -> 0 ->> 'text')
         WHEN 'fulfillment.shipped' THEN 'shipped with UPS 1ZBENCH' || lpad(o.id::text, 10, '0')
         WHEN 'order.cancelled' THEN 'order cancelled (customer asked)'
         ELSE 'Customer called about the delivery date; told them it ships this week.' END,
       CASE e.kind WHEN 'note' THEN 'user:2:bench-cs' ELSE 'key:1:' || o.channel END,
       CASE e.kind WHEN 'note' THEN 'cs' ELSE o.channel END,
       CASE e.kind WHEN 'note' THEN 'phone' END,
       o.created_at + e.after
FROM oms_orders AS o
CROSS JOIN (VALUES ('order.received', interval '0'), ('order.routed', interval '1 second'),
                   ('fulfillment.shipped', interval '1 day'),
                   ('order.cancelled', interval '2 hours'),
                   ('note', interval '3 hours')) AS e(kind, after)
WHERE e.kind IN ('order.received', 'order.routed')
   OR (e.kind = 'fulfillment.shipped' AND o.status = 'fulfilled')
   OR (e.kind = 'order.cancelled' AND o.status = 'cancelled')
   OR (e.kind = 'note' AND o.id %% 10 = 0)
ORDER BY o.id, e.after
"""

SEED_SUBSCRIPTION = """
INSERT INTO integ_subscriptions (id, url, topics, secret, location, description,
                                 after_outbox_id, created_by, created_at)
VALUES (1, 'https://pos.example.com/hooks/oms', '["order.*"]', 'bench-secret-bench-secret',
        NULL, 'Store POS', 0, 'bench', timestamp '2024-01-01')
"""

SEED_OUTBOX = """
INSERT INTO oms_outbox (id, topic, aggregate, aggregate_id, payload, delivered, created_at)
SELECT o.id / 5, 'order.created', 'order', o.id,
       json_build_object('order_id', o.id, 'number', o.number), true, o.created_at
FROM oms_orders AS o WHERE o.id %% 5 = 0 ORDER BY o.id
"""

SEED_DELIVERIES = """
INSERT INTO integ_deliveries (id, subscription_id, outbox_id, topic, aggregate, aggregate_id,
                              status, attempts, next_attempt_at, budget_started_at,
                              last_error, created_at, delivered_at)
SELECT x.id, 1, x.id, x.topic, 'order', x.aggregate_id,
       CASE WHEN x.aggregate_id %% 50 = 0 THEN 'failed' ELSE 'delivered' END,
       1, x.created_at, x.created_at,
       CASE WHEN x.aggregate_id %% 50 = 0 THEN 'HTTP 503: upstream unavailable' END,
       x.created_at,
       CASE WHEN x.aggregate_id %% 50 <> 0 THEN x.created_at + interval '1 second' END
FROM oms_outbox AS x ORDER BY x.id
"""

SEED_ATTEMPTS = """
INSERT INTO integ_delivery_attempts (delivery_id, at, status_code, error, latency_ms)
SELECT d.id, d.created_at, 503, d.last_error, 41
FROM integ_deliveries AS d WHERE d.status = 'failed' ORDER BY d.id
"""

# One unit of line 1 returned, received and refunded on every 20th order (those fulfilled
# with g mod 20 = 7): 50,000 returns at 1M orders.
SEED_RETURNS = f"""
INSERT INTO ret_returns (id, order_id, order_number, channel, customer_id, currency,
                         location_code, status, source, refund_shipping, refund_total,
                         created_by, created_at, updated_at, received_at)
SELECT (g - 7) / 20 + 1, g, 'NW-' || (100000 + g), (%(channels)s::text[])[1 + g %% 20],
       1 + (g::bigint * 48271 %% %(customers)s), 'USD', 'dc-columbus', 'refunded', 'api',
       false, {PRICE_1}, 'key:1:cs', ts, ts, ts
FROM (SELECT g, timestamp '2024-01-09' + g * interval '30 seconds' AS ts
      FROM generate_series(7, %(orders)s, 20) AS g) AS s
ORDER BY 1
"""

SEED_RETURN_LINES = """
INSERT INTO ret_return_lines (return_id, order_line_id, sku, name, quantity, restocked,
                              damaged, reason, returned_before, refund_subtotal,
                              refund_discount, refund_tax, refund_included_tax, refund_total,
                              cancelled, units)
SELECT r.id, ln.id, ln.sku, ln.name, 1, 1, 0, 'wrong_size', 0, ln.unit_price, 0, 0, 0,
       ln.unit_price, 0, '[0]'
FROM ret_returns AS r JOIN oms_order_lines AS ln ON ln.order_id = r.order_id AND ln.line_no = 1
ORDER BY r.id
"""

SEED_REFUNDS = """
INSERT INTO ret_refunds (return_id, order_id, currency, amount, subtotal, discount, tax,
                         included_tax, shipping, exchange_applied, status, created_at)
SELECT id, order_id, 'USD', refund_total, refund_total, 0, 0, 0, 0, 0, 'pending', received_at
FROM ret_returns ORDER BY id
"""

MARK_RETURNED = """
UPDATE oms_order_lines AS ln SET returned = 1
FROM ret_returns AS r WHERE ln.order_id = r.order_id AND ln.line_no = 1
"""

SEEDED = ("oms_customers", "oms_customer_identities", "oms_orders", "oms_order_lines",
          "ful_fulfillments", "ful_fulfillment_lines", "oms_timeline", "integ_subscriptions",
          "oms_outbox", "integ_deliveries", "integ_delivery_attempts", "ret_returns",
          "ret_return_lines", "ret_refunds")


def seed(url: str, size: Size) -> dict[str, Any]:
    """Locations and items through the services; everything else in bulk SQL."""
    for loc in demo_data.WAREHOUSES + demo_data.STORES:
        inventory_services.create_location(loc)
    items = demo_data.catalog()
    for item in items:
        inventory_services.create_item({**item, "currency": "USD"})
    nodes = [loc["code"] for loc in demo_data.WAREHOUSES + demo_data.STORES if loc["ships"]]
    customers = max(1, size.orders // 5)
    params = {"firsts": list(FIRST_NAMES), "lasts": list(LAST_NAMES), "nf": len(FIRST_NAMES),
              "nl": len(LAST_NAMES), "customers": customers, "orders": size.orders,
              "channels": CHANNELS, "nodes": nodes, "nn": len(nodes),
              "skus": [i["sku"] for i in items], "names": [i["name"] for i in items],
              "ns": len(items)}
    log(f"seeding {size.orders:,} orders for {customers:,} customers (bulk SQL, "
        f"{len(nodes)} shipping nodes, {len(items)} SKUs)")
    started = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn:
        for label, statement in [("customers", SEED_CUSTOMERS),
                                 ("identities", SEED_IDENTITIES),
                                 ("orders", SEED_ORDERS), ("order lines", SEED_LINES),
                                 ("fulfillments", SEED_FULFILLMENTS),
                                 ("fulfillment lines", SEED_FULFILLMENT_LINES),
                                 ("timeline", SEED_TIMELINE),
                                 ("subscription", SEED_SUBSCRIPTION),
                                 ("outbox", SEED_OUTBOX), ("deliveries", SEED_DELIVERIES),
                                 ("attempts", SEED_ATTEMPTS), ("returns", SEED_RETURNS),
                                 ("return lines", SEED_RETURN_LINES),
                                 ("refunds", SEED_REFUNDS),
                                 ("lines marked returned", MARK_RETURNED)]:
            with timed(label):
                conn.execute(statement, params)
            conn.commit()
        for table in SEEDED:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE"):
            for table in SEEDED:
                conn.execute(f"VACUUM ANALYZE {table}")
        rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SEEDED}
        sizes = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))"
                             ).fetchone()[0]
    seconds = time.perf_counter() - started
    log(f"  seeded in {seconds:.0f} s; database {sizes}")
    log("  rows: " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    return {"customers": customers, "seconds": seconds, "rows": rows, "size": sizes}


# ---------------------------------------------------------------- the pages

class Rep:
    """The app's test client, signed in as a cs user through the sign-in form."""

    def __init__(self, url: str) -> None:
        self.app = create_app(Settings(database_url=url, redis_url=None,
                                       embedded_worker=False, log_level="WARNING"))
        if find_user("bench-cs") is None:  # a --no-seed run finds it from the first run
            create_staff_user("bench-cs", "cs", PASSWORD)
        self.client = self.app.test_client()
        html = self.client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token, "no CSRF token on the sign-in page"
        answer = self.client.post("/sign-in", data={"username": "bench-cs",
                                                    "password": PASSWORD,
                                                    "csrf_token": token.group(1)})
        assert answer.status_code == 302, answer.status_code

    def get(self, path: str) -> str:
        answer = self.client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return answer.get_data(as_text=True)


@dataclass
class Row:
    kind: str
    example: str
    samples: int
    p50: float
    p99: float
    wrong: int
    statements: list[str] = field(default_factory=list)


def phone_tail(c: int) -> str:
    tail = str(2000000 + c)
    return f"{tail[:3]}-{tail[3:]}"  # the last 7 digits as a customer reads them out


def targets(size: Size, customers: int, rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Per kind: (path, text the answer must contain) for `size.samples` random orders."""
    ids = [rng.randrange(1, size.orders + 1) for _ in range(size.samples)]
    custs = [1 + (g * 48271 % customers) for g in ids]
    nf, nl = len(FIRST_NAMES), len(LAST_NAMES)

    def first(c: int) -> str:
        return FIRST_NAMES[c % nf]

    def last(c: int) -> str:
        return LAST_NAMES[(c // nf) % nl]

    return {
        "search: surname": [(f"/search?q={last(c).lower()}", 'rel="next"') for c in custs],
        # 30 % of customers gave no phone with their orders: they are found as customers.
        "search: phone fragment": [(f"/search?q={phone_tail(c)}", f'href="/customers/{c}"')
                                   for c in custs],
        "search: number, no prefix": [(f"/search?q={100000 + g}", f">NW-{100000 + g}<")
                                      for g in ids],
        "search: full name": [(f"/search?q={first(c).lower()}+{last(c).lower()}",
                               "order-link") for c in custs],
        "search: email": [(f"/search?q={first(c).lower()}.{last(c).lower()}{c}%40example.com",
                           "order-link") for c in custs],
        "search: tracking (typed lower)": [
            (f"/search?q=1zbench{g:010d}", f">NW-{100000 + g}<") for g in ids
            if g % 20 > 5],
        "search: no query (newest)": [("/search", f">NW-{100000 + size.orders}<")] * len(ids),
        "order page": [(f"/orders/{g}", f"Order NW-{100000 + g}") for g in ids],
        "customer page": [(f"/customers/{c}", "Lifetime value") for c in custs],
        "order page, returned": [(f"/orders/{g - g % 20 + 7}", "Return R-")
                                 for g in ids if g - g % 20 + 7 <= size.orders],
    }


def second_pages(rep: Rep, firsts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A surname's second page: the first page's own "next" link (its cursor)."""
    out = []
    for path, _ in firsts:
        html = rep.get(path)
        found = re.search(r'href="(/search\?q=[^"]+cursor=[^"]+)" rel="next"', html)
        if found:
            out.append((found.group(1).replace("&amp;", "&"), "order-link"))
    return out


def measure(rep: Rep, kind: str, cases: list[tuple[str, str]], url: str) -> Row:
    for path, _ in cases[:5]:
        rep.get(path)  # warm-up
    latencies, wrong = [], 0
    for path, expected in cases:
        t0 = time.perf_counter()
        html = rep.get(path)
        latencies.append(time.perf_counter() - t0)
        wrong += expected not in html
    latencies.sort()
    statements = explain_request(rep, cases[0][0], url)
    row = Row(kind, cases[0][0], len(latencies), percentile(latencies, 0.5),
              percentile(latencies, 0.99), wrong, statements)
    log(f"  {kind:<32} {row.samples:>4} samples  p50 {row.p50 * 1000:6.1f} ms  "
        f"p99 {row.p99 * 1000:6.1f} ms  wrong {wrong}")
    return row


def captured(call: Callable[[], object]) -> list[tuple[str, Any]]:
    engine = get_database().engine
    seen: list[tuple[str, Any]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen


def explain_request(rep: Rep, path: str, url: str) -> list[str]:
    """One line per SELECT the request sent: the tables it reads, its execution time, and
    flags for a full scan of a big table or a scan that discards more than 10,000 rows."""
    out = []
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for statement, params in captured(lambda: rep.get(path)):
            plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                               params).fetchall()]
            out.append(plan_line(statement, plan))
    return out


def plan_line(statement: str, plan: list[str]) -> str:
    tables = sorted({name for pair in re.findall(r"\bFROM (\w+)|\bJOIN (\w+)", statement)
                     for name in pair if name})
    took = next((ln.split(":", 1)[1].strip() for ln in plan
                 if ln.strip().startswith("Execution Time")), "?")
    scans = sorted({m for ln in plan for m in re.findall(
        r"((?:Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Seq Scan)"
        r"(?: using \w+)?(?: on \w+)?)", ln)})
    removed = sum(int(ln.split(":")[1]) for ln in plan
                  if ln.strip().startswith("Rows Removed by Filter:"))
    flags = [f"!! Seq Scan on {t}" for t in BIG_TABLES
             if any(f"Seq Scan on {t} " in ln or ln.rstrip().endswith(f"Seq Scan on {t}")
                    for ln in plan)]
    if removed > 10_000:
        flags.append(f"!! {removed:,} rows read and discarded")
    return (f"{', '.join(tables) or '-'}: {took}; " + "; ".join(scans)
            + ("  " + " ".join(flags) if flags else ""))


def run(url: str, size: Size, *, seed_data: bool) -> None:
    for line in machine_facts(url, PG_SETTINGS):
        log(line)
    upgrade(url)
    from core.db import init_database

    init_database(url)
    if seed_data:
        facts = seed(url, size)
        customers = facts["customers"]
    else:
        with psycopg.connect(conninfo(url)) as conn:
            customers = conn.execute("SELECT count(*) FROM oms_customers").fetchone()[0]
            size = Size(orders=conn.execute("SELECT max(id) FROM oms_orders").fetchone()[0],
                        samples=size.samples)
        log(f"reusing the seeded database: {size.orders:,} orders, {customers:,} customers")
    rep = Rep(url)
    rng = random.Random(12)
    cases = targets(size, customers, rng)
    log(f"pages through the Flask test client, 1 client, {size.samples} samples per kind")
    rows = [measure(rep, kind, found, url) for kind, found in cases.items()]
    rows.insert(1, measure(rep, "search: surname, page 2",
                           second_pages(rep, cases["search: surname"][:size.samples]), url))
    log()
    log("| page | example | samples | p50 ms | p99 ms | wrong |")
    log("|---|---|---:|---:|---:|---:|")
    for row in rows:
        log(f"| {row.kind} | `{row.example[:60]}` | {row.samples} | {row.p50 * 1000:.1f} | "
            f"{row.p99 * 1000:.1f} | {row.wrong} |")
    log()
    log("Statements per request (EXPLAIN ANALYZE of one request of each kind):")
    for row in rows:
        log(f"- {row.kind} ({len(row.statements)} SELECTs)")
        for line in row.statements:
            log(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 orders, 60 samples")
    parser.add_argument("--orders", type=int, help="orders to seed (default 1,000,000)")
    parser.add_argument("--samples", type=int, help="requests per kind")
    parser.add_argument("--no-seed", action="store_true",
                        help="measure a database kept by an earlier --keep-db run")
    add_database_arguments(parser, "oms_bench_pages")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    size = QUICK if args.quick else FULL
    size = Size(orders=args.orders or size.orders, samples=args.samples or size.samples)
    started = time.perf_counter()
    with services(args.keep_db or args.no_seed, args.db_name) as found:
        if args.no_seed:
            from sqlalchemy.engine import make_url

            url = make_url(found.server).set(database=args.db_name).render_as_string(
                hide_password=False)
        else:
            url = recreate_database(found.server, args.db_name)
        run(url, size, seed_data=not args.no_seed)
    log(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
