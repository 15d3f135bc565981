"""Background jobs: RQ on Redis in production, an in-process runner in the embedded mode.

Job functions are named by import path ("inventory.jobs.verify_ledger"), take ids and
primitives, and are safe to run twice. Both runners call the same functions, so the embedded
mode (no Redis, `make run`) does the same background work as production, only inside the web
process: what was queued in memory when that process dies is lost there, which is why every
job must be re-derivable from the database by a periodic sweep.
"""

from __future__ import annotations

import importlib
import logging
import queue as queue_mod
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core import observe, redis_client

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "webhooks", "low")
RETRY_INTERVALS = (5, 30, 120, 600, 1800)
COALESCE_SECONDS = 60  # the longest a coalesced job's "already queued" flag holds
REDIS_TIMEOUT_SECONDS = 5.0  # connecting to Redis, and each of its answers


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func_path: str
    every_seconds: int
    queue: str = "low"


_periodic: dict[str, PeriodicJob] = {}


def register_periodic(job: PeriodicJob) -> None:
    """Packages declare their periodic jobs once (the app factory calls their `register`)."""
    _periodic[job.name] = job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_periodic.values(), key=lambda j: j.name)


def resolve(func_path: str) -> Callable[..., Any]:
    module, _, name = func_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class Dispatcher:
    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None,
                queue: str = "default") -> None:
        raise NotImplementedError

    def enqueue_due_periodic(self, now: float) -> list[str]:
        raise NotImplementedError

    def enqueue_coalesced(self, func_path: str, queue: str = "default") -> None:
        self.enqueue(func_path, queue=queue)

    def coalesced_started(self, func_path: str) -> None:
        """Called by a coalesced job first thing: commits from now on queue another run."""


