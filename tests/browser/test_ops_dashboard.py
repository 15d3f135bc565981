"""The operations dashboard in headless Chromium through the real server, on a day seeded
through the real doors (the orders API with a channel key, Shopify's signed webhook, a store
key marking a pickup ready, a webhook subscriber on loopback that answers 500): the counts,
the chart's SVG and its series, a KPI figure opening the orders behind it, retrying a failed
delivery, a store user refused; axe-core and screenshots at 768 and 1280 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.db import utcnow
from core.staff import create_staff_user
from integrations.shopify import shops
from inventory import services
from tests.browser.test_staff_pages import PASSWORD, SHOTS, _serious, follow, sign_in
from tests.e2e.test_order_holds import with_unknown_sku
from tests.e2e.test_outbound_webhooks import SECRET as HOOK_SECRET
from tests.e2e.test_outbound_webhooks import Receiver, deliveries
from tests.e2e.test_shopify_webhooks import POS_LOCATION, SECRET, SHOP, deliver
from tests.support import CAUSE

API = "/api/v1"
ADDRESS = {"line1": "1 Main St", "city": "New York", "region": "NY", "postal_code": "10001",
           "country": "US", "latitude": 40.75, "longitude": -73.99}


@pytest.fixture
def receiver(monkeypatch):
    """A webhook subscriber on loopback, failing until told otherwise; one attempt is all a
    delivery gets, so the first 500 makes it a dead letter."""
    monkeypatch.setenv("OMS_DELIVERY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("OMS_DELIVERY_TIMEOUT", "2")
    r = Receiver()
    r.mode = "fail"
    yield r
    r.stop()


def _order(channel, ext: str, channel_name: str, email: str, name: str, sku: str,
           fulfillment: dict, quantity: int = 1) -> dict:
    resp = channel.post(f"{API}/orders", {
        "channel": channel_name, "external_id": ext, "currency": "USD",
        "customer": {"email": email, "name": name},
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "100.00"}],
        "fulfillment": fulfillment})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def day(app, network, as_role, receiver, monkeypatch):
    """Today: a web order shipped from the warehouse and a BOPIS order (Ann Lee, Ben Ortiz), a
    SoHo till sale to Ann (so she bought on two channels), a marketplace order for socks
    nobody has (backordered), a Shopify order naming an unknown SKU (on hold), a phone order
    cancelled (its order.cancelled delivery died at the subscriber); the BOPIS pickup ready
    and expiring before midnight. An admin (olga) and a SoHo associate (ana.store)."""
    shops.save(SHOP, secret=SECRET, locations={POS_LOCATION: "store-soho"})
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.receive("JKT-1", "store-brooklyn", 5, CAUSE)
    services.receive("BOOT-1", "store-soho", 3, CAUSE)
    create_staff_user("olga", "admin", PASSWORD)
    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    admin, channel = as_role("admin"), as_role("channel")
    assert admin.post(f"{API}/subscriptions", {
        "url": receiver.url(), "topics": ["order.cancelled"], "secret": HOOK_SECRET,
    }).status_code == 201
    orders = {
        "ship": _order(channel, "W-1", "web", "ann@example.com", "Ann Lee", "JKT-1",
                       {"method": "ship", "address": ADDRESS}),
        "bopis": _order(channel, "W-2", "web", "ben@example.com", "Ben Ortiz", "JKT-1",
                        {"method": "pickup", "pickup_location": "store-brooklyn"}),
        "till": _order(channel, "P-1", "pos", "ann@example.com", "Ann Lee", "BOOT-1",
                       {"method": "carry_out", "location": "store-soho"}),
        "backorder": _order(channel, "M-1", "marketplace", "cara@example.com", "Cara Diaz",
                            "SOCK-1", {"method": "ship", "address": ADDRESS}, quantity=2),
        "cancelled": _order(channel, "T-1", "phone", "dan@example.com", "Dan Moss", "JKT-1",
                            {"method": "ship", "address": ADDRESS}),
    }
    client = app.test_client()
    assert deliver(client, with_unknown_sku(), webhook_id="ops-hold-1").status_code == 200
    assert channel.post(f"{API}/orders/{orders['cancelled']['id']}/cancel",
                        {}).status_code == 200
    [dead] = deliveries()
    assert dead.status == "failed", dead.last_error
    # The pickup's window ends before midnight, whenever today the test runs.
    now = utcnow()
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0))
    monkeypatch.setenv("OMS_PICKUP_WINDOW_HOURS", str((midnight - now).total_seconds() / 7200))
    [pickup] = [f for f in client.get(f"{API}/orders/{orders['bopis']['id']}",
                                      headers=admin._headers(None)).get_json()["fulfillments"]
                if f["method"] == "pickup"]
    store = as_role("store", "store-brooklyn")
    assert store.post(f"{API}/fulfillments/{pickup['id']}/ready-for-pickup").status_code == 200
    return {"orders": orders, "dead": dead.id, "receiver": receiver}


def tile(page, label: str) -> str:
    return page.locator(".tile", has_text=label).locator(".tile-n").inner_text()


def test_the_dashboard_shows_the_days_counts_and_the_chart(page, live_server, day):
    sign_in(page, live_server, "olga")
    assert page.url == f"{live_server}/ops"  # an admin lands on operations
    assert page.get_by_role("heading", name="Operations", exact=True).is_visible()
    assert [tile(page, label) for label in ("On hold", "Need attention", "Backordered",
                                            "Pickups expiring today", "Failed deliveries",
                                            "Low stock")] == ["1", "0", "1", "1", "1", "1"]
    matrix = page.get_by_role("table", name="Orders by status and channel")
    heads = [h.strip() for h in matrix.locator("thead th").all_inner_texts()]
    assert heads == ["Status", "shopify", "web", "pos", "marketplace", "phone", "Total"]
    assert matrix.locator("tfoot").inner_text().split() == ["All", "1", "2", "1", "1", "1", "6"]
    row = matrix.locator("tbody tr", has_text="on hold").inner_text().split()
    assert row == ["on", "hold", "1", "0", "0", "0", "0", "1"]
    cancelled = matrix.locator("tbody tr", has_text="cancelled").inner_text().split()
    assert cancelled == ["cancelled", "0", "0", "0", "0", "1", "1"]
    # The panels: why the order is held, what the backorder waits for, the pickup, the dead
    # delivery, the low stock (3 boots at SoHo, 1 sold: 2 left, at the threshold).
    assert "HAT-1" in page.locator("#holds").inner_text()
    assert "2 \u00d7 SOCK-1" in page.locator("#backorders").inner_text()
    assert "Ben Ortiz" in page.locator("#pickups").inner_text()
    assert day["orders"]["cancelled"]["number"] in page.locator("#deliveries").inner_text()
    low = page.get_by_role("table", name="Lowest stock").inner_text()
    assert "BOOT-1" in low and "store-soho" in low

    # The chart: server-rendered SVG, one series per channel with orders this week, named
    # for screen readers, and the same numbers as a table.
    svg = page.locator("svg.line-chart")
    assert svg.get_attribute("role") == "img"
    assert "Orders per hour by channel" in svg.locator("title").text_content()
    series = svg.locator("g.series")
    assert series.count() == 5
    assert sorted(series.evaluate_all("gs => gs.map(g => g.dataset.series)")) == [
        "marketplace", "phone", "pos", "shopify", "web"]
    points = series.first.locator("polyline").get_attribute("points").split()
    assert len(points) == 7 * 24
    per_day = page.get_by_role("table", name="Orders per day by channel, last 7 days")
    assert per_day.locator("tbody tr").last.locator("td").last.inner_text() == "6"


def test_a_kpi_figure_opens_the_orders_behind_it(page, live_server, day):
    sign_in(page, live_server, "olga")
    kpi = page.locator(".kpi", has_text="BOPIS share")
    assert kpi.locator(".kpi-n").inner_text() == "25.0 %"     # 1 of 4 remote purchases
    assert "1 of 4 remote purchases" in kpi.inner_text()
    assert page.locator(".kpi", has_text="Customers on 2+ channels").locator(
        ".kpi-n").inner_text() == "25.0 %"                     # Ann, of 4 customers
    assert page.locator(".kpi", has_text="Cross-channel purchases").locator(
        ".kpi-n").inner_text() == "20.0 %"                     # the BOPIS order, of 5
    follow(page, kpi.locator(".kpi-n a"))
    assert "/ops/orders?" in page.url and "segment=bopis" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Bought online, picked up in store (BOPIS)")
    rows = page.get_by_role("table", name="Orders").locator("tbody tr")
    assert rows.count() == 1
    assert day["orders"]["bopis"]["number"] in rows.first.inner_text()
    assert page.get_by_label("Which orders").input_value() == "bopis"

    # The customers on several channels: Ann's web order and her till sale.
    page.get_by_label("Which orders").select_option("multichannel_customers")
    follow(page, page.get_by_role("button", name="Show"))
    numbers = page.get_by_role("table", name="Orders").locator("tbody tr td:first-child")
    assert sorted(numbers.all_inner_texts()) == sorted(
        [day["orders"]["ship"]["number"], day["orders"]["till"]["number"]])


def test_a_failed_delivery_is_retried_from_the_dashboard(page, live_server, day):
    receiver = day["receiver"]
    sign_in(page, live_server, "olga")
    panel = page.locator("#deliveries")
    assert "order.cancelled" in panel.inner_text() and "HTTP 500" in panel.inner_text()
    receiver.mode = "ok"  # the subscriber is back
    follow(page, panel.get_by_role("button", name=re.compile(r"Retry delivery")))
    assert re.fullmatch(rf"{live_server}/ops\?start=[\d-]+&end=[\d-]+#deliveries", page.url)
    assert f"Delivery {day['dead']} (order.cancelled) is queued again." in page.get_by_role(
        "status").first.inner_text()
    [got] = receiver.got
    assert got["type"] == "order.cancelled" and got["delivery"] == str(day["dead"])
    assert tile(page, "Failed deliveries") == "0"
    assert "Every delivery went through" in page.locator("#deliveries").inner_text()


def test_a_store_user_cannot_open_the_dashboard(page, live_server, day):
    sign_in(page, live_server, "ana.store")
    assert page.get_by_role("link", name="Operations").count() == 0
    for path in ("/ops", "/ops/orders?segment=bopis"):
        with page.expect_response(lambda r, path=path: r.url.startswith(live_server + path)
                                  ) as answer:
            page.goto(live_server + path)
        assert answer.value.status == 403
        assert page.get_by_role("heading", name="Not allowed").is_visible()
    # The retry action too, even with the form's token.
    token = page.evaluate("document.querySelector('input[name=csrf_token]').value")
    answer = page.request.post(f"{live_server}/ops/deliveries/{day['dead']}/retry",
                               form={"csrf_token": token})
    assert answer.status == 403
    assert deliveries()[0].status == "failed"


@pytest.mark.parametrize("width", [768, 1280])
def test_the_dashboard_and_an_order_list_pass_axe_at_tablet_and_desktop_width(
        browser, live_server, day, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
    try:
        SHOTS.mkdir(exist_ok=True)
        sign_in(page, live_server, "olga")
        assert _serious(page) == []
        page.screenshot(path=str(SHOTS / f"ops-dashboard-{width}.png"), full_page=True)
        follow(page, page.locator(".kpi", has_text="Customers on 2+ channels").locator(
            ".kpi-n a"))
        assert _serious(page) == []
        page.screenshot(path=str(SHOTS / f"ops-orders-{width}.png"), full_page=True)
        page.goto(f"{live_server}/ops?start=2026-02-30")
        assert page.get_by_label("From").get_attribute("aria-invalid") == "true"
        assert _serious(page) == []
        assert outside == [], "the pages must not need the internet"
    finally:
        context.close()
