"""Routing benchmark (run by hand: `.venv/bin/python bench/routing_bench.py`; pure, no database).

A synthetic retailer: 3 distribution centres and 50 stores in US cities, ~2,000 SKUs with
uneven stock (warehouses carry most of the range, stores a popularity-biased slice in small
quantities, a few stores at capacity or pickup-only), and 10,000 orders of 1-4 lines (mostly
shipped, some store pickups under each BOPIS policy). Every order is routed against the same
snapshot (stock is not drawn down between orders), so each comparison below is like for like.

Prints:
  1. routing decision latency p50/p99/max with the default (exact) limits, and the share of
     orders solved exactly;
  2. total and mean cost of `route` against `greedy_baseline` (nearest node with everything,
     else nearest node per line) and the saving, plus mean packages per order for both;
  3. the heuristic's gap to the exact optimum (heuristic forced with max_exact_nodes=0) on the
     orders where the heuristic actually ran;
  4. extras: what the old rule, one package at any price (an unbounded single-package
     tolerance), would change, and the exact search on larger orders (6-10 lines).
Route quality against an independent MILP referee, and large orders: bench/routing_quality.py.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from fulfillment.routing import (
    Line,
    Node,
    RoutingPlan,
    RoutingRequest,
    greedy_baseline,
    route,
)

SEED = 20240611
SKUS = 2_000
ORDERS = 10_000

WAREHOUSES = [
    ("dc-east", 40.52, -74.41),  # Edison, NJ
    ("dc-central", 32.90, -97.04),  # Dallas-Fort Worth, TX
    ("dc-west", 39.53, -119.81),  # Reno, NV
]
CITIES = [
    ("nyc", 40.71, -74.01), ("la", 34.05, -118.24), ("chicago", 41.88, -87.63),
    ("houston", 29.76, -95.37), ("phoenix", 33.45, -112.07), ("philadelphia", 39.95, -75.17),
    ("san-antonio", 29.42, -98.49), ("san-diego", 32.72, -117.16), ("dallas", 32.78, -96.80),
    ("san-jose", 37.34, -121.89), ("austin", 30.27, -97.74), ("jacksonville", 30.33, -81.66),
    ("fort-worth", 32.76, -97.33), ("columbus", 39.96, -83.00), ("charlotte", 35.23, -80.84),
    ("san-francisco", 37.77, -122.42), ("indianapolis", 39.77, -86.16),
    ("seattle", 47.61, -122.33), ("denver", 39.74, -104.99), ("washington", 38.91, -77.04),
    ("boston", 42.36, -71.06), ("el-paso", 31.76, -106.49), ("nashville", 36.16, -86.78),
    ("detroit", 42.33, -83.05), ("oklahoma-city", 35.47, -97.52), ("portland", 45.52, -122.68),
    ("las-vegas", 36.17, -115.14), ("memphis", 35.15, -90.05), ("louisville", 38.25, -85.76),
    ("baltimore", 39.29, -76.61), ("milwaukee", 43.04, -87.91), ("albuquerque", 35.08, -106.65),
    ("tucson", 32.22, -110.97), ("fresno", 36.74, -119.79), ("sacramento", 38.58, -121.49),
    ("kansas-city", 39.10, -94.58), ("atlanta", 33.75, -84.39), ("miami", 25.76, -80.19),
    ("raleigh", 35.78, -78.64), ("omaha", 41.26, -95.93), ("minneapolis", 44.98, -93.27),
    ("cleveland", 41.50, -81.69), ("tampa", 27.95, -82.46), ("new-orleans", 29.95, -90.07),
    ("pittsburgh", 40.44, -79.99), ("cincinnati", 39.10, -84.51), ("st-louis", 38.63, -90.20),
    ("orlando", 28.54, -81.38), ("salt-lake-city", 40.76, -111.89), ("brooklyn", 40.68, -73.94),
]


def build_network(rng: random.Random) -> tuple[list[Node], dict[str, dict[str, int]]]:
    nodes = [Node(code, "warehouse", lat, lon, ships=True, pickup=False, priority=1)
             for code, lat, lon in WAREHOUSES]
    for code, lat, lon in CITIES:
        roll = rng.random()
        nodes.append(Node(
            f"store-{code}", "store", lat, lon,
            ships=roll >= 0.08,  # a few pickup-only stores
            pickup=True,
            capacity_left=0 if 0.08 <= roll < 0.16 else rng.choice([None, 20, 50]),
        ))
    snapshot: dict[str, dict[str, int]] = {}
    for i in range(SKUS):
        popularity = 1 / (1 + i) ** 0.6  # rank 0 is the best seller
        held: dict[str, int] = {}
        for code, share in (("dc-east", 0.8), ("dc-central", 0.65), ("dc-west", 0.6)):
            if rng.random() < share:
                held[code] = 0 if rng.random() < 0.08 else rng.randint(1, 6 + int(60 * popularity))
        for node in nodes[3:]:
            if rng.random() < 0.04 + 0.45 * popularity:
                held[node.code] = rng.choice([1, 1, 1, 2, 2, 3, 4])
        snapshot[f"SKU-{i:04d}"] = held
    return nodes, snapshot


def build_orders(rng: random.Random, nodes: list[Node], count: int, lines_from: tuple[int, ...],
                 line_weights: tuple[int, ...]) -> list[RoutingRequest]:
    weights = [1 / (1 + i) ** 0.9 for i in range(SKUS)]
    stores = [n for n in nodes if n.kind == "store"]
    orders = []
    for _ in range(count):
        size = rng.choices(lines_from, line_weights)[0]
        skus: list[int] = []
        while len(skus) < size:
            sku = rng.choices(range(SKUS), weights)[0]
            if sku not in skus:
                skus.append(sku)
        lines = tuple(
            Line(str(n + 1), f"SKU-{sku:04d}", rng.choices([1, 2, 3], [85, 12, 3])[0],
                 backorder_allowed=rng.random() < 0.5)
            for n, sku in enumerate(skus)
        )
        _, lat, lon = rng.choice(CITIES)
        home = (lat + rng.uniform(-0.6, 0.6), lon + rng.uniform(-0.6, 0.6))
        if rng.random() < 0.85:
            orders.append(RoutingRequest(lines, "ship", home,
                                         destination_estimated=rng.random() < 0.1))
        else:
            at = min(stores, key=lambda s: (s.latitude - home[0]) ** 2
                     + (s.longitude - home[1]) ** 2)
            policy = rng.choices(["transfer", "split", "suggest"], [70, 20, 10])[0]
            orders.append(RoutingRequest(lines, "pickup", home, pickup_node=at.code,
                                         bopis_policy=policy))
    return orders


def packages(plan: RoutingPlan) -> int:
    """Deliveries the customer receives: one per shipping node, plus one collection at a store."""
    shipped = {a.node for a in plan.allocations if a.kind == "ship"}
    return len(shipped) + int(any(a.kind != "ship" for a in plan.allocations))


def timed(fn: Callable[..., RoutingPlan], orders, nodes, snapshot, **changes):
    plans, seconds = [], []
    for order in orders:
        request = order if not changes else _with(order, **changes)
        start = time.perf_counter()
        plans.append(fn(request, nodes, snapshot))
        seconds.append(time.perf_counter() - start)
    return plans, seconds


def _with(order: RoutingRequest, **changes) -> RoutingRequest:
    fields = {name: getattr(order, name) for name in order.__dataclass_fields__}
    return RoutingRequest(**(fields | changes))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=ORDERS)
    args = parser.parse_args()
    rng = random.Random(SEED)
    began = time.perf_counter()
    nodes, snapshot = build_network(rng)
    orders = build_orders(rng, nodes, args.orders, (1, 2, 3, 4), (55, 25, 12, 8))
    ship_share = sum(o.method == "ship" for o in orders) / len(orders)
    print(f"network: {len(nodes)} nodes (3 warehouses, 50 stores), {SKUS:,} SKUs, "
          f"{sum(len(v) for v in snapshot.values()):,} stock rows; {len(orders):,} orders "
          f"({ship_share:.0%} ship, the rest pickup), seed {SEED}")

    ours, seconds = timed(route, orders, nodes, snapshot)
    print("\n1. route() with the default limits (exact path)")
    print(f"   latency p50 {ms(statistics.median(seconds))}  p99 {ms(pct(seconds, 0.99))}  "
          f"max {ms(max(seconds))}")
    exact = sum(p.exact for p in ours)
    split = sum(len({a.node for a in p.allocations if a.kind == "ship"}) > 1 for p in ours)
    print(f"   solved exactly: {exact:,}/{len(ours):,} ({exact / len(ours):.2%}); "
          f"orders shipped in more than one package: {split:,}")

    base, base_seconds = timed(greedy_baseline, orders, nodes, snapshot)
    total_ours = sum(p.total_cost for p in ours)
    total_base = sum(p.total_cost for p in base)
    cheaper = sum(a.total_cost < b.total_cost - 0.005 for a, b in zip(ours, base, strict=True))
    dearer = sum(a.total_cost > b.total_cost + 0.005 for a, b in zip(ours, base, strict=True))
    print("\n2. cost against greedy_baseline (nearest node with everything, else nearest per line)")
    print(f"   ours      total {total_ours:>12,.2f}  mean {total_ours / len(ours):7.2f}  "
          f"packages/order {statistics.mean(map(packages, ours)):.3f}")
    print(f"   baseline  total {total_base:>12,.2f}  mean {total_base / len(base):7.2f}  "
          f"packages/order {statistics.mean(map(packages, base)):.3f}  "
          f"(latency p50 {ms(statistics.median(base_seconds))})")
    saving = total_base - total_ours
    print(f"   saving {saving:,.2f} ({saving / total_base:.2%}); ours cheaper on {cheaper:,} "
          f"orders, dearer on {dearer:,}")

    heuristic, h_seconds = timed(route, orders, nodes, snapshot, max_exact_nodes=0)
    gaps, h_times = [], []
    for e, h, t in zip(ours, heuristic, h_seconds, strict=True):
        if any(r.startswith("heuristic plan") for r in h.reasons):
            gaps.append((h.total_cost - e.total_cost) / e.total_cost * 100)
            h_times.append(t)
    print("\n3. heuristic (forced: max_exact_nodes=0) against the exact optimum")
    if gaps:
        worse = sum(g > 1e-9 for g in gaps)
        print(f"   ran on {len(gaps):,} orders (every order with stock to place)")
        print(f"   gap mean {statistics.mean(gaps):.3f}%  max {max(gaps):.2f}%  "
              f"optimal on {len(gaps) - worse:,}/{len(gaps):,}; latency p50 "
              f"{ms(statistics.median(h_times))} max {ms(max(h_times))}")
    else:
        print("   no order needed the heuristic")

    print("\n4. extras")
    single, _ = timed(route, orders, nodes, snapshot, single_package_tolerance=1e9)
    total_single = sum(p.total_cost for p in single)
    changed = sum(a.nodes() != b.nodes() for a, b in zip(ours, single, strict=True))
    print(f"   one package at any price (the old rule): total {total_single:,.2f} "
          f"({(total_single - total_ours) / total_ours:.2%} above the default), plan differs "
          f"on {changed:,} orders, packages/order {statistics.mean(map(packages, single)):.3f}")
    large = build_orders(random.Random(SEED + 1), nodes, 300, (6, 7, 8, 9, 10), (1, 1, 1, 1, 1))
    large = [_with(o, method="ship", pickup_node=None) for o in large]
    big, big_seconds = timed(route, large, nodes, snapshot)
    big_exact = sum(p.exact for p in big)
    print(f"   300 ship orders of 6-10 lines, cost-minimal over all node sets: latency p50 "
          f"{ms(statistics.median(big_seconds))} p99 {ms(pct(big_seconds, 0.99))} max "
          f"{ms(max(big_seconds))}; exact {big_exact}/300; mean packages "
          f"{statistics.mean(map(packages, big)):.2f}")
    print(f"\nbenchmark ran in {time.perf_counter() - began:.1f} s "
          f"(Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
