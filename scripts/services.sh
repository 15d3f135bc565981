#!/usr/bin/env bash
# Start a throwaway PostgreSQL and Redis for the tests; print the env lines to use them.
# Usage: eval "$(scripts/services.sh start DIR)"; scripts/services.sh stop DIR
#        scripts/services.sh ensure   (only install what the tests need: PostgreSQL, Redis, Chromium)
set -euo pipefail
action="$1"; dir="${2:-}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  # redis-server also runs the Sentinels of tests/e2e/test_redis_sentinel.py (`redis-server
  # sentinel.conf --sentinel`): Debian's redis-sentinel package is not needed.
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # PgBouncer in transaction mode in front of the test PostgreSQL (tests/e2e/test_pgbouncer.py).
  [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
  # Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # haproxy in front of the web servers of the local cluster (scripts/cluster.py, make cluster).
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
}

case "$action" in
  ensure)
    ensure_packages
    ;;
  start)
    ensure_packages
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    mkdir -p "$dir"
    chmod 755 "$dir"
    pgdata="$dir/pg"; mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
    pgport=$(free_port); redisport=$(free_port)
    as_postgres "$pgbin/initdb" -D "$pgdata" -U oms --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
    as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
      -o "-p $pgport -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >&2
    as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U oms oms_test >&2
    # A streaming read replica of it (the tests of stale-tolerant reads pause its replay).
    # A hot standby needs max_connections at least the primary's.
    replport=$(free_port)
    mkdir -p "$dir/replica"; chmod 700 "$dir/replica"
    [ "$(id -u)" = 0 ] && chown postgres "$dir/replica"
    as_postgres "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$pgport" -U oms -D "$dir/replica" \
      -R -X stream -c fast >&2
    as_postgres "$pgbin/pg_ctl" -D "$dir/replica" -l "$dir/replica/server.log" -w \
      -o "-p $replport -k $dir/replica -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" \
      start >&2
    redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
    for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
    # PgBouncer in transaction pooling mode in front of the primary (auth trust: a throwaway
    # server on loopback). Started in the background with -d; it listens at once.
    bouncerport=$(free_port)
    pgbouncer_bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    bouncer="$dir/pgbouncer"; mkdir -p "$bouncer"   # its log and pid, written as postgres
    cat > "$bouncer/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$pgport
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncerport
unix_socket_dir =
auth_type = trust
auth_file = $bouncer/users.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
logfile = $bouncer/pgbouncer.log
pidfile = $bouncer/pgbouncer.pid
INI
    echo '"oms" ""' > "$bouncer/users.txt"
    [ "$(id -u)" = 0 ] && chown -R postgres "$bouncer"
    as_postgres "$pgbouncer_bin" -d "$bouncer/pgbouncer.ini" >&2
    echo "$pgbin" > "$dir/pgbin"
    echo "export OMS_TEST_DATABASE_URL=postgresql+psycopg://oms@127.0.0.1:$pgport/oms_test"
    echo "export OMS_TEST_REDIS_URL=redis://127.0.0.1:$redisport/0"
    echo "export OMS_TEST_REPLICA_URL=postgresql+psycopg://oms@127.0.0.1:$replport/oms_test"
    echo "export OMS_TEST_PGBOUNCER_URL=postgresql+psycopg://oms@127.0.0.1:$bouncerport/oms_test"
    ;;
  stop)
    if [ -f "$dir/pgbin" ]; then
      as_postgres "$(cat "$dir/pgbin")/pg_ctl" -D "$dir/replica" -m immediate stop >/dev/null 2>&1 || true
      as_postgres "$(cat "$dir/pgbin")/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/pgbouncer/pgbouncer.pid" ]; then
      kill "$(cat "$dir/pgbouncer/pgbouncer.pid")" 2>/dev/null || true
    fi
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    ;;
esac
