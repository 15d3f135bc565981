"""Per-caller rate limits, through Flask-Limiter (README, "Protecting the service").

Who is counted: an API call with a key this service knows counts against that key (its id),
from whatever address it comes; anything else (staff pages, sign-in, unknown or no keys)
against the client's address (`request.remote_addr`, which believes X-Forwarded-For only from
the OMS_TRUSTED_PROXIES proxies in front). Each caller has one budget for the whole service
(Flask-Limiter's application limit), sized by the key's role: `ROLE_LIMITS`.

Where the counts live: in Redis (OMS_RATE_LIMIT_STORAGE_URL, else OMS_REDIS_URL), shared by
every process on every host; without Redis (the embedded mode) in the process's memory, which
is right there because that mode runs one process. If Redis stops answering, each process
counts in its own memory until it answers again: an outage of Redis never becomes an outage
of the API, and the limits still hold per process meanwhile.

The check runs before the view (a `before_request` hook), so a refused request never reaches
a use case: a 429 writes nothing, and the Idempotency-Key it carried is still unused.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from limits.strategies import STRATEGIES

from core import redis_client
from core.auth import ROLES, Principal, authenticate
from core.http import error_body

log = logging.getLogger(__name__)

# Requests per caller by the key's role, when neither OMS_RATE_LIMIT_<ROLE> nor OMS_RATE_LIMIT
# says otherwise. The limits are there to stop one runaway client (a retry loop, a stuck
# poller) from taking the capacity everyone shares, not to ration normal traffic, so each is
# well above what its caller does on the busiest day:
ROLE_LIMITS: Mapping[str, str] = {
    # A storefront's or marketplace's backend sends every order and fulfillment-options query
    # of its channel through one key: 200/s is above what one 2-core host places (bench/
    # README: 150-290 orders/s), so a channel is never limited before the service is.
    "channel": "12000/minute",
    # One warehouse's WMS: polling, claiming, picking and shipping its work (a DC shipping
    # 10,000 orders an hour makes ~10 calls/s); 50/s.
    "wms": "3000/minute",
    # A store's POS and tablets: till sales, pickups, returns; 20/s.
    "store": "1200/minute",
    # Operators' scripts (imports are one request per file); 20/s.
    "admin": "1200/minute",
    # A customer-service tool or agent; 10/s.
    "cs": "600/minute",
}
# Callers without a known key, by address: staff pages (a store's tablets share its address;
# their static files are not counted), sign-in, the API docs, and requests with unknown keys.
ANONYMOUS_LIMIT = "600/minute"

# Never limited: the probes a load balancer and Prometheus poll (a 429 would take a healthy
# process out of rotation), and Shopify's webhooks: Shopify authenticates them with its HMAC,
# retries what fails 8 times over 4 hours and may then delete the subscription, and a
# Black-Friday burst of orders is exactly when none may be refused (the intake only stores
# and acknowledges).
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/webhooks/shopify"})

STRATEGY = "fixed-window"  # exact Retry-After; one Redis round trip (INCR) per request
# Redis must answer a hit quickly or not at all: past this the process counts in memory.
REDIS_OPTIONS: dict[str, str | int] = {"socket_timeout": 1, "socket_connect_timeout": 1}
EXTENSION = "oms_rate_limiter"


@dataclass(frozen=True)
class RateLimitSettings:
    """The limits in `limits`' notation ("600/minute", several separated by ";"), by role
    and for callers without a key; where the counts live (None: this process's memory)."""

    # Not hashed (a dict): Settings, which holds this, stays hashable.
    roles: Mapping[str, str] = field(default_factory=lambda: dict(ROLE_LIMITS), hash=False)
    anonymous: str = ANONYMOUS_LIMIT
    storage_url: str | None = None
    strategy: str = STRATEGY
    # The setting `storage_url` came from, named when it is not a Redis URL.
    storage_setting: str = "OMS_RATE_LIMIT_STORAGE_URL"

    def __post_init__(self) -> None:
        for role in ROLES:
            if role not in self.roles:
                raise ValueError(f"no rate limit for role {role!r}")
        for name, value in [*self.roles.items(), ("anonymous", self.anonymous)]:
            check_limit(value, name)
        if self.storage_url:
            redis_client.check_url(self.storage_url, self.storage_setting)
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown rate limit strategy {self.strategy!r}: one of "
                             f"{', '.join(sorted(STRATEGIES))}")

    @classmethod
    def uniform(cls, limit: str, storage_url: str | None = None) -> RateLimitSettings:
        """The same limit for every caller."""
        return cls(roles=dict.fromkeys(ROLES, limit), anonymous=limit, storage_url=storage_url)

    @classmethod
    def from_env(cls, redis_url: str | None) -> RateLimitSettings | None:
        """OMS_RATE_LIMIT_ENABLED (default 1), OMS_RATE_LIMIT (every caller),
        OMS_RATE_LIMIT_<ROLE> and OMS_RATE_LIMIT_ANONYMOUS (each over OMS_RATE_LIMIT),
        OMS_RATE_LIMIT_STORAGE_URL (else `redis_url`, else memory), OMS_RATE_LIMIT_STRATEGY."""
        enabled = os.environ.get("OMS_RATE_LIMIT_ENABLED", "1").strip().lower()
        if enabled in {"0", "false", "no", "off"}:
            return None

        def env(name: str) -> str | None:
            return (os.environ.get(name) or "").strip() or None

        every = env("OMS_RATE_LIMIT")
        try:
            return cls(
                roles={role: env(f"OMS_RATE_LIMIT_{role.upper()}") or every or default
                       for role, default in ROLE_LIMITS.items()},
                anonymous=env("OMS_RATE_LIMIT_ANONYMOUS") or every or ANONYMOUS_LIMIT,
                storage_url=env("OMS_RATE_LIMIT_STORAGE_URL") or redis_url,
                storage_setting=("OMS_RATE_LIMIT_STORAGE_URL" if env("OMS_RATE_LIMIT_STORAGE_URL")
                                 else "OMS_REDIS_URL"),
                strategy=env("OMS_RATE_LIMIT_STRATEGY") or STRATEGY)
        except ValueError as exc:
            raise ValueError(f"rate limits (OMS_RATE_LIMIT*): {exc}") from None

    def limit_for(self, principal: Principal | None) -> str:
        """The limit of a caller: its key's role's, or the anonymous one."""
        return self.anonymous if principal is None else self.roles[principal.role]

    def storage(self) -> tuple[str, dict[str, Any]]:
        """The storage URI and options for `limits`: this process's memory, or the Redis of
        `storage_url` (a Sentinel URL too: core.redis_client.limits_storage)."""
        if not self.storage_url:
            return "memory://", {}
        return redis_client.limits_storage(self.storage_url, dict(REDIS_OPTIONS),
                                           self.storage_setting)

    @property
    def storage_uri(self) -> str:
        return self.storage()[0]


