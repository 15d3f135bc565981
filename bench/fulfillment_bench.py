"""Fulfillment benchmark on PostgreSQL: pick-list claims and ship confirmations (run by hand;
see bench/README.md).

Prints, in one run:
  1. pick-list claim latency p50/p99 of fulfillment.use_cases.claim (in-process, limit 10, lease
     300 s) with 100,000 open ship fulfillments across 50 locations (--quick: 10,000), at 1
     and 8 concurrent pollers (threads, each a distinct wms Principal, each claim at a random
     location), then 8 pollers draining one location, and whether any fulfillment was
     claimed twice; EXPLAIN ANALYZE of the claim query before and after the claims;
  2. ship confirmations per second of fulfillment.use_cases.ship at 1 and 8 threads (each ships
     fulfillments it claimed itself), with p50/p99 and errors; then the ledger's invariants
     (inventory.invariants.find_drift and an equivalent SQL check) and a reconciliation of
     claims, shipments, reservations, order lines and timeline rows.

The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench_fulfillment` by default, which it drops and recreates), or else from a
throwaway PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import threading
import time
from collections import Counter, deque
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
    statement_shape,
    timed,
)
from sqlalchemy import event

from core.auth import Principal
from core.db import get_database, init_database, read_session, utcnow
from fulfillment import use_cases as fulfilling
from inventory.invariants import find_drift
from oms.app import wire
from oms.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
POLLERS = (1, 8)
SHIP_THREADS = (1, 8)
CLAIM_LIMIT = 10
LEASE_SECONDS = 300
CARRIER = "UPS"
WAREHOUSES = 10  # the first locations are warehouses, the rest stores (all ship)


@dataclass(frozen=True)
class Size:
    fulfillments: int
    locations: int
    items: int
    claim_seconds: float  # measured time per claim cell
    ship_seconds: float  # measured time per ship cell
    warmup: int  # calls per thread before each cell's clock starts


FULL = Size(fulfillments=100_000, locations=50, items=2_000, claim_seconds=30.0,
            ship_seconds=30.0, warmup=3)
QUICK = Size(fulfillments=10_000, locations=50, items=500, claim_seconds=3.0,
             ship_seconds=3.0, warmup=2)


def location_code(j: int) -> str:
    """Code of location index j (0-based); its id is j + 1."""
    return f"LOC-{j + 1:03d}"


PG_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers",
               "max_connections", "wal_level")  # printed with every run

# ---------------------------------------------------------------- small utilities


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


# ---------------------------------------------------------------- CPU accounting


# Database errors the OMS engine saw (SQLAlchemy's handle_error event), by SQLSTATE. This sees
# the deadlocks (40P01) and serialization failures (40001) that run_in_unit_of_work retries
# silently, which the callers never get to see.
_db_errors: Counter = Counter()
_db_errors_lock = threading.Lock()
# New DBAPI connections opened by the OMS engine's pool.
_connects = [0]


def watch_engine() -> None:
    engine = get_database().engine

    def on_error(context) -> None:
        exc = context.original_exception
        code = getattr(exc, "sqlstate", None) or type(exc).__name__
        with _db_errors_lock:
            _db_errors[code] += 1

    def on_connect(*_args) -> None:
        with _db_errors_lock:
            _connects[0] += 1

    event.listen(engine, "handle_error", on_error)
    event.listen(engine, "connect", on_connect)


def db_errors_snapshot() -> Counter:
    with _db_errors_lock:
        return Counter(_db_errors)


# ---------------------------------------------------------------- the server and database


# ---------------------------------------------------------------- bulk seeding

SEED_ITEMS = """
INSERT INTO inv_items (id, sku, name, price, currency, weight_grams, created_at)
SELECT g, 'SKU-' || lpad(g::text, 6, '0'), 'Bench item ' || g, 1 + (g %% 10000) / 100.0, 'USD',
       g %% 5000, timestamp '2025-01-01'
FROM generate_series(1, %(items)s) AS g
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

# Fulfillment f (1..N) belongs to order f, sits at location r + 1 with r = (f - 1) mod L (so
# each location holds N / L of them, interleaved by age) and has 1 + f mod 3 lines of one unit
# each; with q = (f - 1) / L, line k (1..3) is of item (7 q + 13 r + 131 k) mod I + 1: distinct
# items within a fulfillment, and each location's fulfillments spread over all I items. Order
# line and fulfillment line ids are both 3 (f - 1) + k. The rest is derived from this table.
SEED_PLAN = """
CREATE TEMP TABLE bench_lines AS
SELECT f, k, 3 * (f - 1) + k AS line_id, item_id, r + 1 AS location_id,
       'LOC-' || lpad((r + 1)::text, 3, '0') AS code,
       'SKU-' || lpad(item_id::text, 6, '0') AS sku,
       'order:' || f || '/line:' || (3 * (f - 1) + k) AS demand_ref
FROM (SELECT f, k, (f - 1) %% %(locations)s AS r,
             (7 * ((f - 1) / %(locations)s) + 13 * ((f - 1) %% %(locations)s) + 131 * k)
               %% %(items)s + 1 AS item_id
      FROM generate_series(1, %(fulfillments)s) AS f, generate_series(1, 1 + f %% 3) AS k
     ) AS planned
"""

