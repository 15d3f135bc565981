"""Randomized concurrency runs through the HTTP API (issue 9), shared by
`tests/integration/test_random_operations.py` (short, in `make test`) and
`bench/random_ops.py` (many seeds or rounds, by hand).

A run uses the tests' small network (`tests/support.py`: two warehouses, three stores, three
SKUs), makes keys for every role (two per node, so leases held by one are refused to the
other), puts in scarce stock (each warehouse a few units, stores little, `store-brooklyn`
nothing, so pickups there are fed by transfers and often by several senders), then plays
rounds. Each round plans about 20 operations from a seeded generator and from what the
database holds after the previous round, starts them together on as many threads (each with its
own Flask test client, so the requests really overlap on PostgreSQL), joins them (bounded) and
checks:

- no 5xx (status, body and the exception the server logged are kept, with the operation);
- the ledger's invariants (`inventory.invariants.find_drift`) and the order lines'
  (`oms.invariants.find_line_drift`);
- units conserved per SKU: received + adjusted - damaged, as the run was answered and as the
  movements of each kind say, = on hand + in transit + shipped or handed over (the shipment
  movements, and the order lines' fulfilled units);
- nothing held in the ledger for a fully cancelled line or a cancelled order, nor for a demand
  no order line has; a cancelled order has no open work.

About a third of each round's operations are aimed at two or three "hot" orders at once
(cancel the order or some of its lines, reject one of its fulfillments, ship, pick or hand over
another, receive its transfer, claim at its nodes, re-route, add units), the rest are spread:
new orders of 1-3 lines for shipping and pickup, claims at warehouses and stores followed by
full or short picks, ships, rejects, ready-for-pickup and pickups with the code, receipts,
adjustments, damage, free-stock transfers and transfer receipts (whole or partial). 4xx answers
(409 conflicts, 422) are expected and counted, never a failure.

Replaying: the seed fixes the first round's plan and, after it, every decision as a function
of the state the previous round left; which request wins each race is up to the threads, so a
seed that finds a bug finds it often, not always. Run the same seed several times.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text

from core.auth import authenticate, create_api_key
from core.db import Base, Database, read_session
from fulfillment.models import OPEN_STATUSES, Fulfillment
from inventory.invariants import find_drift, held_by_demand
from inventory.models import Balance, Item, Location, Movement, Transfer
from oms.invariants import find_line_drift
from oms.models import Order, OrderLine

API = "/api/v1"
SKUS = ("JKT-1", "BOOT-1", "SOCK-1")
WAREHOUSES = ("dc-east", "dc-central")
STORES = ("store-soho", "store-brooklyn", "store-chicago")
NODES = WAREHOUSES + STORES
# Where pickups go: store-brooklyn has no stock of its own (transfers), the others a little.
PICKUP_STORES = ("store-brooklyn", "store-brooklyn", "store-soho", "store-chicago")
SHIP_TO = [
    {"line1": "350 5th Ave", "city": "New York", "postal_code": "10118", "country": "US",
     "latitude": 40.7484, "longitude": -73.9857},
    {"line1": "233 S Wacker Dr", "city": "Chicago", "postal_code": "60606", "country": "US",
     "latitude": 41.8789, "longitude": -87.6359},
    {"line1": "1 World Way", "city": "Los Angeles", "postal_code": "90045", "country": "US",
     "latitude": 33.9416, "longitude": -118.4085},
]
SEED_ENV = "OMS_CHAOS_SEED"
EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*: |^\w*(?:Error|Exception): ")


def seed_from_env() -> int:
    """OMS_CHAOS_SEED if set, else a fresh random seed (printed by the caller)."""
    given = os.environ.get(SEED_ENV, "").strip()
    return int(given) if given else random.SystemRandom().randrange(1, 10**9)


def reset_database(database: Database) -> None:
    """Empty every table (what the suite's `db` fixture does between tests)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


# ------------------------------------------------------------------ what the server said

@dataclass
class Call:
    op: str
    method: str
    path: str
    status: int
    body: Any = None
    error: str = ""  # the exception the server logged (5xx), or a client-side traceback
    sent: Any = None  # the request body

    def exception(self) -> str:
        """The exception's own line (`sqlalchemy.exc.OperationalError: (psycopg.errors.
        DeadlockDetected) deadlock detected`), not the SQL or links printed after it."""
        found = [ln for ln in self.error.splitlines() if EXCEPTION_LINE.match(ln)]
        line = found[-1].strip() if found else str(self.body)[:200]
        cause = re.search(r"\((psycopg\.errors\.\w+)\)[^\n]*", self.error)
        if cause and cause.group(1) not in line:  # e.g. "(raised as a result of autoflush)"
            line = f"{line.split(': ', 1)[0]}: {cause.group(0)}"
        return line

    def headline(self) -> str:
        return f"{self.status} {self.method} {self.path} [{self.op}]: {self.exception()[:300]}"


class ServerErrors(logging.Handler):
    """Keeps what the app logs at ERROR with a traceback, per thread: a test client runs the
    request in the calling thread, so the 500 handler's `log.exception` lands with the call
    that caused it."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.local = threading.local()

    def begin(self) -> None:
        self.local.seen = []

    def take(self) -> str:
        seen = getattr(self.local, "seen", [])
        self.local.seen = []
        return "\n".join(seen)

    def emit(self, record: logging.LogRecord) -> None:
        seen = getattr(self.local, "seen", None)
        if seen is None:
            return
        if record.exc_info:
            seen.append("".join(traceback.format_exception(*record.exc_info)))
        else:
            seen.append(record.getMessage())


# ------------------------------------------------------------------ the state a round starts from

@dataclass(frozen=True)
class FState:
    id: int
    order_id: int
    method: str
    location: str
    status: str
    transfer_to: str | None
    claimed_by: str | None
    lines: tuple[tuple[int, int, str], ...]  # (order line id, quantity, source location)


@dataclass(frozen=True)
class OState:
    id: int
    status: str
    method: str
    location: str | None
    lines: tuple[tuple[int, str, int], ...]  # (line id, sku, open units)


@dataclass(frozen=True)
class TState:
    id: int
    sku: str
    to_location: str
    outstanding: int
    order_id: int | None


@dataclass
class Snapshot:
    orders: dict[int, OState]
    fulfillments: list[FState]
    transfers: list[TState]

    def open_work(self, order_id: int | None = None) -> list[FState]:
        return [f for f in self.fulfillments if f.status in OPEN_STATUSES
                and (order_id is None or f.order_id == order_id)]


def _order_of(demand_ref: str | None) -> int | None:
    if not demand_ref or not demand_ref.startswith("order:"):
        return None
    return int(demand_ref.split("/")[0].split(":")[1])


def snapshot() -> Snapshot:
    with read_session() as s:
        orders: dict[int, OState] = {}
        for o in s.scalars(select(Order).order_by(Order.id)):
            lines = tuple((ln.id, ln.sku, ln.quantity - ln.cancelled - ln.fulfilled)
                          for ln in sorted(o.lines, key=lambda ln: ln.id))
            orders[o.id] = OState(o.id, o.status, o.fulfillment_method, o.location_code, lines)
        fuls = [FState(f.id, f.order_id, f.method, f.location_code, f.status, f.transfer_to,
                       f.claimed_by,
                       tuple((ln.order_line_id, ln.quantity, ln.source_location)
                             for ln in f.lines))
                for f in s.scalars(select(Fulfillment).order_by(Fulfillment.id))]
        codes = dict(s.execute(select(Location.id, Location.code)).all())
        skus = dict(s.execute(select(Item.id, Item.sku)).all())
        transfers = [TState(t.id, skus[t.item_id], codes[t.to_location_id],
                            t.quantity - t.received_quantity, _order_of(t.demand_ref))
                     for t in s.scalars(select(Transfer).where(Transfer.status == "in_transit")
                                        .order_by(Transfer.id))]
    return Snapshot(orders, fuls, transfers)


# ------------------------------------------------------------------ checks

def find_problems(book: dict[str, Counter]) -> list[str]:
    """Everything that must hold once no request is running (see the module docstring).
    `book`: per SKU, the units the run's own 2xx answers say it received, adjusted, damaged."""
    problems: list[str] = []
    with read_session() as s:
        problems += [str(d) for d in find_drift(s)]
        problems += [str(d) for d in find_line_drift(s)]
        skus = dict(s.execute(select(Item.id, Item.sku)).all())
        by_kind: dict[str, Counter] = {sku: Counter() for sku in skus.values()}
        for item_id, kind, on_hand in s.execute(
                select(Movement.item_id, Movement.kind, func.sum(Movement.on_hand_delta))
                .group_by(Movement.item_id, Movement.kind)):
            by_kind[skus[item_id]][kind] = int(on_hand or 0)
        stock = {skus[i]: (int(a or 0), int(b or 0)) for i, a, b in s.execute(
            select(Balance.item_id, func.sum(Balance.on_hand), func.sum(Balance.in_transit))
            .group_by(Balance.item_id))}
        fulfilled = {sku: int(n or 0) for sku, n in s.execute(
            select(OrderLine.sku, func.sum(OrderLine.fulfilled)).group_by(OrderLine.sku))}
        for sku in sorted(by_kind):
            mine, moved = book.get(sku, Counter()), by_kind[sku]
            for kind, sign in (("receipt", 1), ("adjustment", 1), ("damage", -1)):
                if moved[kind] != sign * mine[kind]:
                    problems.append(f"units_conserved: {sku}: {kind} movements sum to "
                                    f"{moved[kind]}, the API answered 2xx for "
                                    f"{sign * mine[kind]}")
            came_in = mine["receipt"] + mine["adjustment"] - mine["damage"]
            on_hand, in_transit = stock.get(sku, (0, 0))
            shipped = -moved["shipment"]
            if shipped != fulfilled.get(sku, 0):
                problems.append(f"units_conserved: {sku}: shipment movements took {shipped} "
                                f"units out, order lines count {fulfilled.get(sku, 0)} "
                                "shipped or picked up")
            if came_in != on_hand + in_transit + fulfilled.get(sku, 0):
                problems.append(
                    f"units_conserved: {sku}: received {mine['receipt']} + adjusted "
                    f"{mine['adjustment']} - damaged {mine['damage']} = {came_in}, but on hand "
                    f"{on_hand} + in transit {in_transit} + shipped or handed over "
                    f"{fulfilled.get(sku, 0)} = {on_hand + in_transit + fulfilled.get(sku, 0)}")
        held = held_by_demand(s)
        refs = set()
        for line, number, status in s.execute(
                select(OrderLine, Order.number, Order.status)
                .join(Order, Order.id == OrderLine.order_id).order_by(OrderLine.id)):
            refs.add(line.demand_ref)
            holds = held.get(line.demand_ref, 0)
            if holds and (line.cancelled >= line.quantity or status == "cancelled"):
                problems.append(f"cancelled_holds_nothing: order {number} ({status}) line "
                                f"{line.id} ({line.sku}, {line.cancelled} of {line.quantity} "
                                f"cancelled) still holds {holds} in the ledger")
        for ref in sorted(set(held) - refs):
            problems.append(f"no_orphan_demand: the ledger holds {held[ref]} for {ref}, "
                            "which is no order line")
        for number, fid, method, fstatus in s.execute(
                select(Order.number, Fulfillment.id, Fulfillment.method, Fulfillment.status)
                .join(Order, Order.id == Fulfillment.order_id)
                .where(Order.status == "cancelled", Fulfillment.status.in_(OPEN_STATUSES))
                .order_by(Fulfillment.id)):
            problems.append(f"cancelled_has_no_open_work: order {number} is cancelled but its "
                            f"{method} fulfillment {fid} is {fstatus}")
    return problems


def involved(problems: list[str], calls: list[Call]) -> dict[str, list[str]]:
    """For each order a problem names: the round's requests about it (its own path, or one of
    its fulfillments or transfers), so a report says what raced."""
    numbers = sorted({word for p in problems for word in p.replace(",", " ").split()
                      if word.startswith("NW-")})[:4]
    out: dict[str, list[str]] = {}
    with read_session() as s:
        for number in numbers:
            order = s.scalar(select(Order).where(Order.number == number))
            if order is None:
                continue
            work = s.execute(select(Fulfillment.id, Fulfillment.location_code)
                             .where(Fulfillment.order_id == order.id)).all()
            fids, nodes = {i for i, _ in work}, {loc for _, loc in work}
            refs = [ln.demand_ref for ln in order.lines]
            tids = set(s.scalars(select(Transfer.id).where(Transfer.demand_ref.in_(refs))))
            paths = {f"/orders/{order.id}/"} | {f"/fulfillments/{i}/" for i in fids} | {
                f"/transfers/{i}/" for i in tids}
            out[number] = [
                f"{c.status} {c.method} {c.path} [{c.op}]"
                + (f" at {c.sent['location']}" if c.path == "/pick-lists/claim" else "")
                for c in calls
                if any(c.path.startswith(p) for p in paths)
                or (c.path == "/pick-lists/claim" and c.sent.get("location") in nodes)]
    return out


# ------------------------------------------------------------------ one run

@dataclass
class Op:
    name: str
    run: Callable[[Worker], None]


@dataclass
class RoundResult:
    round: int
    ops: int
    requests: int
    five_xx: list[Call]
    problems: list[str]
    seconds: float
    calls: list[Call] = field(default_factory=list, repr=False)
    involved: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.five_xx and not self.problems


@dataclass
class RunResult:
    seed: int
    rounds: list[RoundResult] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    ops: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rounds)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rounds)

    @property
    def five_xx(self) -> list[Call]:
        return [c for r in self.rounds for c in r.five_xx]

    @property
    def problems(self) -> list[str]:
        return [p for r in self.rounds for p in r.problems]

    def what(self) -> str:
        """A short summary of what went wrong: 5xx headlines and invariant names."""
        parts = []
        errors = Counter(f"{c.path.split('/')[1]}/{c.path.split('/')[-1]}: "
                         f"{c.exception()[:100]}" for c in self.five_xx)
        parts += [f"{n}x 5xx {e}" for e, n in errors.most_common(3)]
        kinds = Counter(p.split(":", 1)[0] for p in self.problems)
        parts += [f"{n}x {k}" for k, n in kinds.most_common()]
        return "; ".join(parts) or "-"

    def report(self) -> str:
        out = [f"chaos seed {self.seed} (replay: {SEED_ENV}={self.seed}): "
               f"{len(self.rounds)} rounds, {self.requests} requests, statuses "
               f"{dict(sorted(self.statuses.items()))}"]
        for r in self.rounds:
            if r.ok:
                continue
            out.append(f"-- round {r.round} ({r.ops} operations, {r.requests} requests):")
            out += [f"  5xx {c.headline()}" for c in r.five_xx]
            for c in r.five_xx[:3]:
                out.append(f"  --- {c.method} {c.path} [{c.op}] body={c.body}\n{c.error}")
            out += [f"  drift {p}" for p in r.problems]
            for number, lines in r.involved.items():
                out.append(f"  this round's requests about order {number}:")
                out += [f"    {ln}" for ln in lines]
        out.append(f"seed {self.seed}")
        return "\n".join(out)