def check_limit(value: str, name: str) -> None:
    """A limit string `limits` can read ("600/minute", "10/second;600/minute"), else
    ValueError naming whose it is (so a typo stops the app at start, not at a request)."""
    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if not items:
        raise ValueError(f"{name}: {value!r} is not a rate limit such as '600/minute'")


def is_exempt() -> bool:
    return request.path in EXEMPT_PATHS


_UNKNOWN = object()


def api_caller() -> Principal | None:
    """The principal of the request's API key, if it has one this service knows; looked up
    once per request (`core.auth.authenticate`, which each process caches). A failure to
    look it up (the database is down) counts the request by address: the view fails the same
    way and answers for it."""
    found = g.get("_rate_limit_caller", _UNKNOWN)
    if found is not _UNKNOWN:
        return found
    principal = None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            principal = authenticate(token.strip())
        except Exception as exc:
            log.warning("rate limit: API key not looked up (%s); counted by address",
                        type(exc).__name__)
    g._rate_limit_caller = principal
    return principal


def caller_key() -> str:
    """Whose budget a request counts against: `key:<id>` or `address:<client address>`."""
    principal = api_caller()
    if principal is not None:
        return f"key:{principal.key_id}"
    return f"address:{request.remote_addr or 'unknown'}"


def retry_after_seconds() -> int:
    """Whole seconds until the limit this request broke lets the caller in again (at least
    1)."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION)
    breached = limiter.current_limit if limiter is not None else None
    if breached is None:
        return 1
    try:
        reset_at = breached.window[0]
    except Exception:  # the storage went away meanwhile: a guess beats no answer
        return 1
    return max(1, math.ceil(reset_at - time.time()))


def refusal(err: RateLimitExceeded) -> tuple[dict, int]:
    """What a 429 says (the house error body) and the seconds for its Retry-After."""
    seconds = retry_after_seconds()
    who = "API key" if api_caller() is not None else "address"
    body = error_body("too_many_requests",
                      f"this {who} is over its rate limit ({err.description}); retry after "
                      f"{seconds} s", None, {"limit": err.description, "retry_after": seconds})
    return body, seconds


def init_rate_limits(app: Flask, settings: RateLimitSettings | None) -> Limiter | None:
    """Limit every request of `app` but the exempt ones (nothing when `settings` is None)."""
    if settings is None:
        return None
    storage_uri, storage_options = settings.storage()
    limiter = Limiter(
        caller_key,
        # An application limit: one budget per caller across every route; the callable is
        # asked on every request, so the limit follows the caller's role.
        application_limits=[lambda: settings.limit_for(api_caller())],
        storage_uri=storage_uri,
        storage_options=storage_options,
        strategy=settings.strategy,
        key_prefix="oms",
        # Redis unreachable: count in this process's memory until it answers again; and
        # never fail a request because the limiter failed.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        # No X-RateLimit-* headers on every answer (each would cost a storage read); the 429
        # carries Retry-After.
        headers_enabled=False,
    )
    limiter.request_filter(is_exempt)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(err: RateLimitExceeded):
        body, seconds = refusal(err)
        return jsonify(body), 429, {"Retry-After": str(seconds)}

    return limiter
