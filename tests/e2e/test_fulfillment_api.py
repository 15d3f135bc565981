"""Fulfillment through HTTP: pick lists and leases, pick, ship, short picks and rejections that
re-route, store pickups with codes, transfers into stores, capacity, and who may act where."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from core.db import read_session, unit_of_work
from fulfillment import capacity
from fulfillment.models import CapacityCounter, Fulfillment
from inventory import services
from tests.support import (
    CAUSE,
    assert_ledger_clean,
    balance,
    movement_count,
    set_daily_capacity,
)

API = "/api/v1"
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def place(channel, external_id: str = "W-1", *, sku: str = "JKT-1", quantity: int = 1,
          method: str = "ship", **fulfillment) -> dict:
    body = {"channel": "web", "external_id": external_id, "currency": "USD",
            "customer": {"email": "pat@example.com"},
            "lines": [{"sku": sku, "quantity": quantity, "unit_price": "10.00"}],
            "fulfillment": {"method": method, **fulfillment}}
    if method == "ship":
        body["fulfillment"]["address"] = NEW_YORK
    response = channel.post(f"{API}/orders", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def open_fulfillments(order: dict, method: str | None = None) -> list[dict]:
    return [f for f in order["fulfillments"]
            if f["status"] not in ("cancelled", "rejected") and method in (None, f["method"])]


def test_warehouse_polls_claims_picks_and_ships(as_role, channel, cs):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    order = place(channel, quantity=2)
    wms = as_role("wms", "dc-east")
    listed = ok(wms.get(f"{API}/pick-lists?location=dc-east"))["items"]
    assert [f["order_number"] for f in listed] == [order["number"]]
    [claimed] = ok(wms.post(f"{API}/pick-lists/claim", {"location": "dc-east", "limit": 5,
                                                        "lease_seconds": 120}))["items"]
    assert claimed["claimed_by"].endswith("test-wms")
    assert ok(as_role("wms", "dc-east").post(f"{API}/pick-lists/claim",
                                             {"location": "dc-east"}))["items"] == []
    line_id = claimed["lines"][0]["line_id"]
    ok(wms.post(f"{API}/fulfillments/{claimed['id']}/pick",
                {"lines": [{"line_id": line_id, "picked_quantity": 2}]}))
    shipped = ok(wms.post(f"{API}/fulfillments/{claimed['id']}/ship",
                          {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}))
    assert (shipped["status"], shipped["tracking_number"]) == ("shipped", "1Z999AA10123456784")
    row = balance("JKT-1", "dc-east")
    assert (row["on_hand"], row["reserved"]) == (3, 0)
    after = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert after["status"] == "fulfilled"
    assert after["lines"][0]["shipped"] == 2
    assert "fulfillment.shipped" in [e["kind"] for e in after["timeline"]]
    hits = ok(cs.get(f"{API}/orders?q=1Z999AA10123456784"))["items"]
    assert [h["id"] for h in hits] == [order["id"]]
    # Shipping twice, or cancelling what has shipped, changes nothing.
    before = movement_count()
    again = wms.post(f"{API}/fulfillments/{claimed['id']}/ship",
                     {"carrier": "UPS", "tracking_number": "X"})
    assert again.status_code == 409
    assert cs.post(f"{API}/orders/{order['id']}/cancel", {}).status_code == 409
    assert movement_count() == before


def test_expired_lease_returns_work_and_renewal_keeps_it(as_role, channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    place(channel, "W-1")
    place(channel, "W-2")
    first, second = as_role("wms", "dc-east"), as_role("wms", "dc-east")
    mine = ok(first.post(f"{API}/pick-lists/claim", {"location": "dc-east", "limit": 1,
                                                     "lease_seconds": 60}))["items"]
    renewed = ok(first.post(f"{API}/fulfillments/{mine[0]['id']}/renew",
                            {"lease_seconds": 600}))
    assert renewed["lease_expires_at"] > mine[0]["lease_expires_at"]
    assert second.post(f"{API}/fulfillments/{mine[0]['id']}/renew",
                       {"lease_seconds": 600}).status_code == 409
    theirs = ok(second.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    assert [f["id"] for f in theirs] != [f["id"] for f in mine] and len(theirs) == 1
    with unit_of_work() as uow:  # time passes: the first poller's lease runs out
        session = uow.session
        session.execute(update(Fulfillment).where(Fulfillment.id == mine[0]["id"]).values(
            lease_expires_at=dt.datetime(2000, 1, 1)))
        uow.commit()
    taken_over = ok(second.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    assert [f["id"] for f in taken_over] == [mine[0]["id"]]
    assert first.post(f"{API}/fulfillments/{mine[0]['id']}/renew",
                      {"lease_seconds": 60}).status_code == 409


def test_short_pick_reroutes_the_missing_units_elsewhere(as_role, channel, cs):
    services.receive("JKT-1", "dc-east", 2, CAUSE)
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    order = place(channel, quantity=2)
    [east] = open_fulfillments(order)
    assert east["location"] == "dc-east"
    wms = as_role("wms", "dc-east")
    ok(wms.post(f"{API}/fulfillments/{east['id']}/pick",
                {"lines": [{"line_id": east["lines"][0]["line_id"], "picked_quantity": 1}]}))
    after = ok(cs.get(f"{API}/orders/{order['id']}"))
    placed = {f["location"]: f["lines"][0]["quantity"] for f in open_fulfillments(after)}
    assert placed == {"dc-east": 1, "dc-central": 1}
    assert after["status"] == "routed"
    assert balance("JKT-1", "dc-east")["reserved"] == 1
    assert balance("JKT-1", "dc-central")["reserved"] == 1
    assert any("short pick at dc-east" in e["message"] for e in after["timeline"])


def test_rejection_releases_and_reroutes_without_that_node(as_role, channel, cs):
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.receive("JKT-1", "dc-central", 3, CAUSE)
    order = place(channel)
    [soho] = open_fulfillments(order)
    assert soho["location"] == "store-soho"
    store = as_role("store", "store-soho")
    rejected = ok(store.post(f"{API}/fulfillments/{soho['id']}/reject",
                             {"reason": "damaged on the shelf"}))
    assert rejected["status"] == "rejected"
    after = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert [f["location"] for f in open_fulfillments(after)] == ["dc-central"]
    assert balance("JKT-1", "store-soho")["reserved"] == 0
    assert balance("JKT-1", "dc-central")["reserved"] == 1
    assert "store-soho" in after["routing"]["excluded"]
    # A later re-route still leaves the rejecting store out.
    rerouted = ok(cs.post(f"{API}/orders/{order['id']}/reroute", {}))
    assert [f["location"] for f in open_fulfillments(rerouted)] == ["dc-central"]


LABEL_ORDER = {
    "channel": "web", "external_id": "W-LABEL", "currency": "USD",
    "customer": {"email": "ada@example.com", "phone": "(212) 555-0142", "name": "Ada Lovelace"},
    "lines": [{"sku": "JKT-1", "quantity": 2, "unit_price": "120.00"},
              {"sku": "SOCK-1", "quantity": 1, "unit_price": "12.50",
               "name": "Merino sock, grey"}],
    "fulfillment": {"method": "ship", "address": {
        "name": "Ada King", "line1": "350 5th Ave", "city": "New York", "region": "NY",
        "postal_code": "10118", "country": "US", "latitude": 40.7484, "longitude": -73.9857}},
}
LABEL = {"name": "Ada King", "company": None, "line1": "350 5th Ave", "line2": None,
         "city": "New York", "region": "NY", "postal_code": "10118", "country": "US",
         "phone": "+12125550142"}


def test_a_warehouse_can_print_the_label_of_what_it_claims(as_role, channel, cs):
    """A wms key may not read orders, and needs not: its pick list, claim and fulfillment
    carry the ship-to, the order number and channel, and each line's SKU and product name
    (the catalogue's when the channel sent none)."""
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    order = ok(channel.post(f"{API}/orders", LABEL_ORDER), 201)
    assert [ln["name"] for ln in order["lines"]] == ["Jacket", "Merino sock, grey"]
    wms = as_role("wms", "dc-east")
    assert wms.get(f"{API}/orders/{order['id']}").status_code == 403
    [listed] = ok(wms.get(f"{API}/pick-lists?location=dc-east"))["items"]
    [claimed] = ok(wms.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    fetched = ok(wms.get(f"{API}/fulfillments/{claimed['id']}"))
    for view in (listed, claimed, fetched):
        assert (view["order_number"], view["channel"]) == (order["number"], "web")
        assert view["ship_to"] == LABEL
        assert view["customer"] == {"name": "Ada Lovelace", "phone": "+12125550142"}
        assert [(ln["sku"], ln["name"], ln["quantity"]) for ln in view["lines"]] == [
            ("JKT-1", "Jacket", 2), ("SOCK-1", "Merino sock, grey", 1)]
    # The order's view of its fulfillments shows the same.
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["fulfillments"][0]["ship_to"] == LABEL


def test_a_new_address_before_shipping_reaches_the_open_shipment(as_role, channel):
    from oms import orders
    from oms.models import Order

    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    order = ok(channel.post(f"{API}/orders", LABEL_ORDER), 201)
    moved = {"name": "Ada King", "line1": "1 Main St", "city": "Brooklyn", "region": "NY",
             "postal_code": "11201", "country": "US"}
    with unit_of_work() as uow:
        changed = orders.change_ship_to(uow, uow.session.get(Order, order["id"]), moved,
                                        actor="test", source="web", description="1 Main St")
        uow.commit()
    assert changed
    [view] = ok(as_role("wms", "dc-east").get(f"{API}/pick-lists?location=dc-east"))["items"]
    assert view["ship_to"] == {**LABEL, "line1": "1 Main St", "city": "Brooklyn",
                               "postal_code": "11201"}


def test_a_store_sees_who_picks_up(as_role, channel):
    services.receive("JKT-1", "store-brooklyn", 2, CAUSE)
    body = {**LABEL_ORDER, "external_id": "W-PICKUP", "lines": LABEL_ORDER["lines"][:1],
            "fulfillment": {"method": "pickup", "pickup_location": "store-brooklyn"}}
    order = ok(channel.post(f"{API}/orders", body), 201)
    store = as_role("store", "store-brooklyn")
    [listed] = ok(store.get(f"{API}/pick-lists?location=store-brooklyn"))["items"]
    assert listed["customer"] == {"name": "Ada Lovelace", "phone": "+12125550142"}
    assert (listed["method"], listed["ship_to"]) == ("pickup", None)
    assert (listed["order_number"], listed["channel"]) == (order["number"], "web")
    ready = ok(store.post(f"{API}/fulfillments/{listed['id']}/ready-for-pickup"))
    assert ready["customer"]["name"] == "Ada Lovelace"
    assert [(ln["sku"], ln["name"]) for ln in ready["lines"]] == [("JKT-1", "Jacket")]


def test_store_pickup_with_code_wrong_codes_refused_and_counted(as_role, channel, cs):
    services.receive("JKT-1", "store-brooklyn", 2, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    [pickup] = open_fulfillments(order)
    store = as_role("store", "store-brooklyn")
    assert as_role("store", "store-soho").post(
        f"{API}/fulfillments/{pickup['id']}/ready-for-pickup").status_code == 403
    ready = ok(store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))
    code = ready["pickup_code"]
    assert len(code) == 9 and code[4] == "-" and ready["status"] == "ready_for_pickup"
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["status"] == "routed"
    wrong = store.post(f"{API}/fulfillments/{pickup['id']}/pickup", {"code": "WRNG-2345"})
    assert wrong.status_code == 422 and "code" in wrong.get_json()["error"]["fields"]
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 2
    handed = ok(store.post(f"{API}/fulfillments/{pickup['id']}/pickup",
                           {"code": code.lower()}))
    assert handed["status"] == "picked_up"
    row = balance("JKT-1", "store-brooklyn")
    assert (row["on_hand"], row["reserved"]) == (1, 0)
    after = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert (after["status"], after["lines"][0]["picked_up"]) == ("fulfilled", 1)
    assert [e["kind"] for e in after["timeline"]].count("fulfillment.wrong_pickup_code") == 1


def test_pickup_code_typed_at_the_counter(as_role, channel, cs):
    """Spaces, dashes and case do not matter; a code that cannot be a code is refused
    without counting; only a real mismatch counts as a wrong attempt."""
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    [pickup] = open_fulfillments(order)
    store = as_role("store", "store-brooklyn")
    code = ok(store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))["pickup_code"]
    url = f"{API}/fulfillments/{pickup['id']}/pickup"
    for malformed in ("ABC", "ABCD-EFGH-J", "0OOO-0OOO", "ABCD EFG!"):
        refused = store.post(url, {"code": malformed})
        assert refused.status_code == 422, malformed
        assert "not counted" in refused.get_json()["error"]["fields"]["code"][0]
    real_mismatch = "AAAA-AAAA" if code != "AAAA-AAAA" else "BBBB-BBBB"
    assert store.post(url, {"code": real_mismatch.lower()}).status_code == 422
    with unit_of_work() as uow:
        assert uow.session.get(Fulfillment, pickup["id"]).wrong_code_attempts == 1
    typed = " ".join(code.replace("-", "").lower()[i:i + 2] for i in range(0, 8, 2))
    handed = ok(store.post(url, {"code": typed}))  # "ab cd ef gh"
    assert handed["status"] == "picked_up"
    timeline = ok(cs.get(f"{API}/orders/{order['id']}"))["timeline"]
    assert [e["kind"] for e in timeline].count("fulfillment.wrong_pickup_code") == 1


def test_too_many_wrong_codes_lock_the_pickup(as_role, channel):
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    [pickup] = open_fulfillments(order)
    store = as_role("store", "store-brooklyn")
    code = ok(store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))["pickup_code"]
    for _ in range(5):
        assert store.post(f"{API}/fulfillments/{pickup['id']}/pickup",
                          {"code": "AAAAAAAA"}).status_code == 422
    locked = store.post(f"{API}/fulfillments/{pickup['id']}/pickup", {"code": code})
    assert locked.status_code == 409
    assert balance("JKT-1", "store-brooklyn")["reserved"] == 1


