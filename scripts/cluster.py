"""A local multi-process OMS: every part a process of its own, as on separate hosts.

    python scripts/cluster.py start|stop|status [--dir var/cluster]      (or `make cluster`)

Runs a PostgreSQL primary and a streaming read replica of it, Redis (no persistence), two
gunicorn web servers behind haproxy (round robin, health checks on /readyz), two RQ workers and
one periodic-job scheduler. Pids and ports are in DIR/state.json (so `stop` and `status` work
from another process), logs in DIR/logs/<name>.log.

Tests and benchmarks import it (`sys.path.insert(0, "<repo>/scripts"); from cluster import
Cluster`) and use its fault methods (kill_web, kill_worker, restart_redis, stop_replica,
restart_postgres, ...), each of which returns once the fault is in effect. See README.md,
"Running a local cluster (`make cluster`)".

Standard library only at import time (psycopg and redis, from the repo's venv, are imported where
used), so `python scripts/cluster.py stop` works from any Python 3.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO / "var" / "cluster"
READY_TIMEOUT = 60.0  # seconds any one part may take to answer after it is started
STOP_TIMEOUT = 15.0  # seconds a process gets after SIGTERM before SIGKILL
# What the cluster owns under its directory: `start` clears exactly these, nothing else.
OWNED = ("pg", "replica", "logs", "metrics", "state.json", "haproxy.cfg", "haproxy.sock")


class ClusterError(RuntimeError):
    """A part did not start or stop; the message names the log to read."""


# ----------------------------------------------------------------------------- small helpers

def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not found:
        raise ClusterError("PostgreSQL not found under /usr/lib/postgresql "
                           "(scripts/services.sh ensure installs it)")
    return found[-1].parent


def _proc_start_time(pid: int) -> int | None:
    """The kernel's start time of `pid` (clock ticks since boot), None if it does not exist or
    is a zombie. Kept with each pid so a stop long after never signals a recycled pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":  # dead, not yet reaped by its parent
        return None
    return int(fields[19])


def alive(pid: int | None, start_time: int | None = None) -> bool:
    if not pid:
        return False
    now = _proc_start_time(pid)
    return now is not None and (start_time is None or now == start_time)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log written)"


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, urllib.error.URLError):
        return None


