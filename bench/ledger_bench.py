"""Stock ledger benchmark on PostgreSQL (run by hand: `make bench`; see bench/README.md).

Prints, in one run:
  1. movements/s (inventory.services.receive / adjust alternating, and receive alone) and
     reservations/s (inventory.services.reserve) at 1, 4 and 16 client threads, uniform and
     hot-row;
  2. the same receipt and reservation workloads as hand-written SQL over psycopg (the
     ceilings) and the ours/ceiling ratio per cell;
  3. p50/p99 of the network-wide availability query (inventory.queries.stock_for_sku) and of
     its raw SQL on a bulk-seeded ledger (10,000 SKUs x 50 locations, 1,000,000 movements;
     --quick: 1,000 SKUs, 100,000 movements), and ours/raw.

The application code measured is whatever `inventory` imports as (printed): run it with
PYTHONPATH set to the tree to measure (bench/README.md shows a baseline-vs-new run).

The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench` by default, which it drops and recreates), or else from a throwaway
PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg
from bench_common import (
    add_database_arguments,
    check_database_arguments,
    client_cpu,
    conninfo,
    cores,
    find_postmaster,
    log,
    machine_busy,
    machine_facts,
    percentile,
    postgres_server,
    recreate_database,
    round_trip_baseline,
    server_cpu,
    timed,
)
from sqlalchemy import event

from core.db import get_database, init_database, read_session, unit_of_work
from inventory import ledger, queries, services
from inventory.invariants import find_drift
from inventory.ledger import Cause
from oms.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = (1, 4, 16)
DISTRIBUTIONS = ("uniform", "hot")
ORIGIN = (40.7128, -74.0060)  # New York: the distance-sorted variant of the query
CAUSE = Cause(actor="bench", reference="bench")


@dataclass(frozen=True)
class Size:
    skus: int
    locations: int
    movements: int
    seconds: float  # measured time per write cell
    warmup_ops: int  # per client thread, before the clock starts
    query_samples: int

    @property
    def balances(self) -> int:
        return self.skus * self.locations


FULL = Size(skus=10_000, locations=50, movements=1_000_000, seconds=8.0, warmup_ops=20,
            query_samples=1_000)
QUICK = Size(skus=1_000, locations=50, movements=100_000, seconds=1.5, warmup_ops=5,
             query_samples=200)


def sku_code(i: int) -> str:
    """SKU of item index i (0-based); its id is i + 1."""
    return f"SKU-{i + 1:06d}"


def location_code(j: int) -> str:
    """Code of location index j (0-based); its id is j + 1."""
    return f"LOC-{j + 1:03d}"


PG_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers",
               "max_connections", "wal_level")  # printed with every run

# ---------------------------------------------------------------- small utilities


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


# ---------------------------------------------------------------- CPU accounting


# ---------------------------------------------------------------- the server and database


# ---------------------------------------------------------------- bulk seeding

SEED_ITEMS = """
INSERT INTO inv_items (id, sku, name, price, currency, weight_grams, created_at)
SELECT g, 'SKU-' || lpad(g::text, 6, '0'), 'Bench item ' || g, 1 + (g %% 10000) / 100.0, 'USD',
       g %% 5000, timestamp '2025-01-01'
FROM generate_series(1, %(skus)s) AS g
"""

SEED_LOCATIONS = """
INSERT INTO inv_locations (id, code, name, kind, latitude, longitude, ships, pickup, priority,
                           daily_capacity, city, region, country, postal_code, active,
                           created_at)
SELECT g, 'LOC-' || lpad(g::text, 3, '0'), 'Bench location ' || g,
       CASE WHEN g <= %(warehouses)s THEN 'warehouse' ELSE 'store' END,
       26 + (g * 7919 %% 2200) / 100.0, -123 + (g * 104729 %% 5300) / 100.0,
       true, g > %(warehouses)s, 0, NULL, 'City ' || g, NULL, 'US', NULL, true,
       timestamp '2025-01-01'
