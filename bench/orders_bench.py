"""Orders benchmark on PostgreSQL, through real gunicorn (run by hand; see bench/README.md).

Prints, in one run:
  1. orders accepted and routed per second through HTTP (POST /api/v1/orders, the app under
     gunicorn), for 1-, 2- and 4-line ship orders at 1, 4 and 8 concurrent clients: orders/s,
     p50/p99 latency, errors, the share of orders split across nodes, and CPU per order of
     the client, the app (gunicorn) and PostgreSQL;
  2. webhook acknowledgement latency of POST /webhooks/shopify (verify, store, enqueue; no
     worker runs) at 1 and 8 concurrent senders, when the app has that route;
  3. order search p50/p99 (oms.queries.search_orders, in-process) on 1,000,000 bulk-seeded
     orders (--quick: 100,000) by number, external id, email, phone in another format, name
     prefix and a miss, with the plan of one query of each kind.

The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench_orders` by default, which it drops and recreates), or else from a
throwaway PostgreSQL + Redis started with scripts/services.sh and stopped at the end.

With `--baseline REV` it instead compares this tree with the commit REV (checked out into a
temporary git worktree) on the same machine and the same data, in one run: see
bench/intake_compare.py (`make bench-intake`).

The app's own modules are imported only where this file measures them in-process (the search,
the in-process breakdown), from this tree: the comparison drives both trees through HTTP, their
CLI and SQL, and runs in-process counts in subprocesses (bench/intake_statements.py).
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import psycopg
from bench_common import (
    DatabaseCpu,
    Services,
    add_database_arguments,
    check_database_arguments,
    conninfo,
    find_postmaster,
    free_port,
    log,
    machine_busy,
    machine_facts,
    percentile,
    proc_stat,
    recreate_database,
    services,
    statement_shape,
    timed,
    tree_cpu,
)
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def use_this_tree() -> None:
    """Put this tree first on sys.path for the in-process parts (a script's path starts with
    bench/, and the editable install may point at another checkout)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(1, str(ROOT))
CLIENTS = (1, 4, 8)
LINE_COUNTS = (1, 2, 4)
WEBHOOK_SENDERS = (1, 8)
SHOP = "bench.myshopify.com"
SHOP_SECRET = "s3cret"
STOCK_DEPTH = 100_000  # units per stocked (SKU, location): no order ever runs a node dry
CAPACITY_FACTOR = 1000  # daily capacities x this: a run must not exhaust a day's capacity
HTTP_CUSTOMERS = 2_000  # the HTTP orders come from this many returning customers
SEARCH_KINDS = ("order number", "external id", "email", "phone (typed)", "name prefix", "miss")


@dataclass(frozen=True)
class Size:
    orders: int  # bulk-seeded orders for the search
    customers: int
    cell_seconds: float  # measured time per HTTP cell
    warmup: int  # requests per client before each cell's clock starts
    webhook_seconds: float
    search_samples: int
    search_budget: float  # seconds per search kind at most (a slow kind takes fewer samples)


FULL = Size(orders=1_000_000, customers=200_000, cell_seconds=10.0, warmup=3,
            webhook_seconds=8.0, search_samples=300, search_budget=40.0)
QUICK = Size(orders=100_000, customers=20_000, cell_seconds=3.0, warmup=2,
             webhook_seconds=3.0, search_samples=100, search_budget=10.0)

# Random US ship-to points (city centres, jittered by up to ~25 km).


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


DESTINATIONS = [
    ("New York", "NY", "10001", 40.7506, -73.9972),
    ("Brooklyn", "NY", "11201", 40.6943, -73.9903),
    ("Los Angeles", "CA", "90012", 34.0614, -118.2385),
    ("Chicago", "IL", "60601", 41.8858, -87.6181),
    ("Houston", "TX", "77002", 29.7573, -95.3627),
    ("Phoenix", "AZ", "85004", 33.4512, -112.0686),
    ("Philadelphia", "PA", "19107", 39.9512, -75.158),
    ("San Antonio", "TX", "78205", 29.4237, -98.4925),
    ("San Diego", "CA", "92101", 32.7197, -117.1628),
    ("Dallas", "TX", "75201", 32.7876, -96.7994),
    ("San Jose", "CA", "95113", 37.3333, -121.8907),
    ("Austin", "TX", "78701", 30.2711, -97.7437),
    ("Jacksonville", "FL", "32202", 30.3298, -81.6596),
    ("Columbus", "OH", "43215", 39.9653, -83.0117),
    ("Charlotte", "NC", "28202", 35.2283, -80.8401),
    ("Indianapolis", "IN", "46204", 39.7713, -86.1557),
    ("Seattle", "WA", "98101", 47.6114, -122.3305),
    ("Denver", "CO", "80202", 39.7528, -104.9992),
    ("Washington", "DC", "20001", 38.9107, -77.0177),
    ("Boston", "MA", "02108", 42.3576, -71.0643),
    ("Nashville", "TN", "37203", 36.1502, -86.7903),
    ("Detroit", "MI", "48226", 42.3314, -83.0466),
    ("Portland", "OR", "97204", 45.5186, -122.6756),
    ("Las Vegas", "NV", "89101", 36.172, -115.123),
    ("Memphis", "TN", "38103", 35.1495, -90.049),
    ("Atlanta", "GA", "30303", 33.7525, -84.3915),
    ("Miami", "FL", "33130", 25.7656, -80.1997),
    ("Minneapolis", "MN", "55401", 44.985, -93.2696),
    ("Kansas City", "MO", "64105", 39.1024, -94.5834),
    ("Salt Lake City", "UT", "84101", 40.7574, -111.9006),
    ("Albuquerque", "NM", "87102", 35.0844, -106.6504),
    ("Boise", "ID", "83702", 43.615, -116.2023),
    ("New Orleans", "LA", "70112", 29.9567, -90.077),
    ("Pittsburgh", "PA", "15222", 40.4473, -79.9938),
    ("St. Louis", "MO", "63101", 38.6312, -90.1926),
    ("Omaha", "NE", "68102", 41.2587, -95.9378),
    ("Billings", "MT", "59101", 45.7833, -108.5007),
    ("Anchorage", "AK", "99501", 61.2181, -149.9003),
]
FIRST_NAMES = _words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily "
    "Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah "
    "Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon Jeffrey Cynthia Ryan Kathleen"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen "
    "Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez "
    "Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy "
    "Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox "
    "Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price "
    "Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Smithson"
)


