"""Order-handling policy that operators configure (environment), read once at start-up."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace

from fulfillment.routing import CostModel

BOPIS_POLICIES = ("transfer", "split", "suggest")


@dataclass(frozen=True)
class OrderPolicy:
    number_prefix: str = "NW"
    backorder_default: bool = True
    backorder_skus: frozenset[str] = frozenset()      # always allowed to backorder
    no_backorder_skus: frozenset[str] = frozenset()   # never
    bopis_policy: str = "transfer"
    cost: CostModel = field(default_factory=CostModel)

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
        bopis = env.get("OMS_BOPIS_POLICY", "transfer")
        if bopis not in BOPIS_POLICIES:
            raise ValueError(f"OMS_BOPIS_POLICY must be one of {BOPIS_POLICIES}")
        return cls(
            number_prefix=env.get("OMS_ORDER_PREFIX", "NW"),
            backorder_default=env.get("OMS_BACKORDER_DEFAULT", "1").lower() in {"1", "true",
                                                                                 "yes"},
            backorder_skus=_skus(env.get("OMS_BACKORDER_SKUS")),
            no_backorder_skus=_skus(env.get("OMS_NO_BACKORDER_SKUS")),
            bopis_policy=bopis, cost=cost,
        )


def _skus(raw: str | None) -> frozenset[str]:
    return frozenset(s.strip() for s in (raw or "").split(",") if s.strip())


_current = OrderPolicy()


def configure(policy: OrderPolicy) -> None:
    global _current
    _current = policy


def current() -> OrderPolicy:
    return _current
