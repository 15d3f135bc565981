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


def expire_pickups() -> int:
    """Cancel pickups not collected in their window and release their stock."""
    from oms.fulfilling import expire_pickups as expire

    expired = expire()
    if expired:
        log.info("expired %d uncollected pickup(s)", expired)
    return expired


def promote_arrived_transfers() -> int:
    """Pickups whose transferred units reached the store become ready to prepare."""
    from oms.fulfilling import promote_all_arrivals

    return promote_all_arrivals()


def register() -> None:
    register_periodic(PeriodicJob("oms-retry-unplaced", "oms.jobs.retry_unplaced_orders",
                                  RETRY_UNPLACED_EVERY_SECONDS))
    register_periodic(PeriodicJob("oms-expire-pickups", "oms.jobs.expire_pickups", 5 * 60))
    register_periodic(PeriodicJob("oms-promote-transfers", "oms.jobs.promote_arrived_transfers",
                                  60))
