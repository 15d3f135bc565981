"""Money rules (core.money): the issue's named cases worked by hand, allocation's edges, and
properties over random orders returned in random batches: refunds never exceed what was paid and
give back exactly that once everything is back. Pure: no database."""

from __future__ import annotations

import itertools
from dataclasses import fields
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import (
    CENT,
    ROUND_HALF_UP,
    ROUNDING,
    ZERO,
    Balance,
    Mismatch,
    MoneyError,
    OrderTotals,
    PaidLine,
    RefundParts,
    ShippingLine,
    allocate,
    balance,
    percent_of,
    refund_shipping,
    spread_order_discount,
    tax_for,
    to_cents,
    total_of,
)

D = Decimal


def refund_one_by_one(line: PaidLine) -> list[RefundParts]:
    return [line.refund(i, 1) for i in range(line.quantity)]


def assert_all_decimal(parts: RefundParts) -> None:
    for f in fields(parts):
        assert type(getattr(parts, f.name)) is Decimal, f.name
    assert type(parts.total) is Decimal


# --- to_cents ---------------------------------------------------------------------------------


def test_to_cents_takes_exact_cents_only():
    assert to_cents("9.99") == D("9.99")
    assert str(to_cents("5")) == "5.00"
    assert str(to_cents(7)) == "7.00"
    assert str(to_cents(D("1.230"))) == "1.23"  # trailing zeros are still whole cents
    assert str(to_cents(" 12.5 ")) == "12.50"
    assert str(to_cents("-0")) == "0.00"
    assert to_cents("-3.10") == D("-3.10")  # parsing only; the records refuse negatives


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1.234", "more than 2 decimals"),
        (D("0.001"), "more than 2 decimals"),
        ("NaN", "not a finite amount"),
        ("Infinity", "not a finite amount"),
        (D("-inf"), "not a finite amount"),
        ("ten", "not a number"),
        ("", "not a number"),
        ("1e40", "too large"),
    ],
)
def test_to_cents_refuses_naming_the_problem(value, problem):
    with pytest.raises(MoneyError, match=problem) as info:
        to_cents(value, "unit_price")
    assert info.value.field == "unit_price"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", [9.99, 1.0, True, None, [D("1")]])
def test_to_cents_refuses_floats_and_other_types(value):
    with pytest.raises(TypeError):
        to_cents(value)


def test_records_refuse_floats_negatives_and_sub_cents():
    with pytest.raises(TypeError):
        PaidLine(1, 9.99)
    with pytest.raises(MoneyError, match="negative"):
        PaidLine(1, D("-1.00"))
    with pytest.raises(MoneyError, match="more than 2 decimals"):
        ShippingLine(D("4.999"))
    with pytest.raises(MoneyError, match="quantity"):
        PaidLine(0, D("1.00"))
    with pytest.raises(MoneyError, match="discount"):
        PaidLine(2, D("1.00"), discount=D("2.01"))
    with pytest.raises(MoneyError, match="included tax"):
        PaidLine(1, D("1.00"), discount=D("0.50"), tax=D("0.51"), taxes_included=True)
    with pytest.raises(MoneyError, match="discount"):
        ShippingLine(D("5.00"), discount=D("5.01"))
    with pytest.raises(MoneyError, match="included_tax"):
        RefundParts(tax=D("1.00"), included_tax=D("1.01"))
    # Amounts are normalised to two decimals.
    assert str(PaidLine(1, D("5")).unit_price) == "5.00"


# --- rounding once ----------------------------------------------------------------------------


def test_the_rounding_rule_is_half_up():
    assert ROUNDING == ROUND_HALF_UP
    assert percent_of(D("29.97"), 10) == D("3.00")  # 2.997
    assert percent_of(D("0.25"), 10) == D("0.03")  # 0.025: half goes up (half-even: 0.02)
    assert percent_of(D("0.35"), 10) == D("0.04")  # 0.035
    assert percent_of(D("19.99"), D("12.5")) == D("2.50")  # 2.49875
    assert percent_of(D("10.00"), 0) == ZERO
    assert tax_for(D("10.00"), D("0.0825"), taxes_included=False) == D("0.83")  # 0.825
    assert tax_for(D("29.00"), D("0.2"), taxes_included=True) == D("4.83")  # 4.8333
    assert tax_for(D("12.00"), D("0.2"), taxes_included=True) == D("2.00")  # exact
    with pytest.raises(MoneyError, match="negative"):
        tax_for(D("1.00"), D("-0.1"), taxes_included=False)


