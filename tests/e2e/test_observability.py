"""Observability (README, "Observability"): /metrics (its exposition, what moves it, who may
read it, several gunicorn workers added up), request ids (back in the response, into the jobs
a request causes and the deliveries its events make), JSON log lines, and /readyz's checks.
Real parts: gunicorn processes, RQ on Redis, a webhook receiver on loopback."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from rq import Queue
from sqlalchemy import select

from core import observe
from core.auth import require_roles
from core.db import read_session
from core.errors import InsufficientStock
from inventory import services
from oms.app import create_app
from oms.config import Settings
from oms.models import OutboxEvent
from tests.support import CAUSE

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"


# --------------------------------------------------------------------------- helpers

def scrape(client, **kw: Any) -> dict[tuple[str, tuple], float]:
    """/metrics parsed by prometheus_client's own parser: {(sample name, labels): value}."""
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.content_type.startswith("text/plain")
    return parse(resp.get_data(as_text=True))


def parse(text: str) -> dict[tuple[str, tuple], float]:
    out: dict[tuple[str, tuple], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def place_order(channel, ext: str, headers: dict | None = None, sku: str = "JKT-1",
                quantity: int = 1):
    return channel.post(f"{API}/orders", {
        "channel": "web", "external_id": ext, "currency": "USD",
        "customer": {"email": f"{ext}@example.com"},
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "10.00"}],
        "fulfillment": {"method": "ship", "address": {
            "line1": "1 Main St", "city": "New York", "region": "NY", "postal_code": "10001",
            "country": "US"}}}, headers=headers)


@pytest.fixture
def stocked(network):
    services.receive("JKT-1", "dc-east", 20, CAUSE)


