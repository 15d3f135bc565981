"""The inventory half of the public API contract (design/API.md), end to end over HTTP.

Auth and scopes, locations and items, movements and transfers, a matrix of bad input (each
refused with the right status, naming the field and writing nothing), stock queries, history,
safety stock, Idempotency-Key, the OpenAPI document and the health probes. Every response is
checked to be below 500, and the ledger's invariants are checked after every test.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from sqlalchemy import func, select, update

from core import auth
from core.auth import ApiKey, create_api_key, hash_key, revoke_api_key
from core.db import get_database, read_session, unit_of_work, utcnow
from core.errors import InvalidInput
from inventory import services
from inventory.models import Item, Location, Transfer
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

API = "/api/v1"
MOVEMENTS = f"{API}/stock/movements"


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(autouse=True)
def _never_a_500_and_a_clean_ledger(client, network, monkeypatch):
    """Every request any test makes must answer below 500; the ledger must balance after."""
    original = client.open

    def checked(*args: Any, **kwargs: Any):
        response = original(*args, **kwargs)
        assert response.status_code < 500, response.get_data(as_text=True)
        return response

    monkeypatch.setattr(client, "open", checked)
    yield
    assert_ledger_clean()


def rows(model: type) -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(model))


def error_of(response, status: int, *, code: str | None = None,
             field: str | None = None) -> dict:
    """Assert the contract's error body and return its `error` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
        assert error["fields"][field], error
    return error


def movement(sku: str = "JKT-1", location: str = "store-soho", kind: str = "receipt",
             quantity: Any = 5, **extra: Any) -> dict:
    return {"sku": sku, "location": location, "kind": kind, "quantity": quantity, **extra}


def created(response) -> dict:
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def ok(response) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def cursor_for(value: object) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


NEW_LOCATION = dict(code="store-la", name="Los Angeles", kind="store", latitude=34.05,
                    longitude=-118.24, ships=True, pickup=True, priority=2, daily_capacity=80)
NEW_ITEM = dict(sku="TEE-1", name="Tee", price="19.99", weight_grams=200)


# ---------------------------------------------------------------- auth

BAD_CREDENTIALS = {
    "none": {},
    "empty": {"Authorization": ""},
    "basic-scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "bearer-without-key": {"Authorization": "Bearer"},
    "bearer-blank-key": {"Authorization": "Bearer    "},
    "raw-key-no-scheme": {"Authorization": "oms_abcdef"},
    "unknown-key": {"Authorization": "Bearer oms_this-key-was-never-issued"},
}
AUTHED_ENDPOINTS = [
    ("POST", MOVEMENTS),
    ("GET", f"{API}/locations"),
    ("POST", f"{API}/locations"),
    ("GET", f"{API}/items/JKT-1"),
    ("GET", f"{API}/stock/JKT-1"),
    ("GET", f"{API}/stock/JKT-1/movements"),
    ("PUT", f"{API}/stock/JKT-1/store-soho/safety-stock"),
    ("GET", f"{API}/transfers"),
]


@pytest.mark.parametrize("headers", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
@pytest.mark.parametrize(("method", "path"), AUTHED_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p in AUTHED_ENDPOINTS])
def test_missing_or_bad_credentials_are_401(client, headers, method, path):
    body = movement() if path == MOVEMENTS else None
    response = client.open(path, method=method, json=body, headers=headers)
    error = error_of(response, 401, code="unauthorized")
    assert set(error) == {"code", "message", "fields"}
    assert movement_count() == 0


def test_a_revoked_key_is_401_at_once_in_the_process_that_revoked_it(as_role):
    caller = as_role("admin")
    assert ok(caller.get(f"{API}/locations"))  # remembered by this process from now on
    revoke_api_key(caller.key[:10])
    error_of(caller.post(MOVEMENTS, movement()), 401, code="unauthorized")
    with pytest.raises(InvalidInput):
        revoke_api_key(caller.key)  # not in use any more
    assert movement_count() == 0


def test_a_key_revoked_elsewhere_is_401_once_the_auth_memo_expires(as_role, monkeypatch):
    monkeypatch.setattr(auth, "AUTH_CACHE_SECONDS", 0.3)
    get_database().memo.clear()  # the memo is made with the TTL of its first use
    caller = as_role("admin")
    assert ok(caller.get(f"{API}/locations"))
    with unit_of_work() as uow:  # another process revoking it (no memo of ours touched)
        session = uow.session
        session.execute(update(ApiKey).where(ApiKey.key_hash == hash_key(caller.key))
                        .values(revoked_at=utcnow()))
        uow.commit()
    assert ok(caller.get(f"{API}/locations"))  # still remembered here
    time.sleep(0.4)
    error_of(caller.post(MOVEMENTS, movement()), 401, code="unauthorized")
    assert movement_count() == 0


FORBIDDEN = [
    ("cs", None, "POST", MOVEMENTS, movement()),
    ("channel", None, "POST", MOVEMENTS, movement()),
    ("wms", "dc-east", "POST", f"{API}/locations", NEW_LOCATION),
    ("store", "store-soho", "POST", f"{API}/locations", NEW_LOCATION),
    ("cs", None, "POST", f"{API}/locations", NEW_LOCATION),
    ("channel", None, "POST", f"{API}/locations", NEW_LOCATION),
    ("wms", "dc-east", "POST", f"{API}/items", NEW_ITEM),
    ("store", "store-soho", "POST", f"{API}/items", NEW_ITEM),
    ("channel", None, "POST", f"{API}/items", NEW_ITEM),
    ("store", "store-soho", "PUT", f"{API}/stock/JKT-1/store-soho/safety-stock",
     {"safety_stock": 2}),
    ("wms", "dc-east", "PUT", f"{API}/stock/JKT-1/store-soho/safety-stock",
     {"safety_stock": 2}),
    ("cs", None, "PUT", f"{API}/stock/JKT-1/store-soho/safety-stock", {"safety_stock": 2}),
    ("wms", "dc-east", "GET", f"{API}/stock/JKT-1/movements", None),
    ("channel", None, "GET", f"{API}/stock/JKT-1/movements", None),
    ("channel", None, "GET", f"{API}/transfers", None),
]


