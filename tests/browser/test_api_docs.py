"""The interactive API docs work offline and let an integrator call the API from the page."""

from __future__ import annotations

from inventory import services
from tests.support import CAUSE


def test_docs_render_offline_and_try_it_out_calls_the_api(page, live_server, network, admin,
                                                          tmp_path):
    services.receive("JKT-1", "store-soho", 4, CAUSE)
    external_requests = []
    page.on("request", lambda r: None if r.url.startswith(live_server)
            else external_requests.append(r.url))

    page.goto(f"{live_server}/api/v1/docs")
    page.get_by_text("/api/v1/stock/movements", exact=True).first.wait_for()
    assert external_requests == [], "the docs page must not need the internet"

    page.click("button.authorize")
    page.fill(".auth-container input", admin.key)
    page.click(".auth-btn-wrapper button.authorize")
    page.click("button.btn-done")

    operation = page.locator(".opblock-get", has_text="/api/v1/stock/{sku}").first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("input[placeholder='sku']").fill("JKT-1")
    operation.locator("button.execute").click()
    response = operation.locator(".responses-table.live-responses-table")
    response.wait_for()
    body = response.locator(".response-col_description pre").first.inner_text()
    assert '"sku": "JKT-1"' in body
    assert '"on_hand": 4' in body
    page.screenshot(path=str(tmp_path / "api-docs.png"), full_page=False)