SEED_ORDERS = """
INSERT INTO oms_orders (id, number, channel, external_id, status, email, customer_name,
                        name_search, currency, subtotal, total, fulfillment_method,
                        created_at, updated_at)
SELECT f, 'FB-' || (100000 + f), 'web', 'W-' || (1000000 + f), 'routed',
       'buyer' || f || '@example.com', 'Bench Buyer ' || f, 'bench buyer ' || f, 'USD',
       19.99 * (1 + f %% 3), 19.99 * (1 + f %% 3), 'ship', ts, ts
FROM (SELECT f, (now() AT TIME ZONE 'utc') - (%(fulfillments)s - f) * interval '1 second' AS ts
      FROM generate_series(1, %(fulfillments)s) AS f) AS s
ORDER BY f
"""

SEED_ORDER_LINES = """
INSERT INTO oms_order_lines (id, order_id, line_no, sku, name, quantity, unit_price, allocated,
                             backordered, fulfilled, cancelled)
SELECT line_id, f, k, sku, 'Bench item ' || item_id, 1, 19.99, 1, 0, 0, 0
FROM bench_lines ORDER BY line_id
"""

SEED_FULFILLMENTS = """
INSERT INTO ful_fulfillments (id, order_id, order_number, location_code, method, status,
                              assigned_on, created_at, updated_at, wrong_code_attempts)
SELECT f, f, 'FB-' || (100000 + f), 'LOC-' || lpad(((f - 1) %% %(locations)s + 1)::text, 3, '0'),
       'ship', 'pending', current_date, ts, ts, 0
FROM (SELECT f, (now() AT TIME ZONE 'utc') - (%(fulfillments)s - f) * interval '1 second' AS ts
      FROM generate_series(1, %(fulfillments)s) AS f) AS s
ORDER BY f
"""

SEED_FULFILLMENT_LINES = """
INSERT INTO ful_fulfillment_lines (id, fulfillment_id, order_line_id, sku, quantity,
                                   source_location, demand_ref)
SELECT line_id, f, line_id, sku, 1, code, demand_ref
FROM bench_lines ORDER BY line_id
"""

# Inventory: every (item, location) a line needs holds its reserved units plus 5-24 free ones;
# one receipt per balance brings them in, one reservation movement + row per line promises one.
SEED_BALANCES = """
INSERT INTO inv_balances (item_id, location_id, on_hand, reserved, safety_stock, in_transit)
SELECT item_id, location_id, count(*) + 5 + (item_id + location_id) % 20, count(*), 0, 0
FROM bench_lines GROUP BY item_id, location_id ORDER BY item_id, location_id
"""

SEED_RECEIPTS = """
INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                           in_transit_delta, reference, actor, created_at)
SELECT 'receipt', item_id, location_id, on_hand, 0, 0, 'PO-BENCH', 'bench-seed',
       timestamp '2025-01-01'
FROM inv_balances ORDER BY item_id, location_id
"""

SEED_RESERVATION_MOVEMENTS = """
INSERT INTO inv_movements (kind, item_id, location_id, on_hand_delta, reserved_delta,
                           in_transit_delta, demand_ref, reference, actor, created_at)
SELECT 'reservation', item_id, location_id, 0, 1, 0, demand_ref, 'order:' || f, 'bench-seed',
       timestamp '2025-01-02' + line_id * interval '1 second'
FROM bench_lines ORDER BY line_id
"""

SEED_RESERVATIONS = """
INSERT INTO inv_reservations (item_id, location_id, demand_ref, quantity, created_at,
                              updated_at)
SELECT item_id, location_id, demand_ref, 1, timestamp '2025-01-02', timestamp '2025-01-02'
FROM bench_lines ORDER BY line_id
"""

SEEDED_TABLES = ("inv_items", "inv_locations", "oms_orders", "oms_order_lines",
                 "ful_fulfillments", "ful_fulfillment_lines", "inv_balances", "inv_movements",
                 "inv_reservations")

# Rows where a balance disagrees with its movements or its open reservations, or breaks a
# stock rule (invariants 1, 2 and 4 of inventory.invariants; no transfers exist here).
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
   OR b.reserved > b.on_hand OR b.on_hand < 0 OR b.reserved < 0 OR b.in_transit < 0
