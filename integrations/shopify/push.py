"""What we did to orders that came from Shopify, pushed back to Shopify through the outbound
relay (README, "Outbound sync" and its "Pushes to Shopify").

Each shop with an access token is a destination: an internal subscription whose url is
`shopify://<shop domain>` (created or updated by `flask integrations shopify add-shop`), so
the relay's deliveries, per-order ordering, backoff, dead letters, retry and sweep apply as
they are. Instead of POSTing the event, the relay hands such a delivery to `prepare` (in its
claim: our database is read here, once) and `send` (the Admin GraphQL calls of
`integrations.shopify.mutations`, outside any transaction):

- a shipment or a pickup handed over (the order's `order.partially_fulfilled` /
  `order.fulfilled` carrying the fulfillment's id, or a `fulfillment.shipped` /
  `fulfillment.picked_up`: whichever comes, the fulfillment's method and status in our
  database say which, and one fulfillment is pushed once) -> `fulfillmentCreate` (a shipment
  with its tracking, a hand-over without: that is how Shopify marks a pickup picked up);
- `fulfillment.ready_for_pickup` -> `fulfillmentOrderLineItemsPreparedForPickup`;
- units cancelled here (`order.updated` with `cancelled`, or a pickup not collected in time)
  -> an order edit setting each line to ordered - cancelled; nothing left at all -> a cancel;
- `order.cancelled` -> `orderCancel`;
- `refund.created` for a refund of our returns -> `refundCreate`; once Shopify made it (or a
  retry finds it), our refund is settled with Shopify's refund id in the relay's settle step
  (`Result.then`).

Events caused by Shopify itself (outbox actor `shopify:...`), and refunds Shopify made (booked
here as settled), are not pushed back. `userErrors` fail the attempt with their text; GraphQL
`THROTTLED` is retried after `THROTTLE_SECONDS` without spending the attempt budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import UnitOfWork, run_in_unit_of_work
from fulfillment.models import Fulfillment, FulfillmentLine
from integrations.models import ShopifyShop
from integrations.outbound.models import Delivery, Subscription
from integrations.shopify import client, mutations
from integrations.shopify.shops import normalise_domain
from oms.models import OrderLine, OutboxEvent
from returns import use_cases as returning
from returns.models import Refund, Return

SCHEME = "shopify://"
# Shown on the destination's subscription. Fan-out asks `wants` rather than these patterns, so
# a destination made by an older version gets the newer pushes without running add-shop again.
TOPICS = ["order.*", "fulfillment.ready_for_pickup", "fulfillment.shipped",
          "fulfillment.picked_up", "refund.created"]
FULFILLMENT_TOPICS = ("fulfillment.shipped", "fulfillment.picked_up")
THROTTLE_SECONDS = 2.0
NO_SECRET = "-"  # internal destinations sign nothing


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


def action(topic: str, payload: dict[str, Any]) -> str | None:
    """What an event may become, from the event alone (all fan-out has): `cancel`, `edit`,
    `ready`, `refund`, `fulfillment` (a shipment, a hand-over or an expired pickup: decided
    from our database when it goes), or None (not pushed)."""
    if topic == "order.cancelled":
        return "cancel"
    if topic == "order.updated":
        return "edit" if payload.get("cancelled") else None  # units added here: not pushed
    if topic == "refund.created":
        settled = payload.get("status") == "settled"  # refunded by the channel already
        return "refund" if payload.get("refund_id") is not None and not settled else None
    if payload.get("fulfillment_id") is None:
        return None
    if topic == "fulfillment.ready_for_pickup":
        return "ready"
    if topic.startswith("order.") or topic in FULFILLMENT_TOPICS:
        return "fulfillment"
    return None


def once_key(topic: str, payload: dict[str, Any]) -> str | None:
    """Events that must make one push between them: a fulfillment told as the order's status
    change and as a `fulfillment.*` event of its own. Edits set quantities (repeating one
    changes nothing) and cancels ask Shopify first: no key."""
    what = action(topic, payload)
    if what in ("fulfillment", "ready"):
        return f"{what}:{payload['fulfillment_id']}"
    if what == "refund":
        return f"refund:{payload['refund_id']}"
    return None


def wants(url: str, event: OutboxEvent) -> bool:
    """Something to push for one of this shop's orders, that Shopify did not cause."""
    payload = event.payload or {}
    if action(event.topic, payload) is None or (event.actor or "").startswith("shopify:"):
        return False
    domain = url[len(SCHEME):]
    return (payload.get("channel") == "shopify"
            and str(payload.get("external_id") or "").startswith(domain + "/"))


# --------------------------------------------------------------------------- one push

@dataclass(frozen=True)
class RefundPush:
    """A refund of our returns, as Shopify is to get it."""

    refund_id: int                          # ours
    key: str                                # @idempotent key, stable per refund
    note: str                               # carries `marker`, which a retry looks for
    marker: str
    amount: Decimal                         # the money back (shop currency)
    shipping: Decimal
    currency: str
    lines: tuple[tuple[str, int], ...]      # (Shopify line item id, units)


