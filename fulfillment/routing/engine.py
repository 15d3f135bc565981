"""`route` and `greedy_baseline`: a request and a stock snapshot in, a plan out. Pure: no database,
no randomness, no clock but the search's time budget; the same input (in any order) gives the
same plan unless that budget runs out (the plan then says so: exact=False and a reason).

Costs, in integer cents (each package or transfer rounded on its own):
- ship: per package (node used) package_base + per_km * km(node, destination) + handling(kind),
  plus extra_package_penalty per package beyond the first;
- pickup: the pickup store's handling once (it prepares the order), plus per sending node
  transfer_base + transfer_per_km * km(node, store); with policy "split", the shipped packages as
  above, the collection at the store counting as the first fulfilment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from core.geo import distance_km
from fulfillment.routing import explain
from fulfillment.routing.cover import (
    Option,
    Solution,
    key,
    rank,
    solve_exact,
    solve_heuristic,
    solve_nearest,
)
from fulfillment.routing.eta import TransitTimes
from fulfillment.routing.model import (
    CAPACITY,
    DISTANCE_ESTIMATED,
    ESTIMATE,
    EXCLUDED,
    NOTHING_ALLOCATED,
    PICKUP,
    PLAN,
    PROMISE,
    SHIP,
    SHORTFALL,
    STORE,
    TRANSFER,
    Allocation,
    CostModel,
    Line,
    Node,
    Reason,
    RoutingPlan,
    RoutingRequest,
    Snapshot,
)
from fulfillment.routing.validate import validate

MAX_SUGGESTIONS = 5
Wanted = list[tuple[Line, int]]  # (line, units) still to place


def route(
    request: RoutingRequest,
    nodes: Sequence[Node],
    snapshot: Snapshot,
    cost: CostModel = CostModel(),  # noqa: B008 - frozen, so a shared default is safe
    transit: TransitTimes = TransitTimes(),  # noqa: B008
    clock: Callable[[], float] = time.perf_counter,
) -> RoutingPlan:
    """The cheapest plan by the rules in the package docstring (exact within the request's
    limits and time budget, else the best found). Raises RoutingError for a malformed
    request. `clock` (seconds) is only read for the time budget; tests pass their own."""
    return _Router(request, nodes, snapshot, cost, transit, clock, baseline=False).plan()


def greedy_baseline(
    request: RoutingRequest,
    nodes: Sequence[Node],
    snapshot: Snapshot,
    cost: CostModel = CostModel(),  # noqa: B008
    transit: TransitTimes = TransitTimes(),  # noqa: B008
) -> RoutingPlan:
    """The naive rule to measure against: the nearest node with everything, else the nearest
    node(s) line by line. Same eligibility, policies and cost accounting as `route`."""
    return _Router(request, nodes, snapshot, cost, transit, time.perf_counter,
                   baseline=True).plan()


def _cents(amount: float) -> int:
    return round(amount * 100)


@dataclass
class _Part:
    allocations: list[Allocation] = field(default_factory=list)
    charges: list[tuple[str, int]] = field(default_factory=list)  # (node, cents) per package


class _Router:
    def __init__(self, request, nodes, snapshot, cost, transit, clock, baseline: bool) -> None:
        self.request: RoutingRequest = request
        self.cost: CostModel = cost
        self.transit: TransitTimes = transit
        self.clock = clock
        self.baseline = baseline
        self.nodes = validate(request, nodes, cost)
        self.penalty = _cents(cost.extra_package_penalty)
        self.skus = list(dict.fromkeys(line.sku for line in request.lines))
        # Residual stock: sku -> node -> units, reduced as allocations are made.
        self.stock: dict[str, dict[str, int]] = {}
        for sku in self.skus:
            held = snapshot.get(sku) or {}
            self.stock[sku] = {c: int(q) for c, q in held.items() if c in self.nodes and q > 0}
        self.exact = not baseline
        self.used_destination = False
        self.suggestions: list[str] = []
        self.backordered: list[tuple[str, int]] = []
        self.unfillable: list[tuple[str, int]] = []
        self.notes: list[str] = []  # capacity
        self.too_slow: dict[str, date] = {}  # node -> its earliest delivery, after the promise
        self.decisions: list[str] = []
        # (date, node, why) per package or pickup, for the plan's estimated delivery
        self.arrivals: list[tuple[date, str, str]] = []
        self.shortfalls: list[str] = []

    # --- the plan ------------------------------------------------------------------------------

    def plan(self) -> RoutingPlan:
        r = self.request
        if r.method == SHIP:
            part = self._ship([(line, line.quantity) for line in r.lines], r.destination)
            allocations = part.allocations
            packages = len(part.charges)
            cents = sum(c for _, c in part.charges) + self.penalty * max(0, packages - 1)
        else:
            allocations, cents = self._pickup()
        reasons: list[Reason] = []
        if r.destination_estimated and self.used_destination:
            reasons.append(Reason(DISTANCE_ESTIMATED, "distance estimated from the postal "
                                                      "code/city, not the exact address"))
        reasons += [Reason(EXCLUDED, f"{c} excluded: rejected this order")
                    for c in sorted(r.exclude) if c in self.nodes]
        reasons += [Reason(CAPACITY, text) for text in self.notes]
        if self.too_slow:
            assert r.deliver_by is not None
            reasons.append(Reason(PROMISE, explain.too_slow(self.too_slow, r.deliver_by)))
        reasons += [Reason(PLAN, text) for text in self.decisions]
        reasons += [Reason(SHORTFALL, text) for text in self.shortfalls]
        if not allocations and not self.decisions:
            reasons.append(Reason(NOTHING_ALLOCATED, "nothing allocated"))
        estimated = None
        used = {a.node for a in allocations} | {a.transfer_to for a in allocations}
        arrivals = [a for a in self.arrivals if a[1] in used]
        if allocations and arrivals:
            latest = max(arrivals)
            estimated = latest[0]
            reasons.append(Reason(ESTIMATE, explain.estimate(latest, r.method)))
        return RoutingPlan(
            allocations=tuple(allocations),
            backordered=tuple(self.backordered),
            unfillable=tuple(self.unfillable),
            suggestions=tuple(self.suggestions),
            total_cost=round(cents / 100, 2),
            exact=self.exact,
            reasons=tuple(reasons),
            estimated_delivery=estimated,
        )

    # --- shared steps --------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _senders(self, skip: set[str], to: tuple[float, float]) -> tuple[list[Node],
                                                                          dict[str, float]]:
        """Nodes that may send stock to `to`: ships, not excluded, not at capacity, and in time
        for the promised date if there is one (sorted by code); with their distances to `to`."""
        out = []
        dist = {}
        r = self.request
        for code in sorted(self.nodes):
            node = self.nodes[code]
            if code in skip or code in r.exclude or not node.ships:
                continue
            holds = any(self.stock[sku].get(code) for sku in self.skus)
            if node.capacity_left is not None and node.capacity_left <= 0:
                if holds:
                    self._note(f"{code} skipped: at capacity today")
                continue
            dist[code] = distance_km(node.latitude, node.longitude, *to)
            if r.today is not None and r.deliver_by is not None:
                arrives = self.transit.arrival(r.today, node.kind, dist[code])
                if arrives > r.deliver_by:
                    if holds:
                        self.too_slow.setdefault(code, arrives)
                    continue
            out.append(node)
        return out, dist

    def _demand(self, wanted: Wanted, senders: list[Node]) -> tuple[Wanted, dict[str, int]]:
        """What the senders can fill together (lines first come, first served) and the per-SKU
        demand that makes; the rest is backordered or unfillable."""
        codes = {n.code for n in senders}
        sendable = {
            sku: sum(q for c, q in self.stock[sku].items() if c in codes) for sku in self.skus
        }
        left = dict(sendable)
        filled: Wanted = []
        demand: dict[str, int] = {}
        for line, qty in wanted:
            take = min(qty, left[line.sku])
            left[line.sku] -= take
            if take:
                filled.append((line, take))
                demand[line.sku] = demand.get(line.sku, 0) + take
            if qty > take:
                elsewhere = sum(q for c, q in self.stock[line.sku].items() if c not in codes)
                promised = self.request.deliver_by
                in_time = f" in time for {explain.day(promised)}" if promised else ""
                if sendable[line.sku]:
                    why = f"only {sendable[line.sku]} available in the network{in_time}"
                elif elsewhere:
                    why = "the only stock is at nodes that cannot send it" + in_time
                else:
                    why = "no stock in the network"
                self._short(line, qty - take, why)
        return filled, demand

    def _short(self, line: Line, qty: int, why: str) -> None:
        # A backorder cannot keep a delivery promise: with one, a shortfall is for a person to
        # resolve with the customer (needs_attention), not to wait for stock.
        backorder = line.backorder_allowed and self.request.deliver_by is None
        (self.backordered if backorder else self.unfillable).append((line.line_id, qty))
        self.shortfalls.append(explain.shortfall(line.line_id, line.sku, qty, backorder, why))

    def _options(self, demand, senders, charge, extra: int, distance) -> list[Option]:
        options = []
        for node in senders:
            stock = tuple(min(self.stock[sku].get(node.code, 0), d) for sku, d in demand.items())
            if any(stock):
                options.append(
                    Option(node.code, charge[node.code] + extra, node.priority, stock,
                           distance[node.code])
                )
        return options

    def _solve(self, demand, options, lines: int, tolerant: bool):
        """The chosen options, the complete single nodes by rank, and notes: why not exact,
        and (with `tolerant`, shipping) why one package was kept or a split preferred."""
        vector = tuple(demand.values())
        singles = sorted((o for o in options if o.stock == vector), key=rank)
        if self.baseline:
            return solve_nearest(vector, options), singles, []
        r = self.request
        notes: list[str] = []
        over_nodes = r.max_exact_nodes is not None and len(options) > r.max_exact_nodes
        over_lines = r.max_exact_lines is not None and lines > r.max_exact_lines
        if over_nodes or over_lines:
            solution = solve_heuristic(vector, options)
            assert solution is not None, "_demand keeps only what the senders can cover"
            if singles and key(singles[:1]) < key(solution.chosen):
                solution = Solution((singles[0],), exact=False)
            notes.append(explain.heuristic_note(len(options), lines, r.max_exact_nodes,
                                                r.max_exact_lines))
        else:
            deadline = None
            if r.time_budget_ms is not None:
                deadline = self.clock() + r.time_budget_ms / 1000
            solution = solve_exact(vector, options, r.max_search_steps, deadline, self.clock)
            assert solution is not None, "_demand keeps only what the senders can cover"
            if solution.aborted:
                notes.append(explain.aborted_note(solution.steps, solution.timed_out,
                                                  r.time_budget_ms))
        self.exact = self.exact and solution.exact
        if tolerant and singles and len(solution.chosen) > 1:
            solution, note = self._tolerate(solution, singles[0])
            notes.append(note)
        return solution, singles, notes

    def _tolerate(self, best: Solution, single: Option) -> tuple[Solution, str]:
        """The single-package tolerance (RoutingRequest.single_package_tolerance*): keep the
        cheapest complete node when its premium over the cheapest plan is within the allowance,
        the larger of the fixed amount and the percentage of that plan's cost."""
        r = self.request
        split_cents = key(best.chosen)[0] - self.penalty  # options carry the penalty each
        single_cents = single.weight - self.penalty
        premium = single_cents - split_cents
        allowance = max(_cents(r.single_package_tolerance),
                        round(split_cents * r.single_package_tolerance_pct / 100))
        if premium <= allowance:
            return (Solution((single,), exact=best.exact),
                    explain.kept_one_package(single.code, single_cents, split_cents, allowance))
        return best, explain.split_over_one(single.code, single_cents, split_cents, allowance)

    def _assign(self, filled: Wanted, chosen, kind: str, to: str | None = None) -> list[Allocation]:
        """Units line by line from the cheapest chosen node first (ties by code); the baseline
        takes from the nearest first."""
        if self.baseline:
            order = sorted(chosen, key=lambda o: (o.distance, o.code))
        else:
            order = sorted(chosen, key=lambda o: (o.weight, o.code))
        allocations = []
        for line, qty in filled:
            need = qty
            for option in order:
                have = self.stock[line.sku].get(option.code, 0)
                take = min(need, have)
                if take:
                    allocations.append(
                        Allocation(line.line_id, line.sku, option.code, take, kind, to)
                    )
                    self.stock[line.sku][option.code] = have - take
                    need -= take
            assert need == 0, "the chosen nodes cover the demand"
        return allocations

    # --- ship ----------------------------------------------------------------------------------

    def _ship(self, wanted: Wanted, destination, skip=frozenset(), rest=False) -> _Part:
        """Ship `wanted` to `destination`; `rest`: the part of a pickup order the store lacks."""
        c = self.cost
        senders, dist = self._senders(set(skip), destination)
        filled, demand = self._demand(wanted, senders)
        if not demand:
            return _Part()
        self.used_destination = True
        charge = {
            n.code: _cents(c.package_base + c.per_km * dist[n.code] + c.handling(n.kind))
            for n in senders
        }
        options = self._options(demand, senders, charge, self.penalty, dist)
        solution, singles, notes = self._solve(demand, options, len(filled), tolerant=not rest)
        allocations = self._assign(filled, solution.chosen, SHIP)
        used = sorted({a.node for a in allocations})
        complete = sum(q for _, q in filled) == sum(q for _, q in wanted)
        text = explain.ship_decision(allocations, used, dist, charge, singles, complete, rest,
                                     self.penalty)
        self.decisions.append(text)
        self.decisions += notes
        self._arrive(used, dist, "delivery")
        return _Part(allocations, [(code, charge[code]) for code in used])

    def _arrive(self, used: Sequence[str], dist: dict[str, float], what: str) -> None:
        """Note when each used node's package (or transfer) arrives, with `request.today`."""
        today = self.request.today
        if today is None:
            return
        for code in used:
            node = self.nodes[code]
            self.arrivals.append((self.transit.arrival(today, node.kind, dist[code]), code,
                                  f"{what} from {code} ({explain.km(dist[code])})"))

    # --- pickup --------------------------------------------------------------------------------

    def _pickup(self) -> tuple[list[Allocation], int]:
        r = self.request
        assert r.pickup_node is not None  # validate() requires it for pickup
        store = self.nodes[r.pickup_node]
        usable = store.code not in r.exclude
        if usable and store.capacity_left is not None and store.capacity_left <= 0:
            usable = False
            self._note(f"{store.code} at capacity today: its own stock is not used")
        at_store: Wanted = []
        missing: Wanted = []
        left = {sku: self.stock[sku].get(store.code, 0) if usable else 0 for sku in self.skus}
        for line in r.lines:
            take = min(line.quantity, left[line.sku])
            left[line.sku] -= take
            if take:
                at_store.append((line, take))
            if line.quantity > take:
                missing.append((line, line.quantity - take))
        handling = _cents(self.cost.handling(store.kind))
        lacks = ", ".join(f"{line.sku} x{qty}" for line, qty in missing)
        if not missing:
            self.decisions.append(
                f"{store.code}: all lines in stock for pickup, cost {explain.money(handling)}"
            )
            return self._take_at(store, at_store), handling
        if r.bopis_policy == "suggest":
            self._suggest(store, lacks)
            return [], 0
        allocations = self._take_at(store, at_store)
        if allocations:
            self.decisions.append(
                f"{store.code}: {explain.units(allocations)} in stock for pickup; lacks {lacks}"
            )
        else:
            self.decisions.append(f"{store.code}: nothing in stock for pickup; lacks {lacks}")
        policy = r.bopis_policy
        if policy == "split" and r.destination is None:
            self.decisions.append(
                "split policy needs the customer's address and none was given: "
                f"transferring to {store.code} instead"
            )
            policy = "transfer"
        transfers = _Part()
        shipped = _Part()
        if policy == "transfer":
            transfers = self._transfer(store, missing)
        else:
            shipped = self._ship(missing, r.destination, frozenset({store.code}),
                                 rest=True)
        allocations += transfers.allocations + shipped.allocations
        at_desk = any(a.kind != SHIP for a in allocations)
        fulfilments = int(at_desk) + len(shipped.charges)
        cents = (
            handling * at_desk
            + sum(c for _, c in transfers.charges + shipped.charges)
            + self.penalty * max(0, fulfilments - 1)
        )
        terms = [f"{store.code} handling {explain.money(handling)}"] if at_desk else []
        if transfers.charges:
            terms.append(f"transfers {explain.money(sum(c for _, c in transfers.charges))}")
        if shipped.charges:
            terms.append(f"shipping {explain.money(sum(c for _, c in shipped.charges))}")
        if fulfilments > 1:
            terms.append(f"{explain.money(self.penalty * (fulfilments - 1))} for "
                         f"{explain.plural(fulfilments - 1, 'extra package')}")
        if len(terms) > 1:
            self.decisions.append(f"total {explain.money(cents)} ({' + '.join(terms)})")
        return allocations, cents

    def _take_at(self, store: Node, at_store: Wanted) -> list[Allocation]:
        if at_store and self.request.today is not None:
            self.arrivals.append((self.transit.ready_at_store(self.request.today), store.code,
                                  f"shelf stock at {store.code}"))
        allocations = []
        for line, qty in at_store:
            allocations.append(Allocation(line.line_id, line.sku, store.code, qty, PICKUP))
            self.stock[line.sku][store.code] -= qty
        return allocations

    def _transfer(self, store: Node, missing: Wanted) -> _Part:
        c = self.cost
        senders, dist = self._senders({store.code}, (store.latitude, store.longitude))
        filled, demand = self._demand(missing, senders)
        if not demand:
            return _Part()
        charge = {
            n.code: _cents(c.transfer_base + c.transfer_per_km * dist[n.code]) for n in senders
        }
        options = self._options(demand, senders, charge, 0, dist)
        solution, _, notes = self._solve(demand, options, len(filled), tolerant=False)
        allocations = self._assign(filled, solution.chosen, TRANSFER, store.code)
        used = sorted({a.node for a in allocations})
        pieces = explain.node_pieces(allocations, used, dist, charge)
        self.decisions.append(f"transfer to {store.code} from {explain.joined(pieces)}")
        self.decisions += notes
        self._arrive(used, dist, "transfer")
        return _Part(allocations, [(code, charge[code]) for code in used])

    def _suggest(self, store: Node, lacks: str) -> None:
        r = self.request
        need: dict[str, int] = {}
        for line in r.lines:
            need[line.sku] = need.get(line.sku, 0) + line.quantity
        found = []
        for code, node in self.nodes.items():
            if (
                code == store.code
                or code in r.exclude
                or node.kind != STORE
                or not node.pickup
                or (node.capacity_left is not None and node.capacity_left <= 0)
                or any(self.stock[sku].get(code, 0) < qty for sku, qty in need.items())
            ):
                continue
            away = distance_km(store.latitude, store.longitude, node.latitude, node.longitude)
            found.append((away, code))
        found.sort()
        found = found[:MAX_SUGGESTIONS]
        self.suggestions = [code for _, code in found]
        text = f"{store.code} lacks {lacks}; nothing allocated, "
        if found:
            listed = ", ".join(f"{code} ({explain.km(away)} away)" for away, code in found)
            text += f"the customer chooses another store with every line: {listed}"
        else:
            text += "and no other pickup store holds every line"
        self.decisions.append(text)