@pytest.mark.parametrize(("role", "scope", "method", "path", "body"), FORBIDDEN,
                         ids=[f"{r}-{m} {p}" for r, _, m, p, _ in FORBIDDEN])
def test_roles_outside_the_endpoint_are_403(as_role, client, role, scope, method, path, body):
    caller = as_role(role, scope)
    before = (movement_count(), rows(Location), rows(Item))
    response = client.open(path, method=method, json=body,
                           headers={"Authorization": f"Bearer {caller.key}"})
    error_of(response, 403, code="forbidden")
    assert (movement_count(), rows(Location), rows(Item)) == before
    assert balance("JKT-1", "store-soho")["safety_stock"] == 0


def test_a_store_key_moves_stock_only_at_its_own_location(as_role):
    soho = as_role("store", "store-soho")
    error = error_of(soho.post(MOVEMENTS, movement(location="store-brooklyn")), 403,
                     code="forbidden", field="location")
    assert "location" in error["fields"]
    assert movement_count() == 0
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 0

    result = created(soho.post(MOVEMENTS, movement(location="store-soho", quantity=4)))
    assert result["balance"]["on_hand"] == 4
    result = created(soho.post(MOVEMENTS, movement(kind="adjustment", quantity=-1)))
    assert result["balance"]["on_hand"] == 3
    assert movement_count() == 2
    # ...but it may look stock up everywhere.
    assert ok(soho.get(f"{API}/stock/JKT-1"))["network"]["on_hand"] == 3


def test_a_store_key_cannot_ship_a_transfer_from_another_store(as_role):
    services.receive("JKT-1", "store-brooklyn", 5, CAUSE)
    before = movement_count()
    soho = as_role("store", "store-soho")
    body = movement(location="store-brooklyn", kind="transfer", quantity=2,
                    to_location="store-soho")
    error_of(soho.post(MOVEMENTS, body), 403, code="forbidden", field="location")
    assert movement_count() == before
    assert rows(Transfer) == 0
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 5


def test_only_the_destination_may_receive_a_transfer(as_role, admin):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    shipped = created(admin.post(MOVEMENTS, movement(location="dc-east", kind="transfer",
                                                     quantity=3, to_location="store-brooklyn")))
    transfer_id = shipped["transfer"]["id"]
    before = movement_count()
    for outsider in (as_role("store", "store-soho"), as_role("wms", "dc-central")):
        error_of(outsider.post(f"{API}/transfers/{transfer_id}/receive", {}), 403,
                 code="forbidden", field="location")
    assert movement_count() == before
    assert balance("JKT-1", "store-brooklyn")["in_transit"] == 3

    brooklyn = as_role("store", "store-brooklyn")
    received = ok(brooklyn.post(f"{API}/transfers/{transfer_id}/receive", {}))
    assert (received["received_quantity"], received["status"]) == (3, "received")
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 3


def test_wms_and_store_keys_need_their_locations():
    for role in ("wms", "store"):
        with pytest.raises(InvalidInput, match="location"):
            create_api_key(role, name="nowhere")
    for role in ("admin", "channel"):
        with pytest.raises(InvalidInput, match="location"):
            create_api_key(role, name="somewhere", locations=["dc-east"])


def test_a_wms_key_with_several_locations_acts_at_each_and_only_there(as_role):
    wms = as_role("wms", ["dc-east", "store-soho"])
    created(wms.post(MOVEMENTS, movement(location="dc-east", quantity=6)))
    shipped = created(wms.post(MOVEMENTS, movement(location="dc-east", kind="transfer",
                                                   quantity=4, to_location="store-soho")))
    ok(wms.post(f"{API}/transfers/{shipped['transfer']['id']}/receive", {}))
    assert balance("JKT-1", "store-soho")["on_hand"] == 4
    assert balance("JKT-1", "dc-east")["on_hand"] == 2
    refused = error_of(wms.post(MOVEMENTS, movement(location="store-chicago", quantity=2)), 403,
                       field="location")
    assert "dc-east, store-soho" in refused["fields"]["location"][0]


def test_a_wms_key_with_a_location_is_scoped_to_it(as_role):
    wms = as_role("wms", "dc-east")
    created(wms.post(MOVEMENTS, movement(location="dc-east")))
    error_of(wms.post(MOVEMENTS, movement(location="dc-central")), 403, field="location")
    assert movement_count() == 1


# ---------------------------------------------------------------- locations

def test_create_get_and_list_locations(admin, as_role):
    body = created(admin.post(f"{API}/locations", NEW_LOCATION))
    for name, value in NEW_LOCATION.items():
        assert body[name] == value, name
    assert body["active"] is True

    reader = as_role("channel")
    assert ok(reader.get(f"{API}/locations/store-la"))["name"] == "Los Angeles"
    listed = ok(reader.get(f"{API}/locations"))
    assert [loc["code"] for loc in listed] == sorted(
        ["dc-east", "dc-central", "store-soho", "store-brooklyn", "store-chicago", "store-la"])
    stores = ok(reader.get(f"{API}/locations?kind=store"))
    assert {loc["code"] for loc in stores} == {"store-soho", "store-brooklyn", "store-chicago",
                                               "store-la"}
    assert {loc["kind"] for loc in stores} == {"store"}
    warehouses = ok(reader.get(f"{API}/locations?kind=warehouse"))
    assert {loc["code"] for loc in warehouses} == {"dc-east", "dc-central"}
    error_of(reader.get(f"{API}/locations?kind=shop"), 422, field="kind")


def test_location_defaults_and_optional_fields(admin):
    body = created(admin.post(f"{API}/locations", dict(code="dc-west", name="DC West",
                                                       kind="warehouse", latitude=37.7,
                                                       longitude=-122.4)))
    assert (body["ships"], body["pickup"], body["priority"], body["daily_capacity"]) == (
        True, False, 0, None)


def test_a_duplicate_location_code_is_409(admin):
    created(admin.post(f"{API}/locations", NEW_LOCATION))
    error_of(admin.post(f"{API}/locations", {**NEW_LOCATION, "name": "Again"}), 409,
             code="conflict", field="code")
    error_of(admin.post(f"{API}/locations", {**NEW_LOCATION, "code": "store-soho"}), 409,
             field="code")
    assert ok(admin.get(f"{API}/locations/store-la"))["name"] == "Los Angeles"
    assert rows(Location) == 6


