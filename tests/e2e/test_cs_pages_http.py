"""The customer-service pages through the Flask test client, on both databases: what the
browser tests do not cover cheaply. Reading a page writes nothing; bad form input is a 4xx
page naming the field (never a 500) and changes nothing; a form without its CSRF token is
refused; results come a page at a time; other roles are refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core.db import read_session
from core.staff import create_staff_user
from fulfillment import capacity
from fulfillment.routing.eta import business_days_after
from integrations.outbound.models import Delivery
from inventory import services
from oms.models import Order, OutboxEvent, TimelineEvent
from returns.models import Return
from tests import cs_scene
from tests.cs_scene import PASSWORD
from tests.support import CAUSE, assert_ledger_clean

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'type="hidden" name="csrf_token" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def scene(app, network, as_role) -> cs_scene.Scene:
    built = cs_scene.build(app, as_role)
    yield built
    assert_ledger_clean()


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return next(g for g in found.groups() if g)


def sign_in(client, username: str = "carla") -> None:
    html = client.get("/sign-in").get_data(as_text=True)
    answer = client.post("/sign-in", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token(html)})
    assert answer.status_code == 302, answer.get_data(as_text=True)


@pytest.fixture
def rep(app, scene):
    client = app.test_client()
    sign_in(client)
    return client


def post(client, page: str, action: str, data: dict) -> tuple[int, str]:
    """Submit a form of `page` to `action` with the page's CSRF token, as a browser would."""
    form_token = token(client.get(page).get_data(as_text=True))
    answer = client.post(action, data={"csrf_token": form_token, **data})
    return answer.status_code, answer.get_data(as_text=True)


def counts() -> tuple[int, ...]:
    with read_session() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Order, TimelineEvent, OutboxEvent, Return, Delivery))


def test_reading_the_pages_writes_nothing(rep, scene):
    before = counts()
    for path in ["/search", "/search?q=snow", "/search?q=555-0148", "/search?q=%231001",
                 f"/orders/{scene.shopify_order}", f"/orders/{scene.web_order}",
                 f"/orders/{scene.web_order}/return", f"/customers/{scene.jon}",
                 f"/customers/{scene.ana}"]:
        answer = rep.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
    assert counts() == before


def test_search_by_channel_order_name_email_and_first_name(rep, scene):
    for q in ("#1001", "1001", "JON@example.com", "jon", "jon snow", "Snow, Jon"):
        html = rep.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert f"NW-{100000 + scene.shopify_order}" in html, q
    html = rep.get("/search", query_string={"q": "ana.lopez@example.com"}).get_data(as_text=True)
    assert f"/customers/{scene.ana}" in html and f"NW-{100000 + scene.web_order}" in html
    assert "No order matches" in rep.get("/search?q=nobody-at-all").get_data(as_text=True)


def test_results_come_a_page_at_a_time(rep, scene, as_role):
    services.receive("JKT-1", "store-soho", 30, CAUSE)
    for i in range(26):
        cs_scene.pos_sale(as_role, f"POS-9{i:03d}")
    first = rep.get("/search?q=snow").get_data(as_text=True)
    numbers = re.findall(r'class="order-link">(NW-\d+)<', first)
    assert len(numbers) == 25 and numbers == sorted(numbers, reverse=True)
    cursor = re.search(r'href="/search\?q=snow&amp;cursor=([^"]+)" rel="next"', first)
    assert cursor
    rest = rep.get(f"/search?q=snow&cursor={cursor.group(1)}").get_data(as_text=True)
    more = re.findall(r'class="order-link">(NW-\d+)<', rest)
    assert len(more) == 3 and not set(more) & set(numbers)  # 26 sales + 2 of Jon's first
    assert 'rel="next"' not in rest
    assert "Customers" not in rest   # customers are matched on the first page


@pytest.mark.parametrize("query, field", [({"q": "a\x00b"}, "q"),
                                          ({"q": "x" * 201}, "q"),
                                          ({"cursor": "not-a-cursor"}, "cursor")])