PG_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers",
               "max_connections", "work_mem")  # printed with every run

# ---------------------------------------------------------------- small utilities


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def tool(name: str) -> str:
    """A console script of the virtualenv: this tree's .venv, else the one running us."""
    for path in (VENV_BIN / name, Path(sys.executable).parent / name):
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"cannot find {name} (run scripts/bootstrap.sh first)")
    return found


# ---------------------------------------------------------------- CPU accounting



@dataclass
class Meters:
    """What to charge CPU to: this process, the gunicorn tree, the PostgreSQL tree, the
    machine, and (with `database`) only the server backends of the benchmark's database."""

    app_pid: int | None = None
    postmaster: int | None = None
    database: DatabaseCpu | None = None

    def read(self) -> tuple[float, float, float, float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (usage.ru_utime + usage.ru_stime, tree_cpu(self.app_pid),
                tree_cpu(self.postmaster), machine_busy(),
                self.database.read() if self.database else math.nan)


# ---------------------------------------------------------------- server, database, services


# ---------------------------------------------------------------- bulk seeding for the search

# Customer c is named FIRST_NAMES[c % nf] LAST_NAMES[(c / nf) % nl]; their email is
# "<first>.<last><c>@example.com" and their phone "+1" + area (201 + c % 700) + (2000000 + c).
SEED_CUSTOMERS = """
INSERT INTO oms_customers (id, name, name_search, merged_into_id, created_at)
SELECT %(cbase)s + c, n, lower(n), NULL, timestamp '2023-01-01' + c * interval '1 minute'
FROM (SELECT c, (%(firsts)s::text[])[1 + c %% %(nf)s] || ' '
                || (%(lasts)s::text[])[1 + (c / %(nf)s) %% %(nl)s] AS n
      FROM generate_series(1, %(customers)s) AS c) AS named
ORDER BY c
"""

SEED_IDENTITIES = """
INSERT INTO oms_customer_identities (customer_id, kind, value, channel, first_seen_at)
SELECT id, kind,
       CASE kind WHEN 'email' THEN replace(name_search, ' ', '.') || id || '@example.com'
                 ELSE '+1' || (201 + id %% 700) || (2000000 + id) END,
       'web', created_at
FROM oms_customers CROSS JOIN (VALUES ('email'), ('phone')) AS k(kind)
WHERE id > %(cbase)s
ORDER BY id, kind
"""

# Order g belongs to customer 1 + (g * 48271 mod C); 40 % web, 30 % shopify, 10 % pos,
# 10 % marketplace, 5 % phone, 5 % store; 70 % carry the customer's phone. Rows carry a
# ship-to address and a routing summary of realistic size (the width matters to any scan).
SEED_ORDERS = """
INSERT INTO oms_orders (id, number, channel, external_id, channel_name, status, customer_id,
                        email, phone, customer_name, name_search, currency, subtotal, total,
                        fulfillment_method, location_code, ship_to, routing,
                        source_updated_at, created_by_key_id, created_at, updated_at)
SELECT g, 'NW-' || (100000 + g), ch,
       CASE ch WHEN 'shopify' THEN 'northwind.myshopify.com/' || (5200000000 + g * 13)
               WHEN 'marketplace' THEN 'AMZ-' || lpad((g * 7)::text, 10, '0')
               WHEN 'pos' THEN 'POS-' || (300000 + g)
               ELSE upper(left(ch, 1)) || '-' || (1000000 + g) END,
       CASE WHEN ch = 'shopify' THEN '#' || (1000 + g) END,
       'routed', c.id, replace(c.name_search, ' ', '.') || c.id || '@example.com',
       CASE WHEN g %% 10 < 7 THEN '+1' || (201 + c.id %% 700) || (2000000 + c.id) END,
       c.name, c.name_search, 'USD', 20 + (g * 37 %% 50000) / 100.0,
       20 + (g * 37 %% 50000) / 100.0, 'ship', NULL,
       json_build_object('name', c.name, 'line1', (g %% 9000 + 1) || ' Main Street',
                         'city', 'Columbus', 'region', 'OH', 'postal_code', '43215',
                         'country', 'US', 'latitude', 39.96, 'longitude', -83.0),
       json_build_object(
         'decided_at', to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS+00:00'), 'total_cost', 7.42,
         'exact', true, 'attempts', 1,
         'reasons', json_build_array('dc-columbus holds every line (nearest node with all)'),
         'allocations', json_build_array(json_build_object(
            'line_id', g, 'sku', 'NW-JKT-ALP-BLK-M', 'location', 'dc-columbus',
            'quantity', 1, 'kind', 'ship', 'transfer_to', NULL)),
         'backordered', json_build_array(), 'unfillable', json_build_array(),
         'suggestions', json_build_array(), 'excluded', json_build_array()),
       NULL, NULL, ts, ts
FROM (SELECT %(obase)s + k AS g,
             %(cbase)s + 1 + (k::bigint * 48271 %% %(customers)s) AS cid,
             (ARRAY['web', 'shopify', 'web', 'pos', 'web', 'shopify', 'marketplace', 'web',
                    'shopify', 'phone', 'web', 'shopify', 'web', 'pos', 'web', 'shopify',
                    'marketplace', 'web', 'shopify', 'store'])[1 + k %% 20] AS ch,
             timestamp '2024-01-01' + k * interval '30 seconds' AS ts
      FROM generate_series(1, %(orders)s) AS k) AS s
JOIN oms_customers AS c ON c.id = s.cid
ORDER BY g
"""


def seed_search_data(url: str, size: Size, *, after_existing: bool = False,
                     say: Callable[[str], None] = log) -> None:
    """Bulk-seed `size.orders` old routed ship orders of `size.customers` customers. With
    `after_existing` the new rows take ids (and so numbers and external ids) above those
    already in the tables, so an app database can be grown in place."""
    params = {"firsts": list(FIRST_NAMES), "lasts": list(LAST_NAMES), "nf": len(FIRST_NAMES),
              "nl": len(LAST_NAMES), "customers": size.customers, "orders": size.orders,
              "obase": 0, "cbase": 0}
    say(f"seeding {size.orders:,} orders, {size.customers:,} customers and their "
        f"{2 * size.customers:,} identities (bulk SQL, one transaction)")
    with psycopg.connect(conninfo(url)) as conn:
        if after_existing:
            params["obase"], params["cbase"] = conn.execute(
                "SELECT (SELECT coalesce(max(id), 0) FROM oms_orders),"
                " (SELECT coalesce(max(id), 0) FROM oms_customers)").fetchone()
        with timed("customers + identities", say):
            conn.execute(SEED_CUSTOMERS, params)
            conn.execute(SEED_IDENTITIES, params)
        with timed("orders (into the migrated table, with all its indexes)", say):
            conn.execute(SEED_ORDERS, params)
        for table in ("oms_customers", "oms_customer_identities", "oms_orders"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE", say):
            for table in ("oms_customers", "oms_customer_identities", "oms_orders"):
                conn.execute(f"VACUUM ANALYZE {table}")
        size_row = conn.execute(
            "SELECT pg_size_pretty(pg_table_size('oms_orders')), "
            "pg_size_pretty(pg_indexes_size('oms_orders')), "
            "pg_size_pretty(pg_database_size(current_database()))").fetchone()
        indexes = [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'oms_orders' ORDER BY 1")]
    say(f"  oms_orders: table {size_row[0]}, indexes {size_row[1]}; database {size_row[2]}")
    if not after_existing:
        say(f"  indexes on oms_orders: {', '.join(indexes)}")


# ---------------------------------------------------------------- the app: data, CLI, gunicorn

def app_env(url: str, redis: str | None, **extra: str) -> dict[str, str]:
    """The environment for the app's processes: ours only (inherited OMS_* settings such as a
    routing cost override would make runs incomparable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(OMS_DATABASE_URL=url, OMS_LOG_LEVEL="WARNING", OMS_EMBEDDED_WORKER="0",
               OMS_SECRET_KEY="bench-" + "0" * 58, PYTHONUNBUFFERED="1",
               # One key places hundreds of orders a second here: the benchmarks measure
               # the service, not its rate limits (README, "Protecting the service").
               OMS_RATE_LIMIT_ENABLED="0")
    if redis:
        env["OMS_REDIS_URL"] = redis
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str, check: bool = True, cwd: Path = ROOT
              ) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` run in `cwd`: that tree's wsgi.py and (with PYTHONPATH at it,
    see bench/baseline.py) its packages."""
    result = subprocess.run([tool("flask"), "--app", "wsgi", *args], cwd=cwd, env=env,
                            text=True, capture_output=True, timeout=600)
    if check and result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def stock_rows() -> list[tuple[str, str, int, int]]:
    """(sku, location, quantity, safety_stock): every (SKU, location) the demo stocks, now
    STOCK_DEPTH deep (the demo's patchy assortment, hence its splits, is kept); SKUs the demo
    stocks at no node that ships (backorder-only, hot or store-only SKUs held by pickup-only
    stores) get STOCK_DEPTH at the three DCs too, so that every order can route."""
    use_this_tree()
    from oms import demo_data

    locations = demo_data.WAREHOUSES + demo_data.STORES
    items = demo_data.catalog()
    ships = {loc["code"] for loc in locations if loc["ships"]}
    safety = {(sku, code): q for sku, code, q in demo_data.safety_stock_plan(items, locations)}
    held: dict[str, set[str]] = {item["sku"]: set() for item in items}
    for sku, code, _qty in demo_data.stock_plan(items, locations):
        held[sku].add(code)
    rows = []
    for sku, codes in held.items():
        if not codes & ships:
            codes = codes | {loc["code"] for loc in demo_data.WAREHOUSES}
        rows += [(sku, code, STOCK_DEPTH, safety.get((sku, code), 0)) for code in sorted(codes)]
    return rows


def prepare_app_data(url: str, env: dict[str, str], workdir: Path, *, cwd: Path = ROOT,
                     rows: list[tuple[str, str, int, int]] | None = None,
                     say: Callable[[str], None] = log) -> str:
    """Demo retailer, deep stock, scaled capacities, an admin key (returned), through the CLI
    of the tree in `cwd` (`rows`: the stock counts, by default `stock_rows()`)."""
    with timed("flask oms demo (3 DCs, 24 stores, 246 SKUs)", say):
        flask_cli(env, "oms", "demo", cwd=cwd)
    if rows is None:
        rows = stock_rows()
    csv_path = workdir / f"bench-stock-{uuid.uuid4().hex[:8]}.csv"
    csv_path.write_text("sku,location,quantity,safety_stock\n"
                        + "".join(f"{s},{c},{q},{ss}\n" for s, c, q, ss in rows))
    with timed(f"flask inventory import ({len(rows):,} counts of {STOCK_DEPTH:,} units)", say):
        flask_cli(env, "inventory", "import", str(csv_path), cwd=cwd)
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute("UPDATE inv_locations SET daily_capacity = daily_capacity * %s "
                     "WHERE daily_capacity IS NOT NULL", (CAPACITY_FACTOR,))
        stats = conn.execute(
            "SELECT count(DISTINCT item_id), count(DISTINCT location_id), count(*) "
            "FROM inv_balances WHERE on_hand > 0").fetchone()
    say(f"  stocked: {stats[0]} SKUs at {stats[1]} locations ({stats[2]:,} balances); daily "
        f"capacities x{CAPACITY_FACTOR}")
    out = flask_cli(env, "oms", "create-api-key", "--role", "admin", "--name", "bench", cwd=cwd)
    return out.stdout.strip().splitlines()[-1].strip()


class Gunicorn:
    """`gunicorn -c python:oms.gunicorn_conf ... wsgi:app` in `cwd` (the tree it serves: gunicorn
    puts its working directory first on sys.path before it loads the config)."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path, *, cwd: Path = ROOT,
                 app: str = "wsgi:app") -> None:
        self.port = port
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.command = [tool("gunicorn"), "-c", "python:oms.gunicorn_conf",
                        "--access-logfile", "/dev/null", app]
        self.proc = subprocess.Popen(self.command, cwd=cwd, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.tail()}")
            with suppress(OSError, http.client.HTTPException):
                status, _ = HttpClient(self.port).request("GET", "/readyz")
                if status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{self.tail()}")

    def workers(self) -> list[int]:
        kids = []
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = proc_stat(int(entry.name))
                if stat is not None and int(stat[1]) == self.proc.pid:
                    kids.append(int(entry.name))
        return sorted(kids)

    def tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def problems(self) -> list[str]:
        """Error lines the app or gunicorn logged (tracebacks, worker timeouts)."""
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return [ln for ln in text if "Traceback" in ln or " ERROR " in ln or "CRITICAL" in ln
                or "[ERROR]" in ln or "WORKER TIMEOUT" in ln]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


# ---------------------------------------------------------------- HTTP load generation

class HttpClient:
    """One keep-alive connection (stdlib http.client: little client CPU per request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# One request: n -> (HTTP status, body). A factory makes one per client thread, + cleanup.
Request = Callable[[int], tuple[int, bytes]]
Factory = Callable[[int], tuple[Request, Callable[[], None]]]


@dataclass
class LoadResult:
    label: str
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    first_error: str | None = None
    # client, app (gunicorn tree), db (PostgreSQL tree), machine, our database's backends
    cpu: tuple[float, ...] = (math.nan,) * 5

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)

    def per_op(self, i: int) -> str:
        value = self.cpu[i]
        return "n/a" if math.isnan(value) or not self.ok else f"{value / self.ok * 1000:.1f}"

    @property
    def other_cores(self) -> str:
        client, app, db, machine = self.cpu[:4]
        if any(math.isnan(v) for v in self.cpu[:4]) or not self.seconds:
            return "n/a"
        return f"{max(0.0, (machine - client - app - db) / self.seconds):.2f}"


def run_load(label: str, clients: int, seconds: float, warmup: int, factory: Factory,
             expect: int, meters: Meters, keep_bodies: bool = True) -> LoadResult:
    """`clients` threads each warm up, then all send back to back for `seconds`."""
    start_gate = threading.Barrier(clients + 1, timeout=600)
    end_gate = threading.Barrier(clients + 1, timeout=600)
    # Clients keep their connections until the meters are read (a backend that is gone
    # takes its CPU with it).
    measured = threading.Event()
    per_thread: list[tuple | None] = [None] * clients
    errors_lock = threading.Lock()
    result = LoadResult(label, clients)

    def failed(kind: str, detail: str) -> None:
        with errors_lock:
            result.errors[kind] += 1
            if result.first_error is None:
                result.first_error = detail

    def thread_main(idx: int) -> None:
        latencies: list[float] = []
        bodies: list[bytes] = []
        request, cleanup = factory(idx)
        try:
            for n in range(warmup):
                try:
                    status, body = request(n)
                    if status != expect:
                        failed(f"warm-up HTTP {status}", f"HTTP {status}: {body[:800]!r}")
                except Exception as exc:
                    failed(f"warm-up {type(exc).__name__}", repr(exc))
            n = warmup
            start_gate.wait()
            begin = time.perf_counter()
            deadline = begin + seconds
            while True:
                t0 = time.perf_counter()
                if t0 >= deadline:
                    break
                try:
                    status, body = request(n)
                except Exception as exc:
                    failed(type(exc).__name__, repr(exc))
                else:
                    if status == expect:
                        latencies.append(time.perf_counter() - t0)
                        if keep_bodies:
                            bodies.append(body)
                    else:
                        failed(f"HTTP {status}", f"HTTP {status}: {body[:800]!r}")
                n += 1
            per_thread[idx] = (begin, time.perf_counter(), latencies, bodies)
            end_gate.wait()
            measured.wait(timeout=600)
        finally:
            cleanup()

    threads = [threading.Thread(target=thread_main, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    try:
        start_gate.wait()
        before = meters.read()
        end_gate.wait()
        after = meters.read()
    finally:
        measured.set()
    for t in threads:
        t.join()
    done = [r for r in per_thread if r is not None]
    result.seconds = max(r[1] for r in done) - min(r[0] for r in done)
    for _b, _e, latencies, bodies in done:
        result.latencies.extend(latencies)
        result.bodies.extend(bodies)
    result.latencies.sort()
    result.cpu = tuple(a - b for a, b in zip(after, before, strict=True))
    return result


def customer_of(i: int) -> dict:
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    last = LAST_NAMES[(i * 7) % len(LAST_NAMES)]
    area = (646, 312, 415, 617, 303)[i % 5]
    return {"name": f"{first} {last}", "email": f"{first}.{last}.{i}@shop.example",
            "phone": f"({area}) 3{i // 10000 % 100:02d}-{i % 10000:04d}"}


def destination(rng: random.Random) -> dict:
    city, region, postal, lat, lon = rng.choice(DESTINATIONS)
    return {"line1": f"{rng.randint(1, 9999)} {rng.choice(LAST_NAMES)} Street", "city": city,
            "region": region, "postal_code": postal, "country": "US",
            "latitude": round(lat + rng.uniform(-0.2, 0.2), 4),
            "longitude": round(lon + rng.uniform(-0.25, 0.25), 4)}


def order_body(rng: random.Random, lines: int, catalog: list[dict], external_id: str) -> dict:
    """One POST /api/v1/orders body: a returning customer, `lines` distinct random SKUs
    (quantity 1-2), shipped to a random US address."""
    who = customer_of(rng.randrange(HTTP_CUSTOMERS))
    address = {**destination(rng), "name": who["name"]}
    return {
        "channel": "web", "external_id": external_id, "currency": "USD",
        "customer": who,
        "lines": [{"sku": item["sku"], "quantity": rng.choice((1, 1, 1, 2)),
                   "unit_price": item["price"], "name": item["name"]}
                  for item in rng.sample(catalog, lines)],
        "fulfillment": {"method": "ship", "address": address},
    }


def order_factory(port: int, key: str, lines: int, tag: str, catalog: list[dict]) -> Factory:
    """Clients posting orders; the same `tag` gives the same orders (a run per tree)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def factory(idx: int) -> tuple[Request, Callable[[], None]]:
        client = HttpClient(port)
        rng = random.Random(f"{tag}:{idx}")

        def request(n: int) -> tuple[int, bytes]:
            body = order_body(rng, lines, catalog, f"bench-{tag}-{idx}-{n}")
            return client.request("POST", "/api/v1/orders", json.dumps(body).encode(), headers)
        return request, client.close
    return factory


@dataclass
class Routed:
    orders: int = 0
    split: int = 0
    statuses: Counter = field(default_factory=Counter)
    nodes: Counter = field(default_factory=Counter)  # shipping nodes per order
    bad_bodies: int = 0


def routed_summary(bodies: list[bytes]) -> Routed:
    out = Routed()
    for raw in bodies:
        try:
            order = json.loads(raw)
        except ValueError:
            out.bad_bodies += 1
            continue
        out.orders += 1
        out.statuses[order.get("status")] += 1
        nodes = {f["location"] for f in order.get("fulfillments") or []
                 if f.get("status") != "cancelled"}
        out.nodes[len(nodes)] += 1
        if len(nodes) > 1:
            out.split += 1
    return out


# ---------------------------------------------------------------- webhooks

def shopify_template() -> dict:
    fixture = ROOT / "tests" / "fixtures" / "shopify" / "orders_create.json"
    if fixture.exists():
        with suppress(ValueError, OSError):
            return json.loads(fixture.read_text())
    return {"currency": "USD", "source_name": "web", "financial_status": "paid",
            "line_items": [{}], "shipping_lines": [{"code": "Standard", "price": "10.00",
                                                     "title": "Standard", "source": "shopify"}]}


def shopify_order(template: dict, n: int, rng: random.Random, catalog: list[dict]) -> dict:
    """A Shopify orders/create payload shaped like the fixture, with our SKUs and people."""
    order = copy.deepcopy(template)
    order_id = 6_100_000_000_000 + n
    who = customer_of(rng.randrange(HTTP_CUSTOMERS))
    first, last = who["name"].split(" ", 1)
    dest = destination(rng)
    address = {"first_name": first, "last_name": last, "name": who["name"],
               "address1": dest["line1"], "address2": None, "city": dest["city"],
               "zip": dest["postal_code"], "province_code": dest["region"],
               "country": "United States", "country_code": "US", "phone": who["phone"],
               "company": None, "latitude": dest["latitude"], "longitude": dest["longitude"]}
    item_template = (template.get("line_items") or [{}])[0]
    items = []
    for k, item in enumerate(rng.sample(catalog, 2)):
        line = copy.deepcopy(item_template)
        line.update(id=order_id * 10 + k, sku=item["sku"], title=item["name"],
                    name=item["name"], price=item["price"], quantity=1, current_quantity=1,
                    fulfillable_quantity=1, variant_id=900_000 + k, product_id=800_000 + k)
        items.append(line)
    order.update(id=order_id, admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
                 name=f"#B{n}", order_number=100_000 + n, email=who["email"],
                 contact_email=who["email"], phone=None, line_items=items,
                 shipping_address=address, billing_address=address,
                 customer={**(template.get("customer") or {}), "id": 7_000_000 + n,
                           "email": who["email"], "first_name": first, "last_name": last,
                           "phone": None})
    return order


def webhook_factory(port: int, tag: str, catalog: list[dict]) -> Factory:
    template = shopify_template()

    def factory(idx: int) -> tuple[Request, Callable[[], None]]:
        client = HttpClient(port)
        rng = random.Random(f"{tag}:{idx}")

        def request(n: int) -> tuple[int, bytes]:
            raw = json.dumps(shopify_order(template, idx * 1_000_000 + n, rng, catalog)).encode()
            digest = hmac.new(SHOP_SECRET.encode(), raw, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2025-10",
                "X-Shopify-Triggered-At": dt.datetime.now(dt.UTC).isoformat(),
                "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            }
            return client.request("POST", "/webhooks/shopify", raw, headers)
        return request, client.close
    return factory


def probe_webhook_route(port: int) -> tuple[bool, str]:
    status, body = HttpClient(port).request("POST", "/webhooks/shopify", b"{}",
                                            {"Content-Type": "application/json"})
    if status in (404, 405):
        return False, f"POST /webhooks/shopify answers {status}: the app has no such route yet"
    return True, f"probe without signature: HTTP {status} {body[:120]!r}"


# ---------------------------------------------------------------- order search

@dataclass
class SearchRow:
    kind: str
    example: str
    samples: int
    p50: float
    p99: float
    wrong: int  # hits that found nothing / misses that found something
    plan: list[str] = field(default_factory=list)


def search_targets(url: str, size: Size, n: int) -> dict[str, list[str]]:
    rng = random.Random(11)
    ids = rng.sample(range(1, size.orders + 1), min(size.orders, n * 2))
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("SELECT id, number, external_id, email, phone, customer_name "
                            "FROM oms_orders WHERE id = ANY(%s)", (ids,)).fetchall()
    rng.shuffle(rows)
    phones = [r[4] for r in rows if r[4]]

    def typed(e164: str) -> str:  # "+12125550123" -> "(212) 555-0123"
        d = e164[2:]
        return f"({d[:3]}) {d[3:6]}-{d[6:]}"

    def prefix(name: str) -> str:  # "John Smith" -> "john smi"
        first, last = name.lower().split(" ", 1)
        return f"{first} {last[:3]}"

    return {
        "order number": [r[1] for r in rows[:n]],
        "external id": [r[2] for r in rows[:n]],
        "email": [r[3] for r in rows[:n]],
        "phone (typed)": [typed(p) for p in phones[:n]],
        "name prefix": [prefix(r[5]) for r in rows[:n]],
        "miss": [f"zqx-{rng.randrange(10**8):08d}-nomatch" for _ in range(n)],
    }


def capture_statement(call: Callable[[], object]) -> tuple[str, object]:
    """The SELECT that `call` sends on the OMS engine (statement, parameters)."""
    from core.db import get_database

    engine = get_database().engine
    seen: list[tuple[str, object]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "oms_orders" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    if not seen:
        raise RuntimeError("search_orders sent no query on oms_orders")
    return seen[0]


def explain(url: str, statement: str, parameters: object) -> list[str]:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        return [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                           parameters).fetchall()]


def plan_summary(plan: list[str]) -> list[str]:
    """Top node, the scans of oms_orders, execution time; flags a full scan of oms_orders
    (a Seq Scan, or any scan that reads and discards most of the table)."""
    out = [plan[0].strip()]
    removed = 0
    order_filter = None
    for i, line in enumerate(plan[1:], start=1):
        text = line.strip().removeprefix("->").strip()
        if "on oms_orders" in text and "Scan" in text:
            out.append(text)
            following = plan[i + 1].strip() if i + 1 < len(plan) else ""
            if following.startswith("Filter:"):
                order_filter = following
        if text.startswith("Rows Removed by Filter:"):
            removed += int(text.split(":")[1])
        if text.startswith("Execution Time"):
            out.append(text)
    if any("Seq Scan on oms_orders" in line for line in plan):
        out.append("!! Seq Scan on oms_orders")
    if removed > 10_000:
        out.append(f"!! {removed:,} rows read and discarded by a filter (no index narrows "
                   "the scan)")
        if order_filter:
            out.append(f"   {order_filter[:400]}")
    return out


def search_bench(url: str, size: Size) -> list[SearchRow]:
    from oms import queries

    targets = search_targets(url, size, size.search_samples)
    rows = []
    for kind in SEARCH_KINDS:
        qs = targets[kind]
        for q in qs[:10]:  # warm-up
            queries.search_orders(q, 20, None)
        latencies: list[float] = []
        wrong = 0
        started = time.perf_counter()
        for q in qs:
            if time.perf_counter() - started > size.search_budget:
                break
            t0 = time.perf_counter()
            found = queries.search_orders(q, 20, None)
            latencies.append(time.perf_counter() - t0)
            if bool(found["items"]) == (kind == "miss"):
                wrong += 1
        latencies.sort()
        statement, params = capture_statement(lambda q=qs[0]: queries.search_orders(q, 20, None))
        rows.append(SearchRow(kind, qs[0], len(latencies), percentile(latencies, 0.5),
                              percentile(latencies, 0.99), wrong,
                              plan_summary(explain(url, statement, params))))
        log(f"  {kind:<14} {len(latencies):>4} samples  p50 {ms(rows[-1].p50)} ms  "
            f"p99 {ms(rows[-1].p99)} ms")
    return rows


# ---------------------------------------------------------------- where the time goes

def in_process_breakdown(catalog: list[dict], calls: int) -> list[str]:
    """One client, in this process, no HTTP: what placing a 2-line order and reading it back
    (the response body) cost in statements, CPU and wall time."""
    from core.db import get_database
    from oms import orders, queries
    from oms.customers import SeenIdentity

    engine = get_database().engine
    shapes: Counter = Counter()
    checkouts = [0]

    def on_execute(_conn, _cursor, statement, _params, _context, _many) -> None:
        shapes[statement_shape(statement)] += 1

    def on_checkout(*_args) -> None:
        checkouts[0] += 1

    rng = random.Random(5)
    placed: list[int] = []

    def place(n: int) -> None:
        who = customer_of(rng.randrange(HTTP_CUSTOMERS))
        dest = destination(rng)
        cmd = orders.PlaceOrder(
            channel="web", external_id=f"bench-inproc-{n}", currency="USD",
            lines=tuple(orders.LineInput(sku=i["sku"], quantity=1, unit_price=Decimal(i["price"]),
                                         name=i["name"]) for i in rng.sample(catalog, 2)),
            method="ship", address=orders.Address(**dest, name=who["name"]),
            customer=SeenIdentity(email=who["email"], phone=who["phone"], name=who["name"],
                                  channel="web", region="US"),
            actor="bench", source="web")
        placed.append(orders.place_order(cmd).order_id)

    def read(n: int) -> None:
        queries.get_order(placed[n % len(placed)])

    lines = [f"{'one call, 1 client, in-process':<44}{'statements':>11}{'checkouts':>10}"
             f"{'cpu ms':>8}{'wall ms':>9}"]
    detail = []
    for label, call in (("orders.place_order (2 lines, ship)", place),
                        ("queries.get_order (the 201 body)", read)):
        for n in range(10):  # warm-up
            call(n)
        shapes.clear()
        checkouts[0] = 0
        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(engine.pool, "checkout", on_checkout)
        try:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for n in range(10, 10 + calls):
                call(n)
            cpu = (time.process_time() - cpu0) / calls
            wall = (time.perf_counter() - wall0) / calls
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            event.remove(engine.pool, "checkout", on_checkout)
        lines.append(f"{label:<44}{sum(shapes.values()) / calls:>11.1f}"
                     f"{checkouts[0] / calls:>10.1f}{cpu * 1000:>8.1f}{wall * 1000:>9.1f}")
        detail.append(f"  {label}: " + ", ".join(
            f"{shape} x{count / calls:g}" for shape, count in shapes.most_common()))
    return [*lines, "statements per call (each checkout adds a pre-ping SELECT 1, BEGIN and "
            "COMMIT/ROLLBACK):", *detail]


# ---------------------------------------------------------------- report

def round_trips(url: str, port: int | None = None, samples: int = 500) -> str:
    out = []
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        lat = []
        for _ in range(samples):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            lat.append(time.perf_counter() - t0)
    lat.sort()
    out.append(f"SELECT 1 over psycopg p50 {percentile(lat, 0.5) * 1000:.2f} ms")
    if port is not None:
        client, lat = HttpClient(port), []
        for _ in range(samples):
            t0 = time.perf_counter()
            client.request("GET", "/healthz")
            lat.append(time.perf_counter() - t0)
        client.close()
        lat.sort()
        out.append(f"GET /healthz through gunicorn p50 {percentile(lat, 0.5) * 1000:.2f} ms, "
                   f"p99 {percentile(lat, 0.99) * 1000:.2f} ms")
    return "; ".join(out)


def print_http_table(cells: list[tuple[int, LoadResult, Routed]]) -> None:
    header = (f"{'lines':>5}{'clients':>8}{'orders':>8}{'orders/s':>10}{'p50 ms':>9}"
              f"{'p99 ms':>9}{'errors':>7}{'split':>8}{'not routed':>11}{'cli ms':>8}"
              f"{'app ms':>8}{'db ms':>7}{'other':>7}")
    log(header)
    log("-" * len(header))
    for lines, r, routed in cells:
        not_routed = routed.orders - routed.statuses.get("routed", 0)
        split = f"{100 * routed.split / routed.orders:.1f}%" if routed.orders else "n/a"
        log(f"{lines:>5}{r.clients:>8}{r.ok:>8}{r.rate:>10.1f}{ms(r.p(0.5)):>9}"
            f"{ms(r.p(0.99)):>9}{sum(r.errors.values()):>7}{split:>8}{not_routed:>11}"
            f"{r.per_op(0):>8}{r.per_op(1):>8}{r.per_op(2):>7}{r.other_cores:>7}")


def report_errors(r: LoadResult) -> None:
    if r.errors:
        log(f"    errors: {dict(r.errors)}")
        log(f"    first: {r.first_error}")


# ---------------------------------------------------------------- main

def run(svc: Services, args: argparse.Namespace, size: Size, workdir: Path) -> None:
    use_this_tree()
    from core.db import init_database
    from oms import demo_data
    from oms.migrate import upgrade

    url = recreate_database(svc.server, args.db_name)
    for line in machine_facts(url, PG_SETTINGS, tools=subprocess.run(
            [tool("gunicorn"), "--version"], text=True, capture_output=True).stdout.strip()):
        log(line)
    workers = "2" if svc.redis else "1"
    log(f"mode:        {'--quick' if args.quick else 'full'}: {size.cell_seconds:g} s per HTTP "
        f"cell after {size.warmup} warm-up orders per client, {size.webhook_seconds:g} s per "
        f"webhook cell, {size.orders:,} seeded orders, up to {size.search_samples} search "
        f"samples per kind ({size.search_budget:g} s at most)")
    log(f"app:         gunicorn -c python:oms.gunicorn_conf --access-logfile /dev/null "
        f"wsgi:app; OMS_WEB_WORKERS={workers}, OMS_WEB_THREADS=8 (default), "
        f"OMS_EMBEDDED_WORKER=0, Redis {'yes (no RQ worker runs)' if svc.redis else 'no'}")
    log()

    log("schema: alembic upgrade head (oms.migrate.upgrade)")
    with timed("migrations"):
        upgrade(url)
    seed_search_data(url, size)
    log()

    log("app data (through the app's own CLI, in subprocesses):")
    env = app_env(url, svc.redis)
    key = prepare_app_data(url, env, workdir)
    catalog = demo_data.catalog()
    port = free_port()
    gunicorn_env = app_env(url, svc.redis, OMS_BIND=f"127.0.0.1:{port}",
                           OMS_WEB_WORKERS=workers)
    meters = Meters(postmaster=find_postmaster(url))
    app = Gunicorn(gunicorn_env, port, workdir / "gunicorn.log")
    http_cells: list[tuple[int, LoadResult, Routed]] = []
    webhook_cells: list[LoadResult] = []
    webhook_note = ""
    try:
        app.wait_ready()
        meters.app_pid = app.proc.pid
        log(f"  gunicorn up on 127.0.0.1:{port}: master {app.proc.pid}, workers "
            f"{', '.join(map(str, app.workers()))}")
        log(f"round trips: {round_trips(url, port)}")
        log()

        log(f"== 1. orders through HTTP: POST /api/v1/orders (admin key), ship orders of 1, 2, "
            f"4 random demo SKUs to random US addresses; {size.cell_seconds:g} s per cell")
        # Warm every worker and its pool before the first measured cell.
        warm = run_load("warm-up", 4, 2.0, 2, order_factory(port, key, 2, "warm", catalog),
                        201, meters)
        log(f"  warm-up: {warm.ok} orders" + (f", errors {dict(warm.errors)}"
                                               if warm.errors else ""))
        for lines in LINE_COUNTS:
            for clients in CLIENTS:
                r = run_load(f"{lines}-line", clients, size.cell_seconds, size.warmup,
                             order_factory(port, key, lines, f"{lines}l{clients}c", catalog),
                             201, meters)
                routed = routed_summary(r.bodies)
                r.bodies = []
                http_cells.append((lines, r, routed))
                log(f"  {lines}-line {clients} clients: {r.rate:6.1f} orders/s  p50 "
                    f"{ms(r.p(0.5))} ms  p99 {ms(r.p(0.99))} ms  errors "
                    f"{sum(r.errors.values())}  split {routed.split}/{routed.orders}")
                report_errors(r)
        log()

        log("== 2. webhook acknowledgement: POST /webhooks/shopify (orders/create)")
        available, detail = probe_webhook_route(port)
        if not available:
            webhook_note = f"skipped: {detail}"
        elif not svc.redis:
            webhook_note = ("skipped: without Redis the embedded dispatcher would process "
                            "each event inside the request (set OMS_BENCH_REDIS_URL)")
        else:
            added = flask_cli(env, "integrations", "shopify", "add-shop", SHOP, "--secret",
                              SHOP_SECRET, "--location", "1=dc-columbus", check=False)
            if added.returncode != 0:
                webhook_note = ("skipped: `flask integrations shopify add-shop` failed: "
                                + (added.stderr or added.stdout).strip()[-600:])
            else:
                log(f"  {detail}; {added.stdout.strip()}")
                for senders in WEBHOOK_SENDERS:
                    r = run_load("webhook", senders, size.webhook_seconds, size.warmup,
                                 webhook_factory(port, f"wh{senders}", catalog), 200, meters)
                    accepted = sum(1 for b in r.bodies if b'"accepted"' in b)
                    if accepted != r.ok:
                        r.errors["200 but not accepted"] += r.ok - accepted
                        r.first_error = r.first_error or next(
                            (b[:300].decode(errors="replace") for b in r.bodies
                             if b'"accepted"' not in b), None)
                    r.bodies = []
                    webhook_cells.append(r)
                    log(f"  {senders} sender(s): {r.rate:6.1f}/s  p50 {ms(r.p(0.5))} ms  p99 "
                        f"{ms(r.p(0.99))} ms  errors {sum(r.errors.values())}")
                    report_errors(r)
        if webhook_note:
            log(f"  {webhook_note}")
        log()
    finally:
        problems = app.problems()
        app.stop()
        log(f"gunicorn stopped; {len(problems)} error line(s) in its log"
            + (f" (kept: {app.log_path})" if problems else ""))
        for line in problems[:10]:
            log(f"    {line[:300]}")

    if http_cells:
        log("== results 1: orders accepted and routed through HTTP (cli/app/db ms = CPU per "
            "order of the load generator / gunicorn / PostgreSQL; other = cores busy with "
            "anything else)")
        print_http_table(http_cells)
        total = Routed()
        for _lines, _r, routed in http_cells:
            total.orders += routed.orders
            total.split += routed.split
            total.statuses.update(routed.statuses)
            total.nodes.update(routed.nodes)
        log(f"all cells: {total.orders:,} orders, statuses {dict(total.statuses)}, shipping "
            f"nodes per order {dict(sorted(total.nodes.items()))}")
        for lines in LINE_COUNTS:
            orders = sum(r.orders for n, _r, r in http_cells if n == lines)
            split = sum(r.split for n, _r, r in http_cells if n == lines)
            if orders:
                log(f"  {lines}-line orders split across nodes: {split}/{orders} "
                    f"({100 * split / orders:.1f}%)")
        log()
    if webhook_cells:
        log("== results 2: webhook acknowledgement (verify HMAC, dedupe, store, enqueue, 200)")
        for r in webhook_cells:
            log(f"  {r.clients} sender(s): {r.ok} webhooks, {r.rate:.1f}/s, p50 {ms(r.p(0.5))} "
                f"ms, p99 {ms(r.p(0.99))} ms, errors {sum(r.errors.values())}; CPU per "
                f"webhook: app {r.per_op(1)} ms, db {r.per_op(2)} ms")
        after_webhooks(url, svc.redis)
        log()

    log("== after the load: checks")
    verify = flask_cli(env, "inventory", "verify", check=False)
    log(f"  flask inventory verify: exit {verify.returncode}; "
        f"{(verify.stdout.strip() or verify.stderr.strip()).splitlines()[-1:]}")
    capacity_query(url)
    log()

    init_database(url)
    if http_cells:
        log("== where the time goes: one order, in-process (no HTTP), 1 client")
        for line in in_process_breakdown(catalog, calls=30 if args.quick else 100):
            log(f"  {line}")
        log()

    log(f"== 3. order search: oms.queries.search_orders(q, 20, None) in-process, 1 client, "
        f"{size.orders:,} seeded orders + the HTTP ones")
    search_rows = search_bench(url, size)
    log()
    log("== results 3: order search")
    header = f"{'kind':<16}{'samples':>8}{'p50 ms':>9}{'p99 ms':>9}{'wrong':>7}  example"
    log(header)
    log("-" * len(header))
    for row in search_rows:
        log(f"{row.kind:<16}{row.samples:>8}{ms(row.p50):>9}{ms(row.p99):>9}{row.wrong:>7}  "
            f"{row.example}")
    log("plans (EXPLAIN (ANALYZE, BUFFERS) of the statement search_orders sent, one query "
        "per kind):")
    for row in search_rows:
        log(f"  {row.kind} ({row.example!r}):")
        for line in row.plan:
            log(f"      {line}")


def after_webhooks(url: str, redis_url: str | None) -> None:
    with psycopg.connect(conninfo(url)) as conn:
        stored = dict(conn.execute("SELECT status, count(*) FROM integ_inbound_events "
                                   "GROUP BY status").fetchall())
    queued = "n/a"
    if redis_url:
        with suppress(Exception):
            from redis import Redis

            queued = str(Redis.from_url(redis_url).llen("rq:queue:high"))
    log(f"  stored events by status: {stored}; jobs waiting in RQ queue 'high': {queued}")


def capacity_query(url: str) -> None:
    """Routing reads today's capacity use at the nodes with a limit on every order: how big
    does that read get?"""
    today = dt.datetime.now(dt.UTC).date()
    stmt = ("SELECT location_code, count(*) FROM ful_fulfillments WHERE assigned_on = %s "
            "AND location_code = ANY(%s) "
            "AND status NOT IN ('cancelled', 'rejected') AND method <> 'pickup' "
            "GROUP BY location_code")
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM ful_fulfillments").fetchone()[0]
        limited = [r[0] for r in conn.execute(
            "SELECT code FROM inv_locations WHERE daily_capacity IS NOT NULL AND active")]
        plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE) " + stmt,
                                           (today, limited)).fetchall()]
    scans = [p.strip().removeprefix("->").strip() for p in plan if "Scan" in p]
    exec_time = next((p for p in plan if p.startswith("Execution Time")), "")
    log(f"  capacity-use query of every routing ({len(limited)} nodes with a daily limit, "
        f"their fulfillments assigned today), {count:,} fulfillments in all: "
        f"{'; '.join(scans)}; {exec_time}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="100,000 seeded orders, 3 s cells, 100 search samples per kind "
                             "(with --baseline: see bench/intake_compare.py)")
    parser.add_argument("--seconds", type=float, help="measured seconds per HTTP cell")
    parser.add_argument("--baseline", metavar="REV",
                        help="compare this tree with commit REV instead (bench/intake_compare.py)")
    parser.add_argument("--skip", default="",
                        help="with --baseline: comma-separated parts to leave out (http, "
                             "webhooks, statements, ceiling, fulfillment, growth)")
    add_database_arguments(parser, "oms_bench_orders")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    if args.baseline:
        # intake_compare imports this module by name: make that this very module.
        sys.modules.setdefault("orders_bench", sys.modules[__name__])
        import intake_compare

        intake_compare.main(args)
        return
    size = QUICK if args.quick else FULL
    if args.seconds:
        size = replace(size, cell_seconds=args.seconds)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="oms-orders-bench-"))
    keep_workdir = False
    try:
        with services(args.keep_db, args.db_name) as svc:
            try:
                run(svc, args, size, workdir)
            except BaseException:
                keep_workdir = True
                raise
            finally:
                if "core.db" in sys.modules:
                    with suppress(RuntimeError):
                        sys.modules["core.db"].get_database().dispose()
    finally:
        log_file = workdir / "gunicorn.log"
        if log_file.exists() and any(
                "Traceback" in ln for ln in log_file.read_text(errors="replace").splitlines()):
            keep_workdir = True
        if keep_workdir:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
