"""API keys with a role and, for the roles that work at nodes, the locations they work at.

A `wms` key belongs to the warehouse system of one or several warehouses, a `store` key to
one or several stores: both are created with their locations and act only there (a key of
these roles without locations acts nowhere). `admin` acts everywhere; `cs` and `channel`
keys need no location (a `cs` key may still be limited to some).

Only a SHA-256 of each key is stored: keys are 256-bit random strings, so a fast hash is as
strong as a slow one and lets every request look its key up by index.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from cachetools import TTLCache
from flask import g, request
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, get_database, read_session, unit_of_work, utcnow
from core.errors import Forbidden, InvalidInput, Unauthorized
from core.http import check_api_input

ROLES = ("admin", "channel", "wms", "store", "cs")
ROLES_NEEDING_LOCATION = ("wms", "store")
ROLES_WITHOUT_LOCATION = ("admin", "channel")  # admin acts everywhere, channels at no node
KEY_PREFIX = "oms_"


class ApiKey(Base):
    __tablename__ = "core_api_keys"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="known_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    # For channel keys: the sales channel they push orders for (None: any; reads own orders).
    channel: Mapped[str | None] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[Any] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[Any] = mapped_column(DateTime, nullable=True)


class ApiKeyLocation(Base):
    """A location a key may act at (codes, not a foreign key: core knows no inventory)."""

    __tablename__ = "core_api_key_locations"

    key_id: Mapped[int] = mapped_column(ForeignKey("core_api_keys.id"), primary_key=True)
    location_code: Mapped[str] = mapped_column(String(40), primary_key=True)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, or a staff user signed in to the web pages (`user_id` set,
    `key_id` 0: such a principal owns no Idempotency-Key records and creates no channel
    orders). Both go through the same role and location rules below."""

    key_id: int
    name: str
    role: str
    # The key's location when it has exactly one (kept for callers that name one location);
    # `locations` is the whole set and what every check uses.
    location: str | None = None
    channel: str | None = None
    locations: frozenset[str] = frozenset()
    user_id: int | None = None

    def __post_init__(self) -> None:
        locations = frozenset(self.locations) | ({self.location} if self.location else set())
        object.__setattr__(self, "locations", locations)
        if self.location is None and len(locations) == 1:
            object.__setattr__(self, "location", next(iter(locations)))

    @property
    def actor(self) -> str:
        """How this caller is named in the ledger and on timelines."""
        if self.user_id is not None:
            return f"user:{self.user_id}:{self.name}"
        return f"key:{self.key_id}:{self.name}"

    @property
    def scope(self) -> str:
        """The key's locations, for messages."""
        return ", ".join(sorted(self.locations)) or "no location"

    def may_act_at(self, location_code: str) -> bool:
        """admin: everywhere; wms and store: only at their locations (a key of these roles
        without locations acts nowhere); cs and channel: anywhere unless limited."""
        if self.role == "admin":
            return True
        if self.role in ROLES_NEEDING_LOCATION:
            return location_code in self.locations
        return not self.locations or location_code in self.locations


def check_scope(role: str, locations: Iterable[str], *, what: str,
                roles: tuple[str, ...] = ROLES) -> list[str]:
    """The one rule for which roles work at which locations, for API keys and staff users
    alike: the distinct, stripped location codes for `role`, or InvalidInput naming the field.
    wms and store need their location(s); admin acts everywhere and channels at no node, so
    they take none; cs may be limited to some. (Whether a code exists is the caller's check:
    core knows no locations.)"""
    if role not in roles:
        raise InvalidInput("role", f"must be one of {', '.join(roles)}")
    codes = sorted({c.strip() for c in locations if c and c.strip()})
    if role in ROLES_NEEDING_LOCATION and not codes:
        raise InvalidInput("location", f"a {role} {what} needs the location(s) it works at")
    if role in ROLES_WITHOUT_LOCATION and codes:
        raise InvalidInput("location", f"a {role} {what} has no location "
                           + ("(it acts everywhere)" if role == "admin" else
                              "(use --channel to scope a channel key)"))
    if any(len(c) > 40 for c in codes):
        raise InvalidInput("location", "location codes have at most 40 characters")
    return codes


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(role: str, *, name: str, location_code: str | None = None,
                   channel: str | None = None, locations: Iterable[str] = ()) -> str:
    """Store a new key's hash and return the key itself: the only time it exists in clear.
    `locations` (and/or the single `location_code`) are where a wms or store key works;
    the caller checks that they exist (core knows no locations)."""
    codes = check_scope(role, [*locations, location_code or ""], what="key")
    if channel and role != "channel":
        raise InvalidInput("channel", "only channel keys belong to a sales channel")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as uow:
        session = uow.session
        row = ApiKey(name=name, role=role, channel=channel, key_hash=hash_key(key),
                     display_prefix=key[:10])
        session.add(row)
        session.flush()
        session.add_all(ApiKeyLocation(key_id=row.id, location_code=c) for c in codes)
        uow.commit()
    return key


