"""The operations pages through the Flask test client: whatever is typed into their forms or
URLs is the field's error (422) or the resource's (404, 409), never a 500; GETs change nothing."""

from __future__ import annotations

import re

import pytest

from core.staff import create_staff_user
from tests.e2e.test_outbound_webhooks import deliveries

PASSWORD = "correct horse battery"


@pytest.fixture
def olga(app, network):
    create_staff_user("olga", "admin", PASSWORD)
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/sign-in").get_data(as_text=True))
    assert token is not None
    assert client.post("/sign-in", data={"username": "olga", "password": PASSWORD,
                                         "csrf_token": token.group(1)}).status_code == 302
    return client


def csrf(client) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/ops").get_data(as_text=True))
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/ops?start=2026-02-30", 422, "Not a valid date value"),
    ("/ops?start=0001-01-01", 422, "must be between 2000-01-01 and 2999-12-31"),
    ("/ops?end=9999-12-31", 422, "must be between"),
    ("/ops?start=2026-03-10&end=2026-03-01", 422, "must be on or after the first day"),
    ("/ops?start=2000-01-01&end=2020-01-01", 422, "at most 3660 days"),
    ("/ops?low_at=nowhere", 422, "low_at"),
    ("/ops/orders?segment=nope", 422, "Not a valid choice"),
    ("/ops/orders?status=lost", 422, "Not a valid choice"),
    ("/ops/orders?cursor=%00", 422, "cannot be used"),
    ("/ops/orders?cursor=not-a-cursor", 422, "cursor"),
    ("/ops/orders?segment=bopis&start=1999-12-31", 422, "must be between"),
])
def test_bad_input_is_the_fields_error_never_a_500(olga, path, status, says):
    answer = olga.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    assert says in answer.get_data(as_text=True)


def test_periods_and_segments_that_are_fine(olga):
    for path in ("/ops?start=2026-03-01", "/ops?end=2026-03-07", "/ops?start=2000-01-01",
                 "/ops/orders?segment=cross_channel_returns&end=2026-03-07",
                 "/ops/orders?status=on_hold&channel=shopify", "/ops?low_at=store-soho"):
        assert olga.get(path).status_code == 200, path


def test_retrying_what_is_not_a_dead_delivery(olga):
    token = csrf(olga)
    missing = olga.post("/ops/deliveries/99/retry", data={"csrf_token": token})
    assert missing.status_code == 404 and "unknown delivery 99" in missing.get_data(as_text=True)
    huge = olga.post("/ops/deliveries/99999999999999999999/retry", data={"csrf_token": token})
    assert huge.status_code == 404
    assert olga.post("/ops/deliveries/1/retry").status_code == 400   # no CSRF token
    assert deliveries() == []
