"""Per-caller rate limits through HTTP: 429 in the house format with Retry-After, per key and
per role, by address without a key (behind trusted proxies too), exemptions, nothing written
by a refused request, a Redis that is down, and one budget shared by two gunicorn processes
through a real Redis (as two hosts would share it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from core.auth import create_api_key
from core.db import read_session
from core.idempotency import IdempotencyKey
from core.rate_limits import EXTENSION, RateLimitSettings
from inventory import services
from oms.config import Settings
from oms.models import Order
from tests.support import CAUSE

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]


def make_app(db, limits: RateLimitSettings | None, **settings):
    from oms.app import create_app

    app = create_app(Settings(database_url=db.url, redis_url=None, embedded_worker=False,
                              log_level="WARNING", rate_limits=limits, **settings))
    app.testing = True
    return app


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_refused(response, limit: str, *, json: bool = True) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    if json:
        error = response.get_json()["error"]
        assert error["code"] == "too_many_requests"
        assert error["details"] == {"limit": limit, "retry_after": seconds}
        assert f"retry after {seconds} s" in error["message"]
    return seconds


def test_a_key_over_its_limit_gets_429_another_key_does_not(db):
    client = make_app(db, RateLimitSettings.uniform("3/minute")).test_client()
    first, second = create_api_key("admin", name="a"), create_api_key("admin", name="b")
    for _ in range(3):
        assert client.get(f"{API}/locations", headers=bearer(first)).status_code == 200
    assert_refused(client.get(f"{API}/items", headers=bearer(first)), "3 per 1 minute")
    # Every route draws on the one budget of the key; another key has its own.
    assert client.get(f"{API}/locations", headers=bearer(second)).status_code == 200
    # Without a key the address is counted, not the key used from it.
    assert client.get(f"{API}/locations").status_code == 401


def test_each_role_has_its_own_limit(db):
    limits = RateLimitSettings(roles={"channel": "5/minute", "wms": "2/minute",
                                      "store": "2/minute", "admin": "2/minute",
                                      "cs": "2/minute"}, anonymous="2/minute")
    client = make_app(db, limits).test_client()
    channel, cs = create_api_key("channel", name="shop"), create_api_key("cs", name="agent")
    statuses = [client.get(f"{API}/orders", headers=bearer(channel)).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    statuses = [client.get(f"{API}/orders", headers=bearer(cs)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_probes_metrics_and_shopify_webhooks_are_never_limited(db):
    client = make_app(db, RateLimitSettings.uniform("2/minute")).test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code != 429
        # Unknown shop: refused by the webhook itself, never by the limiter.
        assert client.post("/webhooks/shopify", data=b"{}", headers={
            "Content-Type": "application/json",
            "X-Shopify-Shop-Domain": "nobody.myshopify.com"}).status_code == 401
    # ... while the same address is limited everywhere else.
    statuses = [client.get(f"{API}/openapi.json").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_refused_order_writes_nothing_and_its_idempotency_key_stays_free(db, network):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    app = make_app(db, RateLimitSettings.uniform("2/minute"))
    client = app.test_client()
    key = create_api_key("channel", name="shop")
    body = {"channel": "web", "external_id": "W-429", "currency": "USD",
            "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
            "fulfillment": {"method": "ship", "address": {
                "line1": "350 5th Ave", "city": "New York", "postal_code": "10118",
                "country": "US"}}}
    headers = {**bearer(key), "Idempotency-Key": "order-W-429"}
    for _ in range(2):
        assert client.get(f"{API}/orders", headers=bearer(key)).status_code == 200
    assert_refused(client.post(f"{API}/orders", json=body, headers=headers), "2 per 1 minute")
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    app.extensions[EXTENSION].reset()  # the window has passed
    placed = client.post(f"{API}/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.get_json()
    assert "Idempotent-Replayed" not in placed.headers  # the key was never used
    again = client.post(f"{API}/orders", json=body, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_staff_pages_get_a_page_with_retry_after(db):
    client = make_app(db, RateLimitSettings.uniform("2/minute")).test_client()
    assert [client.get("/sign-in").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/sign-in")
    assert_refused(refused, "2 per 1 minute", json=False)
    assert refused.mimetype == "text/html"
    assert "over its rate limit" in refused.get_data(as_text=True)


def test_behind_trusted_proxies_each_client_address_has_its_own_budget(db):
    trusted = make_app(db, RateLimitSettings.uniform("2/minute"), trusted_proxies=1)
    client = trusted.test_client()

    def get(address: str) -> int:
        return client.get("/sign-in", headers={"X-Forwarded-For": address}).status_code

    assert [get("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert get("203.0.113.8") == 200
    # Not behind a proxy: X-Forwarded-For is the client's own say, and changes nothing.
    direct = make_app(db, RateLimitSettings.uniform("2/minute")).test_client()
    statuses = [direct.get("/sign-in", headers={"X-Forwarded-For": f"198.51.100.{i}"})
                .status_code for i in range(3)]
    assert statuses == [200, 200, 429]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_with_redis_unreachable_requests_are_served_and_counted_in_memory(db):
    limits = RateLimitSettings.uniform("3/minute",
                                       storage_url=f"redis://127.0.0.1:{closed_port()}/0")
    client = make_app(db, limits).test_client()
    key = create_api_key("admin", name="a")
    statuses = [client.get(f"{API}/locations", headers=bearer(key)).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --------------------------------------------------------------------------- two processes

def free_port() -> int:
    return closed_port()


class Gunicorn:
    """`gunicorn -c python:oms.gunicorn_conf wsgi:app`: one web process, as on its own host."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:oms.gunicorn_conf", "wsgi:app"],
            cwd=ROOT, env={**env, "OMS_BIND": f"127.0.0.1:{self.port}"},
            stdout=self._log, stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")
            with suppress(requests.RequestException):
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not up:\n{self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def two_hosts(db, redis_url, tmp_path) -> Iterator[tuple[Gunicorn, Gunicorn]]:
    if db.is_sqlite:
        pytest.skip("the counts live in Redis: one database is enough to show it")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(OMS_DATABASE_URL=db.url, OMS_REDIS_URL=redis_url, OMS_RATE_LIMIT="4/minute",
               OMS_WEB_WORKERS="1", OMS_WEB_THREADS="2", OMS_EMBEDDED_WORKER="0",
               OMS_LOG_LEVEL="WARNING", OMS_SECRET_KEY="rate-limit-test-" + "0" * 48)
    hosts = (Gunicorn(env, tmp_path / "a.log"), Gunicorn(env, tmp_path / "b.log"))
    try:
        for host in hosts:
            host.wait_ready()
        yield hosts
    finally:
        for host in hosts:
            host.stop()


def test_two_processes_share_each_keys_budget_through_redis(two_hosts):
    a, b = two_hosts
    key, other = create_api_key("admin", name="a"), create_api_key("admin", name="b")

    def get(host: Gunicorn, api_key: str) -> requests.Response:
        return requests.get(host.url(f"{API}/locations"), headers=bearer(api_key), timeout=10)

    # Four requests, two through each process: each process alone has seen two.
    assert [get(host, key).status_code for host in (a, b, a, b)] == [200] * 4
    for host in (a, b):
        refused = get(host, key)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["error"]["details"]["limit"] == "4 per 1 minute"
    assert get(b, other).status_code == 200
    assert get(a, other).status_code == 200
