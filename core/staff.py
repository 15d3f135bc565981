"""Staff users of the web pages: a username, a password (argon2id hash), a role and, for store
staff, a home store. A signed-in user is the same `Principal` an API key is, so the pages go
through the same role and location rules as the API (`core.auth`).

argon2-cffi (argon2id, RFC 9106's low-memory profile) hashes the passwords: it is maintained,
memory-hard (a stolen table is costly to attack on GPUs, unlike PBKDF2) and rehashes
transparently when its parameters change (`needs_rehash` at sign-in).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import Principal, check_scope
from core.db import Base, read_session, sql_in, unit_of_work, utcnow
from core.errors import Conflict, InvalidInput

STAFF_ROLES = ("store", "cs", "admin")
# Lower-case ASCII only: usernames are compared case-insensitively by storing them lowered,
# which the database can check (SQLite's lower() only folds ASCII).
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 takes any length; this bounds the work one sign-in can cause

_hasher = PasswordHasher()
# Verified when the username is unknown, so that a wrong username costs the same time as a
# wrong password and the answer's timing does not say which one was wrong.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class StaffUser(Base):
    __tablename__ = "core_staff_users"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in(STAFF_ROLES)})", name="known_role"),
        CheckConstraint("role <> 'store' OR location_code IS NOT NULL", name="store_has_location"),
        CheckConstraint("role <> 'admin' OR location_code IS NULL", name="admin_everywhere"),
        CheckConstraint("username = lower(username)", name="username_lowercase"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    # Home store (store staff) or the one location a cs user is limited to: a code, not a
    # foreign key, as for API keys (core knows no inventory).
    location_code: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_signed_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME.fullmatch(name):
        raise InvalidInput("username", "2 to 60 characters: letters, digits, '.', '_' or '-', "
                                       "starting with a letter or digit")
    return name


def check_password(username: str, password: str) -> str:
    """The password rules: long enough to resist guessing, bounded, not the username."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("password", f"at most {MAX_PASSWORD} characters")
    if normalise_username(password) == normalise_username(username):
        raise InvalidInput("password", "must not be the username")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Verify in constant work whether or not there is a hash (None: an unknown user)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def session_fingerprint(user: StaffUser) -> str:
    """Goes into the signed session cookie: a new password (or a role or store change) makes
    every older session invalid. A digest, because the cookie is readable by its holder."""
    material = f"{user.password_hash}|{user.role}|{user.location_code}"
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def principal_of(user: StaffUser) -> Principal:
    """The same principal an API key of that role and location would be."""
    return Principal(key_id=0, user_id=user.id, name=user.username, role=user.role,
                     locations=frozenset({user.location_code} if user.location_code else ()))


def create_staff_user(username: str, role: str, password: str,
                      location_code: str | None = None) -> StaffUser:
    """Store a new user (the caller checks that the location exists: core knows none).
    InvalidInput names the field at fault; a taken username is a Conflict."""
    name = check_username(username)
    codes = check_scope(role, [location_code or ""], what="user", roles=STAFF_ROLES)
    if len(codes) > 1:
        raise InvalidInput("location", "a staff user has one home location")
    check_password(name, password)
    user = StaffUser(username=name, role=role, location_code=codes[0] if codes else None,
                     password_hash=hash_password(password), active=True)
    with unit_of_work() as uow:
        if uow.session.scalar(select(StaffUser.id).where(StaffUser.username == name)):
            raise Conflict(f"username '{name}' is taken", fields={"username": ["taken"]})
        uow.session.add(user)
        try:
            uow.commit()
        except IntegrityError:  # created by someone else since the check
            raise Conflict(f"username '{name}' is taken",
                           fields={"username": ["taken"]}) from None
    return user


def set_password(username: str, password: str) -> StaffUser:
    """Give an existing user a new password (every session they had ends)."""
    name = normalise_username(username)
    check_password(name, password)
    new_hash = hash_password(password)
    with unit_of_work() as uow:
        user = uow.session.scalar(select(StaffUser).where(StaffUser.username == name))
        if user is None:
            raise InvalidInput("username", f"no user '{name}'")
        user.password_hash = new_hash
        user.password_changed_at = utcnow()
        uow.commit()
    return user


def find_user(username: str) -> StaffUser | None:
    with read_session() as session:
        return session.scalar(select(StaffUser).where(
            StaffUser.username == normalise_username(username)))


def active_user(user_id: int) -> StaffUser | None:
    with read_session() as session:
        user = session.get(StaffUser, user_id)
    return user if user is not None and user.active else None