# --- allocate ---------------------------------------------------------------------------------


def test_allocate_by_largest_remainder():
    # 1.00 over 1:1:1 -> 33.33.. each; the one cent left goes to the first (a tie).
    assert allocate(D("1.00"), [1, 1, 1]) == [D("0.34"), D("0.33"), D("0.33")]
    # 0.05 over 1:2:2 -> 1, 2, 2 exactly.
    assert allocate(D("0.05"), [1, 2, 2]) == [D("0.01"), D("0.02"), D("0.02")]
    # 0.10 over 3:3:4 of 10 -> 3, 3, 4: exact.
    assert allocate(D("0.10"), [D("3"), D("3"), D("4")]) == [D("0.03"), D("0.03"), D("0.04")]
    # 0.07 over 1:1:1 -> 2.33 each: one cent left, first by position.
    assert allocate(D("0.07"), [1, 1, 1]) == [D("0.03"), D("0.02"), D("0.02")]
    # Largest remainder, not position: 3.33, 5, 1.67 cents -> the cent left goes to the third.
    assert allocate(D("0.10"), [D("1"), D("1.5"), D("0.5")]) == [D("0.03"), D("0.05"), D("0.02")]
    # 0.02 over 0.3:0.3:0.4 -> 0.6, 0.6, 0.8: the two largest remainders (0.8, then 0.6 first).
    assert allocate(D("0.02"), [D("0.3"), D("0.3"), D("0.4")]) == [D("0.01"), ZERO, D("0.01")]


def test_allocate_edges():
    assert allocate(ZERO, [1, 2, 3]) == [ZERO, ZERO, ZERO]
    assert allocate(ZERO, []) == []
    assert allocate(D("5.00"), [7]) == [D("5.00")]
    assert allocate(D("5.00"), [0]) == [D("5.00")]  # all-zero weights: evenly
    assert allocate(D("1.00"), [0, 0, 0]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("0.05"), [0, 1, 1, 0]) == [ZERO, D("0.03"), D("0.02"), ZERO]  # zero gets 0
    with pytest.raises(MoneyError, match="none to allocate"):
        allocate(D("0.01"), [])
    with pytest.raises(MoneyError, match="negative"):
        allocate(D("-1.00"), [1, 1])
    with pytest.raises(MoneyError, match="negative"):
        allocate(D("1.00"), [1, -1])
    with pytest.raises(MoneyError, match="not finite"):
        allocate(D("1.00"), [D("NaN")])
    with pytest.raises(TypeError):
        allocate(D("1.00"), [0.5, 0.5])
    with pytest.raises(TypeError):
        allocate(1.0, [1])


cents_st = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c).scaleb(-2))
weight_st = st.one_of(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c).scaleb(-2)),
)


@settings(max_examples=200, deadline=None)
@given(total=cents_st, weights=st.lists(weight_st, min_size=1, max_size=12))
def test_allocate_sums_exactly_within_a_cent_and_deterministically(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, ZERO) == total
    assert all(type(p) is Decimal and p >= 0 and p == p.quantize(CENT) for p in parts)
    wsum = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        share = Fraction(total) * (Fraction(w) / wsum if wsum else Fraction(1, len(weights)))
        assert abs(Fraction(part) - share) < Fraction(1, 100)
        if wsum and w == 0:
            assert part == 0
    assert allocate(total, weights) == parts
    # Scaling the weights changes nothing: only proportions matter.
    assert allocate(total, [D(w) * 3 for w in weights]) == parts


# --- the named cases ------------------------------------------------------------------