class Subscriber:
    """A webhook receiver on 127.0.0.1 that records each request's headers and event."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], dict]] = []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                subscriber.got.append((dict(self.headers.items()), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    s = Subscriber()
    yield s
    s.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- /metrics

def test_metrics_parse_and_move_when_an_order_is_placed(client, channel, stocked):
    before = scrape(client)
    resp = place_order(channel, "OBS-1")
    assert resp.status_code == 201, resp.get_json()
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("oms_orders_accepted_total", channel="web") == 1
    assert moved("oms_order_status_changes_total", status="routed") == 1
    assert moved("oms_reservations_total") == 1 and moved("oms_reserved_units_total") == 1
    assert moved("oms_routing_decision_seconds_count", method="ship") == 1
    # The request histogram, labelled by the route (not the path) and the status.
    assert moved("oms_http_request_duration_seconds_count", method="POST",
                 endpoint="/api/v1/orders", status="201") == 1
    order_id = resp.get_json()["id"]
    assert channel.get(f"{API}/orders/{order_id}").status_code == 200
    again = scrape(client)
    assert value(again, "oms_http_request_duration_seconds_count", method="GET",
                 endpoint="/api/v1/orders/<order_id>", status="200") >= 1
    assert not any("/api/v1/orders/1" in dict(labels).get("endpoint", "")
                   for _, labels in again)
    # A path no route has is one label value, whatever the path.
    client.get("/no/such/path/12345")
    assert value(scrape(client), "oms_http_request_duration_seconds_count", method="GET",
                 endpoint="<unmatched>", status="404") >= 1
    # The pool and the queues (embedded: the in-process queue) are there, collectors up.
    assert value(after, "oms_db_pool_size", database="primary") > 0
    assert value(after, "oms_jobs_queued", queue="embedded") == 0
    assert value(after, "oms_metrics_collector_up", collector="outbox") == 1
    assert value(after, "oms_metrics_collector_up", collector="jobs") == 1


def test_a_refused_reservation_counts_as_an_oversell_refusal_and_reserves_nothing(
        client, stocked):
    before = scrape(client)
    with pytest.raises(InsufficientStock):
        services.reserve([("JKT-1", "dc-east", 21)], "test:oversell", CAUSE)
    services.reserve([("JKT-1", "dc-east", 3)], "test:fits", CAUSE)
    after = scrape(client)
    assert total(after, "oms_oversell_refusals_total") - \
        total(before, "oms_oversell_refusals_total") == 1
    # Only the reserve that committed counts.
    assert total(after, "oms_reservations_total") - total(before, "oms_reservations_total") == 1
    assert total(after, "oms_reserved_units_total") - \
        total(before, "oms_reserved_units_total") == 3


def test_outbox_depth_and_age_per_subscription_at_scrape_time(client, admin, channel, stocked):
    port = free_port()  # nothing listens there: every attempt fails to connect
    resp = admin.post(f"{API}/subscriptions", {"url": f"http://127.0.0.1:{port}/hook",
                                               "topics": ["order.*"],
                                               "secret": "s3cret-s3cret-s3cret"})
    sub_id = str(resp.get_json()["id"])
    before = scrape(client)
    assert place_order(channel, "OBS-DEPTH").status_code == 201
    after = scrape(client)
    labels = {"subscription": sub_id, "destination": f"http://127.0.0.1:{port}"}
    assert value(after, "oms_outbox_pending_deliveries", **labels) >= 1
    assert value(after, "oms_outbox_oldest_pending_age_seconds", **labels) >= 0
    assert value(after, "oms_outbox_unfanned_events") == 0
    failures = total(after, "oms_delivery_failures_total", subscription=sub_id,
                     error="connection") - total(before, "oms_delivery_failures_total",
                                                 subscription=sub_id, error="connection")
    assert failures >= 1
    assert total(after, "oms_delivery_attempts_total", subscription=sub_id, result="retry") >= 1


def test_metrics_token_is_required_when_set_and_loopback_only_without(db):
    app = create_app(Settings(database_url=db.url, embedded_worker=False, log_level="WARNING",
                              metrics_token="t0ken-t0ken"))
    client = app.test_client()
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer t0ken-t0ken"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    # No token: this host's callers only, and not through a proxy.
    open_app = create_app(Settings(database_url=db.url, embedded_worker=False,
                                   log_level="WARNING"))
    c = open_app.test_client()
    assert c.get("/metrics").status_code == 200
    far = c.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert far.status_code == 403 and far.get_json()["error"]["code"] == "forbidden"
    assert c.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403


def test_every_metric_is_documented_in_the_readme(client, db):
    from core import metrics

    scrape(client)  # the collectors are registered by the app
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Observability", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(oms_[a-z_]+)`", section))
    assert metrics.every_metric_name() <= documented, \
        metrics.every_metric_name() - documented


# --------------------------------------------------------------------------- request ids

def test_request_id_is_taken_when_sane_else_made_and_always_returned(client, admin):
    sent = "3f0c2a9e-1b7d-4c3e-9a52-0d6f1e2b7c41"
    assert client.get("/healthz", headers={"X-Request-Id": sent}).headers["X-Request-Id"] == sent
    made = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-Id"] != made
    for bad in ("has spaces", "x" * 129, "<script>", "-leading-dash", "a\tb"):
        got = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert got != bad and re.fullmatch(r"[0-9a-f]{32}", got)
    # API errors too.
    resp = admin.get(f"{API}/orders/999999", headers={"X-Request-Id": "req-404"})
    assert resp.status_code == 404 and resp.headers["X-Request-Id"] == "req-404"


def test_request_id_follows_a_webhook_into_its_rq_job_and_the_delivery_of_its_event(
        db, network, redis_url, subscriber, caplog):
    from integrations.shopify import shops
    from tests.e2e.test_shopify_webhooks import POS_LOCATION, SECRET, SHOP, deliver, load

    app = create_app(Settings(database_url=db.url, redis_url=redis_url, log_level="INFO"))
    client = app.test_client()
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    for sku in ("JKT-1", "SOCK-1", "BOOT-1"):
        services.receive(sku, "dc-east", 10, CAUSE)
    from core.auth import create_api_key
    key = create_api_key("admin", name="obs-admin")
    resp = client.post(f"{API}/subscriptions", json={
        "url": subscriber.url, "topics": ["order.*"], "secret": "s3cret-s3cret-s3cret"},
        headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 201

    rid = "shopify-req-7f3a"
    # deliver() signs the body as Shopify does and posts it; the wrapper adds our header.
    response = deliver(_WithHeader(client, {"X-Request-Id": rid}), load("orders_create"))
    assert response.status_code == 200 and response.headers["X-Request-Id"] == rid
    queue = Queue("high", connection=Redis.from_url(redis_url))
    [job_id] = queue.job_ids
    assert queue.fetch_job(job_id).meta["request_id"] == rid

    caplog.set_level(logging.INFO)
    result = app.test_cli_runner().invoke(args=["oms", "worker", "--burst"])
    assert result.exit_code == 0, result.output

    # The job ran under the request's id: RQ's own line for it, from inside the job.
    done = [r for r in caplog.records if r.name == "rq.worker" and job_id in r.getMessage()
            and "Job OK" in r.getMessage()]
    assert done and all(r.request_id == rid and r.job_id == job_id for r in done)
    # The order's outbox rows keep it; the subscriber got it; the delivery job logged under it.
    with read_session() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.aggregate == "order")).all()
    assert rows and {r.request_id for r in rows} == {rid}
    assert subscriber.got and all(h.get("X-Request-Id") == rid for h, _ in subscriber.got)
    delivered = [r for r in caplog.records if r.name == "integrations.outbound.relay"]
    assert delivered and all(r.request_id == rid for r in delivered)


class _WithHeader:
    """A test client that adds headers to every POST (for helpers that build their own)."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def post(self, path: str, **kw: Any):
        kw["headers"] = {**self.headers, **(kw.get("headers") or {})}
        return self.client.post(path, **kw)


