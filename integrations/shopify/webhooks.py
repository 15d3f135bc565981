"""`POST /webhooks/shopify`: verify, store, enqueue, answer 200. Nothing slow happens here:
Shopify gives up after 5 s and, after repeated failures, deletes the subscription.

- unknown shop, missing or wrong signature: 401, nothing stored;
- missing X-Shopify-Webhook-Id or X-Shopify-Topic, or a body that is not a JSON object: 400;
- a webhook id seen before: 200 `{"status": "duplicate"}` and nothing else;
- a topic we do not handle: stored as `ignored`, 200;
- otherwise stored as `received`, `process_event` enqueued after the commit, 200.
"""

from __future__ import annotations

import logging
from typing import Any

from apispec import APISpec
from flask import Blueprint, Flask, jsonify, request
from marshmallow import fields, validate

from core.http import (
    UNSTORABLE,
    UNSTORABLE_PROBLEM,
    BadRequestBody,
    Payload,
    error_body,
    parse_json_body,
)
from integrations.shopify import intake, shops
from integrations.shopify.jobs import HANDLERS
from integrations.shopify.translate import parse_time

log = logging.getLogger(__name__)

bp = Blueprint("shopify_webhooks", __name__)

MAX_BODY_BYTES = 10 * 1024 * 1024
# What we keep of the request's headers (never cookies or credentials of ours).
KEPT_HEADERS = ("Content-Type", "User-Agent")


def _error(status: int, code: str, message: str, fields: dict[str, Any] | None = None):
    return jsonify(error_body(code, message, fields)), status


def _header(name: str) -> str | None:
    value = request.headers.get(name)
    return value.strip() if value and value.strip() else None


def _kept_headers() -> dict[str, str]:
    return {k: v for k, v in request.headers.items()
            if k.lower().startswith("x-shopify-") or k in KEPT_HEADERS}


def resource_id(payload: dict[str, Any]) -> str | None:
    """The order id for orders/* topics, the refund id for refunds/create."""
    value = payload.get("id")
    return str(value)[:64] if value is not None else None


@bp.post("/webhooks/shopify")
def receive():
    # Its own limit instead of the app's (OMS_MAX_BODY_BYTES): a big Shopify order is a
    # legitimate webhook, and Shopify would retry a refused one for hours.
    request.max_content_length = MAX_BODY_BYTES
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, "too_large", f"a webhook body is at most {MAX_BODY_BYTES} bytes")
    raw = request.get_data(cache=False)
    domain = shops.normalise_domain(_header("X-Shopify-Shop-Domain"))
    webhook_id = _header("X-Shopify-Webhook-Id")
    # A domain no shop can have is an unknown shop (and must not reach the database).
    shop = None if UNSTORABLE.search(domain) else shops.find(domain)
    if shop is None:
        log.warning("shopify webhook %s for unknown shop %r refused", webhook_id, domain)
        return _error(401, "unauthorized", "unknown shop: configure it with "
                      "`flask integrations shopify add-shop`")
    signed_with = shops.verify(shop, raw, _header("X-Shopify-Hmac-Sha256"))
    if signed_with is None:
        log.warning("shopify webhook %s for %s refused: missing or wrong HMAC", webhook_id,
                    domain)
        return _error(401, "unauthorized", "missing or invalid X-Shopify-Hmac-Sha256")
    unreadable = [name for name, value in request.headers.items()
                  if (name.lower().startswith("x-shopify-") or name in KEPT_HEADERS)
                  and UNSTORABLE.search(value)]
    if unreadable:
        return _error(400, "bad_request", f"header {unreadable[0]}: {UNSTORABLE_PROBLEM}",
                      {name: [UNSTORABLE_PROBLEM] for name in unreadable})
    topic = _header("X-Shopify-Topic")
    missing = {name: ["required"] for name, value in (("X-Shopify-Webhook-Id", webhook_id),
                                                      ("X-Shopify-Topic", topic)) if not value}
    if missing:
        return _error(400, "bad_request", f"missing header {', '.join(missing)}", missing)
    assert topic is not None and webhook_id is not None  # both checked just above
    try:
        text = raw.decode("utf-8")
        payload = parse_json_body(text)
    except (UnicodeDecodeError, BadRequestBody):
        return _error(400, "bad_request", "the body is not valid JSON",
                      {"_body": ["not valid JSON"]})
    if not isinstance(payload, dict):
        return _error(400, "bad_request", "the body must be a JSON object",
                      {"_body": ["must be a JSON object"]})
    if isinstance(payload.get("id"), str) and UNSTORABLE.search(payload["id"]):
        return _error(400, "bad_request", f"id: {UNSTORABLE_PROBLEM}",
                      {"id": [UNSTORABLE_PROBLEM]})

    if signed_with == "previous":
        log.info("shopify webhook %s for %s signed with the previous secret", webhook_id, domain)
    status, stored_id = intake.accept(intake.Delivery(
        shop_domain=shop.domain, topic=topic, webhook_id=webhook_id,
        event_id=_header("X-Shopify-Event-Id"), api_version=_header("X-Shopify-API-Version"),
        triggered_at=parse_time(_header("X-Shopify-Triggered-At")),
        resource_id=resource_id(payload), body=text, headers=_kept_headers()))
    body: dict[str, Any] = {"status": status}
    if stored_id is not None:
        body["event_id"] = stored_id
    return jsonify(body), 200


