"""`POST /api/v1/fulfillment-options` through HTTP, on both databases: pickup now or after a
transfer (with its day), the shopper's store that cannot (and what it lacks), shipping dates and
packages, nothing anywhere, safety stock, nothing reserved, who may ask, bad input and the
document. Expected dates come from fulfillment.routing.eta, never from the weekday the test
runs on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import read_session
from core.geo import distance_km
from fulfillment import capacity
from fulfillment.models import Fulfillment
from fulfillment.routing.eta import TransitTimes
from inventory import services
from oms.models import Order
from tests.support import CAUSE, LOCATIONS, assert_ledger_clean, balance, movement_count

URL = "/api/v1/fulfillment-options"
NYC = {"latitude": 40.7484, "longitude": -73.9857}  # Midtown
TRANSIT = TransitTimes()  # the rules' defaults (oms.policy reads no overrides in tests)
AT = {loc["code"]: (loc["latitude"], loc["longitude"]) for loc in LOCATIONS}
KIND = {loc["code"]: loc["kind"] for loc in LOCATIONS}


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def km(a: str | dict, b: str | dict) -> float:
    pa = AT[a] if isinstance(a, str) else (a["latitude"], a["longitude"])
    pb = AT[b] if isinstance(b, str) else (b["latitude"], b["longitude"])
    return distance_km(*pa, *pb)


def arrives(source: str, to: str | dict) -> str:
    """When a package (or transfer) from `source` reaches `to`, as the engine estimates it."""
    return TRANSIT.arrival(capacity.today(), KIND[source], km(source, to)).isoformat()


def ask(caller, status: int = 200, **body):
    response = caller.post(URL, body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def cart(*pairs) -> list[dict]:
    return [{"sku": sku, "quantity": qty} for sku, qty in pairs]


def codes(stores: list[dict]) -> list[str]:
    return [s["code"] for s in stores]


# ------------------------------------------------------------------ pickup

def test_pickup_now_from_the_shelf_and_after_a_transfer_nearest_first(channel):
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 2)), destination=NYC)
    today = capacity.today().isoformat()
    assert body["today"] == today
    assert body["place"] == {**NYC, "estimated": False, "source": "coordinates"}
    soho, brooklyn = body["pickup"]["stores"]  # store-chicago is 1,150 km away: not listed
    assert (soho["code"], soho["ready"], soho["ready_on"]) == ("store-soho", "now", today)
    assert soho["in_store"] == [{"sku": "JKT-1", "quantity": 2}]
    assert soho["transfers"] == [] and soho["missing"] == []
    assert (soho["name"], soho["available"], soho["selected"]) == ("SoHo", True, False)
    assert soho["distance_km"] == round(km("store-soho", NYC), 1)
    # Brooklyn holds none: SoHo (which ships) can send them over.
    assert (brooklyn["code"], brooklyn["ready"]) == ("store-brooklyn", "after_transfer")
    assert brooklyn["ready_on"] == arrives("store-soho", "store-brooklyn")
    assert brooklyn["transfers"] == [{
        "from": "store-soho", "kind": "store", "items": [{"sku": "JKT-1", "quantity": 2}],
        "distance_km": round(km("store-soho", "store-brooklyn"), 1),
        "arrives_on": arrives("store-soho", "store-brooklyn")}]
    assert brooklyn["distance_km"] > soho["distance_km"]
    assert body["pickup"]["selected_store"] is None
    assert {r["code"] for r in soho["reasons"]} >= {"plan", "estimate"}


def test_pickup_after_a_transfer_at_the_chosen_store_with_its_ready_date(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("SOCK-1", "store-brooklyn", 3, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 1), ("SOCK-1", 3)),
               pickup_location="store-brooklyn")
    assert body["place"] == {"latitude": AT["store-brooklyn"][0],
                             "longitude": AT["store-brooklyn"][1], "estimated": False,
                             "source": "pickup store store-brooklyn"}
    chosen = body["pickup"]["selected_store"]
    assert (chosen["code"], chosen["selected"], chosen["available"], chosen["ready"]) == (
        "store-brooklyn", True, True, "after_transfer")
    assert chosen["distance_km"] == 0
    assert chosen["ready_on"] == arrives("dc-east", "store-brooklyn")
    assert chosen["in_store"] == [{"sku": "SOCK-1", "quantity": 3}]
    [transfer] = chosen["transfers"]
    assert (transfer["from"], transfer["kind"], transfer["items"]) == (
        "dc-east", "warehouse", [{"sku": "JKT-1", "quantity": 1}])
    assert transfer["arrives_on"] == chosen["ready_on"]
    # The chosen store is in the list too (it can), first: the place is the store.
    assert codes(body["pickup"]["stores"])[0] == "store-brooklyn"
    assert body["pickup"]["stores"][0] == chosen


def test_the_chosen_store_that_cannot_says_what_it_lacks(channel):
    # BOOT-1 only at Brooklyn, which does not ship: no other store can have it.
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("BOOT-1", "store-brooklyn", 1, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 1), ("BOOT-1", 1)), destination=NYC,
               pickup_location="store-soho")
    chosen = body["pickup"]["selected_store"]
    assert (chosen["code"], chosen["available"], chosen["ready"], chosen["ready_on"]) == (
        "store-soho", False, None, None)
    assert chosen["missing"] == [{"line": 1, "sku": "BOOT-1", "quantity": 1}]
    assert chosen["transfers"] == []
    assert "shortfall" in {r["code"] for r in chosen["reasons"]}
    # Brooklyn can: BOOT-1 on its shelf, the jacket from dc-east.
    [brooklyn] = body["pickup"]["stores"]
    assert (brooklyn["code"], brooklyn["ready"]) == ("store-brooklyn", "after_transfer")
    assert brooklyn["in_store"] == [{"sku": "BOOT-1", "quantity": 1}]
    # And nothing ships the boots.
    assert body["ship"]["available"] is False
    assert body["ship"]["missing"] == [{"line": 1, "sku": "BOOT-1", "quantity": 1}]


def test_the_chosen_store_is_listed_whatever_its_distance_and_keeps_its_place(channel):
    for store in ("store-soho", "store-brooklyn", "store-chicago"):
        services.receive("SOCK-1", store, 1, CAUSE)
    body = ask(channel, lines=cart(("SOCK-1", 1)), destination=NYC)
    assert codes(body["pickup"]["stores"]) == ["store-soho", "store-brooklyn"]
    body = ask(channel, lines=cart(("SOCK-1", 1)), destination=NYC, radius_km=5)
    assert codes(body["pickup"]["stores"]) == ["store-soho"]
    body = ask(channel, lines=cart(("SOCK-1", 1)), destination=NYC,
               pickup_location="store-chicago", max_stores=1)
    assert codes(body["pickup"]["stores"]) == ["store-chicago"]
    assert body["pickup"]["selected_store"]["ready"] == "now"
    body = ask(channel, lines=cart(("SOCK-1", 1)), destination=NYC,
               pickup_location="store-chicago", max_stores=2)
    assert codes(body["pickup"]["stores"]) == ["store-soho", "store-chicago"]


def test_safety_stock_is_never_promised(channel):
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    services.set_safety_stock("JKT-1", "store-soho", 1)
    services.receive("JKT-1", "dc-east", 1, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 2)), destination=NYC, pickup_location="store-soho")
    chosen = body["pickup"]["selected_store"]
    # One unit is free at SoHo, the other comes from dc-east.
    assert chosen["ready"] == "after_transfer"
    assert chosen["in_store"] == [{"sku": "JKT-1", "quantity": 1}]
    assert chosen["transfers"][0]["items"] == [{"sku": "JKT-1", "quantity": 1}]
    services.set_safety_stock("JKT-1", "store-soho", 2)
    body = ask(channel, lines=cart(("JKT-1", 2)), destination=NYC, pickup_location="store-soho")
    assert body["pickup"]["selected_store"]["missing"] == [
        {"line": 0, "sku": "JKT-1", "quantity": 1}]
    assert body["ship"]["missing"] == [{"line": 0, "sku": "JKT-1", "quantity": 1}]


# ------------------------------------------------------------------ ship

def test_a_cart_one_node_holds_ships_in_one_package_with_its_date(channel):
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    services.receive("BOOT-1", "dc-central", 5, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 1), ("BOOT-1", 2)), destination=NYC)
    ship = body["ship"]
    assert (ship["available"], ship["packages"], ship["missing"]) == (True, 1, [])
    assert ship["estimated_delivery"] == arrives("dc-central", NYC)
    [node] = ship["nodes"]
    assert (node["code"], node["kind"], node["estimated_delivery"]) == (
        "dc-central", "warehouse", ship["estimated_delivery"])
    assert node["items"] == [{"sku": "JKT-1", "quantity": 1}, {"sku": "BOOT-1", "quantity": 2}]
    assert node["distance_km"] == round(km("dc-central", NYC), 1)
    assert "plan" in {r["code"] for r in ship["reasons"]}


def test_a_cart_that_needs_two_nodes_ships_in_two_packages_dated_by_the_last(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("BOOT-1", "dc-central", 5, CAUSE)
    ship = ask(channel, lines=cart(("JKT-1", 1), ("BOOT-1", 1)), destination=NYC)["ship"]
    assert (ship["available"], ship["packages"]) == (True, 2)
    by_code = {n["code"]: n for n in ship["nodes"]}
    assert by_code["dc-east"]["estimated_delivery"] == arrives("dc-east", NYC)
    assert by_code["dc-central"]["estimated_delivery"] == arrives("dc-central", NYC)
    assert arrives("dc-east", NYC) < arrives("dc-central", NYC)  # 1 vs 3 days in transit
    assert ship["estimated_delivery"] == arrives("dc-central", NYC)


def test_an_estimated_destination_says_so(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = ask(channel, lines=cart(("JKT-1", 1)),
               destination={"postal_code": "10012", "country": "US"})
    assert body["place"]["estimated"] is True
    assert body["place"]["source"] == "postal code 100xx"
    assert "distance_estimated" in {r["code"] for r in body["ship"]["reasons"]}
    assert body["ship"]["available"] is True


def test_deliver_by_uses_only_nodes_that_make_it(channel):
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    by_central = arrives("dc-central", NYC)
    ship = ask(channel, lines=cart(("JKT-1", 1)), destination=NYC, deliver_by=by_central)["ship"]
    assert (ship["available"], ship["estimated_delivery"]) == (True, by_central)
    today = capacity.today().isoformat()
    body = ask(channel, lines=cart(("JKT-1", 1)), destination=NYC, deliver_by=today)
    assert body["deliver_by"] == today
    ship = body["ship"]
    assert (ship["available"], ship["packages"], ship["estimated_delivery"]) == (False, 0, None)
    assert ship["missing"] == [{"line": 0, "sku": "JKT-1", "quantity": 1}]
    assert "promise" in {r["code"] for r in ship["reasons"]}
    # A cheaper, nearer node that makes it is used once it has stock.
    services.receive("JKT-1", "dc-east", 1, CAUSE)
    near = arrives("dc-east", NYC)
    ship = ask(channel, lines=cart(("JKT-1", 1)), destination=NYC, deliver_by=near)["ship"]
    assert [n["code"] for n in ship["nodes"]] == ["dc-east"]


def test_nothing_available_anywhere(channel):
    services.receive("SOCK-1", "dc-east", 5, CAUSE)  # not what the cart wants
    body = ask(channel, lines=cart(("JKT-1", 1), ("BOOT-1", 2)), destination=NYC,
               pickup_location="store-soho")
    assert body["pickup"]["stores"] == []
    chosen = body["pickup"]["selected_store"]
    assert chosen["available"] is False
    assert chosen["missing"] == [{"line": 0, "sku": "JKT-1", "quantity": 1},
                                 {"line": 1, "sku": "BOOT-1", "quantity": 2}]
    ship = body["ship"]
    assert (ship["available"], ship["packages"], ship["nodes"], ship["estimated_delivery"]) == (
        False, 0, [], None)
    assert ship["missing"] == chosen["missing"]


def test_nothing_is_reserved_or_written(channel):
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    services.receive("JKT-1", "dc-east", 3, CAUSE)
    services.receive("BOOT-1", "dc-central", 3, CAUSE)
    before = ({code: balance("JKT-1", code) for code in ("store-soho", "dc-east")},
              balance("BOOT-1", "dc-central"), movement_count())
    for _ in range(3):
        ask(channel, lines=cart(("JKT-1", 2), ("BOOT-1", 1)), destination=NYC,
            pickup_location="store-brooklyn")
    after = ({code: balance("JKT-1", code) for code in ("store-soho", "dc-east")},
             balance("BOOT-1", "dc-central"), movement_count())
    assert after == before
    assert before[0]["dc-east"]["reserved"] == 0
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Fulfillment)) == 0
        assert session.scalar(select(func.count()).select_from(Order)) == 0


# ------------------------------------------------------------------ who may ask

def test_channel_and_admin_keys_may_ask_others_may_not(client, channel, admin, as_role):
    body = {"lines": cart(("JKT-1", 1)), "destination": NYC}
    assert channel.post(URL, body).status_code == 200
    assert admin.post(URL, body).status_code == 200
    assert as_role("channel").client.post(URL, json=body).status_code == 401  # no key sent
    for role, scope in (("cs", None), ("store", "store-soho"), ("wms", "dc-east")):
        response = as_role(role, scope).post(URL, body)
        assert response.status_code == 403, role
        assert response.get_json()["error"]["code"] == "forbidden"
    bad = client.post(URL, json=body, headers={"Authorization": "Bearer oms_nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"


# ------------------------------------------------------------------ bad input

YESTERDAY = "yesterday"  # replaced by the date in the test


@pytest.mark.parametrize(("change", "field"), [
    ({"lines": []}, "lines"),
    ({"lines": cart(*[("JKT-1", 1)] * 51)}, "lines"),
    ({"lines": None}, "lines"),
    ({"lines": cart(("JKT-1", 0))}, "lines.0.quantity"),
    ({"lines": cart(("JKT-1", 1.5))}, "lines.0.quantity"),
    ({"lines": cart(("JKT-1", "2"))}, "lines.0.quantity"),
    ({"lines": [{"quantity": 1}]}, "lines.0.sku"),
    ({"lines": cart(("JKT-1", 1), ("NOPE-1", 1))}, "lines.1.sku"),
    ({"destination": None}, "destination"),
    ({"destination": {}}, "destination"),
    ({"destination": {"country": "ZZ", "postal_code": "x"}}, "destination"),
    ({"destination": {"latitude": 40.7}}, "destination.longitude"),
    ({"destination": {"latitude": 95, "longitude": 0}}, "destination.latitude"),
    ({"pickup_location": "store-nowhere"}, "pickup_location"),
    ({"pickup_location": "dc-east"}, "pickup_location"),
    ({"pickup_location": "bad code!"}, "pickup_location"),
    ({"radius_km": 0}, "radius_km"),
    ({"radius_km": 501}, "radius_km"),
    ({"radius_km": True}, "radius_km"),
    ({"max_stores": 21}, "max_stores"),
    ({"max_stores": 0}, "max_stores"),
    ({"deliver_by": "soon"}, "deliver_by"),
    ({"deliver_by": YESTERDAY}, "deliver_by"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_a_422_naming_the_field(channel, change, field):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = {"lines": cart(("JKT-1", 1)), "destination": NYC, **change}
    if body.get("deliver_by") == YESTERDAY:
        body["deliver_by"] = (capacity.today() - dt.timedelta(days=1)).isoformat()
    if field == "destination" and body.get("destination") is None:
        del body["destination"]  # neither a destination nor a pickup_location
    count = movement_count()
    error = ask(channel, 422, **body)["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field]), error
    assert movement_count() == count


# ------------------------------------------------------------------ the document

def test_the_document_lists_the_endpoint_with_its_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"][URL]["post"]
    assert op["summary"].startswith("What we can promise for a cart")
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/FulfillmentOptionsIn"}
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/FulfillmentOptionsOut"}
    assert {"401", "403", "422"} <= set(op["responses"])
    schemas = doc["components"]["schemas"]
    assert set(schemas["FulfillmentOptionsOut"]["required"]) == {
        "today", "deliver_by", "place", "pickup", "ship"}
    store = schemas["StoreOptionOut"]["properties"]
    assert store["ready"]["enum"] == ["now", "after_transfer", None]
    assert {"ready_on", "transfers", "missing", "in_store", "distance_km"} <= set(store)
    assert schemas["FulfillmentOptionsIn"]["properties"]["lines"]["maxItems"] == 50
    assert schemas["FulfillmentOptionsIn"]["properties"]["max_stores"]["maximum"] == 20
