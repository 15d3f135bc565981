"""The omnichannel KPIs over a period, each a named query computed with SQL aggregates (never a
Python loop over orders), and the segments behind each figure (a condition on `Order` that the
order listing applies, so a figure and the orders it links to are the same rule written once).

Words used below (the README, "Operations dashboard", defines them for operators):

- A **purchase** in a period: an order placed in it (`created_at`, naive UTC, start inclusive,
  end exclusive), not cancelled as a whole and not an exchange order (a replacement paid by
  its return's refund, not a new sale).
- Its **touchpoint**: `store` when it was bought in a store (sold at the counter, or taken by
  the `pos` or `store` channel), else its channel (`web`, `shopify`, `marketplace`, `phone`):
  a Shopify POS sale is a store purchase although its channel is `shopify`.
- **Cross-channel**: bought remotely and picked up in a store (BOPIS), shipped by a store, or
  returned in a store; or bought in a store and shipped to the customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from core.db import read_session
from core.errors import InvalidInput
from fulfillment.models import Fulfillment
from inventory.models import Location
from oms.models import Order
from returns.models import Refund, Return

IN_STORE_CHANNELS = ("pos", "store")
STORE = "store"
# Work that did not happen at the node: a rejected shipment was re-routed elsewhere.
NOT_DONE = ("cancelled", "rejected")
PERCENT = Decimal("0.1")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC, as every timestamp is stored."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("to", "must not be before the start of the period")


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, e.g. 3 of 12 customers."""

    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        """To one decimal; None when there is nothing to divide by (no data is not 0 %)."""
        if not self.whole:
            return None
        return (Decimal(self.part) * 100 / self.whole).quantize(PERCENT, ROUND_HALF_EVEN)


# ------------------------------------------------------------------ the rules, once

def bought_in_store(order: Any = Order) -> ColumnElement[bool]:
    """`order`: `Order`, or an alias of it inside a subquery."""
    return or_(order.fulfillment_method == "carry_out", order.channel.in_(IN_STORE_CHANNELS))


def touchpoint() -> ColumnElement[str]:
    return case((bought_in_store(), literal(STORE)), else_=Order.channel)


def _stores():
    return select(Location.code).where(Location.kind == "store").scalar_subquery()


def _exchange_order() -> ColumnElement[bool]:
    return exists().where(Return.exchange_order_id == Order.id)


def purchased_in(period: Period) -> ColumnElement[bool]:
    return and_(Order.created_at >= period.start, Order.created_at < period.end,
                Order.status != "cancelled", ~_exchange_order())


def bopis(order: Any = Order) -> ColumnElement[bool]:
    return and_(~bought_in_store(order), order.fulfillment_method == "pickup")


def store_to_home(order: Any = Order) -> ColumnElement[bool]:
    """Bought at a store, shipped to the customer (the endless aisle)."""
    return and_(bought_in_store(order), order.fulfillment_method == "ship")


# Shipped from a store and returned in a store are sets of order ids, found from the work and
# the returns, never per order: a database hashes a set once, and joins or semi-joins it
# (spilling to disk when large) where an IN under an OR would be looked up order by order.
# `since` is the period's start: work and returns are made after their order, so only those
# made since then can belong to a purchase of the period, and only orders placed since then
# (index ranges on each table's `created_at`).

def ship_from_store_ids(since: dt.datetime):
    bought = aliased(Order)
    return (select(Fulfillment.order_id.label("order_id"))
            .join(bought, bought.id == Fulfillment.order_id)
            .where(bought.created_at >= since, Fulfillment.created_at >= since,
                   Fulfillment.method == "ship", Fulfillment.status.not_in(NOT_DONE),
                   Fulfillment.location_code.in_(_stores()), ~bought_in_store(bought)))


def returned_in_store_ids(since: dt.datetime):
    bought = aliased(Order)
    return (select(Return.order_id.label("order_id"))
            .join(bought, bought.id == Return.order_id)
            .where(bought.created_at >= since, Return.created_at >= since,
                   Return.status != "cancelled", Return.location_code.in_(_stores()),
                   ~bought_in_store(bought)))


def _orders_since(since: dt.datetime, rule: Callable[[Any], ColumnElement[bool]]):
    bought = aliased(Order)
    return select(bought.id.label("order_id")).where(bought.created_at >= since, rule(bought))


def cross_channel_ids(since: dt.datetime):
    return union(_orders_since(since, bopis), _orders_since(since, store_to_home),
                 ship_from_store_ids(since), returned_in_store_ids(since))


def returns_in(period: Period) -> ColumnElement[bool]:
    return and_(Return.created_at >= period.start, Return.created_at < period.end,
                Return.status != "cancelled")


def cross_channel_return(order: Any = Order) -> ColumnElement[bool]:
    """On a return joined to its order: it comes back through another channel than the one it
    was bought on (a remote purchase at a store, a store purchase at a warehouse)."""
    at_store = Return.location_code.in_(_stores())
    return or_(and_(~bought_in_store(order), at_store), and_(bought_in_store(order), ~at_store))


