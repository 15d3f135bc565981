"""The ledger under real concurrency (PostgreSQL only): threads released together by a barrier
call the inventory use cases directly, each in its own pooled session, and the outcome must be
exactly what the stock permits: no oversell, no deadlock, no unexpected exception type, and a
ledger that still balances afterwards."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from core.db import read_session
from core.errors import Conflict, DomainError, InsufficientStock
from inventory import services
from inventory.ledger import Cause
from inventory.models import Item, Location, Movement
from tests.support import CAUSE, assert_ledger_clean, balance

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("network")]


@dataclass
class Outcome:
    label: str
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def race(calls: list[tuple[str, Callable[[], Any]]]) -> list[Outcome]:
    """Run every call in its own thread, all released at once; return outcomes in order."""
    barrier = threading.Barrier(len(calls))

    def run(label: str, fn: Callable[[], Any]) -> Outcome:
        barrier.wait(timeout=30)
        try:
            return Outcome(label, value=fn())
        except Exception as exc:
            return Outcome(label, error=exc)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, label, fn) for label, fn in calls]
        return [f.result(timeout=120) for f in futures]


def assert_only_domain_errors(outcomes: list[Outcome],
                              allowed: tuple[type[DomainError], ...] = (DomainError,)) -> None:
    """Refusals are expected; anything else (a deadlock, a constraint violation surfacing as
    IntegrityError, a serialization failure) is a bug and is reported with its traceback."""
    unexpected = [o for o in outcomes if o.error is not None and not isinstance(o.error, allowed)]
    assert not unexpected, "\n\n".join(
        f"{o.label}: {type(o.error).__name__}\n"
        + "".join(traceback.format_exception(o.error))[-3000:]
        for o in unexpected[:3])


def _reserve(sku: str, location: str, quantity: int, demand: str) -> Callable[[], int]:
    return lambda: services.reserve([(sku, location, quantity)], demand, CAUSE)


# ---------------------------------------------------------------- single-row reservations

@pytest.mark.parametrize(("on_hand", "safety_stock"), [(10, 0), (13, 3)])
def test_fifty_buyers_for_ten_units_exactly_ten_win(on_hand, safety_stock):
    services.receive("JKT-1", "dc-east", on_hand, CAUSE)
    if safety_stock:
        services.set_safety_stock("JKT-1", "dc-east", safety_stock)

    outcomes = race([(f"buyer-{i}", _reserve("JKT-1", "dc-east", 1, f"order:{i}/line:1"))
                     for i in range(50)])

    assert_only_domain_errors(outcomes, (InsufficientStock,))
    winners = [o for o in outcomes if o.ok]
    losers = [o for o in outcomes if not o.ok]
    assert len(winners) == 10
    assert len(losers) == 40
    assert all("insufficient" in str(o.error).lower() for o in losers)
    row = balance("JKT-1", "dc-east")
    assert (row["on_hand"], row["reserved"], row["available"]) == (on_hand, 10, 0)
    assert_ledger_clean()


# ---------------------------------------------------------------- multi-line reservations

def test_multi_line_reservations_in_opposite_orders_are_all_or_nothing_without_deadlock():
    services.receive("JKT-1", "dc-east", 15, CAUSE)
    services.receive("BOOT-1", "dc-east", 11, CAUSE)
    services.receive("SOCK-1", "dc-central", 40, CAUSE)

    def order(i: int) -> Callable[[], int]:
        lines = [("JKT-1", "dc-east", 1), ("BOOT-1", "dc-east", 1), ("SOCK-1", "dc-central", 1)]
        if i % 2:
            lines.reverse()
        if i % 3 == 0:
            lines = [lines[1], lines[0], lines[2]]
        return lambda: services.reserve(lines, f"order:{i}", CAUSE)

    outcomes = race([(f"order-{i}", order(i)) for i in range(30)])

    assert_only_domain_errors(outcomes, (InsufficientStock,))
    successes = sum(o.ok for o in outcomes)
    assert successes == 11  # BOOT-1 is the bottleneck
    assert all(o.value == 3 for o in outcomes if o.ok)
    jkt, boot, sock = (balance("JKT-1", "dc-east"), balance("BOOT-1", "dc-east"),
                       balance("SOCK-1", "dc-central"))
    assert jkt["reserved"] == boot["reserved"] == sock["reserved"] == successes
    assert (jkt["available"], boot["available"], sock["available"]) == (4, 0, 29)
    assert_ledger_clean()


def test_reserving_and_releasing_the_same_demand_concurrently_does_not_deadlock():
    """A demand topped up while it is partly released or shipped (an order edited while the
    warehouse works on it) touches the same balance row and the same reservation row."""
    services.receive("JKT-1", "dc-east", 100, CAUSE)
    services.reserve([("JKT-1", "dc-east", 30)], "order:1", CAUSE)

    calls: list[tuple[str, Callable[[], Any]]] = []
    for i in range(8):
        calls.append((f"top-up-{i}", _reserve("JKT-1", "dc-east", 1, "order:1")))
        calls.append((f"release-{i}", lambda: services.release(
            "JKT-1", "dc-east", 1, "order:1", CAUSE)))
        calls.append((f"consume-{i}", lambda: services.consume(
            "JKT-1", "dc-east", 1, "order:1", CAUSE)))
    outcomes = race(calls)

    # 30 held + 8 more - 8 released - 8 shipped: every operation has the stock it needs.
    assert_only_domain_errors(outcomes, ())
    row = balance("JKT-1", "dc-east")
    assert (row["on_hand"], row["reserved"], row["available"]) == (92, 22, 70)
    assert_ledger_clean()


# ---------------------------------------------------------------- transfers

def test_transfers_racing_reservations_never_move_or_promise_more_than_there_is():
    services.receive("JKT-1", "dc-east", 20, CAUSE)

    calls: list[tuple[str, Callable[[], Any]]] = []
    for i in range(20):
        calls.append((f"transfer-{i}", lambda: services.transfer(
            "JKT-1", "dc-east", "store-soho", 1, CAUSE)))
        calls.append((f"reserve-{i}", _reserve("JKT-1", "dc-east", 1, f"order:{i}")))
    outcomes = race(calls)

    assert_only_domain_errors(outcomes, (InsufficientStock,))
    transferred = sum(o.ok for o in outcomes if o.label.startswith("transfer"))
    reserved = sum(o.ok for o in outcomes if o.label.startswith("reserve"))
    # Every refusal saw no free unit, and free units only go down here: all 20 are used.
    assert transferred + reserved == 20
    source, destination = balance("JKT-1", "dc-east"), balance("JKT-1", "store-soho")
    assert (source["on_hand"], source["reserved"], source["available"]) == (
        20 - transferred, reserved, 0)
    assert (destination["on_hand"], destination["in_transit"]) == (0, transferred)
    assert_ledger_clean()

    # Receiving them all at once lands every unit exactly once.
    ids = [o.value["id"] for o in outcomes if o.ok and o.label.startswith("transfer")]
    received = race([(f"receive-{t}", lambda t=t: services.receive_transfer(t, CAUSE))
                     for t in ids])
    assert_only_domain_errors(received, ())
    destination = balance("JKT-1", "store-soho")
    assert (destination["on_hand"], destination["in_transit"]) == (transferred, 0)
    assert_ledger_clean()


def test_opposite_direction_transfers_do_not_deadlock():
    for sku in ("JKT-1", "BOOT-1"):
        services.receive(sku, "dc-east", 30, CAUSE)
        services.receive(sku, "store-soho", 30, CAUSE)

    calls: list[tuple[str, Callable[[], Any]]] = []
    for i in range(10):
        for sku in ("JKT-1", "BOOT-1"):
            calls.append((f"east-to-soho-{sku}-{i}", lambda sku=sku: services.transfer(
                sku, "dc-east", "store-soho", 1, CAUSE)))
            calls.append((f"soho-to-east-{sku}-{i}", lambda sku=sku: services.transfer(
                sku, "store-soho", "dc-east", 1, CAUSE)))
    # A few reservations on the same rows in the mix, touching them in lock order too.
    for i in range(8):
        calls.append((f"reserve-{i}", lambda i=i: services.reserve(
            [("BOOT-1", "store-soho", 1), ("JKT-1", "dc-east", 1)], f"order:{i}", CAUSE)))
    outcomes = race(calls)

    assert_only_domain_errors(outcomes, ())
    for sku in ("JKT-1", "BOOT-1"):
        for code in ("dc-east", "store-soho"):
            row = balance(sku, code)
            assert (row["on_hand"], row["in_transit"]) == (20, 10)
    assert balance("BOOT-1", "store-soho")["reserved"] == 8
    assert balance("JKT-1", "dc-east")["reserved"] == 8
    assert_ledger_clean()


def test_concurrent_partial_receipts_of_one_transfer_never_over_receive():
    services.receive("BOOT-1", "dc-east", 10, CAUSE)
    moved = services.transfer("BOOT-1", "dc-east", "store-chicago", 6, CAUSE)

    outcomes = race([(f"receive-{i}", lambda: services.receive_transfer(
        moved["id"], CAUSE, quantity=1)) for i in range(15)])

    assert_only_domain_errors(outcomes, (Conflict,))
    assert sum(o.ok for o in outcomes) == 6
    assert all("already received" in str(o.error) for o in outcomes if not o.ok)
    row = balance("BOOT-1", "store-chicago")
    assert (row["on_hand"], row["in_transit"]) == (6, 0)
    assert_ledger_clean()


def test_transfer_carrying_a_demand_races_its_release():
    """Shipping a demand's reserved units and releasing them compete for one reservation."""
    services.receive("SOCK-1", "dc-east", 10, CAUSE)
    services.reserve([("SOCK-1", "dc-east", 10)], "order:1", CAUSE)

    calls: list[tuple[str, Callable[[], Any]]] = []
    for i in range(10):
        calls.append((f"transfer-{i}", lambda: services.transfer(
            "SOCK-1", "dc-east", "store-brooklyn", 1, CAUSE, demand_ref="order:1")))
        calls.append((f"release-{i}", lambda: services.release(
            "SOCK-1", "dc-east", 1, "order:1", CAUSE)))
    outcomes = race(calls)

    assert_only_domain_errors(outcomes, (Conflict,))
    transferred = sum(o.ok for o in outcomes if o.label.startswith("transfer"))
    released = sum(o.ok for o in outcomes if o.label.startswith("release"))
    assert transferred + released == 10
    source = balance("SOCK-1", "dc-east")
    assert (source["on_hand"], source["reserved"]) == (10 - transferred, 0)
    assert balance("SOCK-1", "store-brooklyn")["in_transit"] == transferred
    assert_ledger_clean()


