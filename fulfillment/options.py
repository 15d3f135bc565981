"""Fulfillment options for a storefront: what we can promise for a cart at a place, before
anyone orders ("pick up today at SoHo", "available at 3 stores near you", "arrives Tue 8 Dec").

The same decisions an order would get: the routing engine (`fulfillment.routing.route`) under
the operator's rules, on the same available-to-promise snapshot (`inventory.snapshot`, safety
stock never promised) and the same active nodes with today's capacity. Nothing is reserved or
written: the caller passes a read session.

Cheap enough for a product page: one read of the nodes, one availability read for the cart's
SKUs (a second, small one only to tell an unknown SKU from one out of stock everywhere), one
read of the listed stores' names and addresses; routing sees only the nodes holding something
of the cart, and pickup is routed store by store, nearest first, only until enough stores are
found within the radius.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core import geocode
from core.errors import InvalidInput
from core.geo import distance_km
from fulfillment import capacity
from fulfillment.planning import RoutingRules, routing_nodes
from fulfillment.routing import Line, RoutingPlan, route
from fulfillment.routing.model import PICKUP, SHIP, STORE, TRANSFER
from inventory import snapshot
from inventory.models import Location

MAX_LINES = 50
DEFAULT_RADIUS_KM = 80.0
MAX_RADIUS_KM = 500.0
DEFAULT_MAX_STORES = 5
MAX_STORES = 20
NOW = "now"                        # shelf stock at the store: ready_on today
AFTER_TRANSFER = "after_transfer"  # some units travel to the store first


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Place:
    """Where the shopper is (or wants it): coordinates, and how we know them."""

    latitude: float
    longitude: float
    estimated: bool = False  # from a postal code, city, region or country, not exact
    source: str = "coordinates"  # e.g. "postal code 100xx", "pickup store store-soho"

    @property
    def point(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


def locate(address: Mapping[str, Any]) -> Place | None:
    """The place of a destination as order intake places a ship-to: its coordinates when
    given, else the offline estimate of `core.geocode` (postal code, city, region, country).
    None when nothing in it can be placed."""
    if address.get("latitude") is not None and address.get("longitude") is not None:
        return Place(float(address["latitude"]), float(address["longitude"]))
    guess = geocode.estimate(address.get("country"), address.get("postal_code"),
                             address.get("city"), address.get("region"))
    if guess is None:
        return None
    return Place(guess.latitude, guess.longitude, estimated=True, source=guess.source)


@dataclass(frozen=True)
class OptionsQuery:
    lines: tuple[CartLine, ...]
    # Where the shopper is: an address as orders take one (coordinates, or a postal code,
    # city, region, country to estimate them from); None: the pickup store's place.
    destination: Mapping[str, Any] | None = None
    pickup_location: str | None = None  # the shopper's store
    radius_km: float = DEFAULT_RADIUS_KM
    max_stores: int = DEFAULT_MAX_STORES
    # Express: only nodes that make this date (the API refuses one before today, by the rule
    # orders' promised dates follow: oms.domain.promise_refusal).
    deliver_by: dt.date | None = None


@dataclass(frozen=True)
class Units:
    sku: str
    quantity: int
    line: int | None = None  # the cart line (index) for what is missing


@dataclass(frozen=True)
class Transfer:
    """Units a node sends to a pickup store, and when they arrive there."""

    source: str
    kind: str
    distance_km: float
    arrives_on: dt.date
    items: tuple[Units, ...]


@dataclass(frozen=True)
class StoreOption:
    code: str
    name: str
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    latitude: float
    longitude: float
    distance_km: float  # from the place
    selected: bool  # the shopper's store (pickup_location)
    available: bool  # the whole cart can be ready here
    ready: str | None  # NOW | AFTER_TRANSFER | None when not available
    ready_on: dt.date | None
    in_store: tuple[Units, ...]  # what the store's own shelf gives
    transfers: tuple[Transfer, ...]
    missing: tuple[Units, ...]  # what neither the shelf nor a transfer can bring
    reasons: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class ShipNode:
    code: str
    kind: str
    distance_km: float
    estimated_delivery: dt.date
    items: tuple[Units, ...]


@dataclass(frozen=True)
class ShipOption:
    available: bool  # the whole cart can ship
    estimated_delivery: dt.date | None  # the last package's
    packages: int
    nodes: tuple[ShipNode, ...]
    missing: tuple[Units, ...]
    reasons: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class PickupOptions:
    selected_store: StoreOption | None  # the shopper's store, whatever it can do
    stores: tuple[StoreOption, ...]  # stores that can have the whole cart, nearest first
    radius_km: float


@dataclass(frozen=True)
class FulfillmentOptions:
    today: dt.date
    place: Place
    deliver_by: dt.date | None
    pickup: PickupOptions
    ship: ShipOption


_STORE_DETAILS = (select(Location.code, Location.name, Location.city, Location.region,
                         Location.postal_code, Location.country)
                  .where(Location.code.in_(bindparam("codes", expanding=True))))


def fulfillment_options(session: Session, query: OptionsQuery,
                        rules: RoutingRules) -> FulfillmentOptions:
    """Pickup stores near the place that can have the whole cart ready (and the shopper's
    store, whatever it can do), and shipping to the place, as routing would decide them now.
    Raises InvalidInput naming the field for a request it cannot answer. Reads only."""
    today = capacity.today()
    rows = capacity.active_nodes(session)
    by_code = {row.code: row for row in rows}
    chosen = None
    if query.pickup_location is not None:
        chosen = by_code.get(query.pickup_location)
        if chosen is None:
            raise InvalidInput("pickup_location",
                               f"unknown or closed location '{query.pickup_location}'")
        if chosen.kind != STORE or not chosen.pickup:
            raise InvalidInput("pickup_location", f"'{chosen.code}' does not offer pickup")
    if query.destination is not None:
        located = locate(query.destination)
        if located is None:
            raise InvalidInput("destination", "cannot place it: give latitude and longitude, "
                               "or a known postal code, city, region or country")
        place = located
    elif chosen is not None:
        place = Place(chosen.latitude, chosen.longitude, source=f"pickup store {chosen.code}")
    else:
        raise InvalidInput("destination", "give a destination or a pickup_location")
    stock = snapshot.availability(session, [line.sku for line in query.lines])
    _check_skus(session, query.lines, stock)

    # Routing needs only the nodes holding something of the cart (a node holding none of it
    # can neither send nor be chosen), plus the pickup store it is asked about.
    holding = {code for per_node in stock.values() for code in per_node}
    lines = tuple(Line(str(i), line.sku, line.quantity) for i, line in enumerate(query.lines))
    router = _Router(rules, today, query.deliver_by, lines, stock,
                     {row.code: row for row in rows if row.code in holding})

    selected = None
    listed: list[tuple[float, str, RoutingPlan]] = []
    if chosen is not None:
        away = distance_km(*place.point, chosen.latitude, chosen.longitude)
        selected = (away, chosen.code, router.pickup(chosen))
        if _complete(selected[2]):
            listed.append(selected)
    nearby = sorted(
        (distance_km(*place.point, row.latitude, row.longitude), row.code)
        for row in rows if row.kind == STORE and row.pickup and row is not chosen)
    found = 0
    for away, code in nearby:
        if away > query.radius_km or found == query.max_stores:
            break  # nearest first: the rest are farther
        plan = router.pickup(by_code[code])
        if _complete(plan):
            listed.append((away, code, plan))
            found += 1
    listed.sort(key=lambda item: (item[0], item[1]))
    if len(listed) > query.max_stores:  # the shopper's store keeps its place in the list
        farthest_other = next(item for item in reversed(listed)
                              if item[1] != query.pickup_location)
        listed.remove(farthest_other)

    ship_plan = router.ship(place)
    details = _store_details(session, {code for _, code, _ in listed}
                             | ({selected[1]} if selected else set()))
    view = _Views(router, by_code, details, query.pickup_location)
    return FulfillmentOptions(
        today=today, place=place, deliver_by=query.deliver_by,
        pickup=PickupOptions(selected_store=view.store(*selected) if selected else None,
                             stores=tuple(view.store(*item) for item in listed),
                             radius_km=query.radius_km),
        ship=view.ship(ship_plan, place))


def _check_skus(session: Session, lines: Sequence[CartLine],
                stock: Mapping[str, Mapping[str, int]]) -> None:
    """An unknown SKU is the caller's mistake (a storefront out of step with the catalogue),
    not "out of stock": 422 naming the line. A SKU with stock somewhere is known; only the
    others are looked up."""
    unstocked = {line.sku for line in lines if not stock.get(line.sku)}
    if not unstocked:
        return
    known = snapshot.item_ids(session, unstocked)
    for i, line in enumerate(lines):
        if line.sku in unstocked and line.sku not in known:
            raise InvalidInput(f"lines.{i}.sku", f"unknown SKU '{line.sku}'")


def _complete(plan: RoutingPlan) -> bool:
    """Every unit of the cart placed (the cart's lines never backorder: nothing waits)."""
    return not plan.unfillable and not plan.backordered


# name, city, region, postal_code, country
StoreDetails = tuple[str, str | None, str | None, str | None, str | None]


def _store_details(session: Session, codes: set[str]) -> dict[str, StoreDetails]:
    """The listed stores' names and addresses as the locations table has them (one read, for
    the few stores answered; routing needs none of it)."""
    if not codes:
        return {}
    rows = session.connection().execute(_STORE_DETAILS, {"codes": sorted(codes)})
    return {code: (name, city, region, postal_code, country)
            for code, name, city, region, postal_code, country in rows}


class _Router:
    """Routes the cart under the rules, on one snapshot, as an order would be routed now."""

    def __init__(self, rules: RoutingRules, today: dt.date, deliver_by: dt.date | None,
                 lines: tuple[Line, ...], stock: Mapping[str, Mapping[str, int]],
                 holding: Mapping[str, capacity.NodeRow]) -> None:
        self.rules = rules
        self.today = today
        self.deliver_by = deliver_by
        self.lines = lines
        self.stock = stock
        self.holding = holding
        self.nodes = routing_nodes(list(holding.values()))

    def pickup(self, store: capacity.NodeRow) -> RoutingPlan:
        """Everything at the store, or what it lacks transferred in (the `transfer` policy:
        the one that answers "when can it be ready here")."""
        nodes = self.nodes
        if store.code not in self.holding:
            nodes = [*nodes, *routing_nodes([store])]
        return route(self.rules.request(lines=self.lines, method=PICKUP, pickup_node=store.code,
                                        bopis_policy="transfer", today=self.today,
                                        deliver_by=self.deliver_by),
                     nodes, self.stock, self.rules.cost, self.rules.transit)

    def ship(self, place: Place) -> RoutingPlan:
        return route(self.rules.request(lines=self.lines, method=SHIP, destination=place.point,
                                        destination_estimated=place.estimated,
                                        today=self.today, deliver_by=self.deliver_by),
                     self.nodes, self.stock, self.rules.cost, self.rules.transit)

    def arrival(self, node: capacity.NodeRow, to: tuple[float, float]) -> tuple[float, dt.date]:
        """Distance and arrival date of a package (or transfer) from `node` to `to`, by the
        same estimate the engine dates its plans with."""
        away = distance_km(node.latitude, node.longitude, *to)
        return away, self.rules.transit.arrival(self.today, node.kind, away)


class _Views:
    """Plans as the storefront reads them."""

    def __init__(self, router: _Router, nodes: Mapping[str, capacity.NodeRow],
                 details: Mapping[str, StoreDetails], selected: str | None) -> None:
        self.router = router
        self.nodes = nodes
        self.details = details
        self.selected = selected

    def _missing(self, plan: RoutingPlan) -> tuple[Units, ...]:
        lines = {line.line_id: line for line in self.router.lines}
        return tuple(Units(lines[ref].sku, qty, int(ref))
                     for ref, qty in (*plan.unfillable, *plan.backordered))

    def store(self, away: float, code: str, plan: RoutingPlan) -> StoreOption:
        row = self.nodes[code]
        name, city, region, postal_code, country = self.details[code]
        available = _complete(plan)
        transfers: list[Transfer] = []
        for source in sorted({a.node for a in plan.allocations if a.kind == TRANSFER}):
            sender = self.nodes[source]
            far, arrives = self.router.arrival(sender, (row.latitude, row.longitude))
            transfers.append(Transfer(source, sender.kind, round(far, 1), arrives, _units(
                (a.sku, a.quantity) for a in plan.allocations
                if a.kind == TRANSFER and a.node == source)))
        ready = None
        if available:
            ready = AFTER_TRANSFER if transfers else NOW
        return StoreOption(
            code=code, name=name, city=city, region=region, postal_code=postal_code,
            country=country, latitude=row.latitude, longitude=row.longitude,
            distance_km=round(away, 1), selected=code == self.selected, available=available,
            ready=ready, ready_on=plan.estimated_delivery if available else None,
            in_store=_units((a.sku, a.quantity) for a in plan.allocations if a.kind == PICKUP),
            transfers=tuple(transfers) if available else (), missing=self._missing(plan),
            reasons=tuple(r.as_dict() for r in plan.reasons))

    def ship(self, plan: RoutingPlan, place: Place) -> ShipOption:
        nodes = []
        for code in plan.nodes():
            node = self.nodes[code]
            away, arrives = self.router.arrival(node, place.point)
            nodes.append(ShipNode(code, node.kind, round(away, 1), arrives, _units(
                (a.sku, a.quantity) for a in plan.allocations if a.node == code)))
        return ShipOption(available=_complete(plan) and bool(nodes),
                          estimated_delivery=plan.estimated_delivery, packages=len(nodes),
                          nodes=tuple(nodes), missing=self._missing(plan),
                          reasons=tuple(r.as_dict() for r in plan.reasons))


def _units(pairs: Iterable[tuple[str, int]]) -> tuple[Units, ...]:
    """(sku, quantity) pairs summed per SKU, in first-seen order."""
    totals: dict[str, int] = {}
    for sku, qty in pairs:
        totals[sku] = totals.get(sku, 0) + qty
    return tuple(Units(sku, qty) for sku, qty in totals.items())
