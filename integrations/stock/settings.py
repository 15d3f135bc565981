"""The stock publisher's and the Shopify inventory sync's settings, read from the environment at
each use (README, "Stock changes")."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.outbound.settings import env_number


@dataclass(frozen=True)
class StockSettings:
    # OMS_STOCK_PUBLISH_SECONDS: how often the publisher runs, so at most one stock.changed per
    # (location, SKU) and one Shopify push per (shop, location, SKU) per this many seconds.
    publish_seconds: int = 5
    # OMS_STOCK_LOOKBACK_SECONDS: how long a movement may stay uncommitted after its id was
    # taken and still be seen (it must exceed the longest write transaction).
    lookback_seconds: float = 120.0
    # OMS_STOCK_RECONCILE_SECONDS: how often every balance is compared with what was
    # published and pushed (changes without a movement: safety stock; 0 = never).
    reconcile_seconds: int = 600
    # OMS_SHOPIFY_SKU_RECHECK_HOURS: a SKU Shopify did not know is looked up again after this.
    sku_recheck_hours: float = 24.0


def current() -> StockSettings:
    d = StockSettings()
    return StockSettings(
        publish_seconds=max(1, int(env_number("OMS_STOCK_PUBLISH_SECONDS", d.publish_seconds))),
        lookback_seconds=max(0.0, env_number("OMS_STOCK_LOOKBACK_SECONDS", d.lookback_seconds)),
        reconcile_seconds=max(0, int(env_number("OMS_STOCK_RECONCILE_SECONDS",
                                                d.reconcile_seconds))),
        sku_recheck_hours=max(0.0, env_number("OMS_SHOPIFY_SKU_RECHECK_HOURS",
                                              d.sku_recheck_hours)),
    )
