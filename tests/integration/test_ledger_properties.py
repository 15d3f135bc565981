"""Property-based test of the stock ledger, on SQLite and PostgreSQL.

A hypothesis state machine runs random sequences of the inventory use cases (receipts, signed
adjustments, cycle counts, damage, safety stock, transfers shipped and received in parts,
single- and multi-line reservations, releases, shipments) over five locations and three SKUs,
next to a pure-Python model of what each balance must be. An operation the model refuses must
raise a DomainError of the expected kind and change nothing; one it accepts must succeed. After
every step the database must equal the model and the ledger must have no drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core.db import get_database, read_session
from core.errors import Conflict, DomainError, InsufficientStock, InvalidInput
from inventory import services
from inventory.models import Balance, Item, Location, Movement, Reservation, Transfer
from tests.conftest import _truncate
from tests.support import CAUSE, ITEMS, LOCATIONS, assert_ledger_clean, build_network

SKUS = [item["sku"] for item in ITEMS]
CODES = [loc["code"] for loc in LOCATIONS]
DEMANDS = ["order:1/line:1", "order:1/line:2", "order:2/line:1", "order:3/line:1"]

Key = tuple[str, str]          # (sku, location)
Hold = tuple[str, str, str]    # (demand_ref, sku, location)

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    database=None,  # no example database on disk: every example starts from an empty ledger
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        _truncate(get_database())
        build_network()
        self.on_hand: Counter[Key] = Counter()
        self.reserved: Counter[Key] = Counter()
        self.in_transit: Counter[Key] = Counter()
        self.safety: Counter[Key] = Counter()
        self.holds: Counter[Hold] = Counter()
        # transfer id -> (sku, destination, demand_ref, outstanding, still promised to demand)
        self.transfers: dict[int, list[Any]] = {}
        self.movements = 0

    # ------------------------------------------------------------ helpers

    def free(self, key: Key) -> int:
        """What a reservation or a plain transfer may take: the SQL guard's arithmetic."""
        return self.on_hand[key] - self.reserved[key] - self.safety[key]

    def pick_key(self, data: st.DataObject, label: str) -> Key:
        """Mostly a (sku, location) that holds stock, so that operations do not all fail."""
        stocked = sorted(k for k, v in self.on_hand.items() if v > 0)
        if stocked and data.draw(st.integers(0, 3), label=f"{label}-any") > 0:
            return data.draw(st.sampled_from(stocked), label=label)
        return (data.draw(st.sampled_from(SKUS), label=f"{label}-sku"),
                data.draw(st.sampled_from(CODES), label=f"{label}-location"))

    def pick_hold(self, data: st.DataObject) -> Hold:
        held = sorted(h for h, q in self.holds.items() if q > 0)
        if held and data.draw(st.integers(0, 4), label="hold-any") > 0:
            return data.draw(st.sampled_from(held), label="hold")
        return (data.draw(st.sampled_from(DEMANDS), label="demand"),
                *self.pick_key(data, "hold-key"))

    def amount(self, data: st.DataObject, key: Key, label: str) -> int:
        """A quantity around what is free at `key`: usually possible, sometimes one too many."""
        return data.draw(st.integers(1, max(1, self.free(key) + 1)), label=label)

    @staticmethod
    def expect(error: type[DomainError] | None, call: Callable[[], Any]) -> Any:
        """The model's verdict: success (error None) or exactly this refusal."""
        if error is None:
            return call()
        with pytest.raises(DomainError) as caught:
            call()
        assert type(caught.value) is error, (
            f"expected {error.__name__}, got {type(caught.value).__name__}: {caught.value}")
        return None

    def change_on_hand(self, key: Key, delta: int, call: Callable[[], dict]) -> None:
        after = self.on_hand[key] + delta
        if after < 0:
            error: type[DomainError] | None = InsufficientStock
        elif after < self.reserved[key]:
            error = Conflict
        else:
            error = None
        result = self.expect(error, call)
        if error is None:
            self.on_hand[key] = after
            self.movements += 1
            assert [m["on_hand_delta"] for m in result["movements"]] == [delta]
            assert result["balance"]["on_hand"] == after

    # ------------------------------------------------------------ stock changes

    @initialize(data=st.data())
    def stock_up(self, data: st.DataObject) -> None:
        """Start from some stock, partly promised, so that every rule has something to do."""
        keys = data.draw(st.lists(st.tuples(st.sampled_from(SKUS), st.sampled_from(CODES)),
                                  min_size=1, max_size=6, unique=True), label="stocked")
        for sku, location in keys:
            self.receive(sku, location, data.draw(st.integers(1, 30), label="initial"))
            if data.draw(st.booleans(), label="promised"):
                quantity = data.draw(st.integers(1, self.on_hand[(sku, location)]))
                demand = data.draw(st.sampled_from(DEMANDS), label="demand")
                assert services.reserve([(sku, location, quantity)], demand, CAUSE) == 1
                self.reserved[(sku, location)] += quantity
                self.holds[(demand, sku, location)] += quantity
                self.movements += 1

    @rule(sku=st.sampled_from(SKUS), location=st.sampled_from(CODES),
          quantity=st.integers(1, 20))
    def receive(self, sku: str, location: str, quantity: int) -> None:
        result = services.receive(sku, location, quantity, CAUSE)
        self.on_hand[(sku, location)] += quantity
        self.movements += 1
        assert result["balance"]["on_hand"] == self.on_hand[(sku, location)]

    @rule(data=st.data(), delta=st.integers(-15, 15).filter(bool))
    def adjust(self, data: st.DataObject, delta: int) -> None:
        sku, location = key = self.pick_key(data, "adjust")
        self.change_on_hand(key, delta, lambda: services.adjust(sku, location, delta, CAUSE))

    @rule(data=st.data(), quantity=st.integers(1, 10))
    def damage(self, data: st.DataObject, quantity: int) -> None:
        sku, location = key = self.pick_key(data, "damage")
        self.change_on_hand(key, -quantity,
                            lambda: services.damage(sku, location, quantity, CAUSE))

    @rule(data=st.data(), counted=st.integers(0, 25))
    def count(self, data: st.DataObject, counted: int) -> None:
        sku, location = key = self.pick_key(data, "count")
        delta = counted - self.on_hand[key]
        if delta == 0:
            result = services.count(sku, location, counted, CAUSE)
            assert result["movements"] == []
            assert result["balance"]["on_hand"] == counted
            return
        self.change_on_hand(key, delta, lambda: services.count(sku, location, counted, CAUSE))

    @rule(data=st.data(), quantity=st.integers(0, 6))
    def set_safety_stock(self, data: st.DataObject, quantity: int) -> None:
        sku, location = key = self.pick_key(data, "safety")
        view = services.set_safety_stock(sku, location, quantity)
        self.safety[key] = quantity
        assert view["safety_stock"] == quantity
        assert view["available"] == max(0, self.free(key))

    # ------------------------------------------------------------ transfers

    @rule(data=st.data(), destination=st.sampled_from(CODES))
    def transfer(self, data: st.DataObject, destination: str) -> None:
        sku, source = key = self.pick_key(data, "transfer")
        quantity = self.amount(data, key, "quantity")
        if source == destination:
            error: type[DomainError] | None = InvalidInput
        elif self.free(key) < quantity:
            error = InsufficientStock
        else:
            error = None
        moved = self.expect(error, lambda: services.transfer(
            sku, source, destination, quantity, CAUSE))
        if error is None:
            self.on_hand[key] -= quantity
            self.in_transit[(sku, destination)] += quantity
            self.movements += 2
            assert moved["status"] == "in_transit"
            self.transfers[moved["id"]] = [sku, destination, None, quantity, 0]

    @rule(data=st.data(), destination=st.sampled_from(CODES))
    def transfer_for_demand(self, data: st.DataObject, destination: str) -> None:
        demand, sku, source = self.pick_hold(data)
        held = self.holds[(demand, sku, source)]
        quantity = data.draw(st.integers(1, held + 2), label="quantity")
        if source == destination:
            error: type[DomainError] | None = InvalidInput
        elif held < quantity:
            error = Conflict
        else:
            error = None
        moved = self.expect(error, lambda: services.transfer(
            sku, source, destination, quantity, CAUSE, demand_ref=demand))
        if error is None:
            self.holds[(demand, sku, source)] -= quantity
            self.on_hand[(sku, source)] -= quantity
            self.reserved[(sku, source)] -= quantity
            self.in_transit[(sku, destination)] += quantity
            self.movements += 2
            self.transfers[moved["id"]] = [sku, destination, demand, quantity, quantity]

    @precondition(lambda self: self.transfers)
    @rule(data=st.data())
    def receive_transfer(self, data: st.DataObject) -> None:
        still_open = sorted(t for t, v in self.transfers.items() if v[3] > 0)
        candidates = still_open if still_open and data.draw(st.booleans()) else self.transfers
        transfer_id = data.draw(st.sampled_from(sorted(candidates)), label="transfer")
        sku, destination, demand, outstanding, carried = self.transfers[transfer_id]
        quantity = data.draw(st.none() | st.integers(1, outstanding + 2), label="quantity")
        if outstanding == 0:
            error: type[DomainError] | None = Conflict
        elif quantity is not None and quantity > outstanding:
            error = InvalidInput
        else:
            error = None
        view = self.expect(error, lambda: services.receive_transfer(
            transfer_id, CAUSE, quantity=quantity))
        if error is None:
            landed = outstanding if quantity is None else quantity
            key = (sku, destination)
            self.in_transit[key] -= landed
            self.on_hand[key] += landed
            self.movements += 1
            promised = min(landed, carried)
            if promised:
                self.reserved[key] += promised
                self.holds[(demand, sku, destination)] += promised
                self.movements += 1
            self.transfers[transfer_id][3] = outstanding - landed
            self.transfers[transfer_id][4] = carried - promised
            assert view["reserved_on_arrival"] == carried - promised
            assert view["received_quantity"] == view["quantity"] - (outstanding - landed)
            assert view["status"] == ("received" if landed == outstanding else "in_transit")

    @precondition(lambda self: any(v[4] for v in self.transfers.values()))
    @rule(data=st.data())
    def demand_gives_up_units_on_the_road(self, data: st.DataObject) -> None:
        carrying = sorted(t for t, v in self.transfers.items() if v[4] > 0)
        transfer_id = data.draw(st.sampled_from(carrying), label="transfer")
        sku, destination, demand, _, _ = self.transfers[transfer_id]
        travelling = [t for t, v in self.transfers.items()
                      if v[:3] == [sku, destination, demand] and v[4] > 0]
        promised = sum(self.transfers[t][4] for t in travelling)
        quantity = data.draw(st.integers(1, promised + 2), label="quantity")
        assert services.release_in_transit(sku, destination, quantity, demand) == min(
            quantity, promised)
        left = quantity
        for t in sorted(travelling, reverse=True):  # newest transfer first
            take = min(left, self.transfers[t][4])
            self.transfers[t][4] -= take
            left -= take

    # ------------------------------------------------------------ reservations

    @rule(data=st.data(), demand=st.sampled_from(DEMANDS))
    def reserve(self, data: st.DataObject, demand: str) -> None:
        size = data.draw(st.integers(1, 3), label="lines")
        lines = []
        for i in range(size):
            key = self.pick_key(data, f"line-{i}")
            lines.append((*key, self.amount(data, key, f"qty-{i}")))
        merged: Counter[Key] = Counter()
        for sku, location, quantity in lines:
            merged[(sku, location)] += quantity
        ok = all(self.free(key) >= quantity for key, quantity in merged.items())
        written = self.expect(None if ok else InsufficientStock,
                              lambda: services.reserve(lines, demand, CAUSE))
        if ok:
            assert written == len(merged)
            for (sku, location), quantity in merged.items():
                self.reserved[(sku, location)] += quantity
                self.holds[(demand, sku, location)] += quantity
            self.movements += len(merged)

    @rule(data=st.data(), ship=st.booleans())
    def release_or_consume(self, data: st.DataObject, ship: bool) -> None:
        demand, sku, location = hold = self.pick_hold(data)
        quantity = data.draw(st.integers(1, self.holds[hold] + 2), label="quantity")
        ok = self.holds[hold] >= quantity
        operation = services.consume if ship else services.release
        self.expect(None if ok else Conflict,
                    lambda: operation(sku, location, quantity, demand, CAUSE))
        if ok:
            self.holds[hold] -= quantity
            self.reserved[(sku, location)] -= quantity
            if ship:
                self.on_hand[(sku, location)] -= quantity
            self.movements += 1

    @rule(demand=st.sampled_from(DEMANDS))
    def release_demand(self, demand: str) -> None:
        open_holds = [h for h, q in self.holds.items() if h[0] == demand and q > 0]
        assert services.release_demand(demand, CAUSE) == len(open_holds)
        for hold in open_holds:
            self.reserved[hold[1:]] -= self.holds[hold]
            self.holds[hold] = 0
        for transfer in self.transfers.values():
            if transfer[2] == demand:
                transfer[4] = 0  # what is on the road for it arrives free
        self.movements += len(open_holds)

    # ------------------------------------------------------------ after every step

    @invariant()
    def database_equals_the_model(self) -> None:
        with read_session() as session:
            balances = session.execute(
                select(Item.sku, Location.code, Balance)
                .join(Item, Item.id == Balance.item_id)
                .join(Location, Location.id == Balance.location_id)
            ).all()
            movements = session.scalar(select(func.count()).select_from(Movement))
            holds = session.execute(
                select(Reservation.demand_ref, Item.sku, Location.code, Reservation.quantity)
                .join(Item, Item.id == Reservation.item_id)
                .join(Location, Location.id == Reservation.location_id)
                .where(Reservation.quantity > 0)
            ).all()
            transfers = session.execute(
                select(Transfer.id, Transfer.quantity - Transfer.received_quantity,
                       Transfer.carried_quantity)).all()

        for _, _, b in balances:
            assert 0 <= b.reserved <= b.on_hand
            assert b.available >= 0
        in_db = {(sku, code): (b.on_hand, b.reserved, b.safety_stock, b.in_transit)
                 for sku, code, b in balances}
        keys = set(in_db) | set(self.on_hand) | set(self.reserved) | set(self.safety)
        keys |= set(self.in_transit)
        modelled = {
            key: (self.on_hand[key], self.reserved[key], self.safety[key], self.in_transit[key])
            for key in keys
        }
        assert {k: v for k, v in in_db.items() if any(v)} == {
            k: v for k, v in modelled.items() if any(v)}
        assert movements == self.movements
        assert {(d, s, c): q for d, s, c, q in holds} == +self.holds
        assert {t: (out, carried) for t, out, carried in transfers} == {
            t: (v[3], v[4]) for t, v in self.transfers.items()}
        assert_ledger_clean()


def test_random_operation_sequences_keep_the_ledger_equal_to_a_model(network):
    run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
