"""The Redis URL forms (core.redis_client) without a server: what a Sentinel URL says, which
client each form opens, what `limits` is given, and that a bad URL is refused by the name of
its setting. The failover itself: tests/e2e/test_redis_sentinel.py."""

from __future__ import annotations

import pytest
from redis.connection import SSLConnection
from redis.sentinel import SentinelConnectionPool

from core import redis_client
from core.rate_limits import RateLimitSettings
from core.redis_client import SentinelAddress, SentinelMasterConnection, parse_sentinel_url
from oms.config import Settings


def test_a_sentinel_url_names_the_sentinels_the_service_and_the_database():
    assert parse_sentinel_url("redis+sentinel://:s3cret@h1:26379,h2:26380/oms/2") == \
        SentinelAddress((("h1", 26379), ("h2", 26380)), "oms", 2, None, "s3cret")
    # The port defaults to Sentinel's, the database to 0; a user, an IPv6 address.
    assert parse_sentinel_url("redis+sentinel://app:p%40ss@h1,[::1]:26381/oms") == \
        SentinelAddress((("h1", 26379), ("::1", 26381)), "oms", 0, "app", "p@ss")


@pytest.mark.parametrize(("url", "why"), [
    ("redis+sentinel://h1:26379", "no service name"),
    ("redis+sentinel://h1:26379/", "no service name"),
    ("redis+sentinel://h1:26379/oms/x", "the database must be a number"),
    ("redis+sentinel://h1:26379/oms/1/2", "too many path parts"),
    ("redis+sentinel://h1:port/oms", "not a port"),
    ("redis+sentinel://h1:70000/oms", "not a port"),
    ("redis+sentinel://h1,,h2/oms", "a Sentinel without a host"),
    ("redis+sentinel://h1/oms?ssl=true", "query strings are not understood"),
    ("http://h1/0", "not a Redis URL scheme"),
    ("redis://h1:port/0", "Port could not be cast"),
    ("redis://h1:6379/zero", "the database must be a number"),
])
def test_a_bad_url_is_refused_naming_its_setting(url, why):
    with pytest.raises(ValueError, match=f"^OMS_REDIS_URL: .*{why}"):
        redis_client.check_url(url, "OMS_REDIS_URL")


def test_the_settings_refuse_a_bad_url_at_start():
    with pytest.raises(ValueError, match=r"^OMS_REDIS_URL: "):
        Settings(redis_url="redis+sentinel://h1:26379")
    with pytest.raises(ValueError, match=r"^OMS_RATE_LIMIT_STORAGE_URL: "):
        RateLimitSettings.uniform("10/minute", "redis+sentinel://h1:26379")
    assert Settings(redis_url="redis+sentinel://h1,h2/oms").redis_url  # accepted


def test_a_bad_url_in_the_environment_is_refused_by_its_name(monkeypatch):
    monkeypatch.setenv("OMS_SECRET_KEY", "x" * 64)
    monkeypatch.setenv("OMS_REDIS_URL", "redis+sentinel://h1:26379/oms/zero")
    with pytest.raises(ValueError, match=r"^OMS_REDIS_URL: the database must be a number"):
        Settings.from_env()
    monkeypatch.setenv("OMS_REDIS_URL", "redis+sentinel://h1:26379/oms/1")
    monkeypatch.setenv("OMS_RATE_LIMIT_STORAGE_URL", "redis://h1:x")
    with pytest.raises(ValueError, match="OMS_RATE_LIMIT_STORAGE_URL: Port could not be"):
        Settings.from_env()


def test_the_rate_limits_name_the_setting_their_url_came_from(monkeypatch):
    monkeypatch.delenv("OMS_RATE_LIMIT_STORAGE_URL", raising=False)
    with pytest.raises(ValueError, match="OMS_REDIS_URL: "):
        RateLimitSettings.from_env("rediss+sentinel://h1/oms")


def test_plain_and_tls_urls_are_redis_pys_own():
    plain = redis_client.connect("redis://r.internal:6380/4", timeout=1.5)
    kwargs = plain.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("r.internal", 6380, 4)
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 1.5
    managed = redis_client.connect("rediss://:pw@r.example.com:6380/0", timeout=1.5)
    assert managed.connection_pool.connection_class is SSLConnection
    assert managed.connection_pool.connection_kwargs["password"] == "pw"


def test_a_sentinel_url_opens_a_master_client_with_the_fixed_connection():
    client = redis_client.connect("redis+sentinel://:pw@h1:26379,h2/oms/3", timeout=2)
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.service_name == "oms"
    assert pool.connection_class is SentinelMasterConnection
    assert {k: pool.connection_kwargs[k] for k in ("db", "password", "socket_timeout")} == \
        {"db": 3, "password": "pw", "socket_timeout": 2}
    sentinels = pool.sentinel_manager.sentinels
    assert [(s.connection_pool.connection_kwargs["host"],
             s.connection_pool.connection_kwargs["port"]) for s in sentinels] == \
        [("h1", 26379), ("h2", 26379)]
    # A Sentinel that does not answer is passed over at once, not retried.
    assert sentinels[0].connection_pool.connection_kwargs["retry"].get_retries() == 0
    assert sentinels[0].connection_pool.connection_kwargs["password"] == "pw"


def test_limits_gets_the_sentinels_and_the_service_and_the_rest_as_options():
    """`limits` would read `/oms/3` as a service named "oms3": the database (and password)
    travel as options."""
    uri, options = redis_client.limits_storage(
        "redis+sentinel://:pw@h1:26379,[::1]:26380/oms/3", {"socket_timeout": 1})
    assert uri == "redis+sentinel://h1:26379,[::1]:26380/oms"
    assert options["db"] == 3 and options["password"] == "pw"
    assert options["socket_timeout"] == options["sentinel_kwargs"]["socket_timeout"] == 1
    assert options["connection_class"] is SentinelMasterConnection
    plain = "rediss://r.example.com:6380/0"
    assert redis_client.limits_storage(plain, {"socket_timeout": 1}) == \
        (plain, {"socket_timeout": 1})