def test_transfer_to_store_becomes_a_pickup_when_received(as_role, channel, cs):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn")
    transfer = open_fulfillments(order, "transfer")[0]
    pickup = open_fulfillments(order, "pickup")[0]
    assert pickup["status"] == "awaiting_transfer"
    store = as_role("store", "store-brooklyn")
    assert store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup").status_code == 409
    wms = as_role("wms", "dc-east")
    ok(wms.post(f"{API}/fulfillments/{transfer['id']}/ship",
                {"carrier": "truck", "tracking_number": "T-1"}))
    assert balance("JKT-1", "store-brooklyn")["in_transit"] == 1
    [moving] = ok(store.get(
        f"{API}/transfers?location=store-brooklyn&status=in_transit"))["items"]
    ok(store.post(f"{API}/transfers/{moving['id']}/receive", {}))
    listed = ok(store.get(f"{API}/pick-lists?location=store-brooklyn"))["items"]
    assert [(f["id"], f["status"]) for f in listed] == [(pickup["id"], "pending")]
    code = ok(store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))["pickup_code"]
    ok(store.post(f"{API}/fulfillments/{pickup['id']}/pickup", {"code": code}))
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["status"] == "fulfilled"
    assert balance("JKT-1", "dc-east")["on_hand"] == 3
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 0