FROM generate_series(1, %(locations)s) AS g
"""

# Movement m posts at balance b = m mod B (item b / L + 1, location b mod L + 1), in round
# r = m / B. Round 0 is a receipt for every balance (1,000,000 units for the hot row, item 1 at
# location 1); later rounds mix receipts, carry-out sales, signed adjustments and damage. Each
# balance is then the sum of its movements, so the ledger's invariants hold by construction.
SEED_MOVEMENTS = """
INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                           in_transit_delta, demand_ref, reference, actor, created_at)
SELECT kind, b / %(locations)s + 1, b %% %(locations)s + 1,
       CASE kind
         WHEN 'receipt' THEN
           CASE WHEN r = 0 AND b = 0 THEN 1000000
                WHEN r = 0 THEN 20 + (b * 37) %% 480
                ELSE 1 + b %% 24 END
         WHEN 'shipment' THEN -(1 + b %% 3)
         WHEN 'adjustment' THEN CASE WHEN b %% 2 = 0 THEN 1 + b %% 5 ELSE -(1 + b %% 5) END
         ELSE -1
       END,
       0, 0,
       CASE WHEN kind = 'shipment' THEN 'SO-' || m END,
       CASE WHEN kind = 'receipt' THEN 'PO-' || (m / 100) END,
       'bench-seed',
       timestamp '2025-01-01' + m * interval '10 seconds'
FROM (
  SELECT m, b, r,
         CASE WHEN r = 0 THEN 'receipt'
              ELSE (ARRAY['receipt', 'shipment', 'adjustment', 'damage'])[(b + r) %% 4 + 1]
         END AS kind
  FROM (SELECT m, m %% %(balances)s AS b, m / %(balances)s AS r
        FROM generate_series(0::bigint, %(movements)s - 1) AS m) AS numbered
) AS planned
ORDER BY m
"""

SEED_BALANCES = """
INSERT INTO inv_balances (item_id, location_id, on_hand, reserved, safety_stock, in_transit)
SELECT item_id, location_id, sum(on_hand_delta), sum(reserved_delta),
       CASE WHEN (item_id + location_id) % 10 = 0 THEN 2 ELSE 0 END, sum(in_transit_delta)
FROM inv_movements
GROUP BY item_id, location_id
ORDER BY item_id, location_id
"""

# Rows where a balance disagrees with its movements or its open reservations.
DRIFT_SQL = """
SELECT count(*)
FROM inv_balances AS b
FULL JOIN (SELECT item_id, location_id, sum(on_hand_delta) AS oh, sum(reserved_delta) AS rs,
                  sum(in_transit_delta) AS it
           FROM inv_movements GROUP BY item_id, location_id) AS m USING (item_id, location_id)
LEFT JOIN (SELECT item_id, location_id, sum(quantity) AS q
           FROM inv_reservations GROUP BY item_id, location_id) AS r
  USING (item_id, location_id)
WHERE coalesce(b.on_hand, 0) <> coalesce(m.oh, 0)
   OR coalesce(b.reserved, 0) <> coalesce(m.rs, 0)
   OR coalesce(b.in_transit, 0) <> coalesce(m.it, 0)
   OR coalesce(b.reserved, 0) <> coalesce(r.q, 0)
   OR b.reserved > b.on_hand
