"""An independent exact referee for ship routing: the least plan cost as a MILP solved by CBC
(PuLP), and a validity check of a plan. Shared by bench/routing_quality.py (which finds it on its
own path, being in the same folder) and tests/unit/test_routing_referee.py (which puts bench/ on
sys.path). Needs `pulp` (the `test` extra); nothing here calls the engine's solvers.

The cost is the one fulfillment/routing/engine.py documents for method "ship", recomputed here
from the nodes: every node used is one package charged, rounded to cents on its own,
package_base + per_km * km(node, destination) + handling(kind), and extra_package_penalty is
added per package beyond the first. A node may send when it ships, is not excluded and is not at
capacity (capacity_left None or > 0); its stock is the snapshot's positive units.

What is compared: the fillable part. For each SKU the demand is the order's units of it, capped
at what the sending nodes hold together (what the engine promises to fill; the rest is
backordered or unfillable). The MILP, in integer cents:

    min  sum_n (charge[n] + penalty) * y[n] - penalty      (then, among optima, sum_n y[n])
    s.t. sum_n x[n,s] = demand[s]                 for every SKU s with demand
         x[n,s] <= stock[n,s] * y[n]              x integer >= 0, y binary
         sum_n y[n] >= 1                          (an order with any demand uses a node)

Nodes holding none of the order's SKUs can never lower the cost (every charge is positive) and
are left out of the model; that changes nothing but its size.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulp  # type: ignore[import-untyped]

from core.geo import distance_km
from fulfillment.routing import CostModel, Node, RoutingPlan, RoutingRequest

# Solver settings: the objective is in whole cents, so a gap below one cent proves optimality.
# No `threads`: asking CBC for 1 thread starts its threaded mode, where a search sometimes sat
# 10 s "waiting to start" a worker (Cbc0030I); the default is the plain single-threaded search.
_SOLVER_OPTIONS = {"msg": False, "gapAbs": 0.5, "gapRel": 0.0}
_SCALE = 1_000  # cents weigh more than any number of packages (the tie-break)


@dataclass(frozen=True)
class Optimum:
    """The referee's answer for one ship order."""

    cents: int  # least plan cost in cents (0 when nothing is fillable)
    packages: int  # the fewest packages among the plans of least cost
    nodes: tuple[str, ...]
    demand: dict[str, int]  # the fillable part per SKU (what is compared)
    ordered: dict[str, int]  # the order's units per SKU
    single_cents: int | None  # the cheapest single node holding the whole fillable part
    seconds: float  # solver wall-clock time

    @property
    def complete(self) -> bool:
        """The network can fill every unit of the order."""
        return self.demand == self.ordered

    @property
    def cost(self) -> float:
        return self.cents / 100


def senders(request: RoutingRequest, nodes: Sequence[Node]) -> list[Node]:
    """The nodes that may ship this order."""
    return [
        n for n in nodes
        if n.ships and n.code not in request.exclude
        and (n.capacity_left is None or n.capacity_left > 0)
    ]


def charge_cents(node: Node, destination: tuple[float, float], cost: CostModel) -> int:
    """One package from `node`, rounded to cents on its own (without the extra-package
    penalty)."""
    km = distance_km(node.latitude, node.longitude, destination[0], destination[1])
    handling = cost.handling_store if node.kind == "store" else cost.handling_warehouse
    return round((cost.package_base + cost.per_km * km + handling) * 100)


def plan_cents(codes: Sequence[str], by_code: Mapping[str, Node], destination: tuple[float, float],
               cost: CostModel) -> int:
    """What shipping from exactly these nodes costs."""
    used = set(codes)
    if not used:
        return 0
    penalty = round(cost.extra_package_penalty * 100)
    return sum(charge_cents(by_code[c], destination, cost) for c in used) + penalty * (
        len(used) - 1
    )


def ordered_units(request: RoutingRequest) -> dict[str, int]:
    units: dict[str, int] = {}
    for line in request.lines:
        units[line.sku] = units.get(line.sku, 0) + line.quantity
    return units