def test_cancelled_fulfillment_cannot_ship(as_role, channel, cs):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel)
    [east] = open_fulfillments(order)
    ok(cs.post(f"{API}/orders/{order['id']}/cancel", {}))
    before = movement_count()
    response = as_role("wms", "dc-east").post(f"{API}/fulfillments/{east['id']}/ship",
                                              {"carrier": "UPS", "tracking_number": "1"})
    assert response.status_code == 409
    assert movement_count() == before


def test_keys_act_only_at_their_locations(as_role, channel):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel)
    [east] = open_fulfillments(order)
    other = as_role("wms", "dc-central")
    assert other.get(f"{API}/pick-lists?location=dc-east").status_code == 403
    assert other.post(f"{API}/pick-lists/claim", {"location": "dc-east"}).status_code == 403
    for action, body in (("pick", {"lines": [{"line_id": 1, "picked_quantity": 1}]}),
                         ("ship", {"carrier": "UPS", "tracking_number": "1"}),
                         ("reject", {"reason": "no"})):
        assert other.post(f"{API}/fulfillments/{east['id']}/{action}", body).status_code == 403
    assert channel.post(f"{API}/pick-lists/claim", {"location": "dc-east"}).status_code == 403
    assert as_role("wms", "dc-east").post(
        f"{API}/fulfillments/{east['id']}/ready-for-pickup").status_code == 403
    assert balance("JKT-1", "dc-east")["reserved"] == 1