class Worker:
    """One operation on one thread: its own test client and random numbers."""

    def __init__(self, chaos: Chaos, op: str, rng: random.Random) -> None:
        self.chaos, self.op, self.rng = chaos, op, rng
        self.client = chaos.app.test_client()

    def call(self, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        errors = self.chaos.server_errors
        errors.begin()
        try:
            response = self.client.open(f"{API}{path}", method=method, json=body,
                                        headers={"Authorization": f"Bearer {key}"})
            status, data, error = response.status_code, response.get_json(silent=True), ""
        except Exception:  # an exception the app let through is a 5xx as far as we care
            status, data, error = 599, None, traceback.format_exc()
        logged = errors.take()
        self.chaos.record(Call(self.op, method, path, status,
                               data if status >= 500 else None, logged or error, body))
        return status, data


class Chaos:
    """A randomized concurrent run against `app` (created on an empty database that has the
    tests' network: `tests.support.build_network`)."""

    def __init__(self, app, seed: int, *, concurrency: int = 20,
                 log: Callable[[str], None] = print, op_timeout: float = 120.0,
                 short_pick_transfers: bool = True) -> None:
        self.app, self.seed, self.concurrency = app, seed, concurrency
        # False leaves out short picks of transfer fulfillments (to look past that known bug).
        self.short_pick_transfers = short_pick_transfers
        self.log, self.op_timeout = log, op_timeout
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.book: dict[str, Counter] = {sku: Counter() for sku in SKUS}
        self.codes: dict[int, str] = {}
        self.orders_placed = 0
        self.seen: set[str] = set()
        self.hung = False
        self.result = RunResult(seed)
        self.server_errors = ServerErrors()
        root = logging.getLogger()
        root.addHandler(self.server_errors)
        if root.getEffectiveLevel() > logging.ERROR:
            root.setLevel(logging.ERROR)  # else the 500 handler's log.exception never reaches us
        self.keys: dict[str, list[str]] = {}
        self.actor_key: dict[str, str] = {}
        for role, where in [("admin", None), ("cs", None), ("channel", None),
                            *[("wms", dc) for dc in WAREHOUSES],
                            *[("store", st) for st in STORES]]:
            for n in (1, 2):
                name = f"chaos-{role}-{where or 'all'}-{n}"
                key = create_api_key(role, name=name, location_code=where,
                                     channel="web" if role == "channel" else None)
                self.keys.setdefault(where or role, []).append(key)
                principal = authenticate(key)
                assert principal is not None
                self.actor_key[principal.actor] = key

    def close(self) -> None:
        logging.getLogger().removeHandler(self.server_errors)

    # -- bookkeeping (any thread)

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)
            self.result.statuses[call.status] += 1

    def booked(self, sku: str, kind: str, quantity: int) -> None:
        with self.lock:
            self.book[sku][kind] += quantity

    def key_at(self, location: str, rng: random.Random, claimed_by: str | None = None) -> str:
        """A key of that node; the lease holder's when the work is claimed (mostly)."""
        if claimed_by in self.actor_key and rng.random() < 0.85:
            return self.actor_key[claimed_by]  # type: ignore[index]
        return rng.choice(self.keys[location])

    def transfers_at(self, fid: int) -> bool:
        with read_session() as s:
            return s.scalar(select(Fulfillment.method).where(Fulfillment.id == fid)) == "transfer"

    def key(self, role: str, rng: random.Random) -> str:
        return rng.choice(self.keys[role])

    # -- the run

    def run(self, rounds: int, *, first_orders: int = 10, keep_going: bool = False,
            deadline: float | None = None) -> RunResult:
        """Round 0: initial stock and `first_orders` orders at once; then up to `rounds` mixed
        rounds (fewer if `deadline`, a `time.monotonic()` value, passes). Stops at the first
        round that fails unless `keep_going` (then each round reports only problems not seen
        before)."""
        self.log(f"chaos seed {self.seed} (replay with {SEED_ENV}={self.seed})")
        self._stock_in()
        plan = [self._place_order(self.rng) for _ in range(first_orders)]
        plan += [self._claim(self.rng.choice(NODES)) for _ in range(3)]
        ok = self._play(0, plan, since=0)
        for n in range(1, rounds + 1):
            if (not ok and not keep_going) or (deadline and time.monotonic() > deadline):
                break
            if self.hung:
                break  # a request still running: the state is not ours to read
            ok = self._play(n, self.plan(n))
        return self.result

    def _stock_in(self) -> None:
        """Scarce stock: a few units per warehouse, little in stores, nothing in Brooklyn."""
        worker = Worker(self, "initial stock", self.rng)
        for sku in SKUS:
            for node, (low, high) in (("dc-east", (1, 5)), ("dc-central", (1, 5)),
                                      ("store-soho", (0, 2)), ("store-chicago", (0, 2))):
                qty = self.rng.randint(low, high)
                if qty:
                    status, _ = worker.call(self.keys["admin"][0], "POST", "/stock/movements",
                                            {"sku": sku, "location": node, "kind": "receipt",
                                             "quantity": qty})
                    if status == 201:
                        self.booked(sku, "receipt", qty)

    def _play(self, round_no: int, ops: list[Op], since: int | None = None) -> bool:
        started = time.perf_counter()
        before = len(self.calls) if since is None else since
        start = threading.Barrier(len(ops))
        harness: list[str] = []

        def work(i: int, op: Op) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=30)
            try:
                op.run(Worker(self, op.name, random.Random(f"{self.seed}:{round_no}:{i}")))
            except Exception:
                with self.lock:
                    harness.append(f"harness error in {op.name}: {traceback.format_exc()}")

        threads = [threading.Thread(target=work, args=(i, op), daemon=True,
                                    name=f"chaos-{round_no}-{i}")
                   for i, op in enumerate(ops)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.op_timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        hung = [op.name for t, op in zip(threads, ops, strict=True) if t.is_alive()]
        for op in ops:
            self.result.ops[op.name] += 1
        with self.lock:
            calls = self.calls[before:]
        five_xx = [c for c in calls if c.status >= 500]
        problems = [*harness, *(f"hung: {name} still running after {self.op_timeout:.0f} s"
                                for name in hung)]
        self.hung = bool(hung)
        if not hung:  # never check while a request may still be writing
            found = list(dict.fromkeys(find_problems(self.book)))
            problems += [p for p in found if p not in self.seen]
            self.seen.update(found)
        result = RoundResult(round_no, len(ops), len(calls), five_xx, problems,
                             time.perf_counter() - started, calls,
                             involved(problems, calls) if problems else {})
        self.result.rounds.append(result)
        statuses = Counter(c.status for c in calls)
        self.log(f"  round {round_no}: {len(ops)} ops, {len(calls)} requests "
                 f"{dict(sorted(statuses.items()))}, {len(five_xx)} 5xx, "
                 f"{len(problems)} problems, {result.seconds:.1f} s")
        return result.ok

    # -- planning

    def plan(self, round_no: int) -> list[Op]:
        """About `concurrency` operations: some aimed at a few hot orders together, the rest
        a weighted mix. Everything iterates in id order, so the plan is a function of the
        seed and the state."""
        rng, state = self.rng, snapshot()
        ops: list[Op] = []
        busy = [o for o in state.orders.values() if state.open_work(o.id)]
        # Orders with transfers, several pieces of work or several lines are the interesting
        # ones: weight them up.
        weights = [1 + 3 * any(f.method == "transfer" for f in state.open_work(o.id))
                   + len(state.open_work(o.id)) + len(o.lines) for o in busy]
        hot: list[OState] = []
        while busy and len(hot) < min(3, len(busy)):
            pick = rng.choices(busy, weights)[0]
            if pick not in hot:
                hot.append(pick)
        for order in hot:
            choices = self._aimed_at(order, state, rng)
            for _ in range(min(len(choices), rng.randint(2, 4))):
                ops.append(choices.pop(rng.randrange(len(choices))))
        while len(ops) < self.concurrency:
            ops.append(self._any(state, rng))
        return ops[: self.concurrency]

    def _aimed_at(self, order: OState, state: Snapshot, rng: random.Random) -> list[Op]:
        work = state.open_work(order.id)
        ops = [self._cancel_order(order.id), self._cancel_lines(order, rng),
               self._reroute(order.id)]
        if order.method in ("ship", "pickup"):
            ops.append(self._add_units(order, rng))
        for f in work:
            ops.append(self._reject(f))
            ops.append(self._advance(f, state))
            ops.append(self._claim(f.location))
        ops += [self._receive(t, rng) for t in state.transfers if t.order_id == order.id]
        return ops

    def _any(self, state: Snapshot, rng: random.Random) -> Op:
        work = state.open_work()
        table: list[tuple[float, Callable[[], Op | None]]] = [
            (5, lambda: self._place_order(rng)),
            (3, lambda: self._claim(rng.choice(WAREHOUSES))),
            (2, lambda: self._claim(rng.choice(STORES))),
            (4, lambda: self._advance(rng.choice(work), state) if work else None),
            (1.5, lambda: self._reject(rng.choice(work)) if work else None),
            (3, lambda: self._receive(rng.choice(state.transfers), rng)
             if state.transfers else None),
            (1, lambda: self._cancel_order(rng.choice(list(state.orders)))
             if state.orders else None),
            (1.5, lambda: self._cancel_lines(state.orders[rng.choice(list(state.orders))], rng)
             if state.orders else None),
            (2, lambda: self._receipt(rng)),
            (1.5, lambda: self._adjust(rng)),
            (0.5, lambda: self._damage(rng)),
            (1.5, lambda: self._stock_transfer(rng)),
            (0.5, lambda: self._reroute(rng.choice(list(state.orders)))
             if state.orders else None),
        ]
        weights = [w for w, _ in table]
        while True:
            op = rng.choices(table, weights)[0][1]()
            if op is not None:
                return op

    # -- operations (each returns an Op whose `run` executes on a worker thread)

    def _place_order(self, rng: random.Random) -> Op:
        self.orders_placed += 1
        n = self.orders_placed
        skus = rng.sample(SKUS, rng.choice((1, 1, 2, 2, 3)))
        lines = [{"sku": sku, "quantity": rng.randint(1, 3), "unit_price": "10.00"}
                 for sku in skus]
        if rng.random() < 0.55:
            fulfillment = {"method": "pickup", "pickup_location": rng.choice(PICKUP_STORES)}
        else:
            fulfillment = {"method": "ship", "address": rng.choice(SHIP_TO)}
        body = {"channel": "web", "external_id": f"chaos-{self.seed}-{n}", "currency": "USD",
                "customer": {"email": f"buyer{n % 7}@example.com"}, "lines": lines,
                "fulfillment": fulfillment}
        key = self.key("channel", rng)
        return Op(f"order {fulfillment['method']} {len(lines)} lines",
                  lambda w: w.call(key, "POST", "/orders", body) and None)

    def _cancel_order(self, order_id: int) -> Op:
        key = self.keys["cs"][0]
        return Op("cancel order", lambda w: w.call(key, "POST", f"/orders/{order_id}/cancel", {})
                  and None)

    def _cancel_lines(self, order: OState, rng: random.Random) -> Op:
        open_lines = [(lid, q) for lid, _, q in order.lines if q > 0] or [
            (lid, 1) for lid, _, _ in order.lines]
        chosen = rng.sample(open_lines, rng.randint(1, len(open_lines)))
        body = {"lines": [{"line_id": lid, "quantity": rng.randint(1, q)} for lid, q in chosen],
                "reason": "chaos"}
        key = self.keys["cs"][1]
        return Op("cancel lines", lambda w: w.call(key, "POST", f"/orders/{order.id}/cancel",
                                                   body) and None)

    def _reroute(self, order_id: int) -> Op:
        key = self.keys["cs"][0]
        return Op("reroute", lambda w: w.call(key, "POST", f"/orders/{order_id}/reroute", {})
                  and None)

    def _add_units(self, order: OState, rng: random.Random) -> Op:
        if order.lines and rng.random() < 0.6:
            line = rng.choice(order.lines)
            body = {"lines": [{"line_id": line[0], "quantity": rng.randint(1, 2)}]}
        else:
            body = {"lines": [{"sku": rng.choice(SKUS), "quantity": rng.randint(1, 2),
                               "unit_price": "10.00"}]}
        key = self.keys["cs"][1]
        return Op("add units", lambda w: w.call(key, "POST", f"/orders/{order.id}/lines", body)
                  and None)

    def _reject(self, f: FState) -> Op:
        def run(w: Worker) -> None:
            key = self.key_at(f.location, w.rng, f.claimed_by)
            w.call(key, "POST", f"/fulfillments/{f.id}/reject", {"reason": "chaos: cannot"})

        return Op(f"reject {f.method} at {'store' if f.location in STORES else 'dc'}", run)

    def _advance(self, f: FState, state: Snapshot) -> Op:
        """The next natural step of this piece of work: pick (full or short) and ship, make a
        pickup ready (and often hand it over), or hand over a ready one with its code."""
        if f.method == "pickup":
            if f.status == "ready_for_pickup":
                return self._hand_over(f)
            return self._ready(f, and_pickup=self.rng.random() < 0.5)
        return Op(f"pick+ship {f.method}", lambda w: self._pick_and_ship(w, f.id, f.location,
                                                                       list(f.lines),
                                                                       f.claimed_by))

    def _pick_and_ship(self, w: Worker, fid: int, location: str,
                       lines: list[tuple[int, int, str]], claimed_by: str | None) -> None:
        key = self.key_at(location, w.rng, claimed_by)
        roll = w.rng.random()
        if roll < 0.15:  # ship without confirming a pick
            w.call(key, "POST", f"/fulfillments/{fid}/ship",
                   {"carrier": "UPS", "tracking_number": f"1Z{fid:08d}"})
            return
        picked = [{"line_id": lid, "picked_quantity": q} for lid, q, _ in lines]
        short_ok = self.short_pick_transfers or not self.transfers_at(fid)
        if roll < 0.45 and picked and short_ok:  # short on one line
            one = w.rng.randrange(len(picked))
            picked[one]["picked_quantity"] = w.rng.randint(0, picked[one]["picked_quantity"] - 1)
        status, _ = w.call(key, "POST", f"/fulfillments/{fid}/pick", {"lines": picked})
        if status == 200 and w.rng.random() < 0.8:
            w.call(key, "POST", f"/fulfillments/{fid}/ship",
                   {"carrier": "UPS", "tracking_number": f"1Z{fid:08d}"})

    def _ready(self, f: FState, *, and_pickup: bool) -> Op:
        def run(w: Worker) -> None:
            key = self.key_at(f.location, w.rng, f.claimed_by)
            status, data = w.call(key, "POST", f"/fulfillments/{f.id}/ready-for-pickup")
            if status == 200 and data and data.get("pickup_code"):
                with self.lock:
                    self.codes[f.id] = data["pickup_code"]
                if and_pickup:
                    w.call(key, "POST", f"/fulfillments/{f.id}/pickup",
                           {"code": data["pickup_code"]})

        return Op("ready for pickup" + (" + pickup" if and_pickup else ""), run)

    def _hand_over(self, f: FState) -> Op:
        def run(w: Worker) -> None:
            with self.lock:
                code = self.codes.get(f.id)
            if code is None or w.rng.random() < 0.05:
                code = "WRONG123"
            w.call(self.key_at(f.location, w.rng), "POST", f"/fulfillments/{f.id}/pickup",
                   {"code": code})

        return Op("pickup with code", run)

    def _claim(self, location: str) -> Op:
        """Claim a little work with a short lease and do it: pick (full or short) and ship,
        ship at once, reject, or for pickups make them ready and hand over."""
        def run(w: Worker) -> None:
            key = self.key_at(location, w.rng)
            status, data = w.call(key, "POST", "/pick-lists/claim",
                                  {"location": location, "limit": w.rng.randint(1, 3),
                                   "lease_seconds": w.rng.randint(1, 3)})
            if status != 200 or not data:
                return
            for item in data.get("items", []):
                fid = item["id"]
                lines = [(ln["line_id"], ln["quantity"], ln["source_location"])
                         for ln in item["lines"]]
                roll = w.rng.random()
                if roll < 0.15:
                    w.call(key, "POST", f"/fulfillments/{fid}/reject",
                           {"reason": "chaos: claimed, cannot"})
                elif item["method"] == "pickup":
                    status, ready = w.call(key, "POST", f"/fulfillments/{fid}/ready-for-pickup")
                    if status == 200 and ready and ready.get("pickup_code"):
                        with self.lock:
                            self.codes[fid] = ready["pickup_code"]
                        if w.rng.random() < 0.5:
                            w.call(key, "POST", f"/fulfillments/{fid}/pickup",
                                   {"code": ready["pickup_code"]})
                else:
                    actor = next((a for a, k in self.actor_key.items() if k == key), None)
                    self._pick_and_ship(w, fid, location, lines, actor)

        return Op(f"claim at {'store' if location in STORES else 'dc'}", run)

    def _receive(self, t: TState, rng: random.Random) -> Op:
        body: dict[str, Any] = {}
        if t.outstanding > 1 and rng.random() < 0.3:
            body["quantity"] = rng.randint(1, t.outstanding - 1)

        def run(w: Worker) -> None:
            w.call(self.key_at(t.to_location, w.rng), "POST", f"/transfers/{t.id}/receive", body)

        return Op("receive transfer" + (" (part)" if body else ""), run)

    def _movement(self, name: str, body: dict, booked: tuple[str, int] | None) -> Op:
        def run(w: Worker) -> None:
            status, _ = w.call(self.key_at(body["location"], w.rng), "POST", "/stock/movements",
                               body)
            if status == 201 and booked:
                self.booked(body["sku"], *booked)

        return Op(name, run)

    def _receipt(self, rng: random.Random) -> Op:
        sku, node, qty = rng.choice(SKUS), rng.choice(NODES), rng.randint(1, 4)
        return self._movement("receipt", {"sku": sku, "location": node, "kind": "receipt",
                                          "quantity": qty}, ("receipt", qty))

    def _adjust(self, rng: random.Random) -> Op:
        sku, node = rng.choice(SKUS), rng.choice(NODES)
        qty = rng.choice((-2, -1, -1, 1, 2))
        return self._movement("adjustment", {"sku": sku, "location": node,
                                             "kind": "adjustment", "quantity": qty},
                              ("adjustment", qty))

    def _damage(self, rng: random.Random) -> Op:
        sku, node = rng.choice(SKUS), rng.choice(NODES)
        return self._movement("damage", {"sku": sku, "location": node, "kind": "damage",
                                         "quantity": 1}, ("damage", 1))

    def _stock_transfer(self, rng: random.Random) -> Op:
        source, destination = rng.sample(NODES, 2)
        return self._movement("stock transfer", {
            "sku": rng.choice(SKUS), "location": source, "kind": "transfer",
            "to_location": destination, "quantity": rng.randint(1, 2)}, None)
