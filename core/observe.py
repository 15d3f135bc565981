"""Request ids and structured logs, and the context they follow into jobs and deliveries.

Every request has an id: the caller's `X-Request-Id` when it is a sane token (bounded length
and charset: it ends up in log lines, job metadata, outbox rows and headers to subscribers),
else a new one; the response carries it back. While the request runs it is the *current*
request id (a context variable: gunicorn's threads each see their own), so that:
- every log record made meanwhile carries it (`request_id`, by a log record factory, whatever
  logger or handler);
- a job queued meanwhile carries it in its RQ metadata, and the worker makes it current again
  while the job runs (`core.jobs`);
- an outbox row written meanwhile stores it, and the delivery of that event sends it to the
  subscriber as `X-Request-Id` and logs under it (`oms.events`, `integrations.outbound`).

Log lines are one JSON object each (python-json-logger) or, for a person at a terminal
(`make run`), one line of text: `OMS_LOG_FORMAT`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
# What we accept from a caller: what proxies and tracers send (UUIDs, ULIDs, hex trace ids,
# `Root=1-5e...`-like tokens), no spaces or control characters, at most 128 characters.
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")

_request_id: ContextVar[str | None] = ContextVar("oms_request_id", default=None)
_job_id: ContextVar[str | None] = ContextVar("oms_job_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(sent: str | None) -> str:
    """The caller's id when it is a sane token, else a new one (a bad header is not worth
    refusing a request for: the id is ours to give)."""
    if sent is not None and REQUEST_ID.fullmatch(sent):
        return sent
    return new_request_id()


def current_request_id() -> str | None:
    return _request_id.get()


def current_job_id() -> str | None:
    return _job_id.get()


@contextmanager
def bound(request_id: str | None, job_id: str | None = None) -> Iterator[None]:
    """Make `request_id` (and `job_id`) current for the block: a job restoring the id of the
    request that queued it, a delivery logging under the id of the request that caused its
    event. None leaves the current one in place."""
    tokens = []
    if request_id is not None:
        tokens.append((_request_id, _request_id.set(request_id)))
    if job_id is not None:
        tokens.append((_job_id, _job_id.set(job_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


# --------------------------------------------------------------------------- log records

_base_factory = logging.getLogRecordFactory()


class ContextRecord(logging.LogRecord):
    """A log record that knows the current job id without holding it in its `__dict__`.

    `logging` refuses (KeyError, raised inside the logging call) an `extra` key the record
    already has, and RQ logs a failed job with `extra={"job_id": ...}`: with the job id set
    as an attribute by the factory, every job that raised made its `oms worker` quit ("found
    an unhandled exception, quitting"; the soak found it). So the factory keeps the id in a
    slot and `record.job_id` reads it only when the call's own `extra` did not set one."""

    __slots__ = ("context_job_id",)

    def __getattr__(self, name: str) -> Any:  # only when normal lookup failed
        if name == "job_id":
            job_id = getattr(self, "context_job_id", None)
            if job_id is not None:
                return job_id
        raise AttributeError(name)


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # On the record itself, not in a handler's filter: every handler sees it (pytest's too).
    job_id = _job_id.get()
    if _base_factory is logging.LogRecord:
        record: logging.LogRecord = ContextRecord(*args, **kwargs)
        if job_id is not None:
            record.context_job_id = job_id
    else:  # someone else's factory first: its record, the id as a plain attribute
        record = _base_factory(*args, **kwargs)
        if job_id is not None:
            record.job_id = job_id
    record.request_id = _request_id.get()
    return record


def install_record_factory() -> None:
    if logging.getLogRecordFactory() is not _record_factory:
        global _base_factory
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_record_factory)


install_record_factory()


