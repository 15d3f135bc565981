"""The operators' CLI: API keys, ledger verification, CSV import, demo data."""

from __future__ import annotations

from sqlalchemy import update

from core.auth import authenticate
from core.db import unit_of_work
from inventory import services
from inventory.models import Balance
from tests.support import CAUSE, assert_ledger_clean, balance, movement_count


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_api_key_prints_the_key_alone_on_the_last_line(app, network):
    result = run(app, "oms", "create-api-key", "--role", "store", "--location", "store-soho",
                 "--name", "soho-till")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    principal = authenticate(key)
    assert (principal.role, principal.location, principal.name) == ("store", "store-soho",
                                                                    "soho-till")


def test_create_api_key_refuses_unknown_location_and_unscoped_store(app, network):
    assert run(app, "oms", "create-api-key", "--role", "store", "--location", "x").exit_code == 2
    assert run(app, "oms", "create-api-key", "--role", "store").exit_code == 2
    assert run(app, "oms", "create-api-key", "--role", "root").exit_code == 2


def test_wms_keys_need_their_warehouses_one_or_several(app, network):
    unscoped = run(app, "oms", "create-api-key", "--role", "wms")
    assert unscoped.exit_code == 2 and "location" in unscoped.output
    admin_at = run(app, "oms", "create-api-key", "--role", "admin", "--location", "dc-east")
    assert admin_at.exit_code == 2
    partly_unknown = run(app, "oms", "create-api-key", "--role", "wms",
                         "--location", "dc-east,dc-nowhere")
    assert partly_unknown.exit_code == 2 and "dc-nowhere" in partly_unknown.output
    for args in (["--location", "dc-east", "--location", "dc-central"],
                 ["--location", "dc-east,dc-central"], ["--location", " dc-central , dc-east "]):
        result = run(app, "oms", "create-api-key", "--role", "wms", "--name", "wms-3pl", *args)
        assert result.exit_code == 0, result.output
        assert "at dc-central, dc-east" in result.stderr
        principal = authenticate(result.stdout.strip().splitlines()[-1])
        assert principal.locations == {"dc-east", "dc-central"}
        assert principal.may_act_at("dc-central") and not principal.may_act_at("store-soho")


def test_verify_is_clean_then_reports_drift_with_exit_1(app, network):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    ok = run(app, "inventory", "verify")
    assert ok.exit_code == 0
    assert "ledger OK" in ok.stdout
    with unit_of_work() as uow:
        session = uow.session
        session.execute(update(Balance).values(on_hand=Balance.on_hand + 2))
        uow.commit()
    bad = run(app, "inventory", "verify")
    assert bad.exit_code == 1
    assert "JKT-1 at dc-east: on_hand is 7, ledger says 5" in bad.stderr


def test_import_counts_is_idempotent(app, network, tmp_path):
    csv = tmp_path / "counts.csv"
    csv.write_text("sku,location,quantity,safety_stock\n"
                   "JKT-1,dc-east,40,0\nJKT-1,store-soho,3,1\nBOOT-1,store-soho,0,\n")
    first = run(app, "inventory", "import", str(csv))
    assert first.exit_code == 0, first.stderr
    assert "3 rows: 2 changed, 1 unchanged" in first.stdout
    assert balance("JKT-1", "store-soho")["available"] == 2
    written = movement_count()
    second = run(app, "inventory", "import", str(csv))
    assert second.exit_code == 0
    assert "0 changed, 3 unchanged" in second.stdout
    assert movement_count() == written
    assert_ledger_clean()


def test_import_with_bad_rows_reports_each_and_changes_nothing(app, network, tmp_path):
    services.receive("SOCK-1", "store-soho", 5, CAUSE)
    services.reserve([("SOCK-1", "store-soho", 4)], "order:1", CAUSE)
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "sku,location,quantity\n"
        "JKT-1,dc-east,10\n"          # line 2: fine
        "NOPE,dc-east,1\n"            # line 3: unknown SKU
        "JKT-1,nowhere,1\n"           # line 4: unknown location
        "JKT-1,store-soho,-2\n"       # line 5: negative
        "JKT-1,store-chicago,2.5\n"   # line 6: not whole
        "JKT-1,dc-east,3\n"           # line 7: duplicate of line 2
        "SOCK-1,store-soho,2\n"       # line 8: below what is reserved
        "BOOT-1,dc-east,99999999\n"   # line 9: absurd
    )
    before = movement_count()
    result = run(app, "inventory", "import", str(csv))
    assert result.exit_code == 1
    for line, words in [(3, "unknown SKU"), (4, "unknown location"), (5, "negative"),
                        (6, "not a whole number"), (7, "already counted on line 2"),
                        (8, "reserved"), (9, "larger than")]:
        assert f"line {line}: " in result.stderr and words in result.stderr, (line, words)
    assert "line 2:" not in result.stderr
    assert "nothing was imported" in result.stderr
    assert movement_count() == before
    assert balance("JKT-1", "dc-east")["on_hand"] == 0


def test_import_refuses_a_file_without_the_columns(app, network, tmp_path):
    csv = tmp_path / "wrong.csv"
    csv.write_text("product,qty\nJKT-1,4\n")
    result = run(app, "inventory", "import", str(csv))
    assert result.exit_code == 1
    assert "line 1: header lacks column(s): sku, location, quantity" in result.stderr


def test_demo_loads_a_realistic_retailer_once(app, db):
    first = run(app, "oms", "demo")
    assert first.exit_code == 0, first.stderr
    from inventory import queries

    locations = queries.list_locations()
    assert len([loc for loc in locations if loc["kind"] == "warehouse"]) >= 3
    assert len([loc for loc in locations if loc["kind"] == "store"]) >= 20
    assert len({loc["city"] for loc in locations}) >= 20
    items = queries.list_items(limit=500, cursor=None)["items"]
    assert len(items) >= 200
    written = movement_count()
    second = run(app, "oms", "demo")
    assert second.exit_code == 0
    assert movement_count() == written
    assert_ledger_clean()