def test_embedded_jobs_keep_the_request_id(app):
    from core import jobs

    seen: list[str | None] = []
    dispatcher = jobs.EmbeddedDispatcher(app, retry_intervals=())
    dispatcher.start()
    try:
        with observe.bound("embedded-req-1"):
            dispatcher.enqueue("tests.e2e.test_observability.remember_request_id")
        deadline = time.monotonic() + 10
        while not _remembered and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = list(_remembered)
    finally:
        dispatcher.stop()
        _remembered.clear()
    assert seen == ["embedded-req-1"]


_remembered: list[str | None] = []


def remember_request_id() -> None:
    _remembered.append(observe.current_request_id())


# --------------------------------------------------------------------------- logs

def test_log_lines_are_json_with_the_request_and_errors_carry_enough_to_reproduce(
        db, as_role):
    app = create_app(Settings(database_url=db.url, embedded_worker=False, log_level="INFO",
                              log_format="json"))

    @app.get("/api/v1/test-boom")
    @require_roles("cs")
    def boom():
        raise RuntimeError("boom: the test's unhandled error")

    stream = io.StringIO()
    observe.configure_logging("INFO", "json", stream=stream)
    client = app.test_client()
    key = as_role("cs").key
    resp = client.get("/api/v1/test-boom?q=Tanaka", headers={
        "Authorization": f"Bearer {key}", "X-Request-Id": "req-boom-1"})
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "internal"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]  # every line parses
    [error] = [x for x in lines if x["level"] == "ERROR"]
    assert error["request_id"] == "req-boom-1" and error["logger"] == "core.http"
    assert error["method"] == "GET" and error["path"] == "/api/v1/test-boom"
    assert error["endpoint"] == "/api/v1/test-boom" and error["query"] == "q=Tanaka"
    assert error["status"] == 500 and error["role"] == "cs"
    assert re.fullmatch(r"key:\d+:test-cs", error["principal"])
    assert key not in json.dumps(lines)  # never the key itself
    assert "Traceback" in error["exc_info"] and "RuntimeError: boom" in error["exc_info"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", error["time"])
    [access] = [x for x in lines if x["logger"] == "oms.access"]
    assert access["request_id"] == "req-boom-1" and access["status"] == 500
    assert access["endpoint"] == "/api/v1/test-boom" and "query" not in access
    assert access["duration_ms"] >= 0


def test_text_log_lines_name_the_request():
    stream = io.StringIO()
    observe.configure_logging("INFO", "text", stream=stream)
    with observe.bound("req-text-1"):
        logging.getLogger("oms.test").info("hello")
    logging.getLogger("oms.test").info("outside")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO oms.test [req-text-1]: hello")
    assert second.endswith("INFO oms.test [-]: outside")


# --------------------------------------------------------------------------- readiness

def test_readyz_checks_the_replica_when_configured(db, backend):
    down = f"postgresql://oms@127.0.0.1:{free_port()}/nowhere"
    app = create_app(Settings(database_url=db.url, embedded_worker=False, log_level="WARNING",
                              database_replica_url=down))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503  # a configured dependency is unreachable: not ready
    body = resp.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["replica"].startswith("unreachable")
    assert body["checks"]["database"] == "ok"
    # The balancer's form: reads fall back to the primary, so a replica outage must not take
    # every web server out; degraded, still 200.
    lenient = app.test_client().get("/readyz?optional=replica")
    assert lenient.status_code == 200 and lenient.get_json()["status"] == "degraded"
    bad = app.test_client().get("/readyz?optional=database")
    assert bad.status_code == 400
    assert "optional" in bad.get_json()["error"]["fields"]
    if backend == "sqlite":
        return  # a replica is PostgreSQL's (streaming replication)
    # The database itself as a stand-in replica: reachable, ready.
    up = create_app(Settings(database_url=db.url, embedded_worker=False, log_level="WARNING",
                             database_replica_url=db.url))
    ok = up.test_client().get("/readyz")
    assert ok.status_code == 200 and ok.get_json()["checks"]["replica"] == "ok"


# --------------------------------------------------------------------------- gunicorn

class Gunicorn:
    """`gunicorn -c python:oms.gunicorn_conf wsgi:app` with 2 workers on a loopback port."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:oms.gunicorn_conf", "wsgi:app"],
            cwd=ROOT, env={**env, "OMS_BIND": f"127.0.0.1:{self.port}"},
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with suppress(requests.ConnectionError, requests.Timeout):
                if requests.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                    return
            assert self.proc.poll() is None, self.log_path.read_text()
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=15)
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()


def _pids(directory: Path, prefix: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob(f"{prefix}_*.db")}


@pytest.mark.postgres_only
def test_one_scrape_adds_up_every_gunicorn_worker(db, redis_url, tmp_path):
    metrics_dir = tmp_path / "metrics"
    env = {**os.environ, "OMS_DATABASE_URL": db.url, "OMS_REDIS_URL": redis_url,
           "OMS_WEB_WORKERS": "2", "OMS_WEB_THREADS": "4", "OMS_EMBEDDED_WORKER": "0",
           "OMS_SECRET_KEY": "test-secret", "OMS_LOG_FORMAT": "json", "OMS_LOG_LEVEL": "INFO",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    # The live gauges of a process that died unseen (a SIGKILLed server) on a shared
    # directory: the server drops them when it starts.
    ghost = subprocess.Popen(["true"])
    ghost.wait()
    metrics_dir.mkdir()
    (metrics_dir / f"gauge_livesum_{ghost.pid}.db").write_bytes(b"")
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    assert ghost.pid not in _pids(metrics_dir, "gauge_livesum")
    healthz = {"method": "GET", "endpoint": "/healthz", "status": "200"}
    try:
        start = value(parse(requests.get(f"{server.url}/metrics", timeout=10).text),
                      "oms_http_request_duration_seconds_count", **healthz)
        sent = 0
        # New connections from several threads until both workers have served some (each
        # worker's histogram file appears with its first request).
        while len(_pids(metrics_dir, "histogram")) < 2 and sent < 2000:
            def burst() -> None:
                for _ in range(10):
                    requests.get(f"{server.url}/healthz", timeout=10,
                                 headers={"Connection": "close"})
            threads = [threading.Thread(target=burst) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent += 40
        workers = _pids(metrics_dir, "histogram")
        assert len(workers) == 2, f"one worker served all {sent} requests"
        samples = parse(requests.get(f"{server.url}/metrics", timeout=10).text)
        # One scrape (answered by one worker) counts what both served.
        assert value(samples, "oms_http_request_duration_seconds_count",
                     **healthz) - start == sent
        # 2 processes x pool_size 10
        assert value(samples, "oms_db_pool_size", database="primary") == 20
        # A worker that dies leaves the live gauges (gunicorn's child_exit hook).
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while victim in _pids(metrics_dir, "gauge_livesum") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert victim not in _pids(metrics_dir, "gauge_livesum")
        # Its counters stay: totals never go down.
        again = parse(requests.get(f"{server.url}/metrics", timeout=10).text)
        assert value(again, "oms_http_request_duration_seconds_count",
                     **healthz) - start == sent
        refused = requests.get(f"{server.url}/api/v1/orders", timeout=10,
                               headers={"X-Request-Id": "req-gunicorn-1"})
        assert refused.status_code == 401 and refused.headers["X-Request-Id"] == "req-gunicorn-1"
    finally:
        server.stop()
    # Every line gunicorn and the app wrote is one JSON object; requests carry their id.
    lines = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines()
             if line.strip()]
    assert any(x["logger"] == "gunicorn.error" for x in lines)
    assert not any(x["logger"] == "gunicorn.access" for x in lines)  # the app logs requests
    scrapes = [x for x in lines if x["logger"] == "oms.access" and x.get("path") == "/metrics"]
    assert scrapes == []  # probe and scrape lines are DEBUG; INFO shows requests
    [refused_line] = [x for x in lines if x["logger"] == "oms.access"]
    assert refused_line["request_id"] == "req-gunicorn-1" and refused_line["status"] == 401
    assert refused_line["path"] == "/api/v1/orders" and refused_line["method"] == "GET"


# --------------------------------------------------------------------------- a lone worker

@pytest.mark.postgres_only
def test_a_worker_without_a_web_server_serves_its_own_metrics(db, redis_url, tmp_path):
    """`oms worker --metrics-bind`: a worker host has a scrape endpoint of its own, showing
    the system's read-at-scrape gauges and the worker's process values."""
    port = free_port()
    env = {**os.environ, "OMS_DATABASE_URL": db.url, "OMS_REDIS_URL": redis_url,
           "OMS_SECRET_KEY": "test-secret", "OMS_LOG_FORMAT": "json"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "oms", "worker",
             "--metrics-bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            body = ""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "oms_jobs_queued" not in body:
                with suppress(requests.ConnectionError, requests.Timeout):
                    body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
                assert proc.poll() is None, log_path.read_text()
                time.sleep(0.2)
            families = {f.name for f in text_string_to_metric_families(body)}
            assert {"oms_jobs_queued", "oms_outbox_pending_deliveries",
                    "oms_db_pool_checked_out"} <= families, sorted(families)
        finally:
            proc.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def test_a_malformed_metrics_bind_is_refused_by_name(app):
    app.config["OMS_SETTINGS"] = dataclasses.replace(app.config["OMS_SETTINGS"],
                                                     redis_url="redis://127.0.0.1:1/0")
    result = app.test_cli_runner().invoke(args=["oms", "worker", "--metrics-bind", "9101"])
    assert result.exit_code == 2 and "--metrics-bind" in result.output
