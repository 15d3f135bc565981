"""The pickup window closes through a real RQ worker on a real Redis."""

from __future__ import annotations

import datetime as dt

from rq import SimpleWorker
from sqlalchemy import select, update

from core import jobs
from core.db import read_session, unit_of_work, utcnow
from fulfillment.models import Fulfillment
from inventory import services
from oms.models import OutboxEvent
from tests.support import CAUSE, assert_ledger_clean, balance


def test_uncollected_pickup_expires_via_rq(app, network, as_role, redis_url):
    services.receive("JKT-1", "store-brooklyn", 2, CAUSE)
    channel, store, cs = as_role("channel"), as_role("store", "store-brooklyn"), as_role("cs")
    order = channel.post("/api/v1/orders", {
        "channel": "web", "external_id": "W-exp", "currency": "USD",
        "customer": {"email": "late@example.com"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00"}],
        "fulfillment": {"method": "pickup", "pickup_location": "store-brooklyn"}}).get_json()
    [pickup] = order["fulfillments"]
    assert store.post(f"/api/v1/fulfillments/{pickup['id']}/ready-for-pickup").status_code == 200
    with unit_of_work() as uow:  # three days pass
        session = uow.session
        session.execute(update(Fulfillment).where(Fulfillment.id == pickup["id"]).values(
            pickup_expires_at=dt.datetime(2000, 1, 1)))
        uow.commit()

    dispatcher = jobs.RedisDispatcher(redis_url)
    dispatcher.enqueue("fulfillment.jobs.expire_pickups", job_id="expire-test", queue="low")
    queue = dispatcher.queue("low")
    SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
    assert queue.fetch_job("expire-test").return_value() == 1

    after = cs.get(f"/api/v1/orders/{order['id']}").get_json()
    assert after["status"] == "cancelled"
    assert after["fulfillments"][0]["status"] == "cancelled"
    assert after["fulfillments"][0]["status_reason"] == "pickup window passed"
    assert balance("JKT-1", "store-brooklyn")["reserved"] == 0
    assert any(e["kind"] == "fulfillment.expired" for e in after["timeline"])
    assert_ledger_clean()


def _ready_pickup(channel, store, ext: str, email: str) -> tuple[dict, int, str]:
    order = channel.post("/api/v1/orders", {
        "channel": "web", "external_id": ext, "currency": "USD",
        "customer": {"email": email, "name": "Ana Ortiz"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00"}],
        "fulfillment": {"method": "pickup", "pickup_location": "store-brooklyn"}}).get_json()
    [pickup] = order["fulfillments"]
    ready = store.post(f"/api/v1/fulfillments/{pickup['id']}/ready-for-pickup")
    assert ready.status_code == 200
    return order, pickup["id"], ready.get_json()["pickup_code"]


def _expires_in(fulfillment_id: int, delta: dt.timedelta) -> dt.datetime:
    when = utcnow() + delta
    with unit_of_work() as uow:
        uow.session.execute(update(Fulfillment).where(Fulfillment.id == fulfillment_id).values(
            pickup_expires_at=when))
        uow.commit()
    return when


def _expiring_events() -> list[OutboxEvent]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "fulfillment.expiring").order_by(OutboxEvent.id)))


def test_customers_are_reminded_once_before_a_pickup_expires(app, network, as_role, redis_url):
    services.receive("JKT-1", "store-brooklyn", 3, CAUSE)
    channel, store, cs = as_role("channel"), as_role("store", "store-brooklyn"), as_role("cs")
    soon, soon_id, _ = _ready_pickup(channel, store, "W-soon", "soon@example.com")
    _later, later_id, _ = _ready_pickup(channel, store, "W-later", "later@example.com")
    collected, collected_id, code = _ready_pickup(channel, store, "W-got", "got@example.com")
    when = _expires_in(soon_id, dt.timedelta(hours=3))
    _expires_in(later_id, dt.timedelta(hours=30))     # beyond the 24 h lead
    _expires_in(collected_id, dt.timedelta(hours=2))
    handed = store.post(f"/api/v1/fulfillments/{collected_id}/pickup", {"code": code})
    assert handed.status_code == 200, handed.get_json()  # collected already: no reminder

    dispatcher = jobs.RedisDispatcher(redis_url)
    queue = dispatcher.queue("low")
    for run in ("first", "second"):
        dispatcher.enqueue("fulfillment.jobs.remind_expiring_pickups", job_id=f"remind-{run}",
                           queue="low")
        SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
    assert queue.fetch_job("remind-first").return_value() == 1
    assert queue.fetch_job("remind-second").return_value() == 0  # once per pickup

    [event] = _expiring_events()
    assert event.aggregate_id == soon["id"]
    data = event.payload
    assert (data["fulfillment_id"], data["location"], data["kind"]) == (
        soon_id, "store-brooklyn", "pickup")
    assert data["pickup_expires_at"] == when.isoformat() + "Z"
    assert data["recipient"]["email"] == "soon@example.com"
    assert "pickup_code" not in data   # only its hash is kept
    timeline = cs.get(f"/api/v1/orders/{soon['id']}").get_json()["timeline"]
    assert [e["kind"] for e in timeline].count("fulfillment.expiring") == 1
    assert collected["id"] != soon["id"]
    assert_ledger_clean()


def test_no_reminders_when_the_lead_is_zero(app, network, as_role, monkeypatch):
    from fulfillment.use_cases import remind_expiring_pickups

    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    _order, pickup_id, _ = _ready_pickup(as_role("channel"), as_role("store", "store-brooklyn"),
                                      "W-zero", "zero@example.com")
    _expires_in(pickup_id, dt.timedelta(hours=1))
    monkeypatch.setenv("OMS_PICKUP_REMINDER_HOURS", "0")
    assert remind_expiring_pickups() == 0
    monkeypatch.setenv("OMS_PICKUP_REMINDER_HOURS", "2")
    assert remind_expiring_pickups() == 1
    assert len(_expiring_events()) == 1
