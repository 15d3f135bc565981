"""The point-in-time recovery drill of docs/deploy.md runs for real: scripts/backup_drill.sh
archives a primary's WAL, takes a base backup, writes more, makes a mistake after a moment T,
restores the backup to T and checks rows, ledger and orders (exit 0 only if all hold)."""

from __future__ import annotations

import glob
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]


def test_point_in_time_recovery_restores_the_database_as_it_was() -> None:
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"):
        if REQUIRE_SERVICES:
            pytest.fail("PostgreSQL binaries missing")
        pytest.skip("PostgreSQL binaries missing")
    # Its own directory under /tmp (the postgres user cannot reach pytest's tmp_path when the
    # suite runs as root), removed by the script.
    result = subprocess.run([str(ROOT / "scripts" / "backup_drill.sh")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "PITR drill passed" in output
    assert "the mistake after T: DELETE FROM oms_timeline" in output
    assert "ledger OK" in output
