"""The store staff pages in headless Chromium through the real server: pickups (mark ready,
the code shown once, hand over with the code typed as people type it, a wrong code refused,
lists that refresh without a reload, expiring soon, another store's pickup refused),
ship-from-store work (take, pick, ship with tracking; reject and re-route) and in-store
returns (an order from another channel, the refund before confirming, the stock here going
up; an exchange the customer tops up, handed over from this store), with axe-core and
screenshots at tablet and desktop width."""

from __future__ import annotations

import re

import pytest

from core.staff import create_staff_user
from inventory import services
from tests.browser.test_staff_pages import PASSWORD, SHOTS, _serious, follow, sign_in
from tests.support import CAUSE, assert_ledger_clean, balance

API = "/api/v1"
X = "\u00d7"  # f"2 {X} Boot", as the pages print a quantity
NEW_YORK = {"line1": "350 5th Ave", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US", "latitude": 40.7484, "longitude": -73.9857}


@pytest.fixture
def store_staff(network):
    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    create_staff_user("carla", "cs", PASSWORD)


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    yield
    assert_ledger_clean()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def place(channel, external_id: str, *, lines=(("JKT-1", 1, "120.00"),), name="Pat Jones",
          email="pat@example.com", **fulfillment) -> dict:
    body = {"channel": "web", "external_id": external_id, "currency": "USD",
            "customer": {"email": email, "name": name, "phone": "(212) 555-0148"},
            "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
            "fulfillment": fulfillment}
    return ok(channel.post(f"{API}/orders", body), 201)


def bopis(channel, external_id: str, store: str = "store-soho", **kw) -> dict:
    return place(channel, external_id, method="pickup", pickup_location=store, **kw)


def shipment(channel, external_id: str, **kw) -> dict:
    return place(channel, external_id, method="ship", address=NEW_YORK, **kw)


def fulfillment(cs, order_id: int, method: str | None = None) -> dict:
    work = ok(cs.get(f"{API}/orders/{order_id}"))["fulfillments"]
    return next(f for f in work if method is None or f["method"] == method)


def card(page, title: str, order_number: str):
    """A pickup's card in one of the three lists."""
    column = page.locator("section.column", has=page.get_by_role("heading", name=title))
    return column.get_by_role("article", name=re.compile(re.escape(order_number)))


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


# ------------------------------------------------------------------ pickups

def test_mark_ready_shows_the_code_once_and_it_hands_over_typed_loosely(
        page, live_server, store_staff, channel, cs):
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    services.receive("SOCK-1", "store-soho", 4, CAUSE)
    order = bopis(channel, "P-1", lines=(("JKT-1", 1, "120.00"), ("SOCK-1", 3, "12.50")))
    sign_in(page, live_server, "ana.store", path="/store/pickups")
    assert page.url == f"{live_server}/store/pickups"
    prepare = card(page, "To prepare", order["number"])
    text = prepare.inner_text()
    assert "Pat Jones" in text and f"1 {X} Jacket" in text and f"3 {X} Sock" in text

    follow(page, prepare.get_by_role("button", name=f"Mark {order['number']} ready"))
    code = page.locator("#pickup-code").inner_text()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", code)
    assert "shown only this once" in page.content()

    follow(page, page.get_by_role("link", name="Done: back to pickups"))
    assert card(page, "To prepare", order["number"]).count() == 0
    ready = card(page, "Ready for pickup", order["number"])
    follow(page, ready.get_by_role("link", name=f"Hand over {order['number']}"))
    box = page.get_by_label("Pickup code the customer reads out")
    assert box.evaluate("el => el === document.activeElement")  # ready to type

    wrong = "ABCD-EFGH" if code != "ABCD-EFGH" else "HGFE-DCBA"
    box.fill(wrong)
    with page.expect_response(lambda r: r.url.endswith("/hand-over")) as answer:
        page.get_by_role("button", name="Hand over").click()
    assert answer.value.status == 422
    error = page.locator(".field-error").inner_text()
    assert "does not match this pickup" in error.lower() and "Nothing was handed over" in error
    assert fulfillment(cs, order["id"])["status"] == "ready_for_pickup"

    # Read out at the counter and typed in lower case, with spaces instead of the dash.
    page.get_by_label("Pickup code the customer reads out").fill(
        " ".join(code.replace("-", "").lower()[i:i + 2] for i in range(0, 8, 2)))
    follow(page, page.get_by_role("button", name="Hand over"))
    assert page.url == f"{live_server}/store/pickups"
    assert f"Handed over: {order['number']} to Pat Jones." in page.get_by_role(
        "status").inner_text()
    assert page.locator("article", has_text=order["number"]).count() == 0
    done = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert done["status"] == "fulfilled" and done["fulfillments"][0]["status"] == "picked_up"
    assert balance("JKT-1", "store-soho")["on_hand"] == 1


def test_the_lists_refresh_without_a_reload_and_expiring_pickups_stand_apart(
        page, live_server, store_staff, channel, app, monkeypatch):
    app.config["OMS_PICKUPS_REFRESH_SECONDS"] = 1
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    sign_in(page, live_server, "ana.store", path="/store/pickups")
    assert "Nothing to prepare." in page.inner_text("#pickup-lists")
    page.evaluate("window.__notReloaded = true")

    first = bopis(channel, "P-1", name="Sam Reed")
    card(page, "To prepare", first["number"]).wait_for(timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True  # the same page, refreshed in place

    # A pickup whose window ends within a day is listed apart, saying when.
    monkeypatch.setenv("OMS_PICKUP_WINDOW_HOURS", "5")
    follow(page, card(page, "To prepare", first["number"]).get_by_role("button"))
    follow(page, page.get_by_role("link", name="Done: back to pickups"))
    soon = card(page, "Expiring soon", first["number"])
    assert re.search(r"Expires in 4 h \d+ min", soon.inner_text())
    assert card(page, "Ready for pickup", first["number"]).count() == 0
    shoot(page, "store-pickups-expiring")
    # "Soon" is when the customer is reminded (OMS_PICKUP_REMINDER_HOURS, 24 by default).
    monkeypatch.setenv("OMS_PICKUP_REMINDER_HOURS", "2")
    page.reload()
    assert card(page, "Ready for pickup", first["number"]).count() == 1
    assert "Nothing expires in the next 2 hours." in page.inner_text("#pickup-lists")
    monkeypatch.delenv("OMS_PICKUP_REMINDER_HOURS")

    # Finding a customer at the counter by name narrows the lists.
    bopis(channel, "P-2", name="Lee Park")
    page.get_by_label("Find a customer or order").fill("park")
    follow(page, page.get_by_role("button", name="Find"))
    lists = page.inner_text("#pickup-lists")
    assert "Lee Park" in lists and "Sam Reed" not in lists


def test_a_store_user_is_refused_another_stores_pickup(page, live_server, store_staff, channel):
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    order = bopis(channel, "P-9", store="store-brooklyn")
    sign_in(page, live_server, "ana.store")
    with page.expect_response(lambda r: "/store/pickups/" in r.url) as answer:
        page.goto(f"{live_server}/store/pickups/{order['fulfillments'][0]['id']}")
    assert answer.value.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "store-brooklyn" in page.get_by_role("alert").inner_text()
    with page.expect_response(lambda r: "/store/pickups?" in r.url) as answer:
        page.goto(f"{live_server}/store/pickups?store=store-brooklyn")
    assert answer.value.status == 403
    # Marking it ready from a forged form is refused the same way, and changes nothing.
    page.goto(f"{live_server}/store/pickups")
    status = page.evaluate("""async (id) => {
        const token = document.querySelector('input[name=csrf_token]').value;
        const r = await fetch(`/store/pickups/${id}/ready`, {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'csrf_token=' + encodeURIComponent(token)});
        return r.status; }""", order["fulfillments"][0]["id"])
    assert status == 403


def test_customer_service_chooses_a_store_and_sees_its_pickups_without_acting(
        page, live_server, store_staff, channel):
    services.receive("JKT-1", "store-brooklyn", 1, CAUSE)
    order = bopis(channel, "P-3", store="store-brooklyn")
    sign_in(page, live_server, "carla", path="/store/pickups")
    assert "Choose a store to see its work" in page.content()
    page.get_by_label("Store", exact=True).select_option("store-brooklyn")
    follow(page, page.get_by_role("button", name="Show"))
    prepare = card(page, "To prepare", order["number"])
    assert prepare.count() == 1 and prepare.get_by_role("button").count() == 0


# ------------------------------------------------------------------ ship from store

def test_ship_a_parcel_from_the_store_with_its_tracking(page, live_server, store_staff,
                                                         channel, cs):
    services.receive("BOOT-1", "store-soho", 2, CAUSE)   # only SoHo has boots
    order = shipment(channel, "S-1", lines=(("BOOT-1", 2, "160.00"),))
    sign_in(page, live_server, "ana.store", path="/store/shipping")
    rows = page.get_by_role("table", name="Parcels to send").locator("tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert order["number"] in row and "Pat Jones" in row and f"2 {X} Boot" in row
    assert "New York, NY, 10118" in row

    follow(page, page.get_by_role("link", name=order["number"]))
    assert "350 5th Ave" in page.locator("address").inner_text()
    follow(page, page.get_by_role("button", name="I am picking this"))
    assert "is yours to pick" in page.get_by_role("status").inner_text()
    assert "You are picking it until" in page.content()
    shoot(page, "store-parcel-mine")
    follow(page, page.get_by_role("button", name="Confirm the pick"))
    assert "Picked in full" in page.get_by_role("status").inner_text()

    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    follow(page, page.get_by_role("button", name=f"Ship {order['number']}"))
    assert page.url == f"{live_server}/store/shipping"
    assert f"Shipped: {order['number']} with UPS 1Z999AA10123456784." in page.get_by_role(
        "status").inner_text()
    assert "No parcel to send" in page.content()
    shipped = fulfillment(cs, order["id"])
    assert (shipped["status"], shipped["carrier"], shipped["tracking_number"]) == (
        "shipped", "UPS", "1Z999AA10123456784")
    found = ok(cs.get(f"{API}/orders?q=1Z999AA10123456784"))["items"]
    assert [o["id"] for o in found] == [order["id"]]


def test_reject_a_parcel_with_a_reason_and_it_goes_elsewhere(page, live_server, store_staff,
                                                              channel, cs):
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    services.receive("JKT-1", "dc-central", 5, CAUSE)
    order = shipment(channel, "S-2")
    assert fulfillment(cs, order["id"])["location"] == "store-soho"  # the cheapest
    sign_in(page, live_server, "ana.store",
            path=f"/store/shipping/{order['fulfillments'][0]['id']}")
    # A blank reason is refused naming the field, and nothing happens.
    with page.expect_response(lambda r: r.url.endswith("/reject")) as answer:
        page.get_by_role("button", name="Reject and re-route").click()
    assert answer.value.status == 422
    assert "Say why" in page.locator("#reason-error").inner_text()
    page.get_by_label("Why this store cannot send it").fill("Damaged in store")
    follow(page, page.get_by_role("button", name="Reject and re-route"))
    assert f"Rejected: {order['number']} is re-routed" in page.get_by_role("status").inner_text()
    work = ok(cs.get(f"{API}/orders/{order['id']}"))["fulfillments"]
    assert [(f["location"], f["status"]) for f in work] == [("store-soho", "rejected"),
                                                            ("dc-central", "pending")]
    assert work[0]["status_reason"] == "Damaged in store"


# ------------------------------------------------------------------ returns

def shipped_from_warehouse(channel, as_role, external_id: str, **kw) -> dict:
    order = shipment(channel, external_id, **kw)
    for f in order["fulfillments"]:
        ok(as_role("wms", f["location"]).post(f"{API}/fulfillments/{f['id']}/ship",
                                               {"carrier": "UPS", "tracking_number": "1Z1"}))
    return order


def test_in_store_return_of_a_web_order_restocks_here(page, live_server, store_staff, channel,
                                                      as_role, cs):
    services.receive("JKT-1", "dc-east", 3, CAUSE)   # SoHo has none: shipped from the DC
    order = shipped_from_warehouse(channel, as_role, "W-1", lines=(("JKT-1", 2, "120.00"),))
    sign_in(page, live_server, "ana.store", path="/stock?q=JKT-1")
    assert page.locator("#here .here-count").inner_text() == "0 here"

    follow(page, page.get_by_role("link", name="Returns"))
    page.get_by_label("Order number, name, email or phone").fill("jones")
    follow(page, page.get_by_role("button", name="Find the order"))
    found = page.get_by_role("article", name=order["number"])
    assert "web" in found.inner_text() and "2 can come back" in found.inner_text()
    follow(page, found.get_by_role("link", name=f"Return items of {order['number']}"))

    line = order["lines"][0]["line_id"]
    page.get_by_label("How many of Jacket come back").select_option("1")
    # Reviewing without a reason names the field, and writes nothing.
    with page.expect_navigation():
        page.get_by_role("button", name="Review the refund").click()
    assert page.locator(f"#reason-{line}-error").inner_text() == "Choose why it comes back."
    page.get_by_label("Why Jacket comes back").select_option("wrong_size")
    page.get_by_label("State of the returned Jacket").select_option("restock")
    follow(page, page.get_by_role("button", name="Review the refund"))
    review = page.locator("#review")
    assert "120.00 USD" in review.locator("tfoot").inner_text()
    assert ok(cs.get(f"{API}/orders/{order['id']}"))["lines"][0]["returned"] == 0

    # The confirmation sent twice (a double tap on a slow connection: the page's script
    # stops it, so post the form's own fields twice) is one return, not two.
    answers = page.evaluate("""async () => {
        const form = document.querySelector('form.confirm');
        const send = () => fetch(form.action, {method: 'POST',
                                               body: new URLSearchParams(new FormData(form))});
        const first = await send(), second = await send();
        return [first.status, first.url, second.status, second.url]; }""")
    assert answers[0] == answers[2] == 200 and answers[1] == answers[3], answers
    page.goto(answers[1])
    assert re.search(r"/store/returns/\d+$", page.url)
    assert page.locator(".badge").first.inner_text() == "Received"
    assert "120.00 USD" in page.locator(".refund-amount").inner_text()
    assert "1 on the shelf here" in page.get_by_role("table", name="Returned items").inner_text()

    follow(page, page.get_by_role("link", name="Stock here"))
    assert page.locator("#here .here-count").inner_text() == "1 here"
    returned = ok(cs.get(f"{API}/orders/{order['id']}"))
    assert returned["lines"][0]["returned"] == 1
    [ret] = returned["returns"]
    assert (ret["location"], ret["status"], ret["refund"]["amount"]) == ("store-soho",
                                                                       "received", "120.00")


def test_an_exchange_the_customer_tops_up_is_handed_over_from_this_store(
        page, live_server, store_staff, channel, as_role, cs):
    services.receive("SOCK-1", "dc-east", 2, CAUSE)
    services.receive("BOOT-1", "store-soho", 1, CAUSE)
    order = shipped_from_warehouse(channel, as_role, "W-2", lines=(("SOCK-1", 1, "12.50"),))
    sign_in(page, live_server, "ana.store",
            path=f"/store/returns/orders/{order['id']}")
    page.get_by_label("How many of Sock come back").select_option("1")
    page.get_by_label("Why Sock comes back").select_option("changed_mind")
    page.get_by_label("New item's SKU or barcode").fill("BOOT-9")
    with page.expect_navigation():
        page.get_by_role("button", name="Review the refund").click()
    assert "unknown" in page.locator("#exchange_sku-error").inner_text().lower()
    page.get_by_label("New item's SKU or barcode").fill("boot-1")   # any case, as scanned
    follow(page, page.get_by_role("button", name="Review the refund"))
    box = page.locator(".exchange-box").inner_text()
    assert f"1 {X} Boot" in box and "The customer pays 147.50 USD" in box
    assert "In stock here" in box
    follow(page, page.get_by_role("button", name="Take it back: the customer pays 147.50 USD"))
    assert "The customer pays 147.50 USD." in page.inner_text(".exchange-result")
    assert page.get_by_label("Amount the customer paid").input_value() == "147.50"
    page.get_by_label("Till receipt or payment reference").fill("till 3 receipt 0042")
    follow(page, page.get_by_role("button", name="Payment received"))
    result = page.inner_text(".exchange-result")
    assert "Hand over now" in result and f"1 {X} Boot" in result
    row = balance("BOOT-1", "store-soho")
    assert (row["on_hand"], row["reserved"]) == (0, 0)   # sold from this store's shelf


# ------------------------------------------------------------------ look and access

@pytest.mark.parametrize("width", [768, 1280])
def test_store_pages_pass_axe_at_tablet_and_desktop_width(browser, live_server, store_staff,
                                                          channel, as_role, width):
    services.receive("JKT-1", "store-soho", 4, CAUSE)
    services.receive("BOOT-1", "store-soho", 2, CAUSE)
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    services.receive("JKT-1", "store-brooklyn", 5, CAUSE)
    names = ["Maria Garcia", "Sam Reed", "Lee Park", "Dana Whitfield"]
    pickups = [bopis(channel, f"P-{i}", name=n, email=f"c{i}@example.com",
                     lines=(("JKT-1", 1, "120.00"), ("BOOT-1", 1, "160.00"))[:1 + i % 2])
               for i, n in enumerate(names[:3])]
    shipment(channel, "S-1", lines=(("BOOT-1", 1, "160.00"),), name="Ana Lopez")
    web_order = shipped_from_warehouse(channel, as_role, "W-1", name="Dana Whitfield",
                                       email="dana@example.com",
                                       lines=(("SOCK-1", 3, "12.50"),))
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
    try:
        sign_in(page, live_server, "ana.store", path="/store/pickups")
        # One ready, so that every list has something.
        follow(page, card(page, "To prepare", pickups[1]["number"]).get_by_role("button"))
        assert _serious(page) == []
        shoot(page, "store-pickup-code")
        follow(page, page.get_by_role("link", name="Done: back to pickups"))
        assert _serious(page) == []
        shoot(page, "store-pickups")
        follow(page, card(page, "Ready for pickup", pickups[1]["number"])
               .get_by_role("link"))
        page.get_by_label("Pickup code the customer reads out").fill("WXYZ-2345")
        with page.expect_navigation():
            page.get_by_role("button", name="Hand over").click()
        assert _serious(page) == []
        shoot(page, "store-pickup-wrong-code")

        follow(page, page.get_by_role("link", name="Ship from store"))
        assert _serious(page) == []
        shoot(page, "store-shipping")
        follow(page, page.get_by_role("table", name="Parcels to send").get_by_role("link"))
        assert _serious(page) == []
        shoot(page, "store-parcel")

        follow(page, page.get_by_role("link", name="Returns"))
        page.get_by_label("Order number, name, email or phone").fill("whitfield")
        follow(page, page.get_by_role("button", name="Find the order"))
        assert _serious(page) == []
        shoot(page, "store-returns-found")
        follow(page, page.get_by_role("link", name=f"Return items of {web_order['number']}"))
        page.get_by_label("How many of Sock come back").select_option("2")
        page.get_by_label("Why Sock comes back").select_option("damaged")
        page.get_by_label("State of the returned Sock").select_option("damaged")
        page.get_by_label("New item's SKU or barcode").fill("JKT-1")
        follow(page, page.get_by_role("button", name="Review the refund"))
        assert _serious(page) == []
        shoot(page, "store-return-review")
        follow(page, page.locator("form.confirm button"))
        assert _serious(page) == []
        shoot(page, "store-return-done")
        assert outside == [], "the pages must not need the internet"
    finally:
        context.close()


def test_text_no_database_stores_is_a_4xx_naming_the_field_never_a_500(
        page, live_server, store_staff, channel, as_role):
    services.receive("JKT-1", "dc-east", 1, CAUSE)
    order = shipped_from_warehouse(channel, as_role, "W-3")
    line = order["lines"][0]["line_id"]
    sign_in(page, live_server, "ana.store")
    for path, field in [
            (f"/store/returns/orders/{order['id']}?review=1&qty-{line}=1"
             f"&reason-{line}=wrong_size&exchange_sku=JKT%00", "exchange_sku"),
            (f"/store/returns/orders/{order['id']}?review=1&qty-{line}=1"
             f"&reason-{line}=wrong_size&note=a%00b", "note"),
            ("/store/pickups?q=a%00", "q"),
            ("/store/returns?q=%00", "q")]:
        with page.expect_response(lambda r: "/store/" in r.url) as answer:
            page.goto(live_server + path)
        assert answer.value.status == 422, path
        assert page.locator(f"#{field}-error").count() == 1, path
    follow(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, live_server, "carla")
    with page.expect_response(lambda r: "/store/" in r.url) as answer:
        page.goto(f"{live_server}/store/shipping?store=store%00soho")
    assert answer.value.status == 422 and "not a location code" in page.content()
