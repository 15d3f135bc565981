"""Outbound sync through faults, with real processes: `flask --app wsgi oms worker` as a
subprocess (its own process group: the RQ scheduler it forks dies with it), a real Redis (a
dedicated `redis-server` where the test restarts it empty), PostgreSQL, and a webhook receiver
on loopback that checks every signature and records every request with its delivery id.

What each test kills, and what must hold afterwards: every event delivered, each order's events
first received in outbox order, an event never under two delivery ids (a redelivery carries the
same `X-OMS-Delivery-Id`, so the receiver can drop it). The in-process cases (one fault at a
time, the sweep called by the test) are in test_outbound_webhooks.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from core import jobs
from core.db import read_session, utcnow
from integrations.outbound.models import Delivery, DeliveryAttempt
from inventory import services
from oms.app import create_app
from oms.config import Settings
from oms.models import OutboxEvent
from tests.e2e.test_outbound_webhooks import SECRET, cancel, place, subscribe
from tests.support import CAUSE

pytestmark = pytest.mark.postgres_only  # several processes on one database

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"


# --------------------------------------------------------------------------- the receiver

@dataclass(frozen=True)
class Received:
    delivery: str      # X-OMS-Delivery-Id
    event_id: int
    topic: str
    order: str         # the order's external id
    at: float          # time.monotonic() on arrival
    answer: str        # what the receiver did: ok, slow, block, 500, 429
    processed: bool    # the receiver did the work (whatever the sender then heard)


class FaultyReceiver:
    """A webhook receiver on 127.0.0.1 that verifies `X-OMS-Signature`, records every request,
    and answers each order's requests as scripted (by external id): `script[ext]` is a list of
    answers for its next requests (`500`; `429` with `Retry-After`; `slow`: does the work but
    answers after the sender's timeout; `block`: does the work, then waits for `release`),
    `broken` orders get 500 until removed; anything else gets 200. `down()`/`up()` close and
    reopen the same port (connection refused meanwhile)."""

    def __init__(self, slow_seconds: float = 1.5, retry_after: int = 2) -> None:
        self.slow_seconds = slow_seconds
        self.retry_after = retry_after
        self.got: list[Received] = []
        self.script: dict[str, list[str]] = {}
        self.broken: set[str] = set()
        self.bad_signatures = 0
        self.entered = threading.Event()  # a `block` request has arrived
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.up()

    def _answer_for(self, order: str) -> str:
        with self.lock:
            queued = self.script.get(order)
            if queued:
                return queued.pop(0)
            return "500" if order in self.broken else "ok"

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str]]:
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, handler.headers.get("X-OMS-Signature", "")):
            with self.lock:
                self.bad_signatures += 1
            return 401, {}
        event = json.loads(body)
        order = event["data"].get("external_id", "")  # stock.changed names no order
        answer = self._answer_for(order)
        with self.lock:
            self.got.append(Received(
                handler.headers["X-OMS-Delivery-Id"], event["id"], event["type"], order,
                time.monotonic(), answer, answer in ("ok", "slow", "block")))
        if answer == "block":
            self.entered.set()
            self.release.wait(60)
        elif answer == "slow":
            time.sleep(self.slow_seconds)
        if answer == "500":
            return 500, {}
        if answer == "429":
            return 429, {"Retry-After": str(self.retry_after)}
        return 200, {}

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                status, headers = receiver.handle(self)
                # The sender may be gone (timed out, killed): nobody to answer.
                with suppress(OSError):
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def requests_for(self, delivery_id: int) -> list[Received]:
        return [r for r in self.got if r.delivery == str(delivery_id)]

    def first_receipts(self) -> list[Received]:
        """What a receiver that drops duplicates by delivery id keeps, in arrival order."""
        seen: set[str] = set()
        kept = []
        for r in self.got:
            if r.processed and r.delivery not in seen:
                seen.add(r.delivery)
                kept.append(r)
        return kept


@pytest.fixture
def receiver() -> Iterator[FaultyReceiver]:
    r = FaultyReceiver()
    yield r
    r.release.set()
    r.down()


# --------------------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WorkerProcess:
    """`flask --app wsgi oms worker --queues webhooks` (RQ worker + the periodic scheduler),
    in a process group of its own: RQ forks its scheduler, and a SIGKILL of the group takes
    both, as losing the machine would."""

    def __init__(self, env: dict[str, str], log_path: Path, queues: str = "webhooks") -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "oms", "worker",
             "--queues", queues],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """kill -9 of the worker and its scheduler."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.kill()  # whatever is left of the group (the scheduler it forked)
        self._log.close()

    def tail(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class RedisServer:
    """A `redis-server` of the test's own, without persistence: killed, it comes back
    empty."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("OMS_TEST_REQUIRE_SERVICES") == "1":
                pytest.fail("redis-server is not installed (scripts/services.sh ensure)")
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError, Exception):
                if client.ping():
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not come up")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


def process_env(database_url: str, redis_url: str, **settings: str) -> dict[str, str]:
    """The app's environment for a subprocess: this test's database and Redis, the given
    OMS_DELIVERY_* settings, the sweep every second; no inherited OMS_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(OMS_DATABASE_URL=database_url, OMS_REDIS_URL=redis_url, OMS_LOG_LEVEL="INFO",
               PYTHONUNBUFFERED="1", OMS_DELIVERY_SWEEP_SECONDS="1")
    env.update({f"OMS_DELIVERY_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture
def workers(db, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """`workers(redis_url, **settings)` starts a worker on the test database with that Redis
    and OMS_DELIVERY_* settings (`timeout="3"`); every one started is stopped at the end."""
    started: list[WorkerProcess] = []

    def start(redis_url: str, **settings: str) -> WorkerProcess:
        worker = WorkerProcess(process_env(db.url, redis_url, **settings),
                               tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def app(db, redis_url):
    """The app of this process (API calls) queues its jobs on Redis for the worker."""
    application = create_app(Settings(database_url=db.url, redis_url=redis_url,
                                      embedded_worker=False, log_level="WARNING"))
    application.testing = True
    yield application
    jobs.init_dispatcher(None, application)


@pytest.fixture
def stocked(network) -> None:
    services.receive("JKT-1", "dc-east", 100, CAUSE)


# --------------------------------------------------------------------------- checks

def wait_for(condition: Callable[[], bool], seconds: float, what: str,
             *worker: WorkerProcess) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    logs = "\n".join(f"--- {w.log_path.name}\n{w.tail()}" for w in worker)
    raise AssertionError(f"not {what} after {seconds:.0f} s\n{logs}")


def all_deliveries() -> list[Delivery]:
    with read_session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.outbox_id)))


def outbox_ids(order_id: int) -> list[int]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent.id).where(
            OutboxEvent.aggregate == "order", OutboxEvent.aggregate_id == order_id)
            .order_by(OutboxEvent.id)))


