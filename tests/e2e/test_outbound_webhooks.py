"""Outbound sync to webhook subscribers, against a real HTTP receiver on loopback (signature
checked, what arrived recorded) that can fail, throttle, be slow or be down; through the
embedded runner and through a real RQ worker on a real Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from rq import SimpleWorker
from sqlalchemy import select, update

from core import jobs
from core.db import read_session, unit_of_work, utcnow
from integrations.outbound.models import Delivery
from inventory import services
from tests.support import CAUSE

API = "/api/v1"
SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """A webhook receiver on 127.0.0.1: verifies each signature, records what it got, and
    answers as told (`mode`: ok, fail (500), throttle (429 + Retry-After), slow)."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.mode = "ok"
        self.fail_orders: set[int] = set()
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body,
                                                hashlib.sha256).hexdigest()
                assert hmac.compare_digest(expected, self.headers["X-OMS-Signature"])
                event = json.loads(body)
                mode = receiver.mode
                if mode == "slow":
                    time.sleep(0.6)
                failing = mode == "fail" or event["data"]["order_id"] in receiver.fail_orders
                if mode == "ok" and not failing:
                    with receiver.lock:
                        receiver.got.append({
                            "path": self.path, "delivery": self.headers["X-OMS-Delivery-Id"],
                            "type": self.headers["X-OMS-Event"], "event": event})
                if mode == "throttle":
                    self.send_response(429)
                    self.send_header("Retry-After", "30")
                elif failing or mode == "slow":
                    self.send_response(500)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def events_of(self, order_id: int, path: str = "/hook") -> list[dict]:
        return [g for g in self.got
                if g["event"]["data"]["order_id"] == order_id and g["path"] == path]


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "2")
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def stocked(network):
    services.receive("JKT-1", "dc-east", 50, CAUSE)
    services.receive("JKT-1", "store-brooklyn", 5, CAUSE)


def subscribe(admin, url: str, topics: list[str], location: str | None = None) -> dict:
    resp = admin.post(f"{API}/subscriptions", {"url": url, "topics": topics, "secret": SECRET,
                                               "location": location})
    assert resp.status_code == 201, resp.get_json()
    assert "secret" not in resp.get_json()
    return resp.get_json()


