"""The relay's settings, read from the environment at each use (README, "Outbound sync")."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliverySettings:
    timeout: float = 10.0           # OMS_DELIVERY_TIMEOUT: seconds, every HTTP call
    backoff: float = 5.0            # OMS_DELIVERY_BACKOFF_SECONDS: the first retry's delay
    max_backoff: float = 3600.0     # OMS_DELIVERY_MAX_BACKOFF_SECONDS: the longest delay
    max_attempts: int = 10          # OMS_DELIVERY_MAX_ATTEMPTS
    max_age_hours: float = 24.0     # OMS_DELIVERY_MAX_AGE_HOURS
    retention_days: float = 7.0     # OMS_DELIVERY_RETENTION_DAYS
    # OMS_DELIVERY_LEASE_MARGIN_SECONDS: how long a claim outlives the call's timeout; a
    # worker killed mid-call holds its delivery this long past the timeout, then the sweep
    # hands it to another one.
    lease_margin: float = 30.0
    # OMS_DELIVERY_SWEEP_SECONDS: the sweep's period, so also the longest a retry waits past
    # its backoff and a lost job past its commit (read when the app starts; whole seconds,
    # the periodic scheduler's slots are).
    sweep_seconds: int = 30


def env_number(name: str, default: float) -> float:
    """A number from the environment; unset or empty is the default."""
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def current() -> DeliverySettings:
    d = DeliverySettings()
    return DeliverySettings(
        timeout=env_number("OMS_DELIVERY_TIMEOUT", d.timeout),
        backoff=env_number("OMS_DELIVERY_BACKOFF_SECONDS", d.backoff),
        max_backoff=env_number("OMS_DELIVERY_MAX_BACKOFF_SECONDS", d.max_backoff),
        max_attempts=int(env_number("OMS_DELIVERY_MAX_ATTEMPTS", d.max_attempts)),
        max_age_hours=env_number("OMS_DELIVERY_MAX_AGE_HOURS", d.max_age_hours),
        retention_days=env_number("OMS_DELIVERY_RETENTION_DAYS", d.retention_days),
        lease_margin=env_number("OMS_DELIVERY_LEASE_MARGIN_SECONDS", d.lease_margin),
        sweep_seconds=max(1, int(env_number("OMS_DELIVERY_SWEEP_SECONDS", d.sweep_seconds))),
    )