def test_bad_search_input_is_a_4xx_naming_it(rep, scene, query, field):
    answer = rep.get("/search", query_string=query)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "aria-invalid" in html if field == "q" else "cursor" in html


def test_bad_cancel_input_is_refused_at_its_field_and_changes_nothing(rep, scene):
    page = f"/orders/{scene.shopify_order}"
    before = counts()
    with read_session() as session:
        jacket, sock = [ln.id for ln in session.get(Order, scene.shopify_order).lines]
    for data, status_code, field, words in [
            ({f"lines-qty-{jacket}": "abc"}, 422, f"lines-qty-{jacket}", "whole number"),
            ({f"lines-qty-{jacket}": "3"}, 409, f"lines-qty-{jacket}", "at most 2"),
            ({f"lines-qty-{jacket}": "0"}, 422, None, "at least one line"),
            ({"lines-qty-999999": "1"}, 422, None, "no line 999999 on this order"),
            ({f"lines-qty-{sock}": "1", "lines-reason": "x" * 501}, 422, "lines-reason", "")]:
        status, html = post(rep, page, f"{page}/cancel-lines", data)
        assert status == status_code, data
        assert words in html, data
        if field:
            assert f'id="{field}-error"' in html, data
    status, html = post(rep, page, f"{page}/cancel", {"whole-reason": "asked"})
    assert status == 422 and "Tick the box to confirm." in html
    status, html = post(rep, page, f"{page}/notes", {"note-text": "", "note-channel": "phone"})
    assert status == 422 and 'id="note-text-error"' in html
    status, html = post(rep, page, f"{page}/notes", {"note-text": "hi", "note-channel": "fax"})
    assert status == 422 and 'id="note-channel-error"' in html
    status, html = post(rep, page, f"{page}/reroute", {"reroute-exclude": "store-nowhere"})
    assert status == 422
    assert counts() == before


def test_what_the_use_case_refuses_comes_back_on_the_page(rep, scene):
    page = f"/orders/{scene.web_order}"
    with read_session() as session:
        jacket = session.get(Order, scene.web_order).lines[0].id
    before = counts()
    # Everything shipped: nothing to cancel (the use case's 409, shown at the form).
    status, html = post(rep, page, f"{page}/cancel", {"whole-confirm": "y"})
    assert status == 409 and "nothing left to cancel" in html
    status, html = post(rep, page, f"{page}/cancel-lines", {f"lines-qty-{jacket}": "1"})
    assert status == 409 and "only 0 unit(s) can still be cancelled" in html
    assert counts() == before


def test_a_rep_moves_or_drops_the_promised_date_when_re_routing(rep, scene, as_role):
    today = capacity.today()
    body = cs_scene.ok(as_role("channel").post("/api/v1/orders", {
        "channel": "web", "external_id": "W-EXPRESS", "currency": "USD",
        "customer": {"email": "ana.lopez@example.com"},
        "lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00"}],
        "fulfillment": {"method": "ship", "promised_delivery_date": today.isoformat(),
                        "address": {"line1": "350 5th Ave", "city": "New York",
                                    "postal_code": "10118", "country": "US",
                                    "latitude": 40.7484, "longitude": -73.9857}}}), 201)
    assert body["status"] == "needs_attention"  # nothing arrives today
    page = f"/orders/{body['id']}"
    html = rep.get(page).get_data(as_text=True)
    assert f"promised by {today:%-d %b %Y}" in html and "reroute-drop_promise" in html
    before = counts()
    yesterday = today - dt.timedelta(days=1)
    for data, words in [({"reroute-promise": yesterday.isoformat()}, "before today"),
                        ({"reroute-promise": "someday"}, "Not a valid date"),
                        ({"reroute-promise": (today + dt.timedelta(days=9)).isoformat(),
                          "reroute-drop_promise": "y"}, "not both")]:
        status, html = post(rep, page, f"{page}/reroute", data)
        assert status == 422 and words in html, data
        assert 'aria-invalid="true"' in html, data
    assert counts() == before
    later = business_days_after(today, 2)
    status, _ = post(rep, page, f"{page}/reroute", {"reroute-promise": later.isoformat()})
    assert status == 302
    after = rep.get(page).get_data(as_text=True)
    assert f"promised by {later:%-d %b %Y}" in after and "Promised date changed" in after
    with read_session() as session:
        order = session.get(Order, body["id"])
        assert (order.status, order.promised_delivery_date) == ("routed", later)
    status, _ = post(rep, page, f"{page}/reroute", {"reroute-drop_promise": "y"})
    assert status == 302
    with read_session() as session:
        assert session.get(Order, body["id"]).promised_delivery_date is None
    assert "promised by" not in rep.get(page).get_data(as_text=True)


