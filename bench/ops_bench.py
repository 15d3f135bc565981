"""Operations dashboard at scale: 1,000,000 orders over a year (bulk SQL), then the dashboard
page, the KPI order list and each KPI query over 7, 30 and 365 days, timed.

Run by hand (not in the suite): `.venv/bin/python bench/ops_bench.py [--orders N] [--quick]`,
with OMS_BENCH_DATABASE_URL (its own database `oms_bench_ops`, dropped and recreated) or a
throwaway PostgreSQL from scripts/services.sh (see bench/README.md). `--keep-db` leaves the
data for a look at the page (`OMS_DATABASE_URL=... make run`-style).

The data: 27 locations (3 warehouses, 24 stores), 250 SKUs with uneven stock (some low), 300,000
customers; orders 40 % web, 25 % Shopify, 10 % pos, 10 % marketplace, 5 % phone, 5 % store,
5 % Shopify POS sales; remote orders 15 % pickup (BOPIS), in-store sales 20 % shipped home;
a shipment in ten leaves from a store; statuses mostly fulfilled, some routed, cancelled,
backordered, on hold, needing attention; one order in 25 returned (half at a store) with a
refund; pickups of the last 3 days ready and waiting; 40 dead deliveries."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_common import (
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

SEED = [
    # Locations: 3 warehouses, 24 stores.
    """INSERT INTO inv_locations (id, code, name, kind, latitude, longitude, ships, pickup,
                                  priority, active, created_at)
       SELECT l, CASE WHEN l <= 3 THEN 'dc-' || l ELSE 'store-' || l END,
              CASE WHEN l <= 3 THEN 'Warehouse ' || l ELSE 'Store ' || l END,
              CASE WHEN l <= 3 THEN 'warehouse' ELSE 'store' END,
              30 + l %% 15, -120 + l * 1.5, true, l > 3, 0, true, now()
       FROM generate_series(1, 27) AS l""",
    """INSERT INTO inv_items (id, sku, name, price, currency, weight_grams, created_at)
       SELECT i, 'SKU-' || lpad(i::text, 4, '0'), 'Product ' || i, 10 + i %% 90, 'USD', 500,
              now() FROM generate_series(1, 250) AS i""",
    # Stock: uneven; about one balance in eight at 2 or less.
    """INSERT INTO inv_balances (item_id, location_id, on_hand, reserved, safety_stock,
                                 in_transit)
       SELECT i, l, (i * 7 + l * 13) %% 40, 0, CASE WHEN l <= 3 THEN 2 ELSE 0 END, 0
       FROM generate_series(1, 250) AS i CROSS JOIN generate_series(1, 27) AS l""",
    """INSERT INTO oms_customers (id, name, name_search, created_at)
       SELECT c, 'Customer ' || c, 'customer ' || c, now() - interval '2 years'
       FROM generate_series(1, %(customers)s) AS c""",
    # Orders over the last year, evenly; g's channel, method and status from g.
    """INSERT INTO oms_orders (id, number, channel, external_id, status, customer_id,
                               customer_name, currency, subtotal, total, discounts_total,
                               tax_total, shipping_total, taxes_included, fulfillment_method,
                               location_code, hold_code, hold_reason, held_at, created_at,
                               updated_at)
       SELECT g, 'NW-' || (100000 + g), ch, ch || '-' || g, st,
              1 + (g::bigint * 48271) %% %(customers)s,
              'Customer ' || (1 + (g::bigint * 48271) %% %(customers)s), 'USD', amt, amt, 0, 0,
              0, false, meth,
              CASE WHEN meth <> 'ship' THEN 'store-' || (4 + g %% 24) END,
              CASE WHEN st = 'on_hold' THEN 'unknown_sku' END,
              CASE WHEN st = 'on_hold' THEN 'unknown SKU NEW-' || (g %% 7) END,
              CASE WHEN st = 'on_hold' THEN ts END, ts, ts
       FROM (SELECT g, ch, ts, (20 + (g * 37) %% 30000 / 100.0)::numeric(14, 2) AS amt,
                    CASE WHEN ch IN ('pos', 'store') OR pos_sale
                              THEN CASE WHEN g %% 5 = 0 AND NOT pos_sale THEN 'ship'
                                        ELSE 'carry_out' END
                         WHEN g %% 100 < 15 THEN 'pickup' ELSE 'ship' END AS meth,
                    CASE WHEN g %% 1000 < 3 THEN 'on_hold'
                         WHEN g %% 1000 < 10 THEN 'backordered'
                         WHEN g %% 1000 < 13 THEN 'needs_attention'
                         WHEN g %% 1000 < 50 THEN 'cancelled'
                         WHEN ts > now() - interval '3 days' THEN 'routed'
                         ELSE 'fulfilled' END AS st
             FROM (SELECT g, (ARRAY['web', 'shopify', 'web', 'pos', 'web', 'shopify',
                                    'marketplace', 'web', 'shopify', 'phone', 'web', 'shopify',
                                    'web', 'pos', 'web', 'shopify', 'marketplace', 'web',
                                    'shopify', 'store'])[1 + g %% 20] AS ch,
                          g %% 20 = 8 AND g %% 60 = 8 AS pos_sale,
                          now() at time zone 'utc' - (%(orders)s - g) * interval '1 year'
                              / %(orders)s AS ts
                   FROM generate_series(1, %(orders)s) AS g) AS base) AS s""",
    """INSERT INTO oms_order_lines (order_id, line_no, sku, quantity, unit_price, discount, tax,
                                    allocated, backordered, fulfilled, cancelled, returned)
       SELECT id, 1, 'SKU-' || lpad((1 + id %% 250)::text, 4, '0'), 2, total / 2, 0, 0, 0, 2,
              0, 0, 0 FROM oms_orders WHERE status = 'backordered'""",
    # Work: shipments (a store's for one in ten), pickups (ready for the last 3 days' ones).
    """INSERT INTO ful_fulfillments (order_id, order_number, location_code, method, status,
                                     channel, customer_name, assigned_on, pickup_expires_at,
                                     ready_at, created_at, updated_at, wrong_code_attempts)
       SELECT id, number,
              CASE WHEN fulfillment_method = 'pickup' THEN location_code
                   WHEN id %% 10 = 0 THEN 'store-' || (4 + id %% 24)
                   ELSE 'dc-' || (1 + id %% 3) END,
              fulfillment_method,
              CASE WHEN fulfillment_method = 'ship' THEN
                        CASE WHEN status = 'routed' THEN 'pending' ELSE 'shipped' END
                   WHEN status = 'routed' THEN 'ready_for_pickup' ELSE 'picked_up' END,
              channel, customer_name, created_at::date,
              CASE WHEN fulfillment_method = 'pickup' AND status = 'routed'
                   THEN created_at + interval '3 days' END,
              CASE WHEN fulfillment_method = 'pickup' AND status = 'routed' THEN created_at END,
              created_at, created_at, 0
       FROM oms_orders
       WHERE fulfillment_method <> 'carry_out' AND status IN ('fulfilled', 'routed')""",
    """INSERT INTO ret_returns (order_id, order_number, channel, customer_id, currency,
                                location_code, status, source, refund_shipping, refund_total,
                                created_by, created_at, updated_at)
       SELECT id, number, channel, customer_id, currency,
              CASE WHEN id %% 50 = 0 THEN 'store-' || (4 + id %% 24) ELSE 'dc-1' END,
              'received', 'api', false, total / 2, 'bench', created_at + interval '5 days',
              created_at + interval '5 days'
       FROM oms_orders WHERE status = 'fulfilled' AND id %% 25 = 0""",
    """INSERT INTO ret_refunds (return_id, order_id, currency, amount, subtotal, discount, tax,
                                included_tax, shipping, exchange_applied, status, created_at)
       SELECT id, order_id, currency, refund_total, refund_total, 0, 0, 0, 0, 0, 'settled',
              created_at FROM ret_returns""",
    """INSERT INTO integ_subscriptions (id, url, topics, secret, after_outbox_id, created_by,
                                       created_at)
       VALUES (1, 'https://erp.example.com/hooks/oms', '["order.*"]', 'bench-secret-bench',
               0, 'bench', now())""",
    """INSERT INTO oms_outbox (id, topic, aggregate, aggregate_id, payload, delivered,
                               created_at)
       SELECT k, 'order.cancelled', 'order', k * 997, '{}', true, now()
       FROM generate_series(1, 40) AS k""",
    """INSERT INTO integ_deliveries (subscription_id, outbox_id, topic, aggregate, aggregate_id,
                                     status, attempts, next_attempt_at, budget_started_at,
                                     last_error, created_at)
       SELECT 1, id, topic, aggregate, aggregate_id, 'failed', 10, now(), now(),
              'HTTP 503: upstream unavailable', now() FROM oms_outbox""",
]
TABLES = ("inv_locations", "inv_items", "inv_balances", "oms_customers", "oms_orders",
          "oms_order_lines", "ful_fulfillments", "ret_returns", "ret_refunds",
          "integ_subscriptions", "oms_outbox", "integ_deliveries")
PASSWORD = "bench password 1"


def seed(url: str, orders: int) -> None:
    params = {"orders": orders, "customers": max(1000, orders * 3 // 10)}
    log(f"seeding {orders:,} orders over a year (bulk SQL, one transaction)")
    with psycopg.connect(conninfo(url)) as conn:
        for statement in SEED:
            table = re.search(r"INSERT INTO (\w+)", statement)
            with timed(table.group(1) if table else "?"):
                conn.execute(statement, params)
        for table in TABLES:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE"):
            for table in TABLES:
                conn.execute(f"VACUUM ANALYZE {table}")


def timings(label: str, call: Callable[[], object], samples: int) -> str:
    call()  # warm the caches once
    runs = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return (f"  {label:<44} p50 {statistics.median(runs):7.1f} ms   "
            f"p99 {percentile(runs, 0.99):7.1f} ms   ({samples} runs)")


def signed_in_client(url: str):
    from sqlalchemy import select

    from core.db import read_session
    from core.staff import StaffUser, create_staff_user
    from oms.app import create_app
    from oms.config import Settings

    app = create_app(Settings(database_url=url, redis_url=None, embedded_worker=False,
                              log_level="WARNING", secret_key="bench" * 8))
    with read_session() as session:
        known = session.scalar(select(StaffUser.id).where(StaffUser.username == "bench-admin"))
    if known is None:
        create_staff_user("bench-admin", "admin", PASSWORD)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None, "no CSRF token on the sign-in page"
    answer = client.post("/sign-in", data={"username": "bench-admin", "password": PASSWORD,
                                           "csrf_token": token.group(1)})
    assert answer.status_code == 302, answer.status_code
    return client


def measure(url: str, samples: int) -> None:
    from oms import kpis
    from oms.migrate import upgrade  # noqa: F401  (the schema is already there)

    client = signed_in_client(url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def get(path: str) -> Callable[[], object]:
        def call() -> object:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            return answer

        return call

    log("\nthe pages (Flask test client, signed in as an admin; the whole request)")
    today = now.date()
    for days in (7, 30, 365):
        start = (today - dt.timedelta(days=days - 1)).isoformat()
        log(timings(f"GET /ops, last {days} days", get(f"/ops?start={start}&end={today}"),
                    samples if days < 365 else max(3, samples // 4)))
        log(timings(f"GET /ops/orders cross-channel, {days} days",
                    get(f"/ops/orders?segment=cross_channel&start={start}&end={today}"),
                    samples if days < 365 else max(3, samples // 4)))
    log("\neach KPI query alone")
    for days in (7, 30, 365):
        period = kpis.Period(now - dt.timedelta(days=days), now)
        for name, fn in (("multichannel_customer_share", kpis.multichannel_customer_share),
                         ("cross_channel_purchase_rate", kpis.cross_channel_purchase_rate),
                         ("bopis_share", kpis.bopis_share),
                         ("cross_channel_return_share", kpis.cross_channel_return_share),
                         ("value_by_channel_use", kpis.value_by_channel_use)):
            log(timings(f"{name}, {days} days", lambda fn=fn, p=period: fn(p),
                        max(3, samples // 2 if days < 365 else samples // 4)))


def explain(url: str) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.dialects import postgresql

    from oms import kpis
    from oms.models import Order

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    period = kpis.Period(now - dt.timedelta(days=30), now)
    stmt = select(func.count()).where(kpis.Segment("cross_channel", period).condition())
    sql = str(stmt.select_from(Order).compile(dialect=postgresql.dialect(),
                                              compile_kwargs={"literal_binds": True}))
    with psycopg.connect(conninfo(url)) as conn:
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF) " + sql).fetchall()
    log("\nEXPLAIN ANALYZE, cross-channel purchases over 30 days:")
    for (line,) in plan:
        log("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="100,000 orders, 8 samples")
    parser.add_argument("--measure-only", action="store_true",
                        help="with OMS_BENCH_DATABASE_URL and --keep-db: time the database a "
                             "previous --keep-db run left (no seeding)")
    add_database_arguments(parser, "oms_bench_ops")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    if args.quick:
        args.orders, args.samples = 100_000, 8
    started = time.perf_counter()
    with services(args.keep_db, args.db_name) as svc:
        from core.db import get_database, init_database
        from oms.migrate import upgrade

        if args.measure_only:
            url = make_url(svc.server).set(database=args.db_name).render_as_string(
                hide_password=False)
        else:
            url = recreate_database(svc.server, args.db_name)
        for line in machine_facts(url, ("shared_buffers", "work_mem", "jit")):
            log(line)
        if not args.measure_only:
            upgrade(url)
            seed(url, args.orders)
        init_database(url)
        try:
            measure(url, args.samples)
            explain(url)
        finally:
            get_database().dispose()
    log(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