"""


def seed(url: str, size: Size) -> None:
    if size.movements < size.balances or size.movements > 5 * size.balances:
        raise SystemExit("movements must be between 1x and 5x the number of balances")
    params = {"skus": size.skus, "locations": size.locations, "warehouses": 10,
              "balances": size.balances, "movements": size.movements}
    log(f"seeding {size.skus:,} SKUs x {size.locations} locations = {size.balances:,} "
        f"balances, {size.movements:,} movements (bulk SQL)")
    with psycopg.connect(conninfo(url)) as conn:
        with timed("items + locations"):
            conn.execute(SEED_ITEMS, params)
            conn.execute(SEED_LOCATIONS, params)
            for table in ("inv_items", "inv_locations"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
        with timed("movements"):
            conn.execute(SEED_MOVEMENTS, params)
        with timed("balances (sums of the movements)"):
            conn.execute(SEED_BALANCES)
        conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE"):
            for table in ("inv_items", "inv_locations", "inv_balances", "inv_movements"):
                conn.execute(f"VACUUM ANALYZE {table}")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM inv_balances), (SELECT count(*) FROM inv_movements),"
            " pg_size_pretty(pg_database_size(current_database()))").fetchone()
    log(f"  seeded: {counts[0]:,} balances, {counts[1]:,} movements, database {counts[2]}")


def drift_rows(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(DRIFT_SQL).fetchone()[0]


# ---------------------------------------------------------------- the concurrent driver

@dataclass
class CellResult:
    workload: str
    dist: str
    clients: int
    ops: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    client_cpu: float = 0.0
    server_cpu: float = math.nan
    new_connections: int = 0
    machine_cpu: float = math.nan

    @property
    def other_cores(self) -> float:
        """Cores used by processes other than this client and its server during the cell."""
        if not self.seconds:
            return math.nan
        return (self.machine_cpu - self.client_cpu - self.server_cpu) / self.seconds

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    def per_op_ms(self, cpu_seconds: float) -> str:
        if math.isnan(cpu_seconds) or not self.ops:
            return "n/a"
        return f"{cpu_seconds / self.ops * 1000:.2f}"


# A worker factory gets the thread index and returns (one operation, cleanup).
Operation = Callable[[int], None]
WorkerFactory = Callable[[int], tuple[Operation, Callable[[], None]]]


def run_cell(workload: str, dist: str, clients: int, factory: WorkerFactory, size: Size,
             postmaster: int | None) -> CellResult:
    start_gate = threading.Barrier(clients + 1, timeout=300)
    end_gate = threading.Barrier(clients + 1, timeout=300)
    release = threading.Event()
    per_thread: list[tuple[float, float, list[float], Counter] | None] = [None] * clients

    def thread_main(idx: int) -> None:
        errors: Counter = Counter()
        latencies: list[float] = []
        begin = end = time.perf_counter()
        try:
            operation, cleanup = factory(idx)
        except Exception as exc:
            errors[f"setup {type(exc).__name__}: {exc}"] += 1
            operation, cleanup = None, (lambda: None)
        try:
            if operation is not None:
                for k in range(size.warmup_ops):
                    try:
                        operation(k)
                    except Exception as exc:
                        errors[f"warmup {type(exc).__name__}"] += 1
            n = size.warmup_ops
            start_gate.wait()
            begin = time.perf_counter()
            deadline = begin + size.seconds
            while operation is not None:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    break
                try:
                    operation(n)
                except Exception as exc:
                    errors[type(exc).__name__] += 1
                else:
                    latencies.append(time.perf_counter() - t0)
                n += 1
            end = time.perf_counter()
            per_thread[idx] = (begin, end, latencies, errors)
            end_gate.wait()
            release.wait(300)
        finally:
            cleanup()

    threads = [threading.Thread(target=thread_main, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    cpu0, srv0, conns0 = client_cpu(), server_cpu(postmaster), _connects[0]
    busy0 = machine_busy()
    end_gate.wait()
    busy1 = machine_busy()
    cpu1, srv1, conns1 = client_cpu(), server_cpu(postmaster), _connects[0]
    release.set()
    for t in threads:
        t.join()

    result = CellResult(workload, dist, clients)
    done = [r for r in per_thread if r is not None]
    result.seconds = max(r[1] for r in done) - min(r[0] for r in done)
    for _begin, _end, latencies, errors in done:
        result.latencies.extend(latencies)
        result.errors.update(errors)
    result.latencies.sort()
    result.ops = len(result.latencies)
    result.client_cpu = cpu1 - cpu0
    result.server_cpu = srv1 - srv0
    result.new_connections = conns1 - conns0
    result.machine_cpu = busy1 - busy0
    return result


def picker(dist: str, size: Size, rng: random.Random) -> Callable[[], tuple[int, int]]:
    """(item index, location index) for the next operation."""
    if dist == "hot":
        return lambda: (0, 0)
    return lambda: (rng.randrange(size.skus), rng.randrange(size.locations))


_refs = itertools.count()
# New DBAPI connections opened by the OMS engine's pool (its "connect" event).
_connects = [0]
_connects_lock = threading.Lock()


def count_pool_connects() -> None:
    def on_connect(*_args) -> None:
        with _connects_lock:
            _connects[0] += 1
    event.listen(get_database().engine, "connect", on_connect)


def movement_factory(dist: str, size: Size) -> WorkerFactory:
    """Even operations receive 1 unit, odd ones adjust by -1: each its own transaction."""
    def factory(idx: int) -> tuple[Operation, Callable[[], None]]:
        pick = picker(dist, size, random.Random(1000 + idx))

        def operation(n: int) -> None:
            i, j = pick()
            if n % 2 == 0:
                services.receive(sku_code(i), location_code(j), 1, CAUSE)
            else:
                services.adjust(sku_code(i), location_code(j), -1, CAUSE)
        return operation, lambda: None
    return factory


def receive_factory(dist: str, size: Size) -> WorkerFactory:
    """One unit received each time, through inventory.services.receive."""
    def factory(idx: int) -> tuple[Operation, Callable[[], None]]:
        pick = picker(dist, size, random.Random(1500 + idx))

        def operation(_n: int) -> None:
            i, j = pick()
            services.receive(sku_code(i), location_code(j), 1, CAUSE)
        return operation, lambda: None
    return factory


def reserve_factory(dist: str, size: Size) -> WorkerFactory:
    """One unit for a new demand each time, through inventory.services.reserve."""
    def factory(idx: int) -> tuple[Operation, Callable[[], None]]:
        pick = picker(dist, size, random.Random(2000 + idx))

        def operation(_n: int) -> None:
            i, j = pick()
            services.reserve([(sku_code(i), location_code(j), 1)], f"bench-{next(_refs)}",
                             CAUSE)
        return operation, lambda: None
    return factory


RAW_RESERVE_BALANCE = """
UPDATE inv_balances SET reserved = reserved + 1
WHERE item_id = %s AND location_id = %s AND on_hand - reserved - safety_stock >= 1
"""
RAW_RESERVE_MOVEMENT = """
INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                           in_transit_delta, demand_ref, reference, actor, created_at)
VALUES ('reservation', %s, %s, 0, 1, 0, %s, 'bench', 'bench', now() AT TIME ZONE 'utc')
"""
RAW_RESERVE_DEMAND = """
INSERT INTO inv_reservations (item_id, location_id, demand_ref, quantity, created_at,
                              updated_at)
