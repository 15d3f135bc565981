"""Fulfillment options benchmark: POST /api/v1/fulfillment-options on the demo network, on
PostgreSQL (run by hand; see bench/README.md "Fulfillment options").

The data is `flask oms demo` as it comes (3 DCs, 24 stores, 246 SKUs with their patchy stock
and safety stock, and a week of demo orders holding reservations). Requests are carts of 1 and
3 distinct random demo SKUs (quantity 1-2) with mixed places, in turn: coordinates near a US
city, a postal code + country (estimated offline), a chosen store alone, and coordinates with a
chosen store (default radius 80 km, 5 stores). Prints p50/p99 (and max) of:

  1. HTTP: the app under gunicorn (1 worker, its default threads), one client sending back to
     back over a keep-alive connection (stdlib http.client): what a storefront's server sees,
     less its network; per place kind too;
  2. in-process: the same requests through the Flask test client (no HTTP server), and the
     query alone (`fulfillment.options.fulfillment_options` in a read session, no Flask), with
     the SQL statements per request, and what the query would cost without its filters
     (every pickup store of the network routed, every active node handed to the engine);
     `--profile` adds the query's top functions (cProfile).

The database comes from OMS_BENCH_DATABASE_URL (a server; the benchmark works in its own
database, `oms_bench_options` by default, which it drops and recreates), or else from a
throwaway PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import orders_bench as ob
from bench_common import (
    add_database_arguments,
    check_database_arguments,
    free_port,
    log,
    machine_facts,
    percentile,
    recreate_database,
    services,
    statement_shape,
    timed,
)
from sqlalchemy import event

URL = "/api/v1/fulfillment-options"
PLACE_KINDS = ("coordinates", "postal code", "store", "coordinates + store")
LINE_COUNTS = (1, 3)
PG_SETTINGS = ("fsync", "synchronous_commit", "shared_buffers", "max_connections", "work_mem")


def bodies(lines: int, count: int, seed: str) -> list[tuple[str, dict]]:
    """(place kind, request body) x count, deterministic: the same seed, the same requests."""
    ob.use_this_tree()
    from oms import demo_data

    catalog = [item["sku"] for item in demo_data.catalog()]
    stores = [store["code"] for store in demo_data.STORES]
    rng = random.Random(seed)
    out = []
    for n in range(count):
        kind = PLACE_KINDS[n % len(PLACE_KINDS)]
        city, region, postal, lat, lon = rng.choice(ob.DESTINATIONS)
        body: dict = {"lines": [{"sku": sku, "quantity": rng.choice((1, 1, 1, 2))}
                                for sku in rng.sample(catalog, lines)]}
        if kind in ("coordinates", "coordinates + store"):
            body["destination"] = {"latitude": round(lat + rng.uniform(-0.2, 0.2), 4),
                                   "longitude": round(lon + rng.uniform(-0.25, 0.25), 4)}
        elif kind == "postal code":
            body["destination"] = {"postal_code": postal, "country": "US", "city": city,
                                   "region": region}
        if kind in ("store", "coordinates + store"):
            body["pickup_location"] = rng.choice(stores)
        out.append((kind, body))
    return out


class Cell:
    """Latencies of one measured run, overall and by place kind, and what the answers said."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.all: list[float] = []
        self.by_kind: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.first_error: str | None = None
        self.answers: Counter = Counter()

    def add(self, kind: str, seconds: float, status: int, body: bytes | dict | None) -> None:
        if status != 200:
            self.errors[status] += 1
            self.first_error = self.first_error or repr(body)[:400]
            return
        self.all.append(seconds)
        self.by_kind[kind].append(seconds)
        if body is not None:
            answer = json.loads(body) if isinstance(body, bytes) else body
            self.answers["requests"] += 1
            self.answers["ship available"] += answer["ship"]["available"]
            self.answers["ship in 1 package"] += answer["ship"]["packages"] == 1
            stores = answer["pickup"]["stores"]
            self.answers["stores listed"] += len(stores)
            self.answers["a store ready now"] += any(s["ready"] == "now" for s in stores)

    def line(self) -> str:
        lat = sorted(self.all)
        errors = sum(self.errors.values())
        return (f"  {self.label:<44} n={len(lat):>5}  p50 {percentile(lat, 0.5) * 1000:6.2f} ms"
                f"  p99 {percentile(lat, 0.99) * 1000:6.2f} ms  max {lat[-1] * 1000:6.2f} ms"
                + (f"  errors {dict(self.errors)}: {self.first_error}" if errors else ""))

    def kinds(self) -> list[str]:
        out = []
        for kind in PLACE_KINDS:
            lat = sorted(self.by_kind[kind])
            if lat:
                out.append(f"      {kind:<22} p50 {percentile(lat, 0.5) * 1000:6.2f} ms  "
                           f"p99 {percentile(lat, 0.99) * 1000:6.2f} ms")
        return out

    def summary(self) -> str:
        a = self.answers
        n = a["requests"] or 1
        return (f"      answers: ship available {a['ship available'] / n:.0%}, in one package "
                f"{a['ship in 1 package'] / n:.0%}; {a['stores listed'] / n:.1f} pickup "
                f"stores listed on average, a store ready now {a['a store ready now'] / n:.0%}")


