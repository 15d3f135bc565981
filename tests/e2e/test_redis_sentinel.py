"""Redis behind Sentinel, failing over, with real processes: a `redis-server` master, a replica
of it (`--replicaof`), a Sentinel (`redis-server <conf> --sentinel`, down-after-milliseconds
1000) on free loopback ports, and a real `flask --app wsgi oms worker` given only the
`redis+sentinel://` URL (README, "Redis: Sentinel or a managed Redis"). The URL names a
Sentinel that is down first: a client must go on to the next at once.

The failover: the master is SIGKILLed; until the promotion /readyz is 503 and an enqueue
fails; after it a job enqueued through the same URL runs in the SAME worker process (its
blocking dequeue met a ConnectionError during the switch and recovered, it did not exit),
/readyz is ready, a caller's requests are counted on the new master, and the worker's warm
shutdown exits 0. About 6 s."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from core import jobs, redis_client
from core.rate_limits import RateLimitSettings
from oms.app import create_app
from oms.config import Settings
from tests.e2e.test_outbound_faults import WorkerProcess, free_port, process_env

pytestmark = pytest.mark.postgres_only  # the worker is a process of its own on the database

SERVICE = "oms-test"
DOWN_AFTER_MS = 1000  # how long the master may be silent before the Sentinel acts


def record_pid(path: str, label: str) -> None:
    """A job: append `label pid` to `path` (the worker runs jobs in its own process)."""
    with open(path, "a") as out:
        out.write(f"{label} {os.getpid()}\n")


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("OMS_TEST_REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed (scripts/services.sh ensure)")
        pytest.skip("redis-server is not installed")
    return binary


def wait_for(what: str, check: Callable[[], bool], seconds: float = 10) -> float:
    """Poll `check` until true; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        with suppress(Exception):
            if check():
                return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


class RedisSet:
    """A master, its replica and a Sentinel watching them, each a process of this test's."""

    def __init__(self, workdir: Path) -> None:
        self.binary = redis_binary()
        self.workdir = workdir
        self.master_port, self.replica_port, self.sentinel_port = (
            free_port(), free_port(), free_port())
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # First a Sentinel that is not there (refused): clients must try the next one.
        self.url = (f"redis+sentinel://127.0.0.1:{free_port()},127.0.0.1:{self.sentinel_port}"
                    f"/{SERVICE}/3")

    def _start(self, name: str, *args: str) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen([self.binary, *args], stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()

    def start(self) -> None:
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        # No 5-second wait for more replicas before the first sync (the default).
        self._start("master", "--port", str(self.master_port), *common,
                    "--repl-diskless-sync-delay", "0")
        wait_for("master up", lambda: Redis(port=self.master_port).ping())
        self._start("replica", "--port", str(self.replica_port), *common,
                    "--replicaof", "127.0.0.1", str(self.master_port))
        wait_for("replica in sync", lambda: Redis(port=self.replica_port).info(
            "replication")["master_link_status"] == "up")
        conf = self.workdir / "sentinel.conf"  # the Sentinel rewrites its file: one of its own
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.workdir}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 5000\n")
        self._start("sentinel", str(conf), "--sentinel")
        sentinel = Redis(port=self.sentinel_port, decode_responses=True)
        wait_for("the Sentinel knows the replica",
                 lambda: any(r["port"] == str(self.replica_port)
                             for r in sentinel.execute_command("SENTINEL", "REPLICAS", SERVICE)))

    def promoted(self) -> bool:
        """The Sentinel names the replica as the master, and (as clients require) with no
        down flag: it first reports the new master `disconnected` for about a second."""
        state = Redis(port=self.sentinel_port, decode_responses=True).execute_command(
            "SENTINEL", "MASTER", SERVICE)
        return int(state["port"]) == self.replica_port and state["flags"] == "master"

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def stop(self) -> None:
        for name in self.procs:
            self.kill(name)


@pytest.fixture
def redis_set(tmp_path: Path) -> Iterator[RedisSet]:
    servers = RedisSet(tmp_path)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


