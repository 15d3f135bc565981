"""Stock changes told outside: `stock.changed` to webhook subscribers and `available` pushed to
Shopify, both coalesced by the publisher pass (`integrations.stock`).

Subscribers are a real HTTP receiver on loopback (signatures checked); "Shopify" is a real
HTTP server on loopback speaking Admin GraphQL: it checks the operations and variables it gets
(`inventorySetQuantities` with `@idempotent(key: $idempotencyKey)`, name `available`, at most
250 quantities, `changeFromQuantity` on each), keeps the quantities per inventory item and
location, compares `changeFromQuantity` like Shopify (`CHANGE_FROM_QUANTITY_STALE`, nothing
set), replays an answer for a reused idempotency key, and answers `THROTTLED` or an empty cost
bucket when told to."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from core import jobs
from core.db import read_session, unit_of_work, utcnow
from integrations.outbound.models import Delivery
from integrations.stock.models import ShopifyInventoryItem, ShopifyInventorySync
from inventory import ledger, services
from inventory.models import Balance, Item, Location, Movement
from oms.models import OutboxEvent
from tests.support import CAUSE, assert_ledger_clean

API = "/api/v1"
TOKEN = "shpat_inventory_0123456789"
SECRET = "shpss_inventory_loopback"
HOOK_SECRET = "stock-hook-secret-0123"
API_VERSION = "2026-04"
SOHO, DC_EAST = "1001", "1002"          # Shopify location ids mapped to ours
ITEMS = {"JKT-1": "gid://shopify/InventoryItem/7001", "SOCK-1": "gid://shopify/InventoryItem/7002"}


def gid(location: str) -> str:
    return f"gid://shopify/Location/{location}"


# --------------------------------------------------------------------------- Shopify


def cost(available: float = 1990.0, restore: float = 100.0) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
                     "throttleStatus": {"maximumAvailable": 2000.0,
                                        "currentlyAvailable": available,
                                        "restoreRate": restore}}}


class FakeShopify:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.catalogue: dict[str, list[str]] = {sku: [item] for sku, item in ITEMS.items()}
        self.levels: dict[tuple[str, str], int] = {}   # (item, location) -> available
        self.keys: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.throttle = 0            # THROTTLED answers to give to the next mutations
        self.low_bucket_after: int | None = None   # mutations after which the bucket is empty
        self.lock = threading.Lock()

    def mutations(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "inventorySetQuantities(" in r["query"]]

    def lookups(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if "productVariants(" in r["query"]]

    def quantities(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return request["variables"]["input"]["quantities"]

    def level(self, sku: str, location: str) -> int | None:
        return self.levels.get((ITEMS[sku], gid(location)))

    def bucket(self) -> dict[str, Any]:
        done = len(self.mutations())
        if self.low_bucket_after is not None and done >= self.low_bucket_after:
            return cost(available=0.0, restore=1.0)   # 10 s until a call fits again
        return cost()

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if "inventorySetQuantities(" in query:
            return self.set_quantities(query, variables)
        if "productVariants(" in query:
            skus = [re.sub(r"\\(.)", r"\1", s)
                    for s in re.findall(r'sku:"((?:[^"\\]|\\.)*)"', variables["query"])]
            assert skus and " OR ".join(f'sku:"{s}"' for s in skus) == variables["query"]
            nodes = [{"sku": sku, "inventoryItem": {"id": item}}
                     for sku in skus for item in self.catalogue.get(sku, [])]
            return {"data": {"productVariants": {"nodes": nodes,
                                                 "pageInfo": {"hasNextPage": False}}},
                    "extensions": self.bucket()}
        if "inventoryLevel(" in query:
            assert set(variables) == {"id", "locationId"}
            current = self.levels.get((variables["id"], variables["locationId"]), 0)
            return {"data": {"inventoryItem": {"inventoryLevel": {"quantities": [
                {"name": "available", "quantity": current}]}}}, "extensions": self.bucket()}
        return {"errors": [{"message": "unknown operation"}]}

    def set_quantities(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self.throttle:
            self.throttle -= 1
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": cost(available=0.0, restore=1.0)}  # 10 s to refill
        assert "@idempotent(key: $idempotencyKey)" in query
        key = variables["idempotencyKey"]
        assert isinstance(key, str) and key
        given = variables["input"]
        assert given["name"] == "available" and given["reason"] == "correction"
        quantities = given["quantities"]
        assert 1 <= len(quantities) <= 250
        for q in quantities:
            assert set(q) == {"inventoryItemId", "locationId", "quantity", "changeFromQuantity"}
            assert isinstance(q["quantity"], int) and q["quantity"] >= 0
        if key in self.keys:  # Shopify's idempotency: the first answer, or a mismatch
            first, answer = self.keys[key]
            if first != variables:
                return self.user_errors([{"code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                          "field": None, "message": "key reused"}])
            return answer
        errors = [{"code": "CHANGE_FROM_QUANTITY_STALE",
                   "field": ["input", "quantities", str(i), "changeFromQuantity"],
                   "message": "The changeFromQuantity value does not match persisted value."}
                  for i, q in enumerate(quantities)
                  if q["changeFromQuantity"] is not None and q["changeFromQuantity"]
                  != self.levels.get((q["inventoryItemId"], q["locationId"]), 0)]
        if not errors:  # all or nothing
            for q in quantities:
                self.levels[(q["inventoryItemId"], q["locationId"])] = q["quantity"]
        answer = self.user_errors(errors)
        self.keys[key] = (variables, answer)
        return answer

    def user_errors(self, errors: list[dict[str, Any]]) -> dict[str, Any]:
        group = None if errors else {"id": f"gid://shopify/InventoryAdjustmentGroup/"
                                           f"{len(self.keys) + 1}"}
        return {"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": group,
                                                    "userErrors": errors}},
                "extensions": self.bucket()}


@pytest.fixture
def fake_shopify(monkeypatch):
    fake = FakeShopify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            ok = (self.path == f"/admin/api/{API_VERSION}/graphql.json"
                  and self.headers.get("X-Shopify-Access-Token") == TOKEN)
            with fake.lock:
                fake.requests.append({"query": body.get("query", ""),
                                      "variables": body.get("variables") or {}})
                payload = (fake.answer(body.get("query", ""), body.get("variables") or {})
                           if ok else {"errors": "[API] Invalid API key or access token"})
            data = json.dumps(payload).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OMS_SHOPIFY_PROTOCOL", "http")
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    fake.domain = f"127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def shop(app, network, fake_shopify) -> str:
    result = app.test_cli_runner().invoke(args=[
        "integrations", "shopify", "add-shop", fake_shopify.domain, "--secret", SECRET,
        "--access-token", TOKEN, "--api-version", API_VERSION,
        "--location", f"{SOHO}=store-soho", "--location", f"{DC_EAST}=dc-east"])
    assert result.exit_code == 0, result.output
    return fake_shopify.domain


# --------------------------------------------------------------------------- subscribers


class Receiver:
    """A webhook receiver on 127.0.0.1: checks signatures, records what it got, and answers
    500 for the SKUs in `failing`."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.failing: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(HOOK_SECRET.encode(), body,
                                                hashlib.sha256).hexdigest()
                assert hmac.compare_digest(expected, self.headers["X-OMS-Signature"])
                event = json.loads(body)
                fail = event["data"].get("sku") in receiver.failing
                if not fail:
                    receiver.got.append({"path": self.path, "event": event,
                                         "delivery": self.headers["X-OMS-Delivery-Id"],
                                         "type": self.headers["X-OMS-Event"]})
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[dict[str, Any]]:
        return [g["event"] for g in self.got if g["path"] == path]


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_MAX_BACKOFF_SECONDS", "0.05")
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def subscribe(admin, url: str, topics: list[str], location: str | None = None) -> None:
    response = admin.post(f"{API}/subscriptions", {"url": url, "topics": topics,
                                                   "secret": HOOK_SECRET, "location": location})
    assert response.status_code == 201, response.get_json()


