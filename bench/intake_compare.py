"""Order intake, a baseline commit against this tree, in one run on the same machine and the
same data: the proof harness of issue 13. Run as `bench/orders_bench.py --baseline REV`
(`make bench-intake` = `--baseline a40bb6e`); see bench/README.md "Intake: baseline against
new".

It checks REV out into a temporary git worktree, gives each tree its own database migrated
and loaded by that tree's own CLI with the same data, and then prints, in this order:

  1. orders through HTTP under each tree's gunicorn (workers = cores, the tree's
     oms/gunicorn_conf.py): 1-, 2- and 4-line ship orders at 1, 4 and 8 clients, the two
     trees taking turns cell by cell with the same requests; orders/s, p50/p99, app and
     database CPU per order, new/base;
  2. statements and round trips per 2-line order through each tree's HTTP path
     (bench/intake_statements.py in a subprocess running that tree);
  3. the raw-SQL ceiling of the order-intake transaction (bench/intake_ceiling.py) at 1, 4
     and 8 clients, and ours/ceiling;
  4. webhook acknowledgement (orders_bench's cells), pick-list claims and ships
     (bench/fulfillment_bench.py --quick, run once per tree), before/after;
  5. cost growth: 1-client orders with 10,000 and then 1,000,000 orders in the database, then
     50,000 fulfillments booked today at one capacity-limited node (bench/growth.py);
  6. `flask inventory verify` of every database after the load on it.

The app is driven only through HTTP, its CLI (`flask --app wsgi ...` run in the tree), its
migrations and SQL, so the harness works against any commit; each process is checked to have
imported the tree it was meant to run (bench/baseline.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import orders_bench as ob
import psycopg
from baseline import (
    Tree,
    baseline_worktree,
    check_origins,
    current_tree,
    imported_from,
    tree_env,
)
from bench_common import (
    DatabaseCpu,
    admin_connection,
    conninfo,
    database_url,
    drop_database,
    find_postmaster,
    free_port,
    log,
    machine_facts,
    nproc,
    recreate_database,
)
from growth import book_today, booked_today, today
from intake_ceiling import capture_template, ceiling_factory
from psycopg import sql

BENCH = Path(__file__).resolve().parent
PROBE_DIR = BENCH / "probe"
PROBE_APP = "oms_bench_probe:app"
GROWTH_NODE = "dc-columbus"  # a DC with a daily capacity (x CAPACITY_FACTOR in the bench)
PARTS = ("http", "webhooks", "statements", "ceiling", "fulfillment", "growth")


@dataclass(frozen=True)
class Size:
    cell_seconds: float  # HTTP matrix cells
    warmup: int  # requests per client before a cell's clock starts
    webhook_seconds: float
    ceiling_seconds: float
    growth_seconds: float
    small_orders: int  # orders in the database for the first growth cell
    big_orders: int  # ... and for the second
    few_today: int  # fulfillments booked today at GROWTH_NODE, first two growth cells
    many_today: int  # ... third
    fulfillment_seconds: float  # fulfillment_bench.py --quick --seconds
    statement_orders: int


FULL = Size(cell_seconds=10.0, warmup=3, webhook_seconds=5.0, ceiling_seconds=8.0,
            growth_seconds=10.0, small_orders=10_000, big_orders=1_000_000, few_today=100,
            many_today=50_000, fulfillment_seconds=5.0, statement_orders=30)
QUICK = Size(cell_seconds=2.5, warmup=2, webhook_seconds=2.0, ceiling_seconds=2.5,
             growth_seconds=3.0, small_orders=10_000, big_orders=100_000, few_today=100,
             many_today=50_000, fulfillment_seconds=2.0, statement_orders=20)


@dataclass
class Side:
    """One tree and everything the run keeps about it."""

    tree: Tree
    db: str
    url: str
    growth_db: str
    growth_url: str
    cli_env: dict[str, str]
    key: str = ""
    prepare_log: list[str] = field(default_factory=list)
    statements: dict | None = None
    http: dict[tuple[int, int], tuple[ob.LoadResult, ob.Routed]] = field(default_factory=dict)
    webhooks: dict[int, ob.LoadResult] = field(default_factory=dict)
    webhook_note: str = ""
    fulfillment: dict | None = None
    fulfillment_note: str = ""
    growth: list[tuple[str, int, int, ob.LoadResult]] = field(default_factory=list)
    verify: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.tree.label


# ---------------------------------------------------------------- small utilities

def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def per_order(r: ob.LoadResult, i: int) -> float:
    """CPU seconds per successful request of meter i (see ob.LoadResult.cpu)."""
    value = r.cpu[i]
    return value / r.ok if r.ok and not math.isnan(value) else math.nan


def noise(r: ob.LoadResult) -> float:
    """Cores busy with anything but this cell (the client, the tree's gunicorn, its database's
    backends): other engineers' work on a shared machine and server, background processes."""
    client, app, _pg, machine, db = r.cpu
    if not r.seconds or any(math.isnan(v) for v in (client, app, machine, db)):
        return math.nan
    return max(0.0, (machine - client - app - db) / r.seconds)


