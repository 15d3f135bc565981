"""The lifetime value rule (oms.customer_value) and each line's amounts
(oms.money_view.line_amounts): plain Decimal arithmetic, no database."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from core.money import MoneyError
from oms.customer_value import CustomerMoney, lifetime_value
from oms.money_view import line_amounts

D = Decimal
ZERO = D("0")


def test_lifetime_value_is_paid_minus_refunded():
    assert lifetime_value(D("0"), D("0"), D("0")) == D("0.00")
    assert lifetime_value(D("252.50"), D("0"), D("0")) == D("252.50")
    # A full return brings an order's contribution to nothing.
    assert lifetime_value(D("120.00"), D("0"), D("120.00")) == D("0.00")
    # 252.50 of orders, 40.00 paid on top of an exchange, 120.00 back.
    money = CustomerMoney(orders_paid=D("252.50"), exchange_top_ups=D("40.00"),
                          refunded=D("120.00"))
    assert (money.paid, money.lifetime_value) == (D("292.50"), D("172.50"))


def test_lifetime_value_takes_whole_cents_only():
    with pytest.raises(TypeError):
        lifetime_value(252.5, D("0"), D("0"))  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="refunded"):
        lifetime_value(D("1.00"), D("0"), D("0.001"))


@dataclass
class Line:
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    cancelled: int = 0


def test_line_amounts_cancelled_last_units_returned_held_positions():
    # 3 x 10.00 less 1.00 of discount, 0.90 of tax: units carry 0.34/0.33/0.33 off, 0.30 on.
    ln = Line(3, D("10.00"), discount=D("1.00"), tax=D("0.90"), cancelled=1)
    a = line_amounts(ln, taxes_included=False, returned_units=[0])
    assert (a.paid, a.cancelled, a.returned, a.kept) == (D("29.90"), D("9.97"), D("9.96"),
                                                         D("9.97"))
    assert line_amounts(ln, False, [1]).returned == D("9.97")   # another position, its cents
    whole = line_amounts(Line(2, D("5.00")), False)
    assert (whole.paid, whole.cancelled, whole.returned, whole.kept) == (D("10.00"),
                                                                         D("0.00"),
                                                                         D("0.00"),
                                                                         D("10.00"))


def test_line_amounts_with_tax_inside_the_prices():
    a = line_amounts(Line(2, D("10.80"), tax=D("1.60"), cancelled=1), taxes_included=True)
    assert (a.paid, a.cancelled, a.kept) == (D("21.60"), D("10.80"), D("10.80"))
