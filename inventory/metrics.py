"""The stock ledger's metrics (README, "Observability")."""

from __future__ import annotations

from prometheus_client import Counter

from core.db import UnitOfWork

RESERVATIONS = Counter(
    "oms_reservations",
    "Reservations committed: one per item, location and demand a reserve wrote.")
RESERVED_UNITS = Counter("oms_reserved_units", "Units those reservations hold.")
OVERSELL_REFUSALS = Counter(
    "oms_oversell_refusals",
    "Reservations the ledger's guarded update refused for want of available stock (counted "
    "when refused: the unit of work then rolls back, and routing usually re-plans).")


def reserved(uow: UnitOfWork, rows: int, units: int) -> None:
    """Count a reserve once `uow` has committed it (a rolled-back attempt counts nothing)."""
    def count() -> None:
        RESERVATIONS.inc(rows)
        RESERVED_UNITS.inc(units)

    uow.after_commit(count)