def test_a_wms_key_for_several_warehouses_works_at_each_and_only_there(as_role, channel):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel)
    [east] = open_fulfillments(order)
    both = as_role("wms", ["dc-central", "dc-east"])
    assert ok(both.get(f"{API}/pick-lists?location=dc-central"))["items"] == []
    [claimed] = ok(both.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    assert claimed["id"] == east["id"]
    refused = both.post(f"{API}/pick-lists/claim", {"location": "store-soho"})
    assert refused.status_code == 403
    assert "dc-central, dc-east" in refused.get_json()["error"]["fields"]["location"][0]
    assert both.get(f"{API}/pick-lists?location=store-soho").status_code == 403
    assert as_role("wms", "dc-central").get(f"{API}/fulfillments/{east['id']}").status_code == 403
    ok(both.post(f"{API}/fulfillments/{east['id']}/ship",
                 {"carrier": "UPS", "tracking_number": "1Z1"}))


@pytest.mark.parametrize("path, body, field", [
    ("pick-lists/claim", {"location": "dc-east", "lease_seconds": 0}, "lease_seconds"),
    ("pick-lists/claim", {"location": "dc-east", "limit": 0}, "limit"),
    ("pick-lists/claim", {}, "location"),
])
def test_bad_claims_are_422(as_role, path, body, field):
    response = as_role("wms", "dc-east").post(f"{API}/{path}", body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_daily_capacity_sends_work_elsewhere(channel):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "dc-central", 10, CAUSE)
    set_daily_capacity("dc-east", 1)
    first = place(channel, "W-1")
    second = place(channel, "W-2")
    assert open_fulfillments(first)[0]["location"] == "dc-east"
    assert open_fulfillments(second)[0]["location"] == "dc-central"
    assert any(r["code"] == "capacity" for r in second["routing"]["reasons"])


def counter(location: str) -> int | None:
    with read_session() as session:
        return session.scalar(select(CapacityCounter.assigned).where(
            CapacityCounter.location_code == location, CapacityCounter.day == capacity.today()))


def test_capacity_given_back_by_a_rejection_or_a_cancel_is_taken_again(as_role, channel, cs):
    """Today's counter goes down when counted work is rejected or cancelled (the trigger),
    so the node takes the next order; it always equals a count of the day's work."""
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "dc-central", 10, CAUSE)
    set_daily_capacity("dc-east", 2)
    first, second = place(channel, "W-1"), place(channel, "W-2")
    assert counter("dc-east") == 2
    assert open_fulfillments(place(channel, "W-3"))[0]["location"] == "dc-central"
    [work] = open_fulfillments(first)
    ok(as_role("wms", "dc-east").post(f"{API}/fulfillments/{work['id']}/reject",
                                      {"reason": "no pickers today"}))
    assert counter("dc-east") == 1
    assert open_fulfillments(place(channel, "W-4"))[0]["location"] == "dc-east"
    ok(cs.post(f"{API}/orders/{second['id']}/cancel", {"reason": "customer asked"}))
    assert counter("dc-east") == 1
    assert open_fulfillments(place(channel, "W-5"))[0]["location"] == "dc-east"
    assert counter("dc-east") == 2
    with read_session() as session:
        assert capacity.drift(session) == []


