"""Schemathesis against a running OMS (the soak runs it through the cluster's load balancer
while the load runs): `python bench/soak/fuzz.py BASE_URL KEY [--examples N] [--out FILE]`.

Generated requests (valid by the OpenAPI document, then invalid ones) for every operation,
`--examples` of each per operation, with an admin key; counts the answers by status and
writes `{"cases", "statuses", "five_xx": [{"operation", "status", "body"}]}` to `--out` (JSON).
Left out: the Shopify webhook (its requests are signed; the mix sends real ones) and the
subscription and delivery operations, which would delete or replay the soak's own subscriber
and so change what the soak checks. The conformance of answers to the document is
tests/e2e/test_openapi.py's job; here the question is only: does anything answer 5xx under
load and faults?"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

SKIPPED_PREFIXES = ("/webhooks/", "/api/v1/subscriptions", "/api/v1/deliveries")


def run(base_url: str, key: str, examples: int) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    statuses: Counter[int] = Counter()
    five_xx: list[dict[str, Any]] = []
    cases = [0]
    headers = {"Authorization": f"Bearer {key}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED_PREFIXES):
            continue
        _fuzz(operation, base_url, headers, examples, statuses, five_xx, cases)
    return {"cases": cases[0], "statuses": dict(sorted(statuses.items())), "five_xx": five_xx}


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], examples: int,
          statuses: Counter[int], five_xx: list[dict[str, Any]], cases: list[int]) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

        @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(mode), _=st.just(None))
        def one(case: Any, _: None) -> None:
            case.headers = {**(case.headers or {}), **headers}
            cases[0] += 1
            try:
                response = case.call(base_url=base_url, timeout=30)
            except Exception as exc:
                statuses[0] += 1
                five_xx.append({"operation": label, "status": 0, "body": repr(exc)[:300]})
                return
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                five_xx.append({"operation": label, "status": response.status_code,
                                "body": response.text[:300]})

        one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("key")
    parser.add_argument("--examples", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    result = run(args.base_url.rstrip("/"), args.key, args.examples)
    text = json.dumps(result)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    print(f"schemathesis: {result['cases']} cases, statuses {result['statuses']}, "
          f"{len(result['five_xx'])} 5xx", file=sys.stderr)


if __name__ == "__main__":
    main()
