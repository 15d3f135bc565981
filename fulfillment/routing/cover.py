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


def _improve(chosen: list[Option], demand: Sequence[int], opts: Sequence[Option],
             stop: Callable[[], bool] | None = None) -> list[Option]:
    """Local search: take one or two nodes out, put back the single best node that fills the
    gap, the cheapest pair of nodes that fills it together, or a greedy repair without them;
    drop what became redundant; keep the best move; repeat until no move improves the key, or
    until `stop()` says the time is up (then the best move found so far is taken)."""
    current = _drop_redundant(chosen, demand)
    stopped = False
    for _ in range(100):  # each round strictly improves the key; the cap is only a guard
        totals = [sum(o.stock[k] for o in current) for k in range(len(demand))]
        best, best_key = None, key(current)
        outside = sorted((o for o in opts if o not in current), key=rank)
        removals: list[tuple[Option, ...]] = [(a,) for a in current]
        removals += [(a, b) for i, a in enumerate(current) for b in current[i + 1:]]
        for gone in removals:
            if stop is not None and stop():
                stopped = True
                break
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
        if best is not None:
            current = _drop_redundant(best, demand)
        if best is None or stopped:
            break
    return current


def _cheapest_pair(base: Sequence[int], demand: Sequence[int], outside: Sequence[Option],
                   budget: int) -> tuple[Option, Option] | None:
    """The cheapest two nodes that together fill the gap `demand - base`, if they weigh less
    than `budget` together (otherwise the move cannot improve). `outside` is sorted by rank."""
    gap = [max(0, d - b) for d, b in zip(demand, base, strict=True)]
    useful = [o for o in outside if any(s and g for s, g in zip(o.stock, gap, strict=True))]
    best: tuple[Option, Option] | None = None
    for i, a in enumerate(useful):
        partners = useful[i + 1:]
        if not partners or a.weight + partners[0].weight >= budget:
            break  # both only get dearer from here: no pair below the budget is left
        for b in partners:
            if a.weight + b.weight >= budget:
                break
            if all(sa + sb >= g for sa, sb, g in zip(a.stock, b.stock, gap, strict=True)):
                best, budget = (a, b), a.weight + b.weight
                break  # the cheapest partner of `a` that fills the gap
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


class _Search:
    """Branch and bound over `opts` (see the module docstring). Options are indices; stock is
    kept sparse (the items each option holds, the options holding each item), because on real
    networks a node holds few of an order's items and the bound runs at every step. A node is
    `dead` in a subtree when it is chosen there or banned (an earlier sibling branch took it)."""

    def __init__(self, demand: Sequence[int], opts: Sequence[Option], best: list[Option],
                 max_steps: int, deadline: float | None, clock: Callable[[], float] | None):
        self.opts = opts
        self.weights = [o.weight for o in opts]
        self.ranks = [rank(o) for o in opts]
        self.held = [[(k, s) for k, s in enumerate(o.stock) if s] for o in opts]
        self.holders = [[(i, o.stock[k]) for i, o in enumerate(opts) if o.stock[k]]
                        for k in range(len(demand))]
        self.dead = [False] * len(opts)
        self.best, self.best_key = best, key(best)
        self.max_steps, self.deadline, self.clock = max_steps, deadline, clock
        self.steps = 0
        self.aborted = self.timed_out = False

    def lower_bound(self, residual: Sequence[int]) -> float | None:
        """A lower bound on the weight still needed to cover `residual` with the live nodes;
        None when they cannot cover it at all. The larger of: the fractional-knapsack cover of
        the hardest single item, and every missing unit at the cheapest weight per unit of
        newly covered demand that any live node holding it offers."""
        dead, holders, weights = self.dead, self.holders, self.weights
        gain: dict[int, int] = {}
        for k, r in enumerate(residual):
            if r:
                for i, s in holders[k]:
                    if not dead[i]:
                        gain[i] = gain.get(i, 0) + (s if s < r else r)
        hardest = per_unit = 0.0
        for k, r in enumerate(residual):
            if not r:
                continue
            pieces = []
            total = 0
            cheapest_unit = math.inf
            for i, s in holders[k]:
                if dead[i]:
                    continue
                units = s if s < r else r
                weight = weights[i]
                pieces.append((weight / units, units, weight))
                total += units
                cheapest_unit = min(cheapest_unit, weight / gain[i])
            if total < r:
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

    def run(self, chosen: list[int], weight: int, residual: list[int]) -> None:
        if self.aborted:
            return
        self.steps += 1
        if self.steps > self.max_steps:
            self.aborted = True
            return
        if (self.deadline is not None and self.clock is not None and self.steps % 16 == 1
                and self.clock() > self.deadline):
            self.aborted = self.timed_out = True
            return
        if not any(residual):
            found = [self.opts[i] for i in chosen]
            found_key = key(found)
            if found_key < self.best_key:
                self.best, self.best_key = found, found_key
            return
        bound = self.lower_bound(residual)
        if bound is None:
            return
        floor = weight + math.ceil(bound - 1e-9)
        best_cost, best_count = self.best_key[0], self.best_key[1]
        if floor > best_cost or (floor == best_cost and len(chosen) + 1 > best_count):
            return
        # Branch on the item the fewest live nodes can supply.
        item, branches = -1, None
        for k, r in enumerate(residual):
            if r:
                live = [i for i, _ in self.holders[k] if not self.dead[i]]
                if branches is None or len(live) < len(branches):
                    item, branches = k, live
        assert branches is not None
        need = residual[item]
        stock = self.opts
        branches.sort(key=lambda i: (self.weights[i] / min(stock[i].stock[item], need),
                                     self.ranks[i]))
        for i in branches:
            self.dead[i] = True  # chosen below; banned in the later siblings
            after = list(residual)
            for k, s in self.held[i]:
                after[k] = after[k] - s if after[k] > s else 0
            self.run([*chosen, i], weight + self.weights[i], after)
        for i in branches:
            self.dead[i] = False


def solve_exact(
    demand: Sequence[int],
    options: Sequence[Option],
    max_steps: int = 200_000,
    deadline: float | None = None,
    clock: Callable[[], float] | None = None,
) -> Solution | None:
    """The set with the smallest `key` that covers `demand`. None if no set does. If the step
    limit is reached, or `clock()` passes `deadline` (checked every 16 steps), the best set
    found so far, improved by the local search, with exact=False."""
    opts = _dominance_filter([o for o in options if any(o.stock)], demand)
    start = _greedy(demand, opts, [], set())  # a cheap incumbent: the bound does the rest
    if start is None:
        return None
    timed = deadline is not None and clock is not None
    started = clock() if timed else 0.0  # type: ignore[misc]
    search = _Search(demand, opts, _drop_redundant(start, demand), max_steps, deadline, clock)
    search.run([], 0, list(demand))
    best = search.best
    if search.aborted:
        # The local search gets a quarter of the budget again at most: a stopped search must
        # not cost more than finishing it would have.
        stop = None
        if timed:
            grace = deadline + (deadline - started) / 4  # type: ignore[operator]
            stop = lambda: clock() > grace  # type: ignore[misc]  # noqa: E731
        improved = _improve(best, demand, opts, stop)
        if key(improved) < search.best_key:
            best = improved
    return _solution(best, exact=not search.aborted, steps=search.steps,
                     aborted=search.aborted, timed_out=search.timed_out)


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