@dataclass(frozen=True)
class Push:
    """Everything a push needs, read in the relay's claim (no database during the calls)."""

    kind: str     # shipment | handover | ready | edit | cancel | refund | skip | invalid
    domain: str
    api_version: str
    token: str | None
    order_gid: str
    lines: tuple[tuple[str, int], ...] = ()    # (Shopify line item id, units) shipped, ...
    carrier: str | None = None
    tracking_number: str | None = None
    targets: tuple[tuple[str, int], ...] = ()  # edit: (Shopify line item id, quantity)
    refund: RefundPush | None = None
    note: str | None = None   # skip/invalid: why; edit: the staff note

    @property
    def pickup(self) -> bool:
        return self.kind in ("handover", "ready")


@dataclass(frozen=True)
class SettleRefund:
    """Our refund, made on Shopify: settled here with Shopify's refund id (its gid), in the
    relay's settle unit of work (after the call), by the returns rule."""

    refund_id: int
    shopify_refund: str
    domain: str

    def __call__(self, uow: UnitOfWork) -> None:
        returning.settled_on_channel(uow, self.refund_id, self.shopify_refund,
                                     channel="Shopify", actor=f"shopify:{self.domain}",
                                     source="shopify")


@dataclass(frozen=True)
class Result:
    ok: bool
    error: str | None
    latency_ms: int
    retry_after: float | None = None
    counts: bool = True   # False: throttled, the attempt budget is not spent
    # What the push made that our database records, in the relay's settle unit of work.
    then: Callable[[UnitOfWork], None] | None = None


@dataclass(frozen=True)
class Target:
    """What `prepare` knows before it reads what the event needs."""

    domain: str
    api_version: str
    token: str | None
    order_gid: str
    order_id: int
    number: str

    def push(self, kind: str, **fields: Any) -> Push:
        return Push(kind=kind, domain=self.domain, api_version=self.api_version,
                    token=self.token, order_gid=self.order_gid, **fields)


def prepare(session: Session, url: str, event: OutboxEvent) -> Push:
    domain = url[len(SCHEME):]
    shop = session.scalars(select(ShopifyShop).where(ShopifyShop.domain == domain)).first()
    payload = event.payload or {}
    order_sid = str(payload.get("external_id") or "").rsplit("/", 1)[-1]
    target = Target(domain=domain, api_version=shop.api_version if shop else "",
                    token=shop.access_token if shop else None,
                    order_gid=mutations.gid("Order", order_sid), order_id=event.aggregate_id,
                    number=str(payload.get("number") or event.aggregate_id))
    what = action(event.topic, payload)
    if what is None:
        return target.push("skip", note="nothing to push for this event")
    earlier = pushed_before(session, url, event)
    if earlier is not None:
        return target.push("skip", note=f"pushed already by delivery {earlier}")
    return BUILDERS[what](session, target, payload)


def pushed_before(session: Session, url: str, event: OutboxEvent) -> int | None:
    """A delivered delivery of another event of the same order to this shop that made the
    push this one would make (the same `once_key`); its id."""
    key = once_key(event.topic, event.payload or {})
    if key is None:
        return None
    rows = session.execute(
        select(Delivery.id, OutboxEvent.topic, OutboxEvent.payload)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .join(OutboxEvent, OutboxEvent.id == Delivery.outbox_id)
        .where(Subscription.url == url, Delivery.aggregate == event.aggregate,
               Delivery.aggregate_id == event.aggregate_id, Delivery.outbox_id != event.id,
               Delivery.status == "delivered")
        .order_by(Delivery.id))
    for delivery_id, topic, payload in rows:
        if once_key(topic, payload or {}) == key:
            return int(delivery_id)
    return None


def _fulfilled_lines(session: Session, fulfillment_id: int) -> tuple[tuple[str, int], ...]:
    """(Shopify line item id, units) of one fulfillment: picked units where a pick was
    recorded (a short pick sends fewer), else its quantity."""
    rows = session.execute(
        select(OrderLine.external_id, FulfillmentLine.picked_quantity, FulfillmentLine.quantity)
        .join(OrderLine, OrderLine.id == FulfillmentLine.order_line_id)
        .where(FulfillmentLine.fulfillment_id == fulfillment_id)
        .order_by(FulfillmentLine.id)).all()
    out = []
    for ext, picked, quantity in rows:
        units = quantity if picked is None else picked
        if ext and units > 0:
            out.append((str(ext), units))
    return tuple(out)


def _cancel(session: Session, target: Target, payload: dict[str, Any]) -> Push:
    return target.push("cancel")


