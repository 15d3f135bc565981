"""Routing quality against an exact referee (run by hand; pure, no database):

    PYTHONPATH=. .venv/bin/python bench/routing_quality.py [--quick] [--seed N] [--per-band N]

Generated networks (3 warehouses + 20 or 50 stores in US cities; a "scarce" one where most SKUs
have a few units spread thin; a "store-only" one where many SKUs are held only by stores, in ones
and twos) and ship orders of 1-15 lines (quantities 1-3, destinations around US cities), each
solved exactly by an independent MILP (bench/routing_referee.py, PuLP/CBC). Prints, per line band
(1-4, 5-10, 11-15) and in total, for `route` (defaults) and `greedy_baseline`: cost over the
optimum, orders more than 0.5% dearer, the worst order, packages per order, plans marked exact,
decision time p50/p99/max; then the sweep over the single-package tolerance (what the default is
chosen from) and, where the engine has one, the exact search's time budget.

Compared: the fillable part of each order (per SKU, the units ordered capped at what the sending
nodes hold together), which is what the engine promises to fill; orders the network cannot fill
completely are counted but compared the same way. Every plan is also checked for validity
(senders only, within stock, every line accounted for, the fillable part filled, its total cost
equal to its nodes' cost recomputed by the referee).

Order ids are `network/band/index`; with the same --seed an order is rebuilt from its id alone
(`--show ID` prints it, its optimum and the engine's plans).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import routing_bench
from routing_bench import CITIES, WAREHOUSES
from routing_referee import Optimum, problems, solve

import fulfillment
from fulfillment.routing import (
    Line,
    Node,
    RoutingPlan,
    RoutingRequest,
    greedy_baseline,
    route,
)

SEED = 20241114
BANDS: dict[str, tuple[int, int]] = {"1-4": (1, 4), "5-10": (5, 10), "11-15": (11, 15)}
PER_BAND = 400  # orders per band per network (full run)
PER_BAND_QUICK = 25
DEARER = 0.5  # % over the optimum that counts an order as "dearer"
ANY_PRICE = 1e9  # a tolerance no premium reaches: one package at any price

# The engine's request fields, whichever version this tree has (see `variant`).
FIELDS = set(RoutingRequest.__dataclass_fields__)
HAS_TOLERANCE = "single_package_tolerance" in FIELDS
HAS_BUDGET = "time_budget_ms" in FIELDS

# The sweep: (money allowance, percent allowance); the larger of the two applies.
SWEEP: tuple[tuple[float, float], ...] = (
    (0, 0), (0.25, 0), (0.5, 0), (1, 0), (2, 0), (3, 0), (5, 0),
    (0, 2), (0, 5), (0, 10), (0, 20), (0.5, 5), (1, 5), (1, 10), (2, 10),
    (ANY_PRICE, 0),
)
BUDGETS_MS: tuple[float | None, ...] = (None, 4.0, 1.0, 0.25)


# --- request variants ------------------------------------------------------------------------


def variant(order: RoutingRequest, tolerance: float | None = None, pct: float = 0.0,
            budget: float | str | None = "default", clockless: bool = False
            ) -> RoutingRequest | None:
    """`order` with the single-package tolerance (money, percent) and the time budget asked for;
    None when this tree's engine cannot express it. `tolerance=None` keeps the engine's defaults.
    `clockless`: no wall-clock budget and no line/node limits, so the plan depends on the input
    only (the exact search, bounded by its step budget).

    The one place that knows the engine's fields: `single_package_tolerance(_pct)` and
    `time_budget_ms` (issue 14), or, before them, `prefer_single_node` (True = one package at
    any price, False = pure cost minimum = tolerance 0) and `max_exact_lines` (10 by default,
    the heuristic beyond)."""
    changes: dict[str, object] = {}
    if tolerance is not None:
        if HAS_TOLERANCE:
            changes["single_package_tolerance"] = tolerance
            changes["single_package_tolerance_pct"] = pct
        elif tolerance == 0 and pct == 0:
            changes["prefer_single_node"] = False
        elif tolerance >= ANY_PRICE:
            changes["prefer_single_node"] = True
        else:
            return None
    if HAS_BUDGET and budget != "default":
        changes["time_budget_ms"] = budget
    if clockless:
        if HAS_BUDGET:
            changes["time_budget_ms"] = None
        changes["max_exact_lines"] = None if HAS_BUDGET else 10**6
        changes["max_exact_nodes"] = None if HAS_BUDGET else 10**6
    return dataclasses.replace(order, **changes) if changes else order  # type: ignore[arg-type]


def expected_cents(optimum: Optimum, tolerance: float, pct: float) -> int:
    """The cost the tolerance rule gives, from the referee's figures alone: the cheapest single
    node if it costs at most max(tolerance, pct% of the optimum) more than the optimum, else the
    optimum."""
    if optimum.single_cents is None:
        return optimum.cents
    allowance = max(tolerance * 100, pct / 100 * optimum.cents)
    return optimum.single_cents if optimum.single_cents - optimum.cents <= allowance + 1e-9 \
        else optimum.cents


# --- networks and orders ---------------------------------------------------------------------


@dataclass(frozen=True)
class Network:
    name: str
    nodes: list[Node]
    snapshot: dict[str, dict[str, int]]
    skus: int
    about: str


def _stores(rng: random.Random, count: int) -> list[Node]:
    """Stores in the first `count` cities; as in routing_bench, a few pickup-only (they never
    ship) and a few at capacity today (they may not send), the rest with or without a limit."""
    out = []
    for code, lat, lon in CITIES[:count]:
        roll = rng.random()
        out.append(Node(
            f"store-{code}", "store", lat, lon,
            ships=roll >= 0.08, pickup=True,
            capacity_left=0 if 0.08 <= roll < 0.16 else rng.choice([None, 20, 50]),
        ))
    return out


def _warehouses() -> list[Node]:
    return [Node(code, "warehouse", lat, lon, ships=True, pickup=False, priority=1)
            for code, lat, lon in WAREHOUSES]


def _standard(rng: random.Random, stores: int, skus: int) -> tuple[list[Node], dict]:
    """routing_bench's stock profile with `stores` stores, but warehouses carrying nearly the
    whole range (95/85/80%), so one complete node is common and the single-package tolerance
    has something to decide; stores hold a popularity-biased slice in small quantities."""
    nodes = _warehouses() + _stores(rng, stores)
    snapshot: dict[str, dict[str, int]] = {}
    for i in range(skus):
        popularity = 1 / (1 + i) ** 0.6
        held: dict[str, int] = {}
        for code, share in (("dc-east", 0.95), ("dc-central", 0.85), ("dc-west", 0.8)):
            if rng.random() < share:
                held[code] = rng.randint(1, 6 + int(60 * popularity))
        for node in nodes[3:]:
            if rng.random() < 0.04 + 0.45 * popularity:
                held[node.code] = rng.choice([1, 1, 1, 2, 2, 3, 4])
        snapshot[f"SKU-{i:04d}"] = held
    return nodes, snapshot


def _scarce(rng: random.Random, skus: int) -> tuple[list[Node], dict]:
    """Most SKUs (85%) have 2-9 units in all, in ones and twos over several nodes (warehouses
    included); the rest are stocked as usual. Orders of 2-3 units then often need two nodes for
    one line, and a single complete node is rare."""
    nodes = _warehouses() + _stores(rng, 50)
    snapshot: dict[str, dict[str, int]] = {}
    for i in range(skus):
        held: dict[str, int] = {}
        if rng.random() < 0.85:
            for node in rng.sample(nodes, rng.randint(2, 6)):
                held[node.code] = rng.choice([1, 1, 1, 2])
        else:
            for code in ("dc-east", "dc-central", "dc-west"):
                if rng.random() < 0.7:
                    held[code] = rng.randint(2, 30)
            for node in nodes[3:]:
                if rng.random() < 0.1:
                    held[node.code] = rng.choice([1, 2, 3])
        snapshot[f"SKU-{i:04d}"] = held
    return nodes, snapshot


def _store_only(rng: random.Random, skus: int) -> tuple[list[Node], dict]:
    """Half the SKUs are held only by stores (3-10 stores, 1 or 2 units each); the rest as
    usual. Many orders then have no complete node and need several stores."""
    nodes = _warehouses() + _stores(rng, 50)
    stores = nodes[3:]
    snapshot: dict[str, dict[str, int]] = {}
    for i in range(skus):
        held: dict[str, int] = {}
        if rng.random() < 0.5:
            for node in rng.sample(stores, rng.randint(3, 10)):
                held[node.code] = rng.choice([1, 1, 2])
        else:
            for code, share in (("dc-east", 0.8), ("dc-central", 0.65), ("dc-west", 0.6)):
                if rng.random() < share:
                    held[code] = rng.randint(1, 40)
            for node in stores:
                if rng.random() < 0.1:
                    held[node.code] = rng.choice([1, 1, 2, 3])
        snapshot[f"SKU-{i:04d}"] = held
    return nodes, snapshot


def _bench_network(rng: random.Random) -> tuple[list[Node], dict]:
    """routing_bench's network itself (issue 14's test network)."""
    return routing_bench.build_network(rng)


NETWORKS: dict[str, tuple[str, int, Callable[[random.Random], tuple[list[Node], dict]]]] = {
    "std-20": ("3 warehouses (95/85/80% of the range) + 20 stores, 1,000 SKUs", 1_000,
               lambda rng: _standard(rng, 20, 1_000)),
    "std-50": ("routing_bench's network: 3 warehouses + 50 stores, 2,000 SKUs", routing_bench.SKUS,
               _bench_network),
    "scarce-50": ("3 warehouses + 50 stores, 85% of 600 SKUs with 2-9 units spread thin", 600,
                  lambda rng: _scarce(rng, 600)),
    "store-only-50": ("3 warehouses + 50 stores, half of 800 SKUs held only by stores in ones "
                      "and twos", 800, lambda rng: _store_only(rng, 800)),
}


def build_network(name: str, seed: int) -> Network:
    about, skus, build = NETWORKS[name]
    nodes, snapshot = build(random.Random(f"{seed}:{name}"))
    return Network(name, nodes, snapshot, skus, about)


def build_order(network: Network, band: str, index: int, seed: int) -> RoutingRequest:
    """Ship order `network/band/index`: popularity-weighted distinct SKUs, 1-3 units each,
    a destination within ~60 km of a US city. Rebuilt identically from its id and the seed."""
    rng = random.Random(f"{seed}:{network.name}:{band}:{index}")
    low, high = BANDS[band]
    size = rng.randint(low, high)
    weights = [1 / (1 + i) ** 0.7 for i in range(network.skus)]
    picked: list[int] = []
    while len(picked) < size:
        sku = rng.choices(range(network.skus), weights)[0]
        if sku not in picked:
            picked.append(sku)
    lines = tuple(
        Line(str(n + 1), f"SKU-{sku:04d}", rng.choices([1, 2, 3], [70, 20, 10])[0],
             backorder_allowed=rng.random() < 0.5)
        for n, sku in enumerate(picked)
    )
    _, lat, lon = rng.choice(CITIES)
    home = (lat + rng.uniform(-0.5, 0.5), lon + rng.uniform(-0.5, 0.5))
    return RoutingRequest(lines, "ship", home)


@dataclass
class Case:
    id: str
    band: str
    network: Network
    order: RoutingRequest
    optimum: Optimum


def build_cases(names: Iterable[str], per_band: int, seed: int) -> list[Case]:
    cases = []
    for name in names:
        network = build_network(name, seed)
        for band in BANDS:
            for i in range(per_band):
                order = build_order(network, band, i, seed)
                optimum = solve(order, network.nodes, network.snapshot)  # once per order
                cases.append(Case(f"{name}/{band}/{i}", band, network, order, optimum))
    return cases


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Run:
    """One engine setting over every case."""

    label: str
    plans: list[RoutingPlan] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def measure(label: str, fn: Callable[..., RoutingPlan], cases: list[Case],
            make: Callable[[RoutingRequest], RoutingRequest | None] = lambda o: o) -> Run | None:
    run = Run(label)
    for case in cases:
        request = make(case.order)
        if request is None:
            return None
        nodes, snapshot = case.network.nodes, case.network.snapshot
        start = time.perf_counter()
        plan = fn(request, nodes, snapshot)
        run.seconds.append(time.perf_counter() - start)
        run.plans.append(plan)
        for problem in problems(plan, request, nodes, snapshot, case.optimum):
            run.invalid.append((case.id, problem))
    return run


def packages(plan: RoutingPlan) -> int:
    return len({a.node for a in plan.allocations})


def over(plan: RoutingPlan, optimum: Optimum) -> float:
    """Percent over the optimum (0 when both are 0)."""
    cents = round(plan.total_cost * 100)
    return (cents - optimum.cents) / optimum.cents * 100 if optimum.cents else 0.0


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def _late(seconds: list[float], budget_ms: float | None, times: float) -> str:
    if budget_ms is None:
        return "-"
    return str(sum(t * 1000 > budget_ms * times for t in seconds))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:6.2f}"


def summary(run: Run, cases: list[Case], show_dearer: int = 0,
            allowed: list[int] | None = None, print_: Callable[[str], None] = print) -> None:
    """`allowed`: per case, the cost the single-package tolerance allows (the optimum, or the
    cheapest complete node within the allowance); a plan at that cost is dearer than the
    optimum by design, not by a miss."""
    print_(f"  {'band':<6} {'orders':>6} {'over opt':>9} {'>0.5%':>6} {'worst':>7} "
           f"{'pkg/ord':>7} {'exact':>7} {'p50 ms':>6} {'p99 ms':>6} {'max ms':>6}")
    for band in (*BANDS, "all"):
        idx = [i for i, c in enumerate(cases) if band in ("all", c.band)]
        if not idx:
            continue
        cost = sum(round(run.plans[i].total_cost * 100) for i in idx)
        best = sum(cases[i].optimum.cents for i in idx)
        gaps = [over(run.plans[i], cases[i].optimum) for i in idx]
        times = [run.seconds[i] for i in idx]
        print_(f"  {band:<6} {len(idx):>6} {(cost - best) / best * 100:>8.3f}% "
               f"{sum(g > DEARER for g in gaps):>6} {max(gaps):>6.2f}% "
               f"{statistics.mean(packages(run.plans[i]) for i in idx):>7.3f} "
               f"{sum(run.plans[i].exact for i in idx) / len(idx):>7.1%} "
               f"{_ms(statistics.median(times))} {_ms(_pct(times, 0.99))} {_ms(max(times))}")
    worst = max(range(len(cases)), key=lambda i: (over(run.plans[i], cases[i].optimum), -i))
    case, plan = cases[worst], run.plans[worst]
    if over(plan, case.optimum) > 0:
        print_(f"  worst: {case.id} {plan.total_cost:.2f} ({packages(plan)} pkg) against the "
               f"optimum {case.optimum.cost:.2f} ({case.optimum.packages} pkg), "
               f"+{over(plan, case.optimum):.2f}%")
    cheaper = [c.id for c, p in zip(cases, run.plans, strict=True)
               if round(p.total_cost * 100) < c.optimum.cents]
    limit = allowed or [c.optimum.cents for c in cases]
    kept = sum(round(p.total_cost * 100) == a > c.optimum.cents
               for c, p, a in zip(cases, run.plans, limit, strict=True))
    dearer = [(c, p) for c, p, a in zip(cases, run.plans, limit, strict=True)
              if round(p.total_cost * 100) > c.optimum.cents and round(p.total_cost * 100) != a]
    false_exact = [c.id for c, p in dearer if p.exact]
    print_(f"  invalid plans: {len({i for i, _ in run.invalid})}; cheaper than the referee: "
           f"{len(cheaper)}{' ' + ', '.join(cheaper[:5]) if cheaper else ''}; "
           + (f"one package kept by the tolerance: {kept}; " if allowed else "")
           + f"dearer{' otherwise' if allowed else ''}: {len(dearer)}, of which marked exact: "
           f"{len(false_exact)}{' ' + ', '.join(false_exact[:5]) if false_exact else ''}")
    if show_dearer and dearer:
        dearer.sort(key=lambda cp: -over(cp[1], cp[0].optimum))
        listed = ", ".join(
            f"{c.id} +{over(p, c.optimum):.2f}%{'' if p.exact else ' (not exact)'}"
            for c, p in dearer[:show_dearer]
        )
        print_(f"  dearer{' otherwise' if allowed else ''}: {listed}"
               f"{', ...' if len(dearer) > show_dearer else ''}")
    for case_id, problem in run.invalid[:5]:
        print_(f"    {case_id}: {problem}")


def sweep_row(label: str, run: Run | None, cases: list[Case], tolerance: float,
              pct: float, base: Run | None) -> str:
    """One row: the engine's figures with this setting (or '-' when the tree cannot express
    it), and what the rule gives by the referee's figures alone."""
    best = sum(c.optimum.cents for c in cases)
    expected = [expected_cents(c.optimum, tolerance, pct) for c in cases]
    rule_single = [e != c.optimum.cents for e, c in zip(expected, cases, strict=True)]
    rule_pkgs = statistics.mean(1 if s else c.optimum.packages
                                for s, c in zip(rule_single, cases, strict=True))
    rule = (f"{(sum(expected) - best) / best * 100:>7.3f}% {rule_pkgs:>6.3f} "
            f"{sum(rule_single):>6}")
    if run is None:
        dashes = " ".join(f"{'-':>{w}}" for w in (8, 6, 6, 8, 6, 5, 6, 6, 5))
        return f"  {label:<16} {dashes} | {rule}"
    cents = [round(p.total_cost * 100) for p in run.plans]
    premium = [
        cost - c.optimum.cents
        for cost, p, c in zip(cents, run.plans, cases, strict=True)
        if packages(p) == 1 and cost > c.optimum.cents
    ]
    mismatch = sum(cost != e for cost, e in zip(cents, expected, strict=True))
    saved = sum(map(packages, base.plans)) - sum(map(packages, run.plans)) if base else 0
    per = f"{sum(premium) / 100 / saved:6.2f}" if saved else f"{'-':>6}"
    return (f"  {label:<16} {(sum(cents) - best) / best * 100:>7.3f}% "
            f"{statistics.mean(map(packages, run.plans)):>6.3f} {len(premium):>6} "
            f"{sum(premium) / 100:>8.2f} {max(premium, default=0) / 100:>6.2f} {saved:>6} {per} "
            f"{mismatch:>5} {_ms(_pct(run.seconds, 0.99))} | {rule}")


