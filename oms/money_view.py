"""What the customer paid, recorded on every order, in `core.money`'s terms.

- `price(...)`: a channel's lines, discounts, taxes and shipping (as sent) -> what each line and
  shipping charge comes to, and the order's totals, checked against the totals the channel
  stated (a `MoneyError` of core.money becomes a 422 naming the field, e.g. `lines.0.discount`,
  `totals.total`).
- `paid_line(line, taxes_included)` and `shipping_paid(order)`: a stored order line and the
  order's shipping as `PaidLine` / `ShippingLine`. **Stable**: returns call them (through
  `oms.returns_port`). Orders stored before migration 0011 have discount and tax 0 and no
  shipping lines: a line is its unit price x quantity.
- `open_totals(order)` / `refresh_totals(order)`: the order's totals over its open units (not
  cancelled). A line's discount and tax are split over its units by `PaidLine.unit_amounts`;
  cancelled units are the line's *last* units and returned units its *first* ones
  (`PaidLine.refund(returned, n)`), so cancel + return + what remains always add up to what was
  paid. Shipping stays with the order until every unit is cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from core.errors import InvalidInput
from core.money import (
    ZERO,
    Mismatch,
    MoneyError,
    OrderTotals,
    PaidLine,
    ShippingLine,
    spread_order_discount,
    tax_for,
    to_cents,
    total_of,
)

TOTALS = OrderTotals.CHECKED  # subtotal, discounts, shipping, tax, total


@dataclass(frozen=True)
class TaxLineInput:
    """A tax line as a channel sends it: `rate` a fraction (0.0825), `amount` the tax in
    money; without an amount it is computed from the rate (`core.money.tax_for`)."""

    title: str | None = None
    rate: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class ShippingInput:
    title: str | None = None
    price: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO


class PricedInput(Protocol):
    """What `price` reads of a line to place (`oms.orders.LineInput`)."""

    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal | None: ...
    @property
    def discount_allocations(self) -> Sequence[Mapping[str, Any]] | None: ...
    @property
    def tax_lines(self) -> Sequence[TaxLineInput]: ...


class StoredLine(Protocol):
    """What `paid_line` reads: an `OrderLine` row (or a snapshot of one)."""

    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount(self) -> Decimal | None: ...
    @property
    def tax(self) -> Decimal | None: ...


class OpenLine(StoredLine, Protocol):
    @property
    def cancelled(self) -> int: ...


class StoredOrder(Protocol):
    @property
    def taxes_included(self) -> bool | None: ...
    @property
    def shipping_lines(self) -> list[dict[str, Any]] | None: ...


class TotalsOrder(StoredOrder, Protocol):
    lines: Any
    subtotal: Decimal
    discounts_total: Decimal
    tax_total: Decimal
    shipping_total: Decimal
    total: Decimal


# ------------------------------------------------------------------ stored -> core.money

def _stored(value: Decimal | None, name: str) -> Decimal:
    return ZERO if value is None else to_cents(Decimal(value), name)


def paid_line(line: StoredLine, taxes_included: bool) -> PaidLine:
    """What the customer paid for the whole line as ordered (`quantity` units): unit price,
    the line's discounts (its own and its share of order discounts) and its tax. Old orders:
    unit price x quantity, no discount, no tax."""
    return PaidLine(quantity=line.quantity, unit_price=_stored(line.unit_price, "unit_price"),
                    discount=_stored(line.discount, "discount"), tax=_stored(line.tax, "tax"),
                    taxes_included=bool(taxes_included))


def shipping_paid(order: StoredOrder) -> list[ShippingLine]:
    """The order's shipping charges (price, its discount, its tax; tax inside the price when
    the order's prices include tax). None on orders stored without shipping lines."""
    included = bool(order.taxes_included)
    return [ShippingLine(price=to_cents(str(s.get("price") or "0"), "price"),
                         discount=to_cents(str(s.get("discount") or "0"), "discount"),
                         tax=to_cents(str(s.get("tax") or "0"), "tax"),
                         taxes_included=included)
            for s in order.shipping_lines or []]


def open_paid_line(line: OpenLine, taxes_included: bool) -> PaidLine | None:
    """The line's units not cancelled (its first `quantity - cancelled` units, each with its
    part of the discount and tax), or None when every unit is cancelled."""
    kept = line.quantity - (line.cancelled or 0)  # (None before the row is flushed)
    if kept <= 0:
        return None
    whole = paid_line(line, taxes_included)
    if kept == whole.quantity:
        return whole
    parts = total_of(whole.unit_amounts()[:kept])
    return PaidLine(quantity=kept, unit_price=whole.unit_price, discount=parts.discount,
                    tax=parts.tax, taxes_included=whole.taxes_included)