def _edit(session: Session, target: Target, payload: dict[str, Any]) -> Push:
    """Every Shopify line at ordered - cancelled here, read now (the latest state: a retry
    or a later edit converges on it); every line at 0 is a cancel."""
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == target.order_id)
                            .order_by(OrderLine.line_no)).all()
    targets = tuple((str(ln.external_id), ln.quantity - ln.cancelled) for ln in lines
                    if ln.external_id)
    if not targets:
        return target.push("skip", note="no line of this order is a Shopify line item")
    if all(quantity == 0 for _, quantity in targets) and len(targets) == len(lines):
        return target.push("cancel")
    return target.push("edit", targets=targets,
                       note=f"units cancelled in the OMS (order {target.number})")


def _fulfillment(session: Session, target: Target, payload: dict[str, Any]) -> Push:
    f = session.get(Fulfillment, payload["fulfillment_id"])
    if f is None:
        return target.push("skip", note=f"no fulfillment {payload['fulfillment_id']}")
    if f.method == "ship" and f.status == "shipped":
        return target.push("shipment", lines=_fulfilled_lines(session, f.id),
                           carrier=f.carrier, tracking_number=f.tracking_number)
    if f.method == "pickup" and f.status == "picked_up":
        return target.push("handover", lines=_fulfilled_lines(session, f.id))
    if f.method == "pickup" and f.status == "cancelled":  # not collected in time
        return _edit(session, target, payload)
    return target.push("skip", note=f"fulfillment {f.id} ({f.method}) is {f.status}")


def _ready(session: Session, target: Target, payload: dict[str, Any]) -> Push:
    f = session.get(Fulfillment, payload["fulfillment_id"])
    if f is None or f.method != "pickup" or f.status != "ready_for_pickup":
        # Collected or expired before the push went: Shopify would email a stale notice.
        what = "gone" if f is None else f.status
        return target.push("skip", note=f"pickup {payload['fulfillment_id']} is {what}")
    return target.push("ready", lines=_fulfilled_lines(session, f.id))


def _refund(session: Session, target: Target, payload: dict[str, Any]) -> Push:
    refund = session.get(Refund, payload["refund_id"])
    if refund is None or refund.status != "pending":
        return target.push("skip", note=f"refund {payload['refund_id']} is not ours to send")
    ret = session.get(Return, refund.return_id)
    assert ret is not None  # a refund belongs to a return
    external = dict(session.execute(select(OrderLine.id, OrderLine.external_id)
                                    .where(OrderLine.order_id == ret.order_id)).all())
    units: dict[str, int] = {}
    for rl in ret.lines:
        if rl.received <= 0:  # cancelled before it arrived: not refunded
            continue
        ext = external.get(rl.order_line_id)
        if not ext:
            return target.push("invalid", note=f"return R-{ret.id}: order line "
                                               f"{rl.order_line_id} is not a Shopify line item")
        units[str(ext)] = units.get(str(ext), 0) + rl.received
    key = f"oms-refund-{mutations.tail(target.order_gid)}-{refund.id}"
    marker = f"[{key}]"
    return target.push("refund", refund=RefundPush(
        refund_id=refund.id, key=key, marker=marker,
        note=f"Return R-{ret.id} of order {target.number} {marker}",
        amount=refund.amount, shipping=refund.shipping, currency=refund.currency,
        lines=tuple(units.items())))


BUILDERS: dict[str, Callable[[Session, Target, dict[str, Any]], Push]] = {
    "cancel": _cancel,
    "edit": _edit,
    "fulfillment": _fulfillment,
    "ready": _ready,
    "refund": _refund,
}

MUTATIONS: dict[str, Callable[[Push], str | None]] = {
    "shipment": mutations.fulfillment_create,
    "handover": mutations.fulfillment_create,
    "ready": mutations.prepared_for_pickup,
    "edit": mutations.order_edit,
    "cancel": mutations.order_cancel,
}


def send(push: Push) -> Result:
    started = time.monotonic()

    def ms() -> int:
        return int((time.monotonic() - started) * 1000)

    if push.kind == "skip":
        return Result(True, None, ms())
    if push.kind == "invalid":
        return Result(False, push.note, ms())
    if not push.token:
        return Result(False, f"shop {push.domain} has no access token", ms())
    if push.kind != "refund" and push.kind not in MUTATIONS:
        return Result(False, f"nothing to push for a {push.kind}", ms())
    try:
        error, then = _mutate(push)
    except client.Throttled as exc:
        return Result(False, str(exc)[:1000], ms(), retry_after=THROTTLE_SECONDS, counts=False)
    except client.ShopifyApiError as exc:
        return Result(False, str(exc)[:1000], ms())
    return Result(error is None, error, ms(), then=then)


def _mutate(push: Push) -> tuple[str | None, SettleRefund | None]:
    """Shopify's user errors (None: it took it), and what it made that we record."""
    if push.kind != "refund":
        return MUTATIONS[push.kind](push), None
    assert push.refund is not None
    made = mutations.refund_create(push)
    if made.error is not None or made.refund_id is None:
        return made.error, None
    return None, SettleRefund(push.refund.refund_id, made.refund_id, push.domain)