# --------------------------------------------------------------------------- helpers


def publish() -> dict[str, Any]:
    return jobs.run_job("integrations.stock.jobs.publish")


def stock_events() -> list[OutboxEvent]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "stock.changed").order_by(OutboxEvent.id)))


def figures(event: OutboxEvent | dict[str, Any]) -> tuple:
    data = event.payload if isinstance(event, OutboxEvent) else event
    return (data["location"], data["sku"], data["on_hand"], data["reserved"],
            data["safety_stock"], data["in_transit"], data["available"])


def balance_id(sku: str, location: str) -> int:
    with read_session() as session:
        return session.scalars(
            select(Balance.id).join(Item, Item.id == Balance.item_id)
            .join(Location, Location.id == Balance.location_id)
            .where(Item.sku == sku, Location.code == location)).one()


def sync_rows() -> list[ShopifyInventorySync]:
    with read_session() as session:
        return list(session.scalars(select(ShopifyInventorySync)
                                    .order_by(ShopifyInventorySync.id)))


def time_passes() -> None:
    """Whatever waits for later (a backoff, a throttle, a SKU re-check) is due now."""
    with unit_of_work() as uow:
        uow.session.execute(update(ShopifyInventorySync).values(next_attempt_at=utcnow()))
        uow.session.execute(update(Delivery).values(next_attempt_at=utcnow()))
        uow.commit()


