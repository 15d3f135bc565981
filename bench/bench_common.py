"""Plumbing the benchmarks share: logging, percentiles, CPU time, and a PostgreSQL server to
run on (OMS_BENCH_DATABASE_URL, or a throwaway one from scripts/services.sh)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import re
import resource
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent

def log(message: str = "") -> None:
    print(message, flush=True)


def conninfo(url: str | sqlalchemy.URL) -> str:
    """A libpq URI for psycopg from a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a server the benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@contextmanager
def timed(label: str, say: Callable[[str], None] = log) -> Iterator[None]:
    start = time.perf_counter()
    yield
    say(f"  {label}: {time.perf_counter() - start:.1f} s")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Services:
    server: str  # postgresql+psycopg://... (any database on the server)
    redis: str | None


@contextmanager
def services(keep_db: bool, db_name: str) -> Iterator[Services]:
    """OMS_BENCH_DATABASE_URL (+ optional OMS_BENCH_REDIS_URL), or a throwaway PostgreSQL and
    Redis from scripts/services.sh, stopped at the end."""
    given = os.environ.get("OMS_BENCH_DATABASE_URL")
    if given:
        url = make_url(given)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        server = url.render_as_string(hide_password=False)
        try:
            yield Services(server, os.environ.get("OMS_BENCH_REDIS_URL") or None)
        finally:
            if not keep_db:
                drop_database(server, db_name)
        return
    tmpdir = tempfile.mkdtemp(prefix="oms-bench-services-")
    script = str(ROOT / "scripts" / "services.sh")
    try:
        log(f"starting a throwaway PostgreSQL + Redis in {tmpdir} (scripts/services.sh)")
        out = subprocess.run([script, "start", tmpdir], check=True, text=True,
                             stdout=subprocess.PIPE).stdout
        found = {}
        for line in out.splitlines():
            for var in ("OMS_TEST_DATABASE_URL", "OMS_TEST_REDIS_URL"):
                if line.startswith(f"export {var}="):
                    found[var] = line.split("=", 1)[1].strip()
        if "OMS_TEST_DATABASE_URL" not in found:
            raise RuntimeError(f"services.sh printed no database URL:\n{out}")
        yield Services(found["OMS_TEST_DATABASE_URL"], found.get("OMS_TEST_REDIS_URL"))
    finally:
        subprocess.run([script, "stop", tmpdir], check=False)
        log(f"stopped the throwaway PostgreSQL + Redis ({tmpdir} removed)")


@contextmanager
def postgres_server(keep_db: bool, db_name: str) -> Iterator[str]:
    """Just the server URL of `services` (the PostgreSQL-only benchmarks)."""
    with services(keep_db, db_name) as found:
        yield found.server


def admin_connection(server: str) -> psycopg.Connection:
    base = make_url(server)
    error: Exception | None = None
    for admin_db in ("postgres", "template1", base.database):
        try:
            return psycopg.connect(conninfo(base.set(database=admin_db)), autocommit=True)
        except psycopg.OperationalError as exc:
            error = exc
    raise RuntimeError(f"cannot connect to the server to create a database: {error}")


def drop_database(server: str, name: str) -> None:
    try:
        with admin_connection(server) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))
        log(f"dropped database {name}")
    except Exception as exc:  # best effort at the end of a run
        log(f"could not drop database {name}: {exc}")


def round_trip_baseline(url: str, samples: int = 2000) -> tuple[float, float]:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        latencies = []
        for _ in range(samples):
            t0 = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return percentile(latencies, 0.5), percentile(latencies, 0.99)


def cores(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{max(0.0, value):.2f}"


# ---------------------------------------------------------------- CPU accounting

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat), or NaN."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    return raw[raw.rindex(")") + 2:].split()


def find_postmaster(url: str) -> int | None:
    """The PID of the server's postmaster when the server runs on this machine, else None."""
    with psycopg.connect(conninfo(url)) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    stat = proc_stat(backend)
    if stat is None:
        return None
    parent = int(stat[1])
    try:
        comm = Path(f"/proc/{parent}/comm").read_text().strip()
    except OSError:
        return None
    return parent if comm.startswith("postgres") else None