def everything_settled() -> bool:
    with read_session() as session:
        unfanned = session.scalar(select(OutboxEvent.id).where(
            OutboxEvent.delivered.is_(False)).limit(1))
        pending = session.scalar(select(Delivery.id).where(
            Delivery.status == "pending").limit(1))
    return unfanned is None and pending is None


def assert_delivered_in_order_once(receiver: FaultyReceiver, orders: list[dict]) -> None:
    """Every event of these orders delivered; after dropping duplicates by delivery id, each
    order's events in outbox order; no event under two delivery ids; every signature good."""
    assert receiver.bad_signatures == 0
    rows = all_deliveries()
    assert rows and all(d.status == "delivered" for d in rows), \
        [(d.id, d.status, d.last_error) for d in rows if d.status != "delivered"]
    by_event = {d.outbox_id: str(d.id) for d in rows}
    for r in receiver.got:
        assert by_event[r.event_id] == r.delivery, f"event {r.event_id} under two ids"
    kept = receiver.first_receipts()
    for order in orders:
        expected = outbox_ids(order["id"])
        got = [r.event_id for r in kept if r.order == order["external_id"]]
        assert got == expected, (order["external_id"], got, expected)


def attempts_of(delivery_id: int) -> list[DeliveryAttempt]:
    with read_session() as session:
        return list(session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)))


