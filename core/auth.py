"""API keys with a role and an optional location scope.

Only a SHA-256 of each key is stored: keys are 256-bit random strings, so a fast hash is as
strong as a slow one and lets every request look its key up by index.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import CheckConstraint, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, read_session, unit_of_work, utcnow
from core.errors import Forbidden, InvalidInput, Unauthorized
from core.http import check_api_input

ROLES = ("admin", "channel", "wms", "store", "cs")
ROLES_NEEDING_LOCATION = ("store",)
KEY_PREFIX = "oms_"


class ApiKey(Base):
    __tablename__ = "core_api_keys"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="known_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    location_code: Mapped[str | None] = mapped_column(String(40))
    # For channel keys: the sales channel they push orders for (None: any; reads own orders).
    channel: Mapped[str | None] = mapped_column(String(40))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[Any] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[Any] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class Principal:
    key_id: int
    name: str
    role: str
    location: str | None
    channel: str | None = None

    @property
    def actor(self) -> str:
        """How this caller is named in the ledger and on timelines."""
        return f"key:{self.key_id}:{self.name}"

    def may_act_at(self, location_code: str) -> bool:
        if self.role == "admin":
            return True
        return self.location is None or self.location == location_code


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(role: str, *, name: str, location_code: str | None = None,
                   channel: str | None = None) -> str:
    """Store a new key's hash and return the key itself: the only time it exists in clear."""
    if role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}")
    if role in ROLES_NEEDING_LOCATION and not location_code:
        raise InvalidInput("location", f"a {role} key needs the location it belongs to")
    if channel and role != "channel":
        raise InvalidInput("channel", "only channel keys belong to a sales channel")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as uow:
        session = uow.session
        session.add(ApiKey(
            name=name, role=role, location_code=location_code, channel=channel,
            key_hash=hash_key(key), display_prefix=key[:10],
        ))
        uow.commit()
    return key


def authenticate(key: str) -> Principal | None:
    with read_session() as session:
        row = session.scalars(
            select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    return Principal(key_id=row.id, name=row.name, role=row.role, location=row.location_code,
                     channel=row.channel)


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
        raise Forbidden(
            f"this key is scoped to location '{principal.location}', not '{location_code}'",
            fields={"location": [f"outside this key's scope ({principal.location})"]},
        )