def tree_cpu(root: int | None) -> float:
    """CPU seconds used so far by a process tree: the root, its live children and, through the
    root's cutime/cstime, the children it has already reaped. For PostgreSQL the root is the
    postmaster (backends, background processes, closed connections); for gunicorn the
    arbiter."""
    if root is None:
        return math.nan
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        stat = proc_stat(pid)
        if stat is None:
            continue
        if pid == root:
            ticks += sum(int(v) for v in stat[11:15])  # utime, stime, cutime, cstime
        elif int(stat[1]) == root:
            ticks += int(stat[11]) + int(stat[12])
    return ticks / CLOCK_TICKS


class DatabaseCpu:
    """CPU seconds used so far by the server backends connected to one database (a local
    server): unlike `tree_cpu` of the postmaster, other databases on a shared server and the
    server's background processes are not counted. Backends that have gone since the last
    read keep the CPU they had then (a connection opened and closed between two reads is
    missed: the app's pools keep theirs)."""

    def __init__(self, server: str, database: str) -> None:
        self.database = database
        self._conn = admin_connection(server)
        self._last: dict[int, float] = {}
        self._gone = 0.0

    def read(self) -> float:
        pids = [r[0] for r in self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))]
        now = {}
        for pid in pids:
            stat = proc_stat(pid)
            if stat is not None:
                now[pid] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
        self._gone += sum(cpu for pid, cpu in self._last.items() if pid not in now)
        self._last = now
        return self._gone + sum(now.values())

    def close(self) -> None:
        self._conn.close()


def nproc() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds used so far by the PostgreSQL server (see `tree_cpu`)."""
    return tree_cpu(postmaster)


def database_url(server: str, name: str) -> str:
    """The URL of database `name` on the server of `server` (a URL to any database there)."""
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def recreate_database(server: str, name: str) -> str:
    """Drop and create the benchmark's own database; return its URL."""
    with admin_connection(server) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


# ---------------------------------------------------------------- what every report starts with

def machine_facts(url: str, pg_settings: tuple[str, ...], tools: str = "") -> list[str]:
    """The machine, versions and server settings a figure was measured with. `pg_settings`
    names the PostgreSQL settings that matter to this benchmark; `tools` is appended to the
    Python line (e.g. the gunicorn version)."""
    with psycopg.connect(conninfo(url)) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
        settings = dict(conn.execute(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name = ANY(%s)",
            (list(pg_settings),)).fetchall())
    try:
        cpu_model = next(line.split(":", 1)[1].strip()
                         for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu_model = platform.processor() or "unknown"
    try:
        mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text()
                          .splitlines() if line.startswith("MemTotal")))
        memory = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"date:        {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"command:     {shlex.join(sys.orig_argv)}   (cwd {os.getcwd()})",
        f"machine:     nproc={nproc}, {cpu_model}, {memory} RAM, {platform.platform()}",
        f"load avg:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)",
        f"python:      {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"psycopg {psycopg.__version__}" + (f", {tools}" if tools else ""),
        f"postgresql:  {version}",
        "pg settings: " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())),
        f"database:    {make_url(url).render_as_string(hide_password=True)}",
    ]


def add_database_arguments(parser: argparse.ArgumentParser, default_name: str) -> None:
    """--db-name and --keep-db, the same for every PostgreSQL benchmark."""
    parser.add_argument("--db-name", default=default_name,
                        help="the benchmark's own database, dropped and recreated "
                             f"(default: {default_name})")
    parser.add_argument("--keep-db", action="store_true",
                        help="with OMS_BENCH_DATABASE_URL: leave the database in place")


def check_database_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if "bench" not in args.db_name:
        parser.error("--db-name must contain 'bench' (the database is dropped and recreated)")


def statement_shape(statement: str) -> str:
    """"SELECT inv_balances", "INSERT oms_timeline", "SAVEPOINT", ... for one statement."""
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    if verb == "WITH":  # a CTE: name the tables it writes ("WITH INSERT oms_timeline+...")
        written = re.findall(r"(INSERT INTO|(?<!DO )UPDATE|DELETE FROM) (\w+)", text)
        if written:
            tables = list(dict.fromkeys(table for _verb, table in written))
            return f"WITH {written[0][0].split()[0]} {'+'.join(tables)}"
    pattern = {"SELECT": r" FROM (\w+)", "INSERT": r"INSERT INTO (\w+)",
               "UPDATE": r"UPDATE (\w+)", "DELETE": r"DELETE FROM (\w+)"}.get(verb)
    match = re.search(pattern, text) if pattern else None
    return f"{verb} {match.group(1)}" if match else verb