@dataclass(frozen=True)
class LineAmounts:
    """What a line's units came to, for customer service: the line as ordered, its cancelled
    units and its returned units, by the same unit parts that totals and refunds use."""

    paid: Decimal
    cancelled: Decimal
    returned: Decimal

    @property
    def kept(self) -> Decimal:
        """What the customer still pays for: neither cancelled nor returned."""
        return self.paid - self.cancelled - self.returned


def line_amounts(line: OpenLine, taxes_included: bool,
                 returned_units: Sequence[int] = ()) -> LineAmounts:
    """Cancelled units are the line's last units (as `open_paid_line` takes them off the
    totals); returned units are the positions the returns hold (`returned_units`, from
    returns.queries.held_positions), so the returned amount is exactly what those returns
    refund for the line, odd cents included."""
    whole = paid_line(line, taxes_included)
    kept = line.quantity - (line.cancelled or 0)
    cancelled = total_of(whole.unit_amounts()[kept:]).total
    returned = whole.refund_units(returned_units).total if returned_units else ZERO
    return LineAmounts(paid=whole.paid, cancelled=cancelled, returned=returned)


def open_totals(order: TotalsOrder) -> OrderTotals:
    """The order's totals over its units not cancelled; shipping while any unit is."""
    included = bool(order.taxes_included)
    lines = [p for p in (open_paid_line(ln, included) for ln in order.lines) if p is not None]
    return OrderTotals.of(lines, shipping_paid(order) if lines else ())


def refresh_totals(order: TotalsOrder) -> OrderTotals:
    """Set the order's stored open totals (after placing, cancelling, adding units)."""
    return store_totals(order, open_totals(order))


def store_totals(order: TotalsOrder, totals: OrderTotals) -> OrderTotals:
    """Store totals on the order: those `refresh_totals` works out, or a new order's, which
    are its pricing's (every unit open: nothing to work out again)."""
    order.subtotal = totals.subtotal
    order.discounts_total = totals.discounts
    order.tax_total = totals.tax
    order.shipping_total = totals.shipping
    order.total = totals.total
    return totals


def totals_view(order: Any) -> dict[str, str]:
    return {"subtotal": f"{order.subtotal:.2f}", "discounts": f"{order.discounts_total:.2f}",
            "tax": f"{order.tax_total:.2f}", "shipping": f"{order.shipping_total:.2f}",
            "total": f"{order.total:.2f}"}


# ------------------------------------------------------------------ a channel's order, priced

@dataclass(frozen=True)
class LineMoney:
    """What is stored on an order line."""

    discount: Decimal
    tax: Decimal
    tax_lines: list[dict[str, Any]]
    discount_allocations: list[dict[str, Any]] | None
    paid: PaidLine


@dataclass(frozen=True)
class Pricing:
    lines: list[LineMoney]
    shipping_lines: list[dict[str, Any]]
    totals: OrderTotals
    mismatches: list[Mismatch] = field(default_factory=list)


def _cents(value: Any, name: str) -> Decimal:
    """A money value from a channel (Decimal, int or decimal string), non-negative."""
    try:
        amount = to_cents(value if isinstance(value, Decimal | int | str) else str(value), name)
    except (TypeError, MoneyError) as exc:
        raise InvalidInput(name, getattr(exc, "problem", str(exc))) from None
    if amount < 0:
        raise InvalidInput(name, f"must not be negative ({amount})")
    return amount


def _rate(value: Any, name: str) -> Decimal:
    try:
        rate = Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(name, f"not a number: {value!r}") from None
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise InvalidInput(name, "a fraction from 0 to 1 (0.2 for 20 %)")
    return rate


def _money_input(exc: MoneyError, prefix: str) -> InvalidInput:
    return InvalidInput(f"{prefix}.{exc.field}", exc.problem)


