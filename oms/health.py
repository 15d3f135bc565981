"""Liveness and readiness probes, and the Prometheus scrape (`/metrics`)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from core import metrics
from core.db import get_database
from oms.config import Settings, normalise_database_url

blp = Blueprint("health", __name__)

CHECK_TIMEOUT_SECONDS = 2  # a probe must answer before the balancer's own timeout


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _reachable(engine: Engine) -> str:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"


_replica: dict[str, Engine] = {}
_replica_lock = threading.Lock()


def replica_engine(url: str) -> Engine:
    """An engine for probing the replica only (the routing of reads to it is configured
    apart): no pool, so an unreachable replica holds nothing, and a connect timeout."""
    with _replica_lock:
        engine = _replica.get(url)
        if engine is None:
            normalised = normalise_database_url(url)
            args: dict[str, Any] = ({"connect_timeout": CHECK_TIMEOUT_SECONDS}
                                    if normalised.startswith("postgresql") else {})
            engine = _replica[url] = create_engine(normalised, poolclass=NullPool,
                                                   connect_args=args)
        return engine


@blp.get("/readyz")
def readyz():
    """503 when the database, the replica (OMS_DATABASE_REPLICA_URL, if set) or Redis (if
    configured) does not answer; `checks` names each and what became of it."""
    settings: Settings = current_app.config["OMS_SETTINGS"]
    checks: dict[str, str] = {"database": _reachable(get_database().engine)}
    if settings.database_replica_url:
        checks["replica"] = _reachable(replica_engine(settings.database_replica_url))
    if settings.redis_url:
        try:
            from redis import Redis

            Redis.from_url(settings.redis_url, socket_timeout=CHECK_TIMEOUT_SECONDS,
                           socket_connect_timeout=CHECK_TIMEOUT_SECONDS).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (embedded background worker)"
    ready = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@blp.get("/metrics")
def metrics_scrape():
    """Prometheus exposition (README, "Observability"): loopback callers only, or whoever
    sends `Authorization: Bearer <OMS_METRICS_TOKEN>` when that is set."""
    settings: Settings = current_app.config["OMS_SETTINGS"]
    metrics.check_access(request.remote_addr, request.headers, settings.metrics_token)
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    return Response(body, content_type=content_type)
