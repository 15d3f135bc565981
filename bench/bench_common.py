"""Plumbing the benchmarks share: logging, percentiles, CPU time, and a PostgreSQL server to
run on (OMS_BENCH_DATABASE_URL, or a throwaway one from scripts/services.sh)."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


@contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    log(f"  {label}: {time.perf_counter() - start:.1f} s")


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def postgres_server(keep_db: bool, db_name: str) -> Iterator[str]:
    """Yield a server URL (postgresql+psycopg://...): OMS_BENCH_DATABASE_URL or a throwaway."""
    given = os.environ.get("OMS_BENCH_DATABASE_URL")
    if given:
        url = make_url(given)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        server = url.render_as_string(hide_password=False)
        try:
            yield server
        finally:
            if not keep_db:
                drop_database(server, db_name)
        return
    tmpdir = tempfile.mkdtemp(prefix="oms-bench-")
    script = str(ROOT / "scripts" / "services.sh")
    try:
        log(f"starting a throwaway PostgreSQL + Redis in {tmpdir} (scripts/services.sh)")
        out = subprocess.run([script, "start", tmpdir], check=True, text=True,
                             stdout=subprocess.PIPE).stdout
        prefix = "export OMS_TEST_DATABASE_URL="
        lines = [line for line in out.splitlines() if line.startswith(prefix)]
        if not lines:
            raise RuntimeError(f"services.sh printed no database URL:\n{out}")
        yield lines[0][len(prefix):].strip()
    finally:
        subprocess.run([script, "stop", tmpdir], check=False)
        log(f"stopped the throwaway PostgreSQL + Redis ({tmpdir} removed)")


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
