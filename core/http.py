"""The HTTP conventions of the API contract, written once: error bodies, pagination cursors,
money, and how the OpenAPI document states them (the error responses every operation shares)."""

from __future__ import annotations

import base64
import http
import json
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from apispec import BasePlugin
from flask import Flask, jsonify, request
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core import observe
from core.db import (
    STATEMENT_TIMEOUT,
    database_unavailable,
    get_database,
    is_transient,
    timeout_cause,
)
from core.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

MAX_PAGE = 500


def error_body(code: str, message: str, fields_: dict[str, Any] | None = None,
               details: dict[str, Any] | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields_ or {}}
    if details:
        body["details"] = details
    return {"error": body}


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests errors by location and path; the contract names fields by dotted path."""
    if isinstance(messages, list | tuple | str):
        items = [messages] if isinstance(messages, str) else messages
        if all(isinstance(m, str) for m in items):
            return {prefix or "_body": list(items)}
        out: dict[str, list[str]] = {}
        for i, m in enumerate(items):
            out.update(_flatten(m, f"{prefix}.{i}" if prefix else str(i)))
        return out
    out = {}
    for key, value in messages.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


class ErrorDetailOut(Schema):
    class Meta:
        unknown = INCLUDE  # the body may gain keys

    code = fields.String(required=True, metadata={
        "description": "stable machine-readable code, e.g. `invalid`, `not_found`, `conflict`, "
                       "`insufficient_stock`, `unauthorized`, `forbidden`, `bad_request`, "
                       "`unsupported_media_type`, `method_not_allowed`"})
    message = fields.String(required=True, metadata={"description": "for people"})
    fields_ = fields.Dict(
        data_key="fields", required=True, keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "problems by dotted field name (`lines.0.sku`), query "
                                 "parameter, path part or header; `_body` for the body as a "
                                 "whole"})
    details = fields.Dict(metadata={"description": "facts about a conflict, e.g. `held`, "
                                                   "`requested`"})


class ErrorOut(Schema):
    """The contract's error body: `{"error": {"code", "message", "fields", "details"?}}`."""

    class Meta:
        unknown = INCLUDE

    error = fields.Nested(ErrorDetailOut, required=True)


# The error responses of the document: (name, status, description). Every /api/v1 operation
# gets 401, 403, 422, 429 and 503; those with a path parameter 404; those with a body 400, 413
# and 415 (ErrorResponsesPlugin). 409 is stated per operation where a state conflict can
# happen.
ERROR_RESPONSES = {
    400: ("BAD_REQUEST", "The body is not JSON this API can read (malformed, NaN, nested too "
                         "deeply)."),
    401: ("UNAUTHORIZED", "No API key, or an unknown or revoked one: send "
                          "`Authorization: Bearer <key>`."),
    403: ("FORBIDDEN", "The key's role, location or channel may not do this."),
    404: ("NOT_FOUND", "The resource named in the path does not exist."),
    409: ("CONFLICT", "The resource's state does not allow this (e.g. `insufficient_stock`, "
                      "already shipped, a live lease held by another key, an "
                      "`Idempotency-Key` reused with another body)."),
    413: (http.HTTPStatus(413).name, "The body is larger than this API accepts (`too_large`; "
                                     "`details.max_bytes`); nothing was read or changed."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "A body was sent without `Content-Type: application/json`."),
    422: ("UNPROCESSABLE_ENTITY", "Invalid input: `fields` names each field, query parameter, "
                                  "path part or header and what is wrong with it."),
    429: (http.HTTPStatus(429).name, "This API key (or, without one, this address) sent more "
                                     "requests than its rate limit allows (`too_many_requests`;"
                                     " `details.limit`); the request was not run, nothing was "
                                     "changed: retry after `Retry-After` seconds."),
    503: ("SERVICE_UNAVAILABLE", "The database stayed busy with conflicting changes after "
                                 "retries (`busy`: nothing was changed), did not answer "
                                 "within its time limit (`timeout`), or could not be reached "
                                 "(`unavailable`: a restart, a failover); retry after "
                                 "`Retry-After` "
                                 "seconds (with the same `Idempotency-Key`, a write is never "
                                 "made twice)."),
}
RETRY_AFTER_HEADER = {"Retry-After": {"description": "seconds to wait before retrying",
                                      "schema": {"type": "integer"}}}