@pytest.mark.parametrize(("change", "field"), [
    ({"code": None}, "code"),
    ({"code": "has space"}, "code"),
    ({"code": "x" * 41}, "code"),
    ({"name": ""}, "name"),
    ({"kind": "shop"}, "kind"),
    ({"latitude": 91}, "latitude"),
    ({"longitude": -181}, "longitude"),
    ({"latitude": "north"}, "latitude"),
    ({"priority": "1"}, "priority"),
    ({"priority": 1.5}, "priority"),
    ({"daily_capacity": 0}, "daily_capacity"),
    ({"ships": "maybe"}, "ships"),
    ({"country": "USA"}, "country"),
    ({"color": "red"}, "color"),
], ids=lambda v: str(v))
def test_bad_locations_are_422(admin, change, field):
    body = {k: v for k, v in {**NEW_LOCATION, **change}.items() if v is not None}
    error_of(admin.post(f"{API}/locations", body), 422, code="invalid", field=field)
    assert rows(Location) == 5


def test_an_unknown_location_is_404(as_role):
    error_of(as_role("cs").get(f"{API}/locations/nowhere"), 404, code="not_found")
    error_of(as_role("cs").get(f"{API}/locations/nowhere/stock"), 404, code="not_found")


# ---------------------------------------------------------------- items

def test_create_and_get_an_item(admin):
    body = created(admin.post(f"{API}/items", NEW_ITEM))
    assert body == {"sku": "TEE-1", "name": "Tee", "price": "19.99", "currency": "USD",
                    "weight_grams": 200}
    assert ok(admin.get(f"{API}/items/TEE-1")) == body
    euro = created(admin.post(f"{API}/items", {"sku": "TEE-2", "name": "Tee EU",
                                               "price": "5", "currency": "EUR"}))
    assert (euro["price"], euro["currency"], euro["weight_grams"]) == ("5.00", "EUR", 0)
    error_of(admin.get(f"{API}/items/NOPE-1"), 404, code="not_found")


def test_a_duplicate_sku_is_409(admin):
    error_of(admin.post(f"{API}/items", {**NEW_ITEM, "sku": "JKT-1"}), 409, code="conflict",
             field="sku")
    assert ok(admin.get(f"{API}/items/JKT-1"))["price"] == "120.00"
    assert rows(Item) == 3


@pytest.mark.parametrize(("change", "field"), [
    ({"price": "-0.01"}, "price"),
    ({"price": -5}, "price"),
    ({"price": "abc"}, "price"),
    ({"price": "NaN"}, "price"),
    ({"price": "Infinity"}, "price"),
    ({"price": "100000000"}, "price"),
    ({"price": None}, "price"),
    ({"currency": "usd"}, "currency"),
    ({"currency": "DOLLARS"}, "currency"),
    ({"currency": 840}, "currency"),
    ({"weight_grams": -1}, "weight_grams"),
    ({"weight_grams": "200"}, "weight_grams"),
    ({"sku": ""}, "sku"),
    ({"sku": "has space"}, "sku"),
    ({"sku": "x" * 65}, "sku"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "colour"),
], ids=lambda v: str(v))
def test_bad_items_are_422(admin, change, field):
    error_of(admin.post(f"{API}/items", {**NEW_ITEM, **change}), 422, code="invalid",
             field=field)
    assert rows(Item) == 3


def test_an_item_missing_required_fields_is_422(admin):
    error = error_of(admin.post(f"{API}/items", {}), 422, code="invalid")
    assert {"sku", "name", "price"} <= set(error["fields"])


def test_an_accepted_sku_is_addressable_by_its_paths(admin):
    """The SKU rule lets '/' through; such a SKU must then be reachable at /items/{sku} and
    /stock/{sku} (or the rule must refuse it up front)."""
    response = admin.post(f"{API}/items", {**NEW_ITEM, "sku": "TEE/RED-M"})
    if response.status_code == 422:
        error_of(response, 422, field="sku")
        return
    created(response)
    assert ok(admin.get(f"{API}/items/TEE%2FRED-M"))["sku"] == "TEE/RED-M"
    assert ok(admin.get(f"{API}/stock/TEE%2FRED-M"))["sku"] == "TEE/RED-M"


