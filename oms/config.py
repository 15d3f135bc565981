"""Configuration from the environment, with defaults that run on a laptop with nothing else
installed (SQLite file, in-process background jobs)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import redis_client
from core.db import Timeouts
from core.rate_limits import RateLimitSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    path = PROJECT_ROOT / "var" / "oms.sqlite3"
    return f"sqlite:///{path}"


def local_secret_key(path: Path | None = None) -> str:
    """The Flask secret when OMS_SECRET_KEY is unset: made once and kept in var/secret-key
    (mode 0600), so sessions survive a restart and every gunicorn worker on this host signs
    the same cookies. Several hosts must share OMS_SECRET_KEY instead."""
    path = path or PROJECT_ROOT / "var" / "secret-key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        key = secrets.token_hex(32)
        out.write(key + "\n")
    return key


LOG_FORMATS = ("json", "text")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """A whole number from the environment; unset or empty is the default."""
    raw = (os.environ.get(name) or "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


# The largest request body the app reads (OMS_MAX_BODY_BYTES). The largest legitimate bodies
# are orders: a 200-line order (the most one may have) with long names, external ids, two
# discounts and two taxes on every line is 211 kB (tests/unit/test_body_limit.py builds it);
# the largest body the suite sends is the fuzzer's 300 kB of nested objects (a 400). 1 MiB
# leaves room for four times the order. The Shopify webhook has its own, larger limit
# (integrations.shopify.webhooks.MAX_BODY_BYTES, 10 MiB; the fixtures are 3-8 kB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    # A streaming replica for reads that tolerate a little staleness (core.db.read_session).
    database_replica_url: str | None = None
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    embedded_worker: bool = True
    log_level: str = "INFO"
    order_policy: Any = None  # oms.policy.OrderPolicy; None: read from the environment
    # Session cookie `Secure` flag: "auto" (when the request came over HTTPS), "1", "0".
    secure_cookies: str = "auto"
    # Proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none).
    trusted_proxies: int = 0
    # Per-caller rate limits; None: none (a Settings built in code, as the tests and benches
    # build theirs, has none; `from_env` turns them on unless OMS_RATE_LIMIT_ENABLED=0).
    rate_limits: RateLimitSettings | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    db_timeouts: Timeouts = field(default_factory=Timeouts)
    # The database URL is a PgBouncer in transaction pooling mode (OMS_DATABASE_PGBOUNCER=1):
    # no server-side prepared statements, timeouts left to the role (core.db).
    database_pgbouncer: bool = False
    # The replica URL is (True) or is not (False) a PgBouncer too; None: as the primary.
    database_replica_pgbouncer: bool | None = None
    # Log lines as JSON objects (production, gunicorn) or as text (`make run` sets it).
    log_format: str = "json"
    # Bearer token /metrics requires; None: /metrics answers loopback callers only.
    metrics_token: str | None = None

    def __post_init__(self) -> None:
        if self.redis_url:  # a typo stops the process at start, naming the setting
            redis_client.check_url(self.redis_url, "OMS_REDIS_URL")
        if self.log_format not in LOG_FORMATS:
            raise ValueError(f"OMS_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                             f"not {self.log_format!r}")

    @classmethod
    def from_env(cls) -> Settings:
        redis_url = os.environ.get("OMS_REDIS_URL") or None
        if redis_url:  # before the rate limits, which read it too, say whose it is
            redis_client.check_url(redis_url, "OMS_REDIS_URL")
        return cls(
            database_url=os.environ.get("OMS_DATABASE_URL") or default_database_url(),
            database_replica_url=os.environ.get("OMS_DATABASE_REPLICA_URL") or None,
            redis_url=redis_url,
            secret_key=os.environ.get("OMS_SECRET_KEY") or local_secret_key(),
            embedded_worker=_flag("OMS_EMBEDDED_WORKER", True),
            log_level=os.environ.get("OMS_LOG_LEVEL", "INFO"),
            secure_cookies=os.environ.get("OMS_SECURE_COOKIES", "auto").strip().lower(),
            trusted_proxies=int(os.environ.get("OMS_TRUSTED_PROXIES", "0") or 0),
            log_format=os.environ.get("OMS_LOG_FORMAT", "json").strip().lower() or "json",
            metrics_token=os.environ.get("OMS_METRICS_TOKEN") or None,
            rate_limits=RateLimitSettings.from_env(redis_url),
            max_body_bytes=_int("OMS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            db_timeouts=Timeouts(
                statement_ms=_int("OMS_DB_STATEMENT_TIMEOUT_MS", Timeouts.statement_ms),
                lock_ms=_int("OMS_DB_LOCK_TIMEOUT_MS", Timeouts.lock_ms)),
            database_pgbouncer=_flag("OMS_DATABASE_PGBOUNCER", False),
            database_replica_pgbouncer=(_flag("OMS_DATABASE_REPLICA_PGBOUNCER", False)
                                        if os.environ.get("OMS_DATABASE_REPLICA_PGBOUNCER")
                                        else None),
        )

    @property
    def embedded(self) -> bool:
        """No Redis: background jobs run on a thread of the web process."""
        return self.redis_url is None


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings; we drive psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return url