class ErrorResponsesPlugin(BasePlugin):
    """Documents the errors every API operation shares, so no view has to repeat them."""

    def operation_helper(self, path: str | None = None,
                         operations: dict | None = None, **kwargs: Any) -> None:
        if not path or not path.startswith("/api/") or not operations:
            return
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            # Rate limits and database time limits apply to reads and writes alike.
            statuses = [401, 403, 422, 429, 503]
            if "{" in path:
                statuses.append(404)
            if "requestBody" in operation:
                statuses += [400, 413, 415]
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                responses.setdefault(str(status), ERROR_RESPONSES[status][0])


class OmsApi(Api):
    """flask-smorest's Api with the contract's error body instead of its own, in the answers
    and in the document."""

    ERROR_SCHEMA = ErrorOut
    # No catch-all `default` response: each operation lists the statuses it can answer.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, *, extra_plugins=None, **options):
        plugins = [*(extra_plugins or ()), ErrorResponsesPlugin()]
        super()._init_spec(extra_plugins=plugins, **options)

    def _register_responses(self) -> None:
        super()._register_responses()
        for name, description in ERROR_RESPONSES.values():
            self.spec.components.responses_lazy[name]["description"] = description
        for status in (429, 503):
            name = ERROR_RESPONSES[status][0]
            self.spec.components.responses_lazy[name]["headers"] = dict(RETRY_AFTER_HEADER)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        if messages:
            # Drop the webargs location level ("json", "query"): callers think in fields.
            if isinstance(messages, dict) and set(messages) <= {"json", "query", "form",
                                                                  "view_args", "headers"}:
                merged: dict[str, Any] = {}
                for value in messages.values():
                    if isinstance(value, dict):
                        merged.update(value)
                    else:
                        merged.setdefault("_body", []).extend(value)
                messages = merged
            fields_ = _flatten(messages)
            first = next(iter(fields_.items()))
            message = data.get("message") or f"{first[0]}: {first[1][0]}"
        else:
            fields_ = {}
            message = data.get("message") or error.description or error.name
        code = error.name.lower().replace(" ", "_")
        if error.code == 422:
            code = "invalid"
        if (error.code or 500) >= 500:
            log.error("HTTP %s: %s", error.code, message,
                      extra={**observe.request_facts(), "status": error.code})
        # The exception's own headers (a 405's `Allow`), without its HTML Content-Type.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return jsonify(error_body(code, message, fields_)), error.code, headers


# Text no column can store: PostgreSQL refuses NUL in text, and a lone UTF-16 surrogate (JSON
# allows "\ud800") cannot be encoded as UTF-8 by any driver.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_PROBLEM = "contains a NUL character or an unpaired Unicode surrogate"
CHECKED_HEADERS = ("Idempotency-Key",)


def find_unstorable(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) no database can store, if any.
    Iterative: a parsed body may be nested as deep as the JSON parser allows."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            if UNSTORABLE.search(node):
                return where or "_body"
        elif isinstance(node, dict):
            for key, item in node.items():
                child = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and UNSTORABLE.search(key):
                    return where or "_body"
                stack.append((item, child))
        elif isinstance(node, list):
            stack.extend((item, f"{where}.{i}" if where else str(i))
                         for i, item in enumerate(node))
    return None