def first_delivery_of(order: dict) -> Delivery | None:
    """The delivery of the order's first event (None while it is not fanned out yet)."""
    return next((d for d in all_deliveries() if d.aggregate_id == order["id"]), None)


def first_attempts(order: dict) -> int:
    first = first_delivery_of(order)
    return 0 if first is None else first.attempts


def requests_for_first(receiver: FaultyReceiver, order: dict) -> list[Received]:
    first = first_delivery_of(order)
    assert first is not None
    return receiver.requests_for(first.id)


# --------------------------------------------------------------------------- the faults

def test_worker_killed_mid_delivery_another_delivers_after_the_lease(
        admin, channel, stocked, receiver, workers, redis_url):
    subscribe(admin, receiver.url(), ["*"])
    lease = {"timeout": "3", "lease_margin_seconds": "1"}  # a claim holds 3 + 1 s
    receiver.script["K-1"] = ["block"]
    first = workers(redis_url, **lease)
    k1 = place(channel, "K-1")
    assert receiver.entered.wait(30), first.tail()
    first.kill()  # while it waits for the receiver's answer

    # It died inside the HTTP call: claimed (leased), never settled, no attempt recorded.
    blocked = first_delivery_of(k1)
    assert blocked is not None and blocked.status == "pending" and blocked.attempts == 0
    assert blocked.lease_until is not None and blocked.lease_until > utcnow()
    assert attempts_of(blocked.id) == []
    assert [r.delivery for r in receiver.got] == [str(blocked.id)]

    # More work while no worker runs: its jobs wait in Redis.
    cancel(channel, k1["id"])
    k2 = place(channel, "K-2")
    second = workers(redis_url, **lease)
    wait_for(everything_settled, 30, "everything delivered", second)

    again = receiver.requests_for(blocked.id)
    assert len(again) == 2 and again[0].event_id == again[1].event_id
    assert again[1].at - again[0].at >= 3.0  # not before the lease ran out
    assert [a.status_code for a in attempts_of(blocked.id)] == [200]
    assert_delivered_in_order_once(receiver, [k1, k2])
    topics = [r.topic for r in receiver.first_receipts() if r.order == "K-1"]
    assert topics[0] == "order.created" and "order.cancelled" in topics


def test_redis_restarted_empty_the_sweep_recreates_the_work(
        app, own_redis, admin, channel, stocked, receiver, workers):
    jobs.init_dispatcher(own_redis.url, app)
    subscribe(admin, receiver.url(), ["*"])
    receiver.script["R-1"] = ["block"]
    worker = workers(own_redis.url, timeout="15")
    r1 = place(channel, "R-1")
    assert receiver.entered.wait(30), worker.tail()
    # The worker is inside R-1's call: what comes now waits in Redis.
    r2, r3 = place(channel, "R-2"), place(channel, "R-3")
    cancel(channel, r2["id"])
    queued = Queue("webhooks", connection=Redis.from_url(own_redis.url))
    assert queued.count >= 1  # the fan-out of the three commits (coalesced: one run waits)

    own_redis.kill()
    time.sleep(2)  # Redis away for a while: the worker's scheduler ticks into errors
    own_redis.start()
    assert queued.count == 0  # back empty: the queued jobs are gone
    receiver.release.set()

    wait_for(everything_settled, 30, "everything delivered", worker)
    assert worker.alive(), worker.tail()  # it reconnected
    assert_delivered_in_order_once(receiver, [r1, r2, r3])
    assert len(receiver.got) == len(all_deliveries())  # nothing sent twice