"""


def seed(url: str, size: Size) -> None:
    params = {"items": size.items, "locations": size.locations, "warehouses": WAREHOUSES,
              "fulfillments": size.fulfillments}
    log(f"seeding {size.fulfillments:,} pending ship fulfillments ({size.fulfillments:,} "
        f"orders) across {size.locations} locations, {size.items:,} SKUs (bulk SQL, one "
        "transaction)")
    with psycopg.connect(conninfo(url)) as conn:
        with timed("items + locations + line plan"):
            conn.execute(SEED_ITEMS, params)
            conn.execute(SEED_LOCATIONS, params)
            # CREATE TABLE AS takes no bound parameters: the values (integers) are inlined.
            conn.execute(SEED_PLAN % params)
        with timed("orders + order lines"):
            conn.execute(SEED_ORDERS, params)
            conn.execute(SEED_ORDER_LINES, params)
        with timed("fulfillments + fulfillment lines"):
            conn.execute(SEED_FULFILLMENTS, params)
            conn.execute(SEED_FULFILLMENT_LINES, params)
        with timed("balances, receipts, reservation movements and rows"):
            conn.execute(SEED_BALANCES)
            conn.execute(SEED_RECEIPTS)
            conn.execute(SEED_RESERVATION_MOVEMENTS)
            conn.execute(SEED_RESERVATIONS)
        for table in ("inv_items", "inv_locations", "oms_orders", "oms_order_lines",
                      "ful_fulfillments", "ful_fulfillment_lines"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE"):
            for table in SEEDED_TABLES:
                conn.execute(f"VACUUM ANALYZE {table}")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM ful_fulfillments),"
            " (SELECT count(*) FROM ful_fulfillment_lines),"
            " (SELECT count(*) FROM inv_balances), (SELECT count(*) FROM inv_movements),"
            " (SELECT count(*) FROM inv_reservations),"
            " (SELECT min(n) || '-' || max(n) FROM (SELECT count(*) AS n FROM ful_fulfillments"
            "   GROUP BY location_code) AS per_location),"
            " pg_size_pretty(pg_database_size(current_database()))").fetchone()
    log(f"  seeded: {counts[0]:,} fulfillments ({counts[5]} per location), {counts[1]:,} "
        f"lines/units, {counts[2]:,} balances, {counts[3]:,} movements, {counts[4]:,} "
        f"reservations; database {counts[6]}")


def drift_rows(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(DRIFT_SQL).fetchone()[0]


# ---------------------------------------------------------------- claims and who got what

class ClaimLog:
    """Every fulfillment any claim returned in this run, to prove none went out twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.claims: list[tuple[int, str, float]] = []  # (fulfillment id, actor, monotonic)
        self.anomalies: Counter = Counter()
        self.first_anomaly: str | None = None
        self.pool_returns: list[float] = []  # when every live lease was expired on purpose

    def add(self, views: list[dict], principal: Principal, location: str) -> None:
        now = time.monotonic()
        wrong: list[tuple[str, str]] = []
        if len(views) > CLAIM_LIMIT:
            wrong.append(("over limit", f"{len(views)} rows for limit {CLAIM_LIMIT}"))
        for v in views:
            if v["claimed_by"] != principal.actor:
                wrong.append(("claimed_by", f"{v['id']}: claimed_by {v['claimed_by']!r}, "
                                            f"not {principal.actor!r}"))
            if v["location"] != location:
                wrong.append(("location", f"{v['id']}: at {v['location']}, asked {location}"))
            if v["status"] != "pending":
                wrong.append(("status", f"{v['id']}: {v['status']}"))
        with self._lock:
            self.claims.extend((v["id"], principal.actor, now) for v in views)
            for kind, message in wrong:
                self.anomalies[kind] += 1
                self.first_anomaly = self.first_anomaly or message

    def duplicates(self) -> tuple[int, int, list[str]]:
        """(ids claimed twice while an earlier lease was live, ids re-claimed after the lease
        ran out, examples)."""
        seen: dict[int, tuple[str, float]] = {}
        live, expired, examples = set(), set(), []
        with self._lock:
            claims = sorted(self.claims, key=lambda c: c[2])
        for fid, actor, at in claims:
            if fid in seen:
                first_actor, first_at = seen[fid]
                returned = any(first_at < t < at for t in self.pool_returns)
                if at - first_at < LEASE_SECONDS and not returned:
                    live.add(fid)
                    if len(examples) < 5:
                        examples.append(f"{fid}: {first_actor} then {actor} "
                                        f"{at - first_at:.1f} s later")
                else:
                    expired.add(fid)
            seen[fid] = (actor, at)
        return len(live), len(expired), examples

    def returned_to_pool(self) -> None:
        with self._lock:
            self.pool_returns.append(time.monotonic())

    def unique(self) -> int:
        with self._lock:
            return len({c[0] for c in self.claims})


