"""Settling a pending refund through HTTP (`POST /refunds/{id}/settle`): the payment
integrator or a store's till says the money went back; the refund is `settled` with its
reference and method, the return `refunded`, on the order's timeline and in the outbox
(`refund.settled`). Settling again with the same reference answers the same; another is a 409;
who may settle; bad input and unknown refunds write nothing. The Shopify path (the push's
`refundCreate` settling it) is in test_shopify_push.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import read_session, run_in_unit_of_work
from oms.models import OutboxEvent, TimelineEvent
from returns import policy
from returns import use_cases as returning
from tests.e2e.test_returns_api import counts, ok, shipped_order
from tests.support import assert_ledger_clean

API = "/api/v1"


@pytest.fixture(autouse=True)
def _ledger_clean_after(network):
    policy.configure(policy.ReturnPolicy())
    yield
    assert_ledger_clean()
    policy.configure(policy.ReturnPolicy())


def received_at_soho(as_role, order: dict, quantity: int = 1) -> dict:
    """A return of the order's first line, received (restocked) at the SoHo store: its refund
    is recorded `pending`."""
    store = as_role("store", "store-soho")
    line_id = order["lines"][0]["line_id"]
    ret = ok(store.post(f"{API}/returns", {
        "order_id": order["id"], "location": "store-soho",
        "lines": [{"line_id": line_id, "quantity": quantity, "reason": "changed_mind"}]}), 201)
    received = ok(store.post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": line_id, "quantity": quantity, "disposition": "restock"}]}))
    assert (received["status"], received["refund"]["status"]) == ("received", "pending")
    return received


def settle_url(ret: dict) -> str:
    return f"{API}/refunds/{ret['refund']['id']}/settle"


def outbox(topic: str) -> list[OutboxEvent]:
    with read_session() as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic)
                                    .order_by(OutboxEvent.id)))


def test_the_till_settles_a_pending_refund_and_the_return_is_refunded(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 2, "40.00"),))
    ret = received_at_soho(as_role, order)
    store = as_role("store", "store-soho")
    settled = ok(store.post(settle_url(ret), {"external_ref": "till-7/0042", "method": "cash"}))
    assert settled["id"] == ret["refund"]["id"]
    assert (settled["status"], settled["external_ref"], settled["method"]) == (
        "settled", "till-7/0042", "cash")
    assert (settled["return_id"], settled["return_status"], settled["amount"]) == (
        ret["id"], "refunded", "40.00")
    assert settled["settled_by"].endswith(":test-store") and settled["settled_at"]

    # What a CS rep sees on the return, the order and its timeline.
    viewed = ok(cs.get(f"{API}/returns/{ret['id']}"))
    assert viewed["status"] == "refunded"
    assert {k: viewed["refund"][k] for k in ("status", "external_ref", "method")} == {
        "status": "settled", "external_ref": "till-7/0042", "method": "cash"}
    [event] = [e for e in ok(cs.get(f"{API}/orders/{order['id']}"))["timeline"]
               if e["kind"] == "refund.settled"]
    assert "40.00 USD" in event["message"] and "till-7/0042" in event["message"]
    assert "(cash)" in event["message"]
    [row] = outbox("refund.settled")
    assert (row.aggregate, row.aggregate_id) == ("order", order["id"])
    assert {k: row.payload[k] for k in ("return_id", "refund_id", "amount", "status",
                                        "external_ref", "method")} == {
        "return_id": ret["id"], "refund_id": ret["refund"]["id"], "amount": "40.00",
        "status": "settled", "external_ref": "till-7/0042", "method": "cash"}
    assert row.payload["settled_at"] == settled["settled_at"]


def test_settling_again_answers_the_same_and_another_reference_is_a_conflict(as_role,
                                                                            channel, cs):
    order = shipped_order(as_role, channel)
    ret = received_at_soho(as_role, order)
    first = ok(cs.post(settle_url(ret), {"external_ref": "psp-re_123", "method": "card"}))
    before = counts()
    assert ok(cs.post(settle_url(ret), {"external_ref": "psp-re_123", "method": "card"})) == first
    assert ok(cs.post(settle_url(ret), {"external_ref": "psp-re_123"})) == first
    other = cs.post(settle_url(ret), {"external_ref": "psp-re_999", "method": "card"})
    assert other.status_code == 409
    error = other.get_json()["error"]
    assert "psp-re_123" in error["fields"]["external_ref"][0]
    assert error["details"]["settled_as"] == "psp-re_123"
    by_cash = cs.post(settle_url(ret), {"external_ref": "psp-re_123", "method": "cash"})
    assert by_cash.status_code == 409 and "card" in by_cash.get_json()["error"]["fields"][
        "method"][0]
    assert counts() == before
    assert len(outbox("refund.settled")) == 1
    assert ok(cs.get(f"{API}/returns/{ret['id']}"))["refund"]["external_ref"] == "psp-re_123"


def test_an_idempotency_key_replays_the_answer(as_role, channel):
    order = shipped_order(as_role, channel)
    ret = received_at_soho(as_role, order)
    body = {"external_ref": "pay-1", "method": "gift_card"}
    first = channel.post(settle_url(ret), body, headers={"Idempotency-Key": "settle-1"})
    assert first.status_code == 200, first.get_json()
    after = counts()
    again = channel.post(settle_url(ret), body, headers={"Idempotency-Key": "settle-1"})
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    reused = channel.post(settle_url(ret), {**body, "external_ref": "pay-2"},
                          headers={"Idempotency-Key": "settle-1"})
    assert reused.status_code == 409 and "Idempotency-Key" in reused.get_json()["error"][
        "fields"]
    assert counts() == after


def test_who_may_settle(as_role, channel, cs, admin, client):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 3, "10.00"),))
    rets = [received_at_soho(as_role, order) for _ in range(3)]
    url = settle_url(rets[0])
    body = {"external_ref": "ref-1"}
    before = counts()
    assert client.post(url, json=body).status_code == 401
    assert as_role("store", "store-brooklyn").post(url, body).status_code == 403  # not there
    assert as_role("channel").post(url, body).status_code == 403  # not its order
    assert as_role("wms", "store-soho").post(url, body).status_code == 403  # not a till
    assert counts() == before
    ok(as_role("store", ["store-brooklyn", "store-soho"]).post(url, body))
    ok(channel.post(settle_url(rets[1]), body))  # the channel whose order it is
    ok(admin.post(settle_url(rets[2]), {"external_ref": "ref-3", "method": "store_credit"}))
    assert [r["status"] for r in (ok(cs.get(f"{API}/returns/{r['id']}")) for r in rets)] == [
        "refunded"] * 3


def test_bad_input_and_unknown_refunds_write_nothing(as_role, channel, cs):
    order = shipped_order(as_role, channel)
    url = settle_url(received_at_soho(as_role, order))
    before = counts()
    for bad, field in (({}, "external_ref"), ({"external_ref": ""}, "external_ref"),
                       ({"external_ref": "   "}, "external_ref"),
                       ({"external_ref": " ref"}, "external_ref"),
                       ({"external_ref": "two\nlines"}, "external_ref"),
                       ({"external_ref": "x" * 201}, "external_ref"),
                       ({"external_ref": 42}, "external_ref"),
                       ({"external_ref": "ref", "method": "bitcoin"}, "method"),
                       ({"external_ref": "ref", "method": None}, "method"),
                       ({"external_ref": "ref", "amount": "1.00"}, "amount")):
        refused = cs.post(url, bad)
        assert refused.status_code == 422, (bad, refused.get_json())
        assert field in refused.get_json()["error"]["fields"], (bad, refused.get_json())
    for missing in (f"{API}/refunds/999999/settle", f"{API}/refunds/2147483647/settle"):
        assert cs.post(missing, {"external_ref": "ref"}).status_code == 404
    assert as_role("store", "store-soho").post(f"{API}/refunds/999999/settle",
                                               {"external_ref": "ref"}).status_code == 404
    assert cs.post(f"{API}/refunds/2147483648/settle",
                   {"external_ref": "ref"}).status_code == 404
    assert counts() == before


def test_a_cancelled_return_refund_for_what_arrived_settles_too(as_role, channel, cs):
    order = shipped_order(as_role, channel, lines=(("JKT-1", 2, "25.00"),))
    line_id = order["lines"][0]["line_id"]
    ret = ok(cs.post(f"{API}/returns", {"order_id": order["id"], "location": "dc-east",
                                        "lines": [{"line_id": line_id, "quantity": 2,
                                                   "reason": "changed_mind"}]}), 201)
    ok(as_role("wms", "dc-east").post(f"{API}/returns/{ret['id']}/receive", {"lines": [
        {"line_id": line_id, "quantity": 1, "disposition": "restock"}]}))
    cancelled = ok(cs.post(f"{API}/returns/{ret['id']}/cancel", {"reason": "one kept"}))
    assert (cancelled["status"], cancelled["refund"]["amount"]) == ("received", "25.00")
    settled = ok(cs.post(settle_url(cancelled), {"external_ref": "ref-half"}))
    assert (settled["return_status"], settled["method"]) == ("refunded", None)


def test_a_channel_refund_meeting_a_settled_one_is_told_on_the_timeline(as_role, channel,
                                                                        cs):
    """The Shopify push made a refund that someone had settled by hand meanwhile: the refund
    keeps its settlement and the order's timeline asks for a check (no error for the push)."""
    order = shipped_order(as_role, channel)
    ret = received_at_soho(as_role, order)
    ok(cs.post(settle_url(ret), {"external_ref": "by-hand-1", "method": "card"}))
    before = counts()
    run_in_unit_of_work(lambda uow: returning.settled_on_channel(
        uow, ret["refund"]["id"], "gid://shopify/Refund/42", channel="Shopify",
        actor="shopify:test.myshopify.com", source="shopify"))
    viewed = ok(cs.get(f"{API}/returns/{ret['id']}"))["refund"]
    assert (viewed["external_ref"], viewed["method"]) == ("by-hand-1", "card")
    with read_session() as session:
        [note] = session.scalars(select(TimelineEvent).where(
            TimelineEvent.kind == "refund.settle_conflict"))
    assert "gid://shopify/Refund/42" in note.message and "by-hand-1" in note.message
    assert len(outbox("refund.settled")) == 1
    returns, refunds, timeline, outboxed, movements = before
    assert counts() == (returns, refunds, timeline + 1, outboxed, movements)
