"""The customer-service pages in headless Chromium through the real server: find an order
from another channel by surname, by a phone fragment typed another way, by its number without
prefix; cancel a line; add a contact note and see it on the timeline; retry a failed delivery
from the order page (against a real webhook receiver on loopback); start a return; the header
search; who may open the pages; axe-core and screenshots at 768 and 1280 px."""

from __future__ import annotations

import re

import pytest

from tests import cs_scene
from tests.browser.test_staff_pages import SHOTS, _serious, follow, sign_in
from tests.cs_scene import API, PASSWORD, TRACKING
from tests.e2e.test_outbound_webhooks import Receiver
from tests.support import assert_ledger_clean

SEARCH_BOX = "Order, name, email, phone or tracking number"
TIMES, MINUS = "\u00d7", "\u2212"  # as the pages print them


@pytest.fixture
def scene(app, network, as_role) -> cs_scene.Scene:
    return cs_scene.build(app, as_role)


@pytest.fixture
def receiver(monkeypatch):
    """A webhook receiver on loopback; a delivery it refuses is dead after one attempt."""
    monkeypatch.setenv("OMS_DELIVERY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "2")
    r = Receiver()
    yield r
    r.stop()


def search(page, text: str) -> None:
    page.get_by_label(SEARCH_BOX).fill(text)
    follow(page, page.get_by_role("button", name="Search"))


def result_numbers(page) -> list[str]:
    return [a.inner_text() for a in page.locator("table.orders a.order-link").all()]


def num(order_id: int) -> str:
    """The order's number as the pages show it (oms.orders: prefix and 100000 + id)."""
    return f"NW-{100000 + order_id}"


def test_find_an_order_from_another_channel_by_surname_and_open_it(page, live_server, scene):
    sign_in(page, live_server, "carla")
    assert page.url == f"{live_server}/search"  # a rep lands on the search
    box = page.get_by_label(SEARCH_BOX)
    assert box.evaluate("el => el === document.activeElement")
    search(page, "Snow")
    # Both of Jon's orders (Shopify, and the SoHo till), newest first, and Jon himself.
    assert result_numbers(page) == [num(scene.pos_order),
                                    num(scene.shopify_order)]
    rows = page.locator("table.orders tbody tr")
    assert "POS" in rows.nth(0).inner_text() and "Fulfilled" in rows.nth(0).inner_text()
    shopify_row = rows.nth(1).inner_text()
    assert "Shopify" in shopify_row and "#1001" in shopify_row and "262.50 USD" in shopify_row
    assert page.get_by_role("link", name="Jon Snow").first.is_visible()

    follow(page, page.get_by_role("link", name=num(scene.shopify_order)))
    assert page.url == f"{live_server}/orders/{scene.shopify_order}"
    assert page.get_by_role("heading", level=1).inner_text().startswith(
        f"Order {num(scene.shopify_order)}")
    head = page.locator(".order-head").inner_text()
    assert "Shopify #1001" in head and "Jon Snow" in head and "262.50 USD" in head
    lines = page.get_by_role("table", name="Lines").inner_text()
    assert "Alpine Jacket" in lines and f"2 {TIMES} ships from DC East · pending" in lines
    assert "DC East: all lines in stock" in page.locator("#fulfillment .why").inner_text()


def test_find_by_a_phone_fragment_typed_another_way_and_by_number_without_prefix(
        page, live_server, scene):
    sign_in(page, live_server, "carla")
    search(page, "555.0148")  # stored as +12125550148: the last 7 digits, dots between
    assert result_numbers(page) == [num(scene.pos_order),
                                    num(scene.shopify_order)]
    search(page, "614 555 0134")  # Ana's whole number, spaced
    assert result_numbers(page) == [num(scene.web_order)]
    search(page, str(100000 + scene.web_order))  # the number without "NW-"
    assert result_numbers(page) == [num(scene.web_order)]
    follow(page, page.get_by_role("link", name=num(scene.web_order)))
    assert page.locator(".tracking").inner_text().startswith(f"Tracking: {TRACKING} (UPS)")
    # The tracking number read out in lower case with spaces finds it too.
    search_from_header(page, "1z999aa1 0123456784")
    assert result_numbers(page) == [num(scene.web_order)]


def search_from_header(page, text: str) -> None:
    page.get_by_role("searchbox", name="Find an order or customer").fill(text)
    follow(page, page.get_by_role("button", name="Find", exact=True))


def test_cancel_a_line_then_a_bad_quantity_is_refused_naming_the_line(page, live_server,
                                                                      scene):
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server}/orders/{scene.shopify_order}")
    page.get_by_text("Cancel some units").click()
    page.get_by_label("Alpine Jacket (up to 2)").fill("1")
    page.get_by_label("Reason (optional)").first.fill("customer found it cheaper")
    follow(page, page.get_by_role("button", name="Cancel these units"))
    assert page.get_by_role("status").inner_text() == \
        "1 unit cancelled; their stock is free again."
    jacket = page.get_by_role("table", name="Lines").locator("tbody tr").first
    assert [c.inner_text() for c in jacket.locator("td").all()] == ["2", "1", "0", "0", "0",
                                                                   "1"]
    amounts = page.get_by_role("table", name=re.compile("Amounts")).locator("tbody tr").first
    assert f"{MINUS}120.00" in amounts.inner_text()
    assert "142.50 USD" in page.locator(".order-head").inner_text()  # 262.50 - 120.00
    first_event = page.locator("ol.timeline li").first.inner_text()
    assert "Units cancelled" in first_event and "customer found it cheaper" in first_event

    page.get_by_text("Cancel some units").click()
    page.get_by_label("Alpine Jacket (up to 1)").fill("5")
    with page.expect_response(lambda r: r.url.endswith("/cancel-lines")) as answer:
        page.get_by_role("button", name="Cancel these units").click()
    assert answer.value.status == 409  # the use case's rule, named at the field
    field = page.get_by_label("Alpine Jacket (up to 1)")
    assert field.get_attribute("aria-invalid") == "true" and field.input_value() == "5"
    assert page.locator(f"#{field.get_attribute('aria-describedby')}").inner_text() == \
        "at most 1"
    assert "only 1 unit(s) can still be cancelled" in page.get_by_role("alert").inner_text()
    assert_ledger_clean()


