"""Background jobs through real RQ on a real Redis, and through the embedded runner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import Result
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import update

from core import jobs
from core.db import unit_of_work
from inventory import services
from inventory.models import Balance
from oms.app import create_app
from oms.config import Settings
from tests.support import CAUSE

ROOT = Path(__file__).resolve().parents[2]
calls: list[tuple] = []
ran = threading.Event()
failures_left = {"n": 0}


def record_call(*args) -> str:
    """A job for the tests: fails while `failures_left` says so, then records its call."""
    if failures_left["n"] > 0:
        failures_left["n"] -= 1
        raise RuntimeError("transient failure")
    calls.append(args)
    ran.set()
    return "done"


def _drift_one_balance() -> None:
    with unit_of_work() as uow:
        session = uow.session
        session.execute(update(Balance).values(on_hand=Balance.on_hand + 1))
        uow.commit()


def test_verify_ledger_job_runs_on_a_real_rq_worker(network, redis_url):
    services.receive("JKT-1", "dc-east", 5, CAUSE)
    dispatcher = jobs.RedisDispatcher(redis_url)
    dispatcher.enqueue("inventory.jobs.verify_ledger", job_id="verify-clean", queue="low")
    _drift_one_balance()
    dispatcher.enqueue("inventory.jobs.verify_ledger", job_id="verify-drift", queue="low")
    queue = dispatcher.queue("low")
    SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
    # Both ran after the drift was injected: each reports the one drifted field.
    assert queue.fetch_job("verify-clean").return_value() == 1
    assert queue.fetch_job("verify-drift").return_value() == 1


def test_flask_oms_worker_command_runs_queued_jobs_in_the_app_context(db, redis_url):
    app = create_app(Settings(database_url=db.url, redis_url=redis_url, log_level="WARNING"))
    calls.clear()
    jobs.enqueue("tests.e2e.test_jobs.record_call", 7, "x", job_id="record-1")
    result: Result = app.test_cli_runner().invoke(args=["oms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert calls == [(7, "x")]
    job = Queue("default", connection=Redis.from_url(redis_url)).fetch_job("record-1")
    assert job.get_status() == "finished"


def test_failed_rq_job_is_scheduled_for_retry(db, redis_url):
    dispatcher = jobs.RedisDispatcher(redis_url)
    failures_left["n"] = 1
    dispatcher.enqueue("tests.e2e.test_jobs.record_call", 1, job_id="flaky")
    queue = dispatcher.queue("default")
    SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
    job = queue.fetch_job("flaky")
    assert job.get_status() == "scheduled"  # RQ's Retry put it back with a delay
    assert job.retries_left == len(jobs.RETRY_INTERVALS) - 1


def test_oms_worker_keeps_working_after_a_job_fails(db, redis_url):
    """RQ logs a failed job with `extra={"job_id": ...}` while `oms worker` has that job's id
    bound for our log lines; that logging call raised KeyError and the worker quit ("found an
    unhandled exception, quitting") on its first failing job (found by the soak). The failed
    job must be scheduled for retry and the next job run, by the same worker."""
    app = create_app(Settings(database_url=db.url, redis_url=redis_url, log_level="WARNING"))
    calls.clear()
    failures_left["n"] = 1
    jobs.enqueue("tests.e2e.test_jobs.record_call", 1, job_id="fails-once")
    jobs.enqueue("tests.e2e.test_jobs.record_call", 2, job_id="after-it")
    result: Result = app.test_cli_runner().invoke(args=["oms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    queue = Queue("default", connection=Redis.from_url(redis_url))
    assert queue.fetch_job("fails-once").get_status() == "scheduled"
    assert queue.fetch_job("after-it").get_status() == "finished"
    assert calls == [(2,)]


def test_periodic_slots_are_enqueued_once_across_schedulers(db, redis_url):
    jobs.register_periodic(jobs.PeriodicJob("test-periodic", "tests.e2e.test_jobs.record_call",
                                            every_seconds=60))
    first, second = jobs.RedisDispatcher(redis_url), jobs.RedisDispatcher(redis_url)
    now = 1_800_000_000.0
    assert "test-periodic" in first.enqueue_due_periodic(now)
    assert "test-periodic" not in second.enqueue_due_periodic(now + 1)
    assert "test-periodic" in second.enqueue_due_periodic(now + 60)


def test_embedded_runner_runs_jobs_on_its_thread_and_retries(app):
    dispatcher = jobs.EmbeddedDispatcher(app, retry_intervals=(0.05,))
    calls.clear()
    ran.clear()
    failures_left["n"] = 1
    dispatcher.start()
    try:
        dispatcher.enqueue("tests.e2e.test_jobs.record_call", "embedded")
        assert ran.wait(10), "the embedded worker did not run the job"
        assert calls == [("embedded",)]
    finally:
        dispatcher.stop()


def test_embedded_runner_before_start_runs_inline(app):
    calls.clear()
    jobs.EmbeddedDispatcher(app).enqueue("tests.e2e.test_jobs.record_call", "inline")
    assert calls == [("inline",)]


seen_when_started: list[int] = []


def coalesced_job() -> int:
    """A coalesced job for the tests: clears its flag first, then 'reads what waits'."""
    jobs.coalesced_started("tests.e2e.test_jobs.coalesced_job")
    seen_when_started.append(len(seen_when_started))
    return len(seen_when_started)


def test_a_burst_of_commits_queues_one_coalesced_run_and_later_commits_another(db, redis_url):
    """The outbox fan-out is queued once per burst (one Redis round trip per commit, not an RQ
    job each), and a commit made after a run started reading queues the next run."""
    dispatcher = jobs.RedisDispatcher(redis_url)
    dispatcher.redis.delete("oms:coalesced:tests.e2e.test_jobs.coalesced_job")
    queue = dispatcher.queue("default")
    queue.empty()
    for _ in range(5):
        dispatcher.enqueue_coalesced("tests.e2e.test_jobs.coalesced_job")
    assert queue.count == 1
    jobs.init_dispatcher(redis_url)  # the job clears its flag through the process dispatcher
    SimpleWorker([queue], connection=dispatcher.redis).work(burst=True)
    assert queue.count == 0 and seen_when_started
    dispatcher.enqueue_coalesced("tests.e2e.test_jobs.coalesced_job")
    assert queue.count == 1
    queue.empty()
    dispatcher.redis.delete("oms:coalesced:tests.e2e.test_jobs.coalesced_job")


# --------------------------------------------------------------------------- oms scheduler

def _oms_process(db, redis_url: str, log_path: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMS_")}
    env.update(OMS_DATABASE_URL=db.url, OMS_REDIS_URL=redis_url, OMS_LOG_LEVEL="INFO",
               OMS_LOG_FORMAT="text", OMS_EMBEDDED_WORKER="0")
    with log_path.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "oms", *args],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for_line(proc: subprocess.Popen, log_path: Path, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in log_path.read_text(errors="replace"):
        assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.05)


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def test_two_scheduler_processes_enqueue_each_due_slot_once(db, redis_url, tmp_path):
    if db.is_sqlite:
        pytest.skip("the slots live in Redis: one database is enough to show it")
    logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    procs = [_oms_process(db, redis_url, log, "scheduler") for log in logs]
    try:
        for proc, log in zip(procs, logs, strict=True):
            _wait_for_line(proc, log, "periodic-job scheduler started")
        time.sleep(3.0)  # both tick every second: each due slot raced for 3 times or more
    finally:
        codes = [_stop(proc) for proc in procs]
    assert codes == [0, 0], [log.read_text() for log in logs]  # SIGTERM: a clean stop

    r = Redis.from_url(redis_url, decode_responses=True)
    queued = [job_id for q in jobs.QUEUES for job_id in r.lrange(f"rq:queue:{q}", 0, -1)]
    claimed = [key.removeprefix("oms:periodic:").rsplit(":", 1)
               for key in r.scan_iter("oms:periodic:*")]
    # Every periodic job was enqueued (the app registers them), each slot exactly once.
    # (Not the ones tests of this process registered: the schedulers never saw them.)
    assert {name for name, _ in claimed} == {job.name for job in jobs.periodic_jobs()
                                             if not job.func_path.startswith("tests.")}
    assert sorted(queued) == sorted(f"{name}-{slot}" for name, slot in claimed)
    assert len(queued) == len(set(queued))


def test_a_worker_with_no_scheduler_enqueues_no_periodic_job(db, redis_url, tmp_path):
    if db.is_sqlite:
        pytest.skip("the slots live in Redis: one database is enough to show it")
    log = tmp_path / "worker.log"
    proc = _oms_process(db, redis_url, log, "worker", "--no-scheduler")
    try:
        r = Redis.from_url(redis_url)
        deadline = time.monotonic() + 30
        while not r.keys("rq:worker:*"):  # registered with RQ: it is working
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        time.sleep(1.5)  # past a scheduler's first tick
        assert r.keys("oms:periodic:*") == []
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- Redis lost mid-job

def mark_and_sleep(started: str, done: str, seconds: float) -> None:
    """A job for the worker process: marks that it started, sleeps, marks that it is done."""
    Path(started).write_text("started")
    time.sleep(seconds)
    Path(done).write_text("done")


def _wait_for_file(path: Path, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never written:\n{log.read_text()}"
        time.sleep(0.05)


def test_a_worker_survives_redis_lost_while_a_job_runs(db, tmp_path):
    """A job finishes while Redis is away: RQ's own loop quits on the heartbeat that follows
    (ConnectionError outside its dequeue retry); the worker process carries on with a new RQ
    worker once Redis is back, and runs the next job. SIGTERM still stops it cleanly."""
    from tests.e2e.test_outbound_faults import RedisServer

    if db.is_sqlite:
        pytest.skip("a worker process and Redis: one database is enough to show it")
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    log = tmp_path / "worker.log"
    proc = _oms_process(db, redis_server.url, log, "worker", "--no-scheduler", "--queues",
                        "default")
    try:
        _wait_for_line(proc, log, "Listening on")
        dispatcher = jobs.RedisDispatcher(redis_server.url)
        first = [tmp_path / "first-started", tmp_path / "first-done"]
        dispatcher.enqueue("tests.e2e.test_jobs.mark_and_sleep", str(first[0]), str(first[1]),
                           1.5, job_id="first", queue="default")
        _wait_for_file(first[0], proc, log)
        redis_server.kill()            # lost while the job runs; it finishes without Redis
        _wait_for_file(first[1], proc, log)
        time.sleep(2.0)                # the worker's next Redis calls fail meanwhile
        redis_server.start()           # back, empty
        second = [tmp_path / "second-started", tmp_path / "second-done"]
        jobs.RedisDispatcher(redis_server.url).enqueue(
            "tests.e2e.test_jobs.mark_and_sleep", str(second[0]), str(second[1]), 0.0,
            job_id="second", queue="default")
        _wait_for_file(second[1], proc, log, seconds=60)
        assert proc.poll() is None, log.read_text()  # the same process ran it
    finally:
        code = _stop(proc)
        redis_server.kill()
    assert code == 0, log.read_text()
