"""Routing's value objects: what goes in (nodes, lines, costs, the request, a stock snapshot) and
what comes out (a plan of allocations with its cost and reasons). Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SHIP = "ship"
PICKUP = "pickup"
TRANSFER = "transfer"
WAREHOUSE = "warehouse"
STORE = "store"
POLICIES = ("transfer", "split", "suggest")


class RoutingError(ValueError):
    """The request cannot be routed as asked (a caller's mistake, not a stock shortage)."""


@dataclass(frozen=True)
class Node:
    """A warehouse or store as routing sees it."""

    code: str
    kind: str  # "warehouse" | "store"
    latitude: float
    longitude: float
    ships: bool
    pickup: bool
    priority: int = 0  # higher = preferred on exact cost ties
    capacity_left: int | None = None  # fulfillments it can still take today; None = unlimited


@dataclass(frozen=True)
class Line:
    line_id: str
    sku: str
    quantity: int
    backorder_allowed: bool = False


@dataclass(frozen=True)
class CostModel:
    """Documented defaults, all money in the order currency. Every package (or transfer) cost is
    rounded to cents on its own, so a plan's total is the exact sum of the figures its reasons
    quote."""

    package_base: float = 5.00  # per package (= per node used)
    per_km: float = 0.01  # per km from node to destination
    handling_warehouse: float = 1.00  # per package from a warehouse
    handling_store: float = 3.00  # per package from a store (store labour is dearer)
    extra_package_penalty: float = 4.00  # per package beyond the first
    transfer_base: float = 2.00  # per inter-node transfer (BOPIS "transfer to store")
    transfer_per_km: float = 0.004

    def handling(self, kind: str) -> float:
        return self.handling_store if kind == STORE else self.handling_warehouse


@dataclass(frozen=True)
class RoutingRequest:
    lines: tuple[Line, ...]
    method: str  # "ship" | "pickup"
    # ship-to (lat, lon); for pickup optional (the customer's address, used by policy "split")
    destination: tuple[float, float] | None = None
    destination_estimated: bool = False  # coordinates from a postal-code/city fallback
    pickup_node: str | None = None  # store code for method "pickup"
    bopis_policy: str = "transfer"  # "transfer" | "split" | "suggest"
    exclude: frozenset[str] = frozenset()  # nodes that rejected this order, never used
    max_exact_nodes: int = 60  # above this many candidate nodes, or
    max_exact_lines: int = 10  # above this many lines, use the heuristic
    # True (the rule): the cheapest single node that holds every line wins outright, a split is
    # only made when no single node can. False: minimise total cost over every node set, so a
    # split may beat a far-away complete node.
    prefer_single_node: bool = True
    # Safety valve for the exact search: after this many search steps the best plan found so far
    # is returned with exact=False (never reached on realistic orders; see bench/routing_bench.py).
    max_search_steps: int = 20_000


# sku -> node code -> available units (already net of reservations AND safety stock; absent = 0)
Snapshot = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class Allocation:
    line_id: str
    sku: str
    node: str
    quantity: int
    # "ship" (node ships to the customer), "pickup" (collected at node), "transfer" (node sends
    # to the pickup store; the customer collects there later)
    kind: str
    transfer_to: str | None = None


class Reason(str):
    """One reason of a plan: words for a person, and a `code` for programs, which branch on
    the code and never on the words. A `str`, so it reads and compares as its words."""

    code: str

    def __new__(cls, code: str, text: str) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        return reason

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": str(self)}


DISTANCE_ESTIMATED = "distance_estimated"   # ship-to located from postal code/city
EXCLUDED = "excluded"                       # a node this order must not use
CAPACITY = "capacity"                       # a node skipped or limited by daily capacity
PLAN = "plan"                               # what was chosen and why, costs, runner-up
SHORTFALL = "shortfall"                     # units backordered or unfillable
NOTHING_ALLOCATED = "nothing_allocated"


@dataclass(frozen=True)
class RoutingPlan:
    allocations: tuple[Allocation, ...]
    backordered: tuple[tuple[str, int], ...]  # (line_id, quantity) waiting for stock
    unfillable: tuple[tuple[str, int], ...]  # (line_id, quantity) rejected: no stock, no backorder
    suggestions: tuple[str, ...]  # BOPIS "suggest": stores with everything, nearest to P first
    total_cost: float  # rounded to cents
    exact: bool  # True if proven optimal
    reasons: tuple[Reason, ...]  # for a customer-service rep, each with its code

    def nodes(self) -> tuple[str, ...]:
        """Distinct nodes used by the allocations, sorted."""
        return tuple(sorted({a.node for a in self.allocations}))
