"""Job functions (they take ids or names and are safe to run twice) and the periodic jobs
`stock-publish` and `stock-reconcile`."""

from __future__ import annotations

import logging
from typing import Any

from core import jobs
from integrations.stock import changes, settings

log = logging.getLogger(__name__)

QUEUE = "default"


def publish() -> dict[str, Any]:
    """One publisher pass (README, "Stock changes")."""
    applied = changes.publish()
    if applied.events or applied.shopify_changed:
        log.info("stock: %d pair(s) read, %d stock.changed, %d Shopify quantities changed",
                 applied.pairs, applied.events, applied.shopify_changed)
    return {"pairs": applied.pairs, "events": applied.events,
            "shopify_changed": applied.shopify_changed}


def reconcile() -> dict[str, Any]:
    """Every balance against what was published and pushed."""
    applied = changes.reconcile()
    log.info("stock reconcile: %d balance(s), %d stock.changed, %d Shopify quantities changed",
             applied.pairs, applied.events, applied.shopify_changed)
    return {"pairs": applied.pairs, "events": applied.events,
            "shopify_changed": applied.shopify_changed}


def push_shopify(domain: str) -> dict[str, Any]:
    """Push what one shop is owed (`integrations.shopify.inventory.push`)."""
    from integrations.shopify import inventory

    return inventory.push(domain).as_dict()


def register() -> None:
    cfg = settings.current()
    jobs.register_periodic(jobs.PeriodicJob(
        "stock-publish", "integrations.stock.jobs.publish", cfg.publish_seconds, queue=QUEUE))
    if cfg.reconcile_seconds:
        jobs.register_periodic(jobs.PeriodicJob(
            "stock-reconcile", "integrations.stock.jobs.reconcile", cfg.reconcile_seconds,
            queue="low"))