# ---------------------------------------------------------------- adjustments and damage

def test_adjustments_and_damage_racing_reservations_keep_reserved_within_on_hand():
    initial = 30
    services.receive("JKT-1", "store-soho", initial, CAUSE)

    calls: list[tuple[str, Callable[[], Any]]] = []
    deltas: dict[str, int] = {}
    for i in range(12):
        calls.append((f"reserve-{i}", _reserve("JKT-1", "store-soho", 2, f"order:{i}")))
    for i in range(10):
        deltas[f"adjust-down-{i}"] = -3
        calls.append((f"adjust-down-{i}", lambda: services.adjust(
            "JKT-1", "store-soho", -3, CAUSE)))
    for i in range(5):
        deltas[f"adjust-up-{i}"] = 2
        calls.append((f"adjust-up-{i}", lambda: services.adjust(
            "JKT-1", "store-soho", 2, CAUSE)))
    for i in range(8):
        deltas[f"damage-{i}"] = -2
        calls.append((f"damage-{i}", lambda: services.damage(
            "JKT-1", "store-soho", 2, CAUSE)))

    samples: list[dict] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            samples.append(balance("JKT-1", "store-soho"))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcomes = race(calls)
    finally:
        stop.set()
        watcher.join(timeout=30)

    assert_only_domain_errors(outcomes, (InsufficientStock, Conflict))
    assert samples
    for row in samples:
        assert 0 <= row["reserved"] <= row["on_hand"], row
        assert row["available"] >= 0, row
    succeeded = {o.label for o in outcomes if o.ok}
    reservations = sum(label.startswith("reserve") for label in succeeded)
    expected_on_hand = initial + sum(d for label, d in deltas.items() if label in succeeded)
    row = balance("JKT-1", "store-soho")
    assert row["on_hand"] == expected_on_hand
    assert row["reserved"] == 2 * reservations
    assert row["reserved"] <= row["on_hand"]
    # Every successful change left a balance that satisfied the guard, so each reported one.
    for o in outcomes:
        if o.ok and not o.label.startswith("reserve"):
            seen = o.value["balance"]
            assert 0 <= seen["reserved"] <= seen["on_hand"]
    assert_ledger_clean()


