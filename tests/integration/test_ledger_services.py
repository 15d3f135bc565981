"""Inventory services on SQLite and PostgreSQL: each operation's effect on balances and the
ledger, the refusals, and the invariants after every scenario."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import read_session, unit_of_work
from core.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from inventory import ledger, queries, services
from inventory.ledger import Posting
from inventory.models import Movement
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count


@pytest.fixture(autouse=True)
def _ledger_checked_after_each(network):
    yield
    assert_ledger_clean()


def test_receipt_adds_on_hand_and_records_a_movement():
    result = services.receive("JKT-1", "dc-east", 40, CAUSE)
    assert result["balance"]["on_hand"] == 40
    assert result["balance"]["available"] == 40
    [movement] = result["movements"]
    assert movement["kind"] == "receipt"
    assert movement["on_hand_delta"] == 40
    assert movement["actor"] == "test"


@pytest.mark.parametrize("quantity", [0, -3, 1_000_001, 2.5, "7", True])
def test_bad_receipt_quantities_are_refused_and_write_nothing(quantity):
    with pytest.raises(InvalidInput) as err:
        services.receive("JKT-1", "dc-east", quantity, CAUSE)
    assert "quantity" in err.value.fields
    assert movement_count() == 0


def test_unknown_sku_or_location_names_the_field():
    with pytest.raises(InvalidInput) as err:
        services.receive("NOPE", "dc-east", 1, CAUSE)
    assert err.value.fields == {"sku": ["unknown SKU 'NOPE'"]}
    with pytest.raises(InvalidInput) as err:
        services.receive("JKT-1", "nowhere", 1, CAUSE)
    assert err.value.fields == {"location": ["unknown location 'nowhere'"]}
    assert movement_count() == 0


def test_signed_adjustments_and_damage():
    services.receive("JKT-1", "store-soho", 10, CAUSE)
    services.adjust("JKT-1", "store-soho", -3, CAUSE)
    services.adjust("JKT-1", "store-soho", 1, CAUSE)
    services.damage("JKT-1", "store-soho", 2, CAUSE)
    assert balance("JKT-1", "store-soho")["on_hand"] == 6
    with pytest.raises(InsufficientStock):
        services.adjust("JKT-1", "store-soho", -7, CAUSE)
    with pytest.raises(InsufficientStock):
        services.damage("JKT-1", "store-soho", 7, CAUSE)
    assert balance("JKT-1", "store-soho")["on_hand"] == 6


def test_cycle_count_records_the_difference_and_nothing_when_it_matches():
    services.receive("BOOT-1", "store-soho", 8, CAUSE)
    result = services.count("BOOT-1", "store-soho", 5, CAUSE)
    assert [m["on_hand_delta"] for m in result["movements"]] == [-3]
    assert result["movements"][0]["kind"] == "cycle_count"
    assert services.count("BOOT-1", "store-soho", 5, CAUSE)["movements"] == []
    assert services.count("BOOT-1", "store-brooklyn", 4, CAUSE)["balance"]["on_hand"] == 4


def test_safety_stock_lowers_available_but_not_on_hand():
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    view = services.set_safety_stock("JKT-1", "store-soho", 2)
    assert (view["on_hand"], view["safety_stock"], view["available"]) == (5, 2, 3)
    services.reserve([("JKT-1", "store-soho", 3)], "order:1/line:1", CAUSE)
    with pytest.raises(InsufficientStock):
        services.reserve([("JKT-1", "store-soho", 1)], "order:2/line:1", CAUSE)
    # Available never goes negative in what we promise, even if safety stock exceeds the rest.
    view = services.set_safety_stock("JKT-1", "store-soho", 9)
    assert view["available"] == 0


def test_reserve_release_consume():
    services.receive("JKT-1", "dc-east", 10, CAUSE)
    services.reserve([("JKT-1", "dc-east", 4)], "order:7/line:1", CAUSE)
    row = balance("JKT-1", "dc-east")
    assert (row["on_hand"], row["reserved"], row["available"]) == (10, 4, 6)
    services.release("JKT-1", "dc-east", 1, "order:7/line:1", CAUSE)
    services.consume("JKT-1", "dc-east", 3, "order:7/line:1", CAUSE)
    row = balance("JKT-1", "dc-east")
    assert (row["on_hand"], row["reserved"], row["available"]) == (7, 0, 7)
    with pytest.raises(Conflict):
        services.consume("JKT-1", "dc-east", 1, "order:7/line:1", CAUSE)


def test_reserving_several_lines_is_all_or_nothing():
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("BOOT-1", "dc-east", 1, CAUSE)
    before = movement_count()
    with pytest.raises(InsufficientStock) as err:
        services.reserve([("JKT-1", "dc-east", 2), ("BOOT-1", "dc-east", 2)], "order:9", CAUSE)
    assert err.value.details["sku"] == "BOOT-1"
    assert movement_count() == before
    assert balance("JKT-1", "dc-east")["reserved"] == 0
    assert services.reserve([("JKT-1", "dc-east", 2), ("BOOT-1", "dc-east", 1)],
                            "order:9", CAUSE) == 2


def test_release_demand_frees_every_location():
    services.receive("SOCK-1", "dc-east", 5, CAUSE)
    services.receive("SOCK-1", "store-soho", 5, CAUSE)
    services.reserve([("SOCK-1", "dc-east", 2), ("SOCK-1", "store-soho", 3)], "order:3", CAUSE)
    assert services.release_demand("order:3", CAUSE) == 2
    assert services.release_demand("order:3", CAUSE) == 0
    assert balance("SOCK-1", "dc-east")["reserved"] == 0
    assert balance("SOCK-1", "store-soho")["reserved"] == 0


def test_adjusting_below_what_is_reserved_is_a_conflict():
    services.receive("JKT-1", "store-soho", 5, CAUSE)
    services.reserve([("JKT-1", "store-soho", 4)], "order:1", CAUSE)
    with pytest.raises(Conflict) as err:
        services.count("JKT-1", "store-soho", 2, CAUSE)
    assert "reserved" in err.value.message
    assert balance("JKT-1", "store-soho")["on_hand"] == 5


def test_transfer_ships_then_receives_in_parts():
    services.receive("BOOT-1", "dc-east", 10, CAUSE)
    moved = services.transfer("BOOT-1", "dc-east", "store-soho", 6, CAUSE)
    assert moved["status"] == "in_transit"
    assert balance("BOOT-1", "dc-east")["on_hand"] == 4
    assert balance("BOOT-1", "store-soho")["in_transit"] == 6
    assert balance("BOOT-1", "store-soho")["on_hand"] == 0
    assert_ledger_clean()
    part = services.receive_transfer(moved["id"], CAUSE, quantity=2)
    assert (part["received_quantity"], part["status"]) == (2, "in_transit")
    done = services.receive_transfer(moved["id"], CAUSE)
    assert (done["received_quantity"], done["status"]) == (6, "received")
    row = balance("BOOT-1", "store-soho")
    assert (row["on_hand"], row["in_transit"]) == (6, 0)
    with pytest.raises(Conflict):
        services.receive_transfer(moved["id"], CAUSE)


def test_transfer_refusals():
    services.receive("BOOT-1", "dc-east", 3, CAUSE)
    services.reserve([("BOOT-1", "dc-east", 2)], "order:1", CAUSE)
    with pytest.raises(InvalidInput) as err:
        services.transfer("BOOT-1", "dc-east", "dc-east", 1, CAUSE)
    assert "to_location" in err.value.fields
    with pytest.raises(InsufficientStock):  # reserved units do not travel without their demand
        services.transfer("BOOT-1", "dc-east", "store-soho", 2, CAUSE)
    with pytest.raises(InvalidInput):
        services.transfer("BOOT-1", "dc-east", "nowhere", 1, CAUSE)
    with pytest.raises(NotFound):
        services.receive_transfer(999, CAUSE)


def test_transfer_for_a_demand_carries_its_reservation_to_the_destination():
    services.receive("JKT-1", "dc-east", 3, CAUSE)
    services.reserve([("JKT-1", "dc-east", 2)], "order:5/line:1", CAUSE)
    moved = services.transfer("JKT-1", "dc-east", "store-brooklyn", 2, CAUSE,
                              demand_ref="order:5/line:1")
    assert balance("JKT-1", "dc-east")["reserved"] == 0
    services.receive_transfer(moved["id"], CAUSE)
    row = balance("JKT-1", "store-brooklyn")
    assert (row["on_hand"], row["reserved"], row["available"]) == (2, 2, 0)
    services.consume("JKT-1", "store-brooklyn", 2, "order:5/line:1", CAUSE)


def test_network_stock_sorted_by_distance_with_totals():
    services.receive("JKT-1", "dc-central", 50, CAUSE)
    services.receive("JKT-1", "store-brooklyn", 2, CAUSE)
    services.receive("JKT-1", "store-soho", 1, CAUSE)
    services.reserve([("JKT-1", "store-soho", 1)], "order:1", CAUSE)
    origin = queries.resolve_origin("store-soho", None, None)
    stock = queries.stock_for_sku("JKT-1", origin)
    assert [r["location"] for r in stock["locations"]] == [
        "store-soho", "store-brooklyn", "dc-central"]
    assert stock["locations"][0]["distance_km"] == 0
    assert 5 < stock["locations"][1]["distance_km"] < 10
    assert stock["network"] == {"on_hand": 53, "reserved": 1, "safety_stock": 0,
                                "available": 52, "in_transit": 0}
    nearest = queries.nearest_with_stock("JKT-1", origin, quantity=1, kind="store")
    assert [r["location"] for r in nearest] == ["store-brooklyn"]


def test_movement_history_newest_first_and_paginated():
    for qty in (1, 2, 3, 4, 5):
        services.receive("SOCK-1", "store-chicago", qty, CAUSE)
    services.receive("SOCK-1", "dc-east", 9, CAUSE)
    page = queries.movement_history("SOCK-1", "store-chicago", limit=3, cursor=None)
    assert [m["on_hand_delta"] for m in page["items"]] == [5, 4, 3]
    rest = queries.movement_history("SOCK-1", "store-chicago", limit=3,
                                    cursor=page["next_cursor"])
    assert [m["on_hand_delta"] for m in rest["items"]] == [2, 1]
    assert rest["next_cursor"] is None
    everywhere = queries.movement_history("SOCK-1", None, limit=10, cursor=None)
    assert len(everywhere["items"]) == 6


def test_availability_snapshot_for_routing_excludes_safety_and_reserved():
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    services.receive("JKT-1", "store-soho", 2, CAUSE)
    services.set_safety_stock("JKT-1", "store-soho", 2)
    services.reserve([("JKT-1", "dc-east", 1)], "order:1", CAUSE)
    assert queries.availability(["JKT-1", "BOOT-1"]) == {"JKT-1": {"dc-east": 4}, "BOOT-1": {}}


def test_posted_movements_carry_their_own_ids_and_the_balance_they_left():
    services.receive("JKT-1", "dc-east", 2, CAUSE)
    with unit_of_work() as uow:
        session = uow.session
        jacket = ledger.item_id_by_sku(session, "JKT-1")
        east, soho = (ledger.location_id_by_code(session, code)
                      for code in ("dc-east", "store-soho"))
        moved = ledger.post(session, [Posting("receipt", jacket, soho, on_hand=3),
                                      Posting("adjustment", jacket, east, on_hand=5),
                                      Posting("receipt", jacket, soho + 1, on_hand=7)], CAUSE)
        uow.commit()
    with read_session() as session:
        written = {m.id: (m.kind, m.location_id, m.on_hand_delta)
                   for m in session.scalars(select(Movement))}
    assert [written[m.id] for m in moved] == [(m.kind, m.location_id, m.on_hand_delta)
                                              for m in moved]
    assert [m.location_id for m in moved] == sorted([east, soho, soho + 1])  # lock order
    assert [m.balance_after.on_hand for m in moved] == [7, 3, 7]


def test_the_movement_answer_is_the_balance_as_read_afterwards():
    services.receive("JKT-1", "store-soho", 9, CAUSE)
    services.set_safety_stock("JKT-1", "store-soho", 2)
    services.reserve([("JKT-1", "store-soho", 3)], "order:1", CAUSE)
    for change in (lambda: services.receive("JKT-1", "store-soho", 1, CAUSE),
                   lambda: services.adjust("JKT-1", "store-soho", -2, CAUSE),
                   lambda: services.damage("JKT-1", "store-soho", 1, CAUSE),
                   lambda: services.count("JKT-1", "store-soho", 4, CAUSE),
                   lambda: services.count("JKT-1", "store-soho", 4, CAUSE)):  # no movement
        assert change()["balance"] == balance("JKT-1", "store-soho")
    assert balance("JKT-1", "store-soho")["location_name"] == "SoHo"
