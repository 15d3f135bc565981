"""Order-handling policy that operators configure (environment), read once at start-up."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from fulfillment.planning import RoutingRules
from fulfillment.routing import CostModel
from fulfillment.routing.eta import TransitTimes

BOPIS_POLICIES = ("transfer", "split", "suggest")


@dataclass(frozen=True)
class OrderPolicy:
    number_prefix: str = "NW"
    backorder_default: bool = True
    backorder_skus: frozenset[str] = frozenset()      # always allowed to backorder
    no_backorder_skus: frozenset[str] = frozenset()   # never
    bopis_policy: str = "transfer"
    routing: RoutingRules = field(default_factory=RoutingRules)

    def backorder_allowed(self, sku: str) -> bool:
        if sku in self.no_backorder_skus:
            return False
        return sku in self.backorder_skus or self.backorder_default

    @classmethod
    def from_env(cls) -> OrderPolicy:
        env = os.environ
        cost = CostModel()
        if raw := env.get("OMS_ROUTING_COST"):
            overrides = json.loads(raw)
            known = {f.name for f in fields(CostModel)}
            unknown = set(overrides) - known
            if unknown:
                raise ValueError(f"OMS_ROUTING_COST: unknown keys {sorted(unknown)}")
            cost = replace(cost, **{k: float(v) for k, v in overrides.items()})
        routing = RoutingRules(
            cost=cost, transit=_transit(env.get("OMS_DELIVERY_ESTIMATES")),
            single_package_tolerance=_number(env, "OMS_SINGLE_PACKAGE_TOLERANCE",
                                             RoutingRules.single_package_tolerance),
            single_package_tolerance_pct=_number(env, "OMS_SINGLE_PACKAGE_TOLERANCE_PCT",
                                                 RoutingRules.single_package_tolerance_pct),
            time_budget_ms=_number(env, "OMS_ROUTING_TIME_BUDGET_MS",
                                   RoutingRules.time_budget_ms or 0) or None,
        )
        bopis = env.get("OMS_BOPIS_POLICY", "transfer")
        if bopis not in BOPIS_POLICIES:
            raise ValueError(f"OMS_BOPIS_POLICY must be one of {BOPIS_POLICIES}")
        return cls(
            number_prefix=env.get("OMS_ORDER_PREFIX", "NW"),
            backorder_default=env.get("OMS_BACKORDER_DEFAULT", "1").lower() in {"1", "true",
                                                                                 "yes"},
            backorder_skus=_skus(env.get("OMS_BACKORDER_SKUS")),
            no_backorder_skus=_skus(env.get("OMS_NO_BACKORDER_SKUS")),
            bopis_policy=bopis, routing=routing,
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


def _transit(raw: str | None) -> TransitTimes:
    """OMS_DELIVERY_ESTIMATES: JSON overrides of TransitTimes, bands as [[km, days], ...]."""
    if not raw:
        return TransitTimes()
    overrides = json.loads(raw)
    known = {f.name for f in fields(TransitTimes)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"OMS_DELIVERY_ESTIMATES: unknown keys {sorted(unknown)}")
    if "bands" in overrides:
        overrides["bands"] = tuple((float(km), int(days)) for km, days in overrides["bands"])
    return TransitTimes(**overrides)


def _skus(raw: str | None) -> frozenset[str]:
    return frozenset(s.strip() for s in (raw or "").split(",") if s.strip())


_current = OrderPolicy()


def configure(policy: OrderPolicy) -> None:
    global _current
    _current = policy


def current() -> OrderPolicy:
    return _current