def test_items_are_paginated_with_limit_and_cursor(admin):
    for n in range(2, 5):
        created(admin.post(f"{API}/items", {**NEW_ITEM, "sku": f"TEE-{n}"}))
    seen, cursor, pages = [], None, 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = ok(admin.get(f"{API}/items{query}"))
        assert len(page["items"]) <= 2
        seen += [item["sku"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert pages == 3
    assert seen == ["JKT-1", "BOOT-1", "SOCK-1", "TEE-2", "TEE-3", "TEE-4"]
    everything = ok(admin.get(f"{API}/items"))
    assert [i["sku"] for i in everything["items"]] == seen
    assert everything["next_cursor"] is None


@pytest.mark.parametrize("query", ["cursor=!!!", "cursor=zzzz", "cursor=a", "cursor=%FF",
                                   f"cursor={cursor_for('abc')}"])
def test_a_garbage_cursor_is_422(admin, query):
    error_of(admin.get(f"{API}/items?{query}"), 422, code="invalid", field="cursor")


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=-1", "limit=ten"])
def test_a_bad_limit_is_422(admin, query):
    error_of(admin.get(f"{API}/items?{query}"), 422, code="invalid", field="limit")


@pytest.mark.parametrize("value", [2**31, 10**25], ids=["beyond-32-bits", "beyond-64-bits"])
@pytest.mark.parametrize("path", [f"{API}/items", f"{API}/stock/JKT-1/movements",
                                  f"{API}/locations/store-soho/stock"])
def test_a_cursor_out_of_range_is_not_a_server_error(admin, path, value):
    """A forged cursor naming an id the columns cannot hold: an empty page or a 422, never a
    500."""
    response = admin.get(f"{path}?cursor={cursor_for(value)}")
    if response.status_code == 422:
        error_of(response, 422, field="cursor")
    else:
        assert ok(response)["items"] == []


# ---------------------------------------------------------------- movements

def test_a_receipt(admin):
    body = created(admin.post(MOVEMENTS, movement(quantity=12, reference="PO-77",
                                                  note="spring delivery")))
    [moved] = body["movements"]
    assert (moved["kind"], moved["sku"], moved["location"]) == ("receipt", "JKT-1",
                                                                 "store-soho")
    assert (moved["on_hand_delta"], moved["reserved_delta"], moved["in_transit_delta"]) == (
        12, 0, 0)
    assert (moved["reference"], moved["note"]) == ("PO-77", "spring delivery")
    assert moved["actor"].startswith("key:")
    assert moved["created_at"].endswith("Z")
    assert body["balance"] == {"location": "store-soho", "location_name": "SoHo",
                               "kind": "store", "on_hand": 12, "reserved": 0,
                               "safety_stock": 0, "available": 12, "in_transit": 0}
    assert movement_count() == 1


def test_signed_adjustments_and_damage(admin):
    created(admin.post(MOVEMENTS, movement(quantity=10)))
    down = created(admin.post(MOVEMENTS, movement(kind="adjustment", quantity=-3)))
    assert (down["movements"][0]["kind"], down["movements"][0]["on_hand_delta"]) == (
        "adjustment", -3)
    assert down["balance"]["on_hand"] == 7
    up = created(admin.post(MOVEMENTS, movement(kind="adjustment", quantity=2)))
    assert (up["movements"][0]["on_hand_delta"], up["balance"]["on_hand"]) == (2, 9)
    damaged = created(admin.post(MOVEMENTS, movement(kind="damage", quantity=4)))
    assert (damaged["movements"][0]["kind"], damaged["movements"][0]["on_hand_delta"]) == (
        "damage", -4)
    assert (damaged["balance"]["on_hand"], damaged["balance"]["available"]) == (5, 5)
    assert movement_count() == 4


def test_a_cycle_count_records_the_difference(admin):
    created(admin.post(MOVEMENTS, movement(quantity=9)))
    counted = created(admin.post(MOVEMENTS, movement(kind="cycle_count", quantity=6)))
    [moved] = counted["movements"]
    assert (moved["kind"], moved["on_hand_delta"]) == ("cycle_count", -3)
    assert counted["balance"]["on_hand"] == 6
    # The same count again matches: no movement, same balance.
    again = created(admin.post(MOVEMENTS, movement(kind="cycle_count", quantity=6)))
    assert again["movements"] == []
    assert again["balance"]["on_hand"] == 6
    assert movement_count() == 2
    # Counting where nothing was held finds stock; counting zero empties the shelf.
    found = created(admin.post(MOVEMENTS, movement(location="store-brooklyn",
                                                   kind="cycle_count", quantity=4)))
    assert (found["movements"][0]["on_hand_delta"], found["balance"]["on_hand"]) == (4, 4)
    emptied = created(admin.post(MOVEMENTS, movement(kind="cycle_count", quantity=0)))
    assert (emptied["movements"][0]["on_hand_delta"], emptied["balance"]["on_hand"]) == (-6, 0)


def test_a_transfer_ships_then_is_received_in_parts(admin, as_role):
    created(admin.post(MOVEMENTS, movement(location="dc-east", quantity=10)))
    shipped = created(admin.post(MOVEMENTS, movement(location="dc-east", kind="transfer",
                                                     quantity=6, to_location="store-soho",
                                                     reference="TR-1")))
    transfer = shipped["transfer"]
    assert (transfer["sku"], transfer["from_location"], transfer["to_location"]) == (
        "JKT-1", "dc-east", "store-soho")
    assert (transfer["quantity"], transfer["received_quantity"], transfer["status"]) == (
        6, 0, "in_transit")
    assert transfer["reference"] == "TR-1"
    assert transfer["received_at"] is None
    assert movement_count() == 3  # receipt, out at the source, in transit at the destination
    assert (balance("JKT-1", "dc-east")["on_hand"],
            balance("JKT-1", "store-soho")["in_transit"]) == (4, 6)

    listed = ok(admin.get(f"{API}/transfers?location=store-soho"))
    assert [t["id"] for t in listed["items"]] == [transfer["id"]]
    assert listed["next_cursor"] is None
    assert ok(admin.get(f"{API}/transfers?location=dc-east"))["items"][0]["id"] == transfer["id"]
    assert ok(admin.get(f"{API}/transfers?location=store-chicago")) == {"items": [],
                                                                      "next_cursor": None}
    error_of(admin.get(f"{API}/transfers?location=nowhere"), 422, field="location")
    error_of(admin.get(f"{API}/transfers?status=lost"), 422, field="status")

    receive = f"{API}/transfers/{transfer['id']}/receive"
    soho = as_role("store", "store-soho")
    part = ok(soho.post(receive, {"quantity": 2}))
    assert (part["received_quantity"], part["status"]) == (2, "in_transit")
    assert (balance("JKT-1", "store-soho")["on_hand"],
            balance("JKT-1", "store-soho")["in_transit"]) == (2, 4)

    before = movement_count()
    error_of(soho.post(receive, {"quantity": 5}), 422, field="quantity")
    error_of(soho.post(receive, {"quantity": 0}), 422, field="quantity")
    error_of(soho.post(receive, {"quantity": -1}), 422, field="quantity")
    error_of(soho.post(receive, {"quantity": "2"}), 422, field="quantity")
    assert movement_count() == before

    rest = ok(soho.post(receive, {}))
    assert (rest["received_quantity"], rest["status"]) == (6, "received")
    assert rest["received_at"].endswith("Z")
    assert (balance("JKT-1", "store-soho")["on_hand"],
            balance("JKT-1", "store-soho")["in_transit"]) == (6, 0)
    assert ok(admin.get(f"{API}/transfers?status=received"))["items"][0]["id"] == transfer["id"]
    assert ok(admin.get(f"{API}/transfers?status=in_transit"))["items"] == []

    error_of(soho.post(receive, {}), 409, code="conflict")
    error_of(soho.post(f"{API}/transfers/999999/receive", {}), 404, code="not_found")
    assert movement_count() == before + 1

    history = ok(admin.get(f"{API}/stock/JKT-1/movements?location=store-soho"))["items"]
    assert [(m["kind"], m["on_hand_delta"], m["in_transit_delta"]) for m in history] == [
        ("transfer_in", 4, -4), ("transfer_in", 2, -2), ("transfer_out", 0, 6)]
    assert {m["counter_location"] for m in history} == {"dc-east"}
    assert {m["transfer_id"] for m in history} == {transfer["id"]}


@pytest.mark.parametrize("transfer_id", [2**31, 10**20],
                         ids=["beyond-32-bits", "beyond-64-bits"])
def test_a_transfer_id_out_of_range_is_404_not_a_crash(admin, transfer_id):
    error_of(admin.post(f"{API}/transfers/{transfer_id}/receive", {}), 404, code="not_found")


# ---------------------------------------------------------------- bad movement input

BAD_MOVEMENTS = {
    "receipt-zero": (movement(quantity=0), "quantity"),
    "receipt-negative": (movement(quantity=-3), "quantity"),
    "quantity-float": (movement(quantity=2.5), "quantity"),
    "quantity-whole-float": (movement(quantity=5.0), "quantity"),
    "quantity-string": (movement(quantity="5"), "quantity"),
    "quantity-bool": (movement(quantity=True), "quantity"),
    "quantity-null": (movement(quantity=None), "quantity"),
    "quantity-huge": (movement(quantity=10**12), "quantity"),
    "quantity-beyond-64-bits": (movement(quantity=10**30), "quantity"),
    "quantity-missing": ({"sku": "JKT-1", "location": "store-soho", "kind": "receipt"},
                         "quantity"),
    "adjustment-zero": (movement(kind="adjustment", quantity=0), "quantity"),
    "adjustment-huge-negative": (movement(kind="adjustment", quantity=-10**12), "quantity"),
    "damage-negative": (movement(kind="damage", quantity=-1), "quantity"),
    "cycle-count-negative": (movement(kind="cycle_count", quantity=-1), "quantity"),
    "cycle-count-huge": (movement(kind="cycle_count", quantity=10**12), "quantity"),
    "sku-missing": ({"location": "store-soho", "kind": "receipt", "quantity": 1}, "sku"),
    "sku-unknown": (movement(sku="NOPE-1"), "sku"),
    "sku-malformed": (movement(sku="has space"), "sku"),
    "sku-number": (movement(sku=123), "sku"),
    "location-unknown": (movement(location="nowhere"), "location"),
    "location-missing": ({"sku": "JKT-1", "kind": "receipt", "quantity": 1}, "location"),
    "kind-unknown": (movement(kind="theft"), "kind"),
    "kind-internal-reservation": (movement(kind="reservation"), "kind"),
    "kind-internal-shipment": (movement(kind="shipment"), "kind"),
    "kind-missing": ({"sku": "JKT-1", "location": "store-soho", "quantity": 1}, "kind"),
    "transfer-without-destination": (movement(kind="transfer", quantity=1), "to_location"),
    "transfer-to-itself": (movement(kind="transfer", quantity=1, to_location="store-soho"),
                           "to_location"),
    "transfer-to-unknown": (movement(kind="transfer", quantity=1, to_location="nowhere"),
                            "to_location"),
    "transfer-zero": (movement(kind="transfer", quantity=0, to_location="dc-east"),
                      "quantity"),
    "transfer-huge": (movement(kind="transfer", quantity=10**12, to_location="dc-east"),
                      "quantity"),
    "to-location-on-receipt": (movement(to_location="dc-east"), "to_location"),
    "to-location-on-adjustment": (movement(kind="adjustment", quantity=1,
                                           to_location="dc-east"), "to_location"),
    "extra-field": (movement(colour="red"), "colour"),
    "reference-too-long": (movement(reference="r" * 201), "reference"),
    "note-too-long": (movement(note="n" * 2001), "note"),
}


@pytest.fixture
def soho_holds_five() -> None:
    services.receive("JKT-1", "store-soho", 5, CAUSE)


@pytest.mark.parametrize("case", BAD_MOVEMENTS.values(), ids=BAD_MOVEMENTS.keys())
def test_bad_movements_are_422_naming_the_field_and_write_nothing(admin, soho_holds_five, case):
    body, field = case
    before = movement_count()
    error_of(admin.post(MOVEMENTS, body), 422, code="invalid", field=field)
    assert movement_count() == before
    assert rows(Transfer) == 0
    assert balance("JKT-1", "store-soho")["on_hand"] == 5


STOCK_CONFLICTS = {
    "adjustment-below-zero": (movement(kind="adjustment", quantity=-6), "insufficient_stock"),
    "damage-below-zero": (movement(kind="damage", quantity=6), "insufficient_stock"),
    "adjustment-where-nothing-is-held": (
        movement(location="store-chicago", kind="adjustment", quantity=-1),
        "insufficient_stock"),
    "transfer-more-than-available": (
        movement(kind="transfer", quantity=4, to_location="dc-east"), "insufficient_stock"),
    "cycle-count-below-reserved": (movement(kind="cycle_count", quantity=2), None),
    "adjustment-into-reserved": (movement(kind="adjustment", quantity=-3), None),
    "damage-into-reserved": (movement(kind="damage", quantity=3), None),
}


@pytest.mark.parametrize("case", STOCK_CONFLICTS.values(), ids=STOCK_CONFLICTS.keys())
def test_stock_conflicts_are_409_and_write_nothing(admin, soho_holds_five, case):
    body, code = case
    services.reserve([("JKT-1", "store-soho", 3)], "order:1/line:1", CAUSE)
    before = movement_count()
    error = error_of(admin.post(MOVEMENTS, body), 409, code=code)
    assert error["code"] in ("insufficient_stock", "conflict")
    assert movement_count() == before
    assert rows(Transfer) == 0
    assert {k: balance("JKT-1", "store-soho")[k] for k in ("on_hand", "reserved")} == {
        "on_hand": 5, "reserved": 3}
    # The refusal names what was refused, as every other error body does.
    assert "quantity" in error["fields"], error


def test_a_cycle_count_down_to_the_reserved_units_is_allowed(admin, soho_holds_five):
    services.reserve([("JKT-1", "store-soho", 3)], "order:1/line:1", CAUSE)
    body = created(admin.post(MOVEMENTS, movement(kind="cycle_count", quantity=3)))
    assert (body["balance"]["on_hand"], body["balance"]["reserved"],
            body["balance"]["available"]) == (3, 3, 0)


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ('{"sku": "JKT-1", "location": ', "application/json", 400),
    ("", "application/json", 422),  # no body at all: every required field is missing
    ("not json at all", "application/json", 400),
    ('[{"sku": "JKT-1", "location": "store-soho", "kind": "receipt", "quantity": 1}]',
     "application/json", 422),
    ('"a string"', "application/json", 422),
    ("null", "application/json", 422),
    ("42", "application/json", 422),
    # Not sent as JSON: 415 naming Content-Type, not "every field is missing".
    ("sku=JKT-1&location=store-soho&kind=receipt&quantity=1",
     "application/x-www-form-urlencoded", 415),
    ('{"sku": "JKT-1", "location": "store-soho", "kind": "receipt", "quantity": 1}',
     "text/plain", 415),
], ids=["truncated", "empty", "garbage", "array", "string", "null", "number", "form", "text"])
def test_bodies_that_are_not_a_json_object_are_refused(admin, soho_holds_five, data,
                                                        content_type, status):
    before = movement_count()
    response = admin.client.post(MOVEMENTS, data=data, content_type=content_type,
                                 headers={"Authorization": f"Bearer {admin.key}"})
    error_of(response, status)
    assert movement_count() == before


