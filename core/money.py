"""Money rules for orders and returns: exact cents, rounded once by a named rule, and parts that
always add up to their total. Pure: no database, no HTTP.

- Amounts are `Decimal` with two decimals (one currency per order; currencies with 0 or 3
  decimals are not handled yet). Money enters only through `to_cents` (or as a `Decimal` that is
  already a whole number of cents); a float is refused.
- Rounding happens in two places only, each once, by `ROUNDING` (ROUND_HALF_UP: half a cent goes
  up, as tax authorities usually require): a percentage of an amount (`percent_of`, for
  percentage discounts) and a tax computed from a rate (`tax_for`).
- Everything else is an exact split by the largest-remainder rule (`allocate`): an order discount
  over lines, a line's discount and tax over its units. A refund is a sum of whole unit parts,
  so returning every unit, in any batches and any order, gives back exactly what was paid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import ClassVar, Literal, NamedTuple

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDING = ROUND_HALF_UP
"""The one rounding rule, used by `percent_of` and `tax_for` (amounts are never negative)."""


class MoneyError(ValueError):
    """A money value or rule is broken; `field` names what (for a 422 naming it)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# --- cents ------------------------------------------------------------------------------------


def to_cents(value: Decimal | int | str, field: str = "amount") -> Decimal:
    """The exact amount `value` as a Decimal with two decimals ("5" -> 5.00, "1.230" -> 1.23).

    Refuses (MoneyError, a ValueError) what is not a whole number of cents ("1.234"), not a
    number, not finite (NaN, Infinity) or too large; refuses floats and bools (TypeError)."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{field}: money is a Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(field, f"not a number: {value!r}") from None
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise MoneyError(field, f"not a finite amount: {value!r}")
    try:
        cents = number.quantize(CENT)
    except InvalidOperation:
        raise MoneyError(field, f"too large: {value!r}") from None
    if cents != number:
        raise MoneyError(field, f"more than 2 decimals: {value!r}")
    return cents if cents != 0 else ZERO  # no "-0.00"


def _money(field: str, value: object) -> Decimal:
    """A non-negative Decimal of whole cents (the fields of this module's records)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{field}: money is a Decimal, not {type(value).__name__}")
    cents = to_cents(value, field)
    if cents < 0:
        raise MoneyError(field, f"negative: {value}")
    return cents


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _round(value: Fraction) -> Decimal:
    """`value` (in currency units, >= 0) rounded once to the cent by ROUNDING (half up)."""
    cents = value * 100
    whole = math.floor(cents)
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return _from_cents(whole)


# --- rounding once ----------------------------------------------------------------------------


def percent_of(amount: Decimal, percent: Decimal | int) -> Decimal:
    """`percent` % of `amount`, rounded once by ROUNDING: a percentage discount
    (10 % of 29.97 = 2.997 -> 3.00)."""
    amount = _money("amount", amount)
    rate = _weight("percent", percent)
    return _round(Fraction(amount) * rate / 100)


def tax_for(amount: Decimal, rate: Decimal | int, *, taxes_included: bool) -> Decimal:
    """The tax at `rate` (a fraction: 0.2 for 20 %, as Shopify's tax lines say) on `amount`
    (what the customer pays for the line after discounts), rounded once by ROUNDING.

    Exclusive: amount * rate, added on top. Inclusive: the part of `amount` that is tax,
    amount * rate / (1 + rate). A line with several tax lines rounds each and adds them."""
    amount = _money("amount", amount)
    r = _weight("rate", rate)
    exact = Fraction(amount) * r if not taxes_included else Fraction(amount) * r / (1 + r)
    return _round(exact)


# --- splitting exactly ------------------------------------------------------------------------


def _weight(field: str, value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{field}: a Decimal or int, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise MoneyError(field, f"not finite: {value}")
    if value < 0:
        raise MoneyError(field, f"negative: {value}")
    return Fraction(value)


def allocate(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split `total` (whole cents, >= 0) in proportion to `weights` (>= 0) by the largest
    remainder at the cent: each part gets the floor of its exact share, then the cents left go
    one each to the largest fractional remainders (ties to the earlier position). The parts add
    up exactly to `total`, each within one cent of its exact share, and a zero weight gets
    nothing. All-zero weights split evenly by the same rule; no weights only for a zero total."""
    total = _money("total", total)
    ws = [_weight(f"weights[{i}]", w) for i, w in enumerate(weights)]
    if not ws:
        if total:
            raise MoneyError("weights", f"none to allocate {total} over")
        return []
    if not any(ws):
        ws = [Fraction(1)] * len(ws)
    wsum = sum(ws)
    cents = _cents(total)
    exact = [cents * w / wsum for w in ws]
    parts = [math.floor(e) for e in exact]
    left = cents - sum(parts)
    by_remainder = sorted(range(len(ws)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [_from_cents(p) for p in parts]


def spread_order_discount(amount: Decimal, line_subtotals: Sequence[Decimal]) -> list[Decimal]:
    """An order-level discount spread over the lines in proportion to their subtotals (pass
    each line's price * quantity less its own line discounts), by `allocate`. No line gets more
    than its subtotal. A discount larger than the lines' sum is a MoneyError."""
    subtotals = [_money(f"line_subtotals[{i}]", s) for i, s in enumerate(line_subtotals)]
    amount = _money("discount", amount)
    if amount > sum(subtotals, ZERO):
        raise MoneyError("discount", f"{amount} is more than the lines' {sum(subtotals, ZERO)}")
    return allocate(amount, subtotals)


# --- what was paid, what comes back -----------------------------------------------------------


@dataclass(frozen=True)
class RefundParts:
    """What a refund gives back, in parts that add up to `total`.

    `subtotal` is unit prices and `shipping` shipping prices, as charged (so including tax when
    prices include it); `discount` is what was taken off either. `tax` is all the tax in the
    refund (what tax reports need); `included_tax` is the part of it already inside `subtotal`
    and `shipping` (tax-inclusive prices), so only `tax - included_tax` is added on top."""

    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    included_tax: Decimal = ZERO
    shipping: Decimal = ZERO

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _money(f.name, getattr(self, f.name)))
        if self.included_tax > self.tax:
            raise MoneyError("included_tax", f"{self.included_tax} is more than tax {self.tax}")

    @classmethod
    def zero(cls) -> RefundParts:
        return cls()

    @property
    def added_tax(self) -> Decimal:
        """The tax charged on top of prices (tax-exclusive prices)."""
        return self.tax - self.included_tax

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.added_tax + self.shipping

    def __add__(self, other: RefundParts) -> RefundParts:
        if not isinstance(other, RefundParts):
            return NotImplemented
        return RefundParts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


def total_of(parts: Iterable[RefundParts]) -> RefundParts:
    """The sum of several refunds (zero for none)."""
    return sum(parts, RefundParts.zero())


@dataclass(frozen=True)
class PaidLine:
    """What the customer paid for one order line: `discount` and `tax` are the line's totals
    (its own discounts plus its share of order discounts; its tax lines, each rounded once)."""

    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    taxes_included: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError(f"quantity: an int, not {type(self.quantity).__name__}")
        if self.quantity < 1:
            raise MoneyError("quantity", f"must be at least 1, not {self.quantity}")
        for name in ("unit_price", "discount", "tax"):
            object.__setattr__(self, name, _money(name, getattr(self, name)))
        if self.discount > self.subtotal:
            raise MoneyError("discount", f"{self.discount} is more than {self.subtotal}")
        if self.taxes_included and self.tax > self.subtotal - self.discount:
            raise MoneyError(
                "tax",
                f"included tax {self.tax} is more than the {self.subtotal - self.discount} paid",
            )

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def paid(self) -> Decimal:
        return self.subtotal - self.discount + (ZERO if self.taxes_included else self.tax)

    def unit_amounts(self) -> list[RefundParts]:
        """Each unit's parts (index 0 .. quantity-1): the line's discount and tax split evenly
        by `allocate` (the earlier units take the odd cents), so the units add up to the line."""
        discounts = allocate(self.discount, [1] * self.quantity)
        taxes = allocate(self.tax, [1] * self.quantity)
        return [
            RefundParts(
                subtotal=self.unit_price,
                discount=d,
                tax=t,
                included_tax=t if self.taxes_included else ZERO,
            )
            for d, t in zip(discounts, taxes, strict=True)
        ]

    def refund(self, already_returned: int, quantity: int) -> RefundParts:
        """What `quantity` more units give back after `already_returned` came back: the sum of
        the next units' parts. Returning all units in any batches sums to exactly `paid`."""
        if already_returned < 0 or quantity < 1:
            raise MoneyError("quantity", f"{quantity} after {already_returned} returned")
        if already_returned + quantity > self.quantity:
            raise MoneyError(
                "quantity",
                f"{quantity} more after {already_returned} returned is beyond the line's "
                f"{self.quantity}",
            )
        return self.refund_units(range(already_returned, already_returned + quantity))

    def refund_units(self, positions: Iterable[int]) -> RefundParts:
        """What exactly these units (positions 0..quantity-1) give back. Units are fungible,
        their parts are not (the odd cents go to the first ones): a return holds the
        positions it was priced on, so that however returns are authorised, cancelled and
        authorised again, no position is refunded twice and all of them sum to `paid`."""
        chosen = list(positions)
        if not chosen or len(set(chosen)) != len(chosen) or \
                not all(0 <= p < self.quantity for p in chosen):
            raise MoneyError("quantity", f"units {chosen} are not distinct units of a line of "
                                         f"{self.quantity}")
        amounts = self.unit_amounts()
        return total_of(amounts[p] for p in chosen)


@dataclass(frozen=True)
class ShippingLine:
    """A shipping charge: price, its discount and its tax (inside the price when included)."""

    price: Decimal
    discount: Decimal = ZERO
    tax: Decimal = ZERO
    taxes_included: bool = False

    def __post_init__(self) -> None:
        for name in ("price", "discount", "tax"):
            object.__setattr__(self, name, _money(name, getattr(self, name)))
        if self.discount > self.price:
            raise MoneyError("discount", f"{self.discount} is more than shipping {self.price}")
        if self.taxes_included and self.tax > self.price - self.discount:
            raise MoneyError(
                "tax", f"included tax {self.tax} is more than the {self.price - self.discount} paid"
            )

    @property
    def paid(self) -> Decimal:
        return self.price - self.discount + (ZERO if self.taxes_included else self.tax)

    def refund(self) -> RefundParts:
        return RefundParts(
            shipping=self.price,
            discount=self.discount,
            tax=self.tax,
            included_tax=self.tax if self.taxes_included else ZERO,
        )


def refund_shipping(lines: Iterable[ShippingLine]) -> RefundParts:
    """All the shipping paid: refunded whole or not at all, once per order (the caller keeps
    track of that; a policy per return reason decides whether)."""
    return total_of(line.refund() for line in lines)


# --- order totals -----------------------------------------------------------------------------


class Mismatch(NamedTuple):
    """A stated total that does not add up: the field, what was stated, what the lines give."""

    field: str
    stated: Decimal
    computed: Decimal


@dataclass(frozen=True)
class OrderTotals:
    """An order's totals as its lines and shipping add them up (field names as Shopify's
    totals): `subtotal` (unit prices * quantities), `discounts` (line, order and shipping
    discounts), `shipping` (shipping prices), `tax` (all of it, `included_tax` of it inside
    prices) and `total` = subtotal - discounts + shipping + tax added on top."""

    subtotal: Decimal
    discounts: Decimal
    shipping: Decimal
    tax: Decimal
    included_tax: Decimal

    CHECKED: ClassVar[tuple[str, ...]] = ("subtotal", "discounts", "shipping", "tax", "total")

    @classmethod
    def of(cls, lines: Iterable[PaidLine], shipping: Iterable[ShippingLine] = ()) -> OrderTotals:
        parts = total_of(line.refund(0, line.quantity) for line in lines)
        parts += refund_shipping(shipping)
        return cls(
            subtotal=parts.subtotal,
            discounts=parts.discount,
            shipping=parts.shipping,
            tax=parts.tax,
            included_tax=parts.included_tax,
        )

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discounts + self.shipping + (self.tax - self.included_tax)

    def as_refund(self) -> RefundParts:
        """The whole order as one refund (what everything coming back gives back)."""
        return RefundParts(
            subtotal=self.subtotal,
            discount=self.discounts,
            tax=self.tax,
            included_tax=self.included_tax,
            shipping=self.shipping,
        )

    def check(self, stated: Mapping[str, Decimal | int | str | None]) -> list[Mismatch]:
        """The stated totals (any of CHECKED; None = not stated) that differ from the computed
        ones, in CHECKED order; empty when everything adds up. An unknown field or a value that
        is not exact cents is a MoneyError naming it."""
        for name in stated:
            if name not in self.CHECKED:
                raise MoneyError(name, f"not a total (one of {', '.join(self.CHECKED)})")
        out: list[Mismatch] = []
        for name in self.CHECKED:
            value = stated.get(name)
            if value is None:
                continue
            amount = to_cents(value, name)
            computed: Decimal = getattr(self, name)
            if amount != computed:
                out.append(Mismatch(name, amount, computed))
        return out


# --- exchanges --------------------------------------------------------------------------------


class Balance(NamedTuple):
    """Who pays whom after an exchange: "refund" (the customer gets `amount`), "owed" (the
    customer pays `amount`) or "even" (amount 0.00)."""

    direction: Literal["refund", "owed", "even"]
    amount: Decimal


def balance(refund_total: Decimal, new_items_total: Decimal) -> Balance:
    """The difference between what the returned items give back and what the new items cost."""
    back = _money("refund_total", refund_total)
    cost = _money("new_items_total", new_items_total)
    if back > cost:
        return Balance("refund", back - cost)
    if cost > back:
        return Balance("owed", cost - back)
    return Balance("even", ZERO)
