"""Inventory's background jobs (RQ or the embedded runner call these by import path)."""

from __future__ import annotations

import logging

from core.db import long_read_session
from core.jobs import PeriodicJob, register_periodic
from inventory.invariants import find_drift

log = logging.getLogger(__name__)

VERIFY_EVERY_SECONDS = 15 * 60


def verify_ledger() -> int:
    """Log any drift between balances and the ledger; returns how many were found."""
    with long_read_session() as session:  # reads the whole ledger: no statement timeout
        drifts = find_drift(session)
    for drift in drifts:
        log.error("ledger drift: %s", drift)
    if not drifts:
        log.info("ledger verified: no drift")
    return len(drifts)


def register() -> None:
    register_periodic(PeriodicJob("inventory-verify", "inventory.jobs.verify_ledger",
                                  VERIFY_EVERY_SECONDS))