# ---------------------------------------------------------------- stock queries

@pytest.fixture
def stocked() -> None:
    """JKT-1 everywhere, one unit reserved at SoHo and one of safety stock at Brooklyn."""
    for code, quantity in [("dc-east", 10), ("dc-central", 5), ("store-soho", 3),
                           ("store-brooklyn", 2), ("store-chicago", 4)]:
        services.receive("JKT-1", code, quantity, CAUSE)
    services.reserve([("JKT-1", "store-soho", 1)], "order:9/line:1", CAUSE)
    services.set_safety_stock("JKT-1", "store-brooklyn", 1)


@pytest.mark.parametrize("role", ["admin", "channel", "wms", "store", "cs"])
def test_stock_for_a_sku_with_totals_and_rows(as_role, stocked, role):
    scope = {"store": "store-soho", "wms": "dc-east"}.get(role)
    body = ok(as_role(role, scope).get(f"{API}/stock/JKT-1"))
    assert (body["sku"], body["name"]) == ("JKT-1", "Jacket")
    assert body["network"] == {"on_hand": 24, "reserved": 1, "safety_stock": 1,
                               "available": 22, "in_transit": 0}
    by_code = {row["location"]: row for row in body["locations"]}
    assert [row["location"] for row in body["locations"]] == sorted(by_code)
    assert by_code["store-soho"] == {"location": "store-soho", "location_name": "SoHo",
                                     "kind": "store", "on_hand": 3, "reserved": 1,
                                     "safety_stock": 0, "available": 2, "in_transit": 0}
    assert (by_code["store-brooklyn"]["safety_stock"],
            by_code["store-brooklyn"]["available"]) == (1, 1)
    assert all("distance_km" not in row for row in body["locations"])