# ---------------------------------------------------------------- counts and receipts

def _replay(sku: str, location: str, counts: dict[str, int]) -> int:
    """Replay the movements of `sku` at `location` in the order they were written (each took
    the balance row lock before writing its movement, so id order is the order the row was
    changed in) and check that every cycle count's delta was taken against what the row held
    at that point: i.e. that the outcome is the one of a serial execution."""
    with read_session() as session:
        moves = session.execute(
            select(Movement.kind, Movement.on_hand_delta, Movement.reference)
            .join(Item, Item.id == Movement.item_id)
            .join(Location, Location.id == Movement.location_id)
            .where(Item.sku == sku, Location.code == location)
            .order_by(Movement.id)
        ).all()
    running = 0
    for kind, delta, reference in moves:
        running += delta
        if kind == "cycle_count":
            assert running == counts[reference], (
                f"{reference} counted {counts[reference]} but its movement left {running}")
    return running


def test_cycle_counts_and_receipts_on_one_row_serialize():
    services.receive("BOOT-1", "store-soho", 10, CAUSE)
    counts = {f"count:{i}": 5 + 3 * i for i in range(10)}

    calls: list[tuple[str, Callable[[], Any]]] = []
    for reference, counted in counts.items():
        cause = Cause(actor="test", reference=reference)
        calls.append((reference, lambda counted=counted, cause=cause: services.count(
            "BOOT-1", "store-soho", counted, cause)))
    for i in range(15):
        calls.append((f"receipt:{i}", lambda i=i: services.receive(
            "BOOT-1", "store-soho", i + 1, Cause(actor="test", reference=f"receipt:{i}"))))
    outcomes = race(calls)

    assert_only_domain_errors(outcomes, ())
    final = balance("BOOT-1", "store-soho")["on_hand"]
    assert _replay("BOOT-1", "store-soho", counts) == final
    assert_ledger_clean()


