"""Prometheus metrics (prometheus-client): the exposition `/metrics` serves, the HTTP and
database-pool metrics, the job queues' lengths, and how the packages add theirs.

Each package declares its metrics in its own `metrics.py` (every one is listed in README,
"Observability"); a test checks the list against what is registered. Counters that follow
business events are incremented once the unit of work committed (`uow.after_commit`), never in
a transaction that may still roll back, and never write to the database.

Multi-process: under gunicorn every worker is a process with its own counters. With
`PROMETHEUS_MULTIPROC_DIR` set (oms/gunicorn_conf.py sets it, to a fresh directory of its own
unless the operator chose one) each process writes its values to files there, and a scrape,
whichever worker answers it, adds up the files of all of them (`MultiProcessCollector`); an RQ
worker started with the same directory is added up too. Gauges are `livesum`: the files of a
process that exited are dropped (gunicorn's child_exit hook, the worker command's exit).
Without the variable (tests, a single process) the process's own registry is served.

Collectors that read at scrape time (`register_collector`: the outbox, the job queues) run in
the process answering the scrape, once per scrape; they are not process values.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from core.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# No `_created` series: multi-process mode has none, and one process should look the same.
disable_created_metrics()

# --------------------------------------------------------------------------- HTTP

# Latency buckets from 1 ms (an order is placed in a few) to 10 s (past gunicorn's patience).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                   10.0)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUEST_SECONDS = Histogram(
    "oms_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route (the URL rule, not the path) and status.",
    ["method", "endpoint", "status"], buckets=LATENCY_BUCKETS)


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@functools.lru_cache(maxsize=1024)
def route_label(rule: str | None) -> str:
    """The matched URL rule with its converters dropped (`/api/v1/orders/<order_id>` for
    `/api/v1/orders/<int(max=2147483647):order_id>`), never the raw path, which a caller
    chooses; `<unmatched>` for a path no route has."""
    return _CONVERTER.sub(r"<\1>", rule) if rule else "<unmatched>"


def http_labels(method: str, rule: str | None, status: int) -> tuple[str, str, str]:
    """Bounded labels: the route (`route_label`), the method (`other` outside the standard
    ones) and the status."""
    return (method if method in HTTP_METHODS else "other", route_label(rule), str(status))


def observe_request(method: str, rule: str | None, status: int, seconds: float) -> None:
    HTTP_REQUEST_SECONDS.labels(*http_labels(method, rule, status)).observe(seconds)


# --------------------------------------------------------------------------- database pool

DB_POOL_CHECKED_OUT = Gauge(
    "oms_db_pool_checked_out",
    "Database connections in use now (checked out of SQLAlchemy's pool), all processes, by "
    "database (primary, replica).", ["database"], multiprocess_mode="livesum")
DB_POOL_SIZE = Gauge(
    "oms_db_pool_size",
    "Connections the processes' pools keep open (pool_size, summed over processes).",
    ["database"], multiprocess_mode="livesum")
DB_POOL_MAX = Gauge(
    "oms_db_pool_max",
    "The most connections the processes may hold (pool_size + max_overflow, summed).",
    ["database"], multiprocess_mode="livesum")

_watched: dict[int, tuple[str, int, int]] = {}  # id(pool) -> (database, size, max) counted


def watch_pool(engine: Any, database: str) -> None:
    """Count the engine's checkouts and checkins (two pool events, a few microseconds each)
    and add its pool's size to the gauges, labelled `database` (primary, replica).
    `unwatch_pool` takes the size off again when the engine is disposed (a process that
    switches databases, the tests)."""
    from sqlalchemy import event

    pool = engine.pool
    size_of = getattr(pool, "size", None)
    size = size_of() if callable(size_of) else 0
    overflow_of = getattr(pool, "_max_overflow", 0)
    limit = size + max(int(overflow_of or 0), 0)
    _watched[id(pool)] = (database, size, limit)
    DB_POOL_SIZE.labels(database).inc(size)
    DB_POOL_MAX.labels(database).inc(limit)
    checked_out = DB_POOL_CHECKED_OUT.labels(database)
    event.listen(pool, "checkout", lambda *_: checked_out.inc())
    event.listen(pool, "checkin", lambda *_: checked_out.dec())


def unwatch_pool(engine: Any) -> None:
    found = _watched.pop(id(engine.pool), None)
    if found is not None:
        database, size, limit = found
        DB_POOL_SIZE.labels(database).dec(size)
        DB_POOL_MAX.labels(database).dec(limit)


# --------------------------------------------------------------------------- scrape time

Collect = Callable[[], Iterable[Metric]]
_collectors: dict[str, Collect] = {}


def register_collector(name: str, collect: Collect) -> None:
    """A source of metrics read when /metrics is scraped (e.g. counting rows), in the process
    answering the scrape. A collector that fails (its database or Redis is down) leaves its
    metrics out of that scrape and sets `oms_metrics_collector_up{collector=name}` to 0."""
    _collectors[name] = collect


def _collect_ours() -> Iterator[Metric]:
    up = GaugeMetricFamily("oms_metrics_collector_up",
                           "1 if the scrape-time collector answered this scrape, 0 if it "
                           "failed (see the log)", labels=["collector"])
    for name, collect in sorted(_collectors.items()):
        started = time.perf_counter()
        try:
            families = list(collect())
        except Exception as exc:  # a scrape must still answer: the others are fine
            log.warning("metrics collector %s failed: %s: %s", name, type(exc).__name__, exc)
            up.add_metric([name], 0)
            continue
        up.add_metric([name], 1)
        yield from families
        log.debug("metrics collector %s took %.1f ms", name,
                  (time.perf_counter() - started) * 1000)
    yield up


class _Scrape:
    """What one scrape exposes: the process values (all processes' in multi-process mode),
    then the scrape-time collectors."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROC_ENV):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from _collect_ours()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The body and content type of a scrape (Prometheus text, or OpenMetrics when the
    scraper asks for it)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(_Scrape()), content_type