VALUES (%s, %s, %s, 1, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
ON CONFLICT (item_id, location_id, demand_ref)
DO UPDATE SET quantity = inv_reservations.quantity + EXCLUDED.quantity,
              updated_at = EXCLUDED.updated_at
"""


class RawInsufficientStock(Exception):
    pass


def raw_reserve_factory(dist: str, size: Size, url: str) -> WorkerFactory:
    """The ceiling: the same three writes in one transaction, by ids, straight over psycopg."""
    def factory(idx: int) -> tuple[Operation, Callable[[], None]]:
        pick = picker(dist, size, random.Random(2000 + idx))
        conn = psycopg.connect(conninfo(url))
        cur = conn.cursor()

        def operation(_n: int) -> None:
            i, j = pick()
            item_id, location_id, ref = i + 1, j + 1, f"raw-{next(_refs)}"
            try:
                cur.execute(RAW_RESERVE_BALANCE, (item_id, location_id))
                if cur.rowcount != 1:
                    raise RawInsufficientStock(f"{item_id}@{location_id}")
                cur.execute(RAW_RESERVE_MOVEMENT, (item_id, location_id, ref))
                cur.execute(RAW_RESERVE_DEMAND, (item_id, location_id, ref))
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return operation, conn.close
    return factory


RAW_RECEIVE_BALANCE = """
INSERT INTO inv_balances (item_id, location_id, on_hand, reserved, safety_stock, in_transit)
VALUES (%s, %s, 1, 0, 0, 0)
ON CONFLICT (item_id, location_id)
DO UPDATE SET on_hand = inv_balances.on_hand + EXCLUDED.on_hand
"""
RAW_RECEIVE_MOVEMENT = """
INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                           in_transit_delta, reference, actor, created_at)
VALUES ('receipt', %s, %s, 1, 0, 0, 'bench', 'bench', now() AT TIME ZONE 'utc')
"""


def raw_receive_factory(dist: str, size: Size, url: str) -> WorkerFactory:
    """The ceiling of a receipt: the balance upsert (a receipt only adds; the CHECKs guard)
    and the movement in one transaction, by ids, prepared, straight over psycopg."""
    def factory(idx: int) -> tuple[Operation, Callable[[], None]]:
        pick = picker(dist, size, random.Random(2500 + idx))
        conn = psycopg.connect(conninfo(url))
        cur = conn.cursor()

        def operation(_n: int) -> None:
            i, j = pick()
            try:
                cur.execute(RAW_RECEIVE_BALANCE, (i + 1, j + 1), prepare=True)
                cur.execute(RAW_RECEIVE_MOVEMENT, (i + 1, j + 1), prepare=True)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        return operation, conn.close
    return factory


# ---------------------------------------------------------------- where the time goes

def statement_trace(label: str, call: Callable[[], object]) -> list[str]:
    """What one call sends to PostgreSQL, from SQLAlchemy's events (plus what they miss)."""
    engine = get_database().engine
    seen: list[str] = []
    starts: list[float] = []
    checkouts = [0]

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        starts.append(time.perf_counter())

    def after(_conn, _cursor, statement, _params, _context, _many) -> None:
        took = time.perf_counter() - starts.pop()
        text = " ".join(statement.split())
        seen.append(f"{took * 1000:6.2f} ms  {text[:86]}")

    def on_commit(_conn) -> None:
        seen.append("          COMMIT")

    def on_checkout(*_args) -> None:
        checkouts[0] += 1

    hooks = [(engine, "before_cursor_execute", before),
             (engine, "after_cursor_execute", after),
             (engine, "commit", on_commit),
             (engine.pool, "checkout", on_checkout)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        call()
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)
    pre_ping = getattr(engine.pool, "_pre_ping", False)
    statements = sum(1 for s in seen if "COMMIT" not in s)
    commits = len(seen) - statements
    trips = statements + commits + (1 if commits else 0)  # + psycopg's implicit BEGIN
    if pre_ping:
        trips += checkouts[0]
    lines = [f"{label}: {trips} round trips "
             f"({statements} statements, {commits} COMMIT, {commits} implicit BEGIN"
             + (f", {checkouts[0]} pool pre-ping SELECT 1" if pre_ping else "") + ")"]
    lines += [f"    {s}" for s in seen]
    return lines