def reserve(sku: str, location: str, quantity: int, demand: str) -> None:
    services.reserve([(sku, location, quantity)], demand, CAUSE)


# --------------------------------------------------------------------------- stock.changed


def test_many_movements_make_one_event_and_one_push(shop, fake_shopify):
    services.receive("JKT-1", "store-soho", 10, CAUSE)
    for i in range(5):
        reserve("JKT-1", "store-soho", 1, f"order:{i}/line:1")
    services.release("JKT-1", "store-soho", 1, "order:0/line:1", CAUSE)
    assert publish()["events"] == 1
    [event] = stock_events()
    assert (event.aggregate, event.aggregate_id) == ("stock", balance_id("JKT-1", "store-soho"))
    assert figures(event) == ("store-soho", "JKT-1", 10, 4, 0, 0, 6)
    assert event.payload["changed_at"].endswith("Z")
    # One call with one quantity: the first push has nothing to compare with.
    [call] = fake_shopify.mutations()
    assert fake_shopify.quantities(call) == [{
        "inventoryItemId": ITEMS["JKT-1"], "locationId": gid(SOHO), "quantity": 6,
        "changeFromQuantity": None}]
    assert fake_shopify.level("JKT-1", SOHO) == 6
    assert len(fake_shopify.lookups()) == 1

    # Nothing moved: nothing more is said or pushed.
    assert publish()["events"] == 0
    assert len(stock_events()) == 1 and len(fake_shopify.mutations()) == 1

    # The next change is one more event, pushed from the value we pushed last.
    reserve("JKT-1", "store-soho", 2, "order:9/line:1")
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    publish()
    assert [figures(e)[2:] for e in stock_events()] == [(10, 4, 0, 0, 6), (11, 6, 0, 0, 5)]
    first, second = fake_shopify.mutations()
    assert fake_shopify.quantities(second) == [{
        "inventoryItemId": ITEMS["JKT-1"], "locationId": gid(SOHO), "quantity": 5,
        "changeFromQuantity": 6}]
    assert first["variables"]["idempotencyKey"] != second["variables"]["idempotencyKey"]
    [row] = sync_rows()
    assert (row.desired, row.last_pushed, row.dirty, row.attempts, row.last_error) == (
        5, 5, False, 0, None)
    assert len(fake_shopify.lookups()) == 1  # the inventory item is cached
    assert_ledger_clean()


def test_a_store_scoped_subscriber_gets_its_stores_stock(admin, network, receiver):
    subscribe(admin, receiver.url("/soho"), ["stock.*"], location="store-soho")
    subscribe(admin, receiver.url("/all"), ["stock.changed"])
    subscribe(admin, receiver.url("/orders"), ["order.*"])
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.receive("SOCK-1", "store-soho", 2, CAUSE)
    services.receive("JKT-1", "dc-east", 7, CAUSE)
    services.transfer("JKT-1", "dc-east", "store-brooklyn", 2, CAUSE)
    publish()
    soho = receiver.at("/soho")
    assert sorted(figures(e["data"]) for e in soho) == [
        ("store-soho", "JKT-1", 3, 0, 0, 0, 3), ("store-soho", "SOCK-1", 2, 0, 0, 0, 2)]
    assert all(e["type"] == "stock.changed" and e["version"] == 1 for e in soho)
    everything = sorted(figures(e["data"]) for e in receiver.at("/all"))
    assert everything == [("dc-east", "JKT-1", 5, 0, 0, 0, 5),
                          ("store-brooklyn", "JKT-1", 0, 0, 0, 2, 0),
                          ("store-soho", "JKT-1", 3, 0, 0, 0, 3),
                          ("store-soho", "SOCK-1", 2, 0, 0, 0, 2)]
    assert receiver.at("/orders") == []
    assert len({g["delivery"] for g in receiver.got}) == len(receiver.got)


