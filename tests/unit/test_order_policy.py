"""oms.policy.OrderPolicy.from_env: what an operator sets about routing reaches the rules, and a
setting that makes no sense stops the start with the variable's name."""

from __future__ import annotations

import pytest

from fulfillment.planning import RoutingRules
from fulfillment.routing.eta import TransitTimes
from oms.policy import OrderPolicy


def with_env(monkeypatch, **values: str) -> OrderPolicy:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return OrderPolicy.from_env()


def test_defaults_without_settings(monkeypatch):
    for name in ("OMS_ROUTING_COST", "OMS_SINGLE_PACKAGE_TOLERANCE",
                 "OMS_SINGLE_PACKAGE_TOLERANCE_PCT", "OMS_ROUTING_TIME_BUDGET_MS",
                 "OMS_DELIVERY_ESTIMATES"):
        monkeypatch.delenv(name, raising=False)
    assert OrderPolicy.from_env().routing == RoutingRules()


def test_routing_settings_reach_the_rules(monkeypatch):
    rules = with_env(
        monkeypatch, OMS_ROUTING_COST='{"per_km": 0.02}', OMS_SINGLE_PACKAGE_TOLERANCE="2.5",
        OMS_SINGLE_PACKAGE_TOLERANCE_PCT="0", OMS_ROUTING_TIME_BUDGET_MS="10",
        OMS_DELIVERY_ESTIMATES='{"bands": [[100, 1], [1000, 3]], "beyond_days": 6, '
                               '"handling_days_store": 2}',
    ).routing
    assert rules.cost.per_km == 0.02
    assert (rules.single_package_tolerance, rules.single_package_tolerance_pct) == (2.5, 0)
    assert rules.time_budget_ms == 10
    assert rules.transit == TransitTimes(bands=((100.0, 1), (1000.0, 3)), beyond_days=6,
                                         handling_days_store=2)
    request = rules.request(lines=(), method="ship")
    assert (request.single_package_tolerance, request.time_budget_ms) == (2.5, 10)


def test_a_zero_time_budget_means_none(monkeypatch):
    assert with_env(monkeypatch, OMS_ROUTING_TIME_BUDGET_MS="0").routing.time_budget_ms is None


@pytest.mark.parametrize(("name", "value", "message"), [
    ("OMS_SINGLE_PACKAGE_TOLERANCE", "lots", "OMS_SINGLE_PACKAGE_TOLERANCE must be a number"),
    ("OMS_SINGLE_PACKAGE_TOLERANCE_PCT", "-1", "must not be negative"),
    ("OMS_DELIVERY_ESTIMATES", '{"days": 3}', "unknown keys"),
    ("OMS_DELIVERY_ESTIMATES", '{"bands": [[800, 2], [100, 1]]}', "ascending"),
])
def test_nonsense_settings_are_refused_by_name(monkeypatch, name, value, message):
    with pytest.raises(ValueError, match=message):
        with_env(monkeypatch, **{name: value})