def test_ten_percent_off_three_lines_of_9_99():
    subtotals = [D("9.99")] * 3
    discount = percent_of(sum(subtotals, ZERO), 10)  # 10 % of 29.97 = 2.997 -> 3.00, once
    assert discount == D("3.00")
    shares = spread_order_discount(discount, subtotals)
    assert shares == [D("1.00")] * 3
    lines = [PaidLine(1, D("9.99"), discount=s) for s in shares]
    totals = OrderTotals.of(lines)
    assert totals.total == D("26.97")
    refunds = [r for line in lines for r in refund_one_by_one(line)]
    assert [r.total for r in refunds] == [D("8.99")] * 3
    assert sum((r.total for r in refunds), ZERO) == totals.total


def test_ten_percent_off_three_lines_of_9_99_in_quantities_1_2_3_with_tax():
    """The same price on lines of 1, 2 and 3 units, 8.25 % tax on top, each rounded once."""
    subtotals = [D("9.99"), D("19.98"), D("29.97")]
    discount = percent_of(sum(subtotals, ZERO), 10)  # 5.994 -> 5.99
    assert discount == D("5.99")
    shares = spread_order_discount(discount, subtotals)
    # exact 0.998.., 1.996.., 2.995: floors 0.99, 1.99, 2.99; two cents left to .83 and .66
    assert shares == [D("1.00"), D("2.00"), D("2.99")]
    rate = D("0.0825")
    lines = []
    for qty, sub, share in zip((1, 2, 3), subtotals, shares, strict=True):
        tax = tax_for(sub - share, rate, taxes_included=False)
        lines.append(PaidLine(qty, D("9.99"), discount=share, tax=tax))
    assert [line.tax for line in lines] == [D("0.74"), D("1.48"), D("2.23")]
    paid = sum((line.paid for line in lines), ZERO)
    assert paid == D("53.95") + D("4.45")
    running = ZERO
    for line in lines:
        for parts in refund_one_by_one(line):
            running += parts.total
            assert running <= paid
    assert running == paid
    # The third line's units: discount 2.99 -> 1.00, 1.00, 0.99; tax 2.23 -> 0.75, 0.74, 0.74.
    assert [u.total for u in lines[2].unit_amounts()] == [D("9.74"), D("9.73"), D("9.74")]


def test_a_5_discount_on_one_line_of_a_two_line_order():
    discounted = PaidLine(3, D("10.00"), discount=D("5.00"))
    other = PaidLine(2, D("7.50"))
    totals = OrderTotals.of([discounted, other])
    assert (totals.subtotal, totals.discounts, totals.total) == (D("45.00"), D("5.00"), D("40.00"))
    # 5.00 over 3 units: 1.67, 1.67, 1.66 (the odd cents to the earlier units).
    assert [r.discount for r in refund_one_by_one(discounted)] == [D("1.67"), D("1.67"), D("1.66")]
    assert [r.total for r in refund_one_by_one(discounted)] == [D("8.33"), D("8.33"), D("8.34")]
    # The other line is untouched by the discount.
    assert [r.total for r in refund_one_by_one(other)] == [D("7.50"), D("7.50")]
    # Any batching gives the same sum.
    assert discounted.refund(0, 2).total + discounted.refund(2, 1).total == D("25.00")
    assert discounted.refund(0, 1).total + discounted.refund(1, 2).total == D("25.00")
    assert discounted.refund(0, 3) == RefundParts(subtotal=D("30.00"), discount=D("5.00"))


def test_tax_inclusive_prices():
    """3 units at 10.00 including 20 % VAT, 1.00 off the line: 29.00 paid, 4.83 of it VAT."""
    tax = tax_for(D("29.00"), D("0.20"), taxes_included=True)
    line = PaidLine(3, D("10.00"), discount=D("1.00"), tax=tax, taxes_included=True)
    assert (tax, line.paid) == (D("4.83"), D("29.00"))
    units = refund_one_by_one(line)
    assert [u.total for u in units] == [D("9.66"), D("9.67"), D("9.67")]
    assert [u.tax for u in units] == [D("1.61")] * 3  # reported, inside the price
    assert all(u.included_tax == u.tax and u.added_tax == 0 for u in units)
    assert total_of(units).total == line.paid
    # The same figures tax-exclusive: the tax comes on top.
    exclusive = PaidLine(3, D("10.00"), discount=D("1.00"), tax=D("5.80"))
    assert exclusive.paid == D("34.80")
    assert [u.total for u in refund_one_by_one(exclusive)] == [D("11.60")] * 3
    totals = OrderTotals.of([line], [ShippingLine(D("6.00"), tax=D("1.00"), taxes_included=True)])
    assert (totals.tax, totals.included_tax, totals.total) == (D("5.83"), D("5.83"), D("35.00"))