def client_cpu_breakdown(url: str, size: Size, calls: int) -> list[str]:
    """Single client: client-process CPU and wall time per call, for pieces of the write path.
    With one client the client's CPU is the part of the latency that is not PostgreSQL."""
    rng = random.Random(99)

    def key() -> tuple[str, str]:
        return sku_code(rng.randrange(size.skus)), location_code(rng.randrange(size.locations))

    def lookups() -> None:
        sku, code = key()
        with unit_of_work() as uow:
            session = uow.session
            ledger.item_by_sku(session, sku)
            ledger.location_by_code(session, code)
            uow.commit()

    def receive() -> None:
        services.receive(*key(), 1, CAUSE)

    def reserve() -> None:
        services.reserve([(*key(), 1)], f"bench-cpu-{next(_refs)}", CAUSE)

    def without_pre_ping(call: Callable[[], None]) -> Callable[[], None]:
        """The same call with the pool's pre-ping off (a diagnostic: what the `SELECT 1` on
        every checkout costs; the application keeps it on, see core.db)."""
        def run() -> None:
            pool = get_database().engine.pool
            pool._pre_ping = False  # type: ignore[attr-defined]
            try:
                call()
            finally:
                pool._pre_ping = True  # type: ignore[attr-defined]
        return run

    raw_op, raw_close = raw_reserve_factory("uniform", size, url)(99)
    raw_receive, raw_receive_close = raw_receive_factory("uniform", size, url)(98)
    pieces: list[tuple[str, Callable[[], None]]] = [
        ("unit_of_work + item_by_sku + location_by_code + commit", lookups),
        ("services.receive (1 unit)", receive),
        ("  the same, pool pre-ping off (diagnostic)", without_pre_ping(receive)),
        ("raw receive (psycopg, by ids)", lambda: raw_receive(0)),
        ("services.reserve (1 unit, new demand)", reserve),
        ("  the same, pool pre-ping off (diagnostic)", without_pre_ping(reserve)),
        ("raw reserve (psycopg, by ids)", lambda: raw_op(0)),
    ]
    if not getattr(get_database().engine.pool, "_pre_ping", False):
        pieces = [piece for piece in pieces if "pre-ping" not in piece[0]]
    lines = [f"{'one call, 1 client':<56}{'cpu ms':>8}{'wall ms':>9}"]
    try:
        for label, call in pieces:
            for _ in range(20):
                call()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(calls):
                call()
            cpu = (time.process_time() - cpu0) / calls
            wall = (time.perf_counter() - wall0) / calls
            lines.append(f"{label:<56}{cpu * 1000:>8.2f}{wall * 1000:>9.2f}")
    finally:
        raw_close()
        raw_receive_close()
    return lines