def test_stock_near_a_location_is_sorted_by_distance(admin, stocked):
    rows_ = ok(admin.get(f"{API}/stock/JKT-1?near=store-soho"))["locations"]
    assert [r["location"] for r in rows_][:3] == ["store-soho", "store-brooklyn", "dc-east"]
    assert {r["location"] for r in rows_[3:]} == {"dc-central", "store-chicago"}
    distances = [r["distance_km"] for r in rows_]
    assert distances == sorted(distances)
    assert distances[0] == 0
    assert 5 < distances[1] < 10  # SoHo to Brooklyn
    assert 1000 < distances[-1] < 1300  # New York to Chicago


def test_stock_at_a_store_lists_the_store_itself_with_zeros_when_it_has_none(admin, stocked):
    services.receive("BOOT-1", "dc-east", 4, CAUSE)
    body = ok(admin.get(f"{API}/stock/BOOT-1?near=store-soho"))
    assert [r["location"] for r in body["locations"]] == ["store-soho", "dc-east"]
    assert body["locations"][0] == {
        "location": "store-soho", "location_name": "SoHo", "kind": "store", "on_hand": 0,
        "reserved": 0, "safety_stock": 0, "available": 0, "in_transit": 0, "distance_km": 0}
    assert body["network"]["on_hand"] == 4
    # Asking for at least 1 available still shows "none here"; others need the minimum.
    some = ok(admin.get(f"{API}/stock/BOOT-1?near=store-soho&min_available=1"))
    assert [(r["location"], r["available"]) for r in some["locations"]] == [
        ("store-soho", 0), ("dc-east", 4)]
    # A kind filter that excludes the store excludes it.
    dcs = ok(admin.get(f"{API}/stock/BOOT-1?near=store-soho&kind=warehouse"))
    assert [r["location"] for r in dcs["locations"]] == ["dc-east"]
    # JKT-1 at SoHo: the store's own row appears once, with its real numbers.
    rows_ = ok(admin.get(f"{API}/stock/JKT-1?near=store-soho&min_available=5"))["locations"]
    assert [r["location"] for r in rows_].count("store-soho") == 1
    assert rows_[0]["on_hand"] == 3


