"""Errors every package raises and the HTTP layer translates (see core.http)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of expected failures: each carries an HTTP status and a stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, Any] | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details


class InvalidInput(DomainError):
    status = 422
    code = "invalid"

    def __init__(self, field: str, problem: str, **details: Any):
        super().__init__(f"{field}: {problem}", fields={field: [problem]}, **details)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
