"""Returns through HTTP: authorise, receive (restock, damaged, in parts), the rules (each a
4xx that writes nothing), refunds, the returns desk lookup, exchanges, and a returned unit
serving a BOPIS order at the store that took it back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core.db import read_session, unit_of_work
from fulfillment.models import Fulfillment
from inventory import services
from oms.models import OutboxEvent, TimelineEvent
from returns import policy
from returns.models import Refund, Return
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

API = "/api/v1"
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    policy.configure(policy.ReturnPolicy())
    yield
    assert_ledger_clean()
    policy.configure(policy.ReturnPolicy())


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def place(channel, external_id: str = "W-1", *, lines=(("JKT-1", 2, "10.00"),),
          method: str = "ship", **fulfillment) -> dict:
    body = {"channel": "web", "external_id": external_id, "currency": "USD",
            "customer": {"email": "pat@example.com", "name": "Pat Jones"},
            "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
            "fulfillment": {"method": method, **fulfillment}}
    if method == "ship":
        body["fulfillment"]["address"] = NEW_YORK
    return ok(channel.post(f"{API}/orders", body), 201)


def ship_all(as_role, order: dict) -> None:
    for f in order["fulfillments"]:
        wms = as_role("wms" if f["location"].startswith("dc-") else "store", f["location"])
        ok(wms.post(f"{API}/fulfillments/{f['id']}/ship",
                    {"carrier": "UPS", "tracking_number": f"1Z{f['id']:08d}"}))


def shipped_order(as_role, channel, external_id="W-1", **kw) -> dict:
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    order = place(channel, external_id, **kw)
    ship_all(as_role, order)
    return order


def counts() -> tuple[int, int, int, int, int]:
    with read_session() as session:
        return (session.scalar(select(func.count()).select_from(Return)),
                session.scalar(select(func.count()).select_from(Refund)),
                session.scalar(select(func.count()).select_from(TimelineEvent)),
                session.scalar(select(func.count()).select_from(OutboxEvent)),
                movement_count())


def test_return_at_a_store_restocks_there_and_refunds_what_was_paid(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 3, "33.33"),))
    line_id = order["lines"][0]["line_id"]
    store = as_role("store", "store-soho")
    ret = ok(store.post(f"{API}/returns", {
        "order_id": order["id"], "location": "store-soho", "note": "too tight",
        "lines": [{"line_id": line_id, "quantity": 2, "reason": "wrong_size"}]}), 201)
    assert (ret["status"], ret["refund_total"], ret["refund"]) == ("authorised", "66.66", None)
    assert ret["lines"][0]["refund"]["total"] == "66.66"
    viewed = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert viewed["lines"][0]["returned"] == 2
    assert [r["id"] for r in viewed["returns"]] == [ret["id"]]
    assert "return.authorised" in [e["kind"] for e in viewed["timeline"]]
    # Received in two parts: the first unit restocked, the second damaged.
    part = ok(store.post(f"{API}/returns/{ret['id']}/receive", {
        "lines": [{"line_id": line_id, "quantity": 1, "disposition": "restock"}]}))
    assert part["status"] == "partly_received" and part["refund"] is None
    row = balance("JKT-1", "store-soho")
    assert (row["on_hand"], row["available"]) == (1, 1)
    done = ok(store.post(f"{API}/returns/{ret['id']}/receive", {
        "lines": [{"line_id": line_id, "quantity": 1, "disposition": "damaged"}]}))
    assert done["status"] == "received"
    assert done["lines"][0]["restocked"] == 1 and done["lines"][0]["damaged"] == 1
    assert (done["refund"]["amount"], done["refund"]["status"]) == ("66.66", "pending")
    assert balance("JKT-1", "store-soho")["on_hand"] == 1
    history = ok(cs.get(f"{API}/stock/JKT-1/movements?location=store-soho"))["items"]
    assert sorted(m["kind"] for m in history) == ["damage", "return_restock", "return_restock"]
    # The last unit: what was paid for it, to the cent (99.99 in all).
    last = ok(cs.post(f"{API}/returns", {
        "order_id": order["id"], "location": "dc-east",
        "lines": [{"line_id": line_id, "quantity": 1, "reason": "changed_mind"}]}), 201)
    assert last["refund_total"] == "33.33"
    customer = ok(cs.get(f"{API}/customers/{order['customer_id']}"))
    assert {r["id"] for r in customer["returns"]} == {ret["id"], last["id"]}
    kinds = [n["kind"] for n in customer["notes"]]  # the customer's timeline, newest first
    assert kinds.count("return.authorised") == 2 and "return.received" in kinds
    assert_ledger_clean()


def test_rules_are_4xx_naming_the_rule_and_write_nothing(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    services.receive("BOOT-1", "dc-central", 1, CAUSE)   # never shipped
    line_id = order["lines"][0]["line_id"]
    unshipped = place(channel, "W-2", lines=(("BOOT-1", 1, "50.00"),))
    store = as_role("store", "store-soho")
    before = counts()

    def refused(caller, body, status, rule=None, field=None):
        response = caller.post(f"{API}/returns", body)
        assert response.status_code == status, response.get_json()
        error = response.get_json()["error"]
        if rule:
            assert error["details"]["rule"] == rule and rule in error["message"]
        if field:
            assert field in error["fields"]
        assert counts() == before

    line = {"line_id": line_id, "quantity": 3, "reason": "wrong_size"}
    base = {"order_id": order["id"], "location": "store-soho"}
    refused(store, {**base, "lines": [line]}, 422, "over_return", "lines.0.quantity")
    refused(store, {**base, "lines": [{**line, "quantity": 1, "reason": "meh"}]}, 422,
            field="lines.0.reason")
    refused(store, {"order_id": unshipped["id"], "location": "store-soho", "lines": [
        {"line_id": unshipped["lines"][0]["line_id"], "quantity": 1, "reason": "other"}]},
        422, "not_handed_over")
    refused(store, {**base, "location": "store-chicago", "lines": [{**line, "quantity": 1}]},
            403, field="location")
    refused(store, {**base, "lines": [{**line, "line_id": 999999, "quantity": 1}]}, 422,
            "unknown_line")
    refused(store, {**base, "location": "nowhere", "lines": [{**line, "quantity": 1}]}, 422,
            field="location")
    # After the window (30 days by default): refused, unless cs overrides with a reason.
    with unit_of_work() as uow:
        uow.session.execute(update(Fulfillment).values(
            shipped_at=dt.datetime(2020, 1, 1)))
        uow.commit()
    refused(store, {**base, "lines": [{**line, "quantity": 1}]}, 422, "return_window")
    refused(store, {**base, "override_window_reason": "goodwill",
                    "lines": [{**line, "quantity": 1}]}, 403)
    ret = ok(cs.post(f"{API}/returns", {**base, "override_window_reason": "loyal customer",
                                        "lines": [{**line, "quantity": 1}]}), 201)
    assert ret["window_override"]["reason"] == "loyal customer"
    timeline = ok(cs.get(f"{API}/orders/{order['id']}"))["timeline"]
    assert "loyal customer" in timeline[-1]["message"]


def test_window_per_channel_is_configurable(as_role, channel):
    order = shipped_order(as_role, channel)
    with unit_of_work() as uow:
        uow.session.execute(update(Fulfillment).values(
            shipped_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=45)))
        uow.commit()
    body = {"order_id": order["id"], "location": "dc-east", "lines": [
        {"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "other"}]}
    assert channel.post(f"{API}/returns", body).status_code == 422
    policy.configure(policy.ReturnPolicy.from_env({"OMS_RETURN_WINDOW_DAYS_WEB": "60"}))
    ok(channel.post(f"{API}/returns", body), 201)


def test_receipts_beyond_authorised_or_twice_change_nothing(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    line_id = order["lines"][0]["line_id"]
    ret = ok(cs.post(f"{API}/returns", {"order_id": order["id"], "location": "dc-east",
                                        "lines": [{"line_id": line_id, "quantity": 1,
                                                   "reason": "damaged"}]}), 201)
    wms = as_role("wms", "dc-east")
    url = f"{API}/returns/{ret['id']}/receive"
    before = counts()
    too_many = wms.post(url, {"lines": [{"line_id": line_id, "quantity": 2,
                                         "disposition": "restock"}]})
    assert too_many.status_code == 422
    assert too_many.get_json()["error"]["details"]["rule"] == "receipt_exceeds_authorised"
    assert as_role("wms", "dc-central").post(url, {"lines": [
        {"line_id": line_id, "quantity": 1, "disposition": "restock"}]}).status_code == 403
    assert counts() == before
    body = {"lines": [{"line_id": line_id, "quantity": 1, "disposition": "restock"}]}
    first = wms.post(url, body, headers={"Idempotency-Key": "rcv-1"})
    assert first.status_code == 200
    after = counts()
    again = wms.post(url, body, headers={"Idempotency-Key": "rcv-1"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert wms.post(url, body).status_code == 409
    assert counts() == after


def test_create_is_idempotent(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    body = {"order_id": order["id"], "location": "dc-east", "lines": [
        {"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "other"}]}
    first = ok(cs.post(f"{API}/returns", body, headers={"Idempotency-Key": "r-1"}), 201)
    again = cs.post(f"{API}/returns", body, headers={"Idempotency-Key": "r-1"})
    assert again.get_json()["id"] == first["id"]
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["lines"][0]["returned"] == 1


def test_channel_returns_its_own_orders_only(as_role, channel):
    order = shipped_order(as_role, channel)
    other = as_role("channel")
    body = {"order_id": order["id"], "location": "dc-east", "lines": [
        {"line_id": order["lines"][0]["line_id"], "quantity": 1, "reason": "other"}]}
    assert other.post(f"{API}/returns", body).status_code == 403
    ok(channel.post(f"{API}/returns", body), 201)


def test_returned_unit_serves_a_bopis_order_at_that_store(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 1, "10.00"),))
    store = as_role("store", "store-brooklyn")
    ret = ok(store.post(f"{API}/returns", {"order_id": order["id"], "location": "store-brooklyn",
                                           "lines": [{"line_id": order["lines"][0]["line_id"],
                                                      "quantity": 1, "reason": "other"}]}), 201)
    ok(store.post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": order["lines"][0]["line_id"], "quantity": 1, "disposition": "restock"}]}))
    assert_ledger_clean()
    bopis = place(channel, "W-9", lines=(("JKT-1", 1, "10.00"),), method="pickup",
                  pickup_location="store-brooklyn")
    [pickup] = [f for f in bopis["fulfillments"] if f["method"] == "pickup"]
    assert (pickup["location"], pickup["status"]) == ("store-brooklyn", "pending")
    code = ok(store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup"))["pickup_code"]
    ok(store.post(f"{API}/fulfillments/{pickup['id']}/pickup", {"code": code}))
    assert balance("JKT-1", "store-brooklyn")["on_hand"] == 0


def test_store_lookup_finds_any_order_and_shows_only_what_a_return_needs(as_role, channel):
    order = shipped_order(as_role, channel)
    store = as_role("store", "store-chicago")   # no work there
    assert store.get(f"{API}/orders/{order['id']}").status_code == 403
    for q in (order["number"], "pat@example.com", "Jones"):
        [found] = ok(store.get(f"{API}/returns/lookup?q={q}"))["items"]
        assert found["order_id"] == order["id"]
    line = found["lines"][0]
    assert (line["handed_over"], line["returnable"], line["paid_per_unit"]) == (2, 2, "10.00")
    assert "email" not in found and "timeline" not in found and "address" not in found
    assert as_role("wms", "dc-east").get(f"{API}/returns/lookup?q=Jones").status_code == 403


def test_even_exchange_is_carried_out_at_the_store(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 1, "120.00"),))
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    store = as_role("store", "store-soho")
    ret = ok(store.post(f"{API}/returns", {
        "order_id": order["id"], "location": "store-soho",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1,
                   "reason": "wrong_size"}],
        "exchange_lines": [{"sku": "JKT-1", "quantity": 1}]}), 201)
    ex = ret["exchange"]
    assert (ex["balance"], ex["difference"], ex["state"]) == ("even", "0.00", "placed")
    new = ok(cs.get(f"{API}/orders/{ex['order_id']}"))
    assert (new["fulfillment_method"], new["status"]) == ("carry_out", "fulfilled")
    assert [r["id"] for r in new["returns"]] == [ret["id"]]
    assert balance("JKT-1", "store-soho")["on_hand"] == 0
    done = ok(store.post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": order["lines"][0]["line_id"], "quantity": 1, "disposition": "restock"}]}))
    assert (done["refund"]["amount"], done["refund"]["exchange_applied"]) == ("0.00", "120.00")
    customer = ok(cs.get(f"{API}/customers/{order['customer_id']}"))
    assert {o["id"] for o in customer["orders"]} == {order["id"], new["id"]}


def test_uneven_exchange_ships_and_shows_the_difference(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 1, "120.00"),))
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    ret = ok(cs.post(f"{API}/returns", {
        "order_id": order["id"], "location": "dc-east",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1,
                   "reason": "changed_mind"}],
        "exchange_lines": [{"sku": "SOCK-1", "quantity": 2}]}), 201)
    ex = ret["exchange"]
    assert (ex["balance"], ex["difference"], ex["total"]) == ("refund", "95.00", "25.00")
    new = ok(cs.get(f"{API}/orders/{ex['order_id']}"))
    assert (new["fulfillment_method"], new["status"]) == ("ship", "routed")
    assert Decimal(new["subtotal"]) == Decimal("25.00")


def test_exchange_the_customer_tops_up_waits_for_the_payment(as_role, channel, cs):
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    order = place(channel, "W-5", lines=(("SOCK-1", 1, "12.50"),))
    ship_all(as_role, order)
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    store = as_role("store", "store-soho")
    ret = ok(store.post(f"{API}/returns", {
        "order_id": order["id"], "location": "store-soho",
        "lines": [{"line_id": order["lines"][0]["line_id"], "quantity": 1,
                   "reason": "wrong_item"}],
        "exchange_lines": [{"sku": "BOOT-1", "quantity": 1}]}), 201)
    ex = ret["exchange"]
    assert (ex["balance"], ex["difference"], ex["state"]) == ("owed", "147.50",
                                                              "awaiting_payment")
    assert ex["order_id"] is None
    row = balance("BOOT-1", "store-soho")
    assert (row["on_hand"], row["reserved"]) == (1, 1)   # held for the customer
    assert_ledger_clean()
    url = f"{API}/returns/{ret['id']}/exchange-payment"
    wrong = store.post(url, {"amount": "100.00", "reference": "till-1"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["details"]["rule"] == \
        "exchange_payment"
    paid = ok(store.post(url, {"amount": "147.50", "reference": "till-1"}))
    assert paid["exchange"]["state"] == "placed"
    new = ok(cs.get(f"{API}/orders/{paid['exchange']['order_id']}"))
    assert (new["fulfillment_method"], new["status"]) == ("carry_out", "fulfilled")
    row = balance("BOOT-1", "store-soho")
    assert (row["on_hand"], row["reserved"]) == (0, 0)
    assert store.post(url, {"amount": "147.50", "reference": "till-1"}).status_code == 409
