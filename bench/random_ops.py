"""Randomized concurrency runs through the HTTP API on PostgreSQL, many seeds or a time budget
(issue 9; run by hand, see bench/README.md). The same generator and checks as
tests/integration/test_random_operations.py (tests/chaos.py), with more rounds.

    .venv/bin/python bench/random_ops.py --seeds 20 --rounds 10
    .venv/bin/python bench/random_ops.py --seed 944032476 --seed 970538201 --rounds 10
    .venv/bin/python bench/random_ops.py --minutes 10 --rounds 20 --keep-going

Each seed starts from an empty database (the tests' network, scarce stock); a seed stops at
its first failing round unless --keep-going. At the end, a table: seed, rounds played,
requests, 5xx, invariant drifts found, and what (5xx headlines, invariant names); then the
details of each failing seed. Exit status 1 if any seed failed.

The database comes from OMS_BENCH_DATABASE_URL (a server; the script works in its own
database, `oms_bench_chaos` by default, dropped and recreated), or else from a throwaway
PostgreSQL started with scripts/services.sh and stopped at the end.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from contextlib import suppress
from pathlib import Path

from bench_common import (
    add_database_arguments,
    check_database_arguments,
    log,
    postgres_server,
    recreate_database,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the shared generator lives in tests/chaos.py

from core.db import get_database, init_database  # noqa: E402
from oms.app import create_app, wire  # noqa: E402
from oms.config import Settings  # noqa: E402
from oms.migrate import upgrade  # noqa: E402
from tests import chaos  # noqa: E402
from tests.support import build_network  # noqa: E402


def one_seed(url: str, seed: int, args: argparse.Namespace,
             deadline: float | None) -> chaos.RunResult:
    database = get_database()
    chaos.reset_database(database)
    build_network()
    app = create_app(Settings(database_url=url, redis_url=None, embedded_worker=False,
                              log_level="ERROR"))
    for handler in logging.getLogger().handlers:  # the table reports 5xx; keep stderr quiet
        if not isinstance(handler, chaos.ServerErrors):
            handler.setLevel(logging.CRITICAL + 1)
    run = chaos.Chaos(app, seed, concurrency=args.concurrency,
                      log=log if args.verbose else (lambda _: None),
                      short_pick_transfers=not args.no_transfer_short_picks)
    try:
        return run.run(args.rounds, keep_going=args.keep_going, deadline=deadline)
    finally:
        run.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many random seeds")
    parser.add_argument("--seed", type=int, action="append", default=[],
                        help="run this seed (repeatable); replaces --seeds")
    parser.add_argument("--first-seed", type=int,
                        help="seeds N, N+1, ... instead of random ones (a reproducible batch)")
    parser.add_argument("--rounds", type=int, default=10, help="mixed rounds per seed")
    parser.add_argument("--concurrency", type=int, default=20,
                        help="operations started together per round")
    parser.add_argument("--minutes", type=float,
                        help="time budget: new seeds until it is spent (with --seeds as a cap "
                             "only if given explicitly)")
    parser.add_argument("--keep-going", action="store_true",
                        help="play every round even after one failed (counts more 5xx)")
    parser.add_argument("--no-transfer-short-picks", action="store_true",
                        help="never short-pick a transfer fulfillment (to look past that bug)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every round")
    add_database_arguments(parser, "oms_bench_chaos")
    args = parser.parse_args()
    check_database_arguments(parser, args)
    if args.seed:
        seeds = list(args.seed)
    elif args.first_seed is not None:
        seeds = [args.first_seed + i for i in range(args.seeds)]
    else:
        pick = random.SystemRandom()
        seeds = [pick.randrange(1, 10**9) for _ in range(args.seeds)]
    if args.minutes and not args.seed and "--seeds" not in sys.argv:
        seeds += [random.SystemRandom().randrange(1, 10**9) for _ in range(10_000)]

    started = time.monotonic()
    budget = started + args.minutes * 60 if args.minutes else None
    results: list[chaos.RunResult] = []
    with postgres_server(args.keep_db, args.db_name) as server:
        url = recreate_database(server, args.db_name)
        upgrade(url)
        init_database(url)
        wire()
        try:
            for seed in seeds:
                if budget and time.monotonic() > budget:
                    break
                t0 = time.monotonic()
                result = one_seed(url, seed, args, budget)
                results.append(result)
                log(f"seed {seed}: {len(result.rounds) - 1} rounds, {result.requests} "
                    f"requests, {len(result.five_xx)} 5xx, {len(result.problems)} drifts "
                    f"({time.monotonic() - t0:.1f} s){'' if result.ok else ' FAILED'}")
        finally:
            with suppress(RuntimeError):
                get_database().dispose()

    log("")
    log(f"{'seed':>10}  {'rounds':>6}  {'requests':>8}  {'5xx':>4}  {'drift':>5}  what")
    for r in results:
        log(f"{r.seed:>10}  {len(r.rounds) - 1:>6}  {r.requests:>8}  {len(r.five_xx):>4}  "
            f"{len(r.problems):>5}  {r.what()}")
    failed = [r for r in results if not r.ok]
    log(f"\n{len(failed)} of {len(results)} seeds failed "
        f"({sum(len(r.five_xx) for r in results)} 5xx in "
        f"{sum(r.requests for r in results)} requests); "
        f"wall time {time.monotonic() - started:.0f} s; command: "
        f"{' '.join(sys.orig_argv)}")
    for r in failed:
        log("\n" + r.report())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
