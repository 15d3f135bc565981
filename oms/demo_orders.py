"""Demo orders: a week of trade at Northwind Outfitters, so the staff pages have something in
them on a first `make run`.

Every order goes through the real use cases (placing or holding, claims, picks, shipments,
pickups, cancellations, returns), each its own unit of work, so the ledger, the timelines, the
outbox and the order-line invariants are exactly what real traffic leaves. The plan is a pure
function of the seed (`plan_orders`); an order whose channel and external id exist is skipped,
so a second run adds nothing.

The use cases stamp the time they run. To spread a week over the chart, the loader then moves
the timestamps of what it just created back to each step's planned time, in one unit of work
that writes timestamp columns only (`backdate`); quantities, statuses and the stock ledger's
movements are never touched (the ledger keeps the time the demo was loaded).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, select, update
from sqlalchemy.orm import Session

from core.auth import Principal
from core.db import UnitOfWork, read_session, run_in_unit_of_work, utcnow
from fulfillment import use_cases as fulfillment
from fulfillment.models import Fulfillment
from oms import demo_data, holds, orders
from oms.customers import SeenIdentity
from oms.models import Customer, CustomerIdentity, Order, TimelineEvent
from oms.money_view import ShippingInput
from returns import use_cases as returns
from returns.models import Refund, Return
from returns.order_port import ExchangeLine

SEED = 7
GENERAL_ORDERS = 250
SOHO = "store-nyc-soho"
ACTOR = "demo-loader"
UNKNOWN_SKU = "NW-JKT-ALP-GRN-M"  # a colour the catalogue does not have (yet): held

# (channel, weight) of the general orders; pos sales are carried out at a store's till.
CHANNEL_MIX = (("web", 34), ("shopify", 24), ("pos", 18), ("marketplace", 10), ("phone", 6),
               ("store", 8))
# Orders per hour of the day (UTC) relative to the peak: US shoppers, evenings busiest.
HOUR_WEIGHTS = (8, 7, 5, 3, 2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9)
CARRIERS = ("UPS", "FedEx", "USPS")

FIRST_NAMES = (
    "Ana", "Sam", "Olivia", "Liam", "Sofia", "Noah", "Maya", "Ethan", "Priya", "Lucas", "Chloe",
    "Mateo", "Hannah", "Kenji", "Grace", "Diego", "Aisha", "Owen", "Leah", "Marcus", "Zoe",
    "Andre", "Nina", "Tomas", "Julia", "Ravi", "Emma", "Caleb", "Mei", "Jonah", "Fatima", "Eli",
    "Rosa", "Malik", "Ingrid", "Wyatt", "Lena", "Omar", "Claire", "Theo",
)
SURNAMES = (
    "Lopez", "Reed", "Nguyen", "Okafor", "Schmidt", "Patel", "Kowalski", "Garcia", "Johnson",
    "Tanaka", "O'Brien", "Rossi", "Haddad", "Murphy", "Chen", "Silva", "Novak", "Fischer",
    "Kim", "Dubois", "Martinez", "Walker", "Brennan", "Ivanova", "Mensah", "Larsen", "Cohen",
    "Alvarez", "Sato", "Jensen", "Moreau", "Bianchi", "Castillo", "Whitfield", "Abernathy",
    "Delgado", "Nakamura", "Petrov", "Hughes", "Osei",
)
# The README's walkthroughs place orders for these: no demo customer is them (or shares
# their email or number), so trying a walkthrough never merges into a demo customer.
README_PEOPLE = frozenset({"Ana Lopez", "ana.lopez@example.com", "+16145550134", "Sam Reed",
                           "sam.reed@example.com", "+12125550188"})
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# (line1, city, region, postal code, area codes): where customers live, near the stores.
ADDRESSES = (
    ("75 9th Ave", "New York", "NY", "10011", ("212", "646", "917")),
    ("200 Eastern Pkwy", "Brooklyn", "NY", "11238", ("718", "347")),
    ("6333 W 3rd St", "Los Angeles", "CA", "90036", ("323", "213")),
    ("233 S Wacker Dr", "Chicago", "IL", "60606", ("312", "773")),
    ("1 Ferry Building", "San Francisco", "CA", "94111", ("415",)),
    ("400 Broad St", "Seattle", "WA", "98109", ("206",)),
    ("1701 Wynkoop St", "Denver", "CO", "80202", ("303", "720")),
    ("100 Federal St", "Boston", "MA", "02110", ("617",)),
    ("1001 Avenida de las Americas", "Houston", "TX", "77010", ("713",)),
    ("401 E Jefferson St", "Phoenix", "AZ", "85004", ("602",)),
    ("1500 Market St", "Philadelphia", "PA", "19102", ("215",)),
    ("265 Park Ave W NW", "Atlanta", "GA", "30313", ("404",)),
    ("1000 SW Broadway", "Portland", "OR", "97205", ("503",)),
    ("600 Hennepin Ave", "Minneapolis", "MN", "55403", ("612",)),
    ("1100 Congress Ave", "Austin", "TX", "78701", ("512",)),
    ("50 W Broad St", "Columbus", "OH", "43215", ("614",)),
    ("1111 Lincoln Rd", "Miami Beach", "FL", "33139", ("305",)),
    ("501 Broadway", "Nashville", "TN", "37203", ("615",)),
)
NYC_ADDRESSES = (0, 1)

# The same number as customers type it: CS must find it from any of these.
PHONE_FORMATS: tuple[Callable[[str, str, str], str], ...] = (
    lambda a, b, c: f"({a}) {b}-{c}",
    lambda a, b, c: f"{a}-{b}-{c}",
    lambda a, b, c: f"+1 {a} {b} {c}",
    lambda a, b, c: f"{a}.{b}.{c}",
    lambda a, b, c: f"+1{a}{b}{c}",
    lambda a, b, c: f"{a}{b}{c}",
)


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    area: str
    number: str          # the 7 digits after the area code, 555-01xx (reserved for fiction)
    address: int         # index into ADDRESSES

    def phone(self, style: int) -> str:
        return PHONE_FORMATS[style % len(PHONE_FORMATS)](self.area, self.number[:3],
                                                         self.number[3:])

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    price: Decimal


@dataclass(frozen=True)
class Plan:
    """One demo order and what happens to it. `ages` are hours before the load: when it was
    placed, then when each step of its `story` happened (one age per step, decreasing)."""

    key: str
    channel: str
    external_id: str
    method: str                      # ship | pickup | carry_out
    lines: tuple[Line, ...]
    person: Person | None
    phone_style: int
    story: str
    ages: tuple[float, ...]
    location: str | None = None      # the pickup store or the till's store
    address: int | None = None
    channel_name: str | None = None
    shipping: Decimal | None = None
    exchange_to: str | None = None   # an exchange: the SKU the customer takes instead


@dataclass
class Loaded:
    """Per new order, the real time each step finished and the age it should have had."""

    marks: list[tuple[dt.datetime, float]] = field(default_factory=list)

    def mark(self, age: float) -> None:
        self.marks.append((utcnow(), age))


# ------------------------------------------------------------------ the plan (pure)

def people(rng: random.Random, count: int) -> list[Person]:
    """Customers with distinct names and numbers: 555-0100..0199 are the numbers reserved for
    fiction, so at most 100, each with its own last seven digits (CS finds them by those)."""
    assert count <= 100
    out: list[Person] = []
    used: set[str] = set()
    while len(out) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        if f"{first} {last}" in used:
            continue
        used.add(f"{first} {last}")
        address = rng.randrange(len(ADDRESSES))
        area = rng.choice(ADDRESSES[address][4])
        person = Person(f"{first} {last}", _email(rng, first, last, len(out)), area,
                        f"555{100 + len(out):04d}", address)
        if not {person.name, person.email, person.phone(4)} & README_PEOPLE:
            out.append(person)
    return out


def _email(rng: random.Random, first: str, last: str, n: int) -> str:
    f, s = (re.sub(r"[^a-z]", "", w.lower()) for w in (first, last))
    local = rng.choice((f"{f}.{s}", f"{f[0]}{s}", f"{f}{s}{n % 90 + 10}", f"{s}.{f}"))
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


class Shelf:
    """What the demo stock plan put where, less what planned orders took and safety stock:
    keeps planned pickups and till sales to units the store has."""

    def __init__(self) -> None:
        items = demo_data.catalog()
        locations = demo_data.WAREHOUSES + demo_data.STORES
        self.price = {i["sku"]: Decimal(i["price"]) for i in items}
        roles = demo_data.sku_roles(items)
        self.backorder = roles["backorder"]
        scarce = set(roles["hot"]) | set(roles["store_only"]) | set(self.backorder)
        safety = {(s, c): q for s, c, q in demo_data.safety_stock_plan(items, locations)}
        self.free: dict[tuple[str, str], int] = {}
        for sku, code, qty in demo_data.stock_plan(items, locations):
            if sku not in scarce:
                self.free[(sku, code)] = qty - safety.get((sku, code), 0)
        self.network: Counter[str] = Counter()
        for (sku, code), qty in self.free.items():
            if code.startswith("dc-"):
                self.network[sku] += qty

    def at(self, code: str) -> list[str]:
        return sorted(s for (s, c), q in self.free.items() if c == code and q >= 2)

    def in_warehouses(self) -> list[str]:
        return sorted(s for s, q in self.network.items() if q >= 20)

    def take(self, sku: str, code: str | None, qty: int) -> None:
        if code is not None:
            self.free[(sku, code)] = self.free.get((sku, code), 0) - qty
        self.network[sku] -= qty


def _lines(rng: random.Random, shelf: Shelf, choices: Sequence[str], code: str | None,
           most: int = 3) -> tuple[Line, ...]:
    count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    picked = rng.sample(list(choices), min(len(choices), count, most))
    lines = []
    for sku in picked:
        qty = 2 if "-SCK-" in sku and rng.random() < 0.5 else 1
        shelf.take(sku, code, qty)
        lines.append(Line(sku, qty, shelf.price[sku]))
    return tuple(lines)


def _placed_age(clock: random.Random, now: dt.datetime) -> float:
    """Hours ago, within the last 7 x 24 hours (what the dashboard's chart shows), busier in
    the US afternoon and evening. A clock of its own: the rest of the plan does not depend on
    the hour it is loaded at."""
    while True:
        age = clock.uniform(0.25, 7 * 24 - 0.5)
        hour = (now - dt.timedelta(hours=age)).hour
        if clock.random() * max(HOUR_WEIGHTS) < HOUR_WEIGHTS[hour]:
            return age


def _external(channel: str, n: int, rng: random.Random,
              store: str | None) -> tuple[str, str | None]:
    """The channel's own order id and name, shaped like each channel's."""
    if channel == "shopify":
        # Names from #3001: the README's Shopify walkthrough sends #1042.
        return f"{5830192000000 + n * 7919}", f"#{3001 + n}"
    if channel == "web":
        return f"W{310400 + n}", None
    if channel == "marketplace":
        return f"113-{4021337 + n * 97:07d}-{rng.randrange(10**6, 10**7)}", None
    if channel == "pos":
        return f"{(store or 'store').removeprefix('store-')}-T{1 + n % 3}-{5200 + n}", None
    if channel == "phone":
        return f"PH-{7700 + n}", None
    return f"AISLE-{4100 + n}", None


def _general(rng: random.Random, shelf: Shelf, persons: list[Person], age: float,
             n: int) -> Plan:
    channel = rng.choices([c for c, _ in CHANNEL_MIX], weights=[w for _, w in CHANNEL_MIX])[0]
    person = rng.choice(persons[:30]) if rng.random() < 0.3 else rng.choice(persons)
    stores = [s["code"] for s in demo_data.STORES if s["code"] != SOHO]
    if channel == "pos":
        store = rng.choice(stores[:12])
        ext, name = _external(channel, n, rng, store)
        buyer = person if rng.random() < 0.6 else None   # many till sales are anonymous
        return Plan(f"g{n}", channel, ext, "carry_out", _lines(rng, shelf, shelf.at(store), store),
                    buyer, rng.randrange(6), "sold", (age,), location=store)
    ext, name = _external(channel, n, rng, None)
    if channel in ("web", "shopify") and rng.random() < 0.25:
        store = rng.choice(stores)
        lines = _lines(rng, shelf, shelf.at(store), store, most=2)
        # Drawn whatever the age, so the plan's later orders do not depend on the clock.
        ready_after, collected_after = rng.uniform(1, 6), rng.uniform(20, 48)
        ages: tuple[float, ...]
        if age > 50:
            story, ages = "picked_up", (age, age - ready_after, age - collected_after)
        elif age > 8:
            story, ages = "ready", (age, age - ready_after)
        else:
            story, ages = "open", (age,)
        return Plan(f"g{n}", channel, ext, "pickup", lines, person, rng.randrange(6), story,
                    ages, location=store, channel_name=name)
    lines = _lines(rng, shelf, shelf.in_warehouses(), None)
    lag = rng.random()
    if age > 8:
        story, ages = "shipped", (age, age - (2 + lag * (min(30, age - 1) - 2)))
    else:
        story, ages = "open", (age,)
    shipping = Decimal("0.00") if sum(ln.price * ln.quantity for ln in lines) >= 99 \
        else Decimal("7.95")
    return Plan(f"g{n}", channel, ext, "ship", lines, person, rng.randrange(6), story, ages,
                address=person.address, channel_name=name, shipping=shipping)


def _special(rng: random.Random, shelf: Shelf, persons: list[Person]) -> list[Plan]:
    """What the SoHo store, CS and the dashboard should each have at least one of."""
    soho = shelf.at(SOHO)
    nyc = [p for p in persons if p.address in NYC_ADDRESSES] or persons
    plans: list[Plan] = []

    def add(key: str, channel: str, method: str, story: str, ages: tuple[float, ...], *,
            lines: tuple[Line, ...] | None = None, person: Person | None = None,
            location: str | None = None, exchange_to: str | None = None) -> None:
        n = 900 + len(plans)
        ext, name = _external(channel, n, rng, location)
        who = person or rng.choice(nyc)
        if lines is None:
            lines = _lines(rng, shelf, soho if location == SOHO or method == "ship" else
                           shelf.in_warehouses(), SOHO if location == SOHO else None, most=2)
        plans.append(Plan(key, channel, ext, method, lines, who, rng.randrange(6), story, ages,
                          location=location, address=who.address if method == "ship" else None,
                          channel_name=name, shipping=Decimal("0.00") if method == "ship"
                          else None, exchange_to=exchange_to))

    # Ship-from-store work at SoHo: NYC addresses, SKUs on SoHo's shelves, not picked yet.
    for i in range(5):
        add(f"soho-ship-{i}", "web", "ship", "open", (0.5 + i * 1.5,))
    # BOPIS at SoHo in each state.
    for i in range(4):
        add(f"soho-prepare-{i}", rng.choice(("web", "shopify")), "pickup", "open",
            (0.3 + i * 1.2,), location=SOHO)
    for i in range(3):
        add(f"soho-ready-{i}", rng.choice(("web", "shopify")), "pickup", "ready",
            (6 + i * 14, 4 + i * 14), location=SOHO)
    window = fulfillment.pickup_window().total_seconds() / 3600
    ready = max(window - 3, 1)   # its window ends in about three hours
    add("soho-expiring", "web", "pickup", "ready", (ready + 2, ready), location=SOHO)
    for i in range(3):
        add(f"soho-picked-up-{i}", "shopify", "pickup", "picked_up",
            (30 + i * 30, 28 + i * 30, 8 + i * 30), location=SOHO)
    # Cancelled: a whole pickup, a whole web order, and one line of two-line orders.
    add("cancel-pickup", "web", "pickup", "cancelled", (20, 18), location=SOHO)
    add("cancel-web", "web", "ship", "cancelled", (40, 39.5))
    two = sorted(set(shelf.in_warehouses()) & set(soho))
    for i in range(2):
        lines = tuple(Line(s, 1, shelf.price[s]) for s in rng.sample(two, 2))
        add(f"cancel-line-{i}", "phone", "ship", "line_cancelled", (60 + i * 20, 59 + i * 20),
            lines=lines)
    # A web order shipped from a warehouse, brought back to SoHo (cross-channel), restocked.
    sku = sorted(set(shelf.in_warehouses()) - set(soho))[0]
    add("return-at-soho", "web", "ship", "returned_at_soho", (120, 100, 30),
        lines=(Line(sku, 1, shelf.price[sku]),))
    # Bought at the SoHo till, exchanged there for another size two days later.
    sold, other = _exchangeable(shelf, soho)
    add("exchange", "pos", "carry_out", "exchanged", (90, 44),
        lines=(Line(sold, 1, shelf.price[sold]),), location=SOHO, exchange_to=other)
    # A Shopify order naming a SKU we do not sell yet: on hold until it exists.
    ext, name = _external("shopify", 990, rng, None)
    plans.append(Plan("hold", "shopify", ext, "ship", (Line(UNKNOWN_SKU, 1, Decimal("229.00")),),
                      rng.choice(persons), 2, "held", (5,), address=0, channel_name=name,
                      shipping=Decimal("0.00")))
    # Nothing in the network: backordered until stock comes in.
    sku = shelf.backorder[0]
    add("backorder", "web", "ship", "open", (26,), lines=(Line(sku, 1, shelf.price[sku]),))
    return plans


def _exchangeable(shelf: Shelf, soho: list[str]) -> tuple[str, str]:
    """Two sizes of a style that SoHo both stocks: one sold, one to exchange it for."""
    by_style: dict[str, list[str]] = {}
    for sku in soho:
        by_style.setdefault(sku.rsplit("-", 1)[0], []).append(sku)
    pairs = sorted(v for v in by_style.values() if len(v) >= 2)
    first, second = pairs[0][:2]
    shelf.take(first, SOHO, 1)
    shelf.take(second, SOHO, 1)
    return first, second


def plan_orders(now: dt.datetime) -> list[Plan]:
    """The demo's orders; the same list for the same seed (ages are hours before `now`)."""
    rng = random.Random(SEED)
    shelf = Shelf()
    persons = people(rng, 100)
    special = _special(rng, shelf, persons)
    clock = random.Random(f"{SEED}:clock")
    general = [_general(rng, shelf, persons, _placed_age(clock, now), n)
               for n in range(GENERAL_ORDERS)]
    # Placed oldest first, so order numbers grow with time as they would have.
    return sorted([p for p in general if p.lines] + special, key=lambda p: -p.ages[0])


# ------------------------------------------------------------------ running it

def _staff(location: str) -> Principal:
    role = "wms" if location.startswith("dc-") else "store"
    return Principal(key_id=0, name=f"{ACTOR}@{location}", role=role, location=location)


CS = Principal(key_id=0, name=f"{ACTOR}-cs", role="cs")


def _command(plan: Plan) -> orders.PlaceOrder:
    person = plan.person
    seen = SeenIdentity(
        email=person.email if person and plan.channel != "pos" else None,
        phone=person.phone(plan.phone_style) if person else None,
        name=person.name if person else None, region="US")
    address = None
    if plan.address is not None:
        line1, city, region, postal, _areas = ADDRESSES[plan.address]
        address = orders.Address(line1=line1, city=city, region=region, postal_code=postal,
                                 country="US", name=person.name if person else None)
    shipping = (ShippingInput(title="Standard", price=plan.shipping),) \
        if plan.shipping is not None else ()
    return orders.PlaceOrder(
        channel=plan.channel, external_id=plan.external_id, currency="USD",
        lines=tuple(orders.LineInput(sku=ln.sku, quantity=ln.quantity, unit_price=ln.price)
                    for ln in plan.lines),
        method=plan.method, customer=seen,
        pickup_location=plan.location if plan.method == "pickup" else None,
        sale_location=plan.location if plan.method == "carry_out" else None,
        address=address, channel_name=plan.channel_name, actor=ACTOR, source=plan.channel,
        shipping_lines=shipping)


def _work(order_id: int, statuses: Iterable[str] = ("pending",)) -> list[tuple[int, str, str]]:
    with read_session() as session:
        rows = session.execute(select(Fulfillment.id, Fulfillment.location_code,
                                      Fulfillment.method)
                               .where(Fulfillment.order_id == order_id,
                                      Fulfillment.status.in_(tuple(statuses)))
                               .order_by(Fulfillment.id)).all()
    return [(r[0], r[1], r[2]) for r in rows]


def _tracking(carrier: str, rng: random.Random) -> str:
    if carrier == "UPS":
        return f"1Z{rng.randrange(16**6):06X}03{rng.randrange(10**8):08d}"
    if carrier == "FedEx":
        return f"{rng.randrange(10**11, 10**12)}"
    return f"9400 1{rng.randrange(10**20):020d}"[:27]


def _ship_all(order_id: int, rng: random.Random) -> None:
    for fid, location, method in _work(order_id):
        if method == "pickup":
            continue
        staff = _staff(location)
        fulfillment.pick(fid, {}, staff)
        carrier = rng.choice(CARRIERS)
        fulfillment.ship(fid, carrier, _tracking(carrier, rng), staff)


def _make_ready(order_id: int) -> list[tuple[int, str]]:
    """Pickups at their store made ready; the codes, for handing over."""
    codes = []
    for fid, location, method in _work(order_id):
        if method == "pickup":
            codes.append((fid, fulfillment.ready_for_pickup(fid, _staff(location))["pickup_code"]))
    return codes


def _order_lines(order_id: int) -> list[tuple[int, int]]:
    with read_session() as session:
        order = session.get(Order, order_id)
        assert order is not None
        return [(ln.id, ln.quantity) for ln in sorted(order.lines, key=lambda ln: ln.line_no)]


def _live(plan: Plan, order_id: int, loaded: Loaded, rng: random.Random) -> None:
    """The steps of the plan's story after placing, each a use case; marks each step."""
    ages = plan.ages[1:]
    if plan.story == "shipped":
        _ship_all(order_id, rng)
        loaded.mark(ages[0])
    elif plan.story in ("ready", "picked_up"):
        codes = _make_ready(order_id)
        loaded.mark(ages[0])
        if plan.story == "picked_up":
            for fid, code in codes:
                fulfillment.pickup(fid, code, _staff(plan.location or SOHO))
            loaded.mark(ages[1])
    elif plan.story == "cancelled":
        orders.cancel(order_id, None, actor=CS.actor, source="cs",
                      reason="customer changed their mind")
        loaded.mark(ages[0])
    elif plan.story == "line_cancelled":
        line_id, qty = _order_lines(order_id)[-1]
        orders.cancel(order_id, [(line_id, qty)], actor=CS.actor, source="cs",
                      reason="customer no longer wants this item")
        loaded.mark(ages[0])
    elif plan.story == "returned_at_soho":
        _ship_all(order_id, rng)
        loaded.mark(ages[0])
        _return_at_soho(order_id, plan)
        loaded.mark(ages[1])
    elif plan.story == "exchanged":
        _exchange_at_soho(order_id, plan)
        loaded.mark(ages[0])


def _return_at_soho(order_id: int, plan: Plan) -> None:
    line_id, _qty = _order_lines(order_id)[0]
    cmd = returns.CreateReturn(order_id=order_id, lines=(returns.ReturnLineInput(
        line_id, 1, "wrong_size"),), location=SOHO, actor=_staff(SOHO).actor, source="store",
        note="too tight across the shoulders", external_ref=f"demo-{plan.key}")
    returns.create_return(cmd, _staff(SOHO), receive_now=(returns.ReceiveLineInput(
        line_id, 1, "restock"),))


def _exchange_at_soho(order_id: int, plan: Plan) -> None:
    line_id, _qty = _order_lines(order_id)[0]
    assert plan.exchange_to is not None
    cmd = returns.CreateReturn(
        order_id=order_id, lines=(returns.ReturnLineInput(line_id, 1, "wrong_size"),),
        location=SOHO, actor=_staff(SOHO).actor, source="store", note="one size up",
        exchange=returns.ExchangeInput(lines=(ExchangeLine(plan.exchange_to, 1),)),
        external_ref=f"demo-{plan.key}")
    returns.create_return(cmd, _staff(SOHO), receive_now=(returns.ReceiveLineInput(
        line_id, 1, "restock"),))


@dataclass(frozen=True)
class DemoOrdersReport:
    added: int
    existing: int
    by_channel: dict[str, int]
    by_story: dict[str, int]

    def summary(self) -> str:
        channels = ", ".join(f"{c} {n}" for c, n in sorted(self.by_channel.items()))
        return (f"demo orders: {self.added} added, {self.existing} already there"
                + (f" ({channels})" if channels else ""))


def load_orders(progress: Callable[[str], None] = lambda _msg: None) -> DemoOrdersReport:
    """Place the demo's orders that do not exist yet and play their stories."""
    now = utcnow()
    rng = random.Random(f"{SEED}:steps")   # carriers, tracking numbers
    loaded: dict[int, Loaded] = {}
    stories: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    plans = plan_orders(now)
    with read_session() as session:
        have = {(c, e) for c, e in session.execute(select(Order.channel, Order.external_id))}
    for plan in plans:
        if (plan.channel, plan.external_id) in have:
            continue
        intake = holds.place_or_hold(_command(plan))
        marks = loaded.setdefault(intake.order_id, Loaded())
        marks.mark(plan.ages[0])
        _live(plan, intake.order_id, marks, rng)
        stories[plan.story] += 1
        channels[plan.channel] += 1
    if stories:
        progress("demo orders: " + ", ".join(f"{n} {s.replace('_', ' ')}"
                                             for s, n in stories.most_common()))
    if loaded:
        backdate(loaded, now)
    return DemoOrdersReport(len(loaded), len(plans) - len(loaded), dict(channels),
                            dict(stories))


# ------------------------------------------------------------------ backdating

def _shift_for(marks: list[tuple[dt.datetime, float]], now: dt.datetime,
               value: dt.datetime) -> dt.timedelta:
    """How far back a timestamp written during the load moves: the step it was written in
    (the first whose end mark is not before it) goes back to that step's planned age."""
    for real, age in marks:
        if value <= real:
            return real - (now - dt.timedelta(hours=age))
    real, age = marks[-1]
    return real - (now - dt.timedelta(hours=age))


def _timestamp_columns(model: Any) -> list[str]:
    return [c.key for c in model.__table__.columns if isinstance(c.type, DateTime)]


def _moved(row: Any, marks: list[tuple[dt.datetime, float]], now: dt.datetime,
           since: dt.datetime) -> dict[str, Any]:
    """The row's timestamps written during this load, moved back; others stay."""
    values: dict[str, Any] = {"id": row.id}
    for name in _timestamp_columns(type(row)):
        value = getattr(row, name)
        if value is not None and value >= since:
            values[name] = value - _shift_for(marks, now, value)
    if isinstance(row, Fulfillment) and row.ready_at is not None and row.ready_at >= since \
            and row.pickup_expires_at is not None:
        # The window is counted from when it was ready (a time set in that step).
        values["pickup_expires_at"] = row.pickup_expires_at - _shift_for(marks, now,
                                                                         row.ready_at)
    return values


# What a demo order's story writes, by the column naming its order.
BACKDATED: tuple[tuple[Any, Any], ...] = (
    (Order, Order.id), (TimelineEvent, TimelineEvent.order_id),
    (Fulfillment, Fulfillment.order_id), (Return, Return.order_id), (Refund, Refund.order_id))


def backdate(loaded: dict[int, Loaded], now: dt.datetime) -> None:
    """Move what this load created back to its planned times: one unit of work, timestamp
    columns only (orders, their timelines, fulfillments, returns and refunds, customers first
    seen in this load). Exchange orders take the time of the return that placed them."""
    since = min(m.marks[0][0] for m in loaded.values()) - dt.timedelta(seconds=5)
    since = min(since, now)

    def work(uow: UnitOfWork) -> None:
        session: Session = uow.session
        marks = {oid: m.marks for oid, m in loaded.items()}
        for ret in session.scalars(select(Return).where(Return.order_id.in_(marks))):
            if ret.exchange_order_id is not None:
                marks[ret.exchange_order_id] = marks[ret.order_id]
        ids = list(marks)
        for model, column in BACKDATED:
            rows = [_moved(r, marks[getattr(r, column.key)], now, since)
                    for r in session.scalars(select(model).where(column.in_(ids)))]
            if rows:
                session.execute(update(model), rows)
        _backdate_customers(session, since)

    run_in_unit_of_work(work)


def _backdate_customers(session: Session, since: dt.datetime) -> None:
    """Customers (and identities) first seen in this load: seen with their first order."""
    # Newest first, so each customer keeps the time of their earliest order.
    first = {customer_id: at for customer_id, at in session.execute(
        select(Order.customer_id, Order.created_at).where(Order.customer_id.is_not(None))
        .order_by(Order.created_at.desc()))}
    new = session.scalars(select(Customer).where(Customer.created_at >= since)).all()
    rows = [{"id": c.id, "created_at": first[c.id]} for c in new if c.id in first]
    if rows:
        session.execute(update(Customer), rows)
    idents = session.scalars(select(CustomerIdentity)
                             .where(CustomerIdentity.first_seen_at >= since)).all()
    rows = [{"id": i.id, "first_seen_at": first[i.customer_id]} for i in idents
            if i.customer_id in first]
    if rows:
        session.execute(update(CustomerIdentity), rows)