def _customers_by_channel_count(period: Period, *, multichannel: bool):
    """Customers whose purchases in the period span two or more touchpoints (or exactly one)."""
    count = func.count(distinct(touchpoint()))
    return (select(Order.customer_id)
            .where(purchased_in(period), Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
            .having(count >= 2 if multichannel else count == 1))


# ------------------------------------------------------------------ the KPIs

def multichannel_customer_share(period: Period) -> Share:
    """Customers who bought on two or more touchpoints in the period, of all customers who
    bought in it (orders without a known customer are not counted)."""
    per_customer = (select(Order.customer_id, func.count(distinct(touchpoint())).label("n"))
                    .where(purchased_in(period), Order.customer_id.is_not(None))
                    .group_by(Order.customer_id).subquery())
    with read_session() as session:
        whole, part = session.execute(select(
            func.count(), func.coalesce(func.sum(case((per_customer.c.n >= 2, 1), else_=0)), 0))
            .select_from(per_customer)).one()
    return Share(int(part), int(whole))


@dataclass(frozen=True)
class CrossChannel:
    """Cross-channel purchases of all purchases, and how many of each kind (an order may be
    of two kinds, e.g. picked up and later returned in a store: it is one order in `share`)."""

    share: Share
    bopis: int
    ship_from_store: int
    returned_in_store: int
    store_to_home: int


def _counted(condition: ColumnElement[bool]):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cross_channel_purchase_rate(period: Period) -> CrossChannel:
    shipped = ship_from_store_ids(period.start).distinct().subquery()
    returned = returned_in_store_ids(period.start).distinct().subquery()
    by_store, in_store = shipped.c.order_id.is_not(None), returned.c.order_id.is_not(None)
    cross = or_(bopis(), store_to_home(), by_store, in_store)
    with read_session() as session:
        row = session.execute(
            select(func.count(), _counted(cross), _counted(bopis()), _counted(by_store),
                   _counted(in_store), _counted(store_to_home()))
            .select_from(Order)
            .outerjoin(shipped, shipped.c.order_id == Order.id)
            .outerjoin(returned, returned.c.order_id == Order.id)
            .where(purchased_in(period))).one()
    whole, cross_n, *kinds = (int(n) for n in row)
    return CrossChannel(Share(cross_n, whole), *kinds)


def bopis_share(period: Period) -> Share:
    """Remote purchases picked up in a store, of all remote purchases (an in-store sale is
    never BOPIS)."""
    with read_session() as session:
        whole, part = session.execute(select(func.count(), _counted(bopis()))
                                      .where(purchased_in(period), ~bought_in_store())).one()
    return Share(int(part), int(whole))


def cross_channel_return_share(period: Period) -> Share:
    """Returns made in the period (not cancelled) that come back through another channel than
    the order's, of all returns made in it. Counted per return, whenever the order was
    placed."""
    with read_session() as session:
        whole, part = session.execute(
            select(func.count(), _counted(cross_channel_return()))
            .select_from(Return).join(Order, Order.id == Return.order_id)
            .where(returns_in(period))).one()
    return Share(int(part), int(whole))


@dataclass(frozen=True)
class CustomerValue:
    """Customers of a group, what they spent net of refunds, and the average per customer."""

    customers: int
    value: Decimal

    @property
    def average(self) -> Decimal | None:
        # A statistic shown to the cent, not an amount anyone pays: no money rule applies.
        if not self.customers:
            return None
        return (self.value / self.customers).quantize(CENT, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class ValueByChannelUse:
    currency: str
    multichannel: CustomerValue
    single_channel: CustomerValue

    @property
    def ratio(self) -> Decimal | None:
        """How many times a multichannel customer's average the single-channel one is."""
        multi, single = self.multichannel.average, self.single_channel.average
        if multi is None or not single:
            return None
        return (multi / single).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def _cents(column) -> ColumnElement[int]:
    """Money summed exactly on both databases: whole cents (SQLite keeps NUMERIC as a float)."""
    return cast(func.round(column * 100), BigInteger)


def value_by_channel_use(period: Period) -> list[ValueByChannelUse]:
    """Per currency: customers who bought on two or more touchpoints in the period against
    those who bought on one, each with the value of their purchases in the period (the orders'
    totals, which leave out cancelled units, less every refund on those orders).

    One pass groups the period's purchases by customer (touchpoints, currencies, net cents);
    a customer who paid in one currency (nearly all) is counted from it, and only those who
    paid in several are split by currency from their orders again."""
    refunded = (select(Refund.order_id, func.sum(_cents(Refund.amount)).label("cents"))
                .where(Refund.created_at >= period.start)   # refunds follow their order
                .group_by(Refund.order_id).subquery())
    net = _cents(Order.total) - func.coalesce(refunded.c.cents, 0)
    customers = (select(Order.customer_id.label("customer_id"),
                        func.count(distinct(touchpoint())).label("n"),
                        func.count(distinct(Order.currency)).label("currencies"),
                        func.min(Order.currency).label("currency"),
                        func.sum(net).label("cents"))
                 .outerjoin(refunded, refunded.c.order_id == Order.id)
                 .where(purchased_in(period), Order.customer_id.is_not(None))
                 .group_by(Order.customer_id).cte("customers"))
    multi = customers.c.n >= 2   # one expression object: the same bound 2 in GROUP BY
    one_currency = (select(customers.c.currency, multi.label("multi"),
                           func.count().label("customers"),
                           func.sum(customers.c.cents).label("cents"))
                    .where(customers.c.currencies == 1)
                    .group_by(customers.c.currency, multi))
    several = (select(Order.currency, multi.label("multi"),
                      func.count(distinct(Order.customer_id)), func.sum(net))
               .join(customers, and_(customers.c.customer_id == Order.customer_id,
                                     customers.c.currencies > 1))
               .outerjoin(refunded, refunded.c.order_id == Order.id)
               .where(purchased_in(period))
               .group_by(Order.currency, multi))
    both = union_all(one_currency, several).subquery()
    stmt = (select(both.c.currency, both.c.multi, func.sum(both.c.customers),
                   func.sum(both.c.cents))
            .group_by(both.c.currency, both.c.multi))
    with read_session() as session:
        rows = session.execute(stmt).all()
    groups: dict[str, dict[bool, CustomerValue]] = {}
    for currency, is_multi, customers, cents in rows:
        groups.setdefault(currency, {})[bool(is_multi)] = CustomerValue(
            int(customers), Decimal(int(cents or 0)) / 100)
    none = CustomerValue(0, Decimal("0.00"))
    return [ValueByChannelUse(currency, by.get(True, none), by.get(False, none))
            for currency, by in sorted(groups.items())]


# ------------------------------------------------------------------ the orders behind a figure

@dataclass(frozen=True)
class SegmentRule:
    label: str
    condition: Callable[[Period], ColumnElement[bool]]


def _purchases_that(rule: Callable[[], ColumnElement[bool]]
                    ) -> Callable[[Period], ColumnElement[bool]]:
    return lambda period: and_(purchased_in(period), rule())


def _purchases_among(ids: Callable[[dt.datetime], Any]) -> Callable[[Period], ColumnElement[bool]]:
    return lambda period: and_(purchased_in(period), Order.id.in_(ids(period.start)))


def _orders_of_customers(multichannel: bool) -> Callable[[Period], ColumnElement[bool]]:
    return lambda period: and_(purchased_in(period), Order.customer_id.in_(
        _customers_by_channel_count(period, multichannel=multichannel)))


def _orders_returned(cross_only: bool) -> Callable[[Period], ColumnElement[bool]]:
    """Orders with a return made in the period: whenever they were placed, so the returns
    (few) are found first and their orders looked up by id."""
    def condition(period: Period) -> ColumnElement[bool]:
        bought = aliased(Order)
        returned = (select(Return.order_id).join(bought, bought.id == Return.order_id)
                    .where(returns_in(period)))
        if cross_only:
            returned = returned.where(cross_channel_return(bought))
        return Order.id.in_(returned)

    return condition


SEGMENTS: dict[str, SegmentRule] = {
    "purchases": SegmentRule("Purchases", purchased_in),
    "remote": SegmentRule("Remote purchases (not bought in a store)",
                          _purchases_that(lambda: ~bought_in_store())),
    "cross_channel": SegmentRule("Cross-channel purchases", _purchases_among(cross_channel_ids)),
    "bopis": SegmentRule("Bought online, picked up in store (BOPIS)",
                         _purchases_that(bopis)),
    "ship_from_store": SegmentRule("Bought remotely, shipped from a store",
                                   _purchases_among(ship_from_store_ids)),
    "returned_in_store": SegmentRule("Bought remotely, returned in a store",
                                     _purchases_among(returned_in_store_ids)),
    "store_to_home": SegmentRule("Bought in a store, shipped to the customer",
                                 _purchases_that(store_to_home)),
    "multichannel_customers": SegmentRule("Purchases of customers on two or more channels",
                                          _orders_of_customers(True)),
    "single_channel_customers": SegmentRule("Purchases of customers on one channel",
                                            _orders_of_customers(False)),
    "returns": SegmentRule("Orders with a return made in the period", _orders_returned(False)),
    "cross_channel_returns": SegmentRule("Orders with a cross-channel return made in the period",
                                         _orders_returned(True)),
}


@dataclass(frozen=True)
class Segment:
    """The orders behind one KPI figure over a period (`oms.queries.OrderFilters.segment`)."""

    name: str
    period: Period

    def __post_init__(self) -> None:
        if self.name not in SEGMENTS:
            raise InvalidInput("segment", f"must be one of {', '.join(SEGMENTS)}")

    @property
    def label(self) -> str:
        return SEGMENTS[self.name].label

    def condition(self) -> ColumnElement[bool]:
        return SEGMENTS[self.name].condition(self.period)