def test_a_days_first_counter_starts_from_work_written_without_routing(channel):
    """Fulfillments written by SQL (an import, a bulk seed) before the day's first routed
    order at a node are counted when its counter starts."""
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "dc-central", 10, CAUSE)
    set_daily_capacity("dc-east", 3)
    with unit_of_work() as uow:
        uow.session.add_all(Fulfillment(order_id=900 + i, order_number=f"X-{i}",
                                        location_code="dc-east", method="ship",
                                        assigned_on=capacity.today()) for i in range(2))
        uow.session.add(Fulfillment(order_id=999, order_number="X-9", location_code="dc-east",
                                    method="ship", status="cancelled",
                                    assigned_on=capacity.today()))
        uow.commit()
    assert open_fulfillments(place(channel, "W-1"))[0]["location"] == "dc-east"
    assert counter("dc-east") == 3
    assert open_fulfillments(place(channel, "W-2"))[0]["location"] == "dc-central"
    with read_session() as session:
        assert capacity.drift(session) == []


def test_work_claimed_by_another_poller_is_theirs_to_ship(as_role, channel):
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    place(channel)
    holder, other = as_role("wms", "dc-east"), as_role("wms", "dc-east")
    [claimed] = ok(holder.post(f"{API}/pick-lists/claim", {"location": "dc-east"}))["items"]
    before = movement_count()
    for action, body in (("pick", {"lines": [{"line_id": claimed["lines"][0]["line_id"],
                                              "picked_quantity": 1}]}),
                         ("ship", {"carrier": "UPS", "tracking_number": "1"})):
        assert other.post(f"{API}/fulfillments/{claimed['id']}/{action}", body).status_code == 409
    assert movement_count() == before
    ok(holder.post(f"{API}/fulfillments/{claimed['id']}/ship",
                   {"carrier": "UPS", "tracking_number": "1"}))


