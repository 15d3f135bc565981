"""Shopify's REST order payload (as webhooks send it) -> our `PlaceOrder` command. Pure: no
database, no network. The caller brings the shop's location map and, when it could ask, what
Shopify's fulfillment orders say about the delivery method."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import InvalidInput
from core.money import ZERO, MoneyError, PaidLine, to_cents, total_of
from inventory.models import MAX_MOVEMENT_QUANTITY
from oms import money_view
from oms.customers import SeenIdentity
from oms.money_view import ShippingInput, TaxLineInput
from oms.orders import Address, LineInput, PlaceOrder

CHANNEL = "shopify"
MAX_NAME = 200


class TranslationError(ValueError):
    """The payload cannot become an order as it stands (a line without SKU, a pickup at a
    location we do not know). Deterministic: retrying the same payload cannot help."""


class UnmappedLocation(TranslationError):
    """The order is at (a pickup, a POS till) a Shopify location the shop has not mapped to
    one of ours: the order is kept on hold until it is (`integrations.shopify.holds`)."""

    def __init__(self, message: str, *, shopify_location: str | None, method: str):
        super().__init__(message)
        self.shopify_location = shopify_location
        self.method = method


@dataclass(frozen=True)
class Delivery:
    method: str                  # ship | pickup | carry_out
    location: str | None         # our location code (pickup store or selling store)
    rule: str                    # which rule decided, recorded on the event
    detail: str


# ------------------------------------------------------------------ small parsers

def parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 with an offset (Shopify's "2025-01-23T23:10:16-05:00") -> naive UTC."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def location_id(value: Any) -> str | None:
    """A Shopify location id as the digits string our maps use: 123, "123" and
    "gid://shopify/Location/123" all give "123"."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if text.startswith("gid://"):
        text = text.rsplit("/", 1)[-1]
    return text if text.isdigit() else None


def external_id(shop_domain: str, order_id: Any) -> str:
    """Several shops can feed one OMS: the shop is part of the order's identity."""
    return f"{shop_domain}/{order_id}"


def order_gid(order: Mapping[str, Any]) -> str:
    return order.get("admin_graphql_api_id") or f"gid://shopify/Order/{order['id']}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no coordinate


def _quantity(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TranslationError(f"{what}: quantity {value!r} is not a whole number")
    return value


# ------------------------------------------------------------------ pieces of an order

# ------------------------------------------------------------------ money (shop money)
# Shopify states every amount twice: in the shop's currency and in the customer's
# (presentment) currency. We keep shop money: `X_set.shop_money.amount`, else the plain `X`
# (shop currency in REST payloads).

def shop_money(obj: Mapping[str, Any], key: str, what: str, *,
               set_key: str | None = None) -> Decimal | None:
    """The shop-currency amount of `key` on `obj` (None when absent), as exact cents."""
    money_set = obj.get(set_key or f"{key}_set")
    amount = None
    if isinstance(money_set, Mapping) and isinstance(money_set.get("shop_money"), Mapping):
        amount = money_set["shop_money"].get("amount")
    if amount is None:
        amount = obj.get(key)
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, str | int | float | Decimal):
        raise TranslationError(f"{what}: {key} {amount!r} is not an amount")
    try:
        cents = to_cents(str(amount), key)
    except MoneyError as exc:
        raise TranslationError(f"{what}: {key} {amount!r} is not an amount in cents "
                               f"({exc.problem})") from None
    if cents < 0:
        raise TranslationError(f"{what}: {key} {amount!r} is negative")
    return cents


def _rate(value: Any, what: str) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise TranslationError(f"{what}: tax rate {value!r} is not a number") from None
    return rate if rate.is_finite() and 0 <= rate <= 1 else None