def test_one_pairs_events_stay_in_order_while_others_go(admin, network, receiver):
    subscribe(admin, receiver.url("/all"), ["stock.*"])
    receiver.failing.add("JKT-1")
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    publish()
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    services.receive("SOCK-1", "store-soho", 1, CAUSE)
    publish()
    assert [figures(e["data"])[1] for e in receiver.at("/all")] == ["SOCK-1"]
    waiting = [d for d in _deliveries() if d.status == "pending"]
    assert [d.aggregate for d in waiting] == ["stock", "stock"]
    assert waiting[0].attempts >= 1 and waiting[1].attempts == 0  # behind the first
    receiver.failing.clear()
    for _ in range(20):
        time_passes()
        jobs.run_job("integrations.outbound.jobs.sweep")
        if not [d for d in _deliveries() if d.status == "pending"]:
            break
    jkt = [figures(e["data"])[2] for e in receiver.at("/all") if e["data"]["sku"] == "JKT-1"]
    assert jkt == [3, 5]  # on hand as published, oldest first


def _deliveries() -> list[Delivery]:
    with read_session() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.outbox_id)))


@pytest.mark.postgres_only
def test_a_movement_committed_late_with_a_smaller_id_is_not_missed(shop, fake_shopify):
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    services.receive("SOCK-1", "store-soho", 5, CAUSE)
    publish()
    assert len(stock_events()) == 2
    with unit_of_work() as late:
        session = late.session
        jacket = ledger.receive(session, ledger.item_by_sku(session, "JKT-1"),
                                ledger.location_by_code(session, "store-soho"), 1, CAUSE)
        services.receive("SOCK-1", "store-soho", 1, CAUSE)  # a larger id, committed first
        assert jacket.id < movement_ids()[-1]  # SOCK-1's, committed
        publish()
        publish()
        assert [figures(e)[1:3] for e in stock_events()[2:]] == [("SOCK-1", 6)]
        late.commit()
    publish()
    assert [figures(e)[1:3] for e in stock_events()[2:]] == [("SOCK-1", 6), ("JKT-1", 6)]
    assert fake_shopify.level("JKT-1", SOHO) == 6 and fake_shopify.level("SOCK-1", SOHO) == 6


def movement_ids() -> list[int]:
    with read_session() as session:
        return list(session.scalars(select(Movement.id).order_by(Movement.id)))


def test_a_safety_stock_change_is_found_by_reconcile(shop, fake_shopify, monkeypatch):
    # Once the receipt is behind the lookback window a pass reads no movement of the pair.
    monkeypatch.setenv("OMS_STOCK_LOOKBACK_SECONDS", "0")
    services.receive("JKT-1", "store-soho", 10, CAUSE)
    publish()
    publish()
    services.set_safety_stock("JKT-1", "store-soho", 4)
    assert publish()["pairs"] == 0  # no movement, so a pass does not see it
    result = jobs.run_job("integrations.stock.jobs.reconcile")
    assert result["events"] == 1
    assert figures(stock_events()[-1]) == ("store-soho", "JKT-1", 10, 0, 4, 0, 6)
    assert fake_shopify.quantities(fake_shopify.mutations()[-1]) == [{
        "inventoryItemId": ITEMS["JKT-1"], "locationId": gid(SOHO), "quantity": 6,
        "changeFromQuantity": 10}]
    assert jobs.run_job("integrations.stock.jobs.reconcile")["events"] == 0


# --------------------------------------------------------------------------- Shopify