def test_transfers_are_listed_a_page_at_a_time(admin):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    ids = [services.transfer("JKT-1", "dc-east", "store-soho", 1, CAUSE)["id"]
           for _ in range(5)]
    first = ok(admin.get(f"{API}/transfers?limit=2"))
    assert [t["id"] for t in first["items"]] == ids[::-1][:2]
    second = ok(admin.get(f"{API}/transfers?limit=2&cursor={first['next_cursor']}"))
    third = ok(admin.get(f"{API}/transfers?limit=2&cursor={second['next_cursor']}"))
    assert [t["id"] for t in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None
    error_of(admin.get(f"{API}/transfers?cursor=%%%"), 422, field="cursor")


def test_stock_near_coordinates(admin, stocked):
    body = ok(admin.get(f"{API}/stock/JKT-1?latitude=41.88&longitude=-87.63"))
    rows_ = body["locations"]
    assert [r["location"] for r in rows_][:2] == ["dc-central", "store-chicago"]
    assert rows_[0]["distance_km"] == 0
    assert [r["distance_km"] for r in rows_] == sorted(r["distance_km"] for r in rows_)
    stores = ok(admin.get(f"{API}/stock/JKT-1?near=store-chicago&kind=store&min_available=2"))
    assert [r["location"] for r in stores["locations"]] == ["store-chicago", "store-soho"]


@pytest.mark.parametrize(("query", "field"), [
    ("latitude=40.7", "longitude"),
    ("longitude=-73.9", "latitude"),
    ("latitude=north&longitude=-73.9", "latitude"),
    ("latitude=91&longitude=0", "latitude"),
    ("latitude=0&longitude=181", "longitude"),
    ("latitude=nan&longitude=0", "latitude"),
    ("near=nowhere", "near"),
    ("near=bad%20code", "near"),
    ("kind=shop", "kind"),
    ("min_available=-1", "min_available"),
])
def test_bad_stock_queries_are_422(admin, stocked, query, field):
    error_of(admin.get(f"{API}/stock/JKT-1?{query}"), 422, code="invalid", field=field)


def test_stock_for_an_unknown_sku_is_404(admin):
    error_of(admin.get(f"{API}/stock/NOPE-1"), 404, code="not_found")
    error_of(admin.get(f"{API}/stock/NOPE-1/movements"), 404, code="not_found")


def test_movement_history_newest_first_filtered_and_paginated(admin, stocked):
    created(admin.post(MOVEMENTS, movement(kind="adjustment", quantity=2)))
    created(admin.post(MOVEMENTS, movement(kind="damage", quantity=1)))
    everything = ok(admin.get(f"{API}/stock/JKT-1/movements"))
    ids = [m["id"] for m in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == movement_count() == 8
    assert everything["next_cursor"] is None

    soho = ok(admin.get(f"{API}/stock/JKT-1/movements?location=store-soho"))["items"]
    assert [(m["kind"], m["on_hand_delta"], m["reserved_delta"]) for m in soho] == [
        ("damage", -1, 0), ("adjustment", 2, 0), ("reservation", 0, 1), ("receipt", 3, 0)]
    assert {m["location"] for m in soho} == {"store-soho"}

    walked, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = ok(admin.get(f"{API}/stock/JKT-1/movements{query}"))
        assert len(page["items"]) <= 3
        walked += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == ids

    error_of(admin.get(f"{API}/stock/JKT-1/movements?location=nowhere"), 422, field="location")
    error_of(admin.get(f"{API}/stock/JKT-1/movements?cursor=!!"), 422, field="cursor")
    error_of(admin.get(f"{API}/stock/JKT-1/movements?limit=0"), 422, field="limit")


@pytest.mark.parametrize(("role", "scope", "status"), [
    ("admin", None, 200), ("store", "store-brooklyn", 200), ("cs", None, 200),
    ("wms", "dc-east", 403), ("channel", None, 403),
])
def test_who_may_read_the_ledger(as_role, stocked, role, scope, status):
    response = as_role(role, scope).get(f"{API}/stock/JKT-1/movements?location=store-soho")
    if status == 200:
        assert len(ok(response)["items"]) == 2
    else:
        error_of(response, status, code="forbidden")


def test_safety_stock_changes_available(admin, stocked):
    path = f"{API}/stock/JKT-1/store-soho/safety-stock"
    body = ok(admin.put(path, {"safety_stock": 2}))
    assert body["movements"] == []
    assert (body["balance"]["on_hand"], body["balance"]["reserved"],
            body["balance"]["safety_stock"], body["balance"]["available"]) == (3, 1, 2, 0)
    stock = ok(admin.get(f"{API}/stock/JKT-1"))
    assert stock["network"]["safety_stock"] == 3
    assert stock["network"]["available"] == 20
    assert ok(admin.put(path, {"safety_stock": 0}))["balance"]["available"] == 2
    # A location that never held the SKU gets a balance row holding only the safety stock.
    fresh = ok(admin.put(f"{API}/stock/SOCK-1/store-soho/safety-stock", {"safety_stock": 4}))
    assert (fresh["balance"]["on_hand"], fresh["balance"]["safety_stock"],
            fresh["balance"]["available"]) == (0, 4, 0)
    assert movement_count() == 6


@pytest.mark.parametrize(("path", "body", "status", "field"), [
    ("JKT-1/store-soho", {"safety_stock": -1}, 422, "safety_stock"),
    ("JKT-1/store-soho", {"safety_stock": 1.5}, 422, "safety_stock"),
    ("JKT-1/store-soho", {"safety_stock": "2"}, 422, "safety_stock"),
    ("JKT-1/store-soho", {"safety_stock": 10**12}, 422, "safety_stock"),
    ("JKT-1/store-soho", {}, 422, "safety_stock"),
    ("JKT-1/store-soho", {"safety_stock": 1, "extra": 1}, 422, "extra"),
    ("NOPE-1/store-soho", {"safety_stock": 1}, 404, None),
    ("JKT-1/nowhere", {"safety_stock": 1}, 404, None),
])
def test_bad_safety_stock_is_refused(admin, stocked, path, body, status, field):
    error_of(admin.put(f"{API}/stock/{path}/safety-stock", body), status, field=field)
    assert balance("JKT-1", "store-soho")["safety_stock"] == 0


def test_the_shelf_of_one_location(as_role, stocked):
    services.receive("BOOT-1", "store-soho", 2, CAUSE)
    services.receive("SOCK-1", "store-soho", 1, CAUSE)
    services.set_safety_stock("SOCK-1", "store-soho", 1)
    soho = as_role("store", "store-soho")
    shelf = ok(soho.get(f"{API}/locations/store-soho/stock"))
    assert shelf["location"]["code"] == "store-soho"
    assert [(r["sku"], r["on_hand"], r["available"]) for r in shelf["items"]] == [
        ("JKT-1", 3, 2), ("BOOT-1", 2, 2), ("SOCK-1", 1, 0)]
    assert shelf["next_cursor"] is None
    available = ok(soho.get(f"{API}/locations/store-soho/stock?available_only=true"))
    assert [r["sku"] for r in available["items"]] == ["JKT-1", "BOOT-1"]
    first = ok(soho.get(f"{API}/locations/store-soho/stock?limit=2"))
    assert [r["sku"] for r in first["items"]] == ["JKT-1", "BOOT-1"]
    rest = ok(soho.get(f"{API}/locations/store-soho/stock?limit=2&cursor={first['next_cursor']}"))
    assert [r["sku"] for r in rest["items"]] == ["SOCK-1"]
    assert rest["next_cursor"] is None
    # Any store may look at another store's shelf.
    assert ok(soho.get(f"{API}/locations/store-chicago/stock"))["items"][0]["on_hand"] == 4
    error_of(soho.get(f"{API}/locations/store-soho/stock?available_only=perhaps"), 422,
             field="available_only")


# ---------------------------------------------------------------- Idempotency-Key

def test_a_retry_with_the_same_key_and_body_replays_the_original(admin):
    headers = {"Idempotency-Key": "receipt-po-77"}
    first = admin.post(MOVEMENTS, movement(quantity=7), headers=headers)
    assert first.status_code == 201
    assert first.headers.get("Idempotent-Replayed") is None
    second = admin.post(MOVEMENTS, movement(quantity=7), headers=headers)
    assert second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    assert second.get_data() == first.get_data()
    assert movement_count() == 1
    assert balance("JKT-1", "store-soho")["on_hand"] == 7


def test_the_same_key_with_another_body_is_409(admin):
    headers = {"Idempotency-Key": "k-1"}
    created(admin.post(MOVEMENTS, movement(quantity=7), headers=headers))
    error = error_of(admin.post(MOVEMENTS, movement(quantity=8), headers=headers), 409,
                     code="conflict")
    assert "Idempotency-Key" in error["fields"]
    # The same key on another path is another request too.
    error_of(admin.post(f"{API}/items", NEW_ITEM, headers=headers), 409, code="conflict")
    assert movement_count() == 1
    assert rows(Item) == 3
    assert balance("JKT-1", "store-soho")["on_hand"] == 7


def test_keys_belong_to_the_api_key_that_used_them(admin, as_role):
    headers = {"Idempotency-Key": "shared-key"}
    created(admin.post(MOVEMENTS, movement(quantity=7), headers=headers))
    other = as_role("wms", ["store-soho", "dc-east"])
    second = other.post(MOVEMENTS, movement(quantity=7), headers=headers)
    assert second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") is None
    created(other.post(MOVEMENTS, movement(quantity=9, location="dc-east"),
                       headers={"Idempotency-Key": "wms-only"}))
    assert movement_count() == 3
    assert balance("JKT-1", "store-soho")["on_hand"] == 14


@pytest.mark.parametrize(("failing", "status"), [
    (movement(quantity=0), 422),
    (movement(sku="NOPE-1"), 422),
    (movement(quantity="7"), 422),
    (movement(kind="adjustment", quantity=-1), 409),
], ids=["quantity-zero", "unknown-sku", "schema-error", "insufficient-stock"])
def test_a_refused_request_does_not_burn_its_key(admin, failing, status):
    headers = {"Idempotency-Key": "retry-me"}
    error_of(admin.post(MOVEMENTS, failing, headers=headers), status)
    assert movement_count() == 0
    fixed = admin.post(MOVEMENTS, movement(quantity=7), headers=headers)
    assert fixed.status_code == 201, fixed.get_data(as_text=True)
    assert fixed.headers.get("Idempotent-Replayed") is None
    assert movement_count() == 1


def test_a_replayed_transfer_ships_once(admin):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    headers = {"Idempotency-Key": "transfer-1"}
    body = movement(location="dc-east", kind="transfer", quantity=4, to_location="store-soho")
    first = created(admin.post(MOVEMENTS, body, headers=headers))
    replay = admin.post(MOVEMENTS, body, headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert created(replay) == first
    assert rows(Transfer) == 1
    assert balance("JKT-1", "dc-east")["on_hand"] == 6


def test_creating_locations_and_items_is_idempotent_too(admin):
    headers = {"Idempotency-Key": "new-store"}
    location = created(admin.post(f"{API}/locations", NEW_LOCATION, headers=headers))
    replay = admin.post(f"{API}/locations", NEW_LOCATION, headers=headers)
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")
    assert replay.get_json() == location
    item = created(admin.post(f"{API}/items", NEW_ITEM, headers={"Idempotency-Key": "tee"}))
    assert created(admin.post(f"{API}/items", NEW_ITEM,
                              headers={"Idempotency-Key": "tee"})) == item
    assert (rows(Location), rows(Item)) == (6, 4)


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_a_malformed_idempotency_key_is_422(admin, key):
    error_of(admin.post(MOVEMENTS, movement(), headers={"Idempotency-Key": key}), 422,
             field="Idempotency-Key")
    assert movement_count() == 0


# ---------------------------------------------------------------- docs and health

def test_the_openapi_document(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["info"]["version"] == "v1"
    paths = spec["paths"]
    assert "post" in paths[f"{API}/stock/movements"]
    for path in (f"{API}/locations", f"{API}/items", f"{API}/items/{{sku}}",
                 f"{API}/stock/{{sku}}", f"{API}/stock/{{sku}}/movements",
                 f"{API}/stock/{{sku}}/{{location}}/safety-stock"):
        assert path in paths, path


def test_the_interactive_docs_are_served_without_a_cdn(client):
    page = client.get(f"{API}/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert f"{API}/docs-assets/" in html
    assert "cdn" not in html.lower()
    asset = client.get(f"{API}/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.get_data()) > 100_000
    assert client.get(f"{API}/docs-assets/swagger-ui.css").status_code == 200
    assert client.get(f"{API}/docs-assets/no-such-file.js").status_code == 404


def test_health_probes(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


def test_an_unknown_route_is_a_json_404(admin):
    error_of(admin.get(f"{API}/no-such-thing"), 404)
