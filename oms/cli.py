"""`flask oms ...`: API keys, demo data, background workers."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from core import jobs, metrics
from core.auth import ROLES, check_scope, create_api_key, revoke_api_key
from core.db import long_read_session, read_session
from core.errors import DomainError, InvalidInput
from core.staff import STAFF_ROLES, check_username, create_staff_user, find_user
from inventory import ledger
from oms.domain import CHANNELS

cli = AppGroup("oms", help="Operate the OMS.")
log = logging.getLogger(__name__)


@cli.command("create-api-key")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--location", "locations", multiple=True, metavar="CODE[,CODE...]",
              help="where the key works: required for wms and store keys (repeat it or "
                   "separate codes with commas for several), optional for cs, refused for "
                   "admin and channel")
@click.option("--name", default=None, help="who or what will use the key")
@click.option("--channel", default=None, type=click.Choice(CHANNELS),
              help="channel keys: the sales channel it pushes and reads orders for")
def create_api_key_cmd(role: str, locations: tuple[str, ...], name: str | None,
                       channel: str | None) -> None:
    """Create an API key; it is printed once, alone on the last line."""
    codes = sorted({c.strip() for value in locations for c in value.split(",") if c.strip()})
    try:
        with read_session() as session:
            for code in codes:
                ledger.location_by_code(session, code, field="location")
        key = create_api_key(role, name=name or f"{role}-key", locations=codes,
                             channel=channel)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    scope = f" at {', '.join(codes)}" if codes else ""
    click.echo(f"Created a key with role {role}{scope}. Store it now: only its hash is kept.",
               err=True)
    click.echo(key)


@cli.command("revoke-api-key")
@click.argument("key_or_prefix")
def revoke_api_key_cmd(key_or_prefix: str) -> None:
    """Revoke an API key, named by the key or the prefix shown for it. Running processes
    refuse it within OMS_AUTH_CACHE_SECONDS (10)."""
    try:
        name = revoke_api_key(key_or_prefix)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    click.echo(f"Revoked key '{name}'.")


@cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--location", default=None, metavar="CODE",
              help="the home store: required for store users (a store's code); a cs user "
                   "may be limited to one location; refused for admin")
def create_user_cmd(username: str, role: str, location: str | None) -> None:
    """Create a staff user who signs in to the web pages. Asks for the password twice, or
    reads it (one line) from standard input when that is not a terminal."""
    try:
        name = check_user_to_create(username, role, location)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    password = read_password()
    try:
        user = create_staff_user(name, role, password, location)
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    at = f" at {user.location_code}" if user.location_code else ""
    click.echo(f"Created user {user.username}: {role}{at}.")


def check_user_to_create(username: str, role: str, location: str | None) -> str:
    """Everything but the password, before asking for it: the username's form and that it is
    free, the role's location rule (the API keys' rule), and that the location exists (a
    store's for store staff)."""
    name = check_username(username)
    if find_user(name) is not None:
        raise InvalidInput("username", f"'{name}' is taken")
    codes = check_scope(role, [location or ""], what="user", roles=STAFF_ROLES)
    with read_session() as session:
        for code in codes:
            found = ledger.location_by_code(session, code, field="location")
            if role == "store" and found.kind != "store":
                raise InvalidInput("location", f"'{code}' is a {found.kind}, not a store")
    return name


def read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise click.UsageError("no password on standard input")
    return line.rstrip("\r\n")


@cli.command("demo-users")
def demo_users_cmd() -> None:
    """One demo staff user per role, each with a new password, printed (only hashes are
    kept, so a second run changes the passwords rather than showing the old ones)."""
    from oms.demo import ensure_demo_users

    for user in ensure_demo_users():
        at = f" at {user.location}" if user.location else ""
        click.echo(f"{user.role:<6} {user.username:<12} {user.password}{at}")


@cli.command("demo")
@click.option("--orders/--no-orders", default=True, show_default=True,
              help="also load a week of the demo retailer's orders (--no-orders: only its "
                   "network, items and stock, a few seconds)")
def demo_cmd(orders: bool) -> None:
    """Load the demo retailer and a week of its orders (idempotent: a second run changes
    nothing)."""
    from oms.demo import load_demo
    from oms.demo_orders import load_orders

    report = load_demo(progress=lambda msg: click.echo(msg, err=True))
    click.echo(report)
    if orders:
        click.echo(load_orders(progress=lambda msg: click.echo(msg, err=True)).summary())


def require_redis() -> None:
    """A usage error in the embedded mode (no OMS_REDIS_URL): nothing to work or schedule."""
    if not current_app.config["OMS_SETTINGS"].redis_url:
        raise click.UsageError(
            "OMS_REDIS_URL is not set: in the embedded mode the web process runs the jobs "
            "itself (see README, 'Background work')")


def redis_dispatcher() -> jobs.RedisDispatcher:
    """The app's Redis dispatcher (after `require_redis`)."""
    require_redis()
    dispatcher = jobs.dispatcher()
    assert isinstance(dispatcher, jobs.RedisDispatcher)
    return dispatcher


SCHEDULER_TICK_SECONDS = 1.0  # the finest periodic job is every 5 s: a tick is well inside it


def run_periodic_scheduler(dispatcher: jobs.RedisDispatcher, stop: threading.Event) -> None:
    """Enqueue the due periodic jobs every tick until `stop` is set. Each slot is claimed with
    Redis SET NX (`RedisDispatcher.enqueue_due_periodic`), so any number of schedulers (the
    ones inside `oms worker`, `oms scheduler` processes) enqueue each slot once."""
    while True:
        # A tick that fails (Redis restarting) must not end the loop: without it no periodic
        # job would run again, and the sweeps that re-create lost jobs are periodic jobs. The
        # next tick tries again.
        try:
            dispatcher.enqueue_due_periodic(time.time())
        except Exception as exc:
            log.warning("periodic jobs not enqueued this tick: %s", exc)
        if stop.wait(SCHEDULER_TICK_SECONDS):
            return


@cli.command("scheduler")
def scheduler_cmd() -> None:
    """Only enqueue the periodic jobs when due (no job runs here; needs OMS_REDIS_URL). For
    deployments whose workers run `oms worker --no-scheduler`; two of them never double a
    slot. Stops on SIGTERM or Ctrl-C."""
    dispatcher = redis_dispatcher()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    log.info("periodic-job scheduler started (%d jobs)", len(jobs.periodic_jobs()))
    with contextlib.suppress(KeyboardInterrupt):
        run_periodic_scheduler(dispatcher, stop)
    log.info("periodic-job scheduler stopped")


def asked_to_stop(worker: Any) -> bool:
    """RQ's worker got SIGTERM or SIGINT (idle: it recorded the request; busy: it set the
    flag and finished its job)."""
    return bool(worker._stop_requested or worker._shutdown_requested_date is not None)


def restart_pause(quick_failures: int) -> float:
    """Seconds before a new RQ worker replaces one that quit on an error: 1, 2, 4, ... up to
    30 while they keep failing within a minute of starting (Redis still away)."""
    return float(min(2 ** max(quick_failures - 1, 0), 30))


def keep_working(make_worker: Callable[[], Any], *, burst: bool) -> None:
    """Run RQ workers one after another until one stops because it was asked to, or (burst)
    because the queues are empty. RQ's loop quits on any error it does not expect, and a
    Redis that goes away while a job runs is one: the heartbeat after the job raises
    ConnectionError outside the dequeue's own retry ("found an unhandled exception,
    quitting"). Without this the host would silently run one worker fewer after every Redis
    restart; a fresh worker (new name, registered again in the new Redis) carries on."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    stopping = threading.Event()
    quick_failures = 0
    while True:
        worker = None
        began = time.monotonic()
        try:
            worker = make_worker()  # names itself in Redis (CLIENT SETNAME): may fail too
            worker.work(burst=burst, with_scheduler=True)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # Redis away at its start, or at its teardown (deregistering) after it quit.
            log.warning("RQ worker %s could not reach Redis: %s",
                        worker.name if worker is not None else "(new)", exc)
        if burst or (worker is not None and asked_to_stop(worker)):
            return
        quick_failures = quick_failures + 1 if time.monotonic() - began < 60 else 1
        wait = restart_pause(quick_failures)
        log.error("RQ worker %s quit on an error; a new worker starts in %.0f s",
                  worker.name if worker is not None else "(new)", wait)
        # RQ's signal handlers belong to the worker that quit (they would ask Redis for its
        # state): while no worker runs, SIGTERM or Ctrl-C simply end the wait and the process.
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
        signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())
        if stopping.wait(wait):
            return


@cli.command("worker")
@click.option("--queues", default=",".join(jobs.QUEUES), show_default=True)
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option("--metrics-bind", default=None, metavar="HOST:PORT",
              help="serve /metrics for Prometheus on this address (a worker host without a "
                   "web server); bind it where only the scraper reaches")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="also enqueue the periodic jobs when due (--no-scheduler: leave that to "
                   "`oms scheduler` processes)")
def worker_cmd(queues: str, burst: bool, metrics_bind: str | None, scheduler: bool) -> None:
    """Run an RQ worker for the queues, with the periodic-job scheduler unless
    --no-scheduler (needs OMS_REDIS_URL)."""
    require_redis()
    if metrics_bind:
        try:
            metrics.serve(metrics_bind)
        except (ValueError, OSError) as exc:
            raise click.BadParameter(str(exc), param_hint="--metrics-bind") from exc
    from rq import SimpleWorker

    dispatcher = redis_dispatcher()
    stop = threading.Event()
    if scheduler and not burst:
        threading.Thread(target=run_periodic_scheduler, args=(dispatcher, stop),
                         name="oms-periodic", daemon=True).start()
    # Flask types current_app as Flask; it is a proxy, and the worker thread needs the app.
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    class AppWorker(SimpleWorker):
        def execute_job(self, job, queue):
            # Jobs run inside the app context, under the id of the request that queued them.
            with app.app_context(), jobs.job_context(job):
                return super().execute_job(job, queue)

    def make_worker() -> AppWorker:
        # RQ's scheduler process (it moves retries and delayed jobs into their queues when due)
        # dies when Redis goes away and is restarted only at the worker's maintenance, every
        # 10 minutes by default: every minute instead, so retries wait at most that long.
        return AppWorker([dispatcher.queue(q.strip()) for q in queues.split(",")],
                         connection=dispatcher.redis, maintenance_interval=60)

    try:
        keep_working(make_worker, burst=burst)
    finally:
        stop.set()
        metrics.process_exited(os.getpid())  # its live gauges leave the shared directory


@cli.command("verify")
def verify() -> None:
    """Check the order lines against their work and the ledger (and the ledger itself), and
    today's capacity counters against a count of the work; exit 1 if anything drifted."""
    from fulfillment import capacity
    from inventory.invariants import find_drift
    from oms.invariants import find_line_drift

    with long_read_session() as session:  # reads every line and the ledger: no timeout
        drifts = [*map(str, find_drift(session)), *map(str, find_line_drift(session)),
                  *capacity.drift(session)]
    for drift in drifts:
        click.echo(f"DRIFT {drift}", err=True)
    if drifts:
        click.echo(f"{len(drifts)} drift(s) found", err=True)
        raise SystemExit(1)
    click.echo("orders OK: every line's counts add up and match its open work and the ledger; "
               "today's capacity counters match the work; ledger OK")