def check_api_input() -> None:
    """Before an API view parses its input (called once the caller is authenticated, so an
    unknown caller still gets 401 first): a body that is not JSON we can hold, or text no
    column can store, is the caller's error (400/422 naming the field), not a 500 from deep
    inside a use case. A body sent as anything but JSON is a 415 naming `Content-Type` (not
    "every field is missing"). Malformed JSON the parser itself chokes on (nesting deeper than its
    recursion limit, integers longer than Python converts) is caught here as well."""
    for name in CHECKED_HEADERS:
        if name in request.headers and UNSTORABLE.search(request.headers[name]):
            raise InvalidInput(name, UNSTORABLE_PROBLEM)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and UNSTORABLE.search(value):
            raise InvalidInput(name, UNSTORABLE_PROBLEM)
    for name, value in request.args.items(multi=True):
        if UNSTORABLE.search(name) or UNSTORABLE.search(value):
            raise InvalidInput(name, UNSTORABLE_PROBLEM)
    raw = request.get_data(cache=True)
    if not raw:
        return
    if not request.is_json:
        if request.method in ("POST", "PUT", "PATCH"):
            raise UnsupportedBody(request.mimetype)
        return
    body = parse_json_body(raw)
    where = find_unstorable(body)
    if where is not None:
        raise InvalidInput(where, UNSTORABLE_PROBLEM)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json_body(raw: bytes | str) -> Any:
    """Strict JSON (no NaN or Infinity, which Python's parser accepts and no database column
    or JSON consumer does), with the parser's own failures as a 400."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise BadRequestBody("nested too deeply to be an order, a movement or any request "
                             "of this API") from exc
    except ValueError as exc:  # not JSON, bad encoding, or an integer too long to convert
        raise BadRequestBody(f"not valid JSON: {exc}") from exc


class UnsupportedBody(DomainError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, mimetype: str):
        sent = f"'{mimetype}'" if mimetype else "no Content-Type"
        super().__init__(f"the body was sent with {sent}; send it as "
                         "Content-Type: application/json",
                         fields={"Content-Type": ["must be application/json"]})


class BadRequestBody(DomainError):
    status = 400
    code = "bad_request"

    def __init__(self, problem: str):
        super().__init__(f"request body: {problem}", fields={"_body": [problem]})


def _first_line(value: object) -> str:
    lines = str(value).strip().splitlines()
    return lines[0] if lines else type(value).__name__


def too_large_body(limit: int | None) -> dict:
    """The 413 body: a request larger than the app's MAX_CONTENT_LENGTH (OMS_MAX_BODY_BYTES)
    or than a route's own limit (`request.max_content_length`)."""
    problem = (f"larger than the {limit} bytes this API accepts" if limit
               else "larger than this API accepts")
    return error_body("too_large", f"request body: {problem}", {"_body": [problem]},
                      {"max_bytes": limit} if limit else None)


# How long a client should wait after the database cut its request short (seconds).
TIMEOUT_RETRY_AFTER = 2


def timeout_body(cause: str) -> dict:
    """The 503 body when the database cut a statement of the request short (core.db's
    `timeout_cause`): a server-side condition, not the caller's fault nor a defect that a
    500 would report, and one a retry may get past once the database is less loaded; with
    the same Idempotency-Key a write that did commit is replayed, never made twice."""
    timeouts = get_database().timeouts
    if cause == STATEMENT_TIMEOUT:
        limit = timeouts.statement_ms
        message = (f"the database did not finish within the statement timeout ({limit} ms)"
                   if limit else "the database cancelled the statement")
    else:
        limit = timeouts.lock_ms
        message = ("the database waited too long for rows another request holds"
                   + (f" (lock timeout {limit} ms)" if limit else ""))
    details: dict[str, Any] = {"cause": cause}
    if limit:
        details["limit_ms"] = limit
    return error_body("timeout", f"{message}; retry after {TIMEOUT_RETRY_AFTER} s", None,
                      details)


# How long a client should wait when the database could not be reached (seconds): about what
# a PostgreSQL restart or a replica promotion takes.
UNAVAILABLE_RETRY_AFTER = 2


def unavailable_body() -> dict:
    """The 503 body when the database could not be reached or went away under the request
    (core.db's `database_unavailable`: a restart, a failover)."""
    return error_body("unavailable", "the database is not reachable right now (a restart or "
                      f"failover); retry after {UNAVAILABLE_RETRY_AFTER} s: with the same "
                      "Idempotency-Key a write that did commit is answered, never made twice")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return jsonify(error_body(err.code, err.message, err.fields, err.details)), err.status

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(err: RequestEntityTooLarge):
        # Raised by Werkzeug when a view (or check_api_input) reads a body longer than
        # request.max_content_length; nothing was parsed, so nothing was changed.
        return jsonify(too_large_body(request.max_content_length)), 413

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return app.extensions["oms_api"].handle_http_exception(err)
        if is_transient(err):  # still deadlocked after the unit of work's retries
            log.warning("transient database conflict after retries: %s", err,
                        extra={**observe.request_facts(), "status": 503})
            return (jsonify(error_body("busy", "the database was busy with conflicting "
                                       "changes; nothing was changed, retry shortly")),
                    503, {"Retry-After": "1"})
        cause = timeout_cause(err)
        if cause is not None:
            # A warning, no traceback: the database's limit did its job (README, "Protecting
            # the service"); the line says which limit, on what.
            log.warning("database %s: %s", cause, _first_line(getattr(err, "orig", err)),
                        extra={**observe.request_facts(), "status": 503})
            return (jsonify(timeout_body(cause)), 503,
                    {"Retry-After": str(TIMEOUT_RETRY_AFTER)})
        if database_unavailable(err):
            # A warning, no traceback: a database restart or failover is an operations
            # event the balancer's readiness check also sees, not a defect to debug.
            log.warning("database unavailable: %s", _first_line(getattr(err, "orig", err)),
                        extra={**observe.request_facts(), "status": 503})
            return (jsonify(unavailable_body()), 503,
                    {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})
        # Enough to reproduce it: what was asked, by whom, under which request id (the
        # record carries it), and the traceback; never the key or the body.
        facts = observe.request_facts()
        log.exception("unhandled error in %s %s", facts.get("method"), facts.get("path"),
                      extra={**facts, "status": 500})
        return jsonify(error_body("internal", "internal error; it has been logged")), 500


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = fields.String(load_default=None)


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


