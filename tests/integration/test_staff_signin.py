"""Signing in against the database, on both databases: the throttle per username and per
client address (it holds across processes because it lives in the database), the generic
refusal, and the CHECK constraints of staff users."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.db import read_session, unit_of_work
from core.signin import SigninThrottle, seconds_to_wait, sign_in
from core.staff import StaffUser, create_staff_user, hash_password

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 12, 1, 9, 0, 0)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def ana(db):
    return create_staff_user("Ana.Store", "store", PASSWORD, "store-soho")


def test_the_right_password_signs_in_as_the_users_principal(ana):
    outcome = sign_in("ANA.store", PASSWORD, "10.0.0.1", at(0))
    assert outcome.principal is not None and outcome.wait_seconds == 0
    assert (outcome.principal.role, outcome.principal.locations) == ("store",
                                                                    frozenset({"store-soho"}))
    assert outcome.principal.actor == f"user:{ana.id}:ana.store"


def test_five_failures_are_free_then_the_username_waits_even_with_the_right_password(ana):
    for n in range(5):
        assert sign_in("ana.store", "wrong password", f"10.0.0.{n}", at(n)).principal is None
    # The 5th failure blocks the username for 1 s, from any address.
    assert sign_in("ana.store", PASSWORD, "10.9.9.9", at(4.5)).wait_seconds == 1
    assert sign_in("ana.store", "wrong password", "10.0.0.9", at(5)).principal is None
    assert seconds_to_wait("ana.store", "10.9.9.9", at(5)) == 2  # doubled
    assert sign_in("ana.store", PASSWORD, "10.9.9.9", at(7.1)).principal is not None
    # Signing in cleared the username's count: one more failure is free again.
    sign_in("ana.store", "wrong password", "10.9.9.9", at(8))
    assert seconds_to_wait("ana.store", "10.9.9.9", at(8)) == 0


def test_an_address_guessing_many_usernames_is_slowed_too(ana):
    for n in range(20):
        assert sign_in(f"nobody{n}", "wrong password", "203.0.113.7", at(n)).wait_seconds == 0
    assert sign_in("ana.store", PASSWORD, "203.0.113.7", at(19.5)).wait_seconds == 1
    assert sign_in("ana.store", PASSWORD, "198.51.100.1", at(19.5)).principal is not None


def test_unknown_users_and_wrong_passwords_get_the_same_answer_and_count_alike(ana):
    unknown = sign_in("nobody", PASSWORD, "10.0.0.1", at(0))
    wrong = sign_in("ana.store", "wrong password", "10.0.0.2", at(0))
    assert unknown == wrong == type(wrong)()
    for n in range(1, 5):  # with the one above: 5 failures for a username nobody has
        sign_in("nobody", "x", "10.0.1.1", at(n))
    assert seconds_to_wait("nobody", None, at(4.5)) == 1


def test_failures_long_ago_start_the_count_again(ana):
    for n in range(4):
        sign_in("ana.store", "wrong password", "10.0.0.1", at(n))
    sign_in("ana.store", "wrong password", "10.0.0.1", at(3 + 3601))
    assert seconds_to_wait("ana.store", "10.0.0.1", at(3 + 3601)) == 0
    with read_session() as session:
        assert session.scalar(select(SigninThrottle.failures).where(
            SigninThrottle.key == "ana.store")) == 1


def test_an_inactive_user_cannot_sign_in(ana):
    with unit_of_work() as uow:
        uow.session.get(StaffUser, ana.id).active = False
        uow.commit()
    assert sign_in("ana.store", PASSWORD, "10.0.0.1", at(0)).principal is None


def test_usernames_are_unique_whatever_their_case(ana):
    from core.errors import Conflict

    with pytest.raises(Conflict):
        create_staff_user("ANA.STORE", "cs", PASSWORD)
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1


@pytest.mark.parametrize("row", [
    {"username": "bob", "role": "store", "location_code": None},       # store without a store
    {"username": "bob", "role": "admin", "location_code": "store-soho"},  # admin is everywhere
    {"username": "Bob", "role": "cs", "location_code": None},          # not lowered
    {"username": "bob", "role": "root", "location_code": None},        # unknown role
])
def test_the_database_refuses_what_the_rules_refuse(db, row):
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.session.execute(insert(StaffUser).values(
            **row, password_hash=hash_password(PASSWORD), active=True, created_at=T0,
            password_changed_at=T0))
        uow.commit()
