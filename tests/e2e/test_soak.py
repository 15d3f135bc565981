"""The Black-Friday soak, short (issue 15): bench/soak/run.py's own runner with small numbers.

A cluster of real processes (scripts/cluster.py: PostgreSQL primary + streaming replica, Redis,
two gunicorn webs behind haproxy, two RQ workers, one scheduler), the Locust mix through the
balancer for under a minute with every fault once (a web process SIGKILLed and back, a worker
SIGKILLed mid-job and back, Redis restarted empty, the replica stopped and started, the
subscriber down, PostgreSQL restarted), schemathesis through the balancer, the drain, then the
zeros: nothing oversold, no ledger or order-line drift, no order lost or doubled, no Shopify
event failed, nothing left undelivered, no 5xx that is not a fault's expected effect, no 4xx
the mix did not expect. Speeds are printed, never asserted. About two minutes, cluster start
included. PostgreSQL only (the cluster's own); skipped without the server binaries, Redis and
haproxy unless OMS_TEST_REQUIRE_SERVICES=1, which makes that a failure."""

from __future__ import annotations

import glob
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]


def _missing_parts() -> list[str]:
    missing = [name for name in ("haproxy", "redis-server") if shutil.which(name) is None]
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing.append("PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    if importlib.util.find_spec("locust") is None:
        missing.append("locust (the test extra)")
    return missing


def _runner():
    spec = importlib.util.spec_from_file_location("soak_runner", ROOT / "bench" / "soak" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_a_short_soak_with_every_fault_loses_nothing():
    missing = _missing_parts()
    if missing:
        if REQUIRE_SERVICES:
            pytest.fail(f"the soak needs {', '.join(missing)}")
        pytest.skip(f"the soak needs {', '.join(missing)}")
    runner = _runner()
    # Not pytest's tmp_path: it is private to its user, and PostgreSQL runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="oms-soak-"))
    root.chmod(0o755)
    try:
        report = runner.soak(root / "soak", duration=45, users=10, spawn_rate=10,
                             hot_units=5, hot_share=0.15, skus=30, fuzz_examples=1,
                             drain_timeout=120)
    finally:
        print(f"(the soak's files: {root})")
    print(report.text)
    if report.ok:
        shutil.rmtree(root, ignore_errors=True)  # kept when a check failed, to read
    figures = report.figures
    # The load and the faults really happened (so that the zeros mean something).
    assert figures["orders_accepted"] >= 30, report.text
    assert [f["name"] for f in figures["faults"]] == [
        "web 0 killed", "worker 0 SIGKILLed", "Redis restarted empty", "replica stopped",
        "subscriber down", "PostgreSQL restarted"], report.text
    assert figures["hot_sold_out_at_s"] is not None, report.text
    assert figures["deliveries"]["received"] > 0, report.text
    assert figures["schemathesis"] and figures["schemathesis"]["cases"] > 50, report.text
    assert {k: v for k, v in report.zeros.items() if v} == {}, report.text
