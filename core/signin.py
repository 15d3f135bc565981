"""Signing staff in, with repeated failures slowed down per username and per client address.

The counters live in the database (`core_signin_throttle`), so they hold across gunicorn
processes and hosts and survive restarts; Flask-Limiter would need Redis for that, which the
embedded mode does not have. A few failures are free (typos); after that each failure blocks
further attempts for twice as long as the last, up to a cap. While blocked, an attempt is
refused before the password is looked at, with the same answer whether the username exists or
not. The address allows more failures than a username: a shop's tablets share one address.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import (
    DateTime,
    Index,
    Integer,
    String,
    UniqueConstraint,
    case,
    delete,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from core.auth import Principal
from core.db import Base, read_session, unit_of_work, utcnow
from core.staff import (
    MAX_PASSWORD,
    StaffUser,
    find_user,
    hash_password,
    needs_rehash,
    normalise_username,
    password_matches,
    principal_of,
)

USER, ADDRESS = "user", "address"


@dataclass(frozen=True)
class ThrottleRule:
    """`free` failures within `window` cost nothing; the next blocks for 1 s, then 2, 4, ...
    up to `max_delay`. A failure after `window` of quiet starts the count again."""

    free: int
    window: dt.timedelta
    max_delay: dt.timedelta

    def delay_after(self, failures: int) -> dt.timedelta:
        if failures < self.free:
            return dt.timedelta(0)
        seconds = 2 ** min(failures - self.free, 30)
        return min(dt.timedelta(seconds=seconds), self.max_delay)


RULES = {
    USER: ThrottleRule(free=5, window=dt.timedelta(hours=1), max_delay=dt.timedelta(minutes=15)),
    ADDRESS: ThrottleRule(free=20, window=dt.timedelta(hours=1),
                          max_delay=dt.timedelta(minutes=15)),
}


class SigninThrottle(Base):
    __tablename__ = "core_signin_throttle"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_core_signin_throttle_scope_key"),
        Index("ix_core_signin_throttle_last_failed_at", "last_failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))   # USER or ADDRESS
    key: Mapped[str] = mapped_column(String(100))    # the lowered username, or the address
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


@dataclass(frozen=True)
class SignIn:
    """The outcome: a principal, or `wait_seconds` > 0 (throttled: nothing was checked), or
    neither (wrong username or password: deliberately not saying which)."""

    principal: Principal | None = None
    user: StaffUser | None = None
    wait_seconds: int = 0


def throttle_keys(username: str, address: str | None) -> list[tuple[str, str]]:
    return [(USER, normalise_username(username)[:100]), (ADDRESS, (address or "unknown")[:100])]


def seconds_to_wait(username: str, address: str | None, now: dt.datetime | None = None) -> int:
    """How long before this username or address may try again (0: now)."""
    at = now or utcnow()
    keys = throttle_keys(username, address)
    with read_session() as session:
        blocks = session.scalars(select(SigninThrottle.blocked_until).where(
            SigninThrottle.blocked_until > at, or_(*(_is(scope, key) for scope, key in keys)),
        )).all()
    ends = [block for block in blocks if block is not None]
    if not ends:
        return 0
    return max(1, math.ceil(max((end - at).total_seconds() for end in ends)))


def _is(scope: str, key: str) -> ColumnElement[bool]:
    return (SigninThrottle.scope == scope) & (SigninThrottle.key == key)


def sign_in(username: str, password: str, address: str | None,
            now: dt.datetime | None = None) -> SignIn:
    """Check a username and password. Throttled attempts are refused first; the password is
    verified outside any transaction (argon2 takes tens of milliseconds); then one unit of
    work records the outcome."""
    now = now or utcnow()
    wait = seconds_to_wait(username, address, now)
    if wait:
        return SignIn(wait_seconds=wait)
    user = find_user(username) if len(username) <= 100 else None
    known = user is not None and user.active
    ok = len(password) <= MAX_PASSWORD and password_matches(
        user.password_hash if known and user is not None else None, password)
    if not ok or user is None:
        record_failure(username, address, now)
        return SignIn()
    record_success(user, password, address, now)
    return SignIn(principal=principal_of(user), user=user)


def record_failure(username: str, address: str | None, now: dt.datetime) -> None:
    with unit_of_work() as uow:
        session = uow.session
        for scope, key in throttle_keys(username, address):
            _count_failure(session, scope, key, now)
        # Old counters go as new failures come: an attacker spraying usernames does not grow
        # the table without bound.
        oldest = now - max(rule.window for rule in RULES.values())
        session.execute(delete(SigninThrottle).where(
            SigninThrottle.last_failed_at < oldest,
            (SigninThrottle.blocked_until.is_(None)) | (SigninThrottle.blocked_until < now)))
        uow.commit()


def _count_failure(session: Session, scope: str, key: str, now: dt.datetime) -> None:
    rule = RULES[scope]
    # SQL-side arithmetic: two failures at once both count (PostgreSQL re-reads the row after
    # waiting for the other's lock; SQLite writers are serialised).
    counted = session.execute(
        sql_update(SigninThrottle).where(_is(scope, key)).values(
            failures=case((SigninThrottle.last_failed_at < now - rule.window, 1),
                          else_=SigninThrottle.failures + 1),
            last_failed_at=now)).rowcount  # type: ignore[attr-defined]
    if not counted:
        try:
            with session.begin_nested():
                session.add(SigninThrottle(scope=scope, key=key, failures=1, last_failed_at=now))
        except IntegrityError:  # another first failure got there: count on its row
            _count_failure(session, scope, key, now)
            return
    failures = session.scalar(select(SigninThrottle.failures).where(_is(scope, key)))
    delay = rule.delay_after(failures or 0)
    if delay:
        session.execute(sql_update(SigninThrottle).where(_is(scope, key))
                        .values(blocked_until=now + delay))


def record_success(user: StaffUser, password: str, address: str | None,
                   now: dt.datetime) -> None:
    """The username's counter is cleared (the address's stays: one good account must not
    reset the count of an address guessing at others); a hash made with older parameters is
    replaced."""
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    with unit_of_work() as uow:
        session = uow.session
        session.execute(delete(SigninThrottle).where(_is(USER, user.username)))
        values: dict = {"last_signed_in_at": now}
        if new_hash:
            values["password_hash"] = new_hash
        session.execute(sql_update(StaffUser).where(StaffUser.id == user.id).values(**values))
        uow.commit()
    if new_hash:
        user.password_hash = new_hash  # the session's fingerprint is made from it
