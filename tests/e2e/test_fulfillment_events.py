"""Events for the nodes (`fulfillment.*`) and a schema per event type.

- a journey through the API (ship and BOPIS orders, claims, picks, shipments, rejections,
  short picks, transfers, pickups, an expiry, line and order cancels, a re-route, a held
  order, returns, a refund, an exchange) writes events that each validate, strictly, against
  the schema the API document publishes for their topic; every `fulfillment.*` topic is seen;
- a warehouse's and a store's location-scoped subscriptions get exactly their own work's
  events, with what a WMS needs to print a label, through a real receiver on loopback.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from sqlalchemy import select, update

from core.db import read_session, unit_of_work, utcnow
from fulfillment import use_cases
from fulfillment.models import Fulfillment
from integrations.outbound.relay import event_body
from inventory import services
from oms import catalogue, holds
from oms.models import OutboxEvent
from oms.orders import Address, LineInput, PlaceOrder
from tests.e2e.test_outbound_webhooks import Receiver, subscribe
from tests.support import CAUSE, assert_ledger_clean

API = "/api/v1"
NEW_YORK = {"name": "Ada King", "line1": "350 5th Ave", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US", "latitude": 40.7484, "longitude": -73.9857}
CHICAGO = {"line1": "233 S Wacker Dr", "city": "Chicago", "region": "IL",
           "postal_code": "60606", "country": "US", "latitude": 41.8789, "longitude": -87.6359}
CUSTOMER = {"email": "ada@example.com", "phone": "(212) 555-0142", "name": "Ada Lovelace"}


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def order_body(ext: str, lines: list[tuple[str, int]], method: str = "ship", **where) -> dict:
    fulfillment: dict[str, Any] = {"method": method}
    if method == "ship":
        fulfillment["address"] = where.get("address", NEW_YORK)
    else:
        fulfillment["pickup_location"] = where["pickup_location"]
    body = {"channel": "web", "external_id": ext, "currency": "USD", "customer": CUSTOMER,
            "lines": [{"sku": s, "quantity": q, "unit_price": "10.00"} for s, q in lines],
            "fulfillment": fulfillment}
    if method == "ship":
        body["shipping_lines"] = [{"title": "Express", "price": "9.95"}]
    return body


def place(channel, ext: str, lines: list[tuple[str, int]], method: str = "ship",
          **where) -> dict:
    return ok(channel.post(f"{API}/orders", order_body(ext, lines, method, **where)), 201)


def work(order: dict, method: str) -> dict:
    [f] = [f for f in order["fulfillments"]
           if f["method"] == method and f["status"] not in ("cancelled", "rejected")]
    return f


# ---------------------------------------------------------------- schemas

def strict(document: dict) -> dict:
    """The document's components with no room for an undocumented field: every object lists
    all it may hold (the published document allows more, for fields added later)."""
    components = copy.deepcopy(document["components"])

    def tighten(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                node["additionalProperties"] = False
            for branch in node.get("anyOf", []):
                if branch == {"type": "object", "nullable": True}:  # apispec's `null` branch
                    branch["maxProperties"] = 0
            for value in node.values():
                tighten(value)
        elif isinstance(node, list):
            for value in node:
                tighten(value)

    tighten(components)
    return components


def problems(components: dict, event: OutboxEvent) -> list[str]:
    known = catalogue.event_type(event.topic)
    if known is None:
        return [f"{event.topic}: not in the catalogue"]
    validator = OAS30Validator({"$ref": f"#/components/schemas/{known.component}",
                                "components": components},
                               format_checker=oas30_format_checker)
    body = json.loads(event_body(event))
    return [f"{event.topic} #{event.id} {'/'.join(map(str, e.absolute_path))}: "
            f"{e.message[:300]}" for e in validator.iter_errors(body)]


def outbox() -> list[OutboxEvent]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def test_the_document_publishes_one_versioned_schema_per_event_type(client):
    document = client.get(f"{API}/openapi.json").get_json()
    schemas, hooks = document["components"]["schemas"], document["x-webhooks"]
    assert set(hooks) == {e.topic for e in catalogue.event_types()}
    for event in catalogue.event_types():
        body = schemas[event.component]
        assert body["properties"]["type"]["enum"] == [event.topic]
        assert body["properties"]["version"]["enum"] == [event.version]
        assert set(body["required"]) == {"id", "type", "occurred_at", "version", "data"}
        ref = hooks[event.topic]["post"]["requestBody"]["content"]["application/json"]
        assert ref["schema"] == {"$ref": f"#/components/schemas/{event.component}"}
    created = schemas["FulfillmentCreatedData"]
    assert {"fulfillment_id", "location", "kind", "lines", "ship_to", "recipient",
            "shipping_method", "number", "channel"} <= set(created["required"])
    assert schemas["FulfillmentShippedEvent"]["properties"]["data"] == {
        "$ref": "#/components/schemas/FulfillmentShippedData"}


def test_a_journey_writes_events_that_match_their_schemas(client, as_role, channel, cs,
                                                          admin):
    services.receive("JKT-1", "dc-east", 20, CAUSE)
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    services.receive("SOCK-1", "dc-east", 10, CAUSE)
    services.receive("BOOT-1", "dc-central", 5, CAUSE)
    services.receive("BOOT-1", "dc-east", 5, CAUSE)
    east, central = as_role("wms", "dc-east"), as_role("wms", "dc-central")
    brooklyn, soho = as_role("store", "store-brooklyn"), as_role("store", "store-soho")

    # Shipped: claimed, picked and shipped at dc-east; then returns, a refund (settled by the
    # till), an exchange.
    shipped = place(channel, "J-ship", [("JKT-1", 2), ("SOCK-1", 2)])
    [claimed] = ok(east.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    ok(east.post(f"{API}/fulfillments/{claimed['id']}/pick", {"lines": [
        {"line_id": ln["line_id"], "picked_quantity": ln["quantity"]}
        for ln in claimed["lines"]]}))
    ok(east.post(f"{API}/fulfillments/{claimed['id']}/ship",
                 {"carrier": "UPS", "tracking_number": "1Z999"}))
    jacket, sock = (ln["line_id"] for ln in shipped["lines"])
    chicago = as_role("store", "store-chicago")  # out of the way of the pickups below
    ret = ok(chicago.post(f"{API}/returns", {"order_id": shipped["id"],
                                             "location": "store-chicago",
                                          "lines": [{"line_id": jacket, "quantity": 1,
                                                     "reason": "wrong_size"}]}), 201)
    received = ok(chicago.post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": jacket, "quantity": 1, "disposition": "restock"}]}))
    ok(chicago.post(f"{API}/refunds/{received['refund']['id']}/settle",
                    {"external_ref": "till-1/0001", "method": "card"}))
    kept = ok(cs.post(f"{API}/returns", {"order_id": shipped["id"], "location": "dc-east",
                                         "lines": [{"line_id": sock, "quantity": 1,
                                                    "reason": "changed_mind"}]}), 201)
    ok(cs.post(f"{API}/returns/{kept['id']}/cancel", {"reason": "kept it after all"}))
    ok(cs.post(f"{API}/returns", {
        "order_id": shipped["id"], "location": "dc-east",
        "lines": [{"line_id": jacket, "quantity": 1, "reason": "changed_mind"}],
        "exchange_lines": [{"sku": "SOCK-1", "quantity": 1}]}), 201)

    # Cancelled in part and re-routed, rejected (re-routed elsewhere), then cancelled whole.
    boots = place(channel, "J-boots", [("BOOT-1", 2)], address=CHICAGO)
    at_central = work(boots, "ship")
    assert at_central["location"] == "dc-central"
    ok(cs.post(f"{API}/orders/{boots['id']}/cancel", {"lines": [
        {"line_id": boots["lines"][0]["line_id"], "quantity": 1}]}))
    ok(central.post(f"{API}/fulfillments/{at_central['id']}/reject", {"reason": "wet box"}))
    ok(cs.post(f"{API}/orders/{boots['id']}/reroute", {}))
    ok(cs.post(f"{API}/orders/{boots['id']}/cancel", {}))

    # Picked up at the store that holds it.
    here = place(channel, "J-here", [("JKT-1", 1)], "pickup", pickup_location="store-brooklyn")
    pickup = work(here, "pickup")
    code = ok(brooklyn.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))
    ok(brooklyn.post(f"{API}/fulfillments/{pickup['id']}/pickup",
                     {"code": code["pickup_code"]}))

    # A transfer that finds nothing on the shelf, and a store that rejects its pickup.
    short = place(channel, "J-short", [("JKT-1", 1)], "pickup", pickup_location="store-soho")
    transfer = work(short, "transfer")
    ok(east.post(f"{API}/fulfillments/{transfer['id']}/pick", {"lines": [
        {"line_id": transfer["lines"][0]["line_id"], "picked_quantity": 0}]}))
    refused = place(channel, "J-refused", [("JKT-1", 1)], "pickup",
                    pickup_location="store-soho")
    ok(soho.post(f"{API}/fulfillments/{work(refused, 'pickup')['id']}/reject",
                 {"reason": "store closed for repairs"}))

    # Transferred to a store, made ready, never collected.
    late = place(channel, "J-late", [("JKT-1", 1)], "pickup", pickup_location="store-soho")
    ok(east.post(f"{API}/fulfillments/{work(late, 'transfer')['id']}/ship",
                 {"carrier": "truck", "tracking_number": "T-1"}))
    [moving] = ok(soho.get(f"{API}/transfers?location=store-soho&status=in_transit"))["items"]
    ok(soho.post(f"{API}/transfers/{moving['id']}/receive", {}))
    waiting = work(late, "pickup")
    ok(soho.post(f"{API}/fulfillments/{waiting['id']}/ready-for-pickup"))
    with unit_of_work() as uow:  # two and a half days pass: the customer is reminded
        uow.session.execute(update(Fulfillment).where(Fulfillment.id == waiting["id"])
                            .values(pickup_expires_at=utcnow() + dt.timedelta(hours=12)))
        uow.commit()
    assert use_cases.remind_expiring_pickups() == 1
    with unit_of_work() as uow:  # three days pass
        uow.session.execute(update(Fulfillment).where(Fulfillment.id == waiting["id"])
                            .values(pickup_expires_at=dt.datetime(2000, 1, 1)))
        uow.commit()
    assert use_cases.expire_pickups() == 1

    # Held for an unknown SKU, released once it exists.
    held = holds.place_or_hold(PlaceOrder(
        channel="web", external_id="J-held", currency="USD", method="ship",
        lines=(LineInput("HAT-1", 1, unit_price=Decimal("30.00")),),
        address=Address(**NEW_YORK), actor="test", source="test"))
    ok(admin.post(f"{API}/items", {"sku": "HAT-1", "name": "Wool Hat", "price": "30.00"}), 201)
    services.receive("HAT-1", "dc-east", 2, CAUSE)
    ok(cs.post(f"{API}/orders/{held.order_id}/release-hold"))

    components = strict(client.get(f"{API}/openapi.json").get_json())
    events = outbox()
    assert [p for e in events for p in problems(components, e)] == []
    topics = {e.topic for e in events}
    families = {t for t in (e.topic for e in catalogue.event_types())
                if t.startswith(("fulfillment.", "return.", "refund."))}
    assert families - topics == set()
    assert {"order.created", "order.routed", "order.fulfilled", "order.cancelled",
            "order.updated", "order.on_hold", "order.released_from_hold"} <= topics
    ready = [e.payload for e in events if e.topic == "fulfillment.ready_for_pickup"]
    assert ready[0]["pickup_code"] == code["pickup_code"]
    assert ready[0]["recipient"]["email"] == "ada@example.com"


# ---------------------------------------------------------------- scoped subscriptions

@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("OMS_DELIVERY_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "2")
    r = Receiver()
    yield r
    r.stop()


def got(receiver: Receiver, path: str) -> list[tuple[int, str, dict]]:
    return [(g["event"]["data"]["order_id"], g["type"], g["event"]["data"])
            for g in receiver.got if g["path"] == path]


def test_a_warehouse_and_a_store_get_exactly_their_own_work(admin, as_role, channel, cs,
                                                            receiver):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("BOOT-1", "dc-central", 2, CAUSE)
    services.receive("BOOT-1", "dc-east", 2, CAUSE)
    for where in ("dc-east", "dc-central", "store-brooklyn"):
        subscribe(admin, receiver.url(f"/{where}"), ["fulfillment.*"], location=where)
    east, central = as_role("wms", "dc-east"), as_role("wms", "dc-central")

    shipped = place(channel, "S-1", [("JKT-1", 2)])
    [claimed] = ok(east.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    ok(east.post(f"{API}/fulfillments/{claimed['id']}/ship",
                 {"carrier": "UPS", "tracking_number": "1Z1"}))
    cancelled = place(channel, "S-2", [("JKT-1", 1)])
    ok(cs.post(f"{API}/orders/{cancelled['id']}/cancel", {}))
    rejected = place(channel, "S-3", [("BOOT-1", 1)], address=CHICAGO)
    ok(central.post(f"{API}/fulfillments/{work(rejected, 'ship')['id']}/reject",
                    {"reason": "forklift down"}))
    bopis = place(channel, "S-4", [("JKT-1", 1)], "pickup", pickup_location="store-brooklyn")
    ok(east.post(f"{API}/fulfillments/{work(bopis, 'transfer')['id']}/ship",
                 {"carrier": "truck", "tracking_number": "T-9"}))

    s1, s2, s3, s4 = (o["id"] for o in (shipped, cancelled, rejected, bopis))
    at_east = [(o, t) for o, t, _ in got(receiver, "/dc-east")]
    assert at_east == [
        (s1, "fulfillment.created"), (s1, "fulfillment.claimed"), (s1, "fulfillment.shipped"),
        (s2, "fulfillment.created"), (s2, "fulfillment.cancelled"),
        (s3, "fulfillment.created"),                       # re-routed here from dc-central
        (s4, "fulfillment.created"), (s4, "fulfillment.transfer_shipped")]
    assert [(o, t) for o, t, _ in got(receiver, "/dc-central")] == [
        (s3, "fulfillment.created"), (s3, "fulfillment.rejected")]
    assert [(o, t) for o, t, _ in got(receiver, "/store-brooklyn")] == [
        (s4, "fulfillment.created"), (s4, "fulfillment.transfer_shipped")]

    # What the WMS prints the label from, and picks: no call back to the OMS needed.
    data = {(o, t): d for o, t, d in got(receiver, "/dc-east")}
    new = data[(s1, "fulfillment.created")]
    assert (new["location"], new["kind"], new["fulfillment_status"]) == ("dc-east", "ship",
                                                                         "pending")
    assert (new["number"], new["channel"]) == (shipped["number"], "web")
    assert new["lines"] == [{"line_id": shipped["lines"][0]["line_id"], "sku": "JKT-1",
                             "name": "Jacket", "quantity": 2}]
    assert new["ship_to"] == {"name": "Ada King", "company": None, "line1": "350 5th Ave",
                              "line2": None, "city": "New York", "region": "NY",
                              "postal_code": "10118", "country": "US",
                              "phone": "+12125550142"}
    assert new["recipient"] == {"name": "Ada King", "phone": "+12125550142",
                                "email": "ada@example.com"}
    assert new["shipping_method"] == "Express"
    assert new["status"] == "routed"  # the order's
    sent = data[(s1, "fulfillment.shipped")]
    assert (sent["carrier"], sent["tracking_number"], sent["fulfillment_status"]) == (
        "UPS", "1Z1", "shipped")
    assert sent["lines"][0]["quantity"] == 2
    gone = data[(s2, "fulfillment.cancelled")]
    assert gone["cancelled"] == [{"line_id": cancelled["lines"][0]["line_id"], "sku": "JKT-1",
                                  "name": "Jacket", "quantity": 1}]
    assert (gone["lines"], gone["fulfillment_status"]) == ([], "cancelled")
    assert data[(s4, "fulfillment.created")]["transfer_to"] == "store-brooklyn"
    assert data[(s4, "fulfillment.created")]["ship_to"] is None
    no = {t: d for o, t, d in got(receiver, "/dc-central")}["fulfillment.rejected"]
    assert (no["reason"], no["fulfillment_status"]) == ("forklift down", "rejected")
    waiting = {t: d for o, t, d in got(receiver, "/store-brooklyn")}["fulfillment.created"]
    assert (waiting["kind"], waiting["fulfillment_status"]) == ("pickup", "awaiting_transfer")
    assert waiting["recipient"]["email"] == "ada@example.com"