def return_to_pool(url: str, claims: ClaimLog) -> int:
    """Expire every live lease, as time would: each cell then starts with all open work
    claimable (otherwise fast claim cells drain the seeded pool and later cells measure less,
    or run dry). Re-claims after this count as 'after lease expiry', not as duplicates."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        returned = conn.execute(
            "UPDATE ful_fulfillments SET lease_expires_at = "
            "(now() AT TIME ZONE 'UTC') - interval '1 second' "
            "WHERE status = 'pending' AND lease_expires_at IS NOT NULL").rowcount
    claims.returned_to_pool()
    return returned


def wms_key(key_id: int, name: str) -> Principal:
    """A wms caller allowed at every seeded location (wms keys act only at their own)."""
    everywhere = frozenset(location_code(j) for j in range(max(FULL.locations,
                                                               QUICK.locations)))
    try:
        return Principal(key_id=key_id, name=name, role="wms", locations=everywhere)
    except TypeError:  # a tree from before keys had several locations: wms went anywhere
        return Principal(key_id=key_id, name=name, role="wms", location=None)


def poller(n: int) -> Principal:
    return wms_key(n, f"poller-{n}")


def shipper(n: int) -> Principal:
    return wms_key(100 + n, f"shipper-{n}")


def tracking(fid: int) -> str:
    return f"1ZBENCH{fid:010d}"


# ---------------------------------------------------------------- the concurrent driver

@dataclass
class CellResult:
    kind: str
    threads: int
    where: str = ""
    calls: int = 0
    units: int = 0  # fulfillments claimed or shipped in the measured window
    empty: int = 0  # claims that returned nothing
    short: int = 0  # claims that returned fewer than CLAIM_LIMIT
    refills: int = 0  # ship threads that ran out of pre-claimed work and claimed more
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    first_error: str | None = None
    client_cpu: float = 0.0
    server_cpu: float = math.nan
    machine_cpu: float = math.nan
    db_errors: Counter = field(default_factory=Counter)
    new_connections: int = 0

    @property
    def rate(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def unit_rate(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    @property
    def other_cores(self) -> float:
        if not self.seconds:
            return math.nan
        return (self.machine_cpu - self.client_cpu - self.server_cpu) / self.seconds

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    def per_call_ms(self, cpu_seconds: float) -> str:
        if math.isnan(cpu_seconds) or not self.calls:
            return "n/a"
        return f"{cpu_seconds / self.calls * 1000:.2f}"


# An operation returns (fulfillments it handled, seconds of it not to count as latency).
Operation = Callable[[int], tuple[int, float]]
WorkerFactory = Callable[[int], tuple[Operation, Callable[[], int]]]


@dataclass
class ThreadOutcome:
    begin: float
    end: float
    latencies: list[float] = field(default_factory=list)
    units: list[int] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    first_error: str | None = None
    refills: int = 0


def _no_refills() -> int:
    return 0


class Drained(Exception):
    """Raised by an operation when its thread has nothing left to do: the thread stops (the
    call is neither an error nor a latency sample)."""


def run_cell(kind: str, threads: int, seconds: float, warmup: int, factory: WorkerFactory,
             postmaster: int | None) -> CellResult:
    """Each thread: factory (untimed setup), `warmup` calls, then all start together and call
    back to back for `seconds`; every call is the use case's own committed transaction."""
    start_gate = threading.Barrier(threads + 1, timeout=900)
    end_gate = threading.Barrier(threads + 1, timeout=900)
    release = threading.Event()
    outcomes: list[ThreadOutcome | None] = [None] * threads

    def note(out: ThreadOutcome, label: str, exc: Exception) -> None:
        out.errors[label] += 1
        out.first_error = out.first_error or f"{label}: {str(exc)[:300]}"

    def thread_main(idx: int) -> None:
        now = time.perf_counter()
        out = ThreadOutcome(now, now)
        operation: Operation | None = None
        finish: Callable[[], int] = _no_refills
        try:
            try:
                operation, finish = factory(idx)
            except Exception as exc:
                note(out, f"setup {type(exc).__name__}", exc)
            if operation is not None:
                for k in range(warmup):
                    try:
                        operation(k)
                    except Exception as exc:
                        note(out, f"warm-up {type(exc).__name__}", exc)
            start_gate.wait()
            out.begin = time.perf_counter()
            deadline = out.begin + seconds
            n = warmup
            while operation is not None:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    break
                try:
                    units, excluded = operation(n)
                except Drained:
                    break
                except Exception as exc:
                    note(out, type(exc).__name__, exc)
                else:
                    out.latencies.append(time.perf_counter() - t0 - excluded)
                    out.units.append(units)
                n += 1
            out.end = time.perf_counter()
            out.refills = finish()
            outcomes[idx] = out
            end_gate.wait()
            release.wait(900)
        except threading.BrokenBarrierError:
            outcomes[idx] = out

    workers = [threading.Thread(target=thread_main, args=(i,), daemon=True)
               for i in range(threads)]
    for t in workers:
        t.start()
    start_gate.wait()
    cpu0, srv0, busy0 = client_cpu(), server_cpu(postmaster), machine_busy()
    errs0, conns0 = db_errors_snapshot(), _connects[0]
    end_gate.wait()
    busy1, cpu1, srv1 = machine_busy(), client_cpu(), server_cpu(postmaster)
    errs1, conns1 = db_errors_snapshot(), _connects[0]
    release.set()
    for t in workers:
        t.join()

    result = CellResult(kind, threads)
    done = [o for o in outcomes if o is not None]
    result.seconds = max(o.end for o in done) - min(o.begin for o in done)
    for o in done:
        result.latencies.extend(o.latencies)
        result.units += sum(o.units)
        result.empty += sum(1 for u in o.units if u == 0)
        result.short += sum(1 for u in o.units if 0 < u < CLAIM_LIMIT)
        result.errors.update(o.errors)
        result.first_error = result.first_error or o.first_error
        result.refills += o.refills
    result.latencies.sort()
    result.calls = len(result.latencies)
    result.client_cpu = cpu1 - cpu0
    result.server_cpu = srv1 - srv0
    result.machine_cpu = busy1 - busy0
    result.db_errors = errs1 - errs0
    result.new_connections = conns1 - conns0
    return result


def claim_factory(size: Size, claims: ClaimLog, only: str | None = None) -> WorkerFactory:
    """Poller n+1 claims up to CLAIM_LIMIT at a random location each call; or, with `only`,
    always there until a claim comes back empty (the poller then stops: drained)."""
    def factory(idx: int) -> tuple[Operation, Callable[[], int]]:
        principal = poller(idx + 1)
        rng = random.Random(500 + idx)

        def operation(_n: int) -> tuple[int, float]:
            location = only or location_code(rng.randrange(size.locations))
            views = fulfilling.claim(location, CLAIM_LIMIT, LEASE_SECONDS, principal)
            claims.add(views, principal, location)
            if only and not views:
                raise Drained
            return len(views), 0.0
        return operation, _no_refills
    return factory


def claim_into(pool: deque, want: int, principal: Principal, rng: random.Random,
               size: Size, claims: ClaimLog) -> None:
    """Claim at random locations until `pool` holds `want` fulfillment ids (or the work runs
    out: 200 empty claims in a row)."""
    empty = 0
    while len(pool) < want and empty < 200:
        location = location_code(rng.randrange(size.locations))
        views = fulfilling.claim(location, CLAIM_LIMIT, LEASE_SECONDS, principal)
        claims.add(views, principal, location)
        pool.extend(v["id"] for v in views)
        empty = 0 if views else empty + 1


class ShipLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.shipped: list[int] = []
        self.failed: list[int] = []
        self.wrong: list[str] = []

    def add(self, fid: int, view: dict | None) -> None:
        with self._lock:
            if view is None:
                self.failed.append(fid)
                return
            self.shipped.append(fid)
            if view["status"] != "shipped" or view["tracking_number"] != tracking(fid):
                self.wrong.append(f"{fid}: status {view['status']}, tracking "
                                  f"{view['tracking_number']}")


