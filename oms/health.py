"""Liveness and readiness probes, and the Prometheus scrape (`/metrics`)."""

from __future__ import annotations

from collections.abc import Set

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core import metrics, redis_client
from core.db import get_database
from core.http import error_body
from oms.config import Settings

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


# The checks a caller may ask to treat as optional (`/readyz?optional=replica`): only those
# whose loss the process serves through (reads fall back from the replica to the primary).
MAY_BE_OPTIONAL = frozenset({"replica"})


@blp.get("/readyz")
def readyz():
    """Checks the database, the replica (OMS_DATABASE_REPLICA_URL, if set) and Redis (if
    configured); `checks` names each and what became of it (status code: `readiness`).
    `?optional=replica`: the balancer's form, a replica down alone answers 200 `degraded`."""
    optional = {name.strip() for name in request.args.get("optional", "").split(",")
                if name.strip()}
    if not optional <= MAY_BE_OPTIONAL:
        unknown = ", ".join(sorted(optional - MAY_BE_OPTIONAL))
        problem = (f"not a check that may be optional: {unknown}"
                   f" (may be: {', '.join(sorted(MAY_BE_OPTIONAL))})")
        return jsonify(error_body("bad_request", f"optional: {problem}",
                                  {"optional": [problem]})), 400
    settings: Settings = current_app.config["OMS_SETTINGS"]
    database = get_database()
    checks: dict[str, str] = {"database": _reachable(database.engine)}
    if settings.database_replica_url:
        # Tried for real, whatever the reads' skip-for-a-while says (core.db): a probe must
        # see it come back (its engine has a 2-second connect timeout).
        checks["replica"] = (_reachable(database.replica) if database.replica is not None
                             else "unreachable: not configured in this process")
    if settings.redis_url:
        try:
            # Through Sentinel this asks a Sentinel for the master and pings that: during a
            # failover "unreachable: MasterNotFoundError" (or ConnectionError) until promoted.
            client = redis_client.connect(settings.redis_url, timeout=CHECK_TIMEOUT_SECONDS)
            try:
                client.ping()
            finally:
                client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (embedded background worker)"
    return readiness(checks, optional=optional)


def _fine(check: str) -> bool:
    return check == "ok" or check.startswith("not configured")


def readiness(checks: dict[str, str],
              optional: Set[str] = frozenset()) -> tuple[Response, int]:
    """503 when a check that is not `optional` fails: by default any of them (a monitor asking
    "is everything this process needs there?"). A failed optional check alone is `degraded`,
    still 200: a balancer asks `?optional=replica`, because reads fall back to the primary
    (core.db) and a replica outage must not take every web server out at once (haproxy in
    `make cluster` checks that form)."""
    if not all(_fine(v) for name, v in checks.items() if name not in optional):
        return jsonify(status="not ready", checks=checks), 503
    degraded = not all(_fine(v) for v in checks.values())
    return jsonify(status="degraded" if degraded else "ready", checks=checks), 200


@blp.get("/metrics")
def metrics_scrape():
    """Prometheus exposition (README, "Observability"): loopback callers only, or whoever
    sends `Authorization: Bearer <OMS_METRICS_TOKEN>` when that is set."""
    settings: Settings = current_app.config["OMS_SETTINGS"]
    metrics.check_access(request.remote_addr, request.headers, settings.metrics_token)
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    return Response(body, content_type=content_type)