def default(name: str) -> Any:
    """The engine's default for a request field (None when this tree has no such field)."""
    f = RoutingRequest.__dataclass_fields__.get(name)
    return None if f is None else f.default


def setting_label(tolerance: float, pct: float) -> str:
    if tolerance >= ANY_PRICE:
        label = "any price"
    else:
        parts = ([f"{tolerance:g}"] if tolerance else []) + ([f"{pct:g}%"] if pct else [])
        label = " or ".join(parts) or "0 (cost min)"
    if HAS_TOLERANCE and (tolerance, pct) == (default("single_package_tolerance"),
                                              default("single_package_tolerance_pct")):
        label += " *"
    return label


def _tree() -> str:
    root = Path(fulfillment.__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "fulfillment"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(root)
    return f"{root} at {head}{' + uncommitted changes in fulfillment/' if dirty else ''}"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), load average {load}"


def show(case_id: str, seed: int) -> None:
    name, band, index = case_id.split("/")
    network = build_network(name, seed)
    order = build_order(network, band, int(index), seed)
    optimum = solve(order, network.nodes, network.snapshot)
    print(f"{case_id} (seed {seed}): destination {order.destination}")
    for line in order.lines:
        held = network.snapshot.get(line.sku, {})
        print(f"  line {line.line_id}: {line.sku} x{line.quantity}  "
              f"held {dict(sorted(held.items()))}")
    print(f"referee: {optimum.cost:.2f} from {', '.join(optimum.nodes)}; cheapest single node "
          f"{'-' if optimum.single_cents is None else f'{optimum.single_cents / 100:.2f}'}; "
          f"fillable {'all' if optimum.complete else optimum.demand}")
    for label, fn, request in (("route (defaults)", route, order),
                               ("route tolerance 0, no time budget", route,
                                variant(order, 0.0, clockless=True)),
                               ("greedy_baseline", greedy_baseline, order)):
        if request is None:
            continue
        plan = fn(request, network.nodes, network.snapshot)
        print(f"{label}: {plan.total_cost:.2f} from {', '.join(plan.nodes())}, exact {plan.exact}")
        for reason in plan.reasons:
            print(f"    {reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{PER_BAND_QUICK} orders per band and network instead of {PER_BAND}")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-band", type=int, help="orders per band and network")
    parser.add_argument("--networks", default=",".join(NETWORKS),
                        help="comma-separated, from: " + ", ".join(NETWORKS))
    parser.add_argument("--show", metavar="ID", help="print one order (network/band/index)")
    args = parser.parse_args()
    if args.show:
        show(args.show, args.seed)
        return 0
    per_band = args.per_band or (PER_BAND_QUICK if args.quick else PER_BAND)
    names = [n for n in args.networks.split(",") if n]
    began = time.perf_counter()
    print(f"routing quality: {' '.join(sys.argv)}")
    print(f"machine: {_machine()}")
    print(f"python {sys.version.split()[0]} ({platform.platform()}); pulp "
          f"{__import__('pulp').__version__} with its CBC; seed {args.seed}")
    fields = ("single_package_tolerance(_pct), time_budget_ms" if HAS_TOLERANCE
              else "prefer_single_node (before issue 14)")
    print(f"engine: {_tree()}; request fields: {fields}")

    cases = build_cases(names, per_band, args.seed)
    solver = [c.optimum.seconds for c in cases if c.optimum.seconds]
    print(f"\nnetworks ({per_band} orders per band each):")
    for name in names:
        network = next(c.network for c in cases if c.network.name == name)
        mine = [c for c in cases if c.network.name == name]
        stock_rows = sum(len(v) for v in network.snapshot.values())
        print(f"  {name:<14} {network.about}; {len(network.nodes)} nodes, {stock_rows:,} stock "
              f"rows; complete orders {sum(c.optimum.complete for c in mine)}/{len(mine)}, "
              f"one complete node for {sum(c.optimum.single_cents is not None for c in mine)}")
    print(f"referee: {len(cases):,} MILPs, CBC p50 {_ms(statistics.median(solver))} ms, max "
          f"{_ms(max(solver))} ms; compared: the fillable part of each order (per SKU, units "
          f"capped at what the sending nodes hold), optimum total "
          f"{sum(c.optimum.cents for c in cases) / 100:,.2f}")

    runs: dict[str, Run] = {}
    for label, fn, make in (
        ("route (defaults)", route, lambda o: o),
        ("greedy_baseline", greedy_baseline, lambda o: o),
    ):
        run = measure(label, fn, cases, make)
        assert run is not None
        runs[label] = run
        print(f"\n{label}")
        allowed = None
        if label.startswith("route") and HAS_TOLERANCE:
            tolerance = float(default("single_package_tolerance"))
            pct = float(default("single_package_tolerance_pct"))
            allowed = [expected_cents(c.optimum, tolerance, pct) for c in cases]
        summary(run, cases, show_dearer=12 if label.startswith("route") else 0, allowed=allowed)
        if label.startswith("route") and len(names) > 1:
            for name in names:
                idx = [i for i, c in enumerate(cases) if c.network.name == name]
                cost = sum(round(run.plans[i].total_cost * 100) for i in idx)
                best = sum(cases[i].optimum.cents for i in idx)
                print(f"    {name:<14} over opt {(cost - best) / best * 100:7.3f}%, "
                      f"{sum(over(run.plans[i], cases[i].optimum) > DEARER for i in idx)} "
                      f"orders >0.5%")

    open_ = [c for c in cases if c.optimum.single_cents is not None
             and c.optimum.single_cents > c.optimum.cents]
    print("\nsingle-package tolerance sweep (money or % of the cheapest plan, the larger "
          "applies), every order, the exact search without a time budget (so the figures do not "
          "depend on the machine); left: the engine, right: the rule applied to the referee's "
          "figures")
    print(f"  the setting can matter on {len(open_):,} of {len(cases):,} orders (one node holds "
          f"everything but costs more than the optimum); premium of that node over the optimum:")
    premiums = sorted((c.optimum.single_cents or 0) - c.optimum.cents for c in open_)
    if premiums:
        print("  " + ", ".join(
            f"<={limit / 100:g}: {sum(p <= limit for p in premiums)}"
            for limit in (25, 50, 100, 200, 300, 500, 1000)
        ) + f"; median {statistics.median(premiums) / 100:.2f}, max {premiums[-1] / 100:.2f}")
    if HAS_TOLERANCE:
        print(f"  engine default (*): {default('single_package_tolerance')} or "
              f"{default('single_package_tolerance_pct')}%")
    print(f"  {'tolerance':<16} {'over opt':>8} {'pkg/o':>6} {'kept1':>6} {'premium':>8} "
          f"{'max':>6} {'saved':>6} {'/pkg':>6} {'rule≠':>5} {'p99 ms':>6} | {'rule opt':>8} "
          f"{'pkg/o':>6} {'kept1':>6}")
    base: Run | None = None
    for tolerance, pct in SWEEP:
        label = setting_label(tolerance, pct)
        run = measure(label, route, cases, functools.partial(variant, tolerance=tolerance,
                                                             pct=pct, clockless=True))
        base = base or run
        print(sweep_row(label, run, cases, tolerance, pct, base))
    print("  kept1: orders sent as one package dearer than the optimum; premium: what they cost "
          "together over the optimum; max: the largest; saved: packages fewer than at tolerance 0; "
          "/pkg: premium per package saved; rule≠: orders whose cost differs from what the rule "
          "gives by the referee's figures; p99 ms: decision time over all orders")

    if HAS_BUDGET:
        print("\nexact search time budget (time_budget_ms; tolerance 0), orders of 11-15 lines")
        large = [c for c in cases if c.band == "11-15"]
        print(f"  {'budget':<8} {'over opt':>9} {'>0.5%':>6} {'exact':>7} {'p50 ms':>6} "
              f"{'p99 ms':>6} {'max ms':>6} {'>budget':>7} {'>2x':>5} {'ran out p50':>11}")
        for budget in BUDGETS_MS:
            run = measure(str(budget), route, large,
                          functools.partial(variant, tolerance=0.0, budget=budget))
            assert run is not None
            cost = sum(round(p.total_cost * 100) for p in run.plans)
            best = sum(c.optimum.cents for c in large)
            gaps = [over(p, c.optimum) for p, c in zip(run.plans, large, strict=True)]
            ran_out = [t for t, p in zip(run.seconds, run.plans, strict=True) if not p.exact]
            stopped = _ms(statistics.median(ran_out)) if ran_out else "-"
            mark = " *" if budget == default("time_budget_ms") else ""
            print(f"  {('none' if budget is None else f'{budget:g} ms') + mark:<8} "
                  f"{(cost - best) / best * 100:>8.3f}% {sum(g > DEARER for g in gaps):>6} "
                  f"{sum(p.exact for p in run.plans) / len(large):>7.1%} "
                  f"{_ms(statistics.median(run.seconds))} {_ms(_pct(run.seconds, 0.99))} "
                  f"{_ms(max(run.seconds))} {_late(run.seconds, budget, 1):>7} "
                  f"{_late(run.seconds, budget, 2):>5} {stopped:>11}")
        print("  >budget, >2x: decisions that took longer than the budget, than twice it; ran out "
              "p50: the median time of the decisions whose search stopped (exact=False)")

    print(f"\nran in {time.perf_counter() - began:.1f} s; load average now "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