def ship_factory(size: Size, claims: ClaimLog, ships: ShipLog, pool_size: int,
                 key_offset: int) -> WorkerFactory:
    """Shipper thread: claims `pool_size` fulfillments for itself (untimed setup), then ships
    them one by one. If it runs out it claims 10 more; that time is not counted as ship
    latency, and the refill is reported."""
    def factory(idx: int) -> tuple[Operation, Callable[[], int]]:
        principal = shipper(key_offset + idx + 1)
        rng = random.Random(900 + key_offset + idx)
        pool: deque[int] = deque()
        refills = [0]
        claim_into(pool, pool_size, principal, rng, size, claims)

        def operation(_n: int) -> tuple[int, float]:
            excluded = 0.0
            if not pool:
                t0 = time.perf_counter()
                claim_into(pool, CLAIM_LIMIT, principal, rng, size, claims)
                excluded = time.perf_counter() - t0
                refills[0] += 1
                if not pool:
                    raise RuntimeError("no claimable work left")
            fid = pool.popleft()
            try:
                view = fulfilling.ship(fid, CARRIER, tracking(fid), principal)
            except Exception:
                ships.add(fid, None)
                raise
            ships.add(fid, view)
            return 1, excluded
        return operation, lambda: refills[0]
    return factory


# ---------------------------------------------------------------- where the time goes

@dataclass
class Captured:
    statement: str
    params: dict


def one_call_costs(size: Size, claims: ClaimLog, ships: ShipLog, calls: int
                   ) -> tuple[list[str], Captured | None, float]:
    """One client, in-process: statements, CPU and wall time of one claim (limit 10) and one
    ship. Returns the report lines, the claim's SELECT ... FOR UPDATE SKIP LOCKED as sent (for
    EXPLAIN) and the measured wall time of one ship (to size the ship cells' work pools)."""
    engine = get_database().engine
    shapes: Counter = Counter()
    checkouts = [0]
    captured: list[Captured] = []

    def on_execute(_conn, _cursor, statement, params, _context, _many) -> None:
        shapes[statement_shape(statement)] += 1
        if "SKIP LOCKED" in statement and not captured and isinstance(params, dict):
            captured.append(Captured(statement, dict(params)))

    def on_commit(_conn) -> None:
        shapes["COMMIT"] += 1

    def on_checkout(*_args) -> None:
        checkouts[0] += 1

    principal = wms_key(99, "one-client")
    rng = random.Random(99)
    pool: deque[int] = deque()

    def claim(_n: int) -> None:
        location = location_code(rng.randrange(size.locations))
        views = fulfilling.claim(location, CLAIM_LIMIT, LEASE_SECONDS, principal)
        claims.add(views, principal, location)
        pool.extend(v["id"] for v in views)

    def ship(_n: int) -> None:
        fid = pool.popleft()
        ships.add(fid, fulfilling.ship(fid, CARRIER, tracking(fid), principal))

    lines = [f"{'one call, 1 client, in-process':<40}{'statements':>11}{'checkouts':>10}"
             f"{'cpu ms':>8}{'wall ms':>9}"]
    detail = []
    ship_wall = math.nan
    for label, call, n in ((f"fulfilling.claim (limit {CLAIM_LIMIT})", claim, calls),
                           ("fulfilling.ship", ship, calls * 5)):
        if call is ship:
            claim_into(pool, 5 + n + 5, principal, rng, size, claims)
        for k in range(5):  # warm-up
            call(k)
        shapes.clear()
        checkouts[0] = 0
        hooks = [(engine, "before_cursor_execute", on_execute), (engine, "commit", on_commit),
                 (engine.pool, "checkout", on_checkout)]
        for target, name, fn in hooks:
            event.listen(target, name, fn)
        try:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for k in range(n):
                call(k)
            cpu = (time.process_time() - cpu0) / n
            wall = (time.perf_counter() - wall0) / n
        finally:
            for target, name, fn in hooks:
                event.remove(target, name, fn)
        if call is ship:
            ship_wall = wall
        lines.append(f"{label:<40}{sum(shapes.values()) / n:>11.1f}{checkouts[0] / n:>10.1f}"
                     f"{cpu * 1000:>8.2f}{wall * 1000:>9.2f}")
        detail.append(f"  {label}: " + ", ".join(
            f"{shape} x{count / n:g}" for shape, count in shapes.most_common()))
    lines += ["statements per call (COMMIT counted; each checkout also sends a pre-ping "
              "SELECT 1 and BEGIN):", *detail,
              "  (ships: 1-3 lines, 2 on average; the claimed fulfillments of this section are "
              "left pending, the shipped ones count in the reconciliation)"]
    return lines, (captured[0] if captured else None), ship_wall