def test_first_cycle_counts_of_a_never_stocked_row_serialize():
    """No balance row exists yet, so there is no row to lock: the counts must still behave
    as if they ran one after another, leaving the last one's value."""
    counts = {f"count:{i}": i + 1 for i in range(10)}
    outcomes = race([(reference, lambda counted=counted, reference=reference: services.count(
        "SOCK-1", "store-chicago", counted, Cause(actor="test", reference=reference)))
        for reference, counted in counts.items()])

    assert_only_domain_errors(outcomes, ())
    final = balance("SOCK-1", "store-chicago")["on_hand"]
    assert final in counts.values(), f"on_hand is {final}: the counts added up"
    assert _replay("SOCK-1", "store-chicago", counts) == final
    assert_ledger_clean()


# ---------------------------------------------------------------- the allocation guard

@pytest.mark.parametrize("exclusive", [False, True])
def test_the_allocation_guard_never_blocks_other_ledger_writers(exclusive):
    """While an order that lost a race holds its items exclusively (or any order holds them
    shared), receipts, reservations and transfers of the same items go on: the guard's lock
    modes do not conflict with the key-share lock of PostgreSQL's foreign-key checks. (FOR
    UPDATE did, and deadlocked a shipment against a retried order.)"""
    from sqlalchemy import text

    from core.db import unit_of_work
    from inventory import ledger

    services.receive("JKT-1", "dc-east", 5, CAUSE)
    with unit_of_work() as uow_holder:
        holder = uow_holder.session
        assert ledger.guard_allocation(holder, ["JKT-1"], exclusive=exclusive).keys() == {
            "JKT-1"}

        def writer() -> None:
            with unit_of_work() as uow:
                session = uow.session
                session.execute(text("SET LOCAL lock_timeout = '3s'"))
                item = ledger.item_by_sku(session, "JKT-1")
                east = ledger.location_by_code(session, "dc-east")
                central = ledger.location_by_code(session, "dc-central")
                ledger.receive(session, item, central, 2, CAUSE)
                ledger.reserve(session, [(item.id, east.id, 1)], "order:77/line:1", CAUSE)
                ledger.ship_transfer(session, item, east, central, 1, CAUSE)
                uow.commit()

        with ThreadPoolExecutor(1) as pool:
            pool.submit(writer).result(timeout=30)  # a lock timeout would raise here
        holder.rollback()
    assert balance("JKT-1", "dc-central")["on_hand"] == 2
    assert_ledger_clean()