def test_a_contact_note_lands_on_the_timeline_and_the_customers_page(page, live_server, scene):
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server}/orders/{scene.pos_order}")
    page.get_by_label("Note", exact=True).fill("Asked for the receipt by email; sent it.")
    page.get_by_label("Contact via").select_option("email")
    follow(page, page.get_by_role("button", name="Add note"))
    assert page.url.endswith(f"/orders/{scene.pos_order}#timeline")
    newest = page.locator("ol.timeline li").first
    assert newest.locator("strong").inner_text() == "Contact note"
    assert "Email" in newest.inner_text()
    assert "Asked for the receipt by email; sent it." in newest.inner_text()
    assert newest.locator(".event-who").inner_text() == "carla · cs"
    # An empty note is refused at its field, nothing added.
    follow(page, page.get_by_role("button", name="Add note"))
    assert page.get_by_label("Note", exact=True).get_attribute("aria-invalid") == "true"
    assert page.locator("ol.timeline li.note").count() == 1

    follow(page, page.get_by_role("link", name="Jon Snow").first)
    assert page.url == f"{live_server}/customers/{scene.jon}"
    assert "Asked for the receipt by email" in page.locator("#notes").inner_text()


def test_retry_a_failed_delivery_from_the_order_page(page, live_server, scene, as_role,
                                                     receiver):
    cs_scene.subscribe(receiver.url(), description="SoHo POS")
    receiver.mode = "fail"
    order = cs_scene.web_order(as_role, "W-2001", lines=(("SOCK-1", 1, "12.50"),))
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server}/orders/{order['id']}#sync")
    sync = page.locator("#sync .sync")
    assert "SoHo POS" in sync.inner_text() and "failed" in sync.inner_text()
    created = sync.locator("tbody tr").first
    assert "order.created" in created.inner_text() and "HTTP 500" in created.inner_text()
    assert receiver.events_of(order["id"]) == []

    receiver.mode = "ok"
    follow(page, created.get_by_role("button", name="Retry order.created to SoHo POS"))
    assert "went through" in page.get_by_role("status").inner_text()
    created = page.locator("#sync .sync tbody tr").first
    assert "Delivered" in created.inner_text()
    assert created.get_by_role("button").count() == 0
    [got] = receiver.events_of(order["id"])
    assert got["type"] == "order.created" and got["event"]["data"]["number"] == order["number"]


def test_start_a_return_from_the_order_page(page, live_server, scene):
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server}/orders/{scene.web_order}")
    follow(page, page.get_by_role("link", name="Start a return or exchange"))
    page.get_by_label("Units of Jacket to return (up to 2)").fill("1")
    follow(page, page.get_by_role("button", name="Authorise the return"))
    # No reason: refused at that line, nothing written.
    reason = page.get_by_label("Why Jacket comes back")
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Units of Jacket to return (up to 2)").input_value() == "1"
    reason.select_option("wrong_size")
    page.get_by_label("Where it comes back").select_option("dc-east")
    follow(page, page.get_by_role("button", name="Authorise the return"))
    assert page.url.endswith(f"/orders/{scene.web_order}#returns")
    assert "authorised: refund 129.00 USD once it is received" in \
        page.get_by_role("status").inner_text()
    returns = page.locator("#returns").inner_text()
    assert "Authorised" in returns and f"1 {TIMES} Jacket (wrong size)" in returns
    assert "Back to DC East" in returns


