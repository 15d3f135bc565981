"""The HTTP conventions of the API contract, written once: error bodies, pagination cursors."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

from flask import Flask, jsonify, request
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException

from core.db import is_transient
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


class OmsApi(Api):
    """flask-smorest's Api with the contract's error body instead of its own."""

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
            log.error("HTTP %s: %s", error.code, message)
        return jsonify(error_body(code, message, fields_)), error.code, data.get("headers") or {}


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
    inside a use case. Malformed JSON the parser itself chokes on (nesting deeper than its
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
    if not raw or not request.is_json:
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


class BadRequestBody(DomainError):
    status = 400
    code = "bad_request"

    def __init__(self, problem: str):
        super().__init__(f"request body: {problem}", fields={"_body": [problem]})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return jsonify(error_body(err.code, err.message, err.fields, err.details)), err.status

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return app.extensions["oms_api"].handle_http_exception(err)
        if is_transient(err):  # still deadlocked after the unit of work's retries
            log.warning("transient database conflict after retries: %s", err)
            return (jsonify(error_body("busy", "the database was busy with conflicting "
                                       "changes; nothing was changed, retry shortly")),
                    503, {"Retry-After": "1"})
        log.exception("unhandled error")
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