def wait_until(what: str, ready: Callable[[], bool], log: Path | None,
               timeout: float = READY_TIMEOUT, dead: Callable[[], bool] | None = None) -> None:
    """Poll `ready` until it holds; past `timeout`, or when `dead` says the process exited,
    fail naming the log to read (and its last lines)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if dead is not None and dead():
            break
        time.sleep(0.1)
    else:
        raise ClusterError(f"{what} not ready after {timeout:.0f} s; read {log}:\n"
                           + (_tail(log) if log else ""))
    raise ClusterError(f"{what} exited; read {log}:\n" + (_tail(log) if log else ""))


# ----------------------------------------------------------------------------- the cluster

class Cluster:
    """The processes of one local cluster under `root` (see the module docstring).

    A Cluster made on a directory that holds a running cluster's state.json controls that
    cluster (stop, status, faults), whichever process started it.
    """

    def __init__(self, root: Path, *, webs: int = 2, workers: int = 2,
                 web_workers: int = 2, env: dict[str, str] | None = None,
                 demo_orders: bool = True) -> None:
        self.root = Path(root).resolve()
        self.webs, self.workers, self.web_workers = webs, workers, web_workers
        self.extra_env = dict(env or {})
        # `oms demo` loads the network, items and stock, then a week of orders (~13 s on
        # PostgreSQL); tests that need only the network skip the orders.
        self.demo_orders = demo_orders
        self.pgbin = pg_bin()
        self.ports: dict[str, int] = {}
        self.pids: dict[str, int] = {}
        self.start_times: dict[str, int] = {}
        self.secret_key = ""
        self.admin_key = ""
        self._popen: dict[str, subprocess.Popen[bytes]] = {}
        self._load()

    # ------------------------------------------------------------------ state and addresses

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    def _load(self) -> None:
        if not self.state_path.exists():
            return
        state = json.loads(self.state_path.read_text())
        self.ports = {k: int(v) for k, v in state["ports"].items()}
        self.pids = {k: int(v) for k, v in state["pids"].items()}
        self.start_times = {k: int(v) for k, v in state.get("start_times", {}).items()}
        self.secret_key = state.get("secret_key", "")
        self.admin_key = state.get("admin_key", "")
        self.webs = int(state.get("webs", self.webs))
        self.workers = int(state.get("workers", self.workers))
        self.web_workers = int(state.get("web_workers", self.web_workers))
        self.extra_env = {**state.get("env", {}), **self.extra_env}

    def _save(self) -> None:
        state = {"ports": self.ports, "pids": self.pids, "start_times": self.start_times,
                 "webs": self.webs, "workers": self.workers, "web_workers": self.web_workers,
                 "env": self.extra_env, "secret_key": self.secret_key,
                 "admin_key": self.admin_key, "lb_url": self.lb_url,
                 "database_url": self.database_url, "replica_url": self.replica_url,
                 "redis_url": self.redis_url, "logs": str(self.logs)}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.chmod(0o600)  # it holds the admin key and the secret key
        tmp.replace(self.state_path)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.get('lb', 0)}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://oms@127.0.0.1:{self.ports.get('pg', 0)}/oms"

    @property
    def replica_url(self) -> str:
        return f"postgresql+psycopg://oms@127.0.0.1:{self.ports.get('replica', 0)}/oms"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.get('redis', 0)}/0"

    def web_url(self, i: int) -> str:
        """Web server `i` directly, past the balancer."""
        return f"http://127.0.0.1:{self.ports[f'web{i}']}"

    def app_env(self) -> dict[str, str]:
        """The environment of every OMS process of the cluster (web, worker, scheduler, CLI)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OMS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(
            OMS_DATABASE_URL=self.database_url, OMS_DATABASE_REPLICA_URL=self.replica_url,
            OMS_REDIS_URL=self.redis_url, OMS_EMBEDDED_WORKER="0",
            OMS_SECRET_KEY=self.secret_key, OMS_LOG_FORMAT="json",
            # haproxy is the one proxy in front and appends the client's address
            # (`option forwardfor`): per-address rate limits see the real caller.
            OMS_TRUSTED_PROXIES="1",
            PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        return env

    # ------------------------------------------------------------------ processes

    def _as_postgres(self, args: list[str]) -> list[str]:
        # initdb and the server refuse to run as root (like scripts/services.sh).
        return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        """Start `args` in a session of its own (so a kill reaches its children, and it
        outlives the `cluster.py start` that made it), output appended to its log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as out:
            proc = subprocess.Popen(args, cwd=REPO, env=env if env is not None else self.app_env(),
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self._popen[name] = proc
        self.pids[name] = proc.pid
        self.start_times[name] = _proc_start_time(proc.pid) or 0
        self._save()

    def is_alive(self, name: str) -> bool:
        pid = self.pids.get(name)
        proc = self._popen.get(name)
        if proc is not None and proc.poll() is not None:
            return False  # exited (and reaped just now)
        return alive(pid, self.start_times.get(name))

    def _signal_group(self, name: str, sig: int) -> None:
        pid = self.pids.get(name)
        if pid and self.is_alive(name):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)  # the session leader's group: gunicorn's workers too

    def _wait_gone(self, name: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        pid = self.pids.get(name)
        while time.monotonic() < deadline:
            if not self.is_alive(name) and not (pid and self._group_alive(pid)):
                return True
            time.sleep(0.05)
        return False

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # Only zombies left (the leader not yet reaped by a parent that is not us)?
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False

    def _kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = STOP_TIMEOUT) -> None:
        """Signal the process group of `name`; SIGKILL it if it is still there after
        `timeout`; return when every process of the group is gone."""
        self._signal_group(name, sig)
        if not self._wait_gone(name, timeout):
            self._signal_group(name, signal.SIGKILL)
            pid = self.pids.get(name)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            if not self._wait_gone(name, 10):
                raise ClusterError(f"{name} (pid {pid}) would not die")
        self.pids.pop(name, None)
        self.start_times.pop(name, None)
        self._popen.pop(name, None)
        self._save()

    # ------------------------------------------------------------------ PostgreSQL

    def _pg_tool(self, args: list[str]) -> tuple[int, str]:
        """Run a PostgreSQL program (as postgres when root), its output appended to
        logs/pg_tools.log; its exit code and that output. Never through a pipe: a server that
        pg_ctl starts inherits pg_ctl's stdout, and a pipe would then never close."""
        path = self.logs / "pg_tools.log"
        with path.open("a+b") as out:
            start = out.seek(0, os.SEEK_END)
            code = subprocess.run(self._as_postgres(args), stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT).returncode
            out.seek(start)
            return code, out.read().decode(errors="replace").strip()

    def _pg_ctl(self, datadir: Path, *args: str) -> tuple[int, str]:
        return self._pg_tool([str(self.pgbin / "pg_ctl"), "-D", str(datadir), *args])

    def _pg_start(self, name: str) -> None:
        datadir, port = self.root / name, self.ports[name]
        log = self.log(name)
        log.touch()
        if os.geteuid() == 0:
            shutil.chown(log, "postgres")
        opts = (f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c max_connections=300"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        code, output = self._pg_ctl(datadir, "-l", str(log), "-w", "-t", str(int(READY_TIMEOUT)),
                                    "-o", opts, "start")
        if code != 0:
            raise ClusterError(f"{name} did not start ({output}); read {log}:\n" + _tail(log))
        self._record_postmaster(name)

    def _record_postmaster(self, name: str) -> None:
        pid = int((self.root / name / "postmaster.pid").read_text().split()[0])
        self.pids[name] = pid
        self.start_times[name] = _proc_start_time(pid) or 0
        self._save()

    def _pg_stop(self, name: str, mode: str = "fast") -> None:
        if (self.root / name / "postmaster.pid").exists():
            self._pg_ctl(self.root / name, "-m", mode, "-w", "stop")
        self.pids.pop(name, None)
        self.start_times.pop(name, None)
        self._save()

    def _psql_value(self, port: int, sql: str) -> Any:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="oms", dbname="oms",
                             connect_timeout=2) as conn:
            row = conn.execute(sql).fetchone()
            return row[0] if row else None

    def _replica_streaming(self) -> bool:
        try:
            return bool(self._psql_value(
                self.ports["pg"], "SELECT count(*) FROM pg_stat_replication "
                                  "WHERE state = 'streaming'"))
        except Exception:
            return False

    def _start_postgres(self) -> None:
        pg = self.root / "pg"
        pg.mkdir(parents=True)
        pg.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(pg, "postgres")
        code, output = self._pg_tool([str(self.pgbin / "initdb"), "-D", str(pg), "-U", "oms",
                                      "--auth=trust", "-E", "UTF8"])
        if code != 0:
            raise ClusterError(f"initdb failed:\n{output[-3000:]}")
        self._pg_start("pg")
        code, output = self._pg_tool([str(self.pgbin / "createdb"), "-h", "127.0.0.1", "-p",
                                      str(self.ports["pg"]), "-U", "oms", "oms"])
        if code != 0:
            raise ClusterError(f"createdb failed: {output}")

    def _start_replica_fresh(self) -> None:
        replica = self.root / "replica"
        replica.mkdir()
        replica.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(replica, "postgres")
        code, output = self._pg_tool(
            [str(self.pgbin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.ports["pg"]),
             "-U", "oms", "-D", str(replica), "-R", "-X", "stream", "-c", "fast"])
        if code != 0:
            raise ClusterError(f"pg_basebackup failed: {output}")
        self._pg_start("replica")
        wait_until("replica streaming", self._replica_streaming, self.log("replica"))

    # ------------------------------------------------------------------ Redis

    def _redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.ports["redis"]), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _start_redis(self) -> None:
        # No RDB snapshot, no AOF: a restart is an EMPTY Redis (the restart_redis fault).
        self._spawn("redis", ["redis-server", "--port", str(self.ports["redis"]), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(self.logs)], env=dict(os.environ))
        wait_until("redis", self._redis_ping, self.log("redis"),
                   dead=lambda: not self.is_alive("redis"))

    def restart_redis(self) -> None:
        """Stop Redis (SIGKILL: no chance to save) and start an empty one on the same port;
        returns when it answers PING. Queued jobs, periodic slots, rate-limit counts are gone."""
        self._kill("redis", signal.SIGKILL)
        self._start_redis()

    # ------------------------------------------------------------------ the OMS

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`flask --app wsgi ARGS` with the cluster's environment (output captured)."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                                cwd=REPO, env=self.app_env(), capture_output=True, text=True)
        if check and result.returncode != 0:
            raise ClusterError(f"flask {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stderr[-3000:]}")
        return result

    def api_key(self, role: str, locations: list[str] | None = None,
                channel: str | None = None) -> str:
        """A new API key (`flask oms create-api-key`) of any role, locations, channel."""
        args = ["oms", "create-api-key", "--role", role, "--name", f"cluster-{role}"]
        if locations:
            args += ["--location", ",".join(locations)]
        if channel:
            args += ["--channel", channel]
        return self.flask(*args).stdout.strip().splitlines()[-1]

    def _start_web(self, i: int) -> None:
        name = f"web{i}"
        metrics_dir = self.root / "metrics" / name  # its "host's" own directory
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.app_env(), "OMS_BIND": f"127.0.0.1:{self.ports[name]}",
               "OMS_WEB_WORKERS": str(self.web_workers),
               "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        env.update(self.extra_env)
        self._spawn(name, [sys.executable, "-m", "gunicorn", "-c", "python:oms.gunicorn_conf",
                           "wsgi:app"], env=env)

    def _wait_web(self, i: int) -> None:
        name = f"web{i}"
        wait_until(name, lambda: _http_status(f"{self.web_url(i)}/readyz?optional=replica") == 200,
                   self.log(name), dead=lambda: not self.is_alive(name))

    def start_web(self, i: int) -> None:
        """Start web server `i` again; returns when it answers /readyz and haproxy has it UP."""
        self._start_web(i)
        self._wait_web(i)
        wait_until(f"haproxy to see web{i} UP",
                   lambda: self.backend_states().get(f"web{i}", "").startswith("UP"),
                   self.log("haproxy"))

    def kill_web(self, i: int) -> None:
        """SIGKILL web server `i`: its master and its workers, at once (a host gone). Returns
        when every process of it is gone; haproxy notices at its next checks (~2 s) or on the
        first connection refused."""
        self._kill(f"web{i}", signal.SIGKILL)

    def _worker_names(self) -> dict[int, str]:
        """RQ's registered workers by pid (RQ names them itself)."""
        from redis import Redis
        from rq import Worker

        with Redis.from_url(self.redis_url, socket_timeout=2) as r:
            return {w.pid: w.name for w in Worker.all(connection=r) if w.pid}

    def _worker_busy(self, i: int) -> bool:
        from redis import Redis
        from rq import Worker

        pid = self.pids.get(f"worker{i}")
        with Redis.from_url(self.redis_url, socket_timeout=2) as r:
            return any(w.pid == pid and w.get_state() == "busy"
                       for w in Worker.all(connection=r))

    def start_worker(self, i: int) -> None:
        """Start RQ worker `i` (no periodic scheduler in it); returns when it is registered
        with RQ (ready to take jobs)."""
        name = f"worker{i}"
        self._spawn(name, [sys.executable, "-m", "flask", "--app", "wsgi", "oms", "worker",
                           "--no-scheduler"])

        def registered() -> bool:
            try:
                return self.pids.get(name) in self._worker_names()
            except Exception:
                return False
        wait_until(name, registered, self.log(name), dead=lambda: not self.is_alive(name))

    def kill_worker(self, i: int, *, busy_timeout: float = 0.0) -> None:
        """SIGKILL RQ worker `i`. With `busy_timeout`, first wait up to that long for it to be
        running a job (so the job dies with it; RQ finds it abandoned later). Returns when it
        is gone."""
        deadline = time.monotonic() + busy_timeout
        while time.monotonic() < deadline:
            try:
                if self._worker_busy(i):
                    break
            except Exception:
                pass
            time.sleep(0.02)
        self._kill(f"worker{i}", signal.SIGKILL)

    def _start_scheduler(self) -> None:
        self._spawn("scheduler", [sys.executable, "-m", "flask", "--app", "wsgi", "oms",
                                  "scheduler"])

        def ticking() -> bool:
            # Its first tick claims a slot of every periodic job (oms:periodic:<job>:<slot>).
            from redis import Redis

            try:
                with Redis.from_url(self.redis_url, socket_timeout=2) as r:
                    return bool(r.keys("oms:periodic:*"))
            except Exception:
                return False
        wait_until("scheduler", ticking, self.log("scheduler"),
                   dead=lambda: not self.is_alive("scheduler"))

    # ------------------------------------------------------------------ haproxy

    def haproxy_config(self) -> str:
        servers = "\n".join(f"    server web{i} 127.0.0.1:{self.ports[f'web{i}']}"
                            for i in range(self.webs))
        return f"""\
# Written by scripts/cluster.py; see README.md "Running a local cluster".
global
    maxconn 4000
    stats socket {self.root / 'haproxy.sock'} mode 600 level admin
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    option forwardfor
    timeout connect 2s
    timeout client 75s
    # gunicorn's own worker timeout is 60 s (oms/gunicorn_conf.py): it answers (or dies) first.
    timeout server 65s
    timeout check 2s
    # A server that refuses the connection (dead) is tried again, on another server
    # (redispatch), up to 3 times.
    retries 3
    option redispatch 1

frontend oms
    bind 127.0.0.1:{self.ports['lb']}
    default_backend webs

backend webs
    balance roundrobin
    # Readiness: a web process whose database or Redis does not answer is taken out after
    # 2 failed checks 1 s apart, back after 1 good one. The replica is optional to the
    # balancer: reads fall back to the primary, and a replica outage must not take every web
    # process out at once.
    option httpchk GET /readyz?optional=replica
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
    # Retries after the request was sent: a connection failure (nothing reached the app) is
    # retried for every method; a connection closed without a byte of answer only for GET and
    # HEAD, because a POST that reached a dying process may have committed (its client retries
    # with the same Idempotency-Key instead). No retry once an answer has begun, nor on a
    # response timeout (a slow request is not run twice).
    retry-on conn-failure empty-response
    http-request disable-l7-retry if !METH_GET
{servers}

listen stats
    bind 127.0.0.1:{self.ports['lb_stats']}
    stats enable
    stats uri /
    stats refresh 2s
"""

    def _start_haproxy(self) -> None:
        cfg = self.root / "haproxy.cfg"
        cfg.write_text(self.haproxy_config())
        check = subprocess.run(["haproxy", "-c", "-q", "-f", str(cfg)], capture_output=True,
                               text=True)
        if check.returncode != 0:
            raise ClusterError(f"haproxy refused {cfg}: {check.stderr.strip()}")
        self._spawn("haproxy", ["haproxy", "-db", "-f", str(cfg)], env=dict(os.environ))
        wait_until("haproxy (through it, /readyz)",
                   lambda: _http_status(f"{self.lb_url}/readyz") == 200, self.log("haproxy"),
                   dead=lambda: not self.is_alive("haproxy"))

    def haproxy_command(self, command: str) -> str:
        """One command on haproxy's admin socket (e.g. `show stat`, `disable server
        webs/web0`)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(str(self.root / "haproxy.sock"))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def backend_states(self) -> dict[str, str]:
        """haproxy's view of each web server: `UP`, `DOWN`, `UP 1/2` (going down), ..."""
        try:
            text = self.haproxy_command("show stat").lstrip("# ")
        except OSError:
            return {}
        return {row["svname"]: row["status"] for row in csv.DictReader(io.StringIO(text))
                if row.get("pxname") == "webs" and row["svname"] not in ("BACKEND", "FRONTEND")}

    # ------------------------------------------------------------------ replica faults

    def stop_replica(self) -> None:
        """Stop the streaming replica (pg_ctl stop -m fast); returns when it is down."""
        self._pg_stop("replica", "fast")

    def start_replica(self) -> None:
        """Start the replica again; returns when it streams from the primary again."""
        self._pg_start("replica")
        wait_until("replica streaming", self._replica_streaming, self.log("replica"))

    def restart_postgres(self) -> None:
        """Restart the primary (pg_ctl restart -m fast: every connection cut); returns when it
        accepts connections and the replica streams from it again."""
        log = self.log("pg")
        # -l again: without it the new server would write to pg_ctl's own output.
        code, output = self._pg_ctl(self.root / "pg", "-l", str(log), "-m", "fast", "-w", "-t",
                                    str(int(READY_TIMEOUT)), "restart")
        if code != 0:
            raise ClusterError(f"postgres restart failed ({output}); read {log}:\n" + _tail(log))
        self._record_postmaster("pg")
        if self.is_alive("replica"):
            wait_until("replica streaming again", self._replica_streaming, self.log("replica"))

    # ------------------------------------------------------------------ start, stop, status

    def _running(self) -> list[str]:
        return [name for name in self.pids if self.is_alive(name)]

    def start(self) -> None:
        """Start everything (a fresh cluster: the directory's previous data is cleared);
        returns when /readyz through haproxy answers 200. On failure, stops what it started."""
        running = self._running()
        if running:
            raise ClusterError(f"a cluster is running in {self.root} ({', '.join(running)}): "
                               f"stop it first (python scripts/cluster.py stop --dir "
                               f"{self.root})")
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the postgres user reaches its data directories through it
        for name in OWNED:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self.logs.mkdir()
        self.pids, self.start_times, self._popen = {}, {}, {}
        names = ["pg", "replica", "redis", "lb", "lb_stats",
                 *(f"web{i}" for i in range(self.webs))]
        self.ports = {name: free_port() for name in names}
        self.secret_key = secrets.token_hex(32)  # shared: one session cookie on every web
        self._save()
        try:
            self._start_postgres()
            self._start_replica_fresh()
            self._start_redis()
            self.flask("db", "upgrade")
            self.flask("oms", "demo", *([] if self.demo_orders else ["--no-orders"]))
            self.admin_key = self.api_key("admin")
            self._save()
            for i in range(self.webs):
                self._start_web(i)
            for i in range(self.workers):
                self.start_worker(i)
            self._start_scheduler()
            for i in range(self.webs):
                self._wait_web(i)
            self._start_haproxy()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every process (SIGTERM, SIGKILL after STOP_TIMEOUT; PostgreSQL with pg_ctl).
        Idempotent; the data and the logs stay until the next start."""
        for name in ["haproxy", *sorted(n for n in self.pids if n.startswith("web")),
                     "scheduler", *sorted(n for n in self.pids if n.startswith("worker")),
                     "redis"]:
            if name in self.pids:
                self._kill(name, signal.SIGTERM)
        for name in ("replica", "pg"):
            if (self.root / name / "postmaster.pid").exists():
                self._pg_stop(name, "fast")
            if name in self.pids and self.is_alive(name):
                self._kill(name, signal.SIGKILL)
            self.pids.pop(name, None)
        if self.state_path.exists():
            self._save()

    def status(self) -> dict[str, Any]:
        """Each process (pid, alive) and haproxy's state of each web server."""
        return {"root": str(self.root), "lb_url": self.lb_url,
                "processes": {name: {"pid": pid, "alive": self.is_alive(name)}
                              for name, pid in sorted(self.pids.items())},
                "backends": self.backend_states() if self.is_alive("haproxy") else {}}


