"""refunds/create: the refund on the order's timeline, its `cancel` units cancelled here, its
`return` units a received return at the till's mapped location (`returns.use_cases`: authorised
and received as restocked in the same transaction, its refund recorded as settled by Shopify).
Returned units at a Shopify location we have not mapped, or that our order does not show as
handed over, stay recorded as a restock owed (on the timeline, for a person).

Applied once per refund id, whether the refund arrives by its own webhook (twice, through two
subscriptions) or its effect was already applied from an orders/updated that listed it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.db import UnitOfWork, read_session
from integrations.shopify import store, translate
from integrations.shopify.apply import (
    REPLANS,
    SOURCE,
    Ctx,
    OrderNotYetKnown,
    OrderSnap,
    Outcome,
    Replan,
    Result,
    check_lines,
    commit_change,
    snapshot,
)
from oms import events
from oms.domain import TERMINAL
from oms.models import Order
from returns import use_cases as returning
from returns.errors import ReturnRuleBroken


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return Decimal("0")
    return amount if amount.is_finite() else Decimal("0")


def refund_summary(refund: dict[str, Any], location_map: dict[str, str]) -> dict[str, Any]:
    paid = [t for t in refund.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status") in ("success", None)]
    lines = []
    for rli in refund.get("refund_line_items") or []:
        item = rli.get("line_item") or {}
        shopify_location = translate.location_id(rli.get("location_id"))
        lines.append({
            "line_item_id": str(rli.get("line_item_id") or item.get("id")),
            "sku": item.get("sku"), "quantity": int(rli.get("quantity") or 0),
            "restock_type": rli.get("restock_type") or "no_restock",
            "shopify_location_id": shopify_location,
            "location": location_map.get(shopify_location) if shopify_location else None,
            "subtotal": str(rli.get("subtotal")) if rli.get("subtotal") is not None else None,
        })
    return {"refund_id": str(refund.get("id")),
            "amount": str(sum((_money(t.get("amount")) for t in paid), Decimal("0"))),
            "currency": next((t.get("currency") for t in paid if t.get("currency")), None),
            "lines": lines}


def _refund_cancels(snap: OrderSnap, summary: dict[str, Any]) -> tuple[list[tuple[int, int]],
                                                                         list[str]]:
    by_external = {ln.external_id: ln for ln in snap.lines}
    wanted: dict[int, int] = {}
    notes = []
    for rl in summary["lines"]:
        if rl["restock_type"] != "cancel" or rl["quantity"] <= 0:
            continue
        line = by_external.get(rl["line_item_id"])
        if line is None:
            notes.append(f"refunded line item {rl['line_item_id']} is not on our order")
            continue
        wanted[line.id] = wanted.get(line.id, 0) + rl["quantity"]
    cancels = []
    for line in snap.lines:
        if line.id not in wanted:
            continue
        qty = min(wanted[line.id], line.open_units)
        if qty < wanted[line.id]:
            notes.append(f"{line.sku}: {wanted[line.id] - qty} refunded unit(s) were already "
                         "shipped or handed over; only open units are cancelled")
        if qty > 0:
            cancels.append((line.id, qty))
    return cancels, notes


def refund(ctx: Ctx) -> Outcome:
    payload = ctx.payload
    summary = refund_summary(payload, ctx.shop.location_map)
    refund_id, order_sid = summary["refund_id"], str(payload.get("order_id"))
    snap = snapshot(ctx.shop.domain, order_sid)
    if snap is None:
        raise OrderNotYetKnown(f"refund {refund_id}: order {order_sid} is not known here (yet)")
    for _ in range(REPLANS):
        with read_session() as session:
            duplicate = store.refund_applied(session, ctx.shop.domain, refund_id, ctx.event_id)
            reflected = store.refund_reflected(session, ctx.shop.domain, order_sid, refund_id)
        if duplicate is not None:
            return Outcome("ignored", {"order_id": snap.id, "refund_id": refund_id,
                                       "reason": f"refund already applied by event {duplicate}"})
        if reflected is not None or snap.status in TERMINAL:
            cancels: list[tuple[int, int]] = []
            notes: list[str] = []
        else:
            cancels, notes = _refund_cancels(snap, summary)
        try:
            return _apply_refund(ctx, snap, summary, cancels, notes, reflected)
        except Replan:
            snap = snapshot(ctx.shop.domain, order_sid)
            assert snap is not None  # orders are never deleted
        except store.AlreadySettled:
            return Outcome("processed", {}, settled=True)
    raise RuntimeError(f"order {snap.number} kept changing while the refund was applied")


def _apply_refund(ctx: Ctx, snap: OrderSnap, summary: dict[str, Any],
                  cancels: list[tuple[int, int]], notes: list[str],
                  reflected: int | None) -> Outcome:
    refund_id = summary["refund_id"]
    order_sid = str(ctx.payload.get("order_id"))
    by_id = {ln.id: ln for ln in snap.lines}

    def finish(uow: UnitOfWork, order: Order) -> Result:
        session = uow.session
        result: Result = {
            "order_id": snap.id, "refund_id": refund_id, "amount": summary["amount"],
            "currency": summary["currency"],
            "cancelled": [{"line_id": lid, "sku": by_id[lid].sku, "quantity": q}
                          for lid, q in cancels],
            "restock_owed": [], "left": list(notes)}
        if reflected is not None:
            result["left"].append(f"cancellations already applied from the order update of "
                                  f"event {reflected}")
        if store.refund_applied(session, ctx.shop.domain, refund_id, ctx.event_id):
            raise Replan
        now_reflected = store.refund_reflected(session, ctx.shop.domain, order_sid, refund_id)
        if (now_reflected is None) != (reflected is None):
            raise Replan
        check_lines(order, snap, cancels)
        parts = []
        for rl in summary["lines"]:
            where = ""
            if rl["restock_type"] in ("return", "legacy_restock"):
                where = f" at {rl['location'] or 'unmapped Shopify location'}"
            parts.append(f"{rl['sku'] or rl['line_item_id']} x{rl['quantity']} "
                         f"({rl['restock_type']}{where})")
        message = (f"Shopify refund {refund_id}: {summary['amount']} {summary['currency'] or ''}"
                   .rstrip() + " refunded" + (f"; {', '.join(parts)}" if parts else "")
                   + (f"; {sum(q for _, q in cancels)} unit(s) cancelled here" if cancels
                      else ""))
        events.record(uow, order, "shopify.refund", message, actor=ctx.actor,
                      source=SOURCE, data={**summary, "cancelled": result["cancelled"]})
        booked = _book_returns(uow, ctx, order, summary, by_external={
            ln.external_id: ln.id for ln in snap.lines})
        result["returns"] = booked["returns"]
        for rl in summary["lines"]:
            if rl["restock_type"] not in ("return", "legacy_restock") or rl["quantity"] <= 0:
                continue
            if id(rl) in booked["done"]:
                continue
            if rl["location"] and rl["line_item_id"] in booked["why_not"]:
                rl = {**rl, "not_booked": booked["why_not"][rl["line_item_id"]]}
            owed = {"sku": rl["sku"], "quantity": rl["quantity"], "location": rl["location"],
                    "shopify_location_id": rl["shopify_location_id"], "refund_id": refund_id}
            result["restock_owed"].append(owed)
            place = (rl["location"] or f"Shopify location {rl['shopify_location_id']}, which "
                     "is not mapped to one of our locations")
            events.record(uow, order, "shopify.return_restock_owed",
                          f"{rl['sku'] or rl['line_item_id']} x{rl['quantity']} came back "
                          f"(Shopify refund {refund_id}): a return restock is owed at {place}; "
                          "not booked in the ledger yet"
                          + (f" ({rl['not_booked']})" if rl.get("not_booked") else ""),
                          actor=ctx.actor, source=SOURCE, data=owed)
        if result["restock_owed"]:
            result["left"].append("return restocks recorded on the timeline, not booked")
        session.flush()
        store.settle(session, ctx.event_id, "processed", result)
        return result

    result = commit_change(snap, cancels, actor=ctx.actor, reason=f"Shopify refund {refund_id}",
                           finish=finish)
    return Outcome("processed", result, settled=True)


def _book_returns(uow: UnitOfWork, ctx: Ctx, order: Order, summary: dict[str, Any], *,
                  by_external: dict[str | None, int]) -> dict[str, Any]:
    """The refund's returned units at mapped locations become one received return per
    location (restocked there, refund settled by Shopify), keyed by shop, refund and location
    so that the refund seen twice makes one return. Units our order cannot take back (not
    handed over here, or more than it shows) are left as a restock owed, with why."""
    refund_id = summary["refund_id"]
    wanted: dict[str, dict[int, int]] = {}
    rows: dict[str, list[dict[str, Any]]] = {}
    why_not: dict[str, str] = {}
    for rl in summary["lines"]:
        if rl["restock_type"] not in ("return", "legacy_restock") or rl["quantity"] <= 0 \
                or not rl["location"]:
            continue
        line_id = by_external.get(rl["line_item_id"])
        if line_id is None:
            why_not[rl["line_item_id"]] = "the line item is not on our order"
            continue
        per = wanted.setdefault(rl["location"], {})
        per[line_id] = per.get(line_id, 0) + rl["quantity"]
        rows.setdefault(rl["location"], []).append(rl)
    done: set[int] = set()
    made = []
    for location, lines in sorted(wanted.items()):
        cmd = returning.CreateReturn(
            order_id=order.id, location=location, actor=ctx.actor, source=SOURCE,
            lines=tuple(returning.ReturnLineInput(lid, q, "other")
                        for lid, q in sorted(lines.items())),
            note=f"Shopify refund {refund_id}", channel_source="shopify",
            override_window_reason=f"refunded in Shopify (refund {refund_id})",
            external_ref=f"shopify:{ctx.shop.domain}/refund:{refund_id}@{location}")
        try:
            with uow.session.begin_nested():
                return_id = returning.authorise(uow, cmd, None)
        except ReturnRuleBroken as exc:
            for rl in rows[location]:
                why_not[rl["line_item_id"]] = exc.message
            continue
        view = returning.received_view(uow.session, return_id)
        if view["status"] == "authorised":
            returning.receive_in(
                uow, order.id, return_id,
                [returning.ReceiveLineInput(lid, q, "restock")
                 for lid, q in sorted(lines.items())],
                None, actor=ctx.actor, source=SOURCE,
                settled_refund=f"shopify:{refund_id}")
        made.append({"return_id": return_id, "location": location,
                     "lines": [{"line_id": lid, "quantity": q}
                               for lid, q in sorted(lines.items())]})
        done.update(id(rl) for rl in rows[location])
    return {"returns": made, "done": done, "why_not": why_not}