def _list(value: Any, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TranslationError(f"{what} is not a list of objects")
    return value


def _tax_lines(obj: Mapping[str, Any], what: str) -> tuple[TaxLineInput, ...]:
    out = []
    for t in _list(obj.get("tax_lines"), f"{what}: tax_lines"):
        amount = shop_money(t, "price", f"{what}: tax line")
        out.append(TaxLineInput(title=_text(t.get("title")),
                                rate=_rate(t.get("rate"), what), amount=amount or ZERO))
    return tuple(out)


def _allocations(obj: Mapping[str, Any], what: str,
                 applications: Sequence[Any]) -> list[dict[str, Any]]:
    """Discount allocations with their shop-money amount and what they came from."""
    out = []
    for a in _list(obj.get("discount_allocations"), f"{what}: discount_allocations"):
        amount = shop_money(a, "amount", f"{what}: discount allocation") or ZERO
        record: dict[str, Any] = {"amount": f"{amount:.2f}"}
        index = a.get("discount_application_index")
        if isinstance(index, int) and not isinstance(index, bool) \
                and 0 <= index < len(applications) \
                and isinstance(applications[index], Mapping):
            app = applications[index]
            record.update({k: str(app[k])[:200] for k in ("title", "code", "target_type",
                                                          "allocation_method", "type")
                           if app.get(k) is not None})
        out.append(record)
    return out


def _whole_line(paid: PaidLine, quantity: int) -> tuple[Decimal, Decimal]:
    """The discount and tax of the line's first `quantity` units (Shopify's amounts are for
    the line as ordered; an edit may keep or add fewer units)."""
    parts = total_of(paid.unit_amounts()[:quantity])
    return parts.discount, parts.tax


def lines(order: Mapping[str, Any]) -> tuple[LineInput, ...]:
    items = order.get("line_items") or []
    if not isinstance(items, list) or not items:
        raise TranslationError("the order has no line_items")
    return tuple(line_input(item, applications=order.get("discount_applications") or [],
                            taxes_included=order.get("taxes_included") is True)
                 for item in items)


def line_input(item: Mapping[str, Any], quantity: int | None = None, *,
               applications: Sequence[Any] = (), taxes_included: bool = False) -> LineInput:
    """One line item as our order line, with what Shopify says was paid for it in shop money
    (price, discount allocations, tax lines); `quantity` overrides the item's (units kept or
    added by an order edit: the first units' share of the line's discount and tax)."""
    what = f"line item {item.get('id')} ({item.get('title') or 'untitled'!s})"
    sku = _text(item.get("sku"))
    if sku is None:
        raise TranslationError(f"{what} has no SKU: every line must carry the SKU of one "
                               "of our items (set it on the Shopify variant)")
    price = shop_money(item, "price", what)
    if price is None:
        raise TranslationError(f"{what}: price {item.get('price')!r} is not an amount")
    ordered = _quantity(item.get("quantity"), what)
    allocations = _allocations(item, what, applications)
    discount = sum((Decimal(a["amount"]) for a in allocations), ZERO) if allocations \
        else (shop_money(item, "total_discount", what) or ZERO)
    tax_lines = _tax_lines(item, what)
    title = _text(item.get("title"))
    line = LineInput(sku=sku, quantity=ordered, unit_price=price,
                     name=title[:MAX_NAME] if title else None,
                     external_id=str(item["id"]) if item.get("id") is not None else None,
                     discount=discount, discount_allocations=tuple(allocations),
                     tax_lines=tax_lines)
    if quantity is None or quantity == ordered:
        return line
    if not 0 < ordered <= MAX_MOVEMENT_QUANTITY or quantity > ordered:
        # units beyond the order (no discount or tax known), or a quantity refused later
        return replace(line, quantity=quantity, discount=None, discount_allocations=None,
                       tax_lines=())
    try:
        paid = PaidLine(ordered, price, discount,
                        sum((t.amount or ZERO for t in tax_lines), ZERO), taxes_included)
    except MoneyError as exc:
        raise TranslationError(f"{what}: {exc}") from None
    part_discount, part_tax = _whole_line(paid, quantity)
    return replace(line, quantity=quantity, discount=part_discount, discount_allocations=None,
                   tax_lines=(TaxLineInput(title=f"tax on {quantity} of {ordered} unit(s)",
                                           amount=part_tax),) if tax_lines else ())


def shipping_lines(order: Mapping[str, Any]) -> tuple[ShippingInput, ...]:
    """Shipping charges in shop money: price, discount (its allocations, else price -
    discounted price), tax (its tax lines). Removed ones are left out."""
    applications = order.get("discount_applications") or []
    out = []
    for s in _list(order.get("shipping_lines"), "shipping_lines"):
        if s.get("is_removed") is True:
            continue
        what = f"shipping line {s.get('title') or s.get('code') or s.get('id')}"
        price = shop_money(s, "price", what) or ZERO
        allocations = _allocations(s, what, applications)
        if allocations:
            discount = sum((Decimal(a["amount"]) for a in allocations), ZERO)
        else:
            discounted = shop_money(s, "discounted_price", what)
            discount = price - discounted if discounted is not None and discounted < price \
                else ZERO
        tax = sum((t.amount or ZERO for t in _tax_lines(s, what)), ZERO)
        title = _text(s.get("title")) or _text(s.get("code"))
        out.append(ShippingInput(title=title[:MAX_NAME] if title else None, price=price,
                                 discount=discount, tax=tax))
    return tuple(out)


def stated_totals(order: Mapping[str, Any]) -> dict[str, Decimal | None]:
    """Shopify's own totals, in shop money, under our names (checked, and a mismatch kept on
    the timeline): line items before discounts, all discounts, all tax, shipping before
    discounts, and the total."""
    return {
        "subtotal": shop_money(order, "total_line_items_price", "order"),
        "discounts": shop_money(order, "total_discounts", "order"),
        "tax": shop_money(order, "total_tax", "order"),
        "shipping": shop_money(order, "total_shipping_price", "order",
                               set_key="total_shipping_price_set"),
        "total": shop_money(order, "total_price", "order"),
    }


def _person_name(person: Mapping[str, Any] | None) -> str | None:
    if not person:
        return None
    joined = " ".join(p for p in (_text(person.get("first_name")),
                                  _text(person.get("last_name"))) if p)
    return joined or _text(person.get("name"))


def customer(order: Mapping[str, Any], shop_domain: str) -> SeenIdentity:
    who = order.get("customer") or {}
    ship = order.get("shipping_address") or {}
    account = (f"shopify:{shop_domain}:{who['id']}" if who.get("id") is not None else None)
    return SeenIdentity(
        email=_text(order.get("email")) or _text(who.get("email")),
        phone=_text(order.get("phone")) or _text(who.get("phone")) or _text(ship.get("phone")),
        name=_person_name(who) or _person_name(ship),
        account=account, channel=CHANNEL,
        region=_text(ship.get("country_code")),
    )


def address(order: Mapping[str, Any]) -> Address | None:
    ship = order.get("shipping_address")
    if not ship:
        return None
    line1 = ", ".join(p for p in (_text(ship.get("address1")), _text(ship.get("address2"))) if p)
    latitude, longitude = _float(ship.get("latitude")), _float(ship.get("longitude"))
    if latitude == 0 and longitude == 0:
        latitude = longitude = None  # "0, 0" is how some sources say "unknown"
    return Address(line1=line1 or None, city=_text(ship.get("city")),
                   region=_text(ship.get("province_code")) or _text(ship.get("province")),
                   postal_code=_text(ship.get("zip")),
                   country=_text(ship.get("country_code")) or _text(ship.get("country")),
                   latitude=latitude, longitude=longitude, name=_person_name(ship))


# ------------------------------------------------------------------ how it is delivered

def _normalised(text: Any) -> str:
    return "".join(ch for ch in str(text or "").lower() if ch.isalnum())


def is_pos_counter_sale(order: Mapping[str, Any], location_map: Mapping[str, str]) -> bool:
    """A POS sale handed over at the till: POS source, a mapped till location, and nothing to
    ship (a POS "ship to customer" order has shipping lines and goes the normal way)."""
    return (order.get("source_name") == "pos"
            and location_id(order.get("location_id")) in location_map
            and not order.get("shipping_lines"))


def decide_delivery(order: Mapping[str, Any], location_map: Mapping[str, str], *,
                    fulfillment_orders: Sequence[Mapping[str, Any]] | None = None,
                    lookup_note: str | None = None) -> Delivery:
    """Which of ship, pickup or carry_out, and where.

    `fulfillment_orders` are the nodes of Shopify's `order.fulfillmentOrders` (GraphQL), or None
    when we could not ask (no access token) or asking failed (`lookup_note` says why).
    """
    if is_pos_counter_sale(order, location_map):
        shopify_location = location_id(order.get("location_id"))
        assert shopify_location is not None  # is_pos_counter_sale found it in the map
        code = location_map[shopify_location]
        return Delivery("carry_out", code, "pos",
                        f"POS sale at Shopify location {shopify_location} = {code}")
    if order.get("source_name") == "pos" and not order.get("shipping_address") \
            and location_id(order.get("location_id")) not in location_map:
        raise UnmappedLocation(
            f"POS order at Shopify location {order.get('location_id')}, which is not mapped to "
            "one of our stores (flask integrations shopify add-shop DOMAIN --location ID=CODE)",
            shopify_location=location_id(order.get("location_id")), method="carry_out")
    if fulfillment_orders is not None:
        return _from_fulfillment_orders(order, location_map, fulfillment_orders)
    return _fallback(order, location_map, lookup_note or "no Admin API access token")


def _from_fulfillment_orders(order: Mapping[str, Any], location_map: Mapping[str, str],
                             nodes: Sequence[Mapping[str, Any]]) -> Delivery:
    for node in nodes:
        method = ((node.get("deliveryMethod") or {}).get("methodType") or "").upper()
        if method != "PICK_UP":
            continue
        gid = ((node.get("assignedLocation") or {}).get("location") or {}).get("id")
        shopify_location = location_id(gid)
        if shopify_location is None or shopify_location not in location_map:
            raise UnmappedLocation(
                f"local pickup at Shopify location {gid}, which is not mapped to one of our "
                "stores (flask integrations shopify add-shop DOMAIN --location ID=CODE)",
                shopify_location=shopify_location, method="pickup")
        code = location_map[shopify_location]
        return Delivery("pickup", code, "graphql_pick_up",
                        f"Shopify fulfillment order says PICK_UP at location "
                        f"{shopify_location} = {code}")
    methods = sorted({((n.get("deliveryMethod") or {}).get("methodType") or "NONE")
                      for n in nodes}) or ["none listed"]
    return Delivery("ship", None, "graphql_ship",
                    f"Shopify fulfillment orders say {', '.join(methods)}: shipping")


def _fallback(order: Mapping[str, Any], location_map: Mapping[str, str],
              why_no_lookup: str) -> Delivery:
    pickup_lines = [s for s in order.get("shipping_lines") or []
                    if "pickup" in _normalised(s.get("code")) + " " +
                    _normalised(s.get("title"))]
    if not order.get("shipping_address") and pickup_lines:
        stores = sorted(set(location_map.values()))
        if len(stores) == 1:
            return Delivery("pickup", stores[0], "fallback_pickup_shipping_line",
                            f"{why_no_lookup}; no shipping address and shipping line "
                            f"'{pickup_lines[0].get('title') or pickup_lines[0].get('code')}' "
                            f"says pickup; the shop has one mapped location, {stores[0]}")
        return Delivery("ship", None, "fallback_ship",
                        f"{why_no_lookup}; the shipping line says pickup but the shop maps "
                        f"{len(stores)} locations, so the store is unknown")
    return Delivery("ship", None, "fallback_ship", f"{why_no_lookup}; shipping")


# ------------------------------------------------------------------ the whole command

def to_place_order(order: Mapping[str, Any], shop_domain: str, delivery: Delivery, *,
                   actor: str | None = None) -> PlaceOrder:
    if order.get("id") is None:
        raise TranslationError("the order has no id")
    currency = _text(order.get("currency"))
    if currency is None:
        raise TranslationError("the order has no currency")
    ship_to = address(order)
    if delivery.method == "ship" and ship_to is None:
        raise TranslationError("nothing says where this order goes: no shipping address and "
                               "no pickup or POS location")
    cmd = PlaceOrder(
        channel=CHANNEL, external_id=external_id(shop_domain, order["id"]),
        currency=currency.upper(), lines=lines(order), method=delivery.method,
        customer=customer(order, shop_domain),
        pickup_location=delivery.location if delivery.method == "pickup" else None,
        sale_location=delivery.location if delivery.method == "carry_out" else None,
        address=ship_to if delivery.method == "ship" else None,
        channel_name=_text(order.get("name")),
        source_updated_at=parse_time(order.get("updated_at")),
        actor=actor or f"shopify:{shop_domain}", source=CHANNEL,
        taxes_included=order.get("taxes_included") is True,
        shipping_lines=shipping_lines(order), stated_totals=stated_totals(order),
        totals_mismatch="record",
    )
    return checked_money(cmd)


def checked_money(cmd: PlaceOrder) -> PlaceOrder:
    """The command, once its amounts make sense by our rules (a discount larger than its
    line, included tax above what was paid...): otherwise a TranslationError, so the event
    fails visibly rather than being retried. Stated totals that do not add up are recorded on
    the order's timeline, not refused."""
    if any(not 0 < ln.quantity <= MAX_MOVEMENT_QUANTITY for ln in cmd.lines):
        return cmd  # refused by the order's own checks (a quantity no line can hold)
    try:
        money_view.price(cmd.lines, taxes_included=cmd.taxes_included,
                         shipping=cmd.shipping_lines, stated=cmd.stated_totals)
    except InvalidInput as exc:
        raise TranslationError(f"amounts that do not make sense: {exc}") from None
    return cmd


# ------------------------------------------------------------------ later changes

def current_quantity(item: Mapping[str, Any]) -> int:
    """Units Shopify still counts on the line after edits and refunds (`current_quantity`,
    REST 2024-01+); older payloads only have `quantity`."""
    value = item.get("current_quantity")
    return value if isinstance(value, int) and not isinstance(value, bool) else \
        int(item.get("quantity") or 0)


def returned_quantities(order: Mapping[str, Any]) -> dict[str, int]:
    """Per line item id, units refunded as returns (they had been delivered): a removal that is
    not a cancellation of open units."""
    out: dict[str, int] = {}
    for refund in order.get("refunds") or []:
        for rli in refund.get("refund_line_items") or []:
            if rli.get("restock_type") in ("return", "legacy_restock"):
                key = str(rli.get("line_item_id"))
                out[key] = out.get(key, 0) + int(rli.get("quantity") or 0)
    return out


def refund_ids(order: Mapping[str, Any]) -> list[str]:
    return [str(r["id"]) for r in order.get("refunds") or [] if r.get("id") is not None]
