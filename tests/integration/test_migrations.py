"""The migrations build exactly the schema the models describe (tables, columns, types,
indexes, foreign keys), on both databases: a model change without its migration, or the
reverse, fails here. CHECK constraints are not compared by Alembic; the tests that violate
them on purpose cover those."""

from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import oms.app  # noqa: F401  (imports every package's models into Base.metadata)
from core.db import Base
from fulfillment.queries import label_address


def _differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url):
    assert _differences(database_url) == []


def test_key_locations_move_into_their_table_and_back(tmp_path):
    """0007: a key's single location_code becomes a core_api_key_locations row (SQLite,
    batch mode; the PostgreSQL schema is checked above)."""
    from alembic import command
    from sqlalchemy import text

    from oms.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'keys.sqlite3'}"
    before = "0007_key_locations-1"  # whatever precedes it in the chain
    upgrade(url, before)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for i, (role, location) in enumerate([("store", "store-a"), ("wms", None)]):
                conn.execute(text(
                    "INSERT INTO core_api_keys (name, role, location_code, key_hash, "
                    "display_prefix, created_at) VALUES (:n, :r, :l, :h, 'oms_', "
                    "CURRENT_TIMESTAMP)"), {"n": role, "r": role, "l": location, "h": f"h{i}"})
        upgrade(url, "0007_key_locations")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT k.role, l.location_code FROM core_api_key_locations l "
                "JOIN core_api_keys k ON k.id = l.key_id")).all() == [("store", "store-a")]
        command.downgrade(alembic_config(url), before)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT role, location_code FROM core_api_keys "
                                     "ORDER BY id")).all() == [("store", "store-a"),
                                                               ("wms", None)]
    finally:
        engine.dispose()


def test_fulfillments_made_before_0008_get_their_label_facts(tmp_path):
    """0008 fills the label facts of existing fulfillments from their orders (SQLite)."""
    from sqlalchemy import text

    from oms.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'labels.sqlite3'}"
    upgrade(url, "0008_fulfillment_labels-1")
    engine = create_engine(url)
    now = "2026-11-30 12:00:00"
    try:
        with engine.begin() as conn:
            def insert(table: str, **values) -> None:
                conn.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES "
                                  f"({', '.join(':' + k for k in values)})"), values)

            insert("inv_items", id=1, sku="JKT-1", name="Jacket", price=1, currency="USD",
                   weight_grams=1, created_at=now)
            insert("oms_orders", id=7, number="NW-7", channel="web", external_id="7",
                   status="routed", customer_name="Ada", phone="+12125550142",
                   currency="USD", subtotal=1, fulfillment_method="ship",
                   ship_to='{"line1": "350 5th Ave", "city": "New York", "latitude": 40.7}',
                   created_at=now, updated_at=now)
            insert("oms_order_lines", id=70, order_id=7, line_no=1, sku="JKT-1", quantity=1,
                   unit_price=1, allocated=1, backordered=0, fulfilled=0, cancelled=0)
            insert("ful_fulfillments", id=9, order_id=7, order_number="NW-7",
                   location_code="dc-east", method="ship", status="pending",
                   assigned_on="2026-11-30", wrong_code_attempts=0, created_at=now,
                   updated_at=now)
            insert("ful_fulfillment_lines", id=90, fulfillment_id=9, order_line_id=70,
                   sku="JKT-1", quantity=1, source_location="dc-east",
                   demand_ref="order:7/line:70")
        upgrade(url, "0008_fulfillment_labels")
        with engine.connect() as conn:
            channel, name, phone, ship_to = conn.execute(text(
                "SELECT channel, customer_name, customer_phone, ship_to FROM ful_fulfillments"
            )).one()
            line_name = conn.execute(text("SELECT name FROM ful_fulfillment_lines")).scalar()
        assert (channel, name, phone, line_name) == ("web", "Ada", "+12125550142", "Jacket")
        label = label_address(json.loads(ship_to), name, phone)
        assert (label["name"], label["line1"], label["phone"]) == ("Ada", "350 5th Ave",
                                                                    "+12125550142")
        assert "latitude" not in label
    finally:
        engine.dispose()


