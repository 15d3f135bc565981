"""Outbound delivery benchmark on PostgreSQL + Redis with real RQ workers (run by hand; see
bench/README.md).

For 1 and 2 worker processes (`flask --app wsgi oms worker --queues webhooks`, default relay
settings) delivering every event to one subscription, a fast threaded receiver on loopback (a
process of its own, checking every signature), prints:
  1. steady load: ship orders placed in-process (`oms.orders.place_order`, one commit
     writing each order's events: the run prints which) at a steady rate; events delivered
     per second, commit-to-delivery latency p50/p99/max (commit = the outbox row's
     `created_at`, delivery = the receiver's receipt) split into commit -> fanned out ->
     received, and the backlog sampled every half second while it runs: outbox rows not
     fanned out, deliveries pending, jobs waiting in the RQ `webhooks` queue;
  2. drain: orders placed with no worker running, then the workers started: deliveries per
     second in total and per worker until nothing is left;
  3. for every cell, the RQ jobs run (fan-out, deliver, sweep) per delivery, those still
     queued when the last event arrived, and CPU per delivery of the workers and of
     PostgreSQL.
After each cell: duplicates (a delivery id received twice) and events received out of their
order's order, which must both be 0.

The database comes from OMS_BENCH_DATABASE_URL + OMS_BENCH_REDIS_URL (the benchmark works in
its own database, `oms_bench_deliveries` by default, dropped and recreated), or else from a
throwaway PostgreSQL + Redis started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
import urllib.request
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg
from bench_common import (
    add_database_arguments,
    check_database_arguments,
    client_cpu,
    conninfo,
    cores,
    find_postmaster,
    free_port,
    log,
    machine_busy,
    machine_facts,
    percentile,
    recreate_database,
    server_cpu,
    services,
    tree_cpu,
)
from delivery_receiver import SECRET
from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from core.db import get_database
from integrations.outbound import service as outbound
from inventory import services as inventory
from inventory.ledger import Cause
from oms import orders
from oms.app import create_app
from oms.config import Settings
from oms.customers import SeenIdentity
from oms.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
RECEIVER = Path(__file__).resolve().parent / "delivery_receiver.py"
QUEUE = "webhooks"
SKUS = 10


class Receiver:
    """The receiver (bench/delivery_receiver.py) in a process of its own, so that it shares
    no interpreter with the load, and reading what it got."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, str(RECEIVER), str(self.port)], cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with suppress(OSError):
                self.fetch(10**9)
                return
            time.sleep(0.1)
        raise RuntimeError("the receiver did not come up")

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def fetch(self, start: int) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/receipts?from={start}",
                                    timeout=30) as resp:
            return json.loads(resp.read())

    def stop(self) -> None:
        self.proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()


# ---------------------------------------------------------------- workers