def test_refund_beyond_the_line_is_refused():
    line = PaidLine(2, D("5.00"))
    with pytest.raises(MoneyError, match="beyond the line's 2"):
        line.refund(1, 2)
    with pytest.raises(MoneyError):
        line.refund(-1, 1)
    with pytest.raises(MoneyError):
        line.refund(0, 0)


# --- shipping, totals, exchanges --------------------------------------------------------------


def test_shipping_is_refunded_whole():
    lines = [
        ShippingLine(D("8.00"), discount=D("3.00"), tax=D("0.50")),
        ShippingLine(D("6.00"), tax=D("1.00"), taxes_included=True),
    ]
    parts = refund_shipping(lines)
    assert parts == RefundParts(
        shipping=D("14.00"), discount=D("3.00"), tax=D("1.50"), included_tax=D("1.00")
    )
    assert parts.total == sum((s.paid for s in lines), ZERO) == D("11.50")
    assert refund_shipping([]) == RefundParts.zero()


def test_order_totals_check_names_the_field_that_does_not_add_up():
    lines = [PaidLine(2, D("12.50"), discount=D("2.50"), tax=D("1.80"))]
    ship = [ShippingLine(D("5.00"), tax=D("0.40"))]
    totals = OrderTotals.of(lines, ship)
    assert (totals.subtotal, totals.discounts, totals.shipping, totals.tax, totals.total) == (
        D("25.00"),
        D("2.50"),
        D("5.00"),
        D("2.20"),
        D("29.70"),
    )
    good = {"subtotal": "25.00", "discounts": "2.50", "shipping": "5", "tax": D("2.20")}
    assert totals.check({**good, "total": "29.70"}) == []
    assert totals.check({"total": None}) == []
    assert totals.check({**good, "total": "29.71"}) == [Mismatch("total", D("29.71"), D("29.70"))]
    assert [m.field for m in totals.check({"tax": "2.00", "total": "29.50"})] == ["tax", "total"]
    with pytest.raises(MoneyError, match="not a total") as info:
        totals.check({"grand_total": "1.00"})
    assert info.value.field == "grand_total"
    with pytest.raises(MoneyError, match="more than 2 decimals") as info:
        totals.check({"tax": "2.201"})
    assert info.value.field == "tax"
    assert totals.as_refund().total == totals.total


def test_balance_for_exchanges():
    assert balance(D("30.00"), D("25.00")) == Balance("refund", D("5.00"))
    assert balance(D("25.00"), D("30.00")) == Balance("owed", D("5.00"))
    assert balance(D("25.00"), D("25.00")) == Balance("even", ZERO)
    with pytest.raises(MoneyError):
        balance(D("-1.00"), ZERO)


def test_spread_order_discount_refuses_more_than_the_lines():
    with pytest.raises(MoneyError, match="more than the lines"):
        spread_order_discount(D("10.01"), [D("4.00"), D("6.00")])
    assert spread_order_discount(D("10.00"), [D("4.00"), D("6.00")]) == [D("4.00"), D("6.00")]
    assert spread_order_discount(ZERO, []) == []


# --- properties: random orders, returned in random batches ------------------------------------

price_cents = st.integers(min_value=1, max_value=99_999)


