"""Shopify's order events applied to our orders, through the oms use cases: orders/create,
orders/updated and orders/cancelled here, refunds/create in `refunds` (same machinery).

Every change is made in one unit of work that this module opens (`commit_change`): the oms
building blocks (cancel units, add units, change the address) and the settling of the event
commit together, so a crash can never leave a cancellation applied and the event still
`received`, and running an event twice never cancels twice. Each attempt builds its result
afresh, so a retried transaction reports nothing twice. Decisions are made from a
snapshot and re-checked under the order's row lock in that same transaction; when the order
moved in between, the decision is made again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from core.db import UnitOfWork, read_session, run_in_unit_of_work
from core.errors import Conflict, InsufficientStock
from integrations.shopify import client, store, translate
from integrations.shopify import holds as shopify_holds
from integrations.shopify.shops import Shop
from integrations.shopify.translate import Delivery, TranslationError
from oms import events, holds, orders
from oms.domain import TERMINAL, open_units
from oms.orders import LineInput

if TYPE_CHECKING:  # the order is reached through oms.orders; only its type is named here
    from oms.models import Order

log = logging.getLogger(__name__)

SOURCE = "shopify"
REPLANS = 3


@dataclass(frozen=True)
class Ctx:
    event_id: int
    topic: str
    shop: Shop
    payload: dict[str, Any]

    @property
    def actor(self) -> str:
        return f"shopify:{self.shop.domain}"


@dataclass(frozen=True)
class Outcome:
    status: str                       # processed | ignored
    result: dict[str, Any] = field(default_factory=dict)
    settled: bool = False             # already settled in the transaction of the change


class OrderNotYetKnown(Exception):
    """The event is about an order whose creation has not reached us (yet): retry later."""


class Replan(Exception):
    """The order changed between the decision and its application."""


class _Stale(Exception):
    pass


# ------------------------------------------------------------------ snapshots

@dataclass(frozen=True)
class LineSnap:
    id: int
    external_id: str | None
    sku: str
    quantity: int
    cancelled: int
    fulfilled: int

    @property
    def open_units(self) -> int:
        return open_units(self)


@dataclass(frozen=True)
class OrderSnap:
    id: int
    number: str
    status: str
    method: str
    source_updated_at: dt.datetime | None
    lines: tuple[LineSnap, ...]


def snapshot(shop_domain: str, shopify_order_id: Any) -> OrderSnap | None:
    with read_session() as session:
        order = orders.find_by_external(session, translate.CHANNEL,
                                        translate.external_id(shop_domain, shopify_order_id))
        if order is None:
            return None
        return OrderSnap(order.id, order.number, order.status, order.fulfillment_method,
                         order.source_updated_at,
                         tuple(LineSnap(ln.id, ln.external_id, ln.sku, ln.quantity, ln.cancelled,
                                        ln.fulfilled) for ln in order.lines))


def check_lines(order: Order, snap: OrderSnap, cancels: list[tuple[int, int]]) -> None:
    """Under the lock: the lines are as the decision saw them (same lines, same quantities),
    plus its own cancellations."""
    planned = dict(cancels)
    expected = {ln.id: (ln.quantity, ln.cancelled + planned.get(ln.id, 0), ln.fulfilled)
                for ln in snap.lines}
    if {ln.id: (ln.quantity, ln.cancelled, ln.fulfilled) for ln in order.lines} != expected:
        raise Replan


Result = dict[str, Any]


def commit_change(snap: OrderSnap, cancels: Sequence[tuple[int, int]] | None, *, actor: str,
                  reason: str, finish: Callable[[UnitOfWork, Order], Result]) -> Result:
    """One unit of work, the order locked: cancel `cancels` through oms (None: the whole
    order; empty: nothing), then `finish`, which re-checks the decision, builds the event's
    result from scratch, settles the event and returns the result."""
    def work(uow: UnitOfWork) -> Result:
        order = orders.load_for_update(uow.session, snap.id)
        if cancels is None or cancels:
            orders.cancel_units(uow, order, cancels, actor=actor, source=SOURCE, reason=reason)
        return finish(uow, order)

    return run_in_unit_of_work(work)


# ------------------------------------------------------------------ orders/create

def delivery_for(shop: Shop, order: dict[str, Any]) -> Delivery:
    """Ship, pickup or carry-out. Local pickup is only visible in Shopify's fulfillment orders:
    ask for them when the shop gave us an Admin API token, else use the fallback rule."""
    if translate.is_pos_counter_sale(order, shop.location_map) or not shop.access_token:
        return translate.decide_delivery(order, shop.location_map)
    try:
        nodes = client.fulfillment_orders(shop.domain, shop.api_version, shop.access_token,
                                          translate.order_gid(order))
    except client.ShopifyApiError as exc:
        log.warning("shopify %s order %s: fulfillment orders unavailable (%s); fallback rule",
                    shop.domain, order.get("id"), exc)
        return translate.decide_delivery(
            order, shop.location_map, lookup_note=f"fulfillment orders unavailable ({exc})")
    return translate.decide_delivery(order, shop.location_map, fulfillment_orders=nodes)


def create(ctx: Ctx) -> Outcome:
    order = ctx.payload
    if order.get("id") is None:
        raise TranslationError("the order has no id")
    existing = snapshot(ctx.shop.domain, order["id"])
    if existing is not None:
        return Outcome("processed", {"order_id": existing.id, "created": False})
    with read_session() as session:
        cancelled_by = store.cancelled_on_shopify(session, ctx.shop.domain, str(order["id"]))
    if cancelled_by is not None:
        return Outcome("ignored", {"reason": f"cancelled on Shopify (event {cancelled_by}) "
                                             "before its creation reached us"})
    # An unknown SKU or an unmapped location keeps the order, on hold (shopify_holds).
    delivery, unmapped = shopify_holds.delivery_or_hold(ctx.shop, order, delivery_for)
    intake = holds.place_or_hold(translate.to_place_order(order, ctx.shop.domain, delivery,
                                                          actor=ctx.actor), location=unmapped)
    return Outcome("processed", {**shopify_holds.result(intake),
                                 "method": delivery.method, "location": delivery.location,
                                 "delivery_rule": delivery.rule, "delivery": delivery.detail})


# ------------------------------------------------------------------ orders/cancelled

def cancelled(ctx: Ctx) -> Outcome:
    order = ctx.payload
    snap = snapshot(ctx.shop.domain, order.get("id"))
    if snap is None:
        return _cancel_unknown(ctx)
    return _cancel_whole(ctx, snap, translate.parse_time(order.get("updated_at")),
                         order.get("cancel_reason"), {})


def _cancel_unknown(ctx: Ctx) -> Outcome:
    with read_session() as session:
        pending = store.creation_pending(session, ctx.shop.domain, str(ctx.payload.get("id")))
    if pending:
        raise OrderNotYetKnown(f"order {ctx.payload.get('id')} is still being created here; "
                               "the cancellation is retried after it")
    return Outcome("ignored", {"reason": "unknown order: nothing to cancel (an orders/create "
                                         "arriving later sees this cancellation)"})


def _cancel_whole(ctx: Ctx, snap: OrderSnap, updated_at: dt.datetime | None,
                  cancel_reason: str | None, base: dict[str, Any]) -> Outcome:
    if snap.status == "cancelled":
        return Outcome("ignored", {**base, "order_id": snap.id, "reason": "already cancelled"})
    if snap.status in TERMINAL:
        return Outcome("ignored", {**base, "order_id": snap.id,
                                   "reason": f"order is {snap.status} here"})
    if snap.status == "fulfilled":
        return _nothing_left_to_cancel(snap, base)

    def finish(uow: UnitOfWork, order: Order) -> Result:
        result = {**base, "order_id": snap.id, "applied": ["cancelled the order"],
                  "cancel_reason": cancel_reason}
        orders.note_source_version(order, updated_at)
        store.settle(uow.session, ctx.event_id, "processed", result)
        return result

    try:
        result = commit_change(snap, None, actor=ctx.actor, finish=finish,
                               reason="cancelled on Shopify" + (f": {cancel_reason}"
                                                                if cancel_reason else ""))
    except store.AlreadySettled:
        return Outcome("processed", {}, settled=True)
    except Conflict:
        now = snapshot(ctx.shop.domain, ctx.payload.get("id"))
        if now is not None and now.status == "cancelled":
            return Outcome("ignored", {**base, "order_id": snap.id,
                                       "reason": "already cancelled"})
        if now is not None and now.status == "fulfilled":  # the last units left meanwhile
            return _nothing_left_to_cancel(now, base)
        raise
    return Outcome("processed", result, settled=True)


def _nothing_left_to_cancel(snap: OrderSnap, base: dict[str, Any]) -> Outcome:
    """Shopify cancelled an order whose every unit we have already shipped or handed over
    (our fulfillment had not reached Shopify yet, or a till sale). Nothing can be cancelled:
    those units come back as a return. The same answer every time, so the event is settled
    `ignored` with the reason at once; it used to raise a Conflict that RQ retried with
    backoff until the event was marked failed (found by the soak)."""
    return Outcome("ignored", {**base, "order_id": snap.id,
                               "reason": "order is fulfilled here: every unit was shipped or "
                                         "handed over, nothing left to cancel (a return)"})


# ------------------------------------------------------------------ orders/updated

@dataclass
class UpdatePlan:
    cancels: list[tuple[int, int]]
    additions: list[tuple[int | None, LineInput]]
    manual: list[str]
    ship_to: dict[str, Any] | None
    refunds_seen: list[str]


def plan_update(snap: OrderSnap, order: dict[str, Any]) -> UpdatePlan:
    """What Shopify's current order means for ours.

    Per line, the units Shopify removed before they were delivered are
    `our quantity - current_quantity - units refunded as returns`; what of those we have not
    cancelled yet is cancelled now, never more than our open units, and never so many that we
    would hold fewer open units than Shopify still expects to fulfil (`fulfillable_quantity`).
    That is computed from state, not from the change, so applying it twice is harmless.
    """
    returned = translate.returned_quantities(order)
    items = {str(i.get("id")): i for i in order.get("line_items") or []}
    ours = {ln.external_id for ln in snap.lines}
    cancels: list[tuple[int, int]] = []
    additions: list[tuple[int | None, LineInput]] = []
    manual: list[str] = []
    can_add = snap.method != "carry_out"
    for line in snap.lines:
        item = items.get(line.external_id or "")
        if item is None:
            continue
        wanted = translate.current_quantity(item)
        removed = line.quantity - wanted - returned.get(line.external_id or "", 0)
        to_cancel = min(removed - line.cancelled, line.open_units)
        fulfillable = item.get("fulfillable_quantity")
        if isinstance(fulfillable, int) and not isinstance(fulfillable, bool):
            to_cancel = min(to_cancel, line.open_units - fulfillable)
        if to_cancel > 0:
            cancels.append((line.id, to_cancel))
        shipped_anyway = removed - line.cancelled - line.open_units
        if shipped_anyway > 0:
            manual.append(f"{line.sku}: {shipped_anyway} unit(s) removed on Shopify were "
                          "already shipped or handed over here (a return, not a cancellation)")
        if wanted > line.quantity and can_add:
            extra = translate.line_input(item, wanted - line.quantity)
            additions.append((line.id, replace(extra, sku=line.sku)))
        elif wanted > line.quantity:
            manual.append(f"{line.sku}: quantity raised on Shopify from {line.quantity} to "
                          f"{wanted} on a counter sale; the {wanted - line.quantity} extra "
                          "unit(s) are not ordered here")
    for key, item in items.items():
        quantity = translate.current_quantity(item)
        if key in ours or quantity <= 0:
            continue
        if can_add:
            additions.append((None, translate.line_input(
                item, quantity, applications=order.get("discount_applications") or [],
                taxes_included=order.get("taxes_included") is True)))
        else:
            manual.append(f"new line on Shopify: {item.get('sku') or 'no SKU'} x{quantity} "
                          f"({item.get('title')}) on a counter sale; not added here")
    address = translate.address(order)
    return UpdatePlan(cancels, additions, manual, address.as_dict() if address else None,
                      translate.refund_ids(order))


def update(ctx: Ctx) -> Outcome:
    order = ctx.payload
    updated_at = translate.parse_time(order.get("updated_at"))
    if updated_at is None:
        raise TranslationError("orders/updated without updated_at: cannot tell whether it is "
                               "newer than what we hold")
    snap = snapshot(ctx.shop.domain, order.get("id"))
    base: dict[str, Any] = {}
    force = False
    if snap is None:
        if order.get("cancelled_at"):
            return Outcome("ignored", {"reason": "cancelled on Shopify before the order "
                                                 "reached us"})
        created = create(ctx)
        if created.status != "processed":
            return created
        base = {**created.result, "treated_as_create": True}
        snap = snapshot(ctx.shop.domain, order.get("id"))
        assert snap is not None  # create() just placed it
        force = True  # made from this very payload: its removals still need applying
    if (not force and snap.source_updated_at is not None
            and updated_at <= snap.source_updated_at):
        return _stale(snap, updated_at, snap.source_updated_at, base)
    if order.get("cancelled_at"):
        return _cancel_whole(ctx, snap, updated_at, order.get("cancel_reason"), base)
    if snap.status in TERMINAL:
        return Outcome("ignored", {**base, "order_id": snap.id,
                                   "reason": f"order is {snap.status} here"})
    if snap.status == "on_hold":
        held = shopify_holds.refresh(ctx.shop, order, snap.id, delivery_for, actor=ctx.actor,
                                     force=force, base=base)
        if held is not None:
            return Outcome("ignored" if held.get("reason") == "stale" else "processed", held)
        snap = snapshot(ctx.shop.domain, order.get("id"))  # released meanwhile
        assert snap is not None  # orders are never deleted
    for _ in range(REPLANS):
        try:
            return _apply_update(ctx, snap, plan_update(snap, order), updated_at, force, base)
        except (Replan, InsufficientStock):  # the order, or the stock for added units, moved
            snap = snapshot(ctx.shop.domain, order.get("id"))
            assert snap is not None  # orders are never deleted
            if snap.status in TERMINAL:
                return Outcome("ignored", {**base, "order_id": snap.id,
                                           "reason": f"order is {snap.status} here"})
        except _Stale as exc:
            return _stale(snap, updated_at, exc.args[0], base)
        except store.AlreadySettled:
            return Outcome("processed", {}, settled=True)
    raise RuntimeError(f"order {snap.number} kept changing while the update was applied")


def _stale(snap: OrderSnap, updated_at: dt.datetime, held: dt.datetime | None,
           base: dict[str, Any]) -> Outcome:
    return Outcome("ignored", {**base, "order_id": snap.id, "reason": "stale",
                               "updated_at": updated_at.isoformat(),
                               "held_updated_at": held.isoformat() if held else None})


def _apply_update(ctx: Ctx, snap: OrderSnap, plan: UpdatePlan, updated_at: dt.datetime,
                  force: bool, base: dict[str, Any]) -> Outcome:
    def finish(uow: UnitOfWork, order: Order) -> Result:
        session = uow.session
        result: Result = {**base, "order_id": snap.id, "applied": [], "left": [],
                          "refunds_seen": plan.refunds_seen}
        if (not force and order.source_updated_at is not None
                and updated_at <= order.source_updated_at):
            raise _Stale(order.source_updated_at)
        check_lines(order, snap, plan.cancels)
        by_id = {ln.id: ln for ln in snap.lines}
        result["applied"] += [f"cancelled {qty} unit(s) of {by_id[lid].sku} (line {lid})"
                              for lid, qty in plan.cancels]
        result["cancelled"] = [{"line_id": lid, "quantity": qty} for lid, qty in plan.cancels]
        if plan.ship_to and orders.change_ship_to(
                uow, order, plan.ship_to, actor=ctx.actor, source=SOURCE,
                description=_address_text(plan.ship_to)):
            result["applied"].append("shipping address")
        if plan.additions:
            result["applied"] += orders.add_units(uow, order, plan.additions,
                                                  actor=ctx.actor, source=SOURCE)
        if plan.manual:
            result["manual"] = plan.manual
            result["left"] += plan.manual
            if plan.manual != store.last_manual_notes(session, ctx.shop.domain,
                                                      str(ctx.payload.get("id"))):
                events.record(uow, order, "shopify.needs_manual_handling",
                              "changed on Shopify, needs a person: " + "; ".join(plan.manual),
                              actor=ctx.actor, source=SOURCE, data={"changes": plan.manual})
        orders.note_source_version(order, updated_at)
        session.flush()
        store.settle(session, ctx.event_id, "processed", result)
        return result

    result = commit_change(snap, plan.cancels, actor=ctx.actor,
                           reason="quantity reduced on Shopify", finish=finish)
    return Outcome("processed", result, settled=True)


def _address_text(ship_to: dict[str, Any]) -> str:
    return ", ".join(str(ship_to[k]) for k in ("line1", "city", "region", "postal_code",
                                                "country") if ship_to.get(k))
