"""Routing against an independent exact referee (a MILP solved by CBC through PuLP): with the
single-package tolerance at 0 the engine's ship plan costs exactly the optimum, to the cent, on
generated instances of 1-15 lines (standard, scarce and store-only stock), and every plan is
valid. Pure: no database. The referee and the generators are the quality benchmark's
(bench/routing_referee.py, bench/routing_quality.py), so the test and the benchmark cannot drift
apart; bench/ is put on sys.path for them. Skipped when pulp is not installed (the `test` extra
installs it)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

pytest.importorskip("pulp", reason="pulp (the test extra) is needed for the MILP referee")

BENCH = str(Path(__file__).resolve().parents[2] / "bench")
if BENCH not in sys.path:
    sys.path.append(BENCH)

import routing_quality as quality  # noqa: E402
from routing_referee import charge_cents, problems, solve  # noqa: E402

from fulfillment.routing import (  # noqa: E402
    CostModel,
    Line,
    Node,
    RoutingRequest,
    greedy_baseline,
    route,
)

SEED = 14
# (band, how many) per network: 10 instances on each of the 4 networks, 40 in all.
MIX = (("1-4", 3), ("5-10", 3), ("11-15", 4))
CASES = [
    f"{name}/{band}/{i}" for name in quality.NETWORKS for band, count in MIX for i in range(count)
]


@cache
def _network(name: str) -> quality.Network:
    return quality.build_network(name, SEED)


def _instance(case_id: str):
    name, band, index = case_id.split("/")
    network = _network(name)
    order = quality.build_order(network, band, int(index), SEED)
    return network, order, solve(order, network.nodes, network.snapshot)


def test_the_referee_on_a_case_worked_by_hand() -> None:
    """A far warehouse holds everything; two stores near the customer hold one SKU each, and
    one SKU needs two of its units from two nodes. The MILP finds the two nearby stores."""
    boston = (42.36, -71.06)
    nodes = [
        Node("dc-west", "warehouse", 39.53, -119.81, ships=True, pickup=False),
        Node("s-boston", "store", 42.35, -71.05, ships=True, pickup=True),
        Node("s-cambridge", "store", 42.37, -71.11, ships=True, pickup=True),
        Node("s-quincy", "store", 42.25, -71.00, ships=False, pickup=True),  # never ships
    ]
    snapshot = {
        "A": {"dc-west": 9, "s-boston": 1, "s-cambridge": 1, "s-quincy": 5},
        "B": {"dc-west": 9, "s-cambridge": 1},
    }
    order = RoutingRequest((Line("1", "A", 2), Line("2", "B", 1)), "ship", boston)
    cost = CostModel()
    optimum = solve(order, nodes, snapshot, cost)
    by = {n.code: n for n in nodes}
    stores = charge_cents(by["s-boston"], boston, cost) + charge_cents(by["s-cambridge"], boston,
                                                                      cost)
    assert optimum.nodes == ("s-boston", "s-cambridge")
    assert optimum.cents == stores + 400  # one extra package
    assert optimum.single_cents == charge_cents(by["dc-west"], boston, cost)
    assert optimum.single_cents > optimum.cents
    assert optimum.complete and optimum.packages == 2


def test_the_referee_compares_the_fillable_part() -> None:
    nodes = [Node("dc", "warehouse", 40.0, -75.0, ships=True, pickup=False)]
    order = RoutingRequest((Line("1", "A", 3), Line("2", "B", 1)), "ship", (40.7, -74.0))
    optimum = solve(order, nodes, {"A": {"dc": 2}})
    assert optimum.demand == {"A": 2} and optimum.ordered == {"A": 3, "B": 1}
    assert not optimum.complete and optimum.nodes == ("dc",)


@pytest.mark.parametrize("case_id", CASES)
def test_cost_minimal_plan_equals_the_milp_optimum(case_id: str) -> None:
    network, order, optimum = _instance(case_id)
    # Tolerance 0, and no wall-clock budget: the plan must not depend on the machine's speed.
    request = quality.variant(order, 0.0, 0.0, clockless=True)
    assert request is not None
    plan = route(request, network.nodes, network.snapshot)
    assert problems(plan, request, network.nodes, network.snapshot, optimum) == []
    assert round(plan.total_cost * 100) == optimum.cents, (
        f"{case_id}: route {plan.total_cost:.2f} from {plan.nodes()}, optimum "
        f"{optimum.cost:.2f} from {optimum.nodes}"
    )


def test_the_referee_is_not_vacuous() -> None:
    """The nearest-node baseline is valid, never below the optimum, and dearer in total."""
    total_greedy = total_optimum = 0
    for case_id in CASES:
        network, order, optimum = _instance(case_id)
        plan = greedy_baseline(order, network.nodes, network.snapshot)
        assert problems(plan, order, network.nodes, network.snapshot, optimum) == []
        cents = round(plan.total_cost * 100)
        assert cents >= optimum.cents, case_id
        total_greedy += cents
        total_optimum += optimum.cents
    assert total_greedy > total_optimum * 1.05