def test_a_worker_and_the_web_follow_the_master_across_a_failover(db, redis_set, tmp_path):
    url = redis_set.url
    marks = tmp_path / "marks"
    worker = WorkerProcess(process_env(db.url, url), tmp_path / "worker.log", queues="default")
    app = create_app(Settings(database_url=db.url, redis_url=url, embedded_worker=False,
                              log_level="WARNING",
                              rate_limits=RateLimitSettings.uniform("4/minute", url)))
    web = app.test_client()
    try:
        dispatcher = jobs.dispatcher()
        dispatcher.enqueue(f"{__name__}.record_pid", str(marks), "before", queue="default")
        wait_for("the job before the failover ran", lambda: "before" in marks.read_text())
        pid = marks.read_text().split()[1]
        assert pid == str(worker.proc.pid)
        readyz = web.get("/readyz")
        assert readyz.status_code == 200, readyz.json
        assert web.get("/sign-in").status_code == 200  # 1 of 4, counted on the master
        assert Redis(port=redis_set.master_port, db=3).keys("*LIMITER*"), "not counted in Redis"

        redis_set.kill("master")
        # Until the promotion the Sentinel names the dead master: not ready, and an enqueue
        # fails (after a commit, core.db logs it and the sweeps re-create the job).
        readyz = web.get("/readyz")
        assert readyz.status_code == 503, readyz.json
        assert readyz.json["checks"]["redis"].startswith("unreachable: "), readyz.json
        with pytest.raises(RedisConnectionError):
            dispatcher.enqueue(f"{__name__}.record_pid", str(marks), "lost", queue="default")
        took = wait_for("the Sentinel promoted the replica", redis_set.promoted)
        print(f"promotion {took:.1f} s after the SIGKILL")

        # The web's client still holds connections to the dead master: its next enqueue must
        # find the new one (a failure here would be logged and swept, not raised, in a view).
        start = time.monotonic()
        dispatcher.enqueue(f"{__name__}.record_pid", str(marks), "after", queue="default")
        took = wait_for("the job after the failover ran", lambda: "after" in marks.read_text(),
                        seconds=15)
        print(f"job after the failover ran {time.monotonic() - start:.1f} s after its enqueue")
        assert worker.alive(), worker.tail()
        assert marks.read_text().split() == ["before", pid, "after", pid]

        readyz = web.get("/readyz")
        assert readyz.status_code == 200, readyz.json
        assert readyz.json["checks"]["redis"] == "ok"

        # Counted on the new master: another caller (address) has 4, the 5th is refused.
        other = {"REMOTE_ADDR": "192.0.2.7"}
        answers = [web.get("/sign-in", environ_base=other).status_code for _ in range(5)]
        assert answers == [200, 200, 200, 200, 429], answers
        assert any(b"192.0.2.7" in key for key in
                   Redis(port=redis_set.replica_port, db=3).keys("*LIMITER*")), \
            "the count is not in the new master"

        # A warm shutdown (SIGTERM) interrupts the blocking pop; the worker still says
        # goodbye to Redis and exits 0 (core.redis_client.SentinelMasterConnection).
        worker.stop()
        assert worker.proc.returncode == 0, worker.log_path.read_text()[-3000:]
    finally:
        worker.stop()
        jobs.init_dispatcher(None, app)


def test_the_sentinel_url_reaches_the_master_it_names(redis_set):
    """`connect` on the Sentinel URL (its first Sentinel down) reaches the master, in
    database 3, at once: the Sentinel that is down costs no retries."""
    start = time.monotonic()
    client = redis_client.connect(redis_set.url, timeout=2)
    client.set("oms:probe", "1")
    assert time.monotonic() - start < 0.5
    assert Redis(port=redis_set.master_port, db=3).get("oms:probe") == b"1"


class Interrupted(Exception):
    pass


def test_an_interrupted_read_leaves_no_answer_for_the_next_command(redis_set):
    """A read cut short by a signal (as RQ's warm shutdown and its job timeout cut its
    reads) drops its connection: the answer that comes later must not be taken as the next
    command's (redis-py's Sentinel connection keeps it: core.redis_client
    .SentinelMasterConnection)."""
    client = redis_client.connect(redis_set.url, timeout=5)
    client.set("oms:probe", "v")

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupted):
            client.blpop(["oms:nothing"], timeout=1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    time.sleep(1)  # the BLPOP's empty answer has arrived by now
    assert client.ping() is True
    assert client.get("oms:probe") == b"v"
