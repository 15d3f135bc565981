"""`/api/v1/subscriptions` and `/api/v1/deliveries` (admin)."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import current_principal, require_roles
from integrations.outbound import service
from integrations.outbound.schemas import (
    DeliveryListArgs,
    DeliveryListOut,
    DeliveryOut,
    SubscriptionIn,
    SubscriptionListOut,
    SubscriptionOut,
)

SUB_ID = "<int(max=2147483647):subscription_id>"
DELIVERY_ID = "<int(max=9223372036854775807):delivery_id>"

blp = Blueprint("outbound", __name__, url_prefix="/api/v1",
                description="Outbound sync: webhook subscriptions and their deliveries.")


@blp.route("/subscriptions", methods=["POST"])
@require_roles()
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut, description="The subscription (without its secret).")
def create_subscription(data: dict):
    """Subscribe a URL to event topics.

    Each matching event is POSTed as `{id, type, occurred_at, version, data}` with
    `X-OMS-Delivery-Id` (stable: drop duplicates by it), `X-OMS-Event` and
    `X-OMS-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>`. With
    `location`, only events whose body names that location. Events written after the
    subscription exists are delivered, in order per order."""
    return service.create_subscription(data, current_principal().actor), 201


@blp.route("/subscriptions", methods=["GET"])
@require_roles()
@blp.response(200, SubscriptionListOut)
def list_subscriptions():
    """List the subscriptions (secrets are never shown)."""
    return {"items": service.list_subscriptions()}


@blp.route(f"/subscriptions/{SUB_ID}", methods=["DELETE"])
@require_roles()
@blp.response(200, SubscriptionOut, description="The subscription as it was.")
def delete_subscription(subscription_id: int):
    """Delete a subscription: nothing more is sent to it, and its deliveries go."""
    return service.delete_subscription(subscription_id)


@blp.route("/deliveries", methods=["GET"])
@require_roles()
@blp.arguments(DeliveryListArgs, location="query")
@blp.response(200, DeliveryListOut)
def list_deliveries(args: dict):
    """List deliveries, newest first, with their attempts (`?status=failed`: dead letters)."""
    return service.list_deliveries(args["status"], args["subscription_id"], args["limit"],
                                   args["cursor"])


@blp.route(f"/deliveries/{DELIVERY_ID}/retry", methods=["POST"])
@require_roles()
@blp.response(200, DeliveryOut, description="Pending again, with a new retry budget.")
@blp.alt_response(409, "CONFLICT")
def retry_delivery(delivery_id: int):
    """Retry a dead (failed) delivery.

    It goes back to pending with a new budget and is delivered in order with its order's
    other events. Anything but `failed` is a 409."""
    return service.retry(delivery_id)
