"""A customer's lifetime value: the named rule, and the figures it reads (SQL sums over every
order of the customer, so it stays one indexed query however many orders they have).

**Lifetime value = paid - refunded**, where

- *paid* is what the customer's orders come to after cancellations (each order's open
  `total`: cancelled units are off it, shipping goes with the last unit), exchange orders
  aside (a return's refund pays for those, not the customer), plus the top-ups the customer
  paid for exchanges dearer than what they brought back;
- *refunded* is every refund recorded for their returns (`ret_refunds.amount`, pending or
  settled: what they get or got back; an exchange's new items are already kept out of it).

So a return refunded in full brings an order's contribution to zero, an even exchange
changes nothing, and an exchange with a top-up adds exactly the top-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.money import CENT, to_cents
from oms.models import Order
from returns import queries as return_queries


@dataclass(frozen=True)
class CustomerMoney:
    """The figures the rule reads, each in the orders' currency."""

    orders_paid: Decimal
    exchange_top_ups: Decimal
    refunded: Decimal

    @property
    def paid(self) -> Decimal:
        return self.orders_paid + self.exchange_top_ups

    @property
    def lifetime_value(self) -> Decimal:
        return lifetime_value(self.orders_paid, self.exchange_top_ups, self.refunded)


def lifetime_value(orders_paid: Decimal, exchange_top_ups: Decimal,
                   refunded: Decimal) -> Decimal:
    """Paid minus refunded (module docstring), to the cent. Each figure is a Decimal of whole
    cents (`core.money.to_cents` refuses floats and fractions of a cent)."""
    paid = to_cents(orders_paid, "orders_paid") + to_cents(exchange_top_ups, "exchange_top_ups")
    return paid - to_cents(refunded, "refunded")


def _sum(value: object) -> Decimal:
    """A SQL sum as whole cents: SQLite adds NUMERIC as floating point, so its sums may carry
    binary noise far below a cent."""
    return Decimal(str(value or 0)).quantize(CENT)


def customer_money(session: Session, customer_id: int) -> CustomerMoney:
    theirs = select(Order.id).where(Order.customer_id == customer_id)
    orders_paid = session.scalar(
        select(func.sum(Order.total)).where(
            Order.customer_id == customer_id,
            Order.id.not_in(return_queries.exchange_orders(theirs))))
    return CustomerMoney(
        orders_paid=_sum(orders_paid),
        exchange_top_ups=_sum(return_queries.exchange_top_ups(session, theirs)),
        refunded=_sum(return_queries.refunded_total(session, theirs)))


def channels_used(session: Session, customer_id: int) -> list[dict]:
    """Per channel the customer bought on: how many orders, what they came to (open totals)
    and when the first and last were placed; most orders first."""
    rows = session.execute(
        select(Order.channel, func.count(), func.sum(Order.total), func.min(Order.created_at),
               func.max(Order.created_at))
        .where(Order.customer_id == customer_id).group_by(Order.channel)).all()
    return sorted(({"channel": channel, "orders": count, "total": _sum(total),
                    "first_at": first, "last_at": last}
                   for channel, count, total, first, last in rows),
                  key=lambda row: (-row["orders"], row["channel"]))
