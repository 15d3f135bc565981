"""`Idempotency-Key` for POSTs that create: a retry with the same key and body gets the
original response; the same key with another body gets 409.

The key is recorded inside the very transaction that commits the request's effect: the view
hands `joined_work()` to its use case, which joins it to its unit of work. An effect can never
be committed without its key, and two concurrent requests with one key cannot both commit: the
second hits the unique constraint and its whole transaction rolls back.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import current_principal
from core.db import Base, UnitOfWork, read_session, unit_of_work, utcnow
from core.errors import Conflict, InvalidInput

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyKey(Base):
    __tablename__ = "core_idempotency_keys"
    __table_args__ = (UniqueConstraint("api_key_id", "key", name="uq_core_idempotency_owner_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[Any] = mapped_column(DateTime, default=utcnow)


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _find(api_key_id: int, key: str) -> IdempotencyKey | None:
    with read_session() as session:
        return session.scalars(
            select(IdempotencyKey).where(
                IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key)
        ).first()


def _replay(record: IdempotencyKey, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise Conflict(
            "this Idempotency-Key was used with a different request",
            fields={HEADER: ["already used with a different body or path"]},
        )
    if record.status_code is None:
        raise Conflict(
            "the original request with this Idempotency-Key took effect but its response was "
            "not recorded; look the resource up instead of retrying",
        )
    response = current_app.response_class(
        record.response_body, status=record.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


F = TypeVar("F", bound=Callable[..., Any])

# How the API document states the header (flask-smorest reads `_apidoc` off the view).
PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "description": "Retry safely: the same key and body get the original answer "
                   "(`Idempotent-Replayed: true`); the same key with another body is a 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": r"\S"},
}


@dataclass(frozen=True)
class Claim:
    """This request's key, to be recorded in the transaction of its effect."""

    api_key_id: int
    key: str
    request_hash: str

    def record(self, uow: UnitOfWork) -> None:
        uow.session.add(IdempotencyKey(api_key_id=self.api_key_id, key=self.key,
                                       request_hash=self.request_hash))


def joined_work() -> tuple[Callable[[UnitOfWork], None], ...]:
    """For an `@idempotent` view to hand to its use case: the work that records the request's
    key in the use case's own transaction (nothing when the request sent no key)."""
    claim = g.get("idempotency_claim")
    return (claim.record,) if claim is not None else ()


def idempotent(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(HEADER, f"must be 1 to {MAX_KEY_LENGTH} characters")
        owner = current_principal().key_id
        request_hash = _request_hash()
        existing = _find(owner, key)
        if existing is not None:
            return _replay(existing, request_hash)

        g.idempotency_claim = Claim(owner, key, request_hash)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except IntegrityError:
            # A concurrent request with the same key committed first.
            existing = _find(owner, key)
            if existing is None:
                raise
            return _replay(existing, request_hash)
        if response.status_code < 300:
            _store_response(owner, key, response)
        return response

    doc = copy.deepcopy(getattr(view, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual["parameters"] = [*manual.get("parameters", []), PARAMETER]
    wrapper._apidoc = doc  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _store_response(owner: int, key: str, response: Response) -> None:
    body = response.get_data(as_text=True)
    json.loads(body)  # only JSON responses are replayed
    with unit_of_work() as uow:
        stored = uow.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.api_key_id == owner, IdempotencyKey.key == key)
            .values(status_code=response.status_code, response_body=body)
        )
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            # The effect committed without the key: a concurrent duplicate of the same
            # resource won the race (the use case answered with the existing one). Record it
            # now so that retries replay this answer.
            log.warning("%s: Idempotency-Key recorded after the effect", request.path)
            uow.session.add(IdempotencyKey(api_key_id=owner, key=key,
                                           request_hash=_request_hash(),
                                           status_code=response.status_code,
                                           response_body=body))
        with contextlib.suppress(IntegrityError):  # a concurrent retry recorded it first
            uow.commit()
