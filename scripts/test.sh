#!/usr/bin/env bash
# The whole test suite: lint, import contract, type check, and pytest on SQLite and PostgreSQL with a real
# Redis. Starts (and stops) its own PostgreSQL and Redis unless OMS_TEST_DATABASE_URL and
# OMS_TEST_REDIS_URL are set. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
scripts/services.sh ensure

if [ -z "${OMS_TEST_DATABASE_URL:-}" ] || [ -z "${OMS_TEST_REDIS_URL:-}" ]; then
  svc_dir=$(mktemp -d /tmp/oms-test-services.XXXXXX)
  trap 'scripts/services.sh stop "$svc_dir"' EXIT
  eval "$(scripts/services.sh start "$svc_dir")"
  export OMS_TEST_REQUIRE_REPLICA=1   # started here with its streaming replica
fi
export OMS_TEST_REQUIRE_SERVICES=1

echo "== ruff"; .venv/bin/ruff check .
echo "== import contract"; .venv/bin/lint-imports
echo "== mypy"; .venv/bin/mypy
echo "== pytest (SQLite and PostgreSQL)"
.venv/bin/pytest "$@"