def explain_claim(url: str, captured: Captured, location: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the claim's SELECT ... FOR UPDATE SKIP LOCKED exactly as
    SQLAlchemy sent it, for `location` and now (rolled back: the row locks are released)."""
    params = dict(captured.params)
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("LOC-"):
            params[key] = location
        elif isinstance(value, dt.datetime):
            params[key] = utcnow()
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured.statement,
                            params).fetchall()
        conn.rollback()
    return [r[0] for r in rows]


def location_state(url: str, location: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'pending' AND lease_expires_at IS NULL),"
            " count(*) FILTER (WHERE status = 'pending' AND lease_expires_at IS NOT NULL),"
            " count(*) FILTER (WHERE status = 'shipped')"
            " FROM ful_fulfillments WHERE location_code = %s", (location,)).fetchone()
    return (f"{location}: {row[0]:,} pending unclaimed, {row[1]:,} pending leased, "
            f"{row[2]:,} shipped")


def least_claimed_location(url: str) -> tuple[str, int]:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(
            "SELECT location_code, count(*) FROM ful_fulfillments WHERE status = 'pending' "
            "AND lease_expires_at IS NULL GROUP BY location_code "
            "ORDER BY count(*) DESC, location_code LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (location_code(0), 0)


def busiest_location(url: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(
            "SELECT location_code FROM ful_fulfillments WHERE status = 'pending' "
            "AND lease_expires_at IS NOT NULL GROUP BY location_code "
            "ORDER BY count(*) DESC, location_code LIMIT 1").fetchone()
    return row[0] if row else location_code(0)


def print_plan(plan: list[str]) -> None:
    for line in plan:
        flag = ""
        if "Seq Scan" in line:
            flag = "   <-- !! sequential scan"
        match = re.search(r"Rows Removed by Filter: (\d+)", line)
        if match and int(match.group(1)) > 1000:
            flag = "   <-- !! rows read and discarded"
        log(f"    {line}{flag}")


# ---------------------------------------------------------------- report

def _errors(r: CellResult) -> str:
    return ", ".join(f"{k} x{v}" for k, v in r.errors.most_common()) or "-"


def _fmt_db_errors(r: CellResult) -> str:
    return ", ".join(f"{k} x{v}" for k, v in r.db_errors.most_common()) or "-"


def print_claims(results: list[CellResult]) -> None:
    header = (f"{'pollers':>7} {'locations':<14}{'claims':>7}{'claims/s':>9}{'fulfil.':>9}"
              f"{'fulfil./s':>10}{'p50 ms':>9}{'p99 ms':>9}{'empty':>6}{'short':>6}"
              f"{'cli ms':>8}{'srv ms':>8}{'other':>7}  db errors / errors")
    log(header)
    log("-" * len(header))
    for r in results:
        log(f"{r.threads:>7} {r.where:<14}{r.calls:>7}{r.rate:>9.1f}{r.units:>9}"
            f"{r.unit_rate:>10.0f}{ms(r.p(0.5)):>9}{ms(r.p(0.99)):>9}{r.empty:>6}{r.short:>6}"
            f"{r.per_call_ms(r.client_cpu):>8}{r.per_call_ms(r.server_cpu):>8}"
            f"{cores(r.other_cores):>7}  {_fmt_db_errors(r)} / {_errors(r)}")


def print_ships(results: list[CellResult]) -> None:
    header = (f"{'threads':>7}{'ships':>8}{'ships/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'cli ms':>8}{'srv ms':>8}{'other':>7}{'refills':>8}{'conns':>6}"
              f"  db errors / errors")
    log(header)
    log("-" * len(header))
    for r in results:
        log(f"{r.threads:>7}{r.calls:>8}{r.rate:>9.1f}{ms(r.p(0.5)):>9}{ms(r.p(0.99)):>9}"
            f"{r.per_call_ms(r.client_cpu):>8}{r.per_call_ms(r.server_cpu):>8}"
            f"{cores(r.other_cores):>7}{r.refills:>8}{r.new_connections:>6}"
            f"  {_fmt_db_errors(r)} / {_errors(r)}")


RECONCILE_SQL = """
SELECT
  (SELECT count(*) FROM ful_fulfillments WHERE status = 'shipped'),
  (SELECT count(*) FROM ful_fulfillments WHERE status = 'shipped'
      AND (claimed_by IS NOT NULL OR lease_expires_at IS NOT NULL OR carrier IS NULL
           OR tracking_number IS NULL OR shipped_at IS NULL)),
  (SELECT count(*) FROM ful_fulfillments WHERE status = 'pending' AND claimed_by IS NOT NULL),
  (SELECT count(*) FROM ful_fulfillments WHERE status NOT IN ('pending', 'shipped')),
  (SELECT count(*) FROM ful_fulfillment_lines AS l JOIN ful_fulfillments AS f
      ON f.id = l.fulfillment_id WHERE f.status = 'shipped'),
  (SELECT count(*) FROM inv_movements WHERE kind = 'shipment'),
  (SELECT coalesce(-sum(on_hand_delta), 0) FROM inv_movements WHERE kind = 'shipment'),
  (SELECT count(*) FROM inv_reservations WHERE quantity = 0),
  (SELECT count(*) FROM oms_orders WHERE status = 'fulfilled'),
  (SELECT count(*) FROM oms_order_lines WHERE fulfilled = 1 AND allocated = 0),
  (SELECT count(*) FROM oms_timeline WHERE kind = 'fulfillment.claimed'),
  (SELECT count(*) FROM oms_timeline WHERE kind = 'fulfillment.shipped'),
  (SELECT count(*) FROM oms_outbox WHERE topic = 'order.fulfilled')
"""


def reconcile(url: str, claims: ClaimLog, ships: ShipLog) -> list[tuple[str, int, int]]:
    """(what, expected, found): every row must match."""
    with psycopg.connect(conninfo(url)) as conn:
        (shipped, shipped_bad, leased, other_status, shipped_lines, shipment_moves,
         shipped_units, spent_reservations, fulfilled_orders, fulfilled_lines, claimed_events,
         shipped_events, outbox) = conn.execute(RECONCILE_SQL).fetchone()
    ok_ships = len(set(ships.shipped))
    unique_claims = claims.unique()
    return [
        ("fulfillments shipped (status) = successful ship calls", ok_ships, shipped),
        ("shipped rows with a lease left or no carrier/tracking/shipped_at", 0, shipped_bad),
        ("pending + leased + shipped = distinct fulfillments claimed", unique_claims,
         leased + shipped),
        ("fulfillments in any other status", 0, other_status),
        ("shipment movements = lines of shipped fulfillments", shipped_lines, shipment_moves),
        ("units shipped (movements) = lines of shipped fulfillments", shipped_lines,
         shipped_units),
        ("reservations spent to 0 = lines shipped", shipped_lines, spent_reservations),
        ("orders 'fulfilled' = fulfillments shipped", shipped, fulfilled_orders),
        ("order lines fulfilled 1, allocated 0 = lines shipped", shipped_lines, fulfilled_lines),
        ("timeline 'fulfillment.claimed' = fulfillments claimed", len(claims.claims),
         claimed_events),
        ("timeline 'fulfillment.shipped' = ships", shipped, shipped_events),
        ("outbox 'order.fulfilled' = ships", shipped, outbox),
    ]


# ---------------------------------------------------------------- main

def cell_summary(r: CellResult) -> dict:
    """One cell for --json (bench/intake_compare.py's before/after table)."""
    return {"kind": r.kind, "threads": r.threads, "where": r.where, "calls": r.calls,
            "rate": r.rate, "units": r.units, "unit_rate": r.unit_rate,
            "p50": r.p(0.5), "p99": r.p(0.99), "errors": sum(r.errors.values()),
            "server_cpu_ms": (r.server_cpu / r.calls * 1000 if r.calls else math.nan),
            "client_cpu_ms": (r.client_cpu / r.calls * 1000 if r.calls else math.nan)}


def run(server: str, args: argparse.Namespace, size: Size) -> None:
    url = recreate_database(server, args.db_name)
    for line in machine_facts(url, PG_SETTINGS):
        log(line)
    log(f"code:        fulfillment.use_cases from {fulfilling.__file__}")
    rt50, rt99 = round_trip_baseline(url)
    log(f"round trip:  SELECT 1 over psycopg p50 {ms(rt50)} ms, p99 {ms(rt99)} ms")
    log(f"mode:        {'--quick' if args.quick else 'full'}: {size.fulfillments:,} fulfillments"
        f", {size.claim_seconds:g} s per claim cell, {size.ship_seconds:g} s per ship cell, "
        f"{size.warmup} warm-up calls per thread; claim limit {CLAIM_LIMIT}, lease "
        f"{LEASE_SECONDS} s")
    log()

    log("schema: alembic upgrade head (oms.migrate.upgrade)")
    with timed("migrations"):
        upgrade(url)
    seed(url, size)
    log(f"  balance/movement/reservation drift rows after seeding (SQL check): "
        f"{drift_rows(url)}")
    init_database(url)
    wire()
    watch_engine()
    postmaster = find_postmaster(url)
    if postmaster is None:
        log("  (server is not local: server CPU per call is not measured)")
    claims, ships = ClaimLog(), ShipLog()
    log()

    log("== where the time goes: one call, 1 client, in-process (random locations)")
    lines, captured, ship_wall = one_call_costs(size, claims, ships,
                                                calls=10 if args.quick else 20)
    for line in lines:
        log(line)
    log()
    if captured is not None:
        log("claim query as sent by fulfillment.work.claim:")
        log("    " + " ".join(captured.statement.split()))
        first = location_code(size.locations - 1)
        log(f"plan before the claim cells, {location_state(url, first)}:")
        print_plan(explain_claim(url, captured, first))
    else:
        log("!! the claim's SELECT ... FOR UPDATE SKIP LOCKED was not captured: no plan")
    log()

    log(f"== 1. pick-list claims: fulfillment.use_cases.claim(location, {CLAIM_LIMIT}, "
        f"{LEASE_SECONDS}, poller-n) at a random one of {size.locations} locations per call, "
        f"{size.claim_seconds:g} s per cell")
    claim_results: list[CellResult] = []
    cells: list[tuple[int, str | None]] = [(pollers, None) for pollers in POLLERS]
    # Then all pollers drain one location (the one with the most unclaimed work): every claim
    # competes for the same oldest rows, which is where SKIP LOCKED must keep them apart. No
    # warm-up (the pollers are warm); each poller stops at its first empty claim.
    cells.append((max(POLLERS), "drain"))
    drained: tuple[str, int, int] | None = None
    for pollers, only in cells:
        log(f"  returned {return_to_pool(url, claims):,} leased fulfillments to the pool")
        warmup, where = size.warmup, f"random of {size.locations}"
        if only == "drain":
            only, unclaimed = least_claimed_location(url)
            warmup, where = 0, f"drain {only}"
            before = len(claims.claims)
            log(f"  {pollers} pollers drain {only} ({unclaimed:,} unclaimed there):")
        r = run_cell("claim", pollers, size.claim_seconds, warmup,
                     claim_factory(size, claims, only), postmaster)
        if only:
            drained = (only, unclaimed, len(claims.claims) - before)
        r.where = where
        claim_results.append(r)
        log(f"  {pollers} poller(s), {where}: {r.rate:7.1f} claims/s ({r.unit_rate:.0f} "
            f"fulfillments/s)  p50 {ms(r.p(0.5))} ms  p99 {ms(r.p(0.99))} ms  empty {r.empty}"
            f"  short {r.short}  errors {sum(r.errors.values())}")
        if r.first_error:
            log(f"    first error: {r.first_error}")
    live, expired, examples = claims.duplicates()
    log()
    log("== results 1: claims (fulfil. = fulfillments claimed; empty/short = claims that "
        f"returned 0 / fewer than {CLAIM_LIMIT}; cli/srv ms = CPU per claim of this process / "
        "of PostgreSQL; other = cores busy with other processes)")
    print_claims(claim_results)
    log(f"claimed so far: {len(claims.claims):,} claims of fulfillments, {claims.unique():,} "
        f"distinct; claimed twice while a lease was live: {live}"
        + (f" (e.g. {'; '.join(examples)})" if examples else "")
        + f"; re-claimed after lease expiry: {expired}")
    if drained:
        left = location_state(url, drained[0])
        log(f"drain of {drained[0]}: {drained[1]:,} unclaimed before, {drained[2]:,} claimed by "
            f"the 8 pollers; now {left.split(': ', 1)[1]}")
    if claims.anomalies:
        log(f"!! wrong claim results: {dict(claims.anomalies)}; first: {claims.first_anomaly}")
    if captured is not None:
        busiest = busiest_location(url)
        log(f"plan after the claim cells, {location_state(url, busiest)} (claims walk the "
            "(location_code, status, id) index past leased rows):")
        print_plan(explain_claim(url, captured, busiest))
    log()

    # Pre-claimed work per shipper: 1.5x what the cell should need at the one-client ship
    # rate, scaled to at most 1.5x that rate in total on more threads (client-CPU-bound, one
    # interpreter); a thread that runs out anyway claims more (reported as a refill).
    rate1 = 1 / ship_wall if ship_wall and not math.isnan(ship_wall) else 50.0
    log(f"== 2. ship confirmations: fulfillment.use_cases.ship(id, '{CARRIER}', tracking, "
        f"shipper-n) "
        f"on fulfillments each thread claimed itself (before the clock), "
        f"{size.ship_seconds:g} s per cell")
    ship_results = []
    offset = 0
    log(f"  returned {return_to_pool(url, claims):,} leased fulfillments to the pool")
    for threads in SHIP_THREADS:
        expected = rate1 * min(threads, 1.5) / threads * size.ship_seconds
        pool_size = math.ceil(1.5 * expected) + size.warmup + CLAIM_LIMIT
        log(f"  {threads} thread(s): pre-claiming {pool_size} fulfillments per thread")
        r = run_cell("ship", threads, size.ship_seconds, size.warmup,
                     ship_factory(size, claims, ships, pool_size, offset), postmaster)
        offset += threads
        ship_results.append(r)
        log(f"  {threads} thread(s): {r.rate:7.1f} ships/s  p50 {ms(r.p(0.5))} ms  p99 "
            f"{ms(r.p(0.99))} ms  errors {sum(r.errors.values())}  refills {r.refills}")
        if r.first_error:
            log(f"    first error: {r.first_error}")
    log()
    log("== results 2: ships (cli/srv ms = CPU per ship of this process / of PostgreSQL; "
        "refills = times a thread ran out of pre-claimed work; conns = connections the pool "
        "opened during the cell)")
    print_ships(ship_results)
    if ships.wrong:
        log(f"!! ship results not 'shipped' with our tracking number: {len(ships.wrong)}; "
            f"first: {ships.wrong[0]}")
    log()

    log("== after the ships: checks")
    live, expired, examples = claims.duplicates()
    log(f"  claims in the whole run: {len(claims.claims):,} (fulfillments), "
        f"{claims.unique():,} distinct; claimed twice while a lease was live: {live}"
        + (f" (e.g. {'; '.join(examples)})" if examples else "")
        + f"; re-claimed after lease expiry: {expired}")
    log(f"  ship calls: {len(ships.shipped):,} succeeded ({len(set(ships.shipped)):,} "
        f"distinct), {len(ships.failed):,} failed")
    started = time.perf_counter()
    with read_session() as session:
        drifts = find_drift(session)
    took = time.perf_counter() - started
    log(f"  inventory.invariants.find_drift: {len(drifts)} drift(s) in {took:.1f} s"
        + (f"; first: {drifts[0]}" if drifts else ""))
    log(f"  SQL check (balances vs movements vs reservations, no negatives): "
        f"{drift_rows(url)} drifted rows")
    mismatches = 0
    for what, expected_value, found in reconcile(url, claims, ships):
        status = "ok" if expected_value == found else "!! MISMATCH"
        mismatches += expected_value != found
        log(f"  {what}: expected {expected_value:,}, found {found:,}  {status}")
    total_db_errors = db_errors_snapshot()
    log(f"  database errors seen by the OMS engine in the whole run (incl. retried): "
        f"{dict(total_db_errors) or 'none'}; reconciliation mismatches: {mismatches}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "code": fulfilling.__file__,
            "claims": [cell_summary(r) for r in claim_results],
            "ships": [cell_summary(r) for r in ship_results],
            "claimed_twice_live": live, "drifts": len(drifts), "drift_rows": drift_rows(url),
            "mismatches": mismatches, "db_errors": dict(total_db_errors),
        }, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10,000 fulfillments across 50 locations, 3 s cells")
    parser.add_argument("--seconds", type=float,
                        help="measured seconds per claim and per ship cell")
    parser.add_argument("--json", metavar="PATH",
                        help="also write the cells and checks to PATH as JSON")
    add_database_arguments(parser, "oms_bench_fulfillment")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    size = QUICK if args.quick else FULL
    if args.seconds:
        size = replace(size, claim_seconds=args.seconds, ship_seconds=args.seconds)
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
