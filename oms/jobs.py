"""oms background jobs."""

from __future__ import annotations

import logging

from core.jobs import PeriodicJob, register_periodic

log = logging.getLogger(__name__)

RETRY_UNPLACED_EVERY_SECONDS = 5 * 60
RELEASE_HOLDS_EVERY_SECONDS = 2 * 60


def retry_unplaced_orders() -> int:
    """Re-route orders waiting for stock or deferred by contention."""
    from oms.orders import retry_unplaced

    looked_at = retry_unplaced()
    if looked_at:
        log.info("re-routing pass over %d waiting order(s)", looked_at)
    return looked_at


def release_holds() -> int:
    """Release held orders whose SKUs (and channel locations) are known now, and route them."""
    from oms.holds import release_held

    released = release_held()
    if released:
        log.info("released %d order(s) from hold", released)
    return released


def register() -> None:
    register_periodic(PeriodicJob("oms-retry-unplaced", "oms.jobs.retry_unplaced_orders",
                                  RETRY_UNPLACED_EVERY_SECONDS))
    register_periodic(PeriodicJob("oms-release-holds", "oms.jobs.release_holds",
                                  RELEASE_HOLDS_EVERY_SECONDS))