def serve(bind: str) -> tuple[Any, Any]:
    """Serve this process's scrape (`exposition`: its own values, or every process's of its
    PROMETHEUS_MULTIPROC_DIR, then the scrape-time collectors) on `bind` (`host:port`) from a
    thread: for an `oms worker` on a host without a web server. No access check here: bind it
    to an address only the scraper reaches. Returns prometheus-client's (server, thread)."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--metrics-bind must be HOST:PORT, not {bind!r}")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape())
    return start_http_server(int(port), addr=host.strip("[]"), registry=registry)


def process_exited(pid: int) -> None:
    """Drop an exited process's live gauges from the multi-process directory (its counters
    stay: totals must not go down when a worker is replaced)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


# --------------------------------------------------------------------------- access

def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_access(remote_addr: str | None, headers: Any, token: str | None) -> None:
    """Who may scrape. With a token (OMS_METRICS_TOKEN): whoever sends
    `Authorization: Bearer <token>` (compared in constant time). Without one: a caller on this
    host (loopback) that came straight, not through a proxy: a request a balancer forwarded
    carries `X-Forwarded-For`/`Forwarded`, and on the same host it would look local."""
    if token:
        scheme, _, sent = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not sent.strip():
            raise Unauthorized("send 'Authorization: Bearer <OMS_METRICS_TOKEN>'")
        if not hmac.compare_digest(sent.strip().encode(), token.encode()):
            raise Unauthorized("wrong metrics token")
        return
    if not _loopback(remote_addr) or headers.get("X-Forwarded-For") or headers.get("Forwarded"):
        raise Forbidden("/metrics answers callers on this host only; set OMS_METRICS_TOKEN to "
                        "scrape from elsewhere")


def queue_lengths() -> Iterator[Metric]:
    """The job queues, read at scrape time: jobs waiting per queue, and (RQ) those waiting for
    a retry and those that failed for good (kept 7 days)."""
    from core import jobs

    waiting = GaugeMetricFamily("oms_jobs_queued", "Jobs waiting in the queue now",
                                labels=["queue"])
    dispatcher = jobs.dispatcher()
    if isinstance(dispatcher, jobs.RedisDispatcher):
        scheduled = GaugeMetricFamily("oms_jobs_scheduled",
                                      "Jobs waiting for a retry (RQ's scheduled registry)",
                                      labels=["queue"])
        failed = GaugeMetricFamily("oms_jobs_failed",
                                   "Jobs that failed for good (RQ's failed registry)",
                                   labels=["queue"])
        pipe = dispatcher.redis.pipeline(transaction=False)
        for name in jobs.QUEUES:
            queue = dispatcher.queue(name)
            pipe.llen(queue.key)
            pipe.zcard(queue.scheduled_job_registry.key)
            pipe.zcard(queue.failed_job_registry.key)
        answers = pipe.execute()
        for i, name in enumerate(jobs.QUEUES):
            waiting.add_metric([name], answers[3 * i])
            scheduled.add_metric([name], answers[3 * i + 1])
            failed.add_metric([name], answers[3 * i + 2])
        return iter([waiting, scheduled, failed])
    if isinstance(dispatcher, jobs.EmbeddedDispatcher):
        waiting.add_metric(["embedded"], dispatcher.waiting())
    return iter([waiting])


def every_metric_name() -> set[str]:
    """The names of the metric families this process can expose (for the README check)."""
    names = set()
    for metric in REGISTRY.collect():
        if metric.name.startswith("oms_"):
            # What a query names: a counter's samples end in _total.
            names.add(metric.name + ("_total" if metric.type == "counter" else ""))
    for metric in _collect_ours():
        names.add(metric.name)
    return names

