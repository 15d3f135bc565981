"""Our fulfillment changes pushed back to Shopify for orders that came from Shopify, through
the outbound relay (README, "Outbound sync").

Each shop with an access token is a destination: an internal subscription whose url is
`shopify://<shop domain>` (created or updated by `flask integrations shopify add-shop`), so
the relay's deliveries, per-order ordering, backoff, dead letters, retry and sweep apply as
they are. Instead of POSTing the event, the relay hands such a delivery to `send`:

- a shipment (`oms` writes it as the order's status change, `order.partially_fulfilled` or
  `order.fulfilled`, carrying the shipment's `fulfillment_id`, `carrier` and
  `tracking_number`) -> `fulfillmentCreate` on the order's open fulfillment orders (the
  shipped lines matched by their Shopify line item ids), with the carrier and tracking number
  (a pickup handed over, which has no tracking number, is not pushed);
- `order.cancelled` -> `orderCancel` (no refund, no restock, no customer notification).

Events caused by Shopify itself (outbox actor `shopify:...`) are not pushed back. `userErrors`
fail the attempt with their text; GraphQL `THROTTLED` is retried after `THROTTLE_SECONDS`
without spending the attempt budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import UnitOfWork, run_in_unit_of_work
from fulfillment.models import FulfillmentLine
from integrations.models import ShopifyShop
from integrations.outbound.models import Subscription
from integrations.shopify import client
from integrations.shopify.shops import normalise_domain
from oms.models import OrderLine, OutboxEvent

SCHEME = "shopify://"
SHIPMENT_TOPICS = ("order.partially_fulfilled", "order.fulfilled")
TOPICS = [*SHIPMENT_TOPICS, "order.cancelled"]
THROTTLE_SECONDS = 2.0
NO_SECRET = "-"  # internal destinations sign nothing

OPEN_FULFILLMENT_ORDERS_QUERY = """
query OmsOpenFulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 20) {
      nodes {
        id
        status
        lineItems(first: 100) {
          nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation OmsFulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OmsOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
                        $restock: Boolean!, $notifyCustomer: Boolean) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
              notifyCustomer: $notifyCustomer) {
    job { id done }
    orderCancelUserErrors { field message code }
    userErrors { field message }
  }
}
"""

OPEN_STATUSES = ("OPEN", "IN_PROGRESS")


# --------------------------------------------------------------------------- destinations

def is_destination(url: str) -> bool:
    return url.startswith(SCHEME)


def destination_url(domain: str) -> str:
    return SCHEME + normalise_domain(domain)


def ensure_destination(domain: str, actor: str = "cli") -> int:
    """The shop's destination (created, or its topics brought up to date); its id. Only
    events written after it first exists are pushed."""
    url = destination_url(domain)

    def work(uow: UnitOfWork) -> int:
        session = uow.session
        sub = session.scalars(select(Subscription).where(Subscription.url == url)
                              .with_for_update()).first()
        if sub is None:
            last = session.scalar(select(func.max(OutboxEvent.id))) or 0
            sub = Subscription(url=url, topics=list(TOPICS), secret=NO_SECRET,
                               description=f"Shopify push to {normalise_domain(domain)}",
                               after_outbox_id=last, created_by=actor)
            session.add(sub)
        else:
            sub.topics = list(TOPICS)
        session.flush()
        return sub.id

    return run_in_unit_of_work(work)


def kind(topic: str, payload: dict[str, Any]) -> str | None:
    """`shipment`, `cancel`, or None (not pushed)."""
    if topic == "order.cancelled":
        return "cancel"
    if (topic in SHIPMENT_TOPICS and payload.get("tracking_number")
            and payload.get("fulfillment_id") is not None):
        return "shipment"
    return None


def wants(url: str, event: OutboxEvent) -> bool:
    """A shipment or cancellation of one of this shop's orders that Shopify did not cause."""
    payload = event.payload or {}
    if kind(event.topic, payload) is None or (event.actor or "").startswith("shopify:"):
        return False
    domain = url[len(SCHEME):]
    return (payload.get("channel") == "shopify"
            and str(payload.get("external_id") or "").startswith(domain + "/"))


# --------------------------------------------------------------------------- one push

@dataclass(frozen=True)
class Push:
    """Everything a push needs, read in the relay's claim (no database during the calls)."""

    kind: str               # shipment | cancel
    domain: str
    api_version: str
    token: str | None
    order_gid: str
    lines: tuple[tuple[str, int], ...] = ()   # (Shopify line item id, quantity shipped)
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class Result:
    ok: bool
    error: str | None
    latency_ms: int
    retry_after: float | None = None
    counts: bool = True   # False: throttled, the attempt budget is not spent


