"""Finding orders as customer service does: a surname alone, an order number without its
prefix, the last digits of a phone; and listing orders without a query, newest first, with
filters, cursor pagination and the callers' scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.auth import create_api_key
from core.db import unit_of_work
from inventory import services
from oms.models import Order
from tests.conftest import Caller
from tests.e2e.test_orders_api import API, CHICAGO, order, placed
from tests.support import CAUSE, assert_ledger_clean


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def found(caller, **query) -> list[int]:
    response = caller.get(f"{API}/orders", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [o["id"] for o in response.get_json()["items"]]


def customers_found(cs, q: str) -> list[int]:
    response = cs.get(f"{API}/customers", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["items"]]


@pytest.fixture
def three_orders(channel):
    """web: Max Mustermann (ship, NY), Erika Mustermann-Gabler (pickup at SoHo); pos: a
    counter sale at Chicago without customer. Oldest first."""
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "store-soho", 3, CAUSE)
    services.receive("JKT-1", "store-chicago", 3, CAUSE)
    max_ = placed(channel.post(f"{API}/orders", order(
        "S-1", customer={"email": "max@example.com", "phone": "+1 (212) 555-0123",
                         "name": "Max  Mustermann"})))
    erika = placed(channel.post(f"{API}/orders", order(
        "S-2", method="pickup", pickup_location="store-soho",
        customer={"email": "erika@example.com", "phone": "312-555-0199",
                  "name": "Erika Mustermann-Gabler"})))
    sale = placed(channel.post(f"{API}/orders", order(
        "S-3", channel="pos", method="carry_out", location="store-chicago",
        customer={})))
    return max_, erika, sale


def test_a_surname_alone_a_bare_number_and_a_phone_tail_find_the_order(cs, three_orders):
    max_, erika, _ = three_orders
    number = max_["number"].split("-")[1]
    for q in ("mustermann", "MUSTER", "Mustermann, Max", "mustermann max", "max", "max must",
              number, f"nw{number}", f"NW {number}", "555-0123", "5550123", "2125550123",
              "+1 212 555 0123"):
        expected = [erika["id"], max_["id"]] if q.lower() in ("mustermann", "muster") \
            else [max_["id"]]
        assert found(cs, q=q) == expected, q
    assert found(cs, q="mustermann-gabler") == [erika["id"]]
    assert found(cs, q="0123") == []            # 4 digits are not a phone
    assert found(cs, q="555") == []
    assert found(cs, q="gabler") == []          # the last word is the whole hyphenated name
    assert found(cs, q="999999") == []


def test_customer_search_by_surname_phone_tail_and_order_number(cs, three_orders):
    max_, erika, _ = three_orders
    assert customers_found(cs, "mustermann") == [erika["customer_id"], max_["customer_id"]]
    assert customers_found(cs, "Mustermann, Erika") == [erika["customer_id"]]
    assert customers_found(cs, "555 0199") == [erika["customer_id"]]
    assert customers_found(cs, max_["number"].split("-")[1]) == [max_["customer_id"]]
    assert customers_found(cs, max_["number"]) == [max_["customer_id"]]


def test_listing_without_a_query_is_newest_first_with_cursor_pages(cs, three_orders):
    max_, erika, sale = three_orders
    assert found(cs) == [sale["id"], erika["id"], max_["id"]]
    first = cs.get(f"{API}/orders?limit=2").get_json()
    assert [o["id"] for o in first["items"]] == [sale["id"], erika["id"]]
    rest = cs.get(f"{API}/orders", query_string={"limit": 2,
                                                  "cursor": first["next_cursor"]}).get_json()
    assert [o["id"] for o in rest["items"]] == [max_["id"]]
    assert rest["next_cursor"] is None
    # the same cursor pagination with a query
    page = cs.get(f"{API}/orders?q=mustermann&limit=1").get_json()
    assert [o["id"] for o in page["items"]] == [erika["id"]]
    page = cs.get(f"{API}/orders", query_string={"q": "mustermann", "limit": 1,
                                                  "cursor": page["next_cursor"]}).get_json()
    assert [o["id"] for o in page["items"]] == [max_["id"]]


def test_list_filters(cs, three_orders, channel):
    max_, erika, sale = three_orders
    backordered = placed(channel.post(f"{API}/orders", order(
        "S-4", lines=[{"sku": "BOOT-1", "quantity": 1, "unit_price": "160.00"}],
        address=CHICAGO)))
    assert backordered["status"] == "backordered"
    assert found(cs, status="backordered") == [backordered["id"]]
    assert found(cs, status="fulfilled") == [sale["id"]]
    assert found(cs, status="on_hold") == []
    assert found(cs, channel="pos") == [sale["id"]]
    assert found(cs, channel="web", status="routed") == [erika["id"], max_["id"]]
    assert found(cs, location="store-soho") == [erika["id"]]       # its pickup store
    assert found(cs, location="store-chicago") == [sale["id"]]     # the selling store
    assert found(cs, location="dc-east") == [max_["id"]]           # ships from there
    assert found(cs, location="dc-central") == []
    assert found(cs, q="mustermann", location="store-soho") == [erika["id"]]

    # created between: move the first order a week back
    with unit_of_work() as uow:
        uow.session.execute(update(Order).where(Order.id == max_["id"]).values(
            created_at=dt.datetime(2026, 1, 10, 12, 0)))
        uow.commit()
    assert found(cs, created_to="2026-01-10") == [max_["id"]]       # a date: the whole day
    assert found(cs, created_to="2026-01-10T11:59:59Z") == []
    assert found(cs, created_from="2026-01-10T12:00:00Z", created_to="2026-01-10") == [
        max_["id"]]
    assert found(cs, created_from="2026-01-10T13:00:00+02:00",
                 created_to="2026-01-10T12:00:00Z") == [max_["id"]]   # 11:00 UTC
    assert max_["id"] not in found(cs, created_from="2026-01-11")


@pytest.mark.parametrize("query, field", [
    ({"status": "lost"}, "status"),
    ({"channel": "pigeon"}, "channel"),
    ({"location": "nowhere"}, "location"),
    ({"location": "bad code!"}, "location"),
    ({"created_from": "yesterday"}, "created_from"),
    ({"created_to": "2026-02-30"}, "created_to"),
    ({"created_from": "2026-02-01", "created_to": "2026-01-01"}, "created_to"),
    ({"created_to": "9999-12-31T23:59:59-23:59"}, "created_to"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"limit": 0}, "limit"),
    ({"q": ""}, "q"),
])
def test_bad_filters_are_422_naming_the_field(cs, query, field):
    response = cs.get(f"{API}/orders", query_string=query)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()


def test_who_lists_what(client, as_role, cs, three_orders, channel):
    max_, erika, sale = three_orders
    # the `channel` fixture's key is unbound: it lists the orders it created
    assert found(channel) == [sale["id"], erika["id"], max_["id"]]
    assert found(as_role("channel")) == []
    web = Caller(client, create_api_key("channel", name="web", channel="web"))
    assert found(web) == [erika["id"], max_["id"]]
    assert found(web, channel="web", q="max") == [max_["id"]]
    denied = web.get(f"{API}/orders?channel=pos")
    assert denied.status_code == 403 and "channel" in denied.get_json()["error"]["fields"]
    soho = as_role("store", "store-soho")
    assert found(soho) == [erika["id"]]
    assert found(soho, q="mustermann") == [erika["id"]]
    assert found(soho, location="store-soho") == [erika["id"]]
    denied = soho.get(f"{API}/orders?location=store-chicago")
    assert denied.status_code == 403 and "location" in denied.get_json()["error"]["fields"]
    assert found(as_role("store", "store-chicago")) == [sale["id"]]
    both = as_role("store", ["store-chicago", "store-soho"])  # names the store it lists
    assert found(both, location="store-soho") == [erika["id"]]
    assert found(both, location="store-chicago") == [sale["id"]]
    unnamed = both.get(f"{API}/orders")
    assert unnamed.status_code == 403 and "location" in unnamed.get_json()["error"]["fields"]
    assert as_role("wms", "dc-east").get(f"{API}/orders").status_code == 403
    assert client.get(f"{API}/orders").status_code == 401
