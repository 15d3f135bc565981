"""The pure translation of Shopify's REST order payload (no database, no network)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from integrations.shopify import translate
from integrations.shopify.translate import TranslationError
from tests.e2e.test_shopify_webhooks import load

SHOP = "acme.myshopify.com"
ONE_STORE = {"48752903": "store-soho"}
TWO_STORES = {"48752903": "store-soho", "55": "store-brooklyn"}


def test_times_become_naive_utc():
    assert translate.parse_time("2025-11-20T10:15:03-05:00") == dt.datetime(2025, 11, 20, 15,
                                                                            15, 3)
    assert translate.parse_time("2025-11-20T15:15:03.000000Z") == dt.datetime(2025, 11, 20,
                                                                              15, 15, 3)
    assert translate.parse_time("yesterday") is None
    assert translate.parse_time(None) is None


@pytest.mark.parametrize("value", [123, "123", "gid://shopify/Location/123"])
def test_location_ids_are_digit_strings(value):
    assert translate.location_id(value) == "123"


def test_the_create_fixture_becomes_a_ship_order():
    order = load("orders_create")
    delivery = translate.decide_delivery(order, ONE_STORE)
    cmd = translate.to_place_order(order, SHOP, delivery)
    assert (cmd.channel, cmd.external_id, cmd.channel_name) == (
        "shopify", f"{SHOP}/820982911946154508", "#1001")
    assert cmd.method == "ship" and delivery.rule == "fallback_ship"
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.name, ln.external_id) for ln in cmd.lines] \
        == [("JKT-1", 2, Decimal("120.00"), "Alpine Jacket", "866550311766439020"),
            ("SOCK-1", 1, Decimal("12.50"), "Merino Sock", "141249953214522974")]
    assert cmd.address.line1 == "75 Spring Street, Apt 4"
    assert (cmd.address.region, cmd.address.postal_code, cmd.address.country) == ("NY",
                                                                                 "10012", "US")
    assert cmd.customer.account == f"shopify:{SHOP}:115310627314723954"
    assert (cmd.customer.email, cmd.customer.name, cmd.customer.region) == (
        "jon@example.com", "Jon Snow", "US")


def test_customer_details_fall_back_in_order():
    order = load("orders_create")
    order.update(customer=None, email="", phone=None)
    seen = translate.customer(order, SHOP)
    assert seen.account is None and seen.email is None
    assert seen.phone == "(212) 555-0148"          # the shipping address phone
    assert seen.name == "Jon Snow"                  # the shipping address name


def test_zero_zero_and_null_coordinates_are_unknown():
    order = load("orders_create")
    order["shipping_address"].update(latitude=0, longitude=0)
    assert translate.address(order).latitude is None
    order["shipping_address"].update(latitude="40.72", longitude=None)
    address = translate.address(order)
    assert (address.latitude, address.longitude) == (40.72, None)


def test_pos_sales_at_a_mapped_till_are_carry_out_and_elsewhere_an_error():
    pos = load("orders_create_pos")
    delivery = translate.decide_delivery(pos, ONE_STORE)
    assert (delivery.method, delivery.location, delivery.rule) == ("carry_out", "store-soho",
                                                                   "pos")
    with pytest.raises(TranslationError, match="not mapped"):
        translate.decide_delivery(pos, {"1": "store-brooklyn"})


def test_a_pos_ship_to_customer_order_is_not_a_counter_sale():
    order = load("orders_create")
    order.update(source_name="pos", location_id=48752903)
    assert translate.decide_delivery(order, ONE_STORE).method == "ship"


def test_fulfillment_orders_decide_when_we_have_them():
    order = load("orders_create_pickup")
    pick_up = [{"deliveryMethod": {"methodType": "PICK_UP"},
                "assignedLocation": {"location": {"id": "gid://shopify/Location/55"}}}]
    delivery = translate.decide_delivery(order, TWO_STORES, fulfillment_orders=pick_up)
    assert (delivery.method, delivery.location) == ("pickup", "store-brooklyn")
    with pytest.raises(TranslationError, match="not mapped"):
        translate.decide_delivery(order, ONE_STORE, fulfillment_orders=pick_up)
    shipping = [{"deliveryMethod": {"methodType": "SHIPPING"}, "assignedLocation": None}]
    assert translate.decide_delivery(order, ONE_STORE,
                                     fulfillment_orders=shipping).rule == "graphql_ship"


def test_fallback_pickup_needs_no_address_a_pickup_line_and_one_store():
    order = load("orders_create_pickup")
    order["shipping_lines"][0].update(code="custom", title="Pick up in store")
    assert translate.decide_delivery(order, ONE_STORE).location == "store-soho"
    ambiguous = translate.decide_delivery(order, TWO_STORES)
    assert ambiguous.method == "ship" and "2 locations" in ambiguous.detail
    with pytest.raises(TranslationError, match="no shipping address"):
        translate.to_place_order(order, SHOP, ambiguous)


def test_every_line_needs_a_sku():
    order = load("orders_create")
    order["line_items"][0]["sku"] = None
    with pytest.raises(TranslationError, match=r"line item 866550311766439020 .* has no SKU"):
        translate.lines(order)


def test_removed_and_returned_quantities():
    order = load("orders_updated")
    assert translate.current_quantity(order["line_items"][0]) == 1
    del order["line_items"][0]["current_quantity"]
    assert translate.current_quantity(order["line_items"][0]) == 2
    refund = load("refunds_create")
    refund["refund_line_items"][0]["restock_type"] = "return"
    order["refunds"] = [refund]
    assert translate.returned_quantities(order) == {"866550311766439020": 1}
    assert translate.refund_ids(order) == ["929361462"]
