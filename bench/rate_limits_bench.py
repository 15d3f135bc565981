"""What the rate limiter costs a request (by hand; README, "Protecting the service").

`GET /api/v1/locations` with an admin key through the Flask test client (no HTTP server), on a
throwaway SQLite database, with the limits off, counted in memory and counted in Redis (a limit
nobody reaches, so every request is counted and none refused). Prints microseconds per request,
the median of 3 rounds.

    .venv/bin/python bench/rate_limits_bench.py --redis redis://127.0.0.1:6379/15 [--requests N]

The Redis database given is written to (the limiter's counters, which expire within a minute).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from core.auth import create_api_key
from core.rate_limits import RateLimitSettings
from oms.app import create_app
from oms.config import Settings
from oms.migrate import upgrade

UNREACHED = "1000000/minute"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", required=True, help="a Redis URL to count in")
    parser.add_argument("--requests", type=int, default=2000, help="per round")
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/rate-limits-bench.sqlite3"
    upgrade(url)
    variants = {"off": None, "memory": RateLimitSettings.uniform(UNREACHED),
                "redis": RateLimitSettings.uniform(UNREACHED, storage_url=args.redis)}
    key = None
    for name, limits in variants.items():
        app = create_app(Settings(database_url=url, embedded_worker=False,
                                  log_level="WARNING", rate_limits=limits))
        key = key or create_api_key("admin", name="bench")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(200):  # warm up (and the key's principal cached)
            assert client.get("/api/v1/locations", headers=headers).status_code == 200
        rounds = []
        for _ in range(3):
            started = time.perf_counter()
            for _ in range(args.requests):
                client.get("/api/v1/locations", headers=headers)
            rounds.append((time.perf_counter() - started) / args.requests * 1e6)
        print(f"{name:7s} {statistics.median(rounds):7.1f} us/request  "
              f"(rounds {', '.join(f'{r:.1f}' for r in rounds)})")


if __name__ == "__main__":
    main()
