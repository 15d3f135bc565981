"""Orders' metrics (README, "Observability"), counted once the unit of work has committed."""

from __future__ import annotations

from prometheus_client import Counter

from core.db import UnitOfWork

ORDERS_ACCEPTED = Counter(
    "oms_orders_accepted", "Orders stored (placed, held or exchange orders), by channel.",
    ["channel"])
ORDER_STATUS_CHANGES = Counter(
    "oms_order_status_changes", "Orders that moved to a status, by the status moved to.",
    ["status"])


def order_accepted(uow: UnitOfWork, channel: str) -> None:
    uow.after_commit(lambda: ORDERS_ACCEPTED.labels(channel).inc())


def status_changed(uow: UnitOfWork, status: str) -> None:
    uow.after_commit(lambda: ORDER_STATUS_CHANGES.labels(status).inc())
