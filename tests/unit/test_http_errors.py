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
