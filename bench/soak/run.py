"""The Black-Friday soak (issue 15; bench/soak/README.md): the whole OMS as separate processes
(scripts/cluster.py: PostgreSQL primary + streaming replica, Redis, two gunicorn webs behind
haproxy, two RQ workers, one scheduler), a Locust mix of a busy retail day through the load
balancer (bench/soak/locustfile.py), faults along the way, schemathesis against the same
balancer, then a drain and the checks that must come out zero.

    .venv/bin/python bench/soak/run.py --duration 600            # by hand: 10 minutes, 30 users
    .venv/bin/python bench/soak/run.py --duration 90 --users 12  # a quick look

Prints the phase table (orders accepted per second and p50/p99, before / during / after each
fault), per-endpoint latencies, and the zeros: oversold units, ledger drift (`flask inventory
verify`), order-line drift (`flask oms verify`), lost and duplicated orders, failed Shopify
events, undelivered outbox events and deliveries after the drain, deliveries the database calls
delivered that the subscriber never received, unexplained 5xx and unexpected 4xx. Exit status 1
if any of them is not zero. Everything the run wrote (cluster logs, Locust's CSVs, the
requests and facts the users recorded, report.txt and report.json) stays under --dir.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from redis import Redis
from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from cluster import Cluster  # noqa: E402

VENV_BIN = Path(sys.executable).parent
HOT_SKU = "NW-SOAK-HOT-1"
SUBSCRIBER_SECRET = "soak-subscriber-secret"
SHOP_SECRET = "soak-shop-secret"
DCS = ["dc-columbus", "dc-dallas", "dc-reno"]
# Stores with their own staff key in the mix (pickups, returns desk); the others are worked
# now and then by a regional key with all of them.
STAFFED = ["store-nyc-soho", "store-chi-michigan-ave", "store-la-the-grove",
           "store-sea-downtown", "store-bos-newbury-st", "store-sf-union-square"]
POS_STORES = [*STAFFED, "store-atl-ponce-city", "store-den-cherry-creek", "store-mia-brickell"]
SHOPIFY_TILL = {"1001": "store-nyc-soho"}

# The cluster's settings for the soak, on top of the cluster's own. Why each:
SOAK_ENV = {
    # The drain waits until every delivery is delivered. After the subscriber was down for
    # minutes, the default backoff (up to an hour between attempts) would make the drain wait
    # for the backoff, not for the system; 20 s keeps retrying through the outage just as
    # surely (the budget is attempts and age, both left at their defaults).
    "OMS_DELIVERY_MAX_BACKOFF_SECONDS": "20",
    # The sweep re-creates lost jobs (Redis restarted empty); every 10 s instead of 30 s so
    # the suite's short soak drains in seconds.
    "OMS_DELIVERY_SWEEP_SECONDS": "10",
    "OMS_LOG_FORMAT": "json",
}
QUEUES = ("high", "default", "webhooks", "low")


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ the subscriber process
class Subscriber:
    """bench/soak/receiver.py on a loopback port; stopped and started as a fault."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.file = directory / "received.txt"
        self.log = directory / "receiver.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(HERE / "receiver.py"), str(self.port), str(self.file),
                 SUBSCRIBER_SECRET], stdout=out, stderr=out)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the subscriber did not start; read {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()  # as abrupt as an outage
            self.proc.wait()
        self.proc = None

    def received(self) -> Counter[int]:
        """Delivery id -> times received."""
        if not self.file.exists():
            return Counter()
        return Counter(int(line.split()[0]) for line in self.file.read_text().splitlines()
                       if line.strip())


# ------------------------------------------------------------------ setting the stage
@dataclass
class Stage:
    admin: str
    config: dict[str, Any]
    received: Counter[str] = field(default_factory=Counter)  # units received per SKU (2xx)


def prepare(cluster: Any, directory: Path, subscriber: Subscriber, *, hot_units: int,
            hot_share: float, skus: int, run_id: str) -> Stage:
    """What the mix needs, made the way an operator would: keys per role and location, the
    hot SKU with little stock, a Shopify shop with its secret and till, a webhook subscriber."""
    admin = cluster.api_key("admin")
    base = cluster.lb_url.rstrip("/") + "/api/v1"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {admin}"

    def must(method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = session.request(method, base + path, json=body, params=params or None,
                                   timeout=30)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    wanted: dict[str, tuple[str, list[str] | None, str | None]] = {
        "web": ("channel", None, "web"), "marketplace": ("channel", None, "marketplace"),
        "pos": ("channel", None, "pos"), "cs": ("cs", None, None),
        "regional": ("store", [s for s in POS_STORES if s not in STAFFED]
                     + _other_stores(must), None)}
    for dc in DCS:
        wanted[f"wms:{dc}"] = ("wms", [dc], None)
    for store in STAFFED:
        wanted[f"store:{store}"] = ("store", [store], None)
    # Each key is a `flask oms create-api-key` process (~1.5 s of CPU): four at a time.
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = dict(zip(wanted, pool.map(lambda spec: cluster.api_key(*spec), wanted.values()),
                        strict=True))
    if set(made) != set(wanted):
        raise RuntimeError(f"keys not made: {sorted(set(wanted) - set(made))}")
    keys: dict[str, Any] = {"wms": {}, "store": {}}
    for name, key in made.items():
        role, _, where = name.partition(":")
        if where:
            keys[role][where] = key
        else:
            keys[name] = key

    stage = Stage(admin, {})
    # The hot SKU: a few units at one warehouse and the SoHo shelf, sold out mid-run.
    if session.get(f"{base}/items/{HOT_SKU}", timeout=30).status_code == 404:
        must("POST", "/items", {"sku": HOT_SKU, "name": "Doorbuster Parka (soak hot SKU)",
                                "price": "59.00", "weight_grams": 1200})
    at_store = min(3, hot_units // 4)
    for location, quantity in (("dc-columbus", hot_units - at_store),
                               ("store-nyc-soho", at_store)):
        if quantity:
            must("POST", "/stock/movements", {"sku": HOT_SKU, "location": location,
                                              "kind": "receipt", "quantity": quantity,
                                              "reference": f"soak {run_id}"})
            stage.received[HOT_SKU] += quantity
    # The catalogue the mix sells from: the demo's SKUs with the most units in the network.
    items, cursor = [], None
    while True:
        page = must("GET", "/items", limit=500, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    prices = {item["sku"]: item["price"] for item in items}
    demo = sorted(sku for sku in prices if sku != HOT_SKU)
    chosen = demo[:: max(1, len(demo) // skus)][:skus]

    domain = f"soak-{run_id}.myshopify.com"
    cluster.flask("integrations", "shopify", "add-shop", domain, "--secret", SHOP_SECRET,
                  *[arg for sid, code in SHOPIFY_TILL.items()
                    for arg in ("--location", f"{sid}={code}")])
    subscriber.start()
    must("POST", "/subscriptions", {"url": subscriber.url, "topics": ["*"],
                                    "secret": SUBSCRIBER_SECRET,
                                    "description": "soak subscriber (bench/soak/receiver.py)"})
    stage.config = {
        "run_id": run_id, "record_dir": str(directory / "records"), "keys": keys,
        "dcs": DCS, "staffed": STAFFED, "pos_stores": POS_STORES,
        "other_stores": [s for s in _other_stores(must) if s not in STAFFED],
        "skus": chosen, "prices": prices, "hot_sku": HOT_SKU, "hot_share": hot_share,
        "shop": {"domain": domain, "secret": SHOP_SECRET},
        "shopify_base": 7_000_000_000_000,
    }
    return stage


def _other_stores(must: Callable[..., Any]) -> list[str]:
    stores = must("GET", "/locations", kind="store")
    stores = stores["items"] if isinstance(stores, dict) else stores
    return sorted(s["code"] for s in stores if s["code"] not in STAFFED)


# ------------------------------------------------------------------ faults
@dataclass
class Fault:
    name: str
    start: float
    end: float | None = None
    note: str = ""


class Timeline:
    """The faults, each at a fraction of the run: begin(), then end() (the "during" window).
    A fault that is one action (a restart) ends when the action returned."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.errors: list[str] = []

    def run(self, name: str, action: Callable[[], Any]) -> Fault:
        fault = Fault(name, time.time())
        log(f"fault: {name}")
        try:
            result = action()
            if result:
                fault.note = str(result)
        except Exception as exc:
            fault.note = f"FAILED: {exc!r}"[:300]
            self.errors.append(f"{name}: {exc!r}"[:300])
        fault.end = time.time()
        self.faults.append(fault)
        return fault

    def begin(self, name: str, action: Callable[[], Any]) -> Fault:
        fault = self.run(name, action)
        fault.end = None
        return fault

    def end(self, fault: Fault, name: str, action: Callable[[], Any]) -> None:
        log(f"fault over: {name}")
        try:
            action()
        except Exception as exc:
            fault.note += f" recovery FAILED: {exc!r}"[:300]
            self.errors.append(f"{name}: {exc!r}"[:300])
        fault.end = time.time()


def fault_plan(cluster: Any, subscriber: Subscriber
               ) -> list[tuple[float, str, Callable[[Timeline], None]]]:
    """(fraction of the run, what, how). Spread so that each has a quiet stretch before and
    after it, except the subscriber's outage, which lasts minutes in a 10-minute run and
    spans the PostgreSQL restart on purpose (deliveries pile up while the database blinks)."""
    held: dict[str, Fault] = {}

    def begin(name: str, action: Callable[[], Any]) -> Callable[[Timeline], None]:
        return lambda tl: held.__setitem__(name, tl.begin(name, action))

    def end(name: str, action: Callable[[], Any]) -> Callable[[Timeline], None]:
        return lambda tl: tl.end(held[name], name, action)

    return [
        (0.10, "web 0 killed", begin("web 0 killed", lambda: cluster.kill_web(0))),
        (0.17, "web 0 back", end("web 0 killed", lambda: cluster.start_web(0))),
        (0.24, "worker 0 SIGKILLed", begin("worker 0 SIGKILLed", lambda: cluster.kill_worker(0))),
        (0.29, "worker 0 back", end("worker 0 SIGKILLed", lambda: cluster.start_worker(0))),
        (0.36, "Redis restarted empty", lambda tl: tl.run("Redis restarted empty",
                                                          cluster.restart_redis)),
        (0.43, "replica stopped", begin("replica stopped", cluster.stop_replica)),
        (0.50, "replica back", end("replica stopped", cluster.start_replica)),
        (0.55, "subscriber down", begin("subscriber down", subscriber.stop)),
        (0.66, "PostgreSQL restarted", lambda tl: tl.run("PostgreSQL restarted",
                                                         cluster.restart_postgres)),
        (0.78, "subscriber back", end("subscriber down", subscriber.start)),
    ]


# ------------------------------------------------------------------ the load
def run_locust(cluster: Any, directory: Path, config_path: Path, *, users: int,
               spawn_rate: float, duration: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SOAK_CONFIG=str(config_path), PYTHONUNBUFFERED="1")
    out = (directory / "locust.log").open("ab")
    return subprocess.Popen(
        [str(VENV_BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
         "--host", cluster.lb_url.rstrip("/"), "-u", str(users), "-r", str(spawn_rate),
         "-t", f"{int(duration)}s", "--stop-timeout", "10", "--csv", str(directory / "locust"),
         "--csv-full-history", "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],
        env=env, stdout=out, stderr=out, cwd=str(ROOT))


def run_fuzz(cluster: Any, admin: str, directory: Path, examples: int) -> threading.Thread:
    out_file = directory / "schemathesis.json"

    def work() -> None:
        with (directory / "schemathesis.log").open("ab") as out:
            subprocess.run([sys.executable, str(HERE / "fuzz.py"), cluster.lb_url, admin,
                            "--examples", str(examples), "--out", str(out_file)],
                           stdout=out, stderr=out, check=False, timeout=900)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


# ------------------------------------------------------------------ the drain
def pending_work(engine: Any, redis_url: str) -> dict[str, int]:
    """What is still to do: RQ queues, outbox rows not fanned out, deliveries not delivered,
    Shopify events not processed."""
    counts: dict[str, int] = {}
    try:
        redis = Redis.from_url(redis_url, socket_timeout=2)
        counts["rq jobs queued"] = sum(int(redis.llen(f"rq:queue:{q}")) for q in QUEUES)
    except Exception:
        counts["rq jobs queued"] = -1
    with engine.connect() as conn:
        counts["outbox rows not fanned out"] = conn.scalar(text(
            "SELECT count(*) FROM oms_outbox WHERE NOT delivered"))
        counts["deliveries pending"] = conn.scalar(text(
            "SELECT count(*) FROM integ_deliveries WHERE status = 'pending'"))
        counts["Shopify events not processed"] = conn.scalar(text(
            "SELECT count(*) FROM integ_inbound_events WHERE status = 'received'"))
    return counts


def drain(engine: Any, redis_url: str, timeout: float) -> tuple[float, dict[str, int]]:
    started = time.monotonic()
    counts: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        try:
            counts = pending_work(engine, redis_url)
        except Exception as exc:
            counts = {"database": -1}
            log(f"drain: {exc!r}"[:200])
        if all(v == 0 for v in counts.values()):
            return time.monotonic() - started, counts
        time.sleep(1)
    return time.monotonic() - started, counts


# ------------------------------------------------------------------ the checks
OVERSOLD_SQL = """
WITH per_location AS (   -- what the movements say each shelf held, independently of balances
    SELECT item_id, location_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
    FROM inv_movements GROUP BY item_id, location_id),
shelves AS (
    SELECT item_id, SUM(GREATEST(0, -on_hand) + GREATEST(0, reserved - GREATEST(on_hand, 0)))
           AS over FROM per_location GROUP BY item_id),
came_in AS (             -- units that entered the network (receipts, counts, returns, ...)
    SELECT item_id, SUM(on_hand_delta) AS units FROM inv_movements
    WHERE kind NOT IN ('shipment', 'transfer_out', 'transfer_in', 'reservation', 'release')
    GROUP BY item_id),
promised AS (            -- units handed over, reserved, or travelling for a demand
    SELECT item_id, SUM(units) AS units FROM (
        SELECT item_id, -SUM(on_hand_delta) AS units FROM inv_movements
        WHERE kind = 'shipment' GROUP BY item_id
        UNION ALL SELECT item_id, SUM(quantity) FROM inv_reservations GROUP BY item_id
        UNION ALL SELECT item_id, SUM(carried_quantity) FROM inv_transfers GROUP BY item_id
    ) parts GROUP BY item_id),
orders AS (              -- units the order lines say are allocated or handed over
    SELECT i.id AS item_id, SUM(l.allocated + l.fulfilled) AS units
    FROM oms_order_lines l JOIN inv_items i ON i.sku = l.sku GROUP BY i.id)
SELECT i.sku, COALESCE(c.units, 0), COALESCE(p.units, 0), COALESCE(o.units, 0),
       COALESCE(s.over, 0)
FROM inv_items i LEFT JOIN came_in c ON c.item_id = i.id LEFT JOIN promised p ON p.item_id = i.id
LEFT JOIN orders o ON o.item_id = i.id LEFT JOIN shelves s ON s.item_id = i.id
WHERE COALESCE(p.units, 0) > COALESCE(c.units, 0) OR COALESCE(o.units, 0) > COALESCE(c.units, 0)
   OR COALESCE(s.over, 0) > 0 OR i.sku = :hot
"""


def oversold(engine: Any) -> tuple[int, list[str], dict[str, int]]:
    """Units promised or handed over beyond what came in, per SKU (by the ledger's movements
    and, separately, by the order lines), plus any shelf that went below zero or promised more
    than it held, by its movements (the balances' CHECKs forbid it; this counts without
    trusting them)."""
    total, lines, hot = 0, [], {}
    with engine.connect() as conn:
        for sku, came_in, promised, ordered, shelf in conn.execute(text(OVERSOLD_SQL),
                                                                   {"hot": HOT_SKU}):
            over = int(max(0, promised - came_in, ordered - came_in) + shelf)
            if sku == HOT_SKU:
                hot = {"came_in": int(came_in), "handed_over_or_held": int(promised),
                       "order_lines_allocated_or_fulfilled": int(ordered),
                       "oversold": int(over)}
            if over:
                total += over
                lines.append(f"{sku}: came in {came_in}, ledger promised {promised}, order "
                             f"lines {ordered}, shelves over {shelf}")
    return total, lines, hot


def read_jsonl(paths: Iterable[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        for line in path.read_text().splitlines():
            if line.strip():
                with suppress(ValueError):  # a line cut by the end of the run
                    rows.append(json.loads(line))
    return rows


def orders_check(engine: Any, facts: list[dict[str, Any]], run_id: str, shop: str
                 ) -> dict[str, Any]:
    """The client's record against the database: every order a client was told was accepted
    is there, once; every Shopify order whose delivery was acknowledged is there, once (or
    was kept out by a cancellation that overtook it, as Shopify's rules say)."""
    rest = {(f["channel"], f["external_id"]): f for f in facts if f["fact"] == "order"}
    unknown = {(f["channel"], f["external_id"]) for f in facts if f["fact"] == "order_unknown"}
    shopify = {f"{shop}/{f['shopify_id']}" for f in facts if f["fact"] == "shopify_order"}
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT channel, external_id, count(*), min(id) FROM oms_orders "
            "WHERE external_id LIKE :rest OR external_id LIKE :shop "
            "GROUP BY channel, external_id"),
            {"rest": f"{run_id}-%", "shop": f"{shop}/%"}).all()
        ignored = {r[0] for r in conn.execute(text(
            "SELECT resource_id FROM integ_inbound_events WHERE topic = 'orders/create' "
            "AND status = 'ignored' AND shop_domain = :shop"), {"shop": shop})}
        by_id = {(channel, ext): oid for channel, ext, _, oid in rows}
        mismatched = [key for key, f in rest.items()
                      if key in by_id and by_id[key] != f["order_id"]]
    in_db = {(channel, ext) for channel, ext, _, _ in rows}
    doubled = [f"{c}/{e} x{n}" for c, e, n, _ in rows if n > 1]
    lost_rest = sorted(f"{c}/{e}" for c, e in set(rest) - in_db)
    shop_in_db = {ext for channel, ext in in_db if channel == "shopify"}
    lost_shopify = sorted(ext for ext in shopify - shop_in_db
                          if ext.split("/", 1)[1] not in ignored)
    return {"accepted_rest": len(rest), "acknowledged_shopify": len(shopify),
            "lost": lost_rest + lost_shopify, "duplicated": doubled,
            "answered_with_another_order": mismatched,
            "never_answered": len(unknown),
            "never_answered_but_committed": len(unknown & in_db)}


def deliveries_check(engine: Any, subscriber: Subscriber) -> dict[str, Any]:
    received = subscriber.received()
    with engine.connect() as conn:
        statuses = dict(conn.execute(text(
            "SELECT status, count(*) FROM integ_deliveries GROUP BY status")).all())
        delivered = {r[0] for r in conn.execute(text(
            "SELECT d.id FROM integ_deliveries d JOIN integ_subscriptions s "
            "ON s.id = d.subscription_id WHERE d.status = 'delivered' AND s.url = :url"),
            {"url": subscriber.url})}
        not_fanned = conn.scalar(text("SELECT count(*) FROM oms_outbox WHERE NOT delivered"))
        failed_events = conn.scalar(text(
            "SELECT count(*) FROM integ_inbound_events WHERE status = 'failed'"))
    return {"statuses": statuses, "outbox_not_fanned_out": not_fanned,
            "undelivered": statuses.get("pending", 0) + statuses.get("failed", 0),
            "delivered_never_received": len(delivered - set(received)),
            "received": sum(received.values()),
            "received_twice": sum(1 for n in received.values() if n > 1),
            "failed_shopify_events": failed_events}


def verify(cluster: Any, group: str) -> tuple[int, str]:
    result = cluster.flask(group, "verify", check=False)
    output = (result.stdout or "") + (result.stderr or "")
    # The commands exit 1 on drift and print one line per drift; the count is what the
    # report wants (a crash of the command itself counts as one).
    if result.returncode == 0:
        return 0, output.strip()[-300:]
    drifts = [ln for ln in output.splitlines() if ln.strip() and not ln.startswith("{")]
    return max(1, len(drifts) - 1), output.strip()[-2000:]


# ------------------------------------------------------------------ 5xx by cause
FAULT_GRACE = 20.0     # seconds after a fault ends during which its after-effects are expected
FAULT_STATUSES = {0, 502, 503, 504}   # the balancer or the app saying "not now", never a 500
_ID = re.compile(r"/\d+")


def fault_at(faults: list[Fault], t: float) -> Fault | None:
    """The fault on at `t` (or in its grace period); of overlapping ones, the latest begun."""
    for fault in sorted(faults, key=lambda f: f.start, reverse=True):
        end = fault.end if fault.end is not None else float("inf")
        if fault.start - 2 <= t <= end + FAULT_GRACE:
            return fault
    return None


# haproxy's `option httplog` line (log stdout format raw): client [date] frontend backend/server
# Tq/Tw/Tc/Tr/Ta status bytes cookies cookies termination-state ... "METHOD URI HTTP/1.1"
HAPROXY_LINE = re.compile(
    r'\[(?P<date>[^\]]+)\] \S+ \S+/(?P<server>\S+) \S+ (?P<status>\d{3}) \S+ \S+ \S+ '
    r'(?P<state>\S{4}) .*"(?P<method>[A-Z]+) (?P<uri>\S+)')


def haproxy_errors(path: Path) -> list[tuple[float, str, str, int, str, str]]:
    """(epoch, method, route, status, server, termination state) of each 5xx haproxy logged."""
    rows: list[tuple[float, str, str, int, str, str]] = []
    if not path.exists():
        return rows
    for line in path.read_text(errors="replace").splitlines():
        found = HAPROXY_LINE.search(line)
        if not found or not found["status"].startswith("5"):
            continue
        when = dt.datetime.strptime(found["date"], "%d/%b/%Y:%H:%M:%S.%f").replace(
            tzinfo=dt.UTC).timestamp()  # the cluster's processes log in UTC (TZ of the host)
        route = _ID.sub("/{id}", found["uri"].split("?", 1)[0])
        rows.append((when, found["method"], route, int(found["status"]), found["server"],
                     found["state"]))
    return rows


def five_xx_by_cause(requests_rows: list[dict[str, Any]], faults: list[Fault], logs: Path
                     ) -> tuple[list[tuple[str, int, str]], int]:
    """Groups client-side 5xx / no answer by endpoint, status and fault; the web processes'
    error lines (JSON, status >= 500) by route and exception. Returns (rows, unexplained):
    a 0/502/503/504 while a fault (or its grace period) is on is that fault's expected effect;
    anything else (a 500, or any 5xx with no fault on) is a defect."""
    groups: Counter[tuple[str, str, str]] = Counter()
    unexplained = 0
    for row in requests_rows:
        if row.get("kind") != "error":
            continue
        fault = fault_at(faults, row["t"])
        expected = fault is not None and row["status"] in FAULT_STATUSES
        if not expected:
            unexplained += 1
        cause = (f"expected: {fault.name}" if expected else
                 f"DEFECT: {(row.get('error') or '')[:120]}")
        groups[(f"client {row['name']}", str(row["status"] or "no answer"), cause)] += 1
    for when, method, route, status, server, state in haproxy_errors(logs / "haproxy.log"):
        fault = fault_at(faults, when)
        cause = (f"expected: {fault.name}" if fault is not None and status in FAULT_STATUSES
                 else "DEFECT")
        # The balancer's view of the same requests (and of schemathesis's): not counted again,
        # but its termination state says who gave up (e.g. SH: the server aborted the answer,
        # SC: the connection to it failed; haproxy's "Session state at disconnection").
        groups[(f"haproxy {method} {route} ({server}, {state})", str(status), cause)] += 1
    for path in sorted(logs.glob("web*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{") or '"status": 5' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if int(entry.get("status") or 0) < 500:
                continue
            exc = (entry.get("exc_info") or "").strip().splitlines()
            what = exc[-1][:140] if exc else entry.get("message", "")[:140]
            route = f"{entry.get('method', '')} {_ID.sub('/{id}', str(entry.get('path', '')))}"
            groups[(f"{path.stem} {route}", str(entry.get("status")),
                    f"{entry.get('level')}: {what}")] += 1
    return [(f"{a} -> {b}: {c}", n, c) for (a, b, c), n in groups.most_common()], unexplained


# ------------------------------------------------------------------ figures
def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _ms(value: float | None) -> float | str:
    return "-" if value is None else round(value, 1)


def window_stats(rows: list[dict[str, Any]], accepted: list[float], start: float, end: float
                 ) -> dict[str, Any]:
    inside = [r for r in rows if start <= r["t"] < end]
    seconds = max(end - start, 1e-9)
    ms = [r["ms"] for r in inside if r.get("kind") in ("ok", "expected")]
    return {"seconds": round(seconds, 1),
            "orders_per_s": round(sum(1 for t in accepted if start <= t < end) / seconds, 2),
            "requests_per_s": round(len(inside) / seconds, 1),
            "p50_ms": _ms(pct(ms, 0.5)), "p99_ms": _ms(pct(ms, 0.99)),
            "errors": sum(1 for r in inside if r.get("kind") == "error")}


def phase_table(rows: list[dict[str, Any]], accepted: list[float], faults: list[Fault],
                t0: float, t_end: float) -> list[dict[str, Any]]:
    """Before / during / after each fault. `before` is the stretch since the previous fault
    ended (or the start), capped at the fault's own length or 60 s; `after` the same length
    after it ended."""
    table = []
    previous_end = t0
    for fault in sorted(faults, key=lambda f: f.start):
        end = fault.end or t_end
        length = min(max(end - fault.start, 15.0), 60.0)
        before = (max(previous_end, fault.start - length), fault.start)
        during = (fault.start, max(end, fault.start + 1))
        after = (during[1], min(t_end, during[1] + length))
        for label, (a, b) in (("before", before), ("during", during), ("after", after)):
            if b > a:
                table.append({"fault": fault.name, "phase": label, **window_stats(
                    rows, accepted, a, b)})
        previous_end = during[1]
    return table


def endpoint_table(rows: list[dict[str, Any]], windows: dict[str, tuple[float, float]]
                   ) -> list[dict[str, Any]]:
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_name[r["name"]].append(r)
    table = []
    for name in sorted(by_name):
        entry: dict[str, Any] = {"endpoint": name, "requests": len(by_name[name])}
        for label, (a, b) in windows.items():
            ms = [r["ms"] for r in by_name[name]
                  if a <= r["t"] < b and r.get("kind") in ("ok", "expected")]
            entry[label] = (_ms(pct(ms, 0.5)), _ms(pct(ms, 0.99)), len(ms))
        table.append(entry)
    return table


# ------------------------------------------------------------------ the whole run
@dataclass
class Report:
    zeros: dict[str, int]
    figures: dict[str, Any]
    text: str

    @property
    def ok(self) -> bool:
        return all(v == 0 for v in self.zeros.values())


def soak(directory: Path, *, duration: float = 600, users: int = 30, spawn_rate: float = 5,
         hot_units: int | None = None, hot_share: float = 0.08, skus: int = 60,
         fuzz_examples: int = 5, drain_timeout: float = 300, faults: bool = True,
         web_workers: int = 2, keep: bool = False) -> Report:
    """Start a cluster under `directory`, run the mix with the faults, drain, check, stop the
    cluster (unless `keep`), return the report (also written to directory/report.txt|json)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    run_id = uuid.uuid4().hex[:6]
    hot_units = hot_units if hot_units is not None else max(8, int(duration / 12))
    cluster = Cluster(directory / "cluster", webs=2, workers=2, web_workers=web_workers,
                      env=dict(SOAK_ENV))
    subscriber = Subscriber(directory)
    timeline = Timeline()
    started_at = time.monotonic()
    try:
        log(f"starting the cluster under {directory / 'cluster'}")
        cluster.start()
        log(f"cluster up in {time.monotonic() - started_at:.0f} s at {cluster.lb_url}")
        stage = prepare(cluster, directory, subscriber, hot_units=hot_units,
                        hot_share=hot_share, skus=skus, run_id=run_id)
        config_path = directory / "config.json"
        config_path.write_text(json.dumps(stage.config, indent=1))
        log(f"stage set in {time.monotonic() - started_at:.0f} s: {users} users for "
            f"{duration:.0f} s, hot SKU {HOT_SKU} with {hot_units} units")
        t0 = time.time()
        locust = run_locust(cluster, directory, config_path, users=users,
                            spawn_rate=spawn_rate, duration=duration)
        fuzz = run_fuzz(cluster, stage.admin, directory, fuzz_examples) \
            if fuzz_examples else None
        for fraction, _what, action in (fault_plan(cluster, subscriber) if faults else []):
            wait = t0 + fraction * duration - time.time()
            if wait > 0:
                time.sleep(wait)
            if locust.poll() is not None:
                log(f"locust ended early (exit {locust.returncode}); read "
                    f"{directory / 'locust.log'}")
                break
            action(timeline)
        try:
            locust.wait(timeout=duration + 120)
        except subprocess.TimeoutExpired:
            locust.send_signal(signal.SIGTERM)
            locust.wait(timeout=30)
        t_end = time.time()
        if subscriber.proc is None:  # the load ended before the outage did
            subscriber.start()
        if fuzz is not None:
            fuzz.join(timeout=600)
        log("load stopped; draining")
        engine = create_engine(cluster.database_url, pool_pre_ping=True)
        drained, left = drain(engine, cluster.redis_url, drain_timeout)
        log(f"drained in {drained:.0f} s: {left}")
        return _report(cluster, directory, stage, subscriber, engine, timeline, t0, t_end,
                       drained, left, duration, users, hot_units, run_id)
    finally:
        subscriber.stop()
        if not keep:
            cluster.stop()


def _report(cluster: Any, directory: Path, stage: Stage, subscriber: Subscriber, engine: Any,
            timeline: Timeline, t0: float, t_end: float, drained: float,
            left: dict[str, int], duration: float, users: int, hot_units: int,
            run_id: str) -> Report:
    records = directory / "records"
    rows = read_jsonl(sorted(records.glob("requests-*.jsonl")))
    facts = read_jsonl(sorted(records.glob("facts-*.jsonl")))
    accepted = sorted(f["t"] for f in facts if f["fact"] in ("order", "shopify_order"))
    over, over_lines, hot = oversold(engine)
    inventory_drift, inventory_out = verify(cluster, "inventory")
    oms_drift, oms_out = verify(cluster, "oms")
    orders = orders_check(engine, facts, run_id, stage.config["shop"]["domain"])
    deliveries = deliveries_check(engine, subscriber)
    causes, unexplained = five_xx_by_cause(rows, timeline.faults, cluster.logs)
    fuzz_path = directory / "schemathesis.json"
    fuzz = json.loads(fuzz_path.read_text()) if fuzz_path.exists() else None
    unexpected = [r for r in rows if r.get("kind") == "unexpected"]
    expected = Counter(f"{r['name']} {r['status']}: {r.get('why')}" for r in rows
                       if r.get("kind") == "expected")
    hot_backordered = [f for f in facts if f["fact"] == "order" and f.get("hot_units")
                       and f.get("hot_allocated", 0) < f["hot_units"]]
    # Sold out: the first order for it that the network could not fill (backordered).
    sold_out = min((f["t"] for f in hot_backordered), default=None)
    first_faults = [f.start for f in timeline.faults]
    last_end = max((f.end or t_end for f in timeline.faults), default=t0)
    windows = {"before faults": (t0, min(first_faults, default=t_end)),
               "during faults": (min(first_faults, default=t_end), last_end),
               "after faults": (last_end, t_end)}
    zeros = {
        "oversold units": over,
        "ledger drift (flask inventory verify)": inventory_drift,
        "order-line drift (flask oms verify)": oms_drift,
        "lost orders": len(orders["lost"]),
        "duplicated orders": len(orders["duplicated"]) + len(orders["answered_with_another_order"]),
        "failed Shopify events": deliveries["failed_shopify_events"],
        "work left after the drain": sum(max(v, 0) for v in left.values()) + sum(
            1 for v in left.values() if v < 0),
        "outbox events not fanned out": deliveries["outbox_not_fanned_out"],
        "undelivered deliveries (pending or dead)": deliveries["undelivered"],
        "delivered but never received": deliveries["delivered_never_received"],
        "unexplained 5xx (load)": unexplained,
        "5xx from schemathesis": len(fuzz["five_xx"]) if fuzz else 0,
        "unexpected 4xx (the mix or the product)": len(unexpected),
        "faults that failed to apply": len(timeline.errors),
    }
    figures = {
        "duration_s": round(t_end - t0, 1), "users": users, "hot_units": hot_units,
        "requests": len(rows), "orders_accepted": len(accepted),
        "orders_per_s": round(len(accepted) / max(t_end - t0, 1), 2),
        "phases": phase_table(rows, accepted, timeline.faults, t0, t_end),
        "endpoints": endpoint_table(rows, windows),
        "faults": [{"name": f.name, "at_s": round(f.start - t0, 1),
                    "lasted_s": round((f.end or t_end) - f.start, 1), "note": f.note}
                   for f in timeline.faults],
        "orders": orders, "deliveries": deliveries, "hot_sku": hot,
        "hot_sold_out_at_s": round(sold_out - t0, 1) if sold_out else None,
        "hot_orders_backordered": len(hot_backordered),
        "drain_s": round(drained, 1), "left_after_drain": left,
        "five_xx_by_cause": [(what, n) for what, n, _ in causes],
        "expected_refusals": dict(expected.most_common()),
        "unexpected_4xx": Counter(f"{r['name']} {r['status']} {_code(r.get('error'))}"
                                  for r in unexpected).most_common(20),
        "unexpected_4xx_examples": unexpected[:5],
        "schemathesis": fuzz, "oversold_detail": over_lines[:20],
        "inventory_verify": inventory_out[-500:], "oms_verify": oms_out[-500:],
        "fault_errors": timeline.errors,
    }
    text_report = render(zeros, figures, windows)
    (directory / "report.txt").write_text(text_report)
    (directory / "report.json").write_text(json.dumps({"zeros": zeros, "figures": figures},
                                                      indent=1, default=str))
    return Report(zeros, figures, text_report)


def _code(error: Any) -> str:
    return str(error.get("code")) if isinstance(error, dict) else str(error)


def render(zeros: dict[str, int], f: dict[str, Any],
           windows: dict[str, tuple[float, float]]) -> str:
    out = [f"Soak: {f['duration_s']} s, {f['users']} users, {f['requests']} requests, "
           f"{f['orders_accepted']} orders accepted ({f['orders_per_s']}/s); hot SKU "
           f"{HOT_SKU}: {f['hot_units']} units, sold out at "
           f"{f['hot_sold_out_at_s']} s, {f['hot_orders_backordered']} orders for it "
           f"backordered or left unplaced; {f['hot_sku']}", "",
           "Faults:"]
    out += [f"  {x['at_s']:>7.1f} s  {x['name']:<24} {x['lasted_s']:>6.1f} s  {x['note']}"
            for x in f["faults"]]
    out += ["", f"{'fault':<24} {'phase':<7} {'secs':>6} {'orders/s':>9} {'req/s':>7} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'5xx/none':>8}"]
    out += [f"{p['fault']:<24} {p['phase']:<7} {p['seconds']:>6} {p['orders_per_s']:>9} "
            f"{p['requests_per_s']:>7} {p['p50_ms']:>8} {p['p99_ms']:>8} {p['errors']:>8}"
            for p in f["phases"]]
    labels = list(windows)
    out += ["", "p50 / p99 ms (requests) per endpoint: " + " | ".join(labels)]
    for e in f["endpoints"]:
        cells = " | ".join(f"{e[label][0]:>7} / {e[label][1]:>7} ({e[label][2]:>5})"
                           for label in labels)
        out.append(f"  {e['endpoint']:<42} {cells}")
    out += ["", f"Orders: {f['orders']['accepted_rest']} REST accepted, "
            f"{f['orders']['acknowledged_shopify']} Shopify acknowledged, "
            f"{f['orders']['never_answered']} never answered "
            f"({f['orders']['never_answered_but_committed']} of them committed)",
            f"Deliveries: {f['deliveries']['statuses']}, received "
            f"{f['deliveries']['received']} ({f['deliveries']['received_twice']} twice: "
            "at-least-once)",
            f"Drain: {f['drain_s']} s, left {f['left_after_drain']}"]
    if f["schemathesis"]:
        out.append(f"Schemathesis through the balancer: {f['schemathesis']['cases']} cases, "
                   f"statuses {f['schemathesis']['statuses']}")
    out += ["", "5xx by cause:"] + [f"  {n:>5}  {what}" for what, n in f["five_xx_by_cause"]]
    if not f["five_xx_by_cause"]:
        out.append("  none")
    out += ["", "Expected refusals:"] + [f"  {n:>5}  {what}"
                                         for what, n in f["expected_refusals"].items()]
    if f["unexpected_4xx"]:
        out += ["", "Unexpected 4xx:"] + [f"  {n:>5}  {what}" for what, n in f["unexpected_4xx"]]
    if f["oversold_detail"]:
        out += ["", "Oversold:"] + [f"  {line}" for line in f["oversold_detail"]]
    out += ["", "The zeros:"] + [f"  {'OK  ' if v == 0 else 'FAIL'} {k}: {v}"
                                 for k, v in zeros.items()]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="seconds of load")
    parser.add_argument("--users", type=int, default=30, help="Locust users")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--hot-units", type=int, default=None,
                        help="units of the hot SKU (default: duration / 12, at least 8)")
    parser.add_argument("--hot-share", type=float, default=0.08,
                        help="share of carts with the hot SKU")
    parser.add_argument("--fuzz-examples", type=int, default=5,
                        help="schemathesis examples per operation and mode (0: none)")
    parser.add_argument("--drain-timeout", type=float, default=300)
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--dir", type=Path, default=ROOT / "var" / "soak")
    parser.add_argument("--keep", action="store_true",
                        help="leave the cluster running (stop it with "
                             "`python scripts/cluster.py stop --dir DIR/cluster`)")
    args = parser.parse_args()
    report = soak(args.dir.resolve(), duration=args.duration, users=args.users,
                  spawn_rate=args.spawn_rate, hot_units=args.hot_units,
                  hot_share=args.hot_share, fuzz_examples=args.fuzz_examples,
                  drain_timeout=args.drain_timeout, faults=not args.no_faults, keep=args.keep)
    print(report.text)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
