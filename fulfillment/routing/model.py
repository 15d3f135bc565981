"""Routing's value objects: what goes in (nodes, lines, costs, the request, a stock snapshot) and
what comes out (a plan of allocations with its cost and reasons). Plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

SHIP = "ship"
PICKUP = "pickup"
TRANSFER = "transfer"
WAREHOUSE = "warehouse"
STORE = "store"
POLICIES = ("transfer", "split", "suggest")

DEFAULT_TIME_BUDGET_MS = 4.0
DEFAULT_SINGLE_PACKAGE_TOLERANCE = 1.00  # money; chosen from bench/routing_quality.py (README)
DEFAULT_SINGLE_PACKAGE_TOLERANCE_PCT = 5.0


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
    # The exact search runs within these limits (None: no limit) and within time_budget_ms of
    # wall-clock time; beyond a limit, or when the time runs out, the best plan found so far
    # (greedy + local search that also swaps two nodes for two) is returned with exact=False and
    # a reason saying so. bench/routing_quality.py measures where this matters.
    max_exact_nodes: int | None = None
    max_exact_lines: int | None = None
    time_budget_ms: float | None = DEFAULT_TIME_BUDGET_MS
    # Safety valve independent of the clock (deterministic): after this many search steps the
    # best plan so far is returned with exact=False.
    max_search_steps: int = 200_000
    # The single-package tolerance: the plan of least total cost wins (the extra-package
    # penalty in the cost model is the lever for fewer packages), except that the cheapest
    # single node holding every line is kept when it costs at most `single_package_tolerance`
    # (money) or `single_package_tolerance_pct` percent of the cheapest plan more than that plan
    # (the larger allowance applies). Defaults from bench/routing_quality.py; see the README.
    single_package_tolerance: float = DEFAULT_SINGLE_PACKAGE_TOLERANCE
    single_package_tolerance_pct: float = DEFAULT_SINGLE_PACKAGE_TOLERANCE_PCT
    # Delivery dates (fulfillment/routing/eta.py): with `today`, the plan carries its estimated
    # delivery (or pickup-ready) date; with `deliver_by` too, only nodes whose estimate makes the
    # promise are used, and what none can deliver in time is left unfillable with the reason.
    today: date | None = None
    deliver_by: date | None = None


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
PROMISE = "promise"                         # a node skipped: too slow for the promised date
ESTIMATE = "estimate"                       # the estimated delivery / pickup-ready date
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
    # With request.today: when the customer gets everything allocated (the latest package's
    # delivery; for a pickup, the day the store has it all ready). None without allocations.
    estimated_delivery: date | None = None

    def nodes(self) -> tuple[str, ...]:
        """Distinct nodes used by the allocations, sorted."""
        return tuple(sorted({a.node for a in self.allocations}))
