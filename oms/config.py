"""Configuration from the environment, with defaults that run on a laptop with nothing else
installed (SQLite file, in-process background jobs)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_database_url() -> str:
    path = PROJECT_ROOT / "var" / "oms.sqlite3"
    return f"sqlite:///{path}"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    embedded_worker: bool = True
    log_level: str = "INFO"
    order_policy: Any = None  # oms.policy.OrderPolicy; None: read from the environment

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("OMS_DATABASE_URL") or default_database_url(),
            redis_url=os.environ.get("OMS_REDIS_URL") or None,
            secret_key=os.environ.get("OMS_SECRET_KEY") or secrets.token_hex(32),
            embedded_worker=_flag("OMS_EMBEDDED_WORKER", True),
            log_level=os.environ.get("OMS_LOG_LEVEL", "INFO"),
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
