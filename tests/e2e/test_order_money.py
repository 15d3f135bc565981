"""What the customer paid, recorded on every order: discounts, taxes (exclusive and
inclusive), shipping and totals through POST /orders and from Shopify (shop money); stated
totals checked; open totals following cancels and additions."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import read_session
from core.money import PaidLine, ShippingLine
from inventory import services
from oms import money_view
from oms.models import Order, OrderLine, TimelineEvent
from tests.e2e.test_orders_api import API, order, orders_count, placed
from tests.e2e.test_shopify_webhooks import deliver, events, load, the_order
from tests.e2e.test_shopify_webhooks import shopify as shopify
from tests.support import CAUSE, assert_ledger_clean

D = Decimal


@pytest.fixture(autouse=True)
def _stock(network):
    for sku in ("JKT-1", "SOCK-1", "BOOT-1"):
        services.receive(sku, "dc-central", 20, CAUSE)
    yield
    assert_ledger_clean()


def _line(body: dict, sku: str) -> dict:
    return next(ln for ln in body["lines"] if ln["sku"] == sku)


def _stored(order_id: int) -> Order:
    with read_session() as session:
        row = session.get(Order, order_id)
        assert row is not None
        _ = row.lines
        return row


EXCLUSIVE = {
    "lines": [
        {"sku": "JKT-1", "quantity": 2, "unit_price": "120.00", "discount": "10.00",
         "tax_lines": [{"title": "NY State Tax", "rate": "0.08875"}]},
        {"sku": "SOCK-1", "quantity": 1, "unit_price": "12.50",
         "tax_lines": [{"title": "NY State Tax", "rate": "0.08875", "amount": "1.00"}]},
    ],
    "order_discount": "5.00",
    "shipping_lines": [{"title": "Standard", "price": "10.00", "discount": "2.00",
                        "tax": "0.71"}],
}


def test_discounts_taxes_and_shipping_are_stored_and_shown(channel):
    """Order discount 5.00 spread by line subtotals after line discounts (230.00 : 12.50 ->
    4.74 : 0.26, the odd cent to the larger remainder); the jacket's tax computed from its
    rate on what it costs after discounts, rounded half up once (225.26 x 0.08875 = 19.99)."""
    body = order("M-1", lines=EXCLUSIVE["lines"])
    body.update({k: v for k, v in EXCLUSIVE.items() if k != "lines"})
    body["totals"] = {"subtotal": "252.50", "discounts": "17.00", "tax": "21.70",
                      "shipping": "10.00", "total": "267.20"}
    out = placed(channel.post(f"{API}/orders", body))
    jacket, sock = _line(out, "JKT-1"), _line(out, "SOCK-1")
    assert (jacket["discount"], jacket["tax"], jacket["paid"]) == ("14.74", "19.99", "245.25")
    assert jacket["tax_lines"] == [{"title": "NY State Tax", "rate": "0.08875",
                                    "amount": "19.99"}]
    assert (sock["discount"], sock["tax"], sock["paid"]) == ("0.26", "1.00", "13.24")
    assert out["taxes_included"] is False and out["currency"] == "USD"
    assert out["shipping_lines"] == [{"title": "Standard", "price": "10.00", "discount": "2.00",
                                      "tax": "0.71"}]
    assert out["totals"] == {"subtotal": "252.50", "discounts": "17.00", "tax": "21.70",
                             "shipping": "10.00", "total": "267.20"}
    assert out["total"] == "267.20"
    again = channel.get(f"{API}/orders/{out['id']}").get_json()
    assert again["totals"] == out["totals"] and again["lines"] == out["lines"]
    row = _stored(out["id"])
    assert sum(money_view.paid_line(ln, False).paid for ln in row.lines) \
        + sum(s.paid for s in money_view.shipping_paid(row)) == D("267.20")
    assert money_view.shipping_paid(row) == [ShippingLine(D("10.00"), D("2.00"), D("0.71"))]


def test_tax_inclusive_prices(channel):
    """Prices include tax: 20 % of 120.00 inside is 20.00; the total is what the prices say."""
    body = order("M-2", lines=[{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00",
                                "tax_lines": [{"title": "VAT", "rate": "0.2"}]}])
    body.update(taxes_included=True,
                shipping_lines=[{"title": "Standard", "price": "5.00", "tax": "0.83"}],
                totals={"tax": "20.83", "total": "125.00"})
    out = placed(channel.post(f"{API}/orders", body))
    jacket = out["lines"][0]
    assert (jacket["tax"], jacket["paid"]) == ("20.00", "120.00")
    assert out["taxes_included"] is True
    assert out["totals"] == {"subtotal": "120.00", "discounts": "0.00", "tax": "20.83",
                             "shipping": "5.00", "total": "125.00"}
    row = _stored(out["id"])
    assert money_view.paid_line(row.lines[0], row.taxes_included) == PaidLine(
        1, D("120.00"), tax=D("20.00"), taxes_included=True)


def test_a_stated_total_that_does_not_add_up_is_422_naming_it_and_writes_nothing(channel):
    body = order("M-3", lines=EXCLUSIVE["lines"])
    body.update({k: v for k, v in EXCLUSIVE.items() if k != "lines"})
    body["totals"] = {"subtotal": "252.50", "total": "267.21"}
    before = orders_count()
    response = channel.post(f"{API}/orders", body)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert list(fields) == ["totals.total"]
    assert "267.21" in fields["totals.total"][0] and "267.20" in fields["totals.total"][0]
    assert orders_count() == before


@pytest.mark.parametrize(("change", "field"), [
    ({"lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00", "discount": "10.01"}]},
     "lines.0.discount"),
    ({"lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00", "discount": "1.00",
                 "discount_allocations": [{"amount": "0.50"}]}]}, "lines.0.discount"),
    ({"order_discount": "1000.00"}, "order_discount"),
    ({"shipping_lines": [{"price": "5.00", "discount": "6.00"}]}, "shipping_lines.0.discount"),
    ({"lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00",
                 "tax_lines": [{"title": "x"}]}]}, "lines.0.tax_lines.0.amount"),
    ({"lines": [{"sku": "JKT-1", "quantity": 1, "unit_price": "10.00",
                 "tax_lines": [{"rate": "1.5"}]}]}, "lines.0.tax_lines.0.rate"),
])
def test_money_that_makes_no_sense_is_422_naming_the_field(channel, change, field):
    body = order("M-4")
    body.update(change)
    before = orders_count()
    response = channel.post(f"{API}/orders", body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert orders_count() == before


def test_discount_allocations_are_summed_and_kept(channel):
    body = order("M-5", lines=[{"sku": "JKT-1", "quantity": 1, "unit_price": "120.00",
                                "discount_allocations": [
                                    {"amount": "12.00", "title": "WINTER10", "kind": "order"},
                                    {"amount": "3.00", "title": "bundle", "kind": "line"}]}])
    line = placed(channel.post(f"{API}/orders", body))["lines"][0]
    assert (line["discount"], line["paid"]) == ("15.00", "105.00")
    assert [a["amount"] for a in line["discount_allocations"]] == ["12.00", "3.00"]


def test_old_style_order_totals_come_from_unit_prices(channel):
    out = placed(channel.post(f"{API}/orders", order(
        "M-6", lines=[{"sku": "JKT-1", "quantity": 2, "unit_price": "120.00"}])))
    line = out["lines"][0]
    assert (line["discount"], line["tax"], line["tax_lines"], line["paid"]) == \
        ("0.00", "0.00", [], "240.00")
    assert out["totals"] == {"subtotal": "240.00", "discounts": "0.00", "tax": "0.00",
                             "shipping": "0.00", "total": "240.00"}
    assert out["shipping_lines"] == [] and out["taxes_included"] is False
    row = _stored(out["id"])
    assert money_view.paid_line(row.lines[0], False) == PaidLine(2, D("120.00"))
    assert money_view.shipping_paid(row) == []


def test_cancelling_a_unit_takes_its_share_off_the_open_totals(channel, cs):
    """3 units, discount 1.00 (0.34, 0.33, 0.33 per unit) and tax 0.80 (0.27, 0.27, 0.26):
    cancelling one takes the last unit's parts off, to the cent; cancelling the rest leaves
    nothing open, shipping included."""
    body = order("M-7", lines=[{"sku": "SOCK-1", "quantity": 3, "unit_price": "10.00",
                                "discount": "1.00",
                                "tax_lines": [{"title": "tax", "amount": "0.80"}]}])
    body["shipping_lines"] = [{"title": "Standard", "price": "5.00"}]
    out = placed(channel.post(f"{API}/orders", body))
    assert out["totals"]["total"] == "34.80"
    line_id = out["lines"][0]["line_id"]
    response = cs.post(f"{API}/orders/{out['id']}/cancel",
                       {"lines": [{"line_id": line_id, "quantity": 1}]})
    assert response.status_code == 200, response.get_json()
    after = cs.get(f"{API}/orders/{out['id']}").get_json()
    assert after["totals"] == {"subtotal": "20.00", "discounts": "0.67", "tax": "0.54",
                               "shipping": "5.00", "total": "24.87"}
    assert after["updated_at"] > out["updated_at"]
    # The line still says what was paid for all three units (returns refund from that).
    assert (after["lines"][0]["discount"], after["lines"][0]["paid"]) == ("1.00", "29.80")
    paid = money_view.paid_line(_stored(out["id"]).lines[0], False)
    cancelled = paid.unit_amounts()[2]
    assert D(after["totals"]["total"]) + cancelled.total == D(out["totals"]["total"])
    assert cs.post(f"{API}/orders/{out['id']}/cancel", {}).status_code == 200
    assert cs.get(f"{API}/orders/{out['id']}").get_json()["totals"] == {
        "subtotal": "0.00", "discounts": "0.00", "tax": "0.00", "shipping": "0.00",
        "total": "0.00"}


def test_added_units_keep_the_totals_right(channel):
    body = order("M-8", lines=[{"sku": "SOCK-1", "quantity": 1, "unit_price": "10.00",
                                "discount": "1.00"}])
    out = placed(channel.post(f"{API}/orders", body))
    line_id = out["lines"][0]["line_id"]
    response = channel.post(f"{API}/orders/{out['id']}/lines", {"lines": [
        {"line_id": line_id, "quantity": 1},
        {"sku": "BOOT-1", "quantity": 1, "unit_price": "50.00"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["totals"] == {"subtotal": "70.00", "discounts": "1.00",
                                             "tax": "0.00", "shipping": "0.00",
                                             "total": "69.00"}


def test_the_database_refuses_a_total_that_does_not_add_up(channel):
    out = placed(channel.post(f"{API}/orders", order("M-9")))
    from sqlalchemy.exc import IntegrityError

    from core.db import unit_of_work
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.session.get(Order, out["id"]).total = D("1.00")
        uow.session.flush()
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.session.scalars(select(OrderLine).where(OrderLine.order_id == out["id"])) \
            .one().discount = D("500.00")
        uow.session.flush()


# ------------------------------------------------------------------ Shopify

EUR_PER_USD = D("0.92")


def _presentment(money: dict, rate: Decimal = EUR_PER_USD) -> dict:
    """A *_set with the customer's currency (EUR) differing from the shop's (USD)."""
    shop = money["shop_money"]["amount"]
    eur = (D(shop) * rate).quantize(D("0.01"))
    return {"shop_money": {"amount": shop, "currency_code": "USD"},
            "presentment_money": {"amount": f"{eur}", "currency_code": "EUR"}}


def _set(amount: str) -> dict:
    return _presentment({"shop_money": {"amount": amount}})


def money_payload() -> dict:
    """orders_create.json as a shop in USD sells it to a customer paying in EUR: a 10 %
    discount code across lines (25.25 allocated 24.00 + 1.25), NY tax on each line and on
    shipping."""
    payload = copy.deepcopy(load("orders_create"))
    payload.update(
        id=5550001, name="#1077", presentment_currency="EUR", currency="USD",
        taxes_included=False,
        discount_codes=[{"code": "WINTER10", "amount": "25.25", "type": "percentage"}],
        discount_applications=[{"target_type": "line_item", "type": "discount_code",
                                "value": "10.0", "value_type": "percentage",
                                "allocation_method": "across", "target_selection": "all",
                                "code": "WINTER10"}],
        total_line_items_price="252.50", total_line_items_price_set=_set("252.50"),
        total_discounts="25.25", total_discounts_set=_set("25.25"),
        subtotal_price="227.25", subtotal_price_set=_set("227.25"),
        total_tax="21.06", total_tax_set=_set("21.06"),
        total_shipping_price_set=_set("10.00"),
        total_price="258.31", total_price_set=_set("258.31"),
        tax_lines=[{"title": "NY State Tax", "rate": 0.08875, "price": "21.06",
                    "price_set": _set("21.06")}])
    jacket, sock = payload["line_items"]
    for item, allocated, tax in ((jacket, "24.00", "19.17"), (sock, "1.25", "1.00")):
        item["price_set"] = _set(item["price"])
        item["total_discount"] = "0.00"     # deprecated: the allocations say it
        item["total_discount_set"] = _set("0.00")
        item["discount_allocations"] = [{"amount": allocated, "amount_set": _set(allocated),
                                         "discount_application_index": 0}]
        item["tax_lines"] = [{"title": "NY State Tax", "rate": 0.08875, "price": tax,
                              "price_set": _set(tax), "channel_liable": False}]
    [ship] = payload["shipping_lines"]
    ship.update(price_set=_set("10.00"), discounted_price="10.00",
                discounted_price_set=_set("10.00"),
                tax_lines=[{"title": "NY State Tax", "rate": 0.08875, "price": "0.89",
                            "price_set": _set("0.89")}])
    return payload


def test_shopify_order_keeps_shop_money(shopify):
    deliver(shopify, money_payload())
    assert events()[-1].status == "processed", events()[-1].last_error
    order = the_order(5550001)
    assert order.currency == "USD" and order.taxes_included is False
    jacket, sock = order.lines
    assert (jacket.unit_price, jacket.discount, jacket.tax) == (D("120.00"), D("24.00"),
                                                               D("19.17"))
    assert jacket.tax_lines == [{"title": "NY State Tax", "rate": "0.08875",
                                 "amount": "19.17"}]
    assert jacket.discount_allocations[0]["amount"] == "24.00"
    assert jacket.discount_allocations[0]["code"] == "WINTER10"
    assert (sock.discount, sock.tax) == (D("1.25"), D("1.00"))
    assert order.shipping_lines == [{"title": "Standard", "price": "10.00",
                                     "discount": "0.00", "tax": "0.89"}]
    assert (order.subtotal, order.discounts_total, order.tax_total, order.shipping_total,
            order.total) == (D("252.50"), D("25.25"), D("21.06"), D("10.00"), D("258.31"))
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.order_id == order.id,
            TimelineEvent.kind == "shopify.totals_mismatch")) == 0


def test_shopify_totals_that_do_not_add_up_are_recorded_not_refused(shopify):
    payload = money_payload()
    payload.update(total_price="258.30", total_price_set=_set("258.30"))
    deliver(shopify, payload)
    assert events()[-1].status == "processed", events()[-1].last_error
    order = the_order(5550001)
    assert order.total == D("258.31")  # Shopify's line amounts, added up by our rule
    with read_session() as session:
        [note] = session.scalars(select(TimelineEvent).where(
            TimelineEvent.order_id == order.id,
            TimelineEvent.kind == "shopify.totals_mismatch")).all()
    assert note.data["totals"] == {"total": {"stated": "258.30", "computed": "258.31"}}


def test_shopify_old_payload_without_money_sets_still_works(shopify):
    payload = load("orders_create")
    for item in payload["line_items"]:
        for key in ("price_set", "total_discount_set", "tax_lines", "discount_allocations"):
            item.pop(key, None)
    deliver(shopify, payload)
    assert events()[-1].status == "processed", events()[-1].last_error
    order = the_order()
    assert (order.subtotal, order.shipping_total, order.total) == \
        (D("252.50"), D("10.00"), D("262.50"))


def test_shopify_amounts_that_make_no_sense_fail_the_event_visibly(shopify):
    payload = money_payload()
    payload["line_items"][1]["discount_allocations"][0].update(
        amount="99.00", amount_set=_set("99.00"))
    deliver(shopify, payload)
    event = events()[-1]
    assert event.status == "failed"
    assert "discount" in event.last_error


@pytest.mark.parametrize("money", [EXCLUSIVE, {**EXCLUSIVE, "taxes_included": True}])
def test_a_new_orders_stored_totals_are_what_working_them_out_again_gives(channel, money):
    """Intake stores its pricing's totals without working out the open totals again (every
    unit of a new order is open): the two must agree, to the cent."""
    body = placed(channel.post(f"{API}/orders", {**order("W-tot"), **copy.deepcopy(money)}))
    stored = _stored(body["id"])
    before = (stored.subtotal, stored.discounts_total, stored.tax_total,
              stored.shipping_total, stored.total)
    money_view.refresh_totals(stored)
    assert (stored.subtotal, stored.discounts_total, stored.tax_total,
            stored.shipping_total, stored.total) == before
