"""The pickup window closes through a real RQ worker on a real Redis."""

from __future__ import annotations

import datetime as dt

from rq import SimpleWorker
from sqlalchemy import update

from core import jobs
from core.db import unit_of_work
from fulfillment.models import Fulfillment
from inventory import services
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
