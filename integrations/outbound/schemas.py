"""Request and response shapes of subscriptions and deliveries."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.http import PageArgs, Pattern, Payload, record_id, timestamp
from integrations.outbound.models import DELIVERY_STATUSES

URL = Pattern(r"^https?://[A-Za-z0-9.\-\[\]:]+(/[\x21-\x7e]*)?$",
              error="an http:// or https:// URL (ASCII, no spaces)")
TOPIC = Pattern(r"^(\*|[a-z][a-z_]{0,28}\.(\*|[a-z][a-z_]{0,28}))$",
                error="an event type (`order.created`), a family (`order.*`) or `*`")
CODE = Pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
               error="1-40 letters, digits, '.', '_' or '-'")
SECRET = Pattern(r"^[\x21-\x7e]{16,200}$", error="16-200 printable ASCII characters")


class SubscriptionIn(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=2000), URL],
                        metadata={"description": "where events are POSTed"})
    topics = fields.List(fields.String(validate=TOPIC), required=True,
                         validate=validate.Length(min=1, max=50),
                         metadata={"description": "`order.*`, `fulfillment.*`, `return.*`, "
                                                  "`refund.*`, `stock.*`, exact names, or `*`"})
    secret = fields.String(required=True, validate=SECRET, metadata={
        "description": "signs each body (`X-OMS-Signature: sha256=<hex HMAC-SHA256>`); "
                       "never shown again"})
    location = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "only events that name this location (a store's POS, a warehouse's "
                       "WMS)"})
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=200))


class SubscriptionOut(Payload):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    topics = fields.List(fields.String(), required=True)
    location = fields.String(required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True)
    created_by = fields.String(required=True)
    created_at = timestamp(required=True)


class SubscriptionListOut(Payload):
    items = fields.List(fields.Nested(SubscriptionOut), required=True)


class AttemptOut(Payload):
    at = timestamp(required=True)
    status_code = fields.Integer(required=True, allow_none=True,
                                 metadata={"description": "null when nothing answered"})
    error = fields.String(required=True, allow_none=True)
    latency_ms = fields.Integer(required=True)


class DeliveryOut(Payload):
    id = fields.Integer(required=True, metadata={"description": "the `X-OMS-Delivery-Id`"})
    subscription_id = fields.Integer(required=True)
    event_id = fields.Integer(required=True, metadata={"description": "the outbox event"})
    topic = fields.String(required=True)
    aggregate = fields.String(required=True)
    aggregate_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(DELIVERY_STATUSES))
    attempt_count = fields.Integer(required=True, metadata={
        "description": "attempts in the current budget (a retry starts a new one)"})
    next_attempt_at = timestamp(required=True)
    last_error = fields.String(required=True, allow_none=True)
    created_at = timestamp(required=True)
    delivered_at = timestamp(required=True, allow_none=True)
    attempts = fields.List(fields.Nested(AttemptOut), required=True,
                           metadata={"description": "every attempt, oldest first"})


class DeliveryListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))
    subscription_id = record_id(load_default=None)


class DeliveryListOut(Payload):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
