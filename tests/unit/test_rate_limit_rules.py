"""The rate limits' rules without a server: which limit a caller gets, what the environment
says, what is never limited."""

from __future__ import annotations

import pytest

from core.auth import ROLES, Principal
from core.rate_limits import (
    ANONYMOUS_LIMIT,
    EXEMPT_PATHS,
    ROLE_LIMITS,
    RateLimitSettings,
    check_limit,
)

ENV = ("OMS_RATE_LIMIT_ENABLED", "OMS_RATE_LIMIT", "OMS_RATE_LIMIT_ANONYMOUS",
       "OMS_RATE_LIMIT_STORAGE_URL", "OMS_RATE_LIMIT_STRATEGY",
       *(f"OMS_RATE_LIMIT_{role.upper()}" for role in ROLES))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def principal(role: str) -> Principal:
    return Principal(key_id=7, name="k", role=role,
                     locations=frozenset({"dc-east"}) if role in ("wms", "store") else
                     frozenset())


def test_on_by_default_with_a_limit_per_role_and_channels_the_most_headroom():
    settings = RateLimitSettings.from_env(None)
    assert settings is not None
    assert {role: settings.limit_for(principal(role)) for role in ROLES} == dict(ROLE_LIMITS)
    assert settings.limit_for(None) == ANONYMOUS_LIMIT
    assert settings.storage_uri == "memory://"  # the embedded mode: one process
    per_minute = {role: int(limit.split("/")[0]) for role, limit in ROLE_LIMITS.items()}
    assert max(per_minute, key=per_minute.__getitem__) == "channel"


def test_oms_rate_limit_sets_everyone_and_a_role_variable_beats_it(monkeypatch):
    monkeypatch.setenv("OMS_RATE_LIMIT", "5/minute")
    monkeypatch.setenv("OMS_RATE_LIMIT_CHANNEL", "50/second")
    settings = RateLimitSettings.from_env(None)
    assert settings is not None
    assert settings.limit_for(principal("channel")) == "50/second"
    assert settings.limit_for(principal("wms")) == "5/minute"
    assert settings.limit_for(None) == "5/minute"
    monkeypatch.setenv("OMS_RATE_LIMIT_ANONYMOUS", "1/second")
    assert RateLimitSettings.from_env(None).limit_for(None) == "1/second"  # type: ignore[union-attr]


def test_counts_go_to_redis_when_there_is_one(monkeypatch):
    settings = RateLimitSettings.from_env("redis://r:6379/0")
    assert settings is not None and settings.storage_uri == "redis://r:6379/0"
    monkeypatch.setenv("OMS_RATE_LIMIT_STORAGE_URL", "redis://limits:6379/3")
    assert RateLimitSettings.from_env("redis://r:6379/0").storage_uri == \
        "redis://limits:6379/3"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["0", "false", "off", "no"])
def test_they_can_be_switched_off(monkeypatch, value):
    monkeypatch.setenv("OMS_RATE_LIMIT_ENABLED", value)
    assert RateLimitSettings.from_env("redis://r:6379/0") is None


@pytest.mark.parametrize("name, value", [
    ("OMS_RATE_LIMIT", "lots"), ("OMS_RATE_LIMIT_STORE", "600/fortnight"),
    ("OMS_RATE_LIMIT_ANONYMOUS", "600 a minute"), ("OMS_RATE_LIMIT_STRATEGY", "leaky"),
])
def test_a_limit_that_cannot_be_read_stops_the_start_naming_what(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="OMS_RATE_LIMIT") as err:
        RateLimitSettings.from_env(None)
    assert value in str(err.value)


def test_several_limits_in_one_string_are_accepted():
    check_limit("20/second;600/minute", "x")
    with pytest.raises(ValueError, match="x: ''"):
        check_limit("", "x")


def test_probes_metrics_and_shopify_webhooks_are_never_limited():
    assert {"/healthz", "/readyz", "/metrics", "/webhooks/shopify"} == EXEMPT_PATHS
    assert not any(path.startswith("/api/") for path in EXEMPT_PATHS)