class JsonFormatter(_JsonFormatter):
    """One JSON object per record: `time` (UTC, ISO 8601), `level`, `logger`, `message`,
    `request_id` (null outside a request or a job it caused), whatever the call passed as
    `extra` (`method`, `path`, `status`, ...), `job_id` in jobs, and `exc_info` (the
    traceback) when there is one. Also the formatter of gunicorn's own lines
    (oms/gunicorn_conf.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", ["asctime", "levelname", "name", "message", "request_id"])
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level",
                                            "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        job_id = getattr(record, "job_id", None)  # ContextRecord's, unless `extra` set it
        if job_id is not None:
            log_record.setdefault("job_id", job_id)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        seconds = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(record.msecs):03d}Z"


class TextFormatter(logging.Formatter):
    """For a terminal: `time LEVEL logger [request id]: message`, then the traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(rid)s]: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The record is shared by every handler: the "-" goes into this line only.
        return self._fmt % {**record.__dict__,  # type: ignore[operator]
                            "rid": getattr(record, "request_id", None) or "-"}


_handler: logging.Handler | None = None  # the one configure_logging installed


def configure_logging(level: str, fmt: str, stream: IO[str] | None = None) -> logging.Handler:
    """Send every record at `level` and above to stderr (or `stream`), one line each, in
    `fmt` ("json" or "text"). Called by the app factory (web and worker processes) and again
    by each app a test makes: it replaces its own handler and leaves others alone (pytest's).
    """
    global _handler
    install_record_factory()
    root = logging.getLogger()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    _handler = handler
    root.setLevel(level)
    return handler


def request_facts() -> dict[str, Any]:
    """What a log line about the current request needs to reproduce it, never a secret: the
    method, path and query, the matched endpoint, the caller (its actor name, `key:12:pos-1`
    or `user:3:alice`, and role; never the key)."""
    from flask import g, has_request_context, request

    from core import metrics

    if not has_request_context():
        return {}
    facts: dict[str, Any] = {
        "method": request.method, "path": request.path,
        "endpoint": (metrics.route_label(request.url_rule.rule)
                     if request.url_rule is not None else None),
    }
    if request.query_string:
        facts["query"] = request.query_string.decode("latin-1")[:1000]
    principal = g.get("principal")
    if principal is not None:
        facts["principal"] = principal.actor
        facts["role"] = principal.role
    return facts


# --------------------------------------------------------------------------- Flask

# Answered every few seconds to probes and scrapers: their lines are DEBUG, not INFO.
QUIET_ENDPOINTS = frozenset({"/healthz", "/readyz", "/metrics"})
access_log = logging.getLogger("oms.access")


def init_app(app: Any) -> None:
    """Per request: its id (current while it runs, sent back in `X-Request-Id`), its latency
    in `oms_http_request_duration_seconds`, and one access line (`oms.access`: method, path,
    endpoint, status, duration, caller)."""
    from flask import g, request

    from core import metrics  # not at import: gunicorn's master loads this module's formatter

    @app.before_request
    def _start() -> None:
        g.oms_started = time.perf_counter()
        g.request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.oms_request_token = _request_id.set(g.request_id)

    @app.after_request
    def _finish(response: Any) -> Any:
        started = g.pop("oms_started", None)
        if started is None:  # a request before_request never saw (an error in an earlier hook)
            return response
        seconds = time.perf_counter() - started
        response.headers[REQUEST_ID_HEADER] = g.request_id
        rule = request.url_rule.rule if request.url_rule is not None else None
        metrics.observe_request(request.method, rule, response.status_code, seconds)
        facts = request_facts()
        facts.pop("query", None)  # search terms are personal data; the error line has them
        level = logging.DEBUG if rule in QUIET_ENDPOINTS else logging.INFO
        access_log.log(level, "%s %s %s %.1f ms", request.method, request.path,
                       response.status_code, seconds * 1000,
                       extra={**facts, "status": response.status_code,
                              "duration_ms": round(seconds * 1000, 2)})
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        # gunicorn's threads serve request after request: the next must not inherit this id.
        token = g.pop("oms_request_token", None)
        if token is not None:
            _request_id.reset(token)
