"""Orders on hold in the order rules, and the search keys derived from names and phones."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from oms.domain import LineCounts, check_transition, rolled_up_status
from oms.identity import phone_reversed, phone_tail_key, surname_key


def test_a_held_order_stays_on_hold_until_released_or_every_unit_is_cancelled():
    two = [LineCounts(2, 0, 0, 0, 0), LineCounts(1, 0, 0, 0, 1)]
    assert rolled_up_status(two, routed_once=True, held=True) == "on_hold"
    gone = [LineCounts(2, 0, 0, 0, 2)]
    assert rolled_up_status(gone, routed_once=True, held=True) == "cancelled"


@pytest.mark.parametrize("new", ["received", "cancelled"])
def test_a_hold_ends_by_release_or_cancellation(new):
    check_transition("on_hold", new)
    check_transition("received", "on_hold")


@pytest.mark.parametrize("new", ["routed", "backordered", "needs_attention", "fulfilled",
                                 "partially_fulfilled", "closed"])
def test_nothing_else_leaves_a_hold(new):
    with pytest.raises(Conflict):
        check_transition("on_hold", new)


@pytest.mark.parametrize("name, key", [("jon snow", "snow"), ("ludwig van beethoven",
                                                              "beethoven"),
                                       ("cher", None), (None, None), ("", None)])
def test_surname_is_the_last_word_of_a_name_with_several(name, key):
    assert surname_key(name) == key


def test_phone_digits_reversed_make_a_tail_a_prefix():
    stored = phone_reversed("+12125550148")
    assert stored == "84105552121"
    for typed in ("555-0148", "5550148", "(212) 555-0148", "+1 212 555 0148"):
        assert stored.startswith(phone_tail_key(typed)), typed
    assert phone_tail_key("0148") is None              # fewer than 7 digits
    assert phone_tail_key("jon@example.com") is None
    assert phone_tail_key("1Z999AA10123456784") is None  # a tracking number, not a phone
    assert phone_reversed(None) is None
