"""The rules behind signing in: passwords, usernames, the throttle's delays, `next` targets,
and a staff user's principal (the API's, with the user named as the actor)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth import Principal
from core.errors import InvalidInput
from core.signin import RULES, USER, ThrottleRule
from core.staff import (
    check_password,
    check_username,
    hash_password,
    password_matches,
)
from web.pages import local_path


def test_passwords_are_hashed_with_argon2id_and_verified():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert password_matches(stored, "correct horse battery")
    assert not password_matches(stored, "correct horse batterY")
    assert not password_matches(None, "correct horse battery")  # unknown user: still hashed
    assert not password_matches("not-a-hash", "x")


@pytest.mark.parametrize(("password", "problem"), [
    ("short", "at least 10"),
    ("x" * 1025, "at most 1024"),
    ("Ana.Store.01", "username"),
])
def test_password_rules(password, problem):
    with pytest.raises(InvalidInput) as refused:
        check_password("ana.store.01", password)
    assert list(refused.value.fields) == ["password"]
    assert problem in refused.value.message


def test_a_long_enough_password_passes():
    assert check_password("ana", "a long passphrase") == "a long passphrase"


def test_usernames_are_case_insensitive_and_plain():
    assert check_username("  Ana.Store ") == "ana.store"
    for bad in ("a", "-ana", "ana lopez", "änä", "x" * 61):
        with pytest.raises(InvalidInput):
            check_username(bad)


def test_a_few_failures_are_free_then_each_doubles_the_wait_up_to_a_cap():
    rule = ThrottleRule(free=5, window=dt.timedelta(hours=1), max_delay=dt.timedelta(minutes=15))
    delays = [rule.delay_after(n).total_seconds() for n in range(1, 17)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4:10] == [1, 2, 4, 8, 16, 32]
    assert delays[-1] == 900 and max(delays) == 900
    assert rule.delay_after(10**6) == dt.timedelta(minutes=15)  # no overflow
    # A shop's tablets share one address: it gets more free failures than a username.
    assert RULES["address"].free > RULES[USER].free


@pytest.mark.parametrize("target", ["/stock", "/stock?q=jacket&location=store-soho", "/"])
def test_next_may_be_a_local_path(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "stock",
    "http:/evil", "/\x00", "/ok\nLocation: x", "javascript:alert(1)",
])
def test_next_never_leaves_the_site(target):
    assert local_path(target) is None


def test_a_staff_user_is_the_same_principal_as_a_key_and_named_as_a_user():
    user = Principal(key_id=0, user_id=7, name="ana.store", role="store",
                     locations=frozenset({"store-soho"}))
    key = Principal(key_id=3, name="till", role="store", locations=frozenset({"store-soho"}))
    assert user.may_act_at("store-soho") and not user.may_act_at("store-chicago")
    assert [user.may_act_at(c) for c in ("store-soho", "x")] == [
        key.may_act_at(c) for c in ("store-soho", "x")]
    assert user.actor == "user:7:ana.store" and key.actor == "key:3:till"