def fillable(request: RoutingRequest, nodes: Sequence[Node],
             snapshot: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Per SKU, the order's units capped at what the sending nodes hold together."""
    codes = {n.code for n in senders(request, nodes)}
    demand = {}
    for sku, units in ordered_units(request).items():
        held = sum(q for c, q in (snapshot.get(sku) or {}).items() if c in codes and q > 0)
        if min(units, held):
            demand[sku] = min(units, held)
    return demand


def solve(
    request: RoutingRequest,
    nodes: Sequence[Node],
    snapshot: Mapping[str, Mapping[str, int]],
    cost: CostModel = CostModel(),  # noqa: B008 - frozen, so a shared default is safe
) -> Optimum:
    """The least cost of shipping the fillable part of `request`, proven by CBC."""
    if request.method != "ship" or request.destination is None:
        raise ValueError("the referee models ship orders only")
    destination = (float(request.destination[0]), float(request.destination[1]))
    ordered = ordered_units(request)
    demand = fillable(request, nodes, snapshot)
    stock: dict[tuple[str, str], int] = {}
    useful: list[Node] = []
    for n in senders(request, nodes):
        held = {s: int((snapshot.get(s) or {}).get(n.code, 0)) for s in demand}
        held = {s: q for s, q in held.items() if q > 0}
        if held:
            useful.append(n)
            stock.update({(n.code, s): q for s, q in held.items()})
    charge = {n.code: charge_cents(n, destination, cost) for n in useful}
    single = [charge[n.code] for n in useful
              if all(stock.get((n.code, s), 0) >= d for s, d in demand.items())]
    single_cents = min(single) if single and demand else None
    if not demand:
        return Optimum(0, 0, (), demand, ordered, None, 0.0)

    with warnings.catch_warnings():
        # PuLP 3.x announces API changes for 4.0 (hence `pulp<4` in the test extra).
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve(demand, ordered, useful, stock, charge, single_cents, cost)


def _solve(
    demand: dict[str, int],
    ordered: dict[str, int],
    useful: list[Node],
    stock: dict[tuple[str, str], int],
    charge: dict[str, int],
    single_cents: int | None,
    cost: CostModel,
) -> Optimum:
    penalty = round(cost.extra_package_penalty * 100)
    model = pulp.LpProblem("ship_routing", pulp.LpMinimize)
    codes = [n.code for n in useful]
    index = {c: i for i, c in enumerate(codes)}
    y = {c: pulp.LpVariable(f"y_{index[c]}", cat=pulp.LpBinary) for c in codes}
    x = {
        (c, s): pulp.LpVariable(f"x_{index[c]}_{k}", lowBound=0, upBound=q, cat=pulp.LpInteger)
        for k, s in enumerate(demand) for c in codes
        if (q := stock.get((c, s), 0)) > 0
    }
    # Lexicographic: least cost, then (as the engine's tie-break) fewest packages.
    model += pulp.lpSum(((charge[c] + penalty) * _SCALE + 1) * y[c] for c in codes)
    for s, d in demand.items():
        model += pulp.lpSum(v for (c, t), v in x.items() if t == s) == d
    for (c, s), v in x.items():
        model += v <= stock[(c, s)] * y[c]
    model += pulp.lpSum(y.values()) >= 1

    began = time.perf_counter()
    status = model.solve(pulp.PULP_CBC_CMD(**_SOLVER_OPTIONS))
    seconds = time.perf_counter() - began
    if pulp.LpStatus[status] != "Optimal":
        raise RuntimeError(f"referee: CBC status {pulp.LpStatus[status]}")
    used = tuple(sorted(c for c in codes if (y[c].value() or 0) > 0.5))
    # Check the solver's plan on our own terms: integral, within stock, demand met, its cost.
    for (c, _), v in x.items():
        units = v.value() or 0
        assert abs(units - round(units)) < 1e-6, "integral allocation"
        assert round(units) == 0 or c in used, "units only from used nodes"
    for s, d in demand.items():
        assert sum(round(v.value() or 0) for (c, t), v in x.items() if t == s) == d
    cents = sum(charge[c] for c in used) + penalty * (len(used) - 1)
    objective = pulp.value(model.objective)
    expected = (cents + penalty) * _SCALE + len(used)
    assert abs(expected - objective) < 0.5, f"objective {objective} != recomputed {expected}"
    return Optimum(cents, len(used), used, demand, ordered, single_cents, seconds)


def problems(plan: RoutingPlan, request: RoutingRequest, nodes: Sequence[Node],
             snapshot: Mapping[str, Mapping[str, int]], optimum: Optimum,
             cost: CostModel = CostModel()) -> list[str]:  # noqa: B008
    """What is wrong with `plan` for ship order `request` (empty: valid). Checks: only sending
    nodes, kind "ship", units within each node's stock, every line accounted for exactly
    (allocated + backordered + unfillable = ordered), the fillable part allocated in full, and
    the plan's total cost equal to its nodes' cost recomputed here."""
    out = []
    allowed = {n.code for n in senders(request, nodes)}
    by_code = {n.code: n for n in nodes}
    taken: dict[tuple[str, str], int] = {}
    per_line: dict[str, int] = {}
    per_sku: dict[str, int] = {}
    for a in plan.allocations:
        if a.node not in allowed:
            out.append(f"allocation from {a.node}, which may not send this order")
        if a.kind != "ship":
            out.append(f"allocation of kind {a.kind} in a ship order")
        if a.quantity <= 0:
            out.append(f"allocation of {a.quantity} units")
        taken[(a.node, a.sku)] = taken.get((a.node, a.sku), 0) + a.quantity
        per_line[a.line_id] = per_line.get(a.line_id, 0) + a.quantity
        per_sku[a.sku] = per_sku.get(a.sku, 0) + a.quantity
    for (code, sku), units in taken.items():
        held = int((snapshot.get(sku) or {}).get(code, 0))
        if units > held:
            out.append(f"{code} sends {units} x {sku} but holds {held}")
    short: dict[str, int] = {}
    for line_id, units in (*plan.backordered, *plan.unfillable):
        short[line_id] = short.get(line_id, 0) + units
    for line in request.lines:
        got = per_line.get(line.line_id, 0) + short.get(line.line_id, 0)
        if got != line.quantity:
            out.append(f"line {line.line_id}: {got} units accounted for, ordered {line.quantity}")
    if per_sku != optimum.demand:
        out.append(f"allocated {per_sku}, fillable {optimum.demand}")
    if request.destination is not None and not out:
        destination = (float(request.destination[0]), float(request.destination[1]))
        cents = plan_cents(plan.nodes(), by_code, destination, cost)
        if round(plan.total_cost * 100) != cents:
            out.append(f"plan says {plan.total_cost:.2f}, its nodes cost {cents / 100:.2f}")
    return out