def test_bad_return_input_names_the_field_and_writes_nothing(rep, scene):
    page = f"/orders/{scene.web_order}/return"
    with read_session() as session:
        jacket = session.get(Order, scene.web_order).lines[0].id
    before = counts()
    status, html = post(rep, page, page, {"location": "dc-east", f"qty-{jacket}": "3",
                                          f"reason-{jacket}": "wrong_size"})
    assert status == 422 and f'id="qty-{jacket}-error"' in html and "at most 2 unit(s)" in html
    status, html = post(rep, page, page, {"location": "dc-nowhere", f"qty-{jacket}": "1",
                                          f"reason-{jacket}": "wrong_size"})
    assert status == 422 and 'id="location-error"' in html
    status, html = post(rep, page, page, {"location": "dc-east", f"qty-{jacket}": "1",
                                          f"reason-{jacket}": "wrong_size",
                                          "exchange_sku": "NO-SUCH-SKU"})
    assert status == 422 and 'id="exchange_sku-error"' in html, html
    status, html = post(rep, page, page, {"location": "dc-east", f"qty-{jacket}": "1",
                                          f"reason-{jacket}": "wrong_size",
                                          "exchange_sku": "BOOT-1",
                                          "exchange_method": "pickup"})
    assert status == 422 and 'id="pickup_location-error"' in html
    assert counts() == before
    status, _ = post(rep, page, page, {"location": "dc-east", f"qty-{jacket}": "1",
                                       f"reason-{jacket}": "wrong_size",
                                       "exchange_sku": "BOOT-1", "exchange_method": "pickup",
                                       "pickup_location": "store-chicago"})
    assert status == 302
    with read_session() as session:
        made = session.scalars(select(Return)).one()
        assert (made.order_id, made.exchange_balance, made.created_by) == (
            scene.web_order, "owed", made.created_by)
        assert made.created_by.startswith("user:") and made.created_by.endswith(":carla")


def test_forms_without_their_token_are_refused(rep, scene):
    page = f"/orders/{scene.shopify_order}"
    before = counts()
    answer = rep.post(f"{page}/cancel", data={"whole-confirm": "y"})
    assert answer.status_code == 400
    assert "Nothing was changed" in answer.get_data(as_text=True)
    assert counts() == before


def test_unknown_orders_and_other_roles(app, rep, scene):
    assert rep.get("/orders/999999").status_code == 404
    assert rep.get("/customers/999999").status_code == 404
    assert rep.get("/orders/999999/return").status_code == 404
    status, html = post(rep, "/search", "/orders/999999/notes",
                        {"note-text": "hi", "note-channel": "phone"})
    assert status == 404
    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    store = app.test_client()
    sign_in(store, "ana.store")
    for path in ["/search", f"/orders/{scene.pos_order}", f"/customers/{scene.jon}"]:
        assert store.get(path).status_code == 403, path
    html = store.get("/stock").get_data(as_text=True)
    answer = store.post(f"/orders/{scene.pos_order}/notes",
                        data={"csrf_token": token(html), "note-text": "hi",
                              "note-channel": "phone"})
    assert answer.status_code == 403
    assert app.test_client().get("/search").status_code == 302  # signed out: to sign-in