def price(lines: Sequence[PricedInput], *, taxes_included: bool = False,
          order_discount: Decimal | None = None, shipping: Iterable[ShippingInput] = (),
          stated: Mapping[str, Decimal | None] | None = None, first: int = 0) -> Pricing:
    """Each line's discount (its allocations, line-level and order-level, plus its share of
    `order_discount` spread by `spread_order_discount`) and tax (its tax lines: the amounts
    given, or computed from the rate on what the line costs after discounts), the shipping
    lines, and the order's totals; `mismatches` lists the `stated` totals that do not add up
    (the caller refuses them or records them). Bad amounts are InvalidInput naming the field
    (`lines.{first + i}...`)."""
    own: list[Decimal] = []
    allocations: list[list[dict[str, Any]] | None] = []
    for i, ln in enumerate(lines):
        at = f"lines.{first + i}"
        subtotal = _cents(ln.unit_price, f"{at}.unit_price") * ln.quantity
        received = list(ln.discount_allocations) if ln.discount_allocations is not None else None
        summed = sum((_cents(a.get("amount"), f"{at}.discount_allocations.{j}.amount")
                      for j, a in enumerate(received or ())), ZERO)
        if ln.discount is not None:
            discount = _cents(ln.discount, f"{at}.discount")
            if received and discount != summed:
                raise InvalidInput(f"{at}.discount", f"{discount} is not the sum of the "
                                   f"line's discount_allocations ({summed})")
        else:
            discount = summed
        if discount > subtotal:
            raise InvalidInput(f"{at}.discount", f"{discount} is more than the line's {subtotal}")
        own.append(discount)
        allocations.append([{**a, "amount": f"{_cents(a.get('amount'), 'amount'):.2f}"}
                            for a in received] if received is not None else None)
    shares = [ZERO] * len(lines)
    if order_discount is not None and _cents(order_discount, "order_discount"):
        try:
            shares = spread_order_discount(
                _cents(order_discount, "order_discount"),
                [ln.unit_price * ln.quantity - d for ln, d in zip(lines, own, strict=True)])
        except MoneyError as exc:
            raise InvalidInput("order_discount", exc.problem) from None
    out: list[LineMoney] = []
    for i, ln in enumerate(lines):
        discount = own[i] + shares[i]
        record = allocations[i]
        if shares[i]:
            record = [*(record or []), {"amount": f"{shares[i]:.2f}", "source": "order_discount"}]
        after = ln.unit_price * ln.quantity - discount
        tax_lines: list[dict[str, Any]] = []
        for j, t in enumerate(ln.tax_lines):
            where = f"lines.{first + i}.tax_lines.{j}"
            rate = None if t.rate is None else _rate(t.rate, f"{where}.rate")
            if t.amount is not None:
                amount = _cents(t.amount, f"{where}.amount")
            elif rate is not None:
                amount = tax_for(after, rate, taxes_included=taxes_included)
            else:
                raise InvalidInput(f"{where}.amount", "give the amount or the rate")
            tax_lines.append({"title": t.title, "rate": None if rate is None else str(rate),
                              "amount": f"{amount:.2f}"})
        tax = sum((Decimal(t["amount"]) for t in tax_lines), ZERO)
        try:
            paid = PaidLine(quantity=ln.quantity, unit_price=_cents(ln.unit_price, "unit_price"),
                            discount=discount, tax=tax, taxes_included=taxes_included)
        except MoneyError as exc:
            raise _money_input(exc, f"lines.{first + i}") from None
        out.append(LineMoney(discount, tax, tax_lines, record, paid))
    charges: list[ShippingLine] = []
    shipping_record: list[dict[str, Any]] = []
    for k, s in enumerate(shipping):
        where = f"shipping_lines.{k}"
        try:
            charge = ShippingLine(price=_cents(s.price, f"{where}.price"),
                                  discount=_cents(s.discount, f"{where}.discount"),
                                  tax=_cents(s.tax, f"{where}.tax"),
                                  taxes_included=taxes_included)
        except MoneyError as exc:
            raise _money_input(exc, where) from None
        charges.append(charge)
        shipping_record.append({"title": s.title, "price": f"{charge.price:.2f}",
                                "discount": f"{charge.discount:.2f}",
                                "tax": f"{charge.tax:.2f}"})
    totals = OrderTotals.of([m.paid for m in out], charges)
    mismatches: list[Mismatch] = []
    if stated:
        given = {k: v for k, v in stated.items() if v is not None}
        for name, value in given.items():
            if name not in TOTALS:
                raise InvalidInput(f"totals.{name}", f"not a total (one of {', '.join(TOTALS)})")
            _cents(value, f"totals.{name}")
        mismatches = totals.check(given)
    return Pricing(out, shipping_record, totals, mismatches)


def mismatch_error(mismatches: Sequence[Mismatch]) -> InvalidInput:
    """A 422 naming every stated total that does not add up (`totals.total`, ...), with the
    stated and the computed amounts."""
    first = mismatches[0]
    error = InvalidInput(f"totals.{first.field}", _words(first))
    error.fields = {f"totals.{m.field}": [_words(m)] for m in mismatches}
    error.details = {"totals": {m.field: {"stated": f"{m.stated:.2f}",
                                          "computed": f"{m.computed:.2f}"}
                                for m in mismatches}}
    return error


def _words(m: Mismatch) -> str:
    return f"stated {m.stated:.2f} but the lines and shipping add up to {m.computed:.2f}"


def mismatch_note(mismatches: Sequence[Mismatch]) -> str:
    return "; ".join(f"{m.field} {_words(m)}" for m in mismatches)