# ---------------------------------------------------------------- the availability query

RAW_STOCK_FOR_SKU = """
SELECT l.code, l.name, l.kind, l.latitude, l.longitude, b.on_hand, b.reserved, b.safety_stock,
       b.in_transit
FROM inv_balances AS b JOIN inv_locations AS l ON l.id = b.location_id
WHERE b.item_id = (SELECT id FROM inv_items WHERE sku = %s)
ORDER BY l.code
"""


def query_bench(url: str, size: Size) -> list[tuple[str, float, float, int]]:
    rng = random.Random(7)
    skus = [sku_code(rng.randrange(size.skus)) for _ in range(size.query_samples)]
    rows = []

    def measure(label: str, call: Callable[[str], object]) -> None:
        for sku in skus[:20]:  # warm-up
            call(sku)
        latencies = []
        for sku in skus:
            t0 = time.perf_counter()
            call(sku)
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        rows.append((label, percentile(latencies, 0.5), percentile(latencies, 0.99),
                     len(latencies)))

    sample = queries.stock_for_sku(skus[0])
    assert len(sample["locations"]) == size.locations, "every SKU is stocked everywhere"
    near = queries.stock_for_sku(skus[0], origin=ORIGIN)
    assert near["locations"][0]["distance_km"] <= near["locations"][-1]["distance_km"]

    measure("stock_for_sku(sku)", queries.stock_for_sku)
    measure("stock_for_sku(sku, origin=NYC)",
            lambda sku: queries.stock_for_sku(sku, origin=ORIGIN))
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        measure("raw SQL equivalent (psycopg)",
                lambda sku: conn.execute(RAW_STOCK_FOR_SKU, (sku,)).fetchall())
    return rows


