"""The contract's error body: webargs' nested messages become dotted field names."""

import pytest

from core.errors import InvalidInput
from core.http import _flatten, decode_cursor, encode_cursor


def test_flatten_nested_and_listed_messages():
    messages = {"sku": ["Missing data for required field."],
                "lines": {0: {"quantity": ["Not a valid integer."]}},
                "_schema": ["Invalid input type."]}
    assert _flatten(messages) == {
        "sku": ["Missing data for required field."],
        "lines.0.quantity": ["Not a valid integer."],
        "_schema": ["Invalid input type."],
    }


def test_cursor_round_trip_and_garbage():
    assert decode_cursor(encode_cursor(12345)) == 12345
    assert decode_cursor(None) is None
    with pytest.raises(InvalidInput) as err:
        decode_cursor("!!not-a-cursor")
    assert "cursor" in err.value.fields


def test_unstorable_text_is_found_by_its_dotted_path():
    from core.http import find_unstorable

    assert find_unstorable({"lines": [{"sku": "JKT-1"}, {"sku": "A\x00B"}]}) == "lines.1.sku"
    assert find_unstorable({"customer": {"name": "Ann \ud800"}}) == "customer.name"
    assert find_unstorable({"note": "ok", "n": 1, "tags": ["é", "☃", "😀"]}) is None
    deep: list = []
    for _ in range(50_000):  # deeper than Python's recursion limit: walked without recursing
        deep = [deep]
    assert find_unstorable(deep) is None


@pytest.mark.parametrize("raw", ["[" * 50_000 + "]" * 50_000, '{"sku": 1' + "0" * 5000 + "}",
                                 '{"quantity": NaN}', '{"x": Infinity}', "{not json"])
def test_bodies_the_parser_cannot_hold_are_a_400(raw):
    from core.http import BadRequestBody, parse_json_body

    with pytest.raises(BadRequestBody) as err:
        parse_json_body(raw)
    assert err.value.status == 400 and "_body" in err.value.fields


def test_a_deadlock_that_outlasts_the_retries_is_a_503_with_retry_after():
    from flask import Flask
    from sqlalchemy.exc import OperationalError

    from core.http import OmsApi, register_error_handlers

    class Deadlock(Exception):
        sqlstate = "40P01"

    app = Flask("t")
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    app.extensions["oms_api"] = OmsApi(app)
    register_error_handlers(app)

    @app.get("/busy")
    def busy():
        raise OperationalError("UPDATE inv_balances ...", {}, Deadlock())

    response = app.test_client().get("/busy")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "busy"


@pytest.mark.parametrize(("sent", "loaded"), [("12.50", "12.50"), ("0", "0"), ("7.5", "7.5"),
                                              ("10000000", "10000000"),
                                              ("10000000.00", "10000000.00")])
def test_money_is_a_decimal_string(sent, loaded):
    from decimal import Decimal

    from core.http import Money

    assert Money().deserialize(sent) == Decimal(loaded)


@pytest.mark.parametrize("sent", [12.5, 12, "12.505", "-1", "-0", "10000000.01", "1e3", "NaN",
                                  "", " 1", "١٢", True, None])
def test_money_refuses_numbers_and_what_no_price_column_holds(sent):
    from marshmallow import ValidationError

    from core.http import Money

    with pytest.raises(ValidationError):
        Money().deserialize(sent)
