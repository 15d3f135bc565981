"""The local cluster (scripts/cluster.py, `make cluster`): a real PostgreSQL primary and
replica, Redis, two gunicorn servers behind haproxy, an RQ worker and the scheduler, each its
own process. Faults are real: a web server SIGKILLed, the replica stopped.

PostgreSQL only (the cluster runs its own); skipped when the binaries are missing unless
OMS_TEST_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from cluster import Cluster, pg_bin  # noqa: E402

API = "/api/v1"
BINARIES = ("haproxy", "redis-server")


def _missing() -> list[str]:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    try:
        pg_bin()
    except RuntimeError:
        missing.append("postgresql")
    return missing


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    missing = _missing()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"the cluster needs {', '.join(missing)} (scripts/services.sh ensure)")
        pytest.skip(f"{', '.join(missing)} not installed")
    # Not pytest's tmp_path: it is private to its user, and PostgreSQL runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="oms-cluster-"))
    c = Cluster(root, webs=2, workers=1, web_workers=1, demo_orders=False,
                env={"OMS_LOG_LEVEL": "WARNING"})
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(root, ignore_errors=True)


def order(n: int, surname: str = "Tanaka") -> dict:
    return {"channel": "web", "external_id": f"cluster-{n}", "currency": "USD",
            "customer": {"email": f"c{n}@example.com", "name": f"Kai {surname}"},
            "lines": [{"sku": "NW-JKT-ALP-BLK-M", "quantity": 1, "unit_price": "129.00"}],
            "fulfillment": {"method": "ship", "address": {
                "name": f"Kai {surname}", "line1": "50 W Broad St", "city": "Columbus",
                "region": "OH", "postal_code": "43215", "country": "US"}}}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_orders_through_the_balancer_survive_a_killed_web_server(cluster):
    channel = cluster.api_key("channel", channel="web")
    first = requests.post(f"{cluster.lb_url}{API}/orders", json=order(0),
                          headers={**bearer(channel), "Idempotency-Key": "cluster-0"}, timeout=30)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "routed"

    cluster.kill_web(0)
    try:
        assert not cluster.is_alive("web0")
        # Requests keep coming in through the balancer: a connection refused by the dead server
        # is dispatched to the live one (retry-on conn-failure + redispatch); by the health
        # checks' fall time (2 x 1 s) haproxy has taken it out. A POST whose connection to the
        # dying server was cut before an answer is not re-sent by haproxy (it may have
        # committed): it is a 502, and the client retries it with its Idempotency-Key, as
        # careful clients do; that retry must place it, once.
        statuses, cut, deadline, n = [], 0, time.monotonic() + 4.0, 0
        while time.monotonic() < deadline:
            n += 1
            for _attempt in range(3):
                placed = requests.post(
                    f"{cluster.lb_url}{API}/orders", json=order(n),
                    headers={**bearer(channel), "Idempotency-Key": f"cluster-{n}"}, timeout=30)
                if placed.status_code != 502:
                    break
                cut += 1
            statuses.append(placed.status_code)
            statuses.append(requests.get(f"{cluster.lb_url}{API}/orders/{first.json()['id']}",
                                         headers=bearer(channel), timeout=30).status_code)
        failures = [s for s in statuses if s not in (200, 201)]
        assert len(statuses) >= 10 and failures == [], statuses
        assert cut <= 2, f"{cut} POSTs cut by the killed server (at most the ones in flight)"
        assert cluster.backend_states()["web0"].startswith("DOWN")
        with psycopg.connect(cluster.database_url.replace("+psycopg", "")) as conn:
            counts = conn.execute(
                "SELECT external_id, count(*) FROM oms_orders WHERE external_id LIKE 'cluster-%'"
                " GROUP BY external_id").fetchall()
        assert {external: count for external, count in counts} == {
            f"cluster-{i}": 1 for i in range(n + 1)}  # every order placed, none twice
    finally:
        cluster.start_web(0)  # back (also when an assertion failed: the other tests need it)
    assert cluster.backend_states()["web0"] == "UP"
    # Round robin again: both servers answer (each names itself in no header, so count by
    # haproxy's per-server totals).
    before = _served(cluster)
    for _ in range(6):
        assert requests.get(f"{cluster.lb_url}/readyz", timeout=10).status_code == 200
        assert requests.get(f"{cluster.lb_url}{API}/locations", headers=bearer(channel),
                            timeout=10).status_code in (200, 403)
    after = _served(cluster)
    assert all(after[s] > before[s] for s in ("web0", "web1")), (before, after)


def _served(cluster: Cluster) -> dict[str, int]:
    import csv
    import io

    text = cluster.haproxy_command("show stat").lstrip("# ")
    return {row["svname"]: int(row["stot"]) for row in csv.DictReader(io.StringIO(text))
            if row["pxname"] == "webs" and row["svname"].startswith("web")}


def test_with_the_replica_stopped_readyz_says_so_and_search_reads_the_primary(cluster):
    cs, channel = cluster.api_key("cs"), cluster.api_key("channel", channel="web")
    placed = requests.post(f"{cluster.lb_url}{API}/orders", json=order(1000, "Okonkwo"),
                           headers=bearer(channel), timeout=30)
    assert placed.status_code == 201, placed.text
    cluster.stop_replica()
    try:
        for i in range(cluster.webs):
            strict = requests.get(f"{cluster.web_url(i)}/readyz", timeout=10)
            assert strict.status_code == 503, strict.text  # the monitor's form: not ready
            assert strict.json()["checks"]["replica"].startswith("unreachable"), strict.text
            # Degraded, not out: haproxy checks /readyz?optional=replica and keeps every server.
            resp = requests.get(f"{cluster.web_url(i)}/readyz?optional=replica", timeout=10)
            assert resp.status_code == 200 and resp.json()["status"] == "degraded", resp.text
        for _ in range(4):  # both servers, each falling back to the primary
            found = requests.get(f"{cluster.lb_url}{API}/orders", params={"q": "Okonkwo"},
                                 headers=bearer(cs), timeout=30)
            assert found.status_code == 200, found.text
            assert [o["id"] for o in found.json()["items"]] == [placed.json()["id"]]
        time.sleep(2.5)  # past the health checks' fall time: still both UP
        assert set(cluster.backend_states().values()) == {"UP"}
    finally:
        cluster.start_replica()
    assert requests.get(f"{cluster.web_url(0)}/readyz", timeout=10).json()["status"] == "ready"


def test_status_lists_every_process_alive(cluster):
    status = cluster.status()
    names = {"pg", "replica", "redis", "haproxy", "web0", "web1", "worker0", "scheduler"}
    assert names <= set(status["processes"])
    dead = sorted(n for n in names if not status["processes"][n]["alive"])
    assert dead == [], {n: cluster.log(n).read_text()[-3000:] for n in dead}
    assert os.path.exists(cluster.logs / "web0.log")


def test_after_redis_restarts_empty_orders_go_on_and_the_scheduler_claims_again(cluster):
    from redis import Redis

    channel = cluster.api_key("channel", channel="web")
    cluster.restart_redis()
    r = Redis.from_url(cluster.redis_url)
    placed = requests.post(f"{cluster.lb_url}{API}/orders", json=order(2000),
                           headers=bearer(channel), timeout=30)
    assert placed.status_code == 201, placed.text
    # The scheduler process outlived its Redis: its next ticks claim slots in the new one.
    deadline = time.monotonic() + 10
    while not r.keys("oms:periodic:*"):
        assert time.monotonic() < deadline, "no periodic slot claimed after the restart"
        time.sleep(0.1)
    assert cluster.is_alive("scheduler")
    assert requests.get(f"{cluster.lb_url}/readyz", timeout=10).json()["status"] == "ready"