def test_redis_down_when_a_job_ends_leaves_the_worker_running(
        app, own_redis, admin, channel, stocked, receiver, workers):
    """RQ records a job's end in Redis; when Redis is down at that moment (a restart under
    load), its work loop took the ConnectionError for an unhandled exception and the worker
    quit (the soak found both workers gone after one Redis restart). The worker must carry on
    and deliver what comes once Redis is back."""
    jobs.init_dispatcher(own_redis.url, app)
    subscribe(admin, receiver.url(), ["*"])
    receiver.script["G-1"] = ["block"]
    worker = workers(own_redis.url, timeout="15")
    g1 = place(channel, "G-1")
    assert receiver.entered.wait(30), worker.tail()
    own_redis.kill()
    receiver.release.set()  # the delivery ends while Redis is away: RQ cannot record it
    time.sleep(3)
    assert worker.alive(), worker.tail()
    own_redis.start()
    g2 = place(channel, "G-2")
    wait_for(everything_settled, 30, "everything delivered", worker)
    assert worker.alive(), worker.tail()
    assert_delivered_in_order_once(receiver, [g1, g2])


def test_down_500s_slow_429_dead_letters_and_replay_through_a_worker(
        db, admin, channel, stocked, receiver, workers, redis_url):
    subscribe(admin, receiver.url(), ["*"])
    worker = workers(redis_url, timeout="1", backoff_seconds="0.2",
                     max_backoff_seconds="1", max_attempts="4", lease_margin_seconds="1")

    # Down for a while (connection refused), with orders that cannot be delivered at all
    # (their receiver answers 500 whatever happens) among them.
    receiver.down()
    receiver.broken |= {"D-1", "D-2"}
    down = place(channel, "P-down")
    cancel(channel, down["id"])
    dead = [place(channel, "D-1"), place(channel, "D-2")]
    wait_for(lambda: first_attempts(down) >= 2, 30, "two refused attempts", worker)
    receiver.up()

    # Back, but 500 twice, slow beyond the timeout once, 429 with Retry-After once.
    receiver.script |= {"X-500": ["500", "500"], "Y-slow": ["slow"], "Z-429": ["429"]}
    faulty = [place(channel, ext) for ext in ("X-500", "Y-slow", "Z-429")]
    cancel(channel, faulty[0]["id"])
    fine = place(channel, "F-fine")
    wait_for(lambda: all(d.status != "pending" for d in all_deliveries()), 60,
             "every delivery delivered or dead", worker)

    failed = admin.get(f"{API}/deliveries?status=failed&limit=50").get_json()["items"]
    assert {d["aggregate_id"] for d in failed} == {o["id"] for o in dead}
    assert all(d["attempt_count"] == 4 and len(d["attempts"]) == 4 for d in failed)
    assert all(a["status_code"] in (500, None) for d in failed for a in d["attempts"])
    head = first_delivery_of(down)
    assert head is not None
    refused = attempts_of(head.id)
    assert refused[0].status_code is None and "ConnectionError" in (refused[0].error or "")
    assert [a.status_code for a in refused][-1] == 200
    assert [r.answer for r in requests_for_first(receiver, faulty[0])] == ["500", "500", "ok"]
    slow = requests_for_first(receiver, faulty[1])
    assert [r.answer for r in slow] == ["slow", "ok"]  # done twice, under one delivery id
    timed_out = attempts_of(int(slow[0].delivery))[0]
    assert timed_out.status_code is None and "Timeout" in (timed_out.error or "")
    throttled = requests_for_first(receiver, faulty[2])
    assert [r.answer for r in throttled] == ["429", "ok"]
    assert throttled[1].at - throttled[0].at >= receiver.retry_after

    # Replay: D-1 one delivery at a time through the API, D-2 with the CLI.
    receiver.broken.clear()
    d1 = sorted((d for d in failed if d["aggregate_id"] == dead[0]["id"]),
                key=lambda d: d["event_id"])
    for item in d1:
        resp = admin.post(f"{API}/deliveries/{item['id']}/retry")
        assert resp.status_code == 200, resp.get_json()
    wait_for(lambda: all(d.status == "delivered" for d in all_deliveries()
                         if d.aggregate_id == dead[0]["id"]), 30, "D-1 replayed", worker)
    cli = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "integrations",
                          "redeliver", "--status", "failed"],
                         cwd=ROOT, env=process_env(db.url, redis_url), capture_output=True,
                         text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert f"{len(failed) - len(d1)} deliveries back to pending" in cli.stdout
    wait_for(everything_settled, 30, "D-2 replayed", worker)

    assert_delivered_in_order_once(receiver, [down, *dead, *faulty, fine])
