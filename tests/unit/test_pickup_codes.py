"""Pickup codes as people read them aloud and type them at a counter."""

from __future__ import annotations

import pytest

from fulfillment.work import (
    PICKUP_CODE_ALPHABET,
    grouped_code,
    normalise_code,
)


@pytest.mark.parametrize("typed", [
    "ABCD-EFGH", "abcdefgh", "abcd efgh", " AbCd - eFgH ", "AB CD EF GH", "abcd\u2013efgh",
    "abcd.efgh", "A-B-C-D-E-F-G-H",
])
def test_spacing_dashes_and_case_do_not_matter(typed):
    assert normalise_code(typed) == "ABCDEFGH"


def test_one_and_i_are_read_as_l():
    # Neither 1 nor I can be in a code (nor can 0 or O); a lower-case l looks like both.
    assert "L" in PICKUP_CODE_ALPHABET
    assert not {"0", "O", "1", "I"} & set(PICKUP_CODE_ALPHABET)
    assert normalise_code("1234-I2L3") == normalise_code("L234-L2L3") == "L234L2L3"


@pytest.mark.parametrize("typed", [
    "", "ABCDEFG", "ABCDEFGHJ", "ABCD-EFG0", "OBCDEFGH", "ABCD/EFGH", "ABCDÉFGH", "ABCD\u00a0",
])
def test_what_cannot_be_a_code(typed):
    assert normalise_code(typed) is None


def test_grouped_for_reading():
    assert grouped_code("ABCDEFGH") == "ABCD-EFGH"
    assert normalise_code(grouped_code("ZZ23Q9KM")) == "ZZ23Q9KM"