class RedisDispatcher(Dispatcher):
    """Jobs go to RQ. Periodic slots are claimed with SET NX so any number of worker
    processes can run the scheduler loop and each slot is still enqueued once."""

    def __init__(self, redis_url: str) -> None:
        # A Redis that stops answering (not down: a network partition, a paused host) must
        # not hold a request's thread forever after its commit: an enqueue gives up after
        # REDIS_TIMEOUT_SECONDS and the sweeps re-create the job. (`oms worker` hands this
        # connection to RQ, which raises the read timeout above its own blocking pops.)
        # The URL may name Sentinels (core.redis_client): the client then follows the master
        # across a failover, and an enqueue during the switch fails like one to a Redis down.
        self.redis = redis_client.connect(redis_url, timeout=REDIS_TIMEOUT_SECONDS)

    def queue(self, name: str):
        from rq import Queue

        return Queue(name, connection=self.redis)

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None,
                queue: str = "default") -> None:
        self._enqueue(func_path, args, job_id, queue, observe.current_request_id())

    def _enqueue(self, func_path: str, args: tuple, job_id: str | None, queue: str,
                 request_id: str | None) -> None:
        from rq import Retry

        self.queue(queue).enqueue(
            func_path, *args, job_id=job_id,
            retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)),
            result_ttl=3600, failure_ttl=7 * 24 * 3600,
            # The request that caused the job: the worker logs under its id (job_context).
            meta={"request_id": request_id} if request_id else None,
        )

    def enqueue_coalesced(self, func_path: str, queue: str = "default") -> None:
        """Queue the job unless a run of it is already waiting (SET NX on a flag the job
        clears when it starts): a burst of commits makes one run, not one per commit, and
        costs one Redis round trip each. The flag expires, so a run lost between the flag and
        RQ (an enqueue that failed) holds nothing back for long; the sweeps re-derive it."""
        flag = f"oms:coalesced:{func_path}"
        if not self.redis.set(flag, 1, nx=True, ex=COALESCE_SECONDS):
            return
        try:
            # No request id: one run serves the commits of many requests (each outbox row
            # keeps its own, see oms.events).
            self._enqueue(func_path, (), None, queue, None)
        except Exception:
            self.redis.delete(flag)
            raise

    def coalesced_started(self, func_path: str) -> None:
        self.redis.delete(f"oms:coalesced:{func_path}")

    def enqueue_due_periodic(self, now: float) -> list[str]:
        enqueued = []
        for job in periodic_jobs():
            slot = int(now // job.every_seconds)
            if self.redis.set(f"oms:periodic:{job.name}:{slot}", 1, nx=True,
                              ex=job.every_seconds * 2):
                self._enqueue(job.func_path, (), f"{job.name}-{slot}", job.queue, None)
                enqueued.append(job.name)
        return enqueued


class EmbeddedDispatcher(Dispatcher):
    """Runs jobs on a thread of this process. Before `start()` (CLI commands, tests) a job
    runs at once in the caller, after the caller's commit, which is where enqueue is called."""

    def __init__(self, app: Any = None,
                 retry_intervals: tuple[int | float, ...] = RETRY_INTERVALS) -> None:
        self.app = app
        self.retry_intervals = retry_intervals
        # (function, arguments, attempt, the request id it was queued under)
        self._jobs: queue_mod.Queue[tuple[str, tuple, int, str | None]] = queue_mod.Queue()
        self._last_slot: dict[str, int] = {}
        self._started = False
        self._stop = threading.Event()

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None,
                queue: str = "default") -> None:
        if self._started:
            self._jobs.put((func_path, args, 0, observe.current_request_id()))
        else:
            run_job(func_path, *args)

    def waiting(self) -> int:
        return self._jobs.qsize()

    def enqueue_due_periodic(self, now: float) -> list[str]:
        due = []
        for job in periodic_jobs():
            slot = int(now // job.every_seconds)
            if self._last_slot.get(job.name) != slot:
                self._last_slot[job.name] = slot
                self.enqueue(job.func_path, queue=job.queue)
                due.append(job.name)
        return due

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        threading.Thread(target=self._work, name="oms-embedded-worker", daemon=True).start()
        threading.Thread(target=self._tick, name="oms-embedded-scheduler", daemon=True).start()
        log.info("embedded background worker started (no OMS_REDIS_URL)")

    def stop(self) -> None:
        self._stop.set()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            self.enqueue_due_periodic(time.time())

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                func_path, args, attempt, request_id = self._jobs.get(timeout=1.0)
            except queue_mod.Empty:
                continue
            try:
                with self.app.app_context(), observe.bound(request_id):
                    run_job(func_path, *args)
            except Exception:
                if attempt < len(self.retry_intervals):
                    delay = self.retry_intervals[attempt]
                    log.exception("job %s failed; retry %d in %ss", func_path, attempt + 1, delay)
                    timer = threading.Timer(
                        delay, self._jobs.put,
                        args=((func_path, args, attempt + 1, request_id),))
                    timer.daemon = True
                    timer.start()
                else:
                    log.exception("job %s failed for good after %d tries", func_path, attempt + 1)


def run_job(func_path: str, *args: Any) -> Any:
    return resolve(func_path)(*args)


def job_context(job: Any) -> Any:
    """For an RQ worker, around a job: the id of the request that queued it (its metadata)
    and the job's id are current while it runs, so its log lines, the jobs it queues and the
    outbox rows it writes carry them."""
    meta = getattr(job, "meta", None) or {}
    return observe.bound(meta.get("request_id"), job_id=str(job.id))


_dispatcher: Dispatcher | None = None


def init_dispatcher(redis_url: str | None, app: Any = None) -> Dispatcher:
    global _dispatcher
    _dispatcher = RedisDispatcher(redis_url) if redis_url else EmbeddedDispatcher(app)
    return _dispatcher


def dispatcher() -> Dispatcher:
    if _dispatcher is None:
        raise RuntimeError("job dispatcher not configured: call core.jobs.init_dispatcher")
    return _dispatcher


def enqueue(func_path: str, *args: Any, job_id: str | None = None, queue: str = "default") -> None:
    dispatcher().enqueue(func_path, *args, job_id=job_id, queue=queue)


def enqueue_coalesced(func_path: str, queue: str = "default") -> None:
    """Queue a job that takes no arguments and works on whatever is waiting (the outbox
    fan-out), unless a run of it is already queued. The job calls `coalesced_started` before
    it reads what waits, so nothing committed after that read waits for a run."""
    dispatcher().enqueue_coalesced(func_path, queue=queue)


def coalesced_started(func_path: str) -> None:
    dispatcher().coalesced_started(func_path)
