"""Orders through HTTP: intake from channels, routing with reasons, reservations in the ledger,
cancel and re-route, the single customer view, search, and who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import read_session
from fulfillment import capacity
from fulfillment.routing.eta import business_days_after
from inventory import services
from oms import policy
from oms.models import Order, OutboxEvent
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

API = "/api/v1"
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}
CHICAGO = {"line1": "233 S Wacker Dr", "city": "Chicago", "postal_code": "60606",
           "country": "US", "latitude": 41.8789, "longitude": -87.6359}


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def order(external_id: str = "W-1", *, lines=None, method: str = "ship", address=None,
          channel: str = "web", customer=None, **fulfillment) -> dict:
    body = {
        "channel": channel, "external_id": external_id, "currency": "USD",
        "customer": customer or {"email": "jane@example.com", "name": "Jane Roe"},
        "lines": lines or [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
        "fulfillment": {"method": method, **fulfillment},
    }
    if method == "ship":
        body["fulfillment"]["address"] = dict(address or NEW_YORK)
    return body


def placed(response, status: int = 201) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def orders_count() -> int:
    with read_session() as session:
        return session.scalar(select(func.count()).select_from(Order))


# ------------------------------------------------------------------ routing through the API

def test_ship_order_is_routed_reserved_and_explained(channel):
    services.receive("JKT-1", "dc-central", 10, CAUSE)
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    body = placed(channel.post(f"{API}/orders", order()))
    assert body["status"] == "routed"
    assert body["number"].startswith("NW-")
    [line] = body["lines"]
    assert (line["ordered"], line["allocated"], line["backordered"]) == (1, 1, 0)
    [fulfillment] = body["fulfillments"]
    assert (fulfillment["location"], fulfillment["method"]) == ("store-soho", "ship")
    assert balance("JKT-1", "store-soho")["reserved"] == 1
    reasons = " ".join(r["text"] for r in body["routing"]["reasons"])
    assert "store-soho" in reasons and "dc-central" in reasons  # chosen and runner-up
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[0] == "order.received" and "order.routed" in kinds
    with read_session() as session:
        topics = session.scalars(select(OutboxEvent.topic).where(
            OutboxEvent.aggregate_id == body["id"]).order_by(OutboxEvent.id)).all()
    assert topics == ["order.created", "order.routed", "fulfillment.created"]


def test_split_shipment_when_no_single_node_has_everything(channel):
    services.receive("JKT-1", "dc-east", 3, CAUSE)
    services.receive("BOOT-1", "dc-central", 3, CAUSE)
    lines = [{"sku": "JKT-1", "quantity": 2, "unit_price": "120.00"},
             {"sku": "BOOT-1", "quantity": 1, "unit_price": "160.00"}]
    body = placed(channel.post(f"{API}/orders", order(lines=lines)))
    assert body["status"] == "routed"
    assert sorted(f["location"] for f in body["fulfillments"]) == ["dc-central", "dc-east"]
    assert "split" in " ".join(r["text"] for r in body["routing"]["reasons"])
    assert balance("JKT-1", "dc-east")["reserved"] == 2
    assert balance("BOOT-1", "dc-central")["reserved"] == 1


def test_bopis_in_stock_is_a_pickup_at_the_store(channel):
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(method="pickup",
                                                      pickup_location="store-brooklyn")))
    [fulfillment] = body["fulfillments"]
    assert (fulfillment["location"], fulfillment["method"], fulfillment["status"]) == (
        "store-brooklyn", "pickup", "pending")
    assert balance("JKT-1", "store-brooklyn")["reserved"] == 1


def test_bopis_without_stock_transfers_from_the_cheapest_node(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("JKT-1", "store-chicago", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(method="pickup",
                                                      pickup_location="store-brooklyn")))
    by_method = {f["method"]: f for f in body["fulfillments"]}
    assert by_method["transfer"]["location"] == "dc-east"
    assert by_method["transfer"]["transfer_to"] == "store-brooklyn"
    assert by_method["pickup"]["status"] == "awaiting_transfer"
    assert balance("JKT-1", "dc-east")["reserved"] == 1


def test_bopis_suggest_policy_lists_nearby_stores_and_asks(channel):
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    body = placed(channel.post(f"{API}/orders", {
        **order(method="pickup", pickup_location="store-brooklyn"), "bopis_policy": "suggest"}))
    assert body["status"] == "needs_attention"
    assert body["routing"]["suggestions"] == ["store-soho"]
    assert body["fulfillments"] == []
    assert balance("JKT-1", "store-soho")["reserved"] == 0


def test_backorder_then_routed_when_stock_arrives(app, channel):
    body = placed(channel.post(f"{API}/orders", order()))
    assert body["status"] == "backordered"
    assert body["lines"][0]["backordered"] == 1
    services.receive("JKT-1", "dc-east", 4, CAUSE)
    from oms.jobs import retry_unplaced_orders

    assert retry_unplaced_orders() == 1
    again = placed(channel.get(f"{API}/orders/{body['id']}"), 200)
    assert again["status"] == "routed"
    assert balance("JKT-1", "dc-east")["reserved"] == 1


def test_sku_that_may_not_backorder_needs_attention(channel, monkeypatch):
    monkeypatch.setattr(policy, "_current", policy.OrderPolicy(
        no_backorder_skus=frozenset({"JKT-1"})))
    body = placed(channel.post(f"{API}/orders", order()))
    assert body["status"] == "needs_attention"
    assert body["routing"]["unfillable"] == [{"line_id": body["lines"][0]["line_id"],
                                              "quantity": 1}]


def test_carry_out_sale_leaves_the_ledger_at_once(channel):
    services.receive("SOCK-1", "store-soho", 10, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(
        "POS-1", channel="pos", method="carry_out", location="store-soho",
        lines=[{"sku": "SOCK-1", "quantity": 3, "unit_price": "12.50"}], customer={})))
    assert body["status"] == "fulfilled"
    assert body["lines"][0]["picked_up"] == 3
    row = balance("SOCK-1", "store-soho")
    assert (row["on_hand"], row["reserved"]) == (7, 0)


def test_missing_coordinates_are_estimated_from_the_postal_code(channel):
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    address = {"line1": "1 Main", "city": "Chicago", "postal_code": "60611", "country": "US"}
    body = placed(channel.post(f"{API}/orders", order(address=address)))
    assert body["fulfillments"][0]["location"] == "dc-central"
    assert any(r["code"] == "distance_estimated" and "estimated" in r["text"]
               for r in body["routing"]["reasons"])


# ------------------------------------------------------------------ idempotency

def test_same_channel_order_twice_is_one_order(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    first = placed(channel.post(f"{API}/orders", order("W-9")))
    again = placed(channel.post(f"{API}/orders", order("W-9")), 200)
    assert again["id"] == first["id"]
    assert orders_count() == 1
    assert balance("JKT-1", "dc-east")["reserved"] == 1


def test_idempotency_key_replays_the_original_response(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    headers = {"Idempotency-Key": "k-1"}
    first = channel.post(f"{API}/orders", order("W-10"), headers=headers)
    second = channel.post(f"{API}/orders", order("W-10"), headers=headers)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    other = channel.post(f"{API}/orders", order("W-11"), headers=headers)
    assert other.status_code == 409


# ------------------------------------------------------------------ cancel and re-route

def test_cancel_whole_order_releases_everything(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(lines=[
        {"sku": "JKT-1", "quantity": 2, "unit_price": "120.00"}])))
    cancelled = placed(channel.post(f"{API}/orders/{body['id']}/cancel",
                                    {"reason": "changed mind"}), 200)
    assert cancelled["status"] == "cancelled"
    assert cancelled["lines"][0]["cancelled"] == 2
    assert cancelled["fulfillments"][0]["status"] == "cancelled"
    assert balance("JKT-1", "dc-east")["reserved"] == 0
    again = channel.post(f"{API}/orders/{body['id']}/cancel", {})
    assert again.status_code == 409


def test_cancel_some_units_of_a_line(cs, channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(lines=[
        {"sku": "JKT-1", "quantity": 3, "unit_price": "120.00"}])))
    line_id = body["lines"][0]["line_id"]
    after = placed(cs.post(f"{API}/orders/{body['id']}/cancel",
                           {"lines": [{"line_id": line_id, "quantity": 2}]}), 200)
    assert after["status"] == "routed"
    assert (after["lines"][0]["allocated"], after["lines"][0]["cancelled"]) == (1, 2)
    assert balance("JKT-1", "dc-east")["reserved"] == 1
    too_many = cs.post(f"{API}/orders/{body['id']}/cancel",
                       {"lines": [{"line_id": line_id, "quantity": 2}]})
    assert too_many.status_code == 409
    assert "lines.0.quantity" in too_many.get_json()["error"]["fields"]
    unknown = cs.post(f"{API}/orders/{body['id']}/cancel",
                      {"lines": [{"line_id": 999999, "quantity": 1}]})
    assert unknown.status_code == 422


def test_carry_out_cannot_be_cancelled_it_is_a_return(channel):
    services.receive("SOCK-1", "store-soho", 10, CAUSE)
    body = placed(channel.post(f"{API}/orders", order(
        "POS-2", channel="pos", method="carry_out", location="store-soho",
        lines=[{"sku": "SOCK-1", "quantity": 1, "unit_price": "12.50"}])))
    assert channel.post(f"{API}/orders/{body['id']}/cancel", {}).status_code == 409


def test_adding_units_to_an_open_order_routes_them(channel, cs, as_role):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("BOOT-1", "dc-central", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order("W-40")))
    line_id = body["lines"][0]["line_id"]
    more = {"lines": [{"line_id": line_id, "quantity": 2},
                      {"sku": "BOOT-1", "quantity": 1, "unit_price": "89.50",
                       "name": "Trail Boot"}]}
    headers = {"Idempotency-Key": "add-1"}
    after = placed(channel.post(f"{API}/orders/{body['id']}/lines", more, headers=headers), 200)
    assert [(ln["sku"], ln["ordered"], ln["allocated"]) for ln in after["lines"]] == [
        ("JKT-1", 3, 3), ("BOOT-1", 1, 1)]
    assert after["lines"][1]["unit_price"] == "89.50"
    assert after["status"] == "routed"
    assert balance("JKT-1", "dc-east")["reserved"] == 3
    assert balance("BOOT-1", "dc-central")["reserved"] == 1
    assert any(e["kind"] == "channel.units_added" for e in after["timeline"])
    # The channel's retry with the same key adds nothing more.
    again = channel.post(f"{API}/orders/{body['id']}/lines", more, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert balance("JKT-1", "dc-east")["reserved"] == 3
    assert as_role("store", "store-soho").post(
        f"{API}/orders/{body['id']}/lines", more).status_code == 403


@pytest.mark.parametrize(("lines", "field"), [
    ([{"quantity": 1}], "lines.0.sku"),
    ([{"sku": "JKT-1", "quantity": 1}], "lines.0.unit_price"),
    ([{"line_id": 1, "sku": "JKT-1", "quantity": 1}], "lines.0.line_id"),
    ([{"line_id": 999, "quantity": 1}], "lines.0.line_id"),
    ([{"sku": "NOPE-1", "quantity": 1, "unit_price": "1.00"}], "lines.0.sku"),
    ([{"sku": "JKT-1", "quantity": 0, "unit_price": "1.00"}], "lines.0.quantity"),
    ([], "lines"),
])
def test_bad_additions_are_422_and_change_nothing(channel, lines, field):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order("W-41")))
    before = movement_count()
    response = channel.post(f"{API}/orders/{body['id']}/lines", {"lines": lines})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert movement_count() == before


def test_units_cannot_be_added_to_a_cancelled_order(channel):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order("W-42")))
    placed(channel.post(f"{API}/orders/{body['id']}/cancel", {}), 200)
    response = channel.post(f"{API}/orders/{body['id']}/lines",
                            {"lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "1.00"}]})
    assert response.status_code == 409
    assert balance("JKT-1", "dc-east")["reserved"] == 0


def test_reroute_excluding_a_location(cs, channel):
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order()))
    assert body["fulfillments"][0]["location"] == "store-soho"
    after = placed(cs.post(f"{API}/orders/{body['id']}/reroute",
                           {"exclude_locations": ["store-soho"]}), 200)
    open_ones = [f for f in after["fulfillments"] if f["status"] != "cancelled"]
    assert [f["location"] for f in open_ones] == ["dc-central"]
    assert balance("JKT-1", "store-soho")["reserved"] == 0
    assert balance("JKT-1", "dc-central")["reserved"] == 1
    assert after["routing"]["excluded"] == ["store-soho"]
    bad = cs.post(f"{API}/orders/{body['id']}/reroute", {"exclude_locations": ["nowhere"]})
    assert bad.status_code == 422


# ------------------------------------------------------------------ customers

def test_one_customer_across_channels_merge_and_unmerge(admin, channel, cs):
    web = placed(channel.post(f"{API}/orders", order(
        "W-20", customer={"email": " Jane.Roe@Example.com ", "name": "Jane Roe"})))
    pos = placed(channel.post(f"{API}/orders", order(
        "P-20", channel="pos", customer={"phone": "(212) 555-0199", "name": "J. Roe"})))
    assert web["customer_id"] != pos["customer_id"]
    # A later marketplace order shows both identities: the two customers are one person.
    linked = placed(channel.post(f"{API}/orders", order(
        "M-20", channel="marketplace",
        customer={"email": "jane.roe@example.com", "phone": "+1 212-555-0199"})))
    survivor = min(web["customer_id"], pos["customer_id"])
    merged = max(web["customer_id"], pos["customer_id"])
    assert linked["customer_id"] == survivor
    view = placed(cs.get(f"{API}/customers/{survivor}"), 200)
    assert view["emails"] == ["jane.roe@example.com"]
    assert view["phones"] == ["+12125550199"]
    assert sorted(view["channels"]) == ["marketplace", "pos", "web"]
    assert len(view["orders"]) == 3
    [merge] = view["merges"]
    assert merge["merged_id"] == merged
    # A wrong merge can be undone by an admin or CS.
    undone = placed(admin.post(f"{API}/customers/{survivor}/unmerge",
                               {"customer_id": merged}), 200)
    assert undone["customer"]["merges"][0]["undone_at"] is not None
    back = placed(cs.get(f"{API}/customers/{merged}"), 200)
    assert len(back["orders"]) == 1 and back["merged_into"] is None
    redo = placed(cs.post(f"{API}/customers/{survivor}/merge",
                          {"customer_id": merged, "reason": "same person, confirmed by phone"}),
                  200)
    assert len(redo["customer"]["orders"]) == 3


def test_customer_search_and_contact_notes(channel, cs, as_role):
    body = placed(channel.post(f"{API}/orders", order(
        "W-30", customer={"email": "sam@example.com", "phone": "415.555.0132",
                          "name": "Sam Lee"})))
    found = placed(cs.get(f"{API}/customers?q=(415) 555-0132"), 200)["items"]
    assert [c["id"] for c in found] == [body["customer_id"]]
    assert placed(cs.get(f"{API}/customers?q=SAM@example.com"), 200)["items"][0]["id"] == (
        body["customer_id"])
    assert placed(cs.get(f"{API}/customers?q=sam l"), 200)["items"][0]["name"] == "Sam Lee"
    note = placed(cs.post(f"{API}/customers/{body['customer_id']}/notes",
                          {"channel": "phone", "text": "Called about delivery date"}))
    assert note["contact_channel"] == "phone"
    placed(cs.post(f"{API}/orders/{body['id']}/notes", {"channel": "chat", "text": "Asked again"}))
    view = placed(cs.get(f"{API}/customers/{body['customer_id']}"), 200)
    assert [n["message"] for n in view["notes"]] == ["Asked again", "Called about delivery date"]
    bad = cs.post(f"{API}/customers/{body['customer_id']}/notes", {"channel": "pigeon",
                                                                   "text": "x"})
    assert bad.status_code == 422 and "channel" in bad.get_json()["error"]["fields"]


def test_order_search_by_anything_customer_service_has(channel, cs):
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    first = placed(channel.post(f"{API}/orders", {**order(
        "EXT-77", customer={"email": "max@example.com", "phone": "212 555 0123",
                            "name": "Max Mustermann"}), "channel_name": "#1077"}))
    placed(channel.post(f"{API}/orders", order("EXT-78", customer={"name": "Other"})))
    for q in (first["number"], first["number"].lower(), "EXT-77", "#1077", "1077",
              "MAX@example.com", "(212) 555-0123", "+12125550123", "max must"):
        hits = placed(cs.get(f"{API}/orders", query_string={"q": q}), 200)["items"]
        assert [h["id"] for h in hits] == [first["id"]], q
    assert placed(cs.get(f"{API}/orders?q=nobody"), 200)["items"] == []
    assert cs.get(f"{API}/orders?q=").status_code == 422


# ------------------------------------------------------------------ who may do what

def test_roles_and_scopes(as_role, channel):
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    body = placed(channel.post(f"{API}/orders", order()))
    other_channel = as_role("channel")
    assert other_channel.get(f"{API}/orders/{body['id']}").status_code == 403
    assert other_channel.post(f"{API}/orders/{body['id']}/cancel", {}).status_code == 403
    assert as_role("store", "store-soho").get(f"{API}/orders/{body['id']}").status_code == 200
    assert as_role("store", "store-chicago").get(f"{API}/orders/{body['id']}").status_code == 403
    assert as_role("wms", "dc-east").get(f"{API}/orders/{body['id']}").status_code == 403
    assert as_role("wms", "dc-east").post(f"{API}/orders", order("W-2")).status_code == 403
    assert as_role("cs").get(f"{API}/orders/{body['id']}").status_code == 200
    assert channel.post(f"{API}/orders/{body['id']}/reroute", {}).status_code == 403
    assert channel.get(f"{API}/customers/{body['customer_id']}").status_code == 403
    assert channel.get(f"{API}/orders/{body['id']}").status_code == 200
    assert placed(channel.get(f"{API}/orders?q={body['number']}"), 200)["items"]
    assert placed(other_channel.get(f"{API}/orders?q={body['number']}"), 200)["items"] == []
    assert channel.get(f"{API}/orders/2147483648").status_code == 404


def test_a_channel_key_bound_to_a_channel(client, network):
    from core.auth import create_api_key
    from tests.conftest import Caller

    pos = Caller(client, create_api_key("channel", name="till", channel="pos"))
    wrong = pos.post(f"{API}/orders", order("W-5", channel="web"))
    assert wrong.status_code == 403 and "channel" in wrong.get_json()["error"]["fields"]


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("mutate, field", [
    (lambda b: b.pop("lines"), "lines"),
    (lambda b: b.update(lines=[]), "lines"),
    (lambda b: b["lines"][0].update(sku="NOPE"), "lines.0.sku"),
    (lambda b: b["lines"][0].update(quantity=0), "lines.0.quantity"),
    (lambda b: b["lines"][0].update(quantity=1.5), "lines.0.quantity"),
    (lambda b: b["lines"][0].update(quantity=10**9), "lines.0.quantity"),
    (lambda b: b["lines"][0].update(unit_price="-1"), "lines.0.unit_price"),
    (lambda b: b.update(currency="dollars"), "currency"),
    (lambda b: b.update(channel="carrier-pigeon"), "channel"),
    (lambda b: b.pop("external_id"), "external_id"),
    (lambda b: b["fulfillment"].pop("address"), "fulfillment.address"),
    (lambda b: b.update(fulfillment={"method": "pickup"}), "fulfillment.pickup_location"),
    (lambda b: b.update(fulfillment={"method": "pickup", "pickup_location": "dc-east"}),
     "fulfillment.pickup_location"),
    (lambda b: b.update(fulfillment={"method": "carry_out", "location": "dc-east"}),
     "fulfillment.location"),
    (lambda b: b.update(fulfillment={"method": "teleport"}), "fulfillment.method"),
    (lambda b: b["customer"].update(email="not-an-email"), "customer.email"),
    (lambda b: b["customer"].update(phone="12"), "customer.phone"),
    (lambda b: b["fulfillment"]["address"].update(latitude=95), "fulfillment.address.latitude"),
])
def test_bad_orders_are_422_naming_the_field_and_write_nothing(channel, mutate, field):
    body = order()
    mutate(body)
    before = movement_count()
    response = channel.post(f"{API}/orders", body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert orders_count() == 0
    assert movement_count() == before


# ------------------------------------------------------------------ the answer to an intake

@pytest.mark.parametrize("scene", ["split", "pickup_after_transfer", "carry_out", "backorder",
                                   "nameless_lines", "promised", "promise_missed"])
def test_the_new_orders_answer_is_what_reading_it_back_gives(channel, scene):
    """The 201 body is built from the rows the use case wrote, not read back: it must be
    exactly what GET gives for the same order (ids, times, names, work, timeline)."""
    services.receive("JKT-1", "dc-east", 3, CAUSE)
    services.receive("BOOT-1", "dc-central", 3, CAUSE)
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    named = [{"sku": "JKT-1", "quantity": 2, "unit_price": "120.00", "name": "Jacket as sent"},
             {"sku": "BOOT-1", "quantity": 1, "unit_price": "160.00"}]
    body = {
        "split": order(lines=named),
        "pickup_after_transfer": order(method="pickup", pickup_location="store-brooklyn"),
        "carry_out": order(method="carry_out", location="store-soho"),
        "backorder": order(lines=[{"sku": "BOOT-1", "quantity": 9, "unit_price": "160.00"}]),
        "nameless_lines": order(lines=[{"sku": "BOOT-1", "quantity": 1, "unit_price": "1.00"}]),
        "promised": order(promised_delivery_date=business_days_after(capacity.today(), 3)
                          .isoformat()),
        "promise_missed": order(lines=named, promised_delivery_date=capacity.today().isoformat()),
    }[scene]
    created = placed(channel.post(f"{API}/orders", body))
    assert created["timeline"] and all(e["id"] for e in created["timeline"])
    assert created == placed(channel.get(f"{API}/orders/{created['id']}"), 200)
