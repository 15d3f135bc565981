"""Return policy that operators configure (environment), read once at start-up: the reasons a
return may give, the return window per channel, and the reasons whose refund includes the
order's shipping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

REASONS = ("wrong_size", "damaged", "wrong_item", "not_as_described", "changed_mind", "other")
DISPOSITIONS = ("restock", "damaged")
WINDOW_ENV = "OMS_RETURN_WINDOW_DAYS"
SHIPPING_ENV = "OMS_RETURN_SHIPPING_REASONS"
DEFAULT_WINDOW_DAYS = 30
DEFAULT_SHIPPING_REASONS = frozenset({"damaged", "wrong_item"})


@dataclass(frozen=True)
class ReturnPolicy:
    window_days: int = DEFAULT_WINDOW_DAYS
    # Per channel (`OMS_RETURN_WINDOW_DAYS_SHOPIFY=60`): overrides `window_days`.
    channel_window_days: Mapping[str, int] = field(default_factory=dict)
    # A return giving one of these reasons refunds the order's shipping too (once per order).
    shipping_refund_reasons: frozenset[str] = DEFAULT_SHIPPING_REASONS

    def window_for(self, channel: str) -> int:
        return self.channel_window_days.get(channel, self.window_days)

    def refunds_shipping(self, reasons: set[str]) -> bool:
        return bool(reasons & self.shipping_refund_reasons)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReturnPolicy:
        env = os.environ if env is None else env
        window = _days(WINDOW_ENV, env.get(WINDOW_ENV, str(DEFAULT_WINDOW_DAYS)))
        per_channel = {name[len(WINDOW_ENV) + 1:].lower(): _days(name, value)
                       for name, value in env.items()
                       if name.startswith(WINDOW_ENV + "_") and value.strip()}
        shipping = DEFAULT_SHIPPING_REASONS
        if (raw := env.get(SHIPPING_ENV)) is not None:
            shipping = frozenset(r.strip() for r in raw.split(",") if r.strip())
            unknown = shipping - set(REASONS)
            if unknown:
                raise ValueError(f"{SHIPPING_ENV}: unknown reasons {sorted(unknown)}")
        return cls(window_days=window, channel_window_days=per_channel,
                   shipping_refund_reasons=shipping)


def _days(name: str, raw: str) -> int:
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of days, not {raw!r}") from None
    if days < 0:
        raise ValueError(f"{name} must not be negative")
    return days


_current = ReturnPolicy()


def configure(policy: ReturnPolicy) -> None:
    global _current
    _current = policy


def current() -> ReturnPolicy:
    return _current