def worker_env(url: str, redis_url: str) -> dict[str, str]:
    """Default relay settings; inherited OMS_* variables dropped so that runs compare."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(OMS_DATABASE_URL=url, OMS_REDIS_URL=redis_url, OMS_LOG_LEVEL="WARNING",
               PYTHONUNBUFFERED="1")
    return env


class Workers:
    """N `oms worker --queues webhooks` processes, each in a process group of its own (RQ
    forks a scheduler process: stopping the group stops it too)."""

    def __init__(self, n: int, env: dict[str, str], redis: Redis, workdir: Path) -> None:
        self.redis = redis
        self.logs = [workdir / f"worker-{n}-{i}.log" for i in range(n)]
        self.procs = []
        for path in self.logs:
            with path.open("ab") as out:
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "oms", "worker",
                     "--queues", QUEUE], cwd=ROOT, env=env, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True))

    def wait_ready(self, timeout: float = 60.0) -> None:
        pids = {p.pid for p in self.procs}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker exited:\n{self.problems()}")
            registered = {w.pid for w in Worker.all(connection=self.redis)}
            if pids <= registered:
                return
            time.sleep(0.1)
        raise RuntimeError(f"workers not registered after {timeout:.0f} s")

    def cpu(self) -> float:
        return sum(tree_cpu(p.pid) for p in self.procs)

    def problems(self) -> str:
        lines = []
        for path in self.logs:
            lines += [ln for ln in path.read_text(errors="replace").splitlines()
                      if "Traceback" in ln or "ERROR" in ln or "Error" in ln]
        return "\n".join(lines[-20:])

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # RQ's warm shutdown
        for p in self.procs:
            with suppress(subprocess.TimeoutExpired):
                p.wait(timeout=15)
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)  # what is left of its group
            with suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)


# ---------------------------------------------------------------- load and sampling

ADDRESS = orders.Address(line1="1 Main St", city="New York", region="NY", postal_code="10001",
                         country="US", latitude=40.75, longitude=-73.99)


def seed() -> None:
    cause = Cause(actor="bench", reference="bench")
    inventory.create_location(dict(code="dc-bench", name="DC", kind="warehouse",
                                   latitude=40.73, longitude=-74.17, ships=True, pickup=False,
                                   priority=0))
    for k in range(SKUS):
        inventory.create_item(dict(sku=f"SKU-{k:02d}", name=f"Item {k}", price="19.99",
                                   weight_grams=500))
        inventory.receive(f"SKU-{k:02d}", "dc-bench", 1_000_000, cause)


def place(tag: str, n: int) -> None:
    orders.place_order(orders.PlaceOrder(
        channel="web", external_id=f"{tag}-{n}", currency="USD",
        lines=(orders.LineInput(f"SKU-{n % SKUS:02d}", 1, Decimal("19.99")),),
        method="ship", address=ADDRESS, customer=SeenIdentity(email=f"c{n % 500}@example.com"),
        actor="bench", source="bench"))


@dataclass
class Sample:
    at: float
    unfanned: int
    pending: int
    queued: int
    received: int


@dataclass
class Sampler:
    """Backlog every half second, on a thread, with its own connection."""

    url: str
    queue: Queue
    receiver: Receiver
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.t0 = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def read(self, conn: psycopg.Connection) -> Sample:
        unfanned, pending = conn.execute(
            "SELECT (SELECT count(*) FROM oms_outbox WHERE NOT delivered), "
            "(SELECT count(*) FROM integ_deliveries WHERE status = 'pending')").fetchone()
        return Sample(time.monotonic() - self.t0, unfanned, pending, self.queue.count,
                      self.receiver.fetch(10**9)["total"])

    def _run(self) -> None:
        with psycopg.connect(conninfo(self.url), autocommit=True) as conn:
            while not self._stop.wait(0.5):
                self.samples.append(self.read(conn))

    def stop(self) -> list[Sample]:
        self._stop.set()
        self.thread.join()
        return self.samples


def drained(url: str, first_event: int, receiver: Receiver, received_before: int) -> bool:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        unfanned, pending, expected = conn.execute(
            "SELECT (SELECT count(*) FROM oms_outbox WHERE NOT delivered), "
            "(SELECT count(*) FROM integ_deliveries WHERE status = 'pending'), "
            "(SELECT count(*) FROM integ_deliveries WHERE outbox_id >= %s)",
            (first_event,)).fetchone()
    got = receiver.fetch(10**9)["total"] - received_before
    return unfanned == 0 and pending == 0 and got >= expected


def wait_drained(url: str, first_event: int, receiver: Receiver, received_before: int,
                 workers: Workers, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if drained(url, first_event, receiver, received_before):
            return
        time.sleep(0.2)
    raise RuntimeError(f"not drained after {timeout:.0f} s:\n{workers.problems()}")


# ---------------------------------------------------------------- one cell's figures

@dataclass
class Cell:
    kind: str
    workers: int
    orders: int
    events: int
    deliveries: int
    window: float            # seconds, first commit (steady) / workers started (drain) -> last
    rate: float              # deliveries per second over `window`
    latency: list[float]     # commit -> received, seconds, sorted
    fanout: list[float]      # commit -> fanned out
    send: list[float]        # fanned out -> received
    samples: list[Sample]
    jobs: dict[str, int]     # RQ jobs finished, by function: fan_out, deliver, sweep
    left_over: int           # jobs still queued when the last event arrived (all no-ops)
    failed_jobs: int
    worker_cpu: float
    db_cpu: float
    duplicates: int
    out_of_order: int
    bad_signatures: int
    other_cores: float         # cores busy with anything but this benchmark (noise)
    offered: float = math.nan  # orders per second placed (steady)


def epoch(naive_utc: dt.datetime) -> float:
    return naive_utc.replace(tzinfo=dt.UTC).timestamp()


def analyse(url: str, first_event: int, receipts: list[list]) -> dict:
    """Latencies, duplicates and the order within each chain (an order's events) for the
    events from `first_event` on (one subscription: one delivery per event)."""
    with psycopg.connect(conninfo(url)) as conn:
        events = {event_id: ((aggregate, aggregate_id), committed, fanned)
                  for event_id, aggregate, aggregate_id, committed, fanned in conn.execute(
            "SELECT o.id, o.aggregate, o.aggregate_id, o.created_at, d.created_at "
            "FROM oms_outbox o JOIN integ_deliveries d ON d.outbox_id = o.id "
            "WHERE o.id >= %s", (first_event,))}
    seen: set[int] = set()
    duplicates = out_of_order = 0
    last_of_chain: dict[tuple[str, int], int] = defaultdict(int)  # per (aggregate, id)
    latency, fanout, send = [], [], []
    for delivery_id, event_id, at in receipts:
        if event_id not in events:
            continue
        if delivery_id in seen:
            duplicates += 1
            continue
        seen.add(delivery_id)
        chain, committed, fanned = events[event_id]
        if event_id < last_of_chain[chain]:
            out_of_order += 1
        last_of_chain[chain] = max(last_of_chain[chain], event_id)
        latency.append(at - epoch(committed))
        fanout.append(epoch(fanned) - epoch(committed))
        send.append(at - epoch(fanned))
    return {"events": len(events), "delivered": len(seen), "duplicates": duplicates,
            "out_of_order": out_of_order, "latency": sorted(latency),
            "fanout": sorted(fanout), "send": sorted(send)}


def topics_from(url: str, first_event: int) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("SELECT topic, count(*) FROM oms_outbox WHERE id >= %s "
                            "GROUP BY topic ORDER BY min(id)", (first_event,)).fetchall()
    return ", ".join(f"{topic} {n}" for topic, n in rows)


def max_event_id(url: str) -> int:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM oms_outbox").fetchone()[0]


@dataclass
class Rig:
    url: str
    redis: Redis
    env: dict[str, str]
    receiver: Receiver
    workdir: Path
    postmaster: int | None

    @property
    def queue(self) -> Queue:
        return Queue(QUEUE, connection=self.redis)

    def own_cpu(self) -> float:
        """CPU seconds of this process and the receiver (workers and PostgreSQL apart)."""
        return client_cpu() + tree_cpu(self.receiver.proc.pid)

    def finished_ids(self) -> set[str]:
        return set(FinishedJobRegistry(QUEUE, connection=self.redis).get_job_ids())

    def failed_count(self) -> int:
        return FailedJobRegistry(QUEUE, connection=self.redis).count

    def jobs_by_kind(self, ids: set[str]) -> dict[str, int]:
        """fan_out / deliver / sweep for these job ids."""
        kinds: dict[str, int] = defaultdict(int)
        for job in Job.fetch_many(sorted(ids), connection=self.redis):
            if job is not None:
                kinds[job.func_name.rsplit(".", 1)[-1]] += 1
        return dict(kinds)

    def wait_idle(self, timeout: float = 300.0) -> None:
        """Until the queue is empty and no job runs: what is left after the last delivery
        (duplicates, chain jobs that find their delivery done) is work too."""
        started = StartedJobRegistry(QUEUE, connection=self.redis)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue.count == 0 and started.count == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"the {QUEUE} queue is not idle after {timeout:.0f} s")


def run_cell(rig: Rig, kind: str, n: int, orders_wanted: int, rate: float | None,
             tag: str) -> Cell:
    """steady: workers up, orders at `rate`/s; drain: orders first, then the workers."""
    first_event = max_event_id(rig.url) + 1
    received_before = rig.receiver.fetch(10**9)["total"]
    workers = None
    placed_at = time.monotonic()
    if kind == "drain":
        for i in range(orders_wanted):
            place(tag, i)
        log(f"  placed {orders_wanted} orders with no worker running in "
            f"{time.monotonic() - placed_at:.1f} s; {rig.queue.count} jobs queued")
    try:
        finished_before, failed_before = rig.finished_ids(), rig.failed_count()
        workers = Workers(n, rig.env, rig.redis, rig.workdir)
        workers.wait_ready()
        cpu0 = (workers.cpu(), server_cpu(rig.postmaster), rig.own_cpu(), machine_busy())
        started = time.time()
        sampler = Sampler(rig.url, rig.queue, rig.receiver)
        offered = math.nan
        if kind == "steady":
            assert rate is not None
            t0 = time.monotonic()
            for i in range(orders_wanted):
                with suppress(ValueError):
                    time.sleep(t0 + i / rate - time.monotonic())
                place(tag, i)
            offered = orders_wanted / (time.monotonic() - t0)
        wait_drained(rig.url, first_event, rig.receiver, received_before, workers, 600)
        left_over = rig.queue.count
        rig.wait_idle()
        samples = sampler.stop()
        cpu1 = (workers.cpu(), server_cpu(rig.postmaster), rig.own_cpu(), machine_busy())
        jobs = rig.jobs_by_kind(rig.finished_ids() - finished_before)
        failed = rig.failed_count() - failed_before
        elapsed = time.time() - started
    finally:
        if workers is not None:
            workers.stop()
    got = rig.receiver.fetch(received_before)
    log(f"  {kind}, {n} worker(s): {orders_wanted} orders wrote "
        f"{topics_from(rig.url, first_event)}")
    found = analyse(rig.url, first_event, got["receipts"])
    times = [at for _d, _e, at in got["receipts"]]
    begin = min(times) if kind == "steady" else started
    window = max(times) - begin
    delivered = found["delivered"]
    ours = sum(cpu1[i] - cpu0[i] for i in range(3))
    other = (cpu1[3] - cpu0[3] - ours) / elapsed
    return Cell(kind, n, orders_wanted, found["events"], delivered, window,
                delivered / window if window > 0 else math.nan, found["latency"],
                found["fanout"], found["send"], samples, jobs, left_over, failed,
                cpu1[0] - cpu0[0], cpu1[1] - cpu0[1],
                found["duplicates"], found["out_of_order"], got["bad_signatures"], other,
                offered)


# ---------------------------------------------------------------- report

def ms(values: list[float], q: float) -> str:
    return "n/a" if not values else f"{percentile(values, q) * 1000:.0f}"


def per_delivery_ms(cpu: float, deliveries: int) -> str:
    return "n/a" if math.isnan(cpu) or not deliveries else f"{cpu / deliveries * 1000:.1f}"


def backlog(samples: list[Sample], attr: str) -> str:
    values = [getattr(s, attr) for s in samples]
    if not values:
        return "n/a"
    return f"{sum(values) / len(values):.0f} / {max(values)}"


def print_series(cell: Cell, every: float) -> None:
    log(f"  backlog while it ran ({cell.kind}, {cell.workers} worker(s); t = seconds since the "
        "workers were up):")
    log("      t   not fanned out   pending   RQ queue   received")
    next_at = 0.0
    for s in cell.samples:
        if s.at >= next_at:
            log(f"  {s.at:5.1f}   {s.unfanned:>14}   {s.pending:>7}   {s.queued:>8}   "
                f"{s.received:>8}")
            next_at = s.at + every
    if cell.samples:
        s = cell.samples[-1]
        log(f"  {s.at:5.1f}   {s.unfanned:>14}   {s.pending:>7}   {s.queued:>8}   "
            f"{s.received:>8}   (last)")


def report(cells: list[Cell]) -> None:
    log("")
    log("steady load (commit -> received, ms; backlog mean / max over the samples):")
    log("| workers | orders/s offered | events | delivered/s | per worker | p50 | p99 | max | "
        "fan-out p50/p99 | send p50/p99 | not fanned out | pending | RQ queue | other cores |")
    log("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|---|---:|")
    for c in (c for c in cells if c.kind == "steady"):
        log(f"| {c.workers} | {c.offered:.1f} | {c.events} | {c.rate:.1f} | "
            f"{c.rate / c.workers:.1f} | {ms(c.latency, 0.5)} | {ms(c.latency, 0.99)} | "
            f"{ms(c.latency, 1.0)} | {ms(c.fanout, 0.5)} / {ms(c.fanout, 0.99)} | "
            f"{ms(c.send, 0.5)} / {ms(c.send, 0.99)} | {backlog(c.samples, 'unfanned')} | "
            f"{backlog(c.samples, 'pending')} | {backlog(c.samples, 'queued')} | "
            f"{cores(c.other_cores)} |")
    log("")
    log("drain (a backlog placed with no worker running; seconds and rate from the workers' "
        "start to the last delivery):")
    log("| workers | deliveries | seconds | deliveries/s | per worker | max pending | "
        "max RQ queue | other cores |")
    log("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in (c for c in cells if c.kind == "drain"):
        log(f"| {c.workers} | {c.deliveries} | {c.window:.1f} | {c.rate:.1f} | "
            f"{c.rate / c.workers:.1f} | {max((s.pending for s in c.samples), default=0)} | "
            f"{max((s.queued for s in c.samples), default=0)} | {cores(c.other_cores)} |")
    log("")
    log("RQ jobs run and CPU, until the queue was idle (PostgreSQL CPU of the steady cells "
        "includes placing the orders):")
    log("| cell | workers | deliveries | fan_out jobs | deliver jobs | sweep jobs | "
        "jobs per delivery | queued after the last delivery | worker CPU ms/delivery | "
        "PostgreSQL CPU ms/delivery |")
    log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cells:
        log(f"| {c.kind} | {c.workers} | {c.deliveries} | {c.jobs.get('fan_out', 0)} | "
            f"{c.jobs.get('deliver', 0)} | {c.jobs.get('sweep', 0)} | "
            f"{sum(c.jobs.values()) / max(c.deliveries, 1):.2f} | {c.left_over} | "
            f"{per_delivery_ms(c.worker_cpu, c.deliveries)} | "
            f"{per_delivery_ms(c.db_cpu, c.deliveries)} |")
    log("")
    log("checks: " + "; ".join(
        f"{c.kind}/{c.workers}: {c.deliveries}/{c.events} delivered, {c.duplicates} duplicates, "
        f"{c.out_of_order} out of order, {c.bad_signatures} bad signatures, "
        f"{c.failed_jobs} failed jobs" for c in cells))


# ---------------------------------------------------------------- main

def run(server: str, redis_url: str, args: argparse.Namespace, workdir: Path) -> list[Cell]:
    url = recreate_database(server, args.db_name)
    for line in machine_facts(url, ("max_connections", "shared_buffers", "synchronous_commit",
                                    "fsync")):
        log(line)
    upgrade(url)
    redis = Redis.from_url(redis_url)
    if Queue(QUEUE, connection=redis).count:
        raise SystemExit(f"the {QUEUE} queue of {redis_url} is not empty: another OMS uses it")
    create_app(Settings(database_url=url, redis_url=redis_url, embedded_worker=False,
                        log_level="WARNING"))  # this process queues on Redis, as the web app
    seed()
    receiver = Receiver()
    try:
        outbound.create_subscription({"url": receiver.url(), "topics": ["*"],
                                      "secret": SECRET}, actor="bench")
        rig = Rig(url, redis, worker_env(url, redis_url), receiver, workdir,
                  find_postmaster(url))
        log(f"workers: {sys.executable} -m flask --app wsgi oms worker --queues {QUEUE} "
            "(default relay settings, sweep every 30 s); receiver: its own process, "
            "ThreadingHTTPServer, HTTP/1.1 keep-alive")
        cells = []
        for n in args.workers:
            log("")
            log(f"== {n} worker(s): steady {args.rate:g} orders/s for "
                f"{args.orders / args.rate:.0f} s, then a backlog of {args.backlog} orders")
            cpu0 = client_cpu()
            steady = run_cell(rig, "steady", n, args.orders, args.rate, f"s{n}")
            log(f"  placing: {(client_cpu() - cpu0) / args.orders * 1000:.1f} ms of this "
                f"process's CPU per order (place_order and the sampler)")
            print_series(steady, every=max(1.0, args.orders / args.rate / 10))
            drain = run_cell(rig, "drain", n, args.backlog, None, f"d{n}")
            print_series(drain, every=max(1.0, drain.window / 10))
            cells += [steady, drain]
        return cells
    finally:
        receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 s of steady load and a backlog of 150 orders")
    parser.add_argument("--rate", type=float, default=15.0,
                        help="orders per second in the steady cells")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long the steady cells place orders")
    parser.add_argument("--backlog", type=int, default=500,
                        help="orders placed before the workers start in the drain cells")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    add_database_arguments(parser, "oms_bench_deliveries")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    if args.quick:
        args.seconds, args.backlog = 10.0, 150
    args.orders = max(1, round(args.rate * args.seconds))
    args.workers = [int(w) for w in args.workers.split(",")]
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="oms-deliveries-bench-"))
    keep_logs = True  # the workers' logs are kept when something went wrong
    try:
        with services(args.keep_db, args.db_name) as svc:
            if not svc.redis:
                raise SystemExit("needs Redis: set OMS_BENCH_REDIS_URL with "
                                 "OMS_BENCH_DATABASE_URL")
            try:
                cells = run(svc.server, svc.redis, args, workdir)
            finally:
                with suppress(RuntimeError):
                    get_database().dispose()
        report(cells)
        keep_logs = any("Traceback" in path.read_text(errors="replace")
                        for path in workdir.glob("*.log"))
    finally:
        if keep_logs:
            log(f"worker logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
