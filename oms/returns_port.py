"""oms's side of returns (`returns.order_port.OrderSide`): how returns read and change orders.
Each method is a building block inside the returns use case's unit of work, the order locked
first (`lock`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from core.db import UnitOfWork, utcnow
from core.errors import InvalidInput
from core.money import PaidLine, ShippingLine
from fulfillment.models import Fulfillment, FulfillmentLine
from inventory import ledger, snapshot
from oms import customers, domain, events, money_view, orders, queries
from oms.models import Order, OrderLine
from returns.models import Return
from returns.order_port import (
    ExchangeLine,
    ExchangePlaced,
    ExchangeQuote,
    ExchangeRequest,
    Moved,
    OrderForReturn,
    ReturnableLine,
)
from returns.use_cases import store_has_all

HANDED_OVER = ("shipped", "picked_up")


def paid_line(line: OrderLine) -> PaidLine:
    """What the customer paid for the line as ordered (`oms.money_view.paid_line`: unit price,
    discount, tax; old orders: unit price x quantity)."""
    return money_view.paid_line(line, bool(line.order.taxes_included))


def shipping_paid(order: Order) -> list[ShippingLine]:
    """The order's shipping charges (`oms.money_view.shipping_paid`)."""
    return money_view.shipping_paid(order)


def _handed_over_at(session: Session, order: Order) -> dict[int, dt.datetime]:
    """Per order line, when its units were last handed over (shipped or picked up); a
    carry-out sale was handed over when it was sold."""
    if order.fulfillment_method == "carry_out":
        return {ln.id: order.created_at for ln in order.lines}
    rows = session.execute(
        select(FulfillmentLine.order_line_id,
               func.max(func.coalesce(Fulfillment.picked_up_at, Fulfillment.shipped_at)))
        .join(Fulfillment, Fulfillment.id == FulfillmentLine.fulfillment_id)
        .where(Fulfillment.order_id == order.id, Fulfillment.status.in_(HANDED_OVER),
               Fulfillment.method != "transfer")
        .group_by(FulfillmentLine.order_line_id)).all()
    return {line_id: at for line_id, at in rows if at is not None}


def describe(session: Session, order: Order) -> OrderForReturn:
    handed = _handed_over_at(session, order)
    names = snapshot.item_names(session, {ln.sku for ln in order.lines if not ln.name})
    refunded_shipping = session.scalar(select(exists().where(
        Return.order_id == order.id, Return.refund_shipping.is_(True),
        Return.status != "cancelled")))
    return OrderForReturn(
        order_id=order.id, number=order.number, channel=order.channel,
        channel_name=order.channel_name, status=order.status, currency=order.currency,
        customer_id=order.customer_id, created_by_key_id=order.created_by_key_id,
        ship_to=order.ship_to,
        lines=tuple(ReturnableLine(
            line_id=ln.id, sku=ln.sku, name=ln.name or names.get(ln.sku), quantity=ln.quantity,
            fulfilled=ln.fulfilled, returned=ln.returned, paid=paid_line(ln),
            handed_over_at=handed.get(ln.id)) for ln in order.lines),
        shipping=tuple(shipping_paid(order)), shipping_refunded=bool(refunded_shipping))


class OmsReturnOrders:
    def lock(self, uow: UnitOfWork, order_id: int) -> OrderForReturn:
        return describe(uow.session, orders.load_for_update(uow.session, order_id))

    def describe(self, session: Session, order_id: int) -> OrderForReturn | None:
        order = session.get(Order, order_id)
        return None if order is None else describe(session, order)

    def returned(self, uow: UnitOfWork, order_id: int, moved: Moved, *, kind: str,
                 message: str, actor: str, source: str, data: dict[str, Any],
                 topic: str = "return.created") -> None:
        order = _order(uow, order_id)
        lines = {ln.id: ln for ln in order.lines}
        for line_id, qty in moved:
            domain.mark_returned(lines[line_id], qty)
        order.updated_at = utcnow()
        uow.session.flush()
        events.record(uow, order, kind, message, actor=actor, source=source,
                      topic=topic, data=data)

    def note(self, uow: UnitOfWork, order_id: int, kind: str, message: str, *, actor: str,
             source: str, topic: str | None = None, data: dict[str, Any] | None = None) -> None:
        events.record(uow, _order(uow, order_id), kind, message, actor=actor, source=source,
                      topic=topic, data=data)

    def quote_exchange(self, session: Session,
                       lines: tuple[ExchangeLine, ...]) -> ExchangeQuote:
        prices = []
        for i, ln in enumerate(lines):
            item = ledger.item_by_sku(session, ln.sku, field=f"exchange_lines.{i}.sku")
            prices.append(Decimal(item.price).quantize(Decimal("0.01")))
        total = sum((p * ln.quantity for p, ln in zip(prices, lines, strict=True)),
                    Decimal("0.00"))
        return ExchangeQuote(total=total, prices=tuple(prices))

    def place_exchange(self, uow: UnitOfWork, original_order_id: int, request: ExchangeRequest,
                       quote: ExchangeQuote, *, actor: str, source: str) -> ExchangePlaced:
        session = uow.session
        original = _order(uow, original_order_id)
        method, sale, pickup, address = _exchange_method(session, request)
        cmd = orders.PlaceOrder(
            channel=original.channel, external_id=f"exchange:R-{request.return_id}",
            currency=original.currency,
            lines=tuple(orders.LineInput(sku=ln.sku, quantity=ln.quantity, unit_price=price)
                        for ln, price in zip(request.lines, quote.prices, strict=True)),
            method=method, sale_location=sale, pickup_location=pickup, address=address,
            customer=customers.SeenIdentity(email=original.email, phone=original.phone,
                                            name=original.customer_name,
                                            channel=original.channel),
            channel_name=f"exchange for {original.number}", actor=actor, source=source)
        placed = orders.place_in(uow, cmd)
        order = _order(uow, placed.order_id)
        events.record(uow, order, "order.exchange",
                      f"exchange order for return R-{request.return_id} of {original.number}",
                      actor=actor, source=source,
                      data={"return_id": request.return_id, "original_order_id": original.id})
        return ExchangePlaced(order_id=order.id, number=order.number, status=order.status,
                              method=order.fulfillment_method)

    def search(self, session: Session, q: str, limit: int) -> list[int]:
        return queries.order_ids_matching(session, q, limit)


def _exchange_method(session: Session, request: ExchangeRequest
                     ) -> tuple[str, str | None, str | None, orders.Address | None]:
    """Carry-out from the store where the customer stands when it has every new item (and
    nothing is owed); otherwise the customer's choice: ship, or pick up."""
    if request.store and request.hand_over_now and \
            store_has_all(session, request.store, request.lines):
        return "carry_out", request.store, None, None
    if request.method == "pickup":
        store = request.pickup_location or request.store
        if store is None:
            raise InvalidInput("exchange.pickup_location", "required for a pickup exchange")
        return "pickup", None, store, None
    if not request.address:
        raise InvalidInput("exchange.address", "the original order has no address to ship to")
    known = set(orders.Address.__dataclass_fields__)
    return "ship", None, None, orders.Address(**{k: v for k, v in request.address.items()
                                                 if k in known})


def _order(uow: UnitOfWork, order_id: int) -> Order:
    order = uow.session.get(Order, order_id)
    assert order is not None, f"order {order_id} of a return"
    return order
