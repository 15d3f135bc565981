"""What the customer-service pages do with form fields and views (web/cs.py): units asked
per line, location names in routing reasons and timelines, who did it, phones, money."""

from __future__ import annotations

from decimal import Decimal

from web.cs import money, phone, units_asked, who, with_place_names


def test_units_asked_per_line_with_an_error_per_field():
    assert units_asked({"q-7": "2", "q-8": "", "q-9": "0", "other": "5"}, "q-") == (
        [(7, 2)], {})
    wanted, errors = units_asked({"q-7": "3", "q-8": "x", "q-9": " 4 ", "q-x": "1"}, "q-")
    assert wanted == [(7, 3), (9, 4)]   # how many a line may give is the use case's rule
    assert errors == {"q-8": "Enter a whole number of units.",
                      "q-x": "Not a line of this order."}
    assert units_asked({"q-7": "-1"}, "q-")[1] == {"q-7": "Enter a whole number of units."}
    assert units_asked({"q-7": "99999999999"}, "q-")[1] == {
        "q-7": "Enter a whole number of units."}
    assert units_asked({"q-7": ""}, "q-") == ([], {
        "q-": "Enter how many units, on at least one line."})


def test_location_codes_read_as_names():
    names = {"dc-east": "DC East", "store-ny": "New York", "store-ny-2": "New York 2"}
    assert with_place_names("dc-east: all lines in stock; next best store-ny-2 cost 9",
                            names) == "DC East: all lines in stock; next best New York 2 cost 9"
    # Only whole codes: not inside another word or code.
    assert with_place_names("xdc-east, dc-eastern, store-ny.", names) == \
        "xdc-east, dc-eastern, New York."
    assert with_place_names("nothing here", {}) == "nothing here"


def test_who_did_it_and_how_phones_and_money_read():
    assert who("user:3:carla") == "carla"
    assert who("key:6:web-shop") == "API key web-shop"
    assert who("shopify:acme.myshopify.com") == "Shopify (acme.myshopify.com)"
    assert who("system") == "system"
    assert phone("+12125550148") == "(212) 555-0148"
    assert phone("+442079460958") == "+44 20 7946 0958"
    assert phone("not a phone") == "not a phone"
    assert money(Decimal("1262.5"), "USD") == "1,262.50 USD"
    assert money("7.5") == "7.50"
    assert money(None) == ""