# ----------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help="where the data, logs and state.json live (default var/cluster)")
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2,
                        help="gunicorn worker processes per web server (OMS_WEB_WORKERS)")
    parser.add_argument("--no-demo-orders", action="store_true",
                        help="load the demo network, items and stock but not its orders")
    args = parser.parse_args(argv)
    cluster = Cluster(args.dir, webs=args.webs, workers=args.workers,
                      web_workers=args.web_workers, demo_orders=not args.no_demo_orders)
    if args.action == "start":
        try:
            cluster.start()
        except ClusterError as exc:
            print(f"cluster did not start: {exc}", file=sys.stderr)
            return 1
        d = cluster.root
        print(f"""\
OMS cluster running in {d}
  API (haproxy):   {cluster.lb_url}      e.g. curl {cluster.lb_url}/readyz
  admin API key:   {cluster.admin_key}
  haproxy stats:   http://127.0.0.1:{cluster.ports['lb_stats']}/
  web servers:     {', '.join(cluster.web_url(i) for i in range(cluster.webs))}
  PostgreSQL:      {cluster.database_url}   (replica {cluster.replica_url})
  Redis:           {cluster.redis_url}
  logs:            {cluster.logs}/<name>.log
  status / stop:   python scripts/cluster.py status|stop --dir {d}    (or make cluster-stop)""")
        return 0
    if args.action == "stop":
        cluster.stop()
        print(f"cluster in {cluster.root} stopped (logs kept in {cluster.logs})")
        return 0
    print(json.dumps(cluster.status(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