def ratio(a: float, b: float) -> str:
    return "n/a" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def alternate(sides: list[Side], i: int) -> list[Side]:
    """Base first in even cells, new first in odd ones (drift on a shared machine cancels)."""
    return sides if i % 2 == 0 else sides[::-1]


def orders_in(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM oms_orders").fetchone()[0]


def sql_catalog(url: str) -> list[dict]:
    """Every SKU, as the HTTP load orders them (the same list for both trees)."""
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("SELECT sku, name, price FROM inv_items ORDER BY sku").fetchall()
    return [{"sku": sku, "name": name, "price": f"{price:.2f}"} for sku, name, price in rows]


def clone_database(server: str, template: str, name: str) -> str:
    """CREATE DATABASE name TEMPLATE template (nothing may be connected to the template)."""
    with admin_connection(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}")
                     .format(sql.Identifier(name), sql.Identifier(template)))
    return database_url(server, name)


def in_parallel(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls on threads (database-bound work: one backend each) and return results."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


@contextmanager
def terminate_on_signals() -> Iterator[None]:
    """SIGTERM / SIGHUP end the run like Ctrl-C, so that every `finally` runs (gunicorn
    stopped, worktree removed, databases dropped)."""
    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------- the app, per tree

def verify(side: Side, url: str, when: str) -> None:
    """`flask inventory verify` (the ledger), then `flask oms verify` (order lines against
    their work and the ledger; on trees that have them, capacity counters against the rows),
    with the tree's CLI."""
    env = {**side.cli_env, "OMS_DATABASE_URL": url}
    for group in ("inventory", "oms"):
        result = ob.flask_cli(env, group, "verify", check=False, cwd=side.tree.path)
        text = (result.stdout.strip() + "\n" + result.stderr.strip()).strip()
        if group == "oms" and "No such command" in text:
            continue
        lines = text.splitlines()
        shown = lines[-1] if result.returncode == 0 else " | ".join(lines[:4])
        side.verify.append((f"flask {group} verify {when}", result.returncode, shown[:400]))
        log(f"  {side.label}: flask {group} verify {when}: exit {result.returncode}; "
            f"{shown[:400]}")


@contextmanager
def serving(sides: list[Side], urls: dict[str, str], server: str, redis: str | None,
            workdir: Path, tag: str) -> Iterator[dict[str, tuple[ob.Gunicorn, ob.Meters]]]:
    """Each tree's gunicorn on its database (urls[label]), checked to run that tree's code;
    stopped on the way out (their logs scanned for errors)."""
    workers = nproc() if redis else 1
    apps: dict[str, tuple[ob.Gunicorn, ob.Meters]] = {}
    with ExitStack() as stack:
        for side in sides:
            port = free_port()
            env = tree_env(side.tree, ob.app_env(urls[side.label], redis,
                                                 OMS_BIND=f"127.0.0.1:{port}",
                                                 OMS_WEB_WORKERS=str(workers)), PROBE_DIR)
            app = ob.Gunicorn(env, port, workdir / f"gunicorn-{tag}-{side.label}.log",
                              cwd=side.tree.path, app=PROBE_APP)
            stack.callback(stop_app, side, app)
            db = urls[side.label].rsplit("/", 1)[-1].split("?")[0]
            meters = ob.Meters(postmaster=find_postmaster(urls[side.label]),
                               database=DatabaseCpu(server, db))
            stack.callback(meters.database.close)
            apps[side.label] = (app, meters)
        for side in sides:
            app, meters = apps[side.label]
            app.wait_ready()
            meters.app_pid = app.proc.pid
            prove_workers(side, app)
        yield apps


def stop_app(side: Side, app: ob.Gunicorn) -> None:
    problems = app.problems()
    app.stop()
    log(f"  {side.label}: gunicorn stopped; {len(problems)} error line(s) in its log"
        + (f" (kept: {app.log_path})" if problems else ""))
    for line in problems[:10]:
        log(f"    {line[:300]}")


def prove_workers(side: Side, app: ob.Gunicorn) -> None:
    """Ask the probe of every worker which files it imported the app from (bursts of
    concurrent connections, so that every worker accepts some)."""
    workers = set(app.workers())
    seen: dict[int, dict[str, str]] = {}
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(5):
            client = ob.HttpClient(app.port)
            try:
                status, body = client.request("GET", "/__bench/modules")
            finally:
                client.close()
            if status != 200:
                raise RuntimeError(f"GET /__bench/modules answered {status}")
            answer = json.loads(body)
            with lock:
                seen[answer["pid"]] = answer["modules"]

    for _ in range(10):
        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if workers <= set(seen):
            break
    if not seen:
        raise SystemExit(f"!! {side.label}: the gunicorn probe did not answer")
    for pid, modules in sorted(seen.items()):
        check_origins(side.tree, f"gunicorn worker {pid}", modules)
    if not workers <= set(seen):
        log(f"  {side.label}: (workers {sorted(workers - set(seen))} did not answer the "
            "probe; they run the same code as their siblings, forked from one master)")


def http_cell(side: Side, apps: dict, lines: int, clients: int, seconds: float, warmup: int,
              tag: str, catalog: list[dict]) -> tuple[ob.LoadResult, ob.Routed]:
    app, meters = apps[side.label]
    r = ob.run_load(f"{lines}-line", clients, seconds, warmup,
                    ob.order_factory(app.port, side.key, lines, tag, catalog), 201, meters)
    routed = ob.routed_summary(r.bodies)
    r.bodies = []
    log(f"  {lines}-line {clients} client(s) {side.label:>4}: {r.rate:6.1f} orders/s  p50 "
        f"{ms(r.p(0.5))} ms  p99 {ms(r.p(0.99))} ms  app {ms(per_order(r, 1))} ms  db "
        f"{ms(per_order(r, 4))} ms  errors {sum(r.errors.values())}  split "
        f"{routed.split}/{routed.orders}")
    ob.report_errors(r)
    return r, routed


# ---------------------------------------------------------------- the parts

def prepare(side: Side, server: str, rows: list, workdir: Path) -> None:
    say = side.prepare_log.append
    recreate_database(server, side.db)
    started = time.perf_counter()
    ob.flask_cli(side.cli_env, "db", "upgrade", cwd=side.tree.path)
    say(f"  flask db upgrade (this tree's migrations): {time.perf_counter() - started:.1f} s")
    side.key = ob.prepare_app_data(side.url, side.cli_env, workdir, cwd=side.tree.path,
                                   rows=rows, say=say)


def part_statements(sides: list[Side], redis: str | None, size: Size) -> None:
    log(f"== 2. statements and round trips per 2-line ship order, through each tree's HTTP "
        f"path (Flask test client, in a subprocess running the tree; {size.statement_orders} "
        "orders of returning customers after as many warm-up orders)")
    for side in sides:
        env = tree_env(side.tree, ob.app_env(side.url, redis))
        out = subprocess.run(
            [sys.executable, str(BENCH / "intake_statements.py"), "--url", side.url, "--key",
             side.key, "--orders", str(size.statement_orders), "--warmup",
             str(size.statement_orders)],
            cwd=side.tree.path, env=env, text=True, capture_output=True, timeout=600)
        if out.returncode != 0:
            log(f"  {side.label}: failed (exit {out.returncode}): {out.stderr.strip()[-800:]}")
            continue
        side.statements = json.loads(out.stdout.strip().splitlines()[-1])
        check_origins(side.tree, "statement counter", side.statements["modules"])
        s = side.statements
        log(f"  {side.label}: {fmt(s['statements'])} statements, {fmt(s['round_trips'])} round "
            f"trips, {fmt(s['checkouts'])} connection checkouts per order")
    log()


def part_http(sides: list[Side], apps: dict, size: Size, catalog: list[dict]) -> None:
    log(f"== 1. orders through HTTP: POST /api/v1/orders, ship orders of 1, 2, 4 random SKUs "
        f"to random US addresses, {size.cell_seconds:g} s per cell; the trees take turns "
        "cell by cell with the same requests")
    for side in sides:
        app, meters = apps[side.label]
        warm = ob.run_load("warm-up", 4, 2.0, 2, ob.order_factory(
            app.port, side.key, 2, "warm", catalog), 201, meters)
        log(f"  {side.label} warm-up: {warm.ok} orders"
            + (f", errors {dict(warm.errors)}" if warm.errors else ""))
    i = 0
    for lines in ob.LINE_COUNTS:
        for clients in ob.CLIENTS:
            for side in alternate(sides, i):
                side.http[(lines, clients)] = http_cell(
                    side, apps, lines, clients, size.cell_seconds, size.warmup,
                    f"{lines}l{clients}c", catalog)
            i += 1
    log()


def part_webhooks(sides: list[Side], apps: dict, size: Size, redis: str | None,
                  catalog: list[dict]) -> None:
    log("== 4a. webhook acknowledgement: POST /webhooks/shopify (orders/create), "
        f"{size.webhook_seconds:g} s per cell")
    ready = []
    for side in sides:
        app, _meters = apps[side.label]
        available, detail = ob.probe_webhook_route(app.port)
        if not available:
            side.webhook_note = f"skipped: {detail}"
        elif not redis:
            side.webhook_note = "skipped: no Redis (set OMS_BENCH_REDIS_URL)"
        else:
            added = ob.flask_cli(side.cli_env, "integrations", "shopify", "add-shop", ob.SHOP,
                                 "--secret", ob.SHOP_SECRET, "--location", "1=dc-columbus",
                                 check=False, cwd=side.tree.path)
            if added.returncode != 0:
                side.webhook_note = ("skipped: add-shop failed: "
                                     + (added.stderr or added.stdout).strip()[-400:])
            else:
                ready.append(side)
        if side.webhook_note:
            log(f"  {side.label}: {side.webhook_note}")
    for i, senders in enumerate(ob.WEBHOOK_SENDERS):
        for side in alternate(ready, i):
            app, meters = apps[side.label]
            r = ob.run_load("webhook", senders, size.webhook_seconds, size.warmup,
                            ob.webhook_factory(app.port, f"wh{senders}", catalog), 200, meters)
            accepted = sum(1 for b in r.bodies if b'"accepted"' in b)
            if accepted != r.ok:
                r.errors["200 but not accepted"] += r.ok - accepted
            r.bodies = []
            side.webhooks[senders] = r
            log(f"  {senders} sender(s) {side.label:>4}: {r.rate:6.1f}/s  p50 {ms(r.p(0.5))} ms"
                f"  p99 {ms(r.p(0.99))} ms  app {ms(per_order(r, 1))} ms  errors "
                f"{sum(r.errors.values())}")
            ob.report_errors(r)
    for side in ready:
        with psycopg.connect(conninfo(side.url)) as conn:
            stored = dict(conn.execute("SELECT status, count(*) FROM integ_inbound_events "
                                       "GROUP BY status").fetchall())
        log(f"  {side.label}: stored inbound events by status: {stored}")
    log()


@contextmanager
def rq_jobs_removed_after(redis_url: str | None) -> Iterator[None]:
    """No RQ worker runs in the benchmark, so every job the apps enqueue (webhook events,
    outbox fan-outs after each order) would stay in Redis for good: remove what the run added
    to each queue (and the jobs themselves) at the end, when the queue's older part is as it
    was (a shared Redis database)."""
    if not redis_url:
        yield
        return
    from redis import Redis

    r = Redis.from_url(redis_url)
    before = {q: r.lrange(q, 0, -1) for q in r.scan_iter("rq:queue:*")}
    try:
        yield
    finally:
        removed, kept = 0, []
        for q in r.scan_iter("rq:queue:*"):
            if r.type(q) != b"list":
                continue
            old = before.get(q, [])
            now = r.lrange(q, 0, -1)
            if now[:len(old)] != old:
                kept.append(q.decode())
                continue
            added = now[len(old):]
            with r.pipeline() as pipe:
                if old:
                    pipe.ltrim(q, 0, len(old) - 1)
                else:
                    pipe.delete(q)
                for k in range(0, len(added), 500):
                    pipe.delete(*(b"rq:job:" + job for job in added[k:k + 500]))
                pipe.execute()
            removed += len(added)
        log(f"removed the {removed:,} RQ jobs this run enqueued (no worker ran them)"
            + (f"; left queues that changed under us: {kept}" if kept else ""))


def part_ceiling(side: Side, server: str, size: Size) -> dict[int, ob.LoadResult]:
    log(f"== 3. the raw-SQL ceiling of the order-intake transaction (psycopg, prepared "
        f"statements), in the {side.label} tree's database, {size.ceiling_seconds:g} s per cell")
    template = capture_template(side.url)
    for line in template.describe():
        log(f"  {line}")
    meters = ob.Meters(postmaster=find_postmaster(side.url), database=DatabaseCpu(server,
                                                                                  side.db))
    results: dict[int, ob.LoadResult] = {}
    try:
        for clients in ob.CLIENTS:
            factory, statements = ceiling_factory(side.url, template, f"c{clients}")
            r = ob.run_load("ceiling", clients, size.ceiling_seconds, size.warmup, factory,
                            201, meters, keep_bodies=False)
            results[clients] = r
            log(f"  {clients} client(s): {r.rate:7.1f} orders/s  p50 {ms(r.p(0.5))} ms  p99 "
                f"{ms(r.p(0.99))} ms  client {ms(per_order(r, 0))} ms  db "
                f"{ms(per_order(r, 4))} ms  {statements():.1f} statements/order  errors "
                f"{sum(r.errors.values())}")
            ob.report_errors(r)
    finally:
        assert meters.database is not None
        meters.database.close()
    verify(side, side.url, "after the ceiling")
    log()
    return results


def part_fulfillment(sides: list[Side], server: str, size: Size, args: argparse.Namespace,
                     workdir: Path) -> None:
    log(f"== 4b. pick-list claims and ships: bench/fulfillment_bench.py --quick --seconds "
        f"{size.fulfillment_seconds:g}, once per tree (in-process, PYTHONPATH = the tree; its "
        "own database, seeded by SQL)")
    for side in sides:
        out_json = workdir / f"fulfillment-{side.label}.json"
        out_log = workdir / f"fulfillment-{side.label}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
        env.update(OMS_BENCH_DATABASE_URL=server, PYTHONPATH=str(side.tree.path))
        command = [sys.executable, str(BENCH / "fulfillment_bench.py"), "--quick", "--seconds",
                   f"{size.fulfillment_seconds:g}", "--db-name",
                   f"{args.db_name}_ful_{side.label}", "--json", str(out_json)]
        started = time.perf_counter()
        with out_log.open("w") as f:
            code = subprocess.run(command, cwd=side.tree.path, env=env, stdout=f,
                                  stderr=subprocess.STDOUT, timeout=1800).returncode
        text = out_log.read_text(errors="replace").splitlines()
        if code != 0 or not out_json.exists():
            side.fulfillment_note = f"failed (exit {code}; log {out_log})"
            log(f"  {side.label}: {side.fulfillment_note}")
            for line in text[-15:]:
                log(f"    {line}")
            continue
        side.fulfillment = json.loads(out_json.read_text())
        check_origins(side.tree, "fulfillment_bench", {
            "fulfillment.use_cases": side.fulfillment["code"]})
        f = side.fulfillment
        log(f"  {side.label}: {time.perf_counter() - started:.0f} s; claimed twice while "
            f"leased {f['claimed_twice_live']}, find_drift {f['drifts']}, drift rows "
            f"{f['drift_rows']}, reconciliation mismatches {f['mismatches']}, database errors "
            f"{f['db_errors'] or 'none'}")
    log()


def seed_orders_to(side: Side, target: int) -> None:
    have = orders_in(side.growth_url)
    n = target - have
    if n <= 0:
        side.prepare_log.append(f"  {side.label}: {have:,} orders already")
        return
    customers = max(1_000, n // 5)
    ob.seed_search_data(side.growth_url, replace(ob.QUICK, orders=n, customers=customers),
                        after_existing=True, say=lambda s: side.prepare_log.append(
                            f"  {side.label}: {s.strip()}"))


def part_growth(sides: list[Side], server: str, redis: str | None, size: Size,
                workdir: Path, catalog: list[dict]) -> None:
    log(f"== 5. cost growth: 1 client, 2-line ship orders, {size.growth_seconds:g} s per cell, "
        f"in a copy of each tree's freshly loaded database; {GROWTH_NODE} has a daily "
        "capacity")
    states = [
        ("A", f"{size.small_orders:,} orders, {size.few_today:,} booked today",
         size.small_orders, size.few_today),
        ("B", f"{size.big_orders:,} orders, {size.few_today:,} booked today",
         size.big_orders, size.few_today),
        ("C", f"{size.big_orders:,} orders, {size.many_today:,} booked today",
         size.big_orders, size.many_today),
    ]
    urls = {side.label: side.growth_url for side in sides}
    with serving(sides, urls, server, redis, workdir, "growth") as apps:
        for i, (state, title, orders_target, today_target) in enumerate(states):
            for side in sides:
                side.prepare_log.clear()
            started = time.perf_counter()
            in_parallel([lambda s=side, n=orders_target: seed_orders_to(s, n)
                         for side in sides])
            notes = in_parallel([lambda s=side, n=today_target: book_today(
                s.growth_url, GROWTH_NODE, n) for side in sides])
            log(f"  state {state} ({title}): grown in {time.perf_counter() - started:.0f} s")
            for side, (before, after, note) in zip(sides, notes, strict=True):
                for line in side.prepare_log:
                    log(f"    {line.strip()}")
                log(f"    {side.label}: {GROWTH_NODE} booked today {before:,} -> {after:,}; "
                    f"{note}")
            for side in alternate(sides, i):
                app, meters = apps[side.label]
                orders = orders_in(side.growth_url)
                with psycopg.connect(conninfo(side.growth_url)) as conn:
                    booked = booked_today(conn, GROWTH_NODE, today())
                r = ob.run_load(f"growth {state}", 1, size.growth_seconds, size.warmup,
                                ob.order_factory(app.port, side.key, 2, f"g{state}", catalog),
                                201, meters, keep_bodies=False)
                side.growth.append((state, orders, booked, r))
                log(f"    {side.label:>4}: {r.rate:6.1f} orders/s  p50 {ms(r.p(0.5))} ms  app "
                    f"{ms(per_order(r, 1))} ms  db {ms(per_order(r, 4))} ms  errors "
                    f"{sum(r.errors.values())}")
                ob.report_errors(r)
    for side in sides:
        verify(side, side.growth_url, "after the growth cells")
    log()


# ---------------------------------------------------------------- the report

def print_results(sides: list[Side], ceiling: dict[int, ob.LoadResult], skip: set[str]
                  ) -> None:
    base, new = sides
    log("=" * 100)
    log(f"RESULTS: base = {base.tree.describe}")
    log(f"         new  = {new.tree.describe}")
    log()
    if base.http and new.http:
        log("== results 1: orders through HTTP (orders/s; p50/p99 ms; CPU ms per order: app = "
            "the tree's gunicorn processes, db = its database's backends; noise = cores busy "
            "with anything else meanwhile; new/ceil, base/ceil = against the raw-SQL ceiling at "
            "the same clients, 2-line rows)")
        header = (f"{'lines':>5}{'cli':>4}{'base/s':>8}{'new/s':>8}{'new/base':>9}"
                  f"{'base p50/p99':>15}{'new p50/p99':>15}{'app b':>7}{'app n':>7}"
                  f"{'db b':>6}{'db n':>6}{'noise b/n':>10}{'err b/n':>8}"
                  f"{'new/ceil':>9}{'base/ceil':>10}")
        log(header)
        log("-" * len(header))
        for lines in ob.LINE_COUNTS:
            for clients in ob.CLIENTS:
                b, _ = base.http[(lines, clients)]
                n, _ = new.http[(lines, clients)]
                c = ceiling.get(clients) if lines == 2 else None
                log(f"{lines:>5}{clients:>4}{b.rate:>8.1f}{n.rate:>8.1f}{ratio(n.rate, b.rate):>9}"
                    f"{ms(b.p(0.5)) + '/' + ms(b.p(0.99)):>15}"
                    f"{ms(n.p(0.5)) + '/' + ms(n.p(0.99)):>15}"
                    f"{ms(per_order(b, 1)):>7}{ms(per_order(n, 1)):>7}"
                    f"{ms(per_order(b, 4)):>6}{ms(per_order(n, 4)):>6}"
                    f"{fmt(noise(b), 2) + '/' + fmt(noise(n), 2):>10}"
                    f"{sum(b.errors.values()):>4}/{sum(n.errors.values()):<3}"
                    f"{ratio(n.rate, c.rate) if c else '':>9}"
                    f"{ratio(b.rate, c.rate) if c else '':>10}")
        for side in sides:
            statuses: dict = {}
            split = orders = 0
            for _r, routed in side.http.values():
                orders += routed.orders
                split += routed.split
                for k, v in routed.statuses.items():
                    statuses[k] = statuses.get(k, 0) + v
            log(f"  {side.label}: {orders:,} orders measured, statuses {statuses}, split across "
                f"nodes {split:,}")
        log()
    if base.statements or new.statements:
        log("== results 2: per 2-line ship order through the HTTP path (in-process test "
            "client): statements = SQLAlchemy cursor executions; round trips = client turns "
            "on the wire (BEGIN, COMMIT, pre-pings, DEALLOCATE included); checkouts = pool "
            "checkouts")
        log(f"{'':<6}{'statements':>11}{'round trips':>12}{'checkouts':>10}  simple-protocol "
            "commands / extended-protocol messages")
        for side in sides:
            s = side.statements
            if not s:
                log(f"{side.label:<6}  (not measured)")
                continue
            simple = ", ".join(f"{k} {v:g}" for k, v in s["simple"].items())
            messages = ", ".join(f"{k} {v:.1f}" for k, v in s["messages"].items())
            log(f"{side.label:<6}{fmt(s['statements']):>11}{fmt(s['round_trips']):>12}"
                f"{fmt(s['checkouts']):>10}  {simple}; {messages}")
        for side in sides:
            if side.statements:
                log(f"  {side.label}: " + ", ".join(
                    f"{k} x{v:g}" for k, v in side.statements["shapes"].items()))
        log()
    if ceiling:
        log("== results 3: ours through HTTP (2-line) against the raw-SQL ceiling, same clients")
        header = (f"{'clients':>7}{'ceiling/s':>10}{'p50 ms':>8}{'cli ms':>8}{'db ms':>7}"
                  f"{'new/s':>8}{'new/ceil':>9}{'base/s':>8}{'base/ceil':>10}")
        log(header)
        log("-" * len(header))
        for clients, c in ceiling.items():
            b = base.http.get((2, clients), (None, None))[0]
            n = new.http.get((2, clients), (None, None))[0]
            log(f"{clients:>7}{c.rate:>10.1f}{ms(c.p(0.5)):>8}{ms(per_order(c, 0)):>8}"
                f"{ms(per_order(c, 4)):>7}"
                f"{(f'{n.rate:.1f}' if n else 'n/a'):>8}{ratio(n.rate, c.rate) if n else 'n/a':>9}"
                f"{(f'{b.rate:.1f}' if b else 'n/a'):>8}"
                f"{ratio(b.rate, c.rate) if b else 'n/a':>10}")
        log()
    rows = side_rows(base, new)
    if rows:
        log("== results 4: webhook acknowledgement, pick-list claims, ships (per second; p50/p99 "
            "ms; claims are of up to 10 fulfillments)")
        header = (f"{'what':<32}{'base/s':>8}{'new/s':>8}{'new/base':>9}{'base p50/p99':>16}"
                  f"{'new p50/p99':>16}{'err b/n':>9}")
        log(header)
        log("-" * len(header))
        for what, b, n in rows:
            log(f"{what:<32}{fmt(b['rate']):>8}{fmt(n['rate']):>8}{ratio(n['rate'], b['rate']):>9}"
                f"{ms(b['p50']) + '/' + ms(b['p99']):>16}{ms(n['p50']) + '/' + ms(n['p99']):>16}"
                f"{b['errors']:>5}/{n['errors']:<3}")
        for side in sides:
            for note in (side.webhook_note, side.fulfillment_note):
                if note:
                    log(f"  {side.label}: {note}")
        log()
    if base.growth or new.growth:
        log("== results 5: cost growth, 1 client, 2-line orders (CPU ms per order; x = against "
            "state A of the same tree)")
        header = (f"{'tree':<5}{'state':<6}{'orders in db':>13}{'booked today':>13}"
                  f"{'orders/s':>9}{'p50 ms':>8}{'app ms':>8}{'db ms':>7}{'app+db':>8}"
                  f"{'x app+db':>9}{'x p50':>7}{'noise':>7}")
        log(header)
        log("-" * len(header))
        for side in sides:
            first = None
            for state, orders, booked, r in side.growth:
                cost = per_order(r, 1) + per_order(r, 4)
                if first is None:
                    first = (cost, r.p(0.5))
                log(f"{side.label:<5}{state:<6}{orders:>13,}{booked:>13,}{r.rate:>9.1f}"
                    f"{ms(r.p(0.5)):>8}{ms(per_order(r, 1)):>8}{ms(per_order(r, 4)):>7}"
                    f"{ms(cost):>8}{ratio(cost, first[0]):>9}{ratio(r.p(0.5), first[1]):>7}"
                    f"{fmt(noise(r), 2):>7}")
        log()
    log("== results 6: flask inventory verify and flask oms verify after every load")
    for side in sides:
        for when, code, last in side.verify:
            log(f"  {side.label} {when}: {'clean' if code == 0 else f'!! exit {code}'} ({last})")
    skipped = ", ".join(sorted(skip))
    if skipped:
        log(f"(skipped: {skipped})")


def side_rows(base: Side, new: Side) -> list[tuple[str, dict, dict]]:
    rows = []

    def cell(r: ob.LoadResult) -> dict:
        return {"rate": r.rate, "p50": r.p(0.5), "p99": r.p(0.99),
                "errors": sum(r.errors.values())}

    for senders in ob.WEBHOOK_SENDERS:
        if senders in base.webhooks and senders in new.webhooks:
            rows.append((f"webhook ack, {senders} sender(s)", cell(base.webhooks[senders]),
                         cell(new.webhooks[senders])))
    if base.fulfillment and new.fulfillment:
        for kind, key in (("claim", "claims"), ("ship", "ships")):
            for b, n in zip(base.fulfillment[key], new.fulfillment[key], strict=False):
                where = f", {b['where']}" if b.get("where") else ""
                rows.append((f"{kind}, {b['threads']} thread(s){where}"[:32], b, n))
    return rows


# ---------------------------------------------------------------- main

def run(svc: ob.Services, args: argparse.Namespace, size: Size, skip: set[str],
        base_tree: Tree, new_tree: Tree, workdir: Path, dbs: list[str]) -> None:
    for line in machine_facts(svc.server, ob.PG_SETTINGS, tools=subprocess.run(
            [ob.tool("gunicorn"), "--version"], text=True, capture_output=True).stdout.strip()):
        log(line)
    workers = nproc() if svc.redis else 1
    for tree in (base_tree, new_tree):
        log(f"{tree.label + ' tree:':<13}{tree.describe}  ({tree.path})")
    log(f"mode:        {'--quick' if args.quick else 'full'}: {size.cell_seconds:g} s per HTTP "
        f"cell after {size.warmup} warm-up requests per client, {size.webhook_seconds:g} s per "
        f"webhook cell, {size.ceiling_seconds:g} s per ceiling cell, {size.growth_seconds:g} s "
        f"per growth cell ({size.small_orders:,} -> {size.big_orders:,} orders, "
        f"{size.few_today:,} -> {size.many_today:,} booked today), fulfillment_bench --quick "
        f"--seconds {size.fulfillment_seconds:g}")
    log(f"app:         gunicorn -c python:oms.gunicorn_conf --access-logfile /dev/null "
        f"{PROBE_APP} (= the tree's wsgi:app + GET /__bench/modules), cwd and PYTHONPATH = the "
        f"tree; OMS_WEB_WORKERS={workers} (cores), OMS_WEB_THREADS=8 (default), "
        f"OMS_EMBEDDED_WORKER=0, Redis {'yes (no RQ worker runs)' if svc.redis else 'no'}")
    log()

    sides = []
    for tree in (base_tree, new_tree):
        db = f"{args.db_name}_{tree.label}"
        growth_db = f"{db}_growth"
        dbs += [db, growth_db]
        url = database_url(svc.server, db)
        sides.append(Side(tree, db, url, growth_db, database_url(svc.server, growth_db),
                          tree_env(tree, ob.app_env(url, svc.redis))))
    base, new = sides

    log("== setup: each tree migrates and loads its own database with its own CLI (in "
        "parallel), the same stock file for both")
    rows = ob.stock_rows()
    started = time.perf_counter()
    in_parallel([lambda s=side: prepare(s, svc.server, rows, workdir) for side in sides])
    log(f"  both databases ready in {time.perf_counter() - started:.0f} s")
    for side in sides:
        log(f"  {side.label} ({side.db}):")
        for line in side.prepare_log:
            log(f"  {line}")
        side.prepare_log.clear()
        check_origins(side.tree, "flask CLI", imported_from(side.tree, side.cli_env))
    if "growth" not in skip:
        for side in sides:
            clone_database(svc.server, side.db, side.growth_db)
        log(f"  copied each database for the growth cells ({base.growth_db}, {new.growth_db})")
    catalog = sql_catalog(new.url)
    log(f"  catalog: {len(catalog)} SKUs (read from the new tree's database, the same for both)")
    log()

    failures: list[str] = []

    def attempt(name: str, call: Callable[[], object]) -> object:
        """Run one part; a part that fails is reported and the run goes on (a wrong tree
        imported, SystemExit, still ends it)."""
        try:
            return call()
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
            log(f"!! {name} failed:")
            for line in traceback.format_exc(limit=4).splitlines()[-12:]:
                log(f"    {line}")
            log()
            return None

    if "statements" not in skip:
        attempt("statements", lambda: part_statements(sides, svc.redis, size))

    if not {"http", "webhooks"} <= skip:
        log("== gunicorn, one per tree, each on its own database")
        urls = {side.label: side.url for side in sides}
        with serving(sides, urls, svc.server, svc.redis, workdir, "http") as apps:
            for side in sides:
                port = apps[side.label][0].port
                log(f"  {side.label}: round trips: {ob.round_trips(side.url, port)}")
            log()
            if "http" not in skip:
                attempt("orders through HTTP", lambda: part_http(sides, apps, size, catalog))
            if "webhooks" not in skip:
                attempt("webhooks", lambda: part_webhooks(sides, apps, size, svc.redis,
                                                          catalog))
        for side in sides:
            verify(side, side.url, "after the HTTP cells")
        log()

    ceiling: dict[int, ob.LoadResult] = {}
    if "ceiling" not in skip:
        if "http" in skip:
            log("== 3. ceiling skipped: it copies an order of the HTTP load (--skip http)")
        else:
            ceiling = attempt("ceiling", lambda: part_ceiling(new, svc.server, size)) or {}

    if "fulfillment" not in skip:
        dbs += [f"{args.db_name}_ful_{side.label}" for side in sides]
        attempt("claims and ships", lambda: part_fulfillment(sides, svc.server, size, args,
                                                              workdir))

    if "growth" not in skip:
        attempt("growth", lambda: part_growth(sides, svc.server, svc.redis, size, workdir,
                                              catalog))

    print_results(sides, ceiling, skip)
    dirty = [f"{side.label} {when}" for side in sides for when, code, _ in side.verify if code]
    if failures or dirty:
        log("!! " + "; ".join(failures + [f"not clean: {d}" for d in dirty]))
        raise SystemExit(1)


def main(args: argparse.Namespace) -> None:
    size = QUICK if args.quick else FULL
    if args.seconds:
        size = replace(size, cell_seconds=args.seconds, growth_seconds=args.seconds)
    skip = {p.strip() for p in args.skip.split(",") if p.strip()}
    unknown = skip - set(PARTS)
    if unknown:
        raise SystemExit(f"--skip: unknown part(s) {sorted(unknown)}; parts: {', '.join(PARTS)}")
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="oms-intake-bench-"))
    keep_workdir = False
    dbs: list[str] = []
    try:
        with terminate_on_signals(), ob.services(True, args.db_name) as svc, \
                baseline_worktree(ob.ROOT, args.baseline) as base_tree, \
                rq_jobs_removed_after(svc.redis):
            try:
                run(svc, args, size, skip, base_tree, current_tree(ob.ROOT), workdir, dbs)
            except BaseException:
                keep_workdir = True
                raise
            finally:
                if not args.keep_db:
                    for name in dbs:
                        drop_database(svc.server, name)
    finally:
        if any("Traceback" in p.read_text(errors="replace")
               for p in workdir.glob("gunicorn-*.log")):
            keep_workdir = True
        if keep_workdir:
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")