def revoke_api_key(key_or_prefix: str) -> str:
    """Revoke a key, named by the key itself or by the prefix shown for it (`oms_AbC123`,
    unique or refused). This process forgets it at once, others within AUTH_CACHE_SECONDS.
    Returns the key's name."""
    value = key_or_prefix.strip()
    with unit_of_work() as uow:
        rows = uow.session.scalars(select(ApiKey).where(
            ApiKey.revoked_at.is_(None),
            (ApiKey.key_hash == hash_key(value)) | (ApiKey.display_prefix == value))).all()
        if not rows:
            raise InvalidInput("key", "no key in use has this key or prefix")
        if len(rows) > 1:
            raise InvalidInput("key", "several keys have this prefix: give the whole key")
        [row] = rows
        row.revoked_at = utcnow()
        digest, name = row.key_hash, row.name
        uow.commit()
    memo = get_database().memo.get(_PRINCIPALS)
    if memo is not None:
        with _principals_lock:
            memo.pop(digest, None)
    return name


# A key's principal is remembered by each process for this long, so that a request costs no
# query for its key: a key revoked (`revoke_api_key`, or revoked_at set by SQL) is refused by
# every process within this many seconds. Unknown keys are never remembered.
AUTH_CACHE_SECONDS = float(os.environ.get("OMS_AUTH_CACHE_SECONDS", "10"))
_PRINCIPALS = "core.auth.principals"
_principals_lock = threading.Lock()


def authenticate(key: str) -> Principal | None:
    """The key's principal with its locations, or None if unknown or revoked: from this
    process's memo when it looked the key up in the last AUTH_CACHE_SECONDS, else one query."""
    digest = hash_key(key)
    memo = get_database().memo_table(
        _PRINCIPALS, lambda: TTLCache(maxsize=10_000, ttl=AUTH_CACHE_SECONDS))
    with _principals_lock:  # TTLCache is not thread-safe (gunicorn runs threads)
        principal = memo.get(digest)
    if principal is not None:
        return principal
    principal = _principal_of(digest)
    if principal is not None and AUTH_CACHE_SECONDS > 0:
        with _principals_lock:
            memo[digest] = principal
    return principal


def _principal_of(digest: str) -> Principal | None:
    with read_session() as session:
        rows = session.execute(
            select(ApiKey, ApiKeyLocation.location_code)
            .outerjoin(ApiKeyLocation, ApiKeyLocation.key_id == ApiKey.id)
            .where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
        ).all()
    if not rows:
        return None
    row = rows[0][0]
    return Principal(key_id=row.id, name=row.name, role=row.role, channel=row.channel,
                     locations=frozenset(code for _, code in rows if code))


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise Unauthorized("authentication required")
    return principal


F = TypeVar("F", bound=Callable[..., Any])


def require_roles(*roles: str) -> Callable[[F], F]:
    """Reject callers without a valid key (401) or with a role outside `roles` (403).
    `admin` is always allowed."""
    allowed = {"admin", *roles}

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("send 'Authorization: Bearer <api-key>'")
            principal = authenticate(token.strip())
            if principal is None:
                raise Unauthorized("unknown or revoked API key")
            if principal.role not in allowed:
                raise Forbidden(f"role '{principal.role}' may not do this")
            g.principal = principal
            check_api_input()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def require_location(location_code: str) -> None:
    """403 unless the current caller may act at `location_code`."""
    principal = current_principal()
    if not principal.may_act_at(location_code):
        who = "this key" if principal.user_id is None else f"user '{principal.name}'"
        raise Forbidden(
            f"{who} acts at {principal.scope}, not at '{location_code}'",
            fields={"location": [f"outside the scope of {who} ({principal.scope})"]},
        )