def test_batches_of_at_most_250_paced_by_the_cost_bucket(shop, fake_shopify):
    skus = [f"BULK-{n:03d}" for n in range(260)]
    with unit_of_work() as uow:
        session = uow.session
        session.add_all([Item(sku=sku, name=sku, price=1, weight_grams=1) for sku in skus])
        session.flush()
        dc = ledger.location_by_code(session, "dc-east")
        for n, sku in enumerate(skus):
            ledger.receive(session, ledger.item_by_sku(session, sku), dc, n + 1, CAUSE)
        uow.commit()
    for n, sku in enumerate(skus):
        fake_shopify.catalogue[sku] = [f"gid://shopify/InventoryItem/{9000 + n}"]
    fake_shopify.low_bucket_after = 1  # the first call empties the bucket (10 s to refill)
    publish()
    [first] = fake_shopify.mutations()
    assert len(fake_shopify.quantities(first)) == 250
    assert len(fake_shopify.lookups()) == 5  # 50 SKUs per lookup; the next batch's wait
    waiting = [r for r in sync_rows() if r.dirty]
    assert len(waiting) == 10
    assert all(r.attempts == 0 and r.next_attempt_at > utcnow() + dt.timedelta(seconds=5)
               and "cost bucket" in (r.last_error or "") for r in waiting)
    publish()  # not due yet: no call
    assert len(fake_shopify.mutations()) == 1
    fake_shopify.low_bucket_after = None
    time_passes()
    publish()
    second = fake_shopify.mutations()[1]
    assert len(fake_shopify.quantities(second)) == 10
    assert len(fake_shopify.lookups()) == 6
    assert first["variables"]["idempotencyKey"] != second["variables"]["idempotencyKey"]
    assert not any(r.dirty for r in sync_rows())
    assert {fake_shopify.levels[(f"gid://shopify/InventoryItem/{9000 + n}", gid(DC_EAST))]
            for n in (0, 259)} == {1, 260}


def test_a_compare_mismatch_rereads_shopify_and_sets_ours_again(shop, fake_shopify):
    services.receive("JKT-1", "store-soho", 10, CAUSE)
    publish()
    fake_shopify.levels[(ITEMS["JKT-1"], gid(SOHO))] = 8  # Shopify sold two itself
    reserve("JKT-1", "store-soho", 3, "order:1/line:1")
    publish()
    _, stale, again = fake_shopify.mutations()
    assert fake_shopify.quantities(stale)[0]["changeFromQuantity"] == 10
    assert fake_shopify.quantities(again) == [{
        "inventoryItemId": ITEMS["JKT-1"], "locationId": gid(SOHO), "quantity": 7,
        "changeFromQuantity": 8}]
    assert stale["variables"]["idempotencyKey"] != again["variables"]["idempotencyKey"]
    assert fake_shopify.level("JKT-1", SOHO) == 7  # the ledger is the source of truth
    [row] = sync_rows()
    assert (row.last_pushed, row.dirty, row.attempts, row.last_error) == (7, False, 0, None)


def test_throttled_backs_off_and_loses_nothing(shop, fake_shopify):
    fake_shopify.throttle = 1
    services.receive("JKT-1", "store-soho", 4, CAUSE)
    services.receive("SOCK-1", "dc-east", 9, CAUSE)
    publish()
    [throttled] = fake_shopify.mutations()
    assert len(fake_shopify.quantities(throttled)) == 2
    rows = sync_rows()
    assert all(r.dirty and r.attempts == 0 and "throttled" in (r.last_error or "").lower()
               and r.next_attempt_at > utcnow() + dt.timedelta(seconds=5) for r in rows)
    reserve("JKT-1", "store-soho", 1, "order:1/line:1")  # a new figure waits for the bucket too
    publish()
    assert len(fake_shopify.mutations()) == 1  # waits for the bucket
    time_passes()
    publish()
    assert fake_shopify.level("JKT-1", SOHO) == 3 and fake_shopify.level("SOCK-1", DC_EAST) == 9
    assert not any(r.dirty or r.last_error for r in sync_rows())