def http_cell(port: int, key: str, label: str, requests: list[tuple[str, dict]],
              warmup: int) -> Cell:
    client = ob.HttpClient(port)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    encoded = [(kind, json.dumps(body).encode()) for kind, body in requests]
    cell = Cell(label)
    try:
        for _kind, raw in encoded[:warmup]:
            client.request("POST", URL, raw, headers)
        for kind, raw in encoded:
            t0 = time.perf_counter()
            status, data = client.request("POST", URL, raw, headers)
            cell.add(kind, time.perf_counter() - t0, status, data)
    finally:
        client.close()
    return cell


def in_process(url: str, key: str, lines: int, requests: list[tuple[str, dict]], warmup: int,
               profile: bool) -> list[str]:
    """The Flask test client and the query alone, in this process, with statement counts."""
    ob.use_this_tree()
    from core.db import get_database, read_session
    from fulfillment import capacity, options
    from fulfillment.planning import routing_nodes
    from fulfillment.routing import Line, route
    from inventory import snapshot
    from oms import policy
    from oms.app import create_app
    from oms.config import Settings

    app = create_app(Settings(database_url=url, redis_url=None, embedded_worker=False,
                              log_level="WARNING"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    engine = get_database().engine
    shapes: Counter = Counter()

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        shapes[statement_shape(statement)] += 1

    def query_of(body: dict) -> options.OptionsQuery:
        return options.OptionsQuery(
            lines=tuple(options.CartLine(ln["sku"], ln["quantity"]) for ln in body["lines"]),
            destination=body.get("destination"), pickup_location=body.get("pickup_location"))

    def view(body: dict) -> tuple[int, dict | None]:
        response = client.post(URL, json=body, headers=headers)
        return response.status_code, response.get_json()

    def query(body: dict) -> tuple[int, dict | None]:
        with read_session() as session:
            options.fulfillment_options(session, query_of(body), policy.current().routing)
        return 200, None

    def unfiltered(body: dict) -> tuple[int, dict | None]:
        """What the filters save: the same reads, then every pickup store of the network
        routed, and every active node handed to the engine (the answer is not built)."""
        rules = policy.current().routing
        cart = tuple(Line(str(i), ln["sku"], ln["quantity"])
                     for i, ln in enumerate(body["lines"]))
        with read_session() as session:
            rows = capacity.active_nodes(session)
            stock = snapshot.availability(session, [ln.sku for ln in cart])
        nodes = routing_nodes(rows)
        today = capacity.today()
        for row in rows:
            if row.kind == "store" and row.pickup:
                route(rules.request(lines=cart, method="pickup", pickup_node=row.code,
                                    bopis_policy="transfer", today=today),
                      nodes, stock, rules.cost, rules.transit)
        place = options.locate(body["destination"]) if body.get("destination") else None
        point = place.point if place else next(
            (r.latitude, r.longitude) for r in rows if r.code == body["pickup_location"])
        route(rules.request(lines=cart, method="ship", destination=point, today=today),
              nodes, stock, rules.cost, rules.transit)
        return 200, None

    out = []
    for label, call in ((f"{lines}-line, Flask test client", view),
                        (f"{lines}-line, the query alone", query),
                        (f"{lines}-line, unfiltered (all stores, all nodes)", unfiltered)):
        for _kind, body in requests[:warmup]:
            call(body)
        cell = Cell(label)
        shapes.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            for kind, body in requests:
                t0 = time.perf_counter()
                status, answer = call(body)
                cell.add(kind, time.perf_counter() - t0, status, answer)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        out.append(cell.line())
        per = ", ".join(f"{shape} x{n / len(requests):.2f}" for shape, n in shapes.most_common())
        out.append(f"      statements per request: {sum(shapes.values()) / len(requests):.2f} "
                   f"({per}; a read session adds BEGIN and COMMIT, which events do not see)")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _kind, body in requests:
            query(body)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        out.append(f"      cProfile of the query alone, {len(requests)} requests, by own time:")
        out += [f"        {ln}" for ln in text.getvalue().splitlines()
                if ln.strip() and not ln.startswith(("   Ordered", "         "))][:22]
    get_database().dispose()
    return out


def run(server: str, args: argparse.Namespace, workdir: Path) -> None:
    ob.use_this_tree()
    from oms.migrate import upgrade

    url = recreate_database(server, args.db_name)
    for line in machine_facts(url, PG_SETTINGS, tools=subprocess.run(
            [ob.tool("gunicorn"), "--version"], text=True, capture_output=True).stdout.strip()):
        log(line)
    log(f"requests:    {args.requests} per cell after {args.warmup} warm-up requests, "
        f"carts of {' and '.join(map(str, LINE_COUNTS))} lines, places in turn: "
        f"{', '.join(PLACE_KINDS)}")
    log()
    with timed("migrations"):
        upgrade(url)
    env = ob.app_env(url, None)
    with timed("flask oms demo (3 DCs, 24 stores, 246 SKUs, a week of orders)"):
        ob.flask_cli(env, "oms", "demo")
    key = ob.flask_cli(env, "oms", "create-api-key", "--role", "channel", "--name",
                       "storefront").stdout.strip().splitlines()[-1].strip()
    requests = {lines: bodies(lines, args.requests, f"options:{lines}") for lines in LINE_COUNTS}
    port = free_port()
    app = ob.Gunicorn(ob.app_env(url, None, OMS_BIND=f"127.0.0.1:{port}", OMS_WEB_WORKERS="1"),
                      port, workdir / "gunicorn.log")
    try:
        app.wait_ready()
        log(f"round trips: {ob.round_trips(url, port)}")
        log()
        log("== 1. HTTP: POST /api/v1/fulfillment-options through gunicorn (1 worker), "
            "1 client back to back")
        for lines in LINE_COUNTS:
            cell = http_cell(port, key, f"{lines}-line cart", requests[lines], args.warmup)
            log(cell.line())
            for line in (*cell.kinds(), cell.summary()):
                log(line)
    finally:
        problems = app.problems()
        app.stop()
        log(f"gunicorn stopped; {len(problems)} error line(s) in its log"
            + (f" (kept: {app.log_path})" if problems else ""))
        for line in problems[:10]:
            log(f"    {line[:300]}")
    log()
    log("== 2. in-process (this process, no HTTP server)")
    for lines in LINE_COUNTS:
        for line in in_process(url, key, lines, requests[lines], args.warmup,
                               args.profile and lines == LINE_COUNTS[-1]):
            log(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per cell")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per cell")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the query alone (3-line carts)")
    add_database_arguments(parser, "oms_bench_options")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="oms-options-bench-"))
    try:
        with services(args.keep_db, args.db_name) as svc:
            run(svc.server, args, workdir)
    finally:
        log_file = workdir / "gunicorn.log"
        if log_file.exists() and "Traceback" in log_file.read_text(errors="replace"):
            log(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"total wall time: {time.perf_counter() - started:.0f} s; load avg at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
