"""The event catalogue: every topic written to the outbox, with its version and the shape of
its `data` (`oms.event_schemas`), in one registry (README, "Event catalogue").

The API document publishes it for integrators to generate receivers from: each topic's whole
body (the envelope `{id, type, occurred_at, version, data}`) as a schema component named after
the topic (`fulfillment.shipped` -> `FulfillmentShippedEvent`), and an `x-webhooks` section
with one POST per topic. The relay stamps each body with its topic's version. A package that
writes a new topic registers it (`register`) at import, before the app factory documents the
catalogue; the suite fails on a topic written anywhere without a schema."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from apispec import APISpec
from marshmallow import Schema, fields, validate

from core.http import Payload, timestamp
from oms import event_schemas as shapes
from oms.domain import ORDER_STATUSES

TOPIC = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")
SIGNATURE_HEADERS = (
    ("X-OMS-Delivery-Id", "one per event and subscription, the same on every attempt and "
                          "replay: drop duplicates by it"),
    ("X-OMS-Event", "the event's type (the body's `type`)"),
    ("X-OMS-Signature", "`sha256=<hex HMAC-SHA256 of the raw body with the subscription's "
                        "secret>`"),
)


@dataclass(frozen=True)
class EventType:
    topic: str
    data: type[Schema]
    when: str                      # one line: when it is written
    version: int = 1

    @property
    def component(self) -> str:
        """The envelope's schema name in the API document."""
        return "".join(w.capitalize() for w in re.split(r"[._]", self.topic)) + "Event"


_registry: dict[str, EventType] = {}


def register(topic: str, data: type[Schema], when: str, *, version: int = 1) -> EventType:
    """Add a topic to the catalogue (at import of the module that writes it). Registering the
    same definition again changes nothing; another definition of a known topic is a bug."""
    if not TOPIC.match(topic):
        raise ValueError(f"{topic!r}: a topic is `family.name` in lower case")
    if "\n" in when:
        raise ValueError(f"{topic}: `when` is one line")
    event = EventType(topic, data, when, version)
    known = _registry.get(topic)
    if known is not None and known != event:
        raise ValueError(f"{topic} is registered already, as {known}")
    _registry[topic] = event
    return event


def event_types() -> list[EventType]:
    return sorted(_registry.values(), key=lambda e: e.topic)


def event_type(topic: str) -> EventType | None:
    return _registry.get(topic)


def version(topic: str) -> int:
    """The version a body of this topic is sent as (1 for a topic not registered)."""
    known = _registry.get(topic)
    return known.version if known else 1


# ------------------------------------------------------------------ the API document

class EventEnvelope(Payload):
    id = fields.Integer(required=True, metadata={
        "description": "the event's id: increasing, in order per order"})
    type = fields.String(required=True)
    occurred_at = timestamp(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)


@functools.cache
def envelope(event: EventType) -> type[Schema]:
    """The whole body of one topic, its `type` and `version` pinned."""
    attrs: dict[str, Any] = {
        "type": fields.String(required=True, validate=validate.OneOf([event.topic])),
        "version": fields.Integer(required=True, validate=validate.OneOf([event.version])),
        "data": fields.Nested(event.data, required=True),
        "Meta": type("Meta", (EventEnvelope.Meta,), {"description": event.when}),
    }
    return type(event.component, (EventEnvelope,), attrs)


def _webhook(event: EventType) -> dict[str, Any]:
    return {
        "summary": event.when,
        "description": f"`{event.topic}`, version {event.version}, POSTed to each "
                       "subscription whose topics match it (and whose location it names, "
                       "for a location-scoped one).",
        "parameters": [{"name": name, "in": "header", "required": True,
                        "description": text, "schema": {"type": "string"}}
                       for name, text in SIGNATURE_HEADERS],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{event.component}"}}}},
        "responses": {"200": {"description": "Delivered (any 2xx). Anything else, or no "
                                             "answer in time, is retried."}},
    }


def document(spec: APISpec) -> None:
    """Each topic's body as a schema component, and `x-webhooks` (OpenAPI 3.0 has no
    webhooks section; the entries have the shape of 3.1's `webhooks`)."""
    hooks = {}
    for event in event_types():
        spec.components.schema(event.component, schema=envelope(event))
        hooks[event.topic] = {"post": _webhook(event)}
    spec.options["x-webhooks"] = hooks


# ------------------------------------------------------------------ the topics written today

def _register_builtin() -> None:
    order = shapes.OrderEventData
    register("order.created", order, "An order was placed (any channel).")
    for status in ORDER_STATUSES:
        if status != "on_hold":
            register(f"order.{status}", order,
                     f"The order's status became `{status}` (routing, re-routing, shipments, "
                     "hand-overs, cancels, an expired pickup).")
    register("order.on_hold", order,
             "An order was kept on hold: it names an unknown SKU or an unmapped location.")
    register("order.released_from_hold", order, "A held order was released (routing follows).")
    register("order.updated", order, "Lines were added to the order, some units cancelled, "
             "or its promised delivery date changed.")
    register("fulfillment.created", shapes.FulfillmentCreatedData,
             "Routing gave a node new work: ship, pickup, or a transfer feeding a pickup.")
    register("fulfillment.cancelled", shapes.FulfillmentCancelledData,
             "Work a node held was cancelled in whole or part (cancel, re-route, the "
             "transfer or pickup it was paired with rejected or short).")
    register("fulfillment.claimed", shapes.FulfillmentClaimedData,
             "A poller claimed the work with a lease.")
    register("fulfillment.shipped", shapes.FulfillmentShippedData,
             "A parcel left the node for the customer.")
    register("fulfillment.transfer_shipped", shapes.FulfillmentTransferShippedData,
             "Units left a node for a pickup store.")
    register("fulfillment.rejected", shapes.FulfillmentRejectedData,
             "The node rejected the work (or could pick nothing); it is re-routed elsewhere.")
    register("fulfillment.ready_for_pickup", shapes.FulfillmentReadyForPickupData,
             "A pickup is ready at the store: the code and until when.")
    register("fulfillment.picked_up", shapes.FulfillmentPickedUpData,
             "The customer collected the pickup.")
    register("fulfillment.expiring", shapes.FulfillmentExpiringData,
             "A ready pickup expires soon (OMS_PICKUP_REMINDER_HOURS): remind the customer.")
    register("fulfillment.expired", shapes.FulfillmentExpiredData,
             "A ready pickup was not collected in time: cancelled, stock released.")
    register("return.created", shapes.ReturnCreatedData, "A return was authorised.")
    register("return.received", shapes.ReturnReceivedData,
             "Returned units were received (in part or whole).")
    register("return.exchange", shapes.ReturnExchangeData,
             "An exchange was priced (the customer owes) or its order placed.")
    register("return.cancelled", shapes.ReturnCancelledData, "A return was cancelled.")
    register("refund.created", shapes.RefundCreatedData, "A refund was recorded.")
    register("refund.settled", shapes.RefundSettledData,
             "A pending refund's money went back: made on Shopify by our push, or settled "
             "through the API.")


_register_builtin()