class WebhookAnswerOut(Payload):
    status = fields.String(required=True, validate=validate.OneOf(
        ("accepted", "duplicate", "ignored")))
    event_id = fields.Integer(metadata={"description": "the stored event (not on duplicates)"})


def _header_parameter(name: str, description: str, *, required: bool = True) -> dict:
    return {"in": "header", "name": name, "required": required, "description": description,
            "schema": {"type": "string"}}


OPERATION = {
    "tags": ["shopify"],
    "summary": "Receive a Shopify webhook delivery (orders and refunds).",
    "description": (
        "Signed by Shopify, not by an API key: the base64 HMAC-SHA256 of the raw body with the "
        "shop's app secret is checked first (unknown shop or bad signature: 401, nothing "
        "stored). Then the event is stored once per `X-Shopify-Webhook-Id` and processed in "
        "the background; the answer comes within milliseconds. Topics handled: "
        + ", ".join(f"`{t}`" for t in HANDLERS) + "; others are stored as ignored."),
    "security": [],
    "parameters": [
        _header_parameter("X-Shopify-Shop-Domain", "the shop, e.g. `acme.myshopify.com`"),
        _header_parameter("X-Shopify-Hmac-Sha256", "base64 HMAC-SHA256 of the raw body"),
        _header_parameter("X-Shopify-Topic", "e.g. `orders/create`"),
        _header_parameter("X-Shopify-Webhook-Id", "the delivery's id (deduplication key)"),
        _header_parameter("X-Shopify-Event-Id", "Shopify's event id", required=False),
        _header_parameter("X-Shopify-Triggered-At", "when Shopify triggered it",
                          required=False),
        _header_parameter("X-Shopify-API-Version", "the payload's API version",
                          required=False),
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "Shopify's REST payload for the topic"}}}},
    "responses": {
        "200": {"description": "Stored (`accepted` or `ignored`), or seen before "
                               "(`duplicate`).",
                "content": {"application/json": {"schema": WebhookAnswerOut}}},
        "400": "BAD_REQUEST",
        "401": {"description": "Unknown shop, or a missing or wrong signature.",
                "content": {"application/json": {"schema": "ErrorOut"}}},
        "413": {"description": f"The body is larger than {MAX_BODY_BYTES} bytes.",
                "content": {"application/json": {"schema": "ErrorOut"}}},
    },
}


def document(spec: APISpec, app: Flask) -> None:
    """Add `POST /webhooks/shopify` (a plain Flask route) to the API document."""
    rule = next(app.url_map.iter_rules(f"{bp.name}.{receive.__name__}"))
    spec.path(rule=rule, operations={"post": OPERATION})

