"""Randomized concurrency through the HTTP API on PostgreSQL (issue 9): about 20 operations at
a time of every kind (orders for shipping and pickup, cancels of orders and lines, claims at
warehouses and stores, full and short picks, ships, rejects, ready-for-pickup and pickups with
the code, receipts, adjustments, transfers and their receipts), checked after every round: no
5xx, the ledger's and the order lines' invariants, units conserved, nothing held for what was
cancelled. See tests/chaos.py; `bench/random_ops.py` runs many seeds and longer runs.

The seed is printed (run with `-s`) and is in every failure message; replay one with
`OMS_CHAOS_SEED=<seed>`. Without it each run draws a new seed."""

from __future__ import annotations

import os

import pytest

from tests import chaos

pytestmark = pytest.mark.postgres_only

# Short enough for `make test` (a few seconds on 2 cores): round 0 (stock in, 10 orders at
# once) and 4 mixed rounds of 20 concurrent operations.
ROUNDS = int(os.environ.get("OMS_CHAOS_ROUNDS", "4"))


def test_random_concurrent_operations_keep_every_invariant(app, network):
    seed = chaos.seed_from_env()
    run = chaos.Chaos(app, seed, concurrency=20)
    try:
        result = run.run(ROUNDS)
    finally:
        run.close()
    if not result.ok:
        pytest.fail(result.report(), pytrace=False)
