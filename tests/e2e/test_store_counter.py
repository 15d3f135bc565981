"""What the store pages need of the use cases, tested below the pages: a return's refund
shown before it is confirmed (`quote_return`: the pricing `authorise` uses, writing nothing),
a return taken in at the counter (`create_return(..., receive_now=...)`: authorised and
received in one unit of work, once however often the form is sent), an exchange's preview,
and a store associate taking one parcel to pick (`claim(..., fulfillment_id=...)`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.auth import Principal
from core.db import read_session
from core.errors import Forbidden, InvalidInput
from fulfillment import use_cases as fulfilling
from inventory import services
from oms.models import OutboxEvent, TimelineEvent
from returns import policy
from returns import use_cases as returning
from returns.errors import ReturnRuleBroken
from returns.models import Refund, Return
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count

API = "/api/v1"
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
            "latitude": 40.7484, "longitude": -73.9857}
ANA = Principal(key_id=0, name="ana.store", role="store", location="store-soho", user_id=1)
BEN = Principal(key_id=0, name="ben.store", role="store", location="store-soho", user_id=2)


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    policy.configure(policy.ReturnPolicy())
    yield
    assert_ledger_clean()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def shipped(channel, as_role, external_id="W-1", lines=(("JKT-1", 2, "33.33"),),
            shipping_lines=()) -> dict:
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    body = {"channel": "web", "external_id": external_id, "currency": "USD",
            "customer": {"email": "pat@example.com", "name": "Pat Jones"},
            "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
            "fulfillment": {"method": "ship", "address": NEW_YORK}}
    if shipping_lines:
        body["shipping_lines"] = list(shipping_lines)
    order = ok(channel.post(f"{API}/orders", body), 201)
    for f in order["fulfillments"]:
        ok(as_role("wms", f["location"]).post(f"{API}/fulfillments/{f['id']}/ship",
                                               {"carrier": "UPS", "tracking_number": "1Z1"}))
    return order


def command(order: dict, quantity: int = 1, reason: str = "wrong_size", **kw) -> \
        returning.CreateReturn:
    return returning.CreateReturn(
        order_id=order["id"], location="store-soho", actor=ANA.actor, source="store",
        lines=(returning.ReturnLineInput(order["lines"][0]["line_id"], quantity, reason),),
        **kw)


def counts() -> tuple[int, ...]:
    with read_session() as session:
        return (session.scalar(select(func.count()).select_from(Return)),
                session.scalar(select(func.count()).select_from(Refund)),
                session.scalar(select(func.count()).select_from(TimelineEvent)),
                session.scalar(select(func.count()).select_from(OutboxEvent)),
                movement_count())


def test_the_quote_is_the_refund_the_return_gets_and_writes_nothing(channel, as_role):
    order = shipped(channel, as_role, lines=(("JKT-1", 3, "33.33"),),
                    shipping_lines=({"title": "Standard", "price": "5.00"},))
    before = counts()
    # `damaged` refunds the shipping too (the default policy), once per order.
    quote = returning.quote_return(command(order, 2, "damaged"), ANA)
    assert counts() == before
    assert (quote.price.total, quote.price.refund_shipping) == (Decimal("71.66"), True)
    assert [p.refund.total for p in quote.price.lines] == [Decimal("66.66")]
    assert quote.exchange is None and quote.location == "store-soho"
    return_id = returning.create_return(command(order, 2, "damaged"), ANA)
    with read_session() as session:
        ret = session.get(Return, return_id)
        assert ret is not None and ret.refund_total == quote.price.total
    # The last unit: its odd cent, and no shipping a second time.
    assert returning.quote_return(command(order, 1, "damaged"), ANA).price.total == \
        Decimal("33.33")


def test_the_quote_refuses_what_the_return_would_refuse(channel, as_role):
    order = shipped(channel, as_role)
    with pytest.raises(ReturnRuleBroken) as refused:
        returning.quote_return(command(order, 3), ANA)
    assert list(refused.value.fields) == ["lines.0.quantity"]
    assert refused.value.details["rule"] == "over_return"
    elsewhere = Principal(key_id=0, name="cy", role="store", location="store-chicago",
                          user_id=3)
    with pytest.raises(Forbidden):
        returning.quote_return(command(order), elsewhere)
    with pytest.raises(InvalidInput) as unknown:
        returning.quote_return(returning.CreateReturn(
            order_id=999_999, location="store-soho", actor=ANA.actor, source="store",
            lines=(returning.ReturnLineInput(1, 1, "other"),)), ANA)
    assert "order_id" in unknown.value.fields


def test_taken_in_at_the_counter_is_received_there_in_the_same_unit_of_work(channel, as_role):
    order = shipped(channel, as_role)
    line = order["lines"][0]["line_id"]
    received = [returning.ReceiveLineInput(line, 1, "restock")]
    return_id = returning.create_return(command(order, external_ref="web:1:" + "a" * 32), ANA,
                                        receive_now=received)
    with read_session() as session:
        ret = session.get(Return, return_id)
        assert ret is not None and ret.status == "received"
        refund = session.scalars(select(Refund).where(Refund.return_id == return_id)).one()
        assert refund.amount == Decimal("33.33")
    assert balance("JKT-1", "store-soho")["available"] == 1
    # The same form sent again: the same return, received once.
    before = counts()
    again = returning.create_return(command(order, external_ref="web:1:" + "a" * 32), ANA,
                                    receive_now=received)
    assert again == return_id and counts() == before
    assert balance("JKT-1", "store-soho")["available"] == 1


def test_a_receipt_refused_at_the_counter_leaves_no_return_behind(channel, as_role):
    order = shipped(channel, as_role)
    line = order["lines"][0]["line_id"]
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        returning.create_return(command(order), ANA,
                                receive_now=[returning.ReceiveLineInput(line, 1, "lost")])
    assert "lines.0.disposition" in refused.value.fields
    assert counts() == before   # the authorisation went with it
    with pytest.raises(ReturnRuleBroken):   # more than the return authorises
        returning.create_return(command(order), ANA,
                                receive_now=[returning.ReceiveLineInput(line, 2, "restock")])
    assert counts() == before


def test_the_exchange_preview_says_who_pays_and_whether_this_store_has_it(channel, as_role):
    order = shipped(channel, as_role, lines=(("JKT-1", 1, "120.00"),))
    boots = returning.ExchangeInput(lines=(returning.ExchangeLine("BOOT-1", 1),))
    quote = returning.quote_return(command(order, exchange=boots), ANA)
    assert quote.exchange is not None
    assert (quote.exchange.total, quote.exchange.balance.direction,
            quote.exchange.balance.amount, quote.exchange.in_store) == (
        Decimal("160.00"), "owed", Decimal("40.00"), False)
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    assert returning.quote_return(command(order, exchange=boots), ANA).exchange.in_store
    unknown = returning.ExchangeInput(lines=(returning.ExchangeLine("NOPE-1", 1),))
    with pytest.raises(InvalidInput) as refused:
        returning.quote_return(command(order, exchange=unknown), ANA)
    assert "exchange_lines.0.sku" in refused.value.fields


def test_an_associate_takes_the_one_parcel_they_pick(channel):
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    placed = []
    for n, sku in enumerate(("JKT-1", "BOOT-1")):
        body = {"channel": "web", "external_id": f"S-{n}", "currency": "USD",
                "customer": {"email": "pat@example.com", "name": "Pat Jones"},
                "lines": [{"sku": sku, "quantity": 1, "unit_price": "10.00"}],
                "fulfillment": {"method": "ship", "address": NEW_YORK}}
        placed.append(ok(channel.post(f"{API}/orders", body), 201))
    pickup = ok(channel.post(f"{API}/orders", {
        "channel": "web", "external_id": "P-1", "currency": "USD",
        "customer": {"email": "sam@example.com", "name": "Sam Reed"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00"}],
        "fulfillment": {"method": "pickup", "pickup_location": "store-soho"}}), 201)
    second = placed[1]["fulfillments"][0]["id"]
    assert [f["location"] for o in placed for f in o["fulfillments"]] == ["store-soho"] * 2

    [taken] = fulfilling.claim("store-soho", 1, 600, ANA, fulfillment_id=second)
    assert (taken["id"], taken["claimed_by"]) == (second, ANA.actor)   # not the oldest
    assert fulfilling.claim("store-soho", 1, 600, BEN, fulfillment_id=second) == []
    assert fulfilling.get(placed[0]["fulfillments"][0]["id"], ANA)["claimed_by"] is None

    ships = fulfilling.pick_list("store-soho", 10, methods=("ship", "transfer"))
    assert [f["method"] for f in ships] == ["ship", "ship"]
    pickups = fulfilling.pick_list("store-soho", 10, methods=("pickup",))
    assert [f["order_id"] for f in pickups] == [pickup["id"]]
    assert len(fulfilling.pick_list("store-soho", 10)) == 3
