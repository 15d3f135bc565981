"""The omnichannel KPIs (oms.kpis) on a small hand-made dataset whose answers were worked out by
hand (below), on SQLite and PostgreSQL; each segment's orders are exactly the figure's; and the
dashboard's other reads (orders per hour, status x channel, low stock, pickups expiring).

The period is March 1-7, 2026 (UTC). Customers and their purchases in it:

  order  customer channel      delivery             touchpoint  total   notes
  o1     Ann      web          ship (dc-east)       web         100.00  return at dc-east, -20
  o2     Ann      pos          carry_out (soho)     store        50.00  returned at brooklyn
                                                                         Mar 9, -50
  o3     Ben      web          pickup (brooklyn)    web          80.00  BOPIS
  o4     Ben      shopify      ship (chicago store) shopify      40.00  ship-from-store; return
                                                                         at soho, -15
  o5     Cara     web          ship (dc-east)       web         200.00  return at brooklyn, -50,
                                                                         exchanged for o15
  o6     Cara     web          ship (dc-east)       web          30.00  return cancelled
  o7     Dan      shopify      carry_out (soho)     store        60.00  Shopify POS sale
  o8     Dan      store        ship (dc-east)       store        90.00  store to home; return at
                                                                         dc-central, -90
  o9     Eve      marketplace  ship, soho rejected  marketplace  70.00  then shipped by dc-east
  o12    Fay      web          ship                 web          25.00
  o14    -        web          ship                 web          20.00  no known customer
  o16    Gus      web (EUR)    ship                 web          40.00
Not purchases in the period: o10 (Eve, cancelled), o11 (Fay, phone, Feb 27; returned at
chicago on Mar 3, -10), o13 (Fay, placed at the period's end), o15 (Cara's exchange order).

  purchases 12; remote 9 (all but o2, o7, o8); BOPIS 1 -> 1/9 = 11.1 %
  cross-channel: o3 (BOPIS), o4 (ship-from-store, returned in store), o5 (returned in store),
  o8 (store to home) -> 4/12 = 33.3 %
  customers 7 (Ann..Gus); on two channels: Ann (web, store), Ben (web, shopify) -> 28.6 %
  returns made in the period, not cancelled: o4, o5, o8, o11, o1 -> 5; cross-channel all but
  o1's -> 4/5 = 80.0 %
  value (USD): Ann 100-20 + 50-50 = 80, Ben 80 + 40-15 = 105 -> 2 customers, 185.00, 92.50;
  Cara 200-50 + 30 = 180, Dan 60 + 90-90 = 60, Eve 70, Fay 25 -> 4, 335.00, 83.75; ratio
  92.50 / 83.75 = 1.10. EUR: Gus alone, 40.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.db import unit_of_work
from fulfillment import queries as fulfillment_queries
from fulfillment.models import Fulfillment
from inventory import queries as inventory_queries
from inventory import services
from oms import dashboard, kpis
from oms import queries as order_queries
from oms.models import Customer, Order
from returns.models import Refund, Return
from tests.support import CAUSE

D = dt.datetime
PERIOD = kpis.Period(D(2026, 3, 1), D(2026, 3, 8))
ZERO = Decimal("0.00")


def _order(session, key: str, *, customer: Customer | None, channel: str, method: str,
           total: str, at: D, status: str = "fulfilled", location: str | None = None,
           currency: str = "USD") -> Order:
    order = Order(number=f"T-{key}", channel=channel, external_id=key, status=status,
                  customer_id=customer.id if customer else None, currency=currency,
                  subtotal=Decimal(total), total=Decimal(total), fulfillment_method=method,
                  location_code=location, created_at=at)
    session.add(order)
    session.flush()
    return order


def _work(session, order: Order, location: str, method: str, status: str) -> None:
    session.add(Fulfillment(order_id=order.id, order_number=order.number,
                            location_code=location, method=method, status=status,
                            assigned_on=order.created_at.date()))


def _return(session, order: Order, location: str, at: D, refund: str | None,
            status: str = "received", exchange: Order | None = None) -> None:
    ret = Return(order_id=order.id, order_number=order.number, channel=order.channel,
                 customer_id=order.customer_id, currency=order.currency,
                 location_code=location, status=status, created_by="test",
                 refund_total=Decimal(refund or "0"), created_at=at,
                 exchange_order_id=exchange.id if exchange else None,
                 cancel_reason="changed mind" if status == "cancelled" else None,
                 cancelled_by="test" if status == "cancelled" else None,
                 cancelled_at=at if status == "cancelled" else None)
    session.add(ret)
    session.flush()
    if refund is not None:
        amount = Decimal(refund)
        session.add(Refund(return_id=ret.id, order_id=order.id, currency=order.currency,
                           amount=amount, subtotal=amount, discount=ZERO, tax=ZERO,
                           included_tax=ZERO, shipping=ZERO, exchange_applied=ZERO))


@pytest.fixture
def orders(network) -> dict[str, int]:
    """The dataset above; order ids by name."""
    with unit_of_work() as uow:
        s = uow.session
        people = {name: Customer(name=name) for name in
                  ("Ann", "Ben", "Cara", "Dan", "Eve", "Fay", "Gus")}
        s.add_all(people.values())
        s.flush()
        c = people
        o = {
            "o1": _order(s, "o1", customer=c["Ann"], channel="web", method="ship",
                         total="100.00", at=D(2026, 3, 1, 9)),
            "o2": _order(s, "o2", customer=c["Ann"], channel="pos", method="carry_out",
                         total="50.00", at=D(2026, 3, 2, 10), location="store-soho"),
            "o3": _order(s, "o3", customer=c["Ben"], channel="web", method="pickup",
                         total="80.00", at=D(2026, 3, 2, 11), location="store-brooklyn"),
            "o4": _order(s, "o4", customer=c["Ben"], channel="shopify", method="ship",
                         total="40.00", at=D(2026, 3, 3, 12)),
            "o5": _order(s, "o5", customer=c["Cara"], channel="web", method="ship",
                         total="200.00", at=D(2026, 3, 3, 13)),
            "o6": _order(s, "o6", customer=c["Cara"], channel="web", method="ship",
                         total="30.00", at=D(2026, 3, 4, 14)),
            "o7": _order(s, "o7", customer=c["Dan"], channel="shopify", method="carry_out",
                         total="60.00", at=D(2026, 3, 4, 15), location="store-soho"),
            "o8": _order(s, "o8", customer=c["Dan"], channel="store", method="ship",
                         total="90.00", at=D(2026, 3, 5, 16)),
            "o9": _order(s, "o9", customer=c["Eve"], channel="marketplace", method="ship",
                         total="70.00", at=D(2026, 3, 5, 17)),
            "o10": _order(s, "o10", customer=c["Eve"], channel="web", method="pickup",
                          total="0.00", at=D(2026, 3, 6, 9), status="cancelled",
                          location="store-soho"),
            "o11": _order(s, "o11", customer=c["Fay"], channel="phone", method="ship",
                          total="45.00", at=D(2026, 2, 27, 23, 59)),
            "o12": _order(s, "o12", customer=c["Fay"], channel="web", method="ship",
                          total="25.00", at=D(2026, 3, 7, 23, 59), status="routed"),
            "o13": _order(s, "o13", customer=c["Fay"], channel="phone", method="ship",
                          total="10.00", at=D(2026, 3, 8), status="routed"),
            "o14": _order(s, "o14", customer=None, channel="web", method="ship",
                          total="20.00", at=D(2026, 3, 6, 10)),
            "o16": _order(s, "o16", customer=c["Gus"], channel="web", method="ship",
                          total="40.00", at=D(2026, 3, 6, 11), currency="EUR"),
        }
        o["o15"] = _order(s, "o15", customer=c["Cara"], channel="web", method="carry_out",
                          total="35.00", at=D(2026, 3, 5, 12), location="store-soho")
        _work(s, o["o1"], "dc-east", "ship", "shipped")
        _work(s, o["o3"], "store-brooklyn", "pickup", "picked_up")
        _work(s, o["o4"], "store-chicago", "ship", "shipped")
        _work(s, o["o5"], "dc-east", "ship", "shipped")
        _work(s, o["o8"], "dc-east", "ship", "shipped")
        _work(s, o["o9"], "store-soho", "ship", "rejected")
        _work(s, o["o9"], "dc-east", "ship", "shipped")
        _return(s, o["o1"], "dc-east", D(2026, 3, 7), "20.00")
        _return(s, o["o2"], "store-brooklyn", D(2026, 3, 9), "50.00")
        _return(s, o["o4"], "store-soho", D(2026, 3, 4), "15.00")
        _return(s, o["o5"], "store-brooklyn", D(2026, 3, 5), "50.00", exchange=o["o15"])
        _return(s, o["o6"], "store-chicago", D(2026, 3, 6), None, status="cancelled")
        _return(s, o["o8"], "dc-central", D(2026, 3, 6), "90.00")
        _return(s, o["o11"], "store-chicago", D(2026, 3, 3), "10.00")
        ids = {name: order.id for name, order in o.items()}
        uow.commit()
    return ids


def segment_orders(ids: dict[str, int], name: str) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    filters = order_queries.OrderFilters(segment=kpis.Segment(name, PERIOD))
    found = order_queries.find_orders(None, 100, None, filters)["items"]
    assert order_queries.count_orders(filters) == len(found)
    return sorted((by_id[o["id"]] for o in found), key=lambda k: int(k[1:]))


def test_multichannel_customer_share(orders):
    share = kpis.multichannel_customer_share(PERIOD)
    assert (share.part, share.whole, share.percent) == (2, 7, Decimal("28.6"))
    assert segment_orders(orders, "multichannel_customers") == ["o1", "o2", "o3", "o4"]
    assert segment_orders(orders, "single_channel_customers") == [
        "o5", "o6", "o7", "o8", "o9", "o12", "o16"]


def test_cross_channel_purchase_rate(orders):
    rate = kpis.cross_channel_purchase_rate(PERIOD)
    assert (rate.share.part, rate.share.whole, rate.share.percent) == (4, 12, Decimal("33.3"))
    assert (rate.bopis, rate.ship_from_store, rate.returned_in_store, rate.store_to_home) == (
        1, 1, 2, 1)
    assert segment_orders(orders, "purchases") == [
        "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9", "o12", "o14", "o16"]
    assert segment_orders(orders, "cross_channel") == ["o3", "o4", "o5", "o8"]
    assert segment_orders(orders, "ship_from_store") == ["o4"]  # o9's store rejected it
    assert segment_orders(orders, "returned_in_store") == ["o4", "o5"]  # o2: bought there
    assert segment_orders(orders, "store_to_home") == ["o8"]


def test_bopis_share(orders):
    share = kpis.bopis_share(PERIOD)
    assert (share.part, share.whole, share.percent) == (1, 9, Decimal("11.1"))
    assert segment_orders(orders, "bopis") == ["o3"]  # o10 was cancelled
    assert segment_orders(orders, "remote") == [
        "o1", "o3", "o4", "o5", "o6", "o9", "o12", "o14", "o16"]


def test_cross_channel_return_share(orders):
    share = kpis.cross_channel_return_share(PERIOD)
    assert (share.part, share.whole, share.percent) == (4, 5, Decimal("80.0"))
    assert segment_orders(orders, "returns") == ["o1", "o4", "o5", "o8", "o11"]
    assert segment_orders(orders, "cross_channel_returns") == ["o4", "o5", "o8", "o11"]


def test_value_of_multichannel_and_single_channel_customers(orders):
    eur, usd = kpis.value_by_channel_use(PERIOD)
    assert usd.currency == "USD"
    assert (usd.multichannel.customers, usd.multichannel.value, usd.multichannel.average) == (
        2, Decimal("185.00"), Decimal("92.50"))
    assert (usd.single_channel.customers, usd.single_channel.value,
            usd.single_channel.average) == (4, Decimal("335.00"), Decimal("83.75"))
    assert usd.ratio == Decimal("1.10")
    assert eur.currency == "EUR" and eur.multichannel.customers == 0 and eur.ratio is None
    assert (eur.single_channel.customers, eur.single_channel.value) == (1, Decimal("40.00"))


def test_an_empty_period_has_no_percentages_rather_than_zero(orders):
    empty = kpis.Period(D(2025, 1, 1), D(2025, 1, 2))
    assert kpis.multichannel_customer_share(empty).percent is None
    assert kpis.cross_channel_purchase_rate(empty).share == kpis.Share(0, 0)
    assert kpis.bopis_share(empty).percent is None
    assert kpis.cross_channel_return_share(empty).percent is None
    assert kpis.value_by_channel_use(empty) == []
    with pytest.raises(kpis.InvalidInput):
        kpis.Period(D(2026, 3, 2), D(2026, 3, 1))
    with pytest.raises(kpis.InvalidInput):
        kpis.Segment("no-such-kpi", PERIOD)


def test_orders_by_status_and_channel_and_per_hour(orders):
    counts = dashboard.orders_by_status_and_channel(PERIOD)
    # Every order placed, the cancelled one and the exchange order too: o1 o3 o5 o6 o14 o15 o16
    assert counts[("fulfilled", "web")] == 7
    assert counts[("cancelled", "web")] == 1 and counts[("routed", "web")] == 1
    assert sum(counts.values()) == 14             # o1-o10, o12, o14, o15, o16
    per_hour = dashboard.orders_per_hour(kpis.Period(D(2026, 3, 2), D(2026, 3, 3)))
    assert per_hour == {"pos": {D(2026, 3, 2, 10): 1}, "web": {D(2026, 3, 2, 11): 1}}


def test_low_stock_per_location(network):
    services.receive("JKT-1", "store-soho", 2, CAUSE)      # 2 <= 2: low
    services.receive("BOOT-1", "store-soho", 9, CAUSE)     # fine
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    services.set_safety_stock("SOCK-1", "dc-east", 4)  # 1 available: low
    services.receive("JKT-1", "dc-east", 1, CAUSE)
    services.adjust("JKT-1", "dc-east", -1, CAUSE)            # 0: low, none available
    low = inventory_queries.low_stock(2)
    assert [(r["location"], r["low"], r["none_available"]) for r in low["locations"]] == [
        ("dc-east", 2, 1), ("store-soho", 1, 0)]
    assert [(r["sku"], r["location"], r["available"]) for r in low["items"]] == [
        ("JKT-1", "dc-east", 0), ("SOCK-1", "dc-east", 1), ("JKT-1", "store-soho", 2)]
    assert [r["sku"] for r in inventory_queries.low_stock(2, "store-soho")["items"]] == ["JKT-1"]
    assert inventory_queries.low_stock(0)["locations"] == [
        {"location": "dc-east", "name": "DC East", "kind": "warehouse", "low": 1,
         "none_available": 1}]


def test_pickups_expiring_before_a_time(orders):
    with unit_of_work() as uow:
        for key, expires in (("a", D(2026, 3, 9, 8)), ("b", D(2026, 3, 9, 20)),
                             ("c", D(2026, 3, 10, 1))):
            uow.session.add(Fulfillment(order_id=orders["o3"], order_number="T-o3",
                                        location_code="store-brooklyn", method="pickup",
                                        status="ready_for_pickup", assigned_on=dt.date(2026, 3, 2),
                                        pickup_expires_at=expires, customer_name=key))
        uow.commit()
    due = fulfillment_queries.pickups_expiring(D(2026, 3, 10), limit=1)
    assert due["total"] == 2
    assert [f["customer"]["name"] for f in due["items"]] == ["a"]


def test_a_customer_who_paid_in_two_currencies_counts_in_each(network):
    """April: Hal bought on the web in USD (10.00) and at a till in EUR (20.00): on two
    channels, counted in both currencies; Ivy bought once on the web in USD (5.00)."""
    with unit_of_work() as uow:
        s = uow.session
        hal, ivy = Customer(name="Hal"), Customer(name="Ivy")
        s.add_all([hal, ivy])
        s.flush()
        _order(s, "h1", customer=hal, channel="web", method="ship", total="10.00",
               at=D(2026, 4, 2))
        _order(s, "h2", customer=hal, channel="pos", method="carry_out", total="20.00",
               at=D(2026, 4, 3), location="store-soho", currency="EUR")
        _order(s, "i1", customer=ivy, channel="web", method="ship", total="5.00",
               at=D(2026, 4, 4))
        uow.commit()
    eur, usd = kpis.value_by_channel_use(kpis.Period(D(2026, 4, 1), D(2026, 5, 1)))
    assert (eur.currency, eur.multichannel, eur.single_channel.customers) == (
        "EUR", kpis.CustomerValue(1, Decimal("20.00")), 0)
    assert (usd.currency, usd.multichannel, usd.single_channel) == (
        "USD", kpis.CustomerValue(1, Decimal("10.00")), kpis.CustomerValue(1, Decimal("5.00")))
    assert usd.ratio == Decimal("2.00")
