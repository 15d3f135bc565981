"""fulfillment's background jobs."""

from __future__ import annotations

import logging

from core.jobs import PeriodicJob, register_periodic

log = logging.getLogger(__name__)


def expire_pickups() -> int:
    """Cancel pickups not collected in their window and release their stock."""
    from fulfillment.use_cases import expire_pickups as expire

    expired = expire()
    if expired:
        log.info("expired %d uncollected pickup(s)", expired)
    return expired


def remind_expiring_pickups() -> int:
    """Remind customers of ready pickups that expire soon (`fulfillment.expiring`)."""
    from fulfillment.use_cases import remind_expiring_pickups as remind

    reminded = remind()
    if reminded:
        log.info("reminded %d pickup(s) expiring soon", reminded)
    return reminded


def promote_arrived_transfers() -> int:
    """Pickups whose transferred units reached the store become ready to prepare."""
    from fulfillment.use_cases import promote_all_arrivals

    return promote_all_arrivals()


def register() -> None:
    register_periodic(PeriodicJob("oms-expire-pickups", "fulfillment.jobs.expire_pickups",
                                  5 * 60))
    register_periodic(PeriodicJob("oms-remind-pickups",
                                  "fulfillment.jobs.remind_expiring_pickups", 5 * 60))
    register_periodic(PeriodicJob("oms-promote-transfers",
                                  "fulfillment.jobs.promote_arrived_transfers", 60))
