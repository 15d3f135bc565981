"""oms background jobs."""

from __future__ import annotations

import logging

from core.jobs import PeriodicJob, register_periodic

log = logging.getLogger(__name__)

RETRY_UNPLACED_EVERY_SECONDS = 5 * 60


def retry_unplaced_orders() -> int:
    """Re-route orders waiting for stock or deferred by contention."""
    from oms.orders import retry_unplaced

    looked_at = retry_unplaced()
    if looked_at:
        log.info("re-routing pass over %d waiting order(s)", looked_at)
    return looked_at


def register() -> None:
    register_periodic(PeriodicJob("oms-retry-unplaced", "oms.jobs.retry_unplaced_orders",
                                  RETRY_UNPLACED_EVERY_SECONDS))