def test_who_may_open_the_customer_service_pages(page, live_server, scene):
    from core.staff import create_staff_user

    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    sign_in(page, live_server, "ana.store")
    assert page.get_by_role("link", name="Find orders").count() == 0
    assert page.get_by_role("searchbox", name="Find an order or customer").count() == 0
    with page.expect_response(lambda r: r.url.endswith(f"/orders/{scene.web_order}")) as r:
        page.goto(f"{live_server}/orders/{scene.web_order}")
    assert r.value.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def pickup_order(as_role, external_id: str, skus: list[str]) -> dict:
    return cs_scene.ok(as_role("channel").post(f"{API}/orders", {
        "channel": "web", "external_id": external_id, "currency": "USD",
        "customer": {"email": "ana.lopez@example.com", "name": "Ana Lopez"},
        "lines": [{"sku": sku, "quantity": 1, "unit_price": "99.00"} for sku in skus],
        "fulfillment": {"method": "pickup", "pickup_location": "store-soho"}}), 201)


def shots(page, name: str, width: int) -> None:
    page.screenshot(path=str(SHOTS / f"cs-{name}-{width}.png"), full_page=True)
    assert _serious(page) == [], name
    # Nothing wider than the page: no sideways scrolling at a tablet's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert page.evaluate("[...document.querySelectorAll('.table-wrap')].filter("
                         "e => e.scrollWidth > e.clientWidth).length") == 0, name


@pytest.mark.parametrize("width", [768, 1280])
def test_cs_pages_pass_axe_and_are_photographed_at_tablet_and_desktop_width(
        browser, live_server, scene, as_role, receiver, width):
    """A busy order: shipped with tracking, part returned, a contact note, a subscriber
    that refused its events; Jon across Shopify and the till."""
    cs_scene.subscribe(receiver.url(), description="Columbus POS")
    receiver.mode = "fail"
    busy = cs_scene.web_order(as_role, "W-3003")
    cs_scene.ship(as_role, busy, tracking="1Z999AA10123450001")
    cs = as_role("cs")
    cs_scene.ok(cs.post(f"{API}/returns", {
        "order_id": busy["id"], "location": "store-chicago", "note": "too tight",
        "lines": [{"line_id": busy["lines"][1]["line_id"], "quantity": 1,
                   "reason": "wrong_size"}]}), 201)
    cs_scene.ok(cs.post(f"{API}/orders/{busy['id']}/notes", {
        "channel": "phone", "text": "Customer called: the boots are too tight, sending them "
                                    "back to the Chicago store."}), 201)
    ready = pickup_order(as_role, "W-BOPIS-1", ["JKT-1"])
    soho = as_role("store", "store-soho")
    cs_scene.ok(soho.post(f"{API}/fulfillments/{ready['fulfillments'][0]['id']}"
                          "/ready-for-pickup", {}))
    travelling = pickup_order(as_role, "W-BOPIS-2", ["JKT-1", "BOOT-1"])  # boots from DC East
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
    try:
        SHOTS.mkdir(exist_ok=True)
        sign_in(page, live_server, "carla")
        search(page, "lopez")
        shots(page, "search", width)
        page.goto(f"{live_server}/orders/{busy['id']}")
        shots(page, "order", width)
        page.goto(f"{live_server}/orders/{scene.shopify_order}")
        page.get_by_text("Cancel some units").click()
        page.get_by_text("Re-route", exact=True).click()
        shots(page, "order-actions", width)
        page.goto(f"{live_server}/orders/{ready['id']}")
        assert "collect by" in page.locator("#fulfillment").inner_text()
        shots(page, "order-pickup-ready", width)
        page.goto(f"{live_server}/orders/{travelling['id']}")
        assert "Transfer from DC East to SoHo" in page.locator("#fulfillment").inner_text()
        shots(page, "order-pickup-transfer", width)
        page.goto(f"{live_server}/orders/{busy['id']}/return")
        shots(page, "return", width)
        page.goto(f"{live_server}/customers/{scene.jon}")
        shots(page, "customer", width)
        page.goto(f"{live_server}/stock")
        shots(page, "stock-with-header-search", width)
        # Keyboard: from the search box back through the header, in reading order.
        page.goto(f"{live_server}/search?q=snow")
        links = [t.strip() for t in page.locator(".main-nav a").all_inner_texts()]
        assert links[0] == "Find orders"   # a rep's first page leads the nav
        expected = ["Sign out", *reversed(links), "Omnichannel OMS"]
        order = []
        for _ in expected:
            page.keyboard.press("Shift+Tab")
            order.append(page.evaluate("document.activeElement.textContent.trim()"))
        assert order == expected
        assert outside == [], "the pages must not need the internet"
    finally:
        context.close()
