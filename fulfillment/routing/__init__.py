"""Order routing: which node fills which line, at what cost, and why. A pure function of a
request, the nodes and a stock snapshot (`route`); no database, no Flask.

Ship: the set of nodes of least total cost (weighted set multicover, exact branch and bound
within the request's time budget, then the best plan found improved by a local search), except
that the cheapest single node holding every line is kept when its premium is within the
single-package tolerance. Pickup (BOPIS): everything at the store, or by policy transfer the
missing units in, ship them, or suggest other stores. With `today`, every plan carries its
estimated delivery (eta.py); with a promised date, only nodes in time are used. Ties to the
cent go to fewer packages, then higher total priority, then node codes.
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
