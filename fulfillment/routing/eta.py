"""Delivery estimates: when a package from a node reaches a place, counted in business days
(Monday to Friday; carriers and warehouses here do not count weekends). Pure: `today` is an
argument, never read from a clock.

A package is handled at its node (`handling_days` by node kind), then travels
(`transit_days` by distance band). A transfer into a pickup store travels the same bands; shelf
stock at the pickup store is ready `pickup_ready_days` after the order (0: the same day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fulfillment.routing.model import STORE

SATURDAY = 5


def business_days_after(start: date, days: int) -> date:
    """The date `days` business days after `start` (0: `start` itself, even on a weekend)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            left -= 1
    return day


@dataclass(frozen=True)
class TransitTimes:
    """Operator-configurable (OMS_DELIVERY_ESTIMATES); the defaults are ground-parcel figures
    for the continental US."""

    # (up to this many km, business days in transit), ascending; beyond the last: beyond_days.
    bands: tuple[tuple[float, int], ...] = ((250.0, 1), (800.0, 2), (1600.0, 3), (3000.0, 4))
    beyond_days: int = 5
    handling_days_warehouse: int = 1  # ordered today, leaves the next business day
    handling_days_store: int = 1
    pickup_ready_days: int = 0  # shelf stock at the pickup store: ready the same day

    def __post_init__(self) -> None:
        limits = [km for km, _ in self.bands]
        if limits != sorted(limits):
            raise ValueError("transit bands must be in ascending order of distance")
        values = [days for _, days in self.bands] + [
            self.beyond_days, self.handling_days_warehouse, self.handling_days_store,
            self.pickup_ready_days]
        if any(not isinstance(v, int) or v < 0 for v in values):
            raise ValueError("transit and handling days must be whole numbers >= 0")

    def transit_days(self, km: float) -> int:
        for limit, days in self.bands:
            if km <= limit:
                return days
        return self.beyond_days

    def handling_days(self, kind: str) -> int:
        return self.handling_days_store if kind == STORE else self.handling_days_warehouse

    def arrival(self, today: date, kind: str, km: float) -> date:
        """When a package handled at a node of `kind`, `km` away, arrives."""
        return business_days_after(today, self.handling_days(kind) + self.transit_days(km))

    def ready_at_store(self, today: date) -> date:
        return business_days_after(today, self.pickup_ready_days)