def explain_stock_query(url: str, size: Size) -> list[str]:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        plan = conn.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) "
                            + RAW_STOCK_FOR_SKU, (sku_code(size.skus // 2),)).fetchall()
    return [row[0] for row in plan]


# ---------------------------------------------------------------- report

def print_cells(results: list[CellResult]) -> None:
    header = (f"{'workload':<22}{'dist':<9}{'clients':>7}{'ops':>8}{'ops/s':>9}"
              f"{'p50 ms':>9}{'p99 ms':>9}{'cli ms/op':>10}{'srv ms/op':>10}"
              f"{'new conns':>10}{'other cpu':>10}  errors")
    log(header)
    log("-" * len(header))
    for r in results:
        errors = ", ".join(f"{k} x{v}" for k, v in r.errors.most_common()) or "-"
        log(f"{r.workload:<22}{r.dist:<9}{r.clients:>7}{r.ops:>8}{r.rate:>9.0f}"
            f"{ms(r.p(0.5)):>9}{ms(r.p(0.99)):>9}{r.per_op_ms(r.client_cpu):>10}"
            f"{r.per_op_ms(r.server_cpu):>10}{r.new_connections:>10}"
            f"{cores(r.other_cores):>10}  {errors}")


def print_ratios(ours: dict[tuple[str, int], CellResult],
                 raw: dict[tuple[str, int], CellResult]) -> None:
    if not ours or not raw:
        return
    header = (f"{'dist':<9}{'clients':>7}{'ours ops/s':>12}{'ceiling ops/s':>15}"
              f"{'ours/ceiling':>14}{'ours p50':>10}{'ceil p50':>10}{'ours p99':>10}"
              f"{'ceil p99':>10}")
    log(header)
    log("-" * len(header))
    for dist in DISTRIBUTIONS:
        for clients in CLIENTS:
            if (dist, clients) not in ours or (dist, clients) not in raw:
                continue
            o, c = ours[(dist, clients)], raw[(dist, clients)]
            ratio = o.rate / c.rate if c.rate else math.nan
            log(f"{dist:<9}{clients:>7}{o.rate:>12.0f}{c.rate:>15.0f}{ratio:>14.2f}"
                f"{ms(o.p(0.5)):>10}{ms(c.p(0.5)):>10}{ms(o.p(0.99)):>10}{ms(c.p(0.99)):>10}")


# ---------------------------------------------------------------- main

def run(server: str, args: argparse.Namespace, size: Size) -> None:
    url = recreate_database(server, args.db_name)
    for line in machine_facts(url, PG_SETTINGS):
        log(line)
    rt50, rt99 = round_trip_baseline(url)
    log(f"round trip:  SELECT 1 over psycopg p50 {ms(rt50)} ms, p99 {ms(rt99)} ms")
    log(f"code:        inventory from {Path(services.__file__).resolve().parent.parent}")
    log(f"mode:        {'--quick' if args.quick else 'full'}: {size.seconds:g} s per write "
        f"cell after {size.warmup_ops} warm-up ops per client, {size.query_samples} query "
        "samples")
    log()

    log("schema: alembic upgrade head (oms.migrate.upgrade)")
    with timed("migrations"):
        upgrade(url)
    seed(url, size)
    init_database(url)
    count_pool_connects()
    postmaster = find_postmaster(url)
    if postmaster is None:
        log("  (server is not local: server CPU per op is not measured)")
    if args.quick:
        with read_session() as session, timed("find_drift after seeding"):
            drifts = find_drift(session)
        log(f"  find_drift after seeding: {len(drifts)} drift(s)")
    log(f"  balance/movement drift rows after seeding (SQL check): {drift_rows(url)}")
    log()

    log("== 3. availability query: one SKU across the network "
        f"({size.balances:,} balances, {size.movements:,} movements), 1 client")
    rows = query_bench(url, size)
    header = f"{'query':<34}{'samples':>8}{'p50 ms':>9}{'p99 ms':>9}"
    log(header)
    log("-" * len(header))
    for label, p50, p99, n in rows:
        log(f"{label:<34}{n:>8}{ms(p50):>9}{ms(p99):>9}")
    log("plan of the balance lookup (EXPLAIN ANALYZE of the raw equivalent):")
    for line in explain_stock_query(url, size):
        log(f"    {line}")
    log()

    ours_p50 = next(p50 for label, p50, _p99, _n in rows if label == "stock_for_sku(sku)")
    raw_p50 = next(p50 for label, p50, _p99, _n in rows if label.startswith("raw SQL"))
    log(f"ours/raw at p50: {ours_p50 / raw_p50:.1f}x")
    log()

    log("== where the time goes: one operation, statement by statement (uniform row)")
    trace = [
        *statement_trace("services.receive", lambda: services.receive(
            sku_code(17), location_code(3), 1, CAUSE)),
        *statement_trace("services.adjust", lambda: services.adjust(
            sku_code(17), location_code(3), -1, CAUSE)),
        *statement_trace("services.reserve", lambda: services.reserve(
            [(sku_code(17), location_code(3), 1)], "bench-trace", CAUSE)),
        "ceiling reserve (raw): 5 round trips (BEGIN, UPDATE, INSERT movement, "
        "upsert reservation, COMMIT)",
        "ceiling receive (raw): 4 round trips (BEGIN, upsert balance, INSERT movement, "
        "COMMIT)",
    ]
    for line in trace:
        log(line)
    log()
    for line in client_cpu_breakdown(url, size, calls=max(100, size.query_samples // 2)):
        log(line)
    log()

    log(f"== 1 + 2. writes: {size.seconds:g} s per cell; uniform = random of "
        f"{size.balances:,} (sku, location), hot = one (sku, location)")
    results: list[CellResult] = []
    # (ours, ceiling) workload names per operation, and their cells by (dist, clients)
    pairs = {"reserve": ("reserve (ours)", "reserve (raw ceiling)"),
             "receive": ("receive (ours)", "receive (raw ceiling)")}
    cells: dict[str, dict[tuple[str, int], CellResult]] = {}
    plan: list[tuple[str, Callable[[str], WorkerFactory]]] = [
        ("movement (ours)", lambda d: movement_factory(d, size)),
        ("receive (ours)", lambda d: receive_factory(d, size)),
        ("receive (raw ceiling)", lambda d: raw_receive_factory(d, size, url)),
        ("reserve (ours)", lambda d: reserve_factory(d, size)),
        ("reserve (raw ceiling)", lambda d: raw_reserve_factory(d, size, url)),
    ]
    if args.workloads:
        plan = [(w, make) for w, make in plan if w.split(" (")[0] in args.workloads]
    for workload, make in plan:
        for dist in DISTRIBUTIONS:
            for clients in args.clients or CLIENTS:
                r = run_cell(workload, dist, clients, make(dist), size, postmaster)
                errors = sum(r.errors.values())
                log(f"  {workload:<22}{dist:<8}{clients:>3} clients: {r.rate:8.0f} ops/s  "
                    f"p50 {ms(r.p(0.5))} ms  p99 {ms(r.p(0.99))} ms"
                    + (f"  errors {errors}" if errors else ""))
                results.append(r)
                cells.setdefault(workload, {})[(dist, clients)] = r
    log()
    log("== results: writes (cli/srv ms/op = CPU per op of this client process / of "
        "PostgreSQL; new conns = connections the OMS pool opened during the cell; other cpu "
        "= cores busy with other processes on the machine, i.e. noise)")
    print_cells(results)
    for operation, (ours_name, raw_name) in pairs.items():
        log()
        log(f"== {operation}: ours (inventory.services.{operation}) vs ceiling (raw SQL, "
            "psycopg)")
        print_ratios(cells.get(ours_name, {}), cells.get(raw_name, {}))
    log()

    drift = drift_rows(url)
    with psycopg.connect(conninfo(url)) as conn:
        hot = conn.execute(
            "SELECT on_hand, reserved, (SELECT count(*) FROM inv_reservations "
            "WHERE item_id = 1 AND location_id = 1) FROM inv_balances "
            "WHERE item_id = 1 AND location_id = 1").fetchone()
        movements, rows, reserved = conn.execute(
            "SELECT (SELECT count(*) FROM inv_movements WHERE kind = 'reservation'), "
            "(SELECT count(*) FROM inv_reservations), "
            "(SELECT sum(reserved) FROM inv_balances)").fetchone()
    with read_session() as session, timed("find_drift after the writes"):
        drifts = find_drift(session)  # what `flask inventory verify` checks
    log(f"flask inventory verify (inventory.invariants.find_drift) after the writes: "
        f"{len(drifts)} drift(s)" + "".join(f"\n    {d}" for d in drifts[:5]))
    measured = sum(r.ops for r in results if r.workload.startswith("reserve"))
    log(f"after the writes: {drift} drifted balance rows (SQL check of invariants 1, 2, 4); "
        f"{movements:,} reservation movements, {rows:,} reservation rows, {reserved:,} units "
        f"reserved ({measured:,} measured + warm-up/trace calls); hot row on_hand="
        f"{hot[0]:,} reserved={hot[1]:,} ({hot[2]:,} reservations)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 SKUs x 50 locations, 100,000 movements, short cells")
    parser.add_argument("--seconds", type=float, help="measured seconds per write cell")
    parser.add_argument("--workloads", type=lambda v: v.split(","),
                        help="only these write workloads (comma-separated: movement, receive, "
                             "reserve; each with its ceiling), e.g. while developing")
    parser.add_argument("--clients", type=lambda v: [int(c) for c in v.split(",")],
                        help="only these client counts (default 1,4,16)")
    add_database_arguments(parser, "oms_bench")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    size = QUICK if args.quick else FULL
    if args.seconds:
        size = replace(size, seconds=args.seconds)
    started = time.perf_counter()
    with postgres_server(args.keep_db, args.db_name) as server:
        try:
            run(server, args, size)
        finally:
            with suppress(RuntimeError):
                get_database().dispose()
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
