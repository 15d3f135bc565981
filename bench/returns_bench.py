"""Returns benchmark on PostgreSQL (run by hand; see bench/README.md), in-process use cases.

Prints, in one run:
  1. returns authorised per second (`returns.use_cases.create_return`: the order locked, its
     lines described, the rules, the refund, the return and the order's counters, timeline and
     outbox rows) at 1 and 4 concurrent clients, p50/p99 latency;
  2. returns received per second (`receive`, restock: a `return_restock` movement at the
     store, the refund record) at 1 and 4 clients;
  3. statements per return: one authorisation and one receipt by one client, by shape;
  4. the ledger's and order lines' invariants after it all (drift rows: must be 0).

The orders returned are carry-out sales at 20 stores (handed over at once), one line of one
of 50 SKUs each, 2 units; every return takes 1 unit back at the store that sold it.
The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench_returns` by default, dropped and recreated), or else from a throwaway
PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from decimal import Decimal

from bench_common import (
    add_database_arguments,
    check_database_arguments,
    log,
    machine_facts,
    percentile,
    postgres_server,
    recreate_database,
    statement_shape,
)
from sqlalchemy import event

from core.db import get_database, init_database, read_session
from inventory import services
from inventory.invariants import find_drift
from inventory.ledger import Cause
from oms import orders
from oms.app import wire
from oms.customers import SeenIdentity
from oms.invariants import find_line_drift
from oms.migrate import upgrade
from returns import use_cases

STORES = 20
SKUS = 50
CAUSE = Cause(actor="bench", reference="bench")


def seed(orders_wanted: int) -> list[tuple[int, int, str]]:
    """Stores, items, stock, and carry-out orders: (order id, line id, store) each."""
    for s in range(STORES):
        services.create_location(dict(code=f"store-{s:02d}", name=f"Store {s}", kind="store",
                                      latitude=40 + s * 0.1, longitude=-74 + s * 0.1,
                                      ships=True, pickup=True, priority=0))
    for k in range(SKUS):
        services.create_item(dict(sku=f"SKU-{k:03d}", name=f"Item {k}", price="29.99",
                                  weight_grams=500))
        for s in range(STORES):
            services.receive(f"SKU-{k:03d}", f"store-{s:02d}", 10_000, CAUSE)
    made = []
    for n in range(orders_wanted):
        store = f"store-{n % STORES:02d}"
        placed = orders.place_order(orders.PlaceOrder(
            channel="pos", external_id=f"bench-{n}", currency="USD",
            lines=(orders.LineInput(f"SKU-{n % SKUS:03d}", 2, Decimal("29.99")),),
            method="carry_out", sale_location=store,
            customer=SeenIdentity(email=f"c{n % 997}@example.com"), actor="bench",
            source="bench"))
        with read_session() as session:
            from oms.models import Order

            order = session.get(Order, placed.order_id)
            assert order is not None
            made.append((order.id, order.lines[0].id, store))
    return made


def cell(label: str, jobs: list, threads: int, fn) -> None:
    latencies: list[float] = []
    errors = Counter()
    lock = threading.Lock()

    def one(job) -> None:
        start = time.perf_counter()
        try:
            fn(job)
        except Exception as exc:  # counted and shown
            with lock:
                errors[type(exc).__name__] += 1
            return
        with lock:
            latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, jobs))
    wall = time.perf_counter() - started
    latencies.sort()
    log(f"  {label:<28}{threads:>3} clients {len(latencies) / wall:>9.1f}/s   "
        f"p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms   errors {dict(errors) or 0}")


def create(job: tuple[int, int, str]) -> int:
    order_id, line_id, store = job
    return use_cases.create_return(use_cases.CreateReturn(
        order_id=order_id, lines=(use_cases.ReturnLineInput(line_id, 1, "wrong_size"),),
        location=store, actor="bench", source="bench"), None)


def receive(job: tuple[int, int]) -> None:
    return_id, line_id = job
    use_cases.receive(return_id, [use_cases.ReceiveLineInput(line_id, 1, "restock")], None,
                      actor="bench", source="bench")


def statements(fn) -> Counter:
    shapes: Counter = Counter()

    def on_execute(_conn, _cursor, statement, _params, _context, _many) -> None:
        shapes[statement_shape(statement)] += 1

    def on_commit(_conn) -> None:
        shapes["COMMIT"] += 1

    engine = get_database().engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return shapes


def run(server: str, args: argparse.Namespace) -> None:
    url = recreate_database(server, args.db_name)
    for line in machine_facts(url, ("max_connections", "shared_buffers", "synchronous_commit")):
        log(line)
    upgrade(url)
    init_database(url, pool_size=8)
    wire()
    per_cell = args.returns
    cells = [1, 4]
    started = time.perf_counter()
    made = seed(per_cell * len(cells) + 1)
    log(f"seeded {len(made)} carry-out orders in {time.perf_counter() - started:.1f} s")
    log("")
    log(f"returns: {per_cell} per cell, one unit of a 2-unit line each")
    created: list[tuple[int, int]] = []
    for i, threads in enumerate(cells):
        jobs = made[i * per_cell:(i + 1) * per_cell]
        ids: list[int] = []
        lock = threading.Lock()

        def make(job, ids=ids, lock=lock) -> None:
            rid = create(job)
            with lock:
                ids.append(rid)

        cell("authorise (create_return)", jobs, threads, make)
        by_id = {order_id: line_id for order_id, line_id, _ in jobs}
        with read_session() as session:
            from returns.models import Return

            rows = session.query(Return.id, Return.order_id).filter(Return.id.in_(ids)).all()
        created += [(rid, by_id[oid]) for rid, oid in rows]
    for i, threads in enumerate(cells):
        cell("receive (restock)", created[i * per_cell:(i + 1) * per_cell], threads, receive)
    log("")
    last = made[-1]
    made_id: list[int] = []
    one_create = statements(lambda: made_id.append(create(last)))
    one_receive = statements(lambda: receive((made_id[0], last[1])))
    for label, shapes in (("one authorisation", one_create), ("one receipt", one_receive)):
        log(f"statements per {label}: {sum(shapes.values())}")
        for shape, n in sorted(shapes.items(), key=lambda kv: (-kv[1], kv[0])):
            log(f"    {n:>3}  {shape}")
    with read_session() as session:
        drift = len(find_drift(session)) + len(find_line_drift(session))
    log(f"invariants after the run: {drift} drift rows")
    if drift:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 returns per cell")
    parser.add_argument("--returns", type=int, default=2000, help="returns per cell")
    add_database_arguments(parser, "oms_bench_returns")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    if args.quick:
        args.returns = 200
    started = time.perf_counter()
    with postgres_server(args.keep_db, args.db_name) as server:
        try:
            run(server, args)
        finally:
            with suppress(RuntimeError):
                get_database().dispose()
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
