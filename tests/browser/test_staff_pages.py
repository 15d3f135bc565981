"""The staff pages in headless Chromium through the real server: sign in and out, the
throttle, the stock lookup (SKU, part of a name, a scanner's code and Enter), CSRF, store
scope, accessibility (axe-core from the installed package, no network) and screenshots."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.staff import create_staff_user
from inventory import services
from tests.support import CAUSE

PASSWORD = "correct horse battery"
WRONG = "Wrong username or password."
SHOTS = Path("/tmp/web-shots")


@pytest.fixture
def shop(network):
    """SoHo has no jacket (but boots), Brooklyn and Chicago have jackets, DC East too; a
    second jacket so that "jack" matches two products; a store user at SoHo and a cs user."""
    services.create_item({"sku": "JKT-2", "name": "Rain Jacket", "price": "89.00"})
    for sku, location, quantity in [("JKT-1", "store-brooklyn", 3), ("JKT-1", "store-chicago", 5),
                                    ("JKT-1", "dc-east", 10), ("BOOT-1", "store-soho", 2),
                                    ("JKT-2", "store-soho", 1)]:
        services.receive(sku, location, quantity, CAUSE)
    create_staff_user("ana.store", "store", PASSWORD, "store-soho")
    create_staff_user("carla", "cs", PASSWORD)


def sign_in(page, base: str, username: str, password: str = PASSWORD, path: str = "/") -> None:
    page.goto(base + path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the answer page (or where it redirects) has loaded
        page.get_by_role("button", name="Sign in").click()


def look_up(page, text: str) -> None:
    page.get_by_label("SKU, product name or barcode").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Look up").click()


def follow(page, locator) -> None:
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


def here_count(page) -> str:
    return page.locator("#here .here-count").inner_text()


def test_sign_in_lands_on_the_roles_home_and_sign_out_ends_the_session(page, live_server, shop):
    sign_in(page, live_server, "ANA.Store")  # usernames are case-insensitive
    assert page.url == f"{live_server}/stock"
    header = page.locator("header").inner_text()
    assert "ana.store" in header and "Store staff" in header and "SoHo" in header
    assert page.get_by_role("link", name="Stock lookup").get_attribute("aria-current") == "page"
    cookie = next(c for c in page.context.cookies() if c["name"] == "oms_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # http

    follow(page, page.get_by_role("button", name="Sign out"))
    assert page.url == f"{live_server}/sign-in"
    assert "You are signed out." in page.content()
    page.goto(f"{live_server}/stock?q=BOOT-1")
    assert page.url.startswith(f"{live_server}/sign-in?next=")
    # Signing in from there goes back to what was asked for...
    page.get_by_label("Username").fill("ana.store")
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert page.url == f"{live_server}/stock?q=BOOT-1" and here_count(page) == "2 here"
    # ...but never to another site.
    follow(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, live_server, "ana.store", path="/sign-in?next=//evil.example/x")
    assert page.url == f"{live_server}/stock"


def test_a_wrong_password_is_refused_without_saying_which_part_and_then_slowed(
        page, live_server, shop):
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/sign-in")
            and r.request.method == "POST" else None)
    sign_in(page, live_server, "nobody")
    assert page.get_by_role("alert").inner_text() == WRONG
    # Wrong passwords until the username must wait. 5 failures are free, then each blocks
    # for twice as long (1 s, 2 s, 4 s): go on (sleeping out short blocks, which this
    # machine's page loads may outlast) until a wait is long enough to try the right password
    # inside it.
    failures, wait = 0, 0
    while wait < 3:
        sign_in(page, live_server, "ana.store", "wrong password!")
        said = page.get_by_role("alert").inner_text()
        if said == WRONG:
            failures += 1
            assert failures <= 8
            continue
        blocked = re.fullmatch(r"Too many failed sign-ins\. Wait (\d+) seconds? and try again\.",
                               said)
        assert blocked is not None and statuses[-1] == 429 and failures >= 5
        wait = int(blocked.group(1))
        if wait < 3:
            time.sleep(wait + 0.1)
    # Blocked: even the right password is refused, without being checked.
    sign_in(page, live_server, "ana.store")
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()
    assert page.url == f"{live_server}/sign-in" and statuses[-1] == 429
    time.sleep(wait + 0.5)
    sign_in(page, live_server, "ana.store")
    assert page.url == f"{live_server}/stock"


def test_stock_lookup_by_sku_part_of_a_name_and_a_scanned_code(page, live_server, shop):
    sign_in(page, live_server, "ana.store")
    look_up(page, "jkt-1")  # a SKU in any case
    assert page.get_by_role("heading", name="Jacket", exact=True).is_visible()
    assert here_count(page) == "0 here"
    assert "None on hand at SoHo" in page.locator("#here").inner_text()
    stores = page.get_by_role("table", name="Stores that have it").locator("tbody tr")
    assert [" ".join(row.locator("td").first.inner_text().split()) for row in stores.all()] == [
        "Brooklyn store-brooklyn", "Chicago store-chicago"]  # nearest first
    assert re.fullmatch(r"\d+\.\d km", stores.first.locator("td").nth(1).inner_text())
    warehouses = page.get_by_role("table", name="Warehouses").inner_text()
    assert "DC East" in warehouses and "10" in warehouses

    look_up(page, "jack")  # part of a name: two products, with what is here
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    assert "Rain Jacket" in rows.nth(1).inner_text() and "1" in rows.nth(1).inner_text()
    follow(page, page.get_by_role("link", name="Rain Jacket"))
    assert here_count(page) == "1 here"

    # A scanner types the code and Enter into the box the page focused (its old text
    # selected, so the scan replaces it).
    box = page.get_by_label("SKU, product name or barcode")
    assert box.evaluate("el => el === document.activeElement")
    page.keyboard.type("BOOT-1")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=BOOT-1$"))
    assert here_count(page) == "2 here"
    look_up(page, "no-such-thing")
    assert "Nothing matches" in page.get_by_role("status").inner_text()


def test_forms_posted_without_their_csrf_token_are_refused(page, live_server, shop):
    sign_in(page, live_server, "ana.store")
    page.evaluate("document.querySelector('form.sign-out input[name=csrf_token]').remove()")
    with page.expect_response(lambda r: r.url.endswith("/sign-out")) as refused:
        page.get_by_role("button", name="Sign out").click()
    assert refused.value.status == 400
    assert page.get_by_role("heading", name="This form cannot be accepted").is_visible()
    assert "Nothing was changed" in page.get_by_role("alert").inner_text()
    page.goto(f"{live_server}/stock")
    assert page.url == f"{live_server}/stock"  # still signed in: the sign-out did not happen

    page.context.clear_cookies()
    page.goto(f"{live_server}/sign-in")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Username").fill("ana.store")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/sign-in")) as refused:
        page.get_by_role("button", name="Sign in").click()
    assert refused.value.status == 400
    page.goto(f"{live_server}/stock")
    assert "/sign-in" in page.url


def test_store_staff_look_from_their_own_store_only_cs_choose_one(page, live_server, shop):
    sign_in(page, live_server, "ana.store")
    assert page.get_by_label("Store", exact=True).count() == 0  # no choice: their store
    with page.expect_response(lambda r: "/stock?" in r.url) as answer:
        page.goto(f"{live_server}/stock?q=JKT-1&location=store-chicago")
    assert answer.value.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "acts at store-soho, not at 'store-chicago'" in page.get_by_role("alert").inner_text()

    follow(page, page.get_by_role("button", name="Sign out"))
    sign_in(page, live_server, "carla")
    assert "Customer service" in page.locator("header").inner_text()
    page.goto(f"{live_server}/stock")  # a cs user lands on the order search (web/cs.py)
    page.get_by_label("Store", exact=True).select_option("store-chicago")
    look_up(page, "JKT-1")
    assert here_count(page) == "5 here"
    page.get_by_label("Store", exact=True).select_option("")
    look_up(page, "JKT-1")  # the whole network, no "here"
    assert page.locator("#here").count() == 0
    assert page.get_by_role("table", name="Stores that have it").locator("tbody tr").count() == 2


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
            for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [768, 1280])
def test_sign_in_and_stock_pages_pass_axe_at_tablet_and_desktop_width(browser, live_server, shop,
                                                                      backend, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
    try:
        SHOTS.mkdir(exist_ok=True)
        page.goto(f"{live_server}/sign-in")
        assert _serious(page) == []
        page.screenshot(path=str(SHOTS / f"sign-in-{width}.png"), full_page=True)
        sign_in(page, live_server, "ana.store")
        look_up(page, "JKT-1")
        assert _serious(page) == []
        page.screenshot(path=str(SHOTS / f"stock-zero-here-{width}.png"), full_page=True)
        look_up(page, "jack")
        assert _serious(page) == []
        page.screenshot(path=str(SHOTS / f"stock-matches-{width}.png"), full_page=True)
        # Keyboard only, in reading order: back from the focused box through the header to
        # the skip link.
        page.goto(f"{live_server}/stock?q=BOOT-1")
        # (Every page of the role is in the navigation, however many there are.)
        nav = page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
        assert "Stock lookup" in nav
        order = []
        for _ in range(len(nav) + 3):
            page.keyboard.press("Shift+Tab")
            order.append(page.evaluate("document.activeElement.textContent.trim()"))
        assert order == ["Sign out", *reversed(nav), "Omnichannel OMS", "Skip to content"]
        page.screenshot(path=str(SHOTS / f"stock-here-{width}.png"), full_page=True)
        assert outside == [], "the pages must not need the internet"
    finally:
        context.close()
