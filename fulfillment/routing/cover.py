"""Weighted set multicover over nodes: which nodes to use so that, for every item (SKU), the
chosen nodes together hold the demanded units, at the least total weight.

Units are free once a node is used, so only the node set matters. Weights are integer cents.
Solutions are compared by `key`: (total weight, number of nodes, -total priority, sorted codes),
a total order, so every solver here is deterministic whatever the input order.

- `solve_exact`: branch and bound. Dominated nodes are dropped first (a node whose every item
  another node of better (weight, -priority, code) rank holds in full). Each step
  branches on the item with the fewest nodes able to cover it, one branch per such node (the
  earlier ones banned in the later branches, so no set is visited twice), and prunes with the
  larger of two lower bounds on the cost still to pay: the fractional-knapsack cover of the
  hardest single item, and every missing unit priced at the cheapest weight per unit any live
  node offers for it. The plain greedy's answer is the starting incumbent. With a deadline (or
  a step limit) it stops there and returns the best set found, improved by the local search.
- `solve_heuristic`: greedy by weight per newly covered unit, then local improvement (drop
  redundant nodes; take one or two nodes out and put one or two others in, or repair greedily)
  until nothing improves. Putting two in matters: a greedy repair adds nodes one by one by
  cost per unit and misses gaps that only a pair of nodes fills cheaply.
- `solve_nearest`: the naive baseline, nearest node with everything, else nearest nodes item by
  item.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Key = tuple[int, int, int, tuple[str, ...]]


@dataclass(frozen=True)
class Option:
    """One node the solver may use."""

    code: str
    weight: int  # cents this node adds to the objective when used
    priority: int
    stock: tuple[int, ...]  # usable units per item, capped at the item's demand
    distance: float = 0.0  # km, only the baseline looks at it


@dataclass(frozen=True)
class Solution:
    chosen: tuple[Option, ...]  # sorted by code
    exact: bool  # proven best by `key`
    steps: int = 0  # branch-and-bound steps taken
    aborted: bool = False  # the step limit or the deadline stopped it (exact is then False)
    timed_out: bool = False  # it was the deadline


def key(options: Sequence[Option]) -> Key:
    return (
        sum(o.weight for o in options),
        len(options),
        -sum(o.priority for o in options),
        tuple(sorted(o.code for o in options)),
    )


def rank(option: Option) -> tuple[int, int, str]:
    """Preference between single nodes: cheaper, then higher priority, then code."""
    return (option.weight, -option.priority, option.code)


def covers(options: Sequence[Option], demand: Sequence[int]) -> bool:
    return all(sum(o.stock[k] for o in options) >= d for k, d in enumerate(demand))


def _solution(chosen, exact: bool, steps: int = 0, aborted: bool = False,
              timed_out: bool = False) -> Solution:
    return Solution(tuple(sorted(chosen, key=lambda o: o.code)), exact, steps, aborted,
                    timed_out)


# --- heuristic ---------------------------------------------------------------------------------


def solve_heuristic(demand: Sequence[int], options: Sequence[Option]) -> Solution | None:
    """Greedy plus local improvement. None if even all options together fall short."""
    opts = [o for o in options if any(o.stock)]
    chosen = _greedy(demand, opts, [], set())
    if chosen is None:
        return None
    return _solution(_improve(chosen, demand, opts), exact=False)


def _greedy(
    demand: Sequence[int], opts: Sequence[Option], start: list[Option], banned: set[str]
) -> list[Option] | None:
    """Complete `start` by repeatedly adding the option with the least weight per newly covered
    unit (never a banned one); None if that cannot cover the demand."""
    chosen = list(start)
    residual = [max(0, d - sum(o.stock[k] for o in chosen)) for k, d in enumerate(demand)]
    while any(residual):
        best, best_score = None, None
        for o in opts:
            if o.code in banned or o in chosen:
                continue
            gain = sum(min(s, r) for s, r in zip(o.stock, residual, strict=True))
            if gain:
                score = (o.weight / gain, rank(o))
                if best_score is None or score < best_score:
                    best, best_score = o, score
        if best is None:
            return None
        chosen.append(best)
        residual = [max(0, r - s) for r, s in zip(residual, best.stock, strict=True)]
    return chosen


def _improve(chosen: list[Option], demand: Sequence[int], opts: Sequence[Option]) -> list[Option]:
    """Local search: take one or two nodes out, put back the single best node that fills the
    gap, the cheapest pair of nodes that fills it together, or a greedy repair without them;
    drop what became redundant; keep the best move; repeat until no move improves the key."""
    current = _drop_redundant(chosen, demand)
    for _ in range(100):  # each round strictly improves the key; the cap is only a guard
        totals = [sum(o.stock[k] for o in current) for k in range(len(demand))]
        best, best_key = None, key(current)
        outside = sorted((o for o in opts if o not in current), key=rank)
        removals: list[tuple[Option, ...]] = [(a,) for a in current]
        removals += [(a, b) for i, a in enumerate(current) for b in current[i + 1:]]
        for gone in removals:
            base = [t - sum(g.stock[k] for g in gone) for k, t in enumerate(totals)]
            kept = [o for o in current if o not in gone]
            candidates = [
                [*kept, new]
                for new in outside
                if all(b + s >= d for b, s, d in zip(base, new.stock, demand, strict=True))
            ]
            pair = _cheapest_pair(base, demand, outside, sum(g.weight for g in gone))
            if pair is not None:
                candidates.append([*kept, *pair])
            repaired = _greedy(demand, opts, kept, {g.code for g in gone})
            if repaired is not None:
                candidates.append(_drop_redundant(repaired, demand))
            for candidate in candidates:
                candidate_key = key(candidate)
                if candidate_key < best_key:
                    best, best_key = candidate, candidate_key
        if best is None:
            break
        current = _drop_redundant(best, demand)
    return current


def _cheapest_pair(base: Sequence[int], demand: Sequence[int], outside: Sequence[Option],
                   budget: int) -> tuple[Option, Option] | None:
    """The cheapest two nodes that together fill the gap `demand - base`, if they weigh less
    than `budget` together (otherwise the move cannot improve). `outside` is sorted by rank."""
    gap = [max(0, d - b) for d, b in zip(demand, base, strict=True)]
    useful = [o for o in outside if any(s and g for s, g in zip(o.stock, gap, strict=True))]
    best: tuple[Option, Option] | None = None
    for a, b in itertools.combinations(useful, 2):
        weight = a.weight + b.weight
        if weight >= budget:
            if a.weight + useful[0].weight >= budget:
                break  # `a` only gets dearer from here: no pair below the budget is left
            continue
        if all(sa + sb >= g for sa, sb, g in zip(a.stock, b.stock, gap, strict=True)):
            best, budget = (a, b), weight
    return best


def _drop_redundant(chosen: Sequence[Option], demand: Sequence[int]) -> list[Option]:
    current = list(chosen)
    for o in sorted(chosen, key=rank, reverse=True):  # the dearest goes first
        rest = [c for c in current if c is not o]
        if covers(rest, demand):
            current = rest
    return current


# --- exact -------------------------------------------------------------------------------------


def _dominance_filter(opts: Sequence[Option], demand: Sequence[int]) -> list[Option]:
    """Drop every option that some option of strictly better rank makes pointless: one holding
    the full demand of every item the first holds any of. In a set with both, the first is
    redundant; in a set without the second, swapping them in never makes the set worse by
    `key`. (Merely holding more units is not enough here: a multicover may need both.)"""
    kept = []
    for o in opts:
        mine = [k for k, s in enumerate(o.stock) if s]
        dominated = any(
            p is not o and rank(p) < rank(o) and all(p.stock[k] >= demand[k] for k in mine)
            for p in opts
        )
        if not dominated:
            kept.append(o)
    return kept


def _lower_bound(residual: Sequence[int], live: Sequence[Option]) -> float | None:
    """A lower bound on the weight still needed to cover `residual` with `live`; None when
    `live` cannot cover it at all."""
    hardest = 0.0
    per_unit = 0.0
    useful = []
    for o in live:
        gain = sum(min(s, r) for s, r in zip(o.stock, residual, strict=True))
        if gain:
            useful.append((o, gain))
    for k, r in enumerate(residual):
        if not r:
            continue
        pieces = []
        cheapest_unit = math.inf
        for o, gain in useful:
            units = min(o.stock[k], r)
            if units:
                pieces.append((o.weight / units, units, o.weight))
                cheapest_unit = min(cheapest_unit, o.weight / gain)
        if sum(p[1] for p in pieces) < r:
            return None
        pieces.sort()
        need, bound = r, 0.0
        for ratio, units, weight in pieces:
            if units >= need:
                bound += ratio * need
                break
            bound += weight
            need -= units
        hardest = max(hardest, bound)
        per_unit += r * cheapest_unit
    return max(hardest, per_unit)


def solve_exact(
    demand: Sequence[int],
    options: Sequence[Option],
    max_steps: int = 200_000,
    deadline: float | None = None,
    clock: Callable[[], float] | None = None,
) -> Solution | None:
    """The set with the smallest `key` that covers `demand`. None if no set does. If the step
    limit is reached, or `clock()` passes `deadline` (checked every few steps), the best set
    found so far, improved by the local search, with exact=False."""
    opts = _dominance_filter([o for o in options if any(o.stock)], demand)
    start = _greedy(demand, opts, [], set())  # a cheap incumbent: the bound does the rest
    if start is None:
        return None
    best = _drop_redundant(start, demand)
    best_key = key(best)
    steps = 0
    aborted = timed_out = False
    timed = deadline is not None and clock is not None

    def search(chosen: list[Option], weight: int, residual: list[int], banned: set[str]) -> None:
        nonlocal best, best_key, steps, aborted, timed_out
        if aborted:
            return
        steps += 1
        if steps > max_steps:
            aborted = True
            return
        if timed and steps % 16 == 1 and clock() > deadline:  # type: ignore[misc,operator]
            aborted = timed_out = True
            return
        if not any(residual):
            found = key(chosen)
            if found < best_key:
                best, best_key = list(chosen), found
            return
        taken = {o.code for o in chosen}
        live = [o for o in opts if o.code not in banned and o.code not in taken]
        bound = _lower_bound(residual, live)
        if bound is None:
            return
        floor = weight + math.ceil(bound - 1e-9)
        if floor > best_key[0] or (floor == best_key[0] and len(chosen) + 1 > best_key[1]):
            return
        # Branch on the item the fewest live nodes can supply.
        item, branches = -1, None
        for k, r in enumerate(residual):
            if r:
                holders = [o for o in live if o.stock[k]]
                if branches is None or len(holders) < len(branches):
                    item, branches = k, holders
        assert branches is not None
        branches.sort(key=lambda o: (o.weight / min(o.stock[item], residual[item]), rank(o)))
        newly_banned = set(banned)
        for o in branches:
            search(
                [*chosen, o],
                weight + o.weight,
                [max(0, r - s) for r, s in zip(residual, o.stock, strict=True)],
                newly_banned,
            )
            newly_banned = newly_banned | {o.code}

    search([], 0, list(demand), set())
    if aborted:
        improved = _improve(best, demand, opts)
        if key(improved) < best_key:
            best = improved
    return _solution(best, exact=not aborted, steps=steps, aborted=aborted, timed_out=timed_out)


# --- baseline ----------------------------------------------------------------------------------


def solve_nearest(demand: Sequence[int], options: Sequence[Option]) -> Solution | None:
    """Nearest node holding everything; else, item by item, the nearest nodes until covered."""
    opts = sorted((o for o in options if any(o.stock)), key=lambda o: (o.distance, o.code))
    if not covers(opts, demand):
        return None
    for o in opts:
        if all(s >= d for s, d in zip(o.stock, demand, strict=True)):
            return _solution([o], exact=False)
    chosen: dict[str, Option] = {}
    for k, d in enumerate(demand):
        need = d
        for o in opts:
            if need <= 0:
                break
            if o.stock[k]:
                chosen[o.code] = o
                need -= o.stock[k]
    return _solution(list(chosen.values()), exact=False)