def test_an_unknown_sku_is_recorded_and_not_looked_up_every_time(shop, fake_shopify, admin,
                                                                  cs, monkeypatch):
    services.receive("BOOT-1", "store-soho", 4, CAUSE)   # not in the shop's catalogue
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    publish()
    assert [fake_shopify.quantities(m)[0]["inventoryItemId"]
            for m in fake_shopify.mutations()] == [ITEMS["JKT-1"]]
    failing = admin.get(f"{API}/stock-sync/shopify?status=failing").get_json()["items"]
    [boot] = failing
    assert (boot["sku"], boot["location"], boot["shopify_location_id"], boot["desired"],
            boot["owed"], boot["inventory_item_id"]) == ("BOOT-1", "store-soho", SOHO, 4, True,
                                                         None)
    assert "not a variant SKU in Shopify" in boot["last_error"]
    with read_session() as session:
        cached = session.scalars(select(ShopifyInventoryItem)
                                 .where(ShopifyInventoryItem.sku == "BOOT-1")).one()
        assert cached.status == "unknown"
    lookups = len(fake_shopify.lookups())
    reserve("BOOT-1", "store-soho", 1, "order:1/line:1")
    publish()
    assert len(fake_shopify.lookups()) == lookups  # the row waits for the re-check
    status = admin.get(f"{API}/stock-sync").get_json()
    [mine] = status["shopify"]
    assert (mine["shop"], mine["quantities"], mine["owed"], mine["failing"],
            mine["unknown_skus"]) == (shop, 2, 1, 1, 1)
    assert status["publisher"]["publish_seconds"] == 5
    assert cs.get(f"{API}/stock-sync").status_code == 403
    # The merchant adds the product; once the re-check is due it is found and pushed.
    fake_shopify.catalogue["BOOT-1"] = ["gid://shopify/InventoryItem/7003"]
    monkeypatch.setenv("OMS_SHOPIFY_SKU_RECHECK_HOURS", "0")
    time_passes()
    publish()
    assert fake_shopify.levels[("gid://shopify/InventoryItem/7003", gid(SOHO))] == 3
    assert admin.get(f"{API}/stock-sync/shopify?status=failing").get_json()["items"] == []
    synced = admin.get(f"{API}/stock-sync/shopify?status=synced&sku=BOOT-1").get_json()
    assert synced["items"][0]["inventory_item_id"] == "gid://shopify/InventoryItem/7003"


def test_through_rq_workers_on_redis(app, shop, fake_shopify, admin, receiver, redis_url):
    assert {(j.name, j.every_seconds) for j in jobs.periodic_jobs()} >= {
        ("stock-publish", 5), ("stock-reconcile", 600)}
    subscribe(admin, receiver.url("/soho"), ["stock.*"], location="store-soho")
    dispatcher = jobs.init_dispatcher(redis_url, app)
    assert isinstance(dispatcher, jobs.RedisDispatcher)
    try:
        services.receive("SOCK-1", "store-soho", 6, CAUSE)
        dispatcher.enqueue("integrations.stock.jobs.publish", queue="default")
        assert fake_shopify.mutations() == []  # queued, not run
        queues = [dispatcher.queue(name) for name in ("default", "webhooks")]
        for _ in range(3):  # the pass queues the fan-out and the push; they queue deliveries
            SimpleWorker(queues, connection=dispatcher.redis).work(burst=True)
        [event] = receiver.at("/soho")
        assert figures(event["data"]) == ("store-soho", "SOCK-1", 6, 0, 0, 0, 6)
        assert fake_shopify.level("SOCK-1", SOHO) == 6
    finally:
        jobs.init_dispatcher(None, app)


def test_the_admin_list_pages_and_refuses_bad_input(shop, fake_shopify, admin):
    for sku in ("JKT-1", "SOCK-1"):
        services.receive(sku, "store-soho", 1, CAUSE)
        services.receive(sku, "dc-east", 1, CAUSE)
    publish()
    first = admin.get(f"{API}/stock-sync/shopify?limit=3").get_json()
    rest = admin.get(f"{API}/stock-sync/shopify?limit=3&cursor={first['next_cursor']}")
    ids = [r["id"] for r in first["items"] + rest.get_json()["items"]]
    assert len(ids) == 4 and ids == sorted(ids, reverse=True)
    bad = admin.get(f"{API}/stock-sync/shopify?status=broken")
    assert bad.status_code == 422 and list(bad.get_json()["error"]["fields"]) == ["status"]


def test_stock_changed_bodies_match_their_published_schema(client, network):
    from tests.e2e.test_fulfillment_events import problems, strict

    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.transfer("JKT-1", "store-soho", "store-brooklyn", 1, CAUSE)
    publish()
    components = strict(client.get(f"{API}/openapi.json").get_json())
    with read_session() as session:
        written = list(session.scalars(select(OutboxEvent).where(
            OutboxEvent.topic == "stock.changed").order_by(OutboxEvent.id)))
    assert len(written) == 2
    assert [p for e in written for p in problems(components, e)] == []