MAX_INT_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1


def record_id(**kwargs: Any) -> fields.Integer:
    """An id sent in a body: a positive integer that fits the id columns (never an overflow
    from the database)."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_INT_ID), **kwargs)


class Pattern(validate.Regexp):
    """A regular expression the whole value must match, as JSON Schema's `pattern` means it in
    the API document (marshmallow's Regexp lets `$` match before a trailing newline, so
    "store-soho\n" passed `^...$`)."""

    def __init__(self, regex: str, flags: int = 0, *, error: str | None = None):
        super().__init__(regex, flags, error=error)
        self.whole = re.compile(regex, flags)

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str) or self.whole.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# What Money accepts, stated in the document: 0 to 10000000 with at most 2 decimals.
# ASCII digits only: Python's \d also matches other scripts' digits, JSON Schema's does not.
MONEY_PATTERN = r"^([0-9]{1,7}(\.[0-9]{1,2})?|10000000(\.0{1,2})?)$"
MONEY_OUT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


class Money(fields.String):
    """An amount in a body: a decimal string ("12.50"), 0 to 10,000,000 with at most 2
    decimals (the price columns' scale), loaded as a Decimal. A JSON number is refused: a
    binary float cannot carry cents exactly."""

    def __init__(self, **kwargs: Any):
        metadata = {"pattern": MONEY_PATTERN, "example": "12.50",
                    "description": "decimal string, 0 to 10000000, at most 2 decimals",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    # A String in the document (and when dumped), a Decimal once loaded.
    def _deserialize(  # type: ignore[override]
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError('must be a decimal string such as "12.50"')
        if not re.fullmatch(MONEY_PATTERN, value):
            raise ValidationError("must be a decimal string from 0 to 10000000 with at most "
                                  "2 decimals")
        try:
            return Decimal(value) + 0  # + 0 turns -0 into 0
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise ValidationError("not a decimal") from exc

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return f"{value:.2f}" if isinstance(value, Decimal) else str(value)


def money_out(**kwargs: Any) -> fields.String:
    """An amount in a response: a decimal string with exactly 2 decimals."""
    return fields.String(metadata={"pattern": MONEY_OUT_PATTERN, "example": "12.50",
                                   "description": "decimal string with 2 decimals",
                                   **kwargs.pop("metadata", {})}, **kwargs)


def timestamp(**kwargs: Any) -> fields.String:
    """A UTC time in a response, ISO 8601 (`2026-03-01T12:00:00.123456Z`)."""
    return fields.String(metadata={"format": "date-time", **kwargs.pop("metadata", {})},
                         **kwargs)


class Payload(Schema):
    """A response shape. Declared fields are serialised by the schema (and documented);
    keys a view sends that the schema does not declare pass through unchanged (the document
    allows additional properties), so adding a field to a payload never loses it."""

    class Meta:
        unknown = INCLUDE

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else bool(many)
        dumped = super().dump(obj, many=many)
        if many:
            return [self._keep_extra(o, d) for o, d in zip(obj, dumped, strict=True)]
        return self._keep_extra(obj, dumped)

    def _keep_extra(self, obj: Any, dumped: Any) -> Any:
        if isinstance(obj, dict) and isinstance(dumped, dict):
            for key, value in obj.items():
                if key not in self.fields and key not in dumped:
                    dumped[key] = value
        return dumped


def decode_cursor(cursor: str | None, maximum: int = MAX_INT_ID) -> int | None:
    """The id a page continues from; anything we could not have issued is a 422."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "not a cursor this API returned") from exc
    if not 0 <= value <= maximum:
        raise InvalidInput("cursor", "not a cursor this API returned")
    return value