def _pickup_with_transfer_on_the_road(as_role, channel, quantity: int = 1) -> tuple[dict, dict]:
    """A BOPIS order at store-brooklyn (no stock there) whose transfer from dc-east has left."""
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    order = place(channel, method="pickup", pickup_location="store-brooklyn", quantity=quantity)
    transfer = open_fulfillments(order, "transfer")[0]
    ok(as_role("wms", "dc-east").post(f"{API}/fulfillments/{transfer['id']}/ship",
                                      {"carrier": "truck", "tracking_number": "T-9"}))
    [moving] = ok(as_role("store", "store-brooklyn").get(
        f"{API}/transfers?location=store-brooklyn&status=in_transit"))["items"]
    return order, moving


def _receive(as_role, transfer: dict) -> None:
    ok(as_role("store", "store-brooklyn").post(f"{API}/transfers/{transfer['id']}/receive", {}))


def test_cancelling_while_the_transfer_is_on_the_road_frees_the_units_on_arrival(
        as_role, channel, cs):
    order, moving = _pickup_with_transfer_on_the_road(as_role, channel)
    cancelled = ok(cs.post(f"{API}/orders/{order['id']}/cancel", {}))
    assert cancelled["status"] == "cancelled"
    # The truck is still on the road (its fulfillment stays shipped); the pickup is off.
    assert [(f["method"], f["status"]) for f in cancelled["fulfillments"]] == [
        ("transfer", "shipped"), ("pickup", "cancelled")]
    [moving] = ok(as_role("store", "store-brooklyn").get(
        f"{API}/transfers?location=store-brooklyn&status=in_transit"))["items"]
    assert moving["reserved_on_arrival"] == 0
    _receive(as_role, moving)
    row = balance("JKT-1", "store-brooklyn")
    assert (row["on_hand"], row["reserved"], row["in_transit"]) == (1, 0, 0)


def test_part_cancelled_while_on_the_road_keeps_only_the_rest_for_the_pickup(
        as_role, channel, cs):
    order, moving = _pickup_with_transfer_on_the_road(as_role, channel, quantity=3)
    line_id = order["lines"][0]["line_id"]
    ok(cs.post(f"{API}/orders/{order['id']}/cancel",
               {"lines": [{"line_id": line_id, "quantity": 1}]}))
    _receive(as_role, moving)
    row = balance("JKT-1", "store-brooklyn")
    assert (row["on_hand"], row["reserved"]) == (3, 2)
    store = as_role("store", "store-brooklyn")
    [listed] = ok(store.get(f"{API}/pick-lists?location=store-brooklyn"))["items"]
    assert listed["status"] == "pending"
    code = ok(store.post(f"{API}/fulfillments/{listed['id']}/ready-for-pickup"))["pickup_code"]
    ok(store.post(f"{API}/fulfillments/{listed['id']}/pickup", {"code": code}))
    row = balance("JKT-1", "store-brooklyn")
    assert (row["on_hand"], row["reserved"]) == (1, 0)
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["status"] == "fulfilled"


def test_store_rejecting_a_pickup_on_the_road_leaves_nothing_reserved_on_arrival(
        as_role, channel):
    order, moving = _pickup_with_transfer_on_the_road(as_role, channel)
    pickup = open_fulfillments(order, "pickup")[0]
    ok(as_role("store", "store-brooklyn").post(f"{API}/fulfillments/{pickup['id']}/reject",
                                               {"reason": "store closing for renovation"}))
    _receive(as_role, moving)
    assert balance("JKT-1", "store-brooklyn")["reserved"] == 0
