"""Order routing: which node fills which line, at what cost, and why. A pure function of a
request, the nodes and a stock snapshot (`route`); no database, no Flask.

Ship: the cheapest single node holding every fillable line wins; if none does, the cheapest set
of nodes (weighted set multicover, exact branch and bound up to the request's limits, a greedy
plus local-improvement heuristic beyond them). Pickup (BOPIS): everything at the store, or by
policy transfer the missing units in, ship them, or suggest other stores. Ties to the cent go
to fewer packages, then higher total priority, then node codes.
"""

from fulfillment.routing.engine import greedy_baseline, route
from fulfillment.routing.model import (
    Allocation,
    CostModel,
    Line,
    Node,
    RoutingError,
    RoutingPlan,
    RoutingRequest,
    Snapshot,
)

__all__ = [
    "Allocation",
    "CostModel",
    "Line",
    "Node",
    "RoutingError",
    "RoutingPlan",
    "RoutingRequest",
    "Snapshot",
    "greedy_baseline",
    "route",
]
