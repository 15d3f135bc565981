"""Background jobs through real RQ on a real Redis, and through the embedded runner."""

from __future__ import annotations

import threading

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