@st.composite
def orders(draw):
    included = draw(st.booleans())
    raw = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=10),  # quantity
                price_cents,  # unit price in cents
                st.booleans(),  # a line discount?
                st.integers(min_value=0, max_value=2500),  # tax rate in basis points
            ),
            min_size=1,
            max_size=6,
        )
    )
    after_line = []
    for qty, unit, has_discount, _ in raw:
        sub = qty * unit
        off = draw(st.integers(min_value=0, max_value=sub)) if has_discount else 0
        after_line.append((sub, off))
    remaining = sum(sub - off for sub, off in after_line)
    if draw(st.booleans()):  # a percentage order discount, rounded once
        order_discount = percent_of(D(remaining).scaleb(-2), draw(st.integers(0, 100)))
    else:  # a fixed one
        order_discount = D(draw(st.integers(0, remaining))).scaleb(-2)
    shares = spread_order_discount(
        order_discount, [D(sub - off).scaleb(-2) for sub, off in after_line]
    )
    lines = []
    for (qty, unit, _, bp), (sub, off), share in zip(raw, after_line, shares, strict=True):
        discount = D(off).scaleb(-2) + share
        net = D(sub).scaleb(-2) - discount
        tax = tax_for(net, D(bp).scaleb(-4), taxes_included=included)
        lines.append(PaidLine(qty, D(unit).scaleb(-2), discount, tax, included))
    shipping = []
    for p, d, t in draw(
        st.lists(
            st.tuples(st.integers(0, 5000), st.integers(0, 2000), st.integers(0, 500)),
            max_size=2,
        )
    ):
        d = min(d, p)
        t = min(t, p - d) if included else t
        cents = (D(x).scaleb(-2) for x in (p, d, t))
        shipping.append(ShippingLine(*cents, taxes_included=included))
    return lines, shipping


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_returning_everything_in_random_batches_gives_back_exactly_what_was_paid(order, data):
    lines, shipping = order
    totals = OrderTotals.of(lines, shipping)
    paid = totals.as_refund()
    assert totals.total == sum((x.paid for x in [*lines, *shipping]), ZERO)
    assert totals.check({n: getattr(totals, n) for n in OrderTotals.CHECKED}) == []

    returned = [0] * len(lines)
    shipping_at = data.draw(st.integers(0, sum(line.quantity for line in lines)), "shipping at")
    running = RefundParts.zero()
    units_back = 0
    while units_back < sum(line.quantity for line in lines) or shipping_at is not None:
        if shipping_at is not None and units_back >= shipping_at:
            refund = refund_shipping(shipping)
            shipping_at = None
        else:
            open_lines = [i for i, line in enumerate(lines) if returned[i] < line.quantity]
            i = data.draw(st.sampled_from(open_lines), "line")
            n = data.draw(st.integers(1, lines[i].quantity - returned[i]), "units")
            refund = lines[i].refund(returned[i], n)
            returned[i] += n
            units_back += n
        assert_all_decimal(refund)
        assert refund.total == (
            refund.subtotal - refund.discount + (refund.tax - refund.included_tax) + refund.shipping
        )
        assert refund.total >= 0
        running += refund
        for f in fields(RefundParts):
            assert getattr(running, f.name) <= getattr(paid, f.name), f.name
        assert running.total <= totals.total
    assert running == paid
    assert running.total == totals.total
    assert_all_decimal(running)


@settings(max_examples=200, deadline=None)
@given(order=orders(), data=st.data())
def test_a_line_refunds_the_same_in_any_batching(order, data):
    lines, _ = order
    line = data.draw(st.sampled_from(lines), "line")
    cuts = sorted(
        data.draw(st.sets(st.integers(1, line.quantity - 1), max_size=5), "cuts")
        if line.quantity > 1
        else set()
    )
    bounds = [0, *cuts, line.quantity]
    batches = [line.refund(a, b - a) for a, b in itertools.pairwise(bounds)]
    assert total_of(batches) == line.refund(0, line.quantity)
    assert total_of(batches).total == line.paid
    # Every unit is within a cent of every other in each part (an even split).
    units = line.unit_amounts()
    assert max(u.discount for u in units) - min(u.discount for u in units) <= CENT
    assert max(u.tax for u in units) - min(u.tax for u in units) <= CENT
    assert all(u.discount <= u.subtotal for u in units)