def prepare(session: Session, url: str, event: OutboxEvent) -> Push:
    domain = url[len(SCHEME):]
    shop = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == domain)).first()
    payload = event.payload or {}
    order_id = str(payload.get("external_id") or "").rsplit("/", 1)[-1]
    lines: list[tuple[str, int]] = []
    what = kind(event.topic, payload) or "none"
    if what == "shipment":
        rows = session.execute(
            select(OrderLine.external_id, FulfillmentLine.picked_quantity,
                   FulfillmentLine.quantity)
            .join(OrderLine, OrderLine.id == FulfillmentLine.order_line_id)
            .where(FulfillmentLine.fulfillment_id == payload["fulfillment_id"])
            .order_by(FulfillmentLine.id)).all()
        for ext, picked, qty in rows:
            shipped = qty if picked is None else picked
            if ext and shipped > 0:
                lines.append((str(ext), shipped))
    return Push(kind=what, domain=domain,
                api_version=shop.api_version if shop else "",
                token=shop.access_token if shop else None,
                order_gid=f"gid://shopify/Order/{order_id}", lines=tuple(lines),
                carrier=payload.get("carrier"), tracking_number=payload.get("tracking_number"))


def _tail(gid: Any) -> str:
    return str(gid or "").rsplit("/", 1)[-1]


def _user_errors(result: dict[str, Any] | None, *keys: str) -> str | None:
    errors: list[str] = []
    for key in keys:
        for e in (result or {}).get(key) or []:
            if isinstance(e, dict):
                field = ".".join(str(f) for f in (e.get("field") or []))
                errors.append(f"{field}: {e.get('message')}" if field else str(e.get("message")))
    return ("userErrors: " + "; ".join(errors))[:1000] if errors else None


def open_fulfillment_orders(push: Push) -> list[dict[str, Any]]:
    data = client.graphql(push.domain, push.api_version, push.token or "",
                          OPEN_FULFILLMENT_ORDERS_QUERY, {"id": push.order_gid})
    order = data.get("order")
    if not isinstance(order, dict):
        raise client.ShopifyApiError(f"Shopify does not know order {push.order_gid}")
    nodes = (order.get("fulfillmentOrders") or {}).get("nodes") or []
    return [n for n in nodes if isinstance(n, dict) and n.get("status") in OPEN_STATUSES]


def line_items_by_fulfillment_order(push: Push, fulfillment_orders: list[dict[str, Any]]
                                    ) -> list[dict[str, Any]]:
    """Our shipped lines spread over the open fulfillment orders' remaining quantities."""
    picked: dict[str, list[dict[str, Any]]] = {}
    for ext, quantity in push.lines:
        left = quantity
        for fo in fulfillment_orders:
            for item in (fo.get("lineItems") or {}).get("nodes") or []:
                if left <= 0 or _tail((item.get("lineItem") or {}).get("id")) != _tail(ext):
                    continue
                take = min(left, int(item.get("remainingQuantity") or 0))
                if take > 0:
                    picked.setdefault(fo["id"], []).append({"id": item["id"],
                                                            "quantity": take})
                    left -= take
        if left > 0:
            raise client.ShopifyApiError(
                f"no open fulfillment order line on {push.order_gid} for line item {ext} "
                f"({left} unit(s))")
    return [{"fulfillmentOrderId": fo_id, "fulfillmentOrderLineItems": items}
            for fo_id, items in picked.items()]


def fulfillment_create(push: Push) -> str | None:
    """`fulfillmentCreate` for the shipped lines; the user errors' text, or None."""
    groups = line_items_by_fulfillment_order(push, open_fulfillment_orders(push))
    if not groups:
        raise client.ShopifyApiError(f"nothing shipped to report on {push.order_gid}")
    fulfillment: dict[str, Any] = {"lineItemsByFulfillmentOrder": groups,
                                   "notifyCustomer": False}
    if push.tracking_number:
        fulfillment["trackingInfo"] = {"company": push.carrier, "number": push.tracking_number}
    data = client.graphql(push.domain, push.api_version, push.token or "", FULFILLMENT_CREATE,
                          {"fulfillment": fulfillment})
    return _user_errors(data.get("fulfillmentCreate"), "userErrors")


def order_cancel(push: Push) -> str | None:
    """`orderCancel` (reason OTHER, no refund, no restock, customer not notified)."""
    data = client.graphql(push.domain, push.api_version, push.token or "", ORDER_CANCEL,
                          {"orderId": push.order_gid, "reason": "OTHER", "refund": False,
                           "restock": False, "notifyCustomer": False})
    return _user_errors(data.get("orderCancel"), "orderCancelUserErrors", "userErrors")


MUTATIONS: dict[str, Callable[[Push], str | None]] = {
    "shipment": fulfillment_create,
    "cancel": order_cancel,
}


def send(push: Push) -> Result:
    started = time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - started) * 1000)

    if not push.token:
        return Result(False, f"shop {push.domain} has no access token", ms())
    mutation = MUTATIONS.get(push.kind)
    if mutation is None:
        return Result(False, "nothing to push for this event", ms())
    try:
        error = mutation(push)
    except client.Throttled as exc:
        return Result(False, str(exc)[:1000], ms(), retry_after=THROTTLE_SECONDS, counts=False)
    except client.ShopifyApiError as exc:
        return Result(False, str(exc)[:1000], ms())
    return Result(error is None, error, ms())