def place(channel, ext: str, method: str = "ship") -> dict:
    fulfillment: dict = {"method": method}
    if method == "pickup":
        fulfillment["pickup_location"] = "store-brooklyn"
    else:
        fulfillment["address"] = {"line1": "1 Main St", "city": "New York", "region": "NY",
                                  "postal_code": "10001", "country": "US"}
    resp = channel.post(f"{API}/orders", {
        "channel": "web", "external_id": ext, "currency": "USD",
        "customer": {"email": f"{ext}@example.com"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00"}],
        "fulfillment": fulfillment})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def cancel(channel, order_id: int) -> None:
    assert channel.post(f"{API}/orders/{order_id}/cancel", {}).status_code == 200


def sweep() -> int:
    return jobs.run_job("integrations.outbound.jobs.sweep")


def deliveries(**where: Any) -> list[Delivery]:
    with read_session() as session:
        stmt = select(Delivery).order_by(Delivery.outbox_id)
        for key, value in where.items():
            stmt = stmt.where(getattr(Delivery, key) == value)
        return list(session.scalars(stmt))


def sweep_until_settled(rounds: int = 40) -> None:
    for _ in range(rounds):
        if not deliveries(status="pending"):
            return
        time.sleep(0.05)
        sweep()
    raise AssertionError(f"still pending: {[d.id for d in deliveries(status='pending')]}")


def assert_in_order_once(got: list[dict]) -> None:
    ids = [g["event"]["id"] for g in got]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


def test_an_orders_events_arrive_signed_in_order_once(app, admin, channel, stocked, receiver):
    subscribe(admin, receiver.url(), ["order.*"])
    order = place(channel, "W-1")
    cancel(channel, order["id"])
    got = receiver.events_of(order["id"])
    types = [g["type"] for g in got]
    assert types[0] == "order.created" and types[-1] == "order.cancelled"
    assert_in_order_once(got)
    first = got[0]["event"]
    assert first["version"] == 1 and first["type"] == "order.created"
    assert first["occurred_at"].endswith("Z") and first["data"]["number"] == order["number"]
    assert all(d.status == "delivered" for d in deliveries())
    sweep()  # nothing delivered twice
    assert len(receiver.events_of(order["id"])) == len(got)
    # Redelivering in bulk sends the same deliveries again, under the same ids.
    result = CliRunner().invoke(app.cli, ["integrations", "redeliver", "--status", "delivered"],
                                catch_exceptions=False)
    assert f"{len(got)} deliveries back to pending" in result.output
    again = receiver.events_of(order["id"])[len(got):]
    assert [g["delivery"] for g in again] == [g["delivery"] for g in got]


def test_a_receiver_down_then_back_gets_everything_in_order(admin, channel, stocked, receiver):
    subscribe(admin, receiver.url(), ["order.*"])
    receiver.stop()
    orders = [place(channel, f"W-down-{i}") for i in range(2)]
    cancel(channel, orders[0]["id"])
    pending = deliveries(status="pending")
    assert pending and all(d.last_error for d in pending if d.attempts)
    receiver.start()  # the same port
    sweep_until_settled()
    for order in orders:
        got = receiver.events_of(order["id"])
        assert got[0]["type"] == "order.created"
        assert_in_order_once(got)
    assert [g["type"] for g in receiver.events_of(orders[0]["id"])][-1] == "order.cancelled"


def test_500s_and_a_slow_receiver_then_recovery(admin, channel, stocked, receiver,
                                                 monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "0.2")
    subscribe(admin, receiver.url(), ["order.created"])
    receiver.mode = "fail"
    order = place(channel, "W-500")
    receiver.mode = "slow"
    time.sleep(0.05)
    sweep()
    [d] = deliveries()
    assert d.status == "pending" and d.attempts == 2
    receiver.mode = "ok"
    sweep_until_settled()
    [got] = receiver.events_of(order["id"])
    assert got["delivery"] == str(d.id)
    view = admin.get(f"{API}/deliveries").get_json()["items"][0]
    codes = [a["status_code"] for a in view["attempts"]]
    assert codes[0] == 500 and codes[1] is None and codes[-1] == 200
    assert "Timeout" in view["attempts"][1]["error"]


def test_429_retry_after_is_honoured(admin, channel, stocked, receiver):
    subscribe(admin, receiver.url(), ["order.created"])
    receiver.mode = "throttle"
    order = place(channel, "W-429")
    [d] = deliveries()
    view = admin.get(f"{API}/deliveries").get_json()["items"][0]
    assert view["attempts"][0]["status_code"] == 429
    with read_session() as session:
        d = session.get(Delivery, d.id)
        assert d is not None
        at = d.history[0].at
        assert (d.next_attempt_at - at).total_seconds() >= 30
    receiver.mode = "ok"
    assert sweep() == 0  # not due yet
    assert receiver.events_of(order["id"]) == []
    with unit_of_work() as uow:  # thirty seconds pass
        uow.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        uow.commit()
    sweep()
    assert len(receiver.events_of(order["id"])) == 1


def test_budget_runs_out_dead_letter_then_retry(admin, channel, stocked, receiver,
                                                monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_MAX_ATTEMPTS", "3")
    subscribe(admin, receiver.url(), ["order.*"])
    receiver.mode = "fail"
    order = place(channel, "W-dead")
    sweep_until_settled()
    failed = admin.get(f"{API}/deliveries?status=failed").get_json()
    assert failed["items"] and all(len(d["attempts"]) == 3 for d in failed["items"])
    assert all(a["status_code"] == 500 and a["latency_ms"] >= 0
               for d in failed["items"] for a in d["attempts"])
    receiver.mode = "ok"
    oldest = sorted(failed["items"], key=lambda d: d["event_id"])
    for item in oldest:
        resp = admin.post(f"{API}/deliveries/{item['id']}/retry")
        assert resp.status_code == 200, resp.get_json()
    assert admin.post(f"{API}/deliveries/{oldest[0]['id']}/retry").status_code == 409
    got = receiver.events_of(order["id"])
    assert [g["delivery"] for g in got] == [str(d["id"]) for d in oldest]
    assert admin.get(f"{API}/deliveries?status=failed").get_json()["items"] == []


def test_one_failing_order_waits_in_order_while_others_proceed(admin, channel, stocked,
                                                                receiver):
    subscribe(admin, receiver.url(), ["order.*"])
    stuck, fine = place(channel, "W-stuck"), None
    receiver.fail_orders.add(stuck["id"])
    cancel(channel, stuck["id"])  # arrives only after the order's earlier events
    fine = place(channel, "W-fine")
    cancel(channel, fine["id"])
    time.sleep(0.05)
    sweep()
    assert [g["type"] for g in receiver.events_of(fine["id"])][-1] == "order.cancelled"
    waiting = [d for d in deliveries(aggregate_id=stuck["id"]) if d.status == "pending"]
    assert waiting[0].attempts >= 1 and all(d.attempts == 0 for d in waiting[1:])
    receiver.fail_orders.clear()
    sweep_until_settled()
    got = receiver.events_of(stuck["id"])
    assert_in_order_once(got)
    assert got[-1]["type"] == "order.cancelled"


def test_wildcards_and_location_scope(admin, channel, as_role, stocked, receiver):
    subscribe(admin, receiver.url("/created"), ["order.created"])
    subscribe(admin, receiver.url("/brooklyn"), ["fulfillment.*"], location="store-brooklyn")
    subscribe(admin, receiver.url("/soho"), ["fulfillment.*"], location="store-soho")
    subscribe(admin, receiver.url("/all"), ["*"])
    order = place(channel, "W-pick", method="pickup")
    [pickup] = order["fulfillments"]
    store = as_role("store", "store-brooklyn")
    assert store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup").status_code == 200
    assert [g["type"] for g in receiver.events_of(order["id"], "/created")] == ["order.created"]
    brooklyn = receiver.events_of(order["id"], "/brooklyn")
    assert [g["type"] for g in brooklyn] == ["fulfillment.created",
                                             "fulfillment.ready_for_pickup"]
    assert all(g["event"]["data"]["location"] == "store-brooklyn" for g in brooklyn)
    assert receiver.events_of(order["id"], "/soho") == []
    every = [g["type"] for g in receiver.events_of(order["id"], "/all")]
    assert every[0] == "order.created" and "fulfillment.ready_for_pickup" in every
    listed = admin.get(f"{API}/subscriptions").get_json()["items"]
    assert len(listed) == 4 and all("secret" not in s for s in listed)
    gone = admin.client.delete(f"{API}/subscriptions/{listed[0]['id']}",
                               headers={"Authorization": f"Bearer {admin.key}"})
    assert gone.status_code == 200 and gone.get_json()["id"] == listed[0]["id"]
    assert len(admin.get(f"{API}/subscriptions").get_json()["items"]) == 3


def test_through_rq_with_redis_emptied(app, admin, channel, stocked, receiver, redis_url):
    subscribe(admin, receiver.url(), ["order.*"])
    dispatcher = jobs.init_dispatcher(redis_url, app)
    assert isinstance(dispatcher, jobs.RedisDispatcher)
    queue = dispatcher.queue("webhooks")
    try:
        first = place(channel, "W-rq-1")
        assert receiver.events_of(first["id"]) == []  # queued, not run
        SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
        assert receiver.events_of(first["id"])[0]["type"] == "order.created"

        second = place(channel, "W-rq-2")
        cancel(channel, second["id"])
        assert len(queue) > 0
        dispatcher.redis.flushdb()  # Redis restarted empty: the queued jobs are gone
        SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
        assert receiver.events_of(second["id"]) == []
        for _ in range(5):  # the sweep (itself a job) re-creates them from the database
            sweep()
            SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
            if not deliveries(status="pending"):
                break
        got = receiver.events_of(second["id"])
        assert_in_order_once(got)
        assert got[-1]["type"] == "order.cancelled"
        assert all(d.status == "delivered" for d in deliveries())
    finally:
        jobs.init_dispatcher(None, app)


def test_fan_out_enqueues_the_heads_of_chains_the_chain_enqueues_the_rest(
        app, admin, channel, stocked, receiver, redis_url):
    subscribe(admin, receiver.url(), ["order.*"])
    dispatcher = jobs.init_dispatcher(redis_url, app)
    assert isinstance(dispatcher, jobs.RedisDispatcher)
    queue = dispatcher.queue("webhooks")
    try:
        order = place(channel, "W-heads")  # order.created and order.routed, one commit
        SimpleWorker([queue], connection=dispatcher.redis).work(burst=True, max_jobs=1)
        created, routed = deliveries()
        # Only the head is queued: a job for the second would find it waiting.
        assert [job.args for job in queue.jobs] == [(created.id,)]
        SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
        got = receiver.events_of(order["id"])
        assert [g["delivery"] for g in got] == [str(created.id), str(routed.id)]
    finally:
        jobs.init_dispatcher(None, app)