def test_orders_before_0010_are_what_their_unit_prices_say(tmp_path):
    """0011 backfills existing orders: lines without discount or tax, no shipping, total =
    subtotal (SQLite, batch mode); and goes back down."""
    from alembic import command
    from sqlalchemy import text

    from oms.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'money.sqlite3'}"
    upgrade(url, "0011_order_money-1")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO oms_orders (number, channel, external_id, status, currency, "
                "subtotal, fulfillment_method, created_at, updated_at) VALUES ('NW-1', 'web', "
                "'x', 'received', 'USD', 240.00, 'ship', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"))
            conn.execute(text(
                "INSERT INTO oms_order_lines (order_id, line_no, sku, quantity, unit_price, "
                "allocated, backordered, fulfilled, cancelled) VALUES (1, 1, 'JKT-1', 2, "
                "120.00, 0, 0, 0, 0)"))
        upgrade(url, "0011_order_money")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT subtotal, discounts_total, tax_total, shipping_total, total, "
                "taxes_included, shipping_lines FROM oms_orders")).one() == \
                (240, 0, 0, 0, 240, 0, None)
            assert conn.execute(text("SELECT discount, tax, tax_lines, discount_allocations "
                                     "FROM oms_order_lines")).one() == (0, 0, None, None)
        command.downgrade(alembic_config(url), "0011_order_money-1")
    finally:
        engine.dispose()


def test_0015_counts_existing_stock_as_published(tmp_path):
    """0015 seeds the published figures from the balances and the publisher's cursor from the
    last movement, so the upgrade itself announces nothing (SQLite); and goes back down."""
    from alembic import command
    from sqlalchemy import text

    from oms.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'stock.sqlite3'}"
    upgrade(url, "0015_stock_sync-1")
    engine = create_engine(url)
    now = "2026-12-05 12:00:00"
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO inv_locations (id, code, name, kind, latitude, longitude, ships, "
                "pickup, priority, active, created_at) VALUES (1, 'store-a', 'A', 'store', 1, "
                f"1, 1, 1, 0, 1, '{now}'), (2, 'store-b', 'B', 'store', 1, 1, 1, 1, 0, 0, "
                f"'{now}')"))
            conn.execute(text(
                "INSERT INTO inv_items (id, sku, name, price, currency, weight_grams, "
                f"created_at) VALUES (1, 'JKT-1', 'Jacket', 1, 'USD', 1, '{now}')"))
            conn.execute(text(
                "INSERT INTO inv_balances (id, item_id, location_id, on_hand, reserved, "
                "safety_stock, in_transit) VALUES (5, 1, 1, 10, 3, 2, 0), (6, 1, 2, 4, 0, 0, 0)"))
            conn.execute(text(
                "INSERT INTO inv_movements (id, kind, item_id, location_id, on_hand_delta, "
                "reserved_delta, in_transit_delta, actor, created_at) VALUES "
                f"(41, 'receipt', 1, 1, 10, 0, 0, 't', '{now}')"))
        upgrade(url, "0015_stock_sync")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT balance_id, on_hand, reserved, safety_stock, available "
                "FROM integ_stock_published ORDER BY balance_id")).all() == [
                    (5, 10, 3, 2, 5), (6, 4, 0, 0, 0)]  # store-b is inactive
            assert conn.execute(text(
                "SELECT name, safe_movement_id FROM integ_stock_cursor")).all() == [
                    ("stock.changed", 41)]
        command.downgrade(alembic_config(url), "0015_stock_sync-1")
    finally:
        engine.dispose()


def test_refunds_settled_before_0017_say_when_and_by_whom(tmp_path):
    """0017: a refund booked settled before it (Shopify's own) gets its recording time and the
    return's author as when and who settled it; a pending one gets nothing (SQLite, batch
    mode); and it goes back down."""
    from alembic import command
    from sqlalchemy import text

    from oms.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'refunds.sqlite3'}"
    upgrade(url, "0017_refund_settlement-1")
    engine = create_engine(url)
    now = "2026-12-01 09:30:00"
    try:
        with engine.begin() as conn:
            for rid, status, ref in ((1, "settled", "shopify:929361463"), (2, "pending", None)):
                conn.execute(text(
                    "INSERT INTO ret_returns (id, order_id, order_number, channel, currency, "
                    "location_code, status, source, refund_shipping, refund_total, "
                    "created_by, created_at, updated_at) VALUES (:id, 7, 'NW-7', 'shopify', "
                    "'USD', 'store-soho', :rs, 'shopify', 0, 10, 'shopify:shop.example', "
                    ":now, :now)"), {"id": rid, "rs": "refunded" if ref else "received",
                                     "now": now})
                conn.execute(text(
                    "INSERT INTO ret_refunds (return_id, order_id, currency, amount, subtotal, "
                    "discount, tax, included_tax, shipping, exchange_applied, status, "
                    "external_ref, created_at) VALUES (:id, 7, 'USD', 10, 10, 0, 0, 0, 0, 0, "
                    ":status, :ref, :now)"), {"id": rid, "status": status, "ref": ref,
                                              "now": now})
        upgrade(url, "0017_refund_settlement")
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT status, settled_at, settled_by, method FROM ret_refunds ORDER BY id")
            ).all() == [("settled", now, "shopify:shop.example", None),
                        ("pending", None, None, None)]
        command.downgrade(alembic_config(url), "0017_refund_settlement-1")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM ret_refunds")).scalar() == 2
    finally:
        engine.dispose()
