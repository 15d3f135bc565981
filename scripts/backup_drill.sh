#!/usr/bin/env bash
# A point-in-time recovery drill on a throwaway PostgreSQL (docs/deploy.md, "Backups"):
#   1. a primary archiving its WAL (archive_command), the OMS schema and the demo retailer;
#   2. a base backup (pg_basebackup), then more writes (a timeline note on every order) and a
#      moment T noted;
#   3. "the mistake" after T: every stock balance zeroed by hand, the WAL switched and archived;
#   4. the base backup restored into a new directory with recovery_target_time = T, promoted;
#   5. checks on the restored database: the stock as it was at T, and `flask inventory verify`
#      and `flask oms verify` clean.
# Usage: scripts/backup_drill.sh [DIR]   (default: a temporary directory, removed at the end)
# Exit 0 when the restored database is the one at T; prints the timings.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-$(mktemp -d /tmp/oms-backup-drill.XXXXXX)}"
keep="${1:+yes}"
mkdir -p "$root"; chmod 755 "$root"

./scripts/services.sh ensure
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mine() { [ "$(id -u)" = 0 ] && chown -R postgres "$@"; return 0; }
now() { date +%s.%N; }
took() { python3 -c "print(f'{$2 - $1:.1f} s')"; }

cleanup() {
  as_postgres "$pgbin/pg_ctl" -D "$root/restored" -m immediate stop >/dev/null 2>&1 || true
  as_postgres "$pgbin/pg_ctl" -D "$root/primary" -m immediate stop >/dev/null 2>&1 || true
  [ -n "$keep" ] || rm -rf "$root"
}
trap cleanup EXIT

port=$(free_port); restored_port=$(free_port)
mkdir -p "$root/primary" "$root/wal" "$root/base"; chmod 700 "$root/primary" "$root/base"; mine "$root"
as_postgres "$pgbin/initdb" -D "$root/primary" -U oms --auth=trust -E UTF8 >"$root/initdb.log"
as_postgres "$pgbin/pg_ctl" -D "$root/primary" -l "$root/primary.log" -w -o "-p $port \
  -k $root -c listen_addresses=127.0.0.1 -c wal_level=replica -c archive_mode=on \
  -c archive_command='test ! -f $root/wal/%f && cp %p $root/wal/%f' -c archive_timeout=60" \
  start >/dev/null
as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U oms oms

sql() { "$pgbin/psql" -h 127.0.0.1 -p "$1" -U oms -d oms -XAtqc "$2"; }
flask_on() { OMS_DATABASE_URL="postgresql://oms@127.0.0.1:$1/oms" .venv/bin/flask --app wsgi "${@:2}"; }

echo "== primary on port $port, WAL archived to $root/wal"
flask_on "$port" db upgrade >/dev/null 2>&1
flask_on "$port" oms demo >/dev/null 2>&1
echo "demo retailer loaded: $(sql "$port" 'SELECT count(*) FROM oms_orders') orders"

t0=$(now)
as_postgres "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$port" -U oms -D "$root/base" -X stream -c fast
t1=$(now)
echo "== base backup: $(du -sh "$root/base" | cut -f1) in $(took "$t0" "$t1")"

# Work after the backup that the restore must bring back from the archived WAL alone.
sql "$port" "INSERT INTO oms_timeline (order_id, customer_id, kind, message, actor, source, created_at)
  SELECT id, customer_id, 'note', 'written after the base backup', 'drill', 'drill', now()
  FROM oms_orders" >/dev/null
orders=$(sql "$port" 'SELECT count(*) FROM oms_orders')
notes=$(sql "$port" "SELECT count(*) FROM oms_timeline WHERE actor = 'drill'")
stock=$(sql "$port" 'SELECT sum(on_hand) FROM inv_balances')
timeline=$(sql "$port" 'SELECT count(*) FROM oms_timeline')
sleep 1
target=$(sql "$port" "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1
echo "== T = $target: $orders orders, $notes timeline notes written after the backup, $stock units on hand"

sql "$port" 'DELETE FROM oms_timeline' >/dev/null   # the mistake: a DELETE without its WHERE
segment=$(sql "$port" 'SELECT pg_walfile_name(pg_switch_wal())')   # the one holding the mistake
for _ in $(seq 300); do [ -f "$root/wal/$segment" ] && break; sleep 0.1; done
[ -f "$root/wal/$segment" ] || { echo "FAIL: WAL segment $segment never archived"; exit 1; }
echo "== the mistake after T: DELETE FROM oms_timeline ($timeline rows, $(sql "$port" 'SELECT count(*) FROM oms_timeline') left); WAL archived"
as_postgres "$pgbin/pg_ctl" -D "$root/primary" -m fast stop >/dev/null   # the primary is lost

t2=$(now)
cp -a "$root/base" "$root/restored"; mine "$root/restored"
cat >> "$root/restored/postgresql.auto.conf" <<CONF
restore_command = 'cp $root/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
archive_mode = off
CONF
touch "$root/restored/recovery.signal"; chmod 700 "$root/restored"; mine "$root/restored"
as_postgres "$pgbin/pg_ctl" -D "$root/restored" -l "$root/restored.log" -w -t 120 \
  -o "-p $restored_port -k $root -c listen_addresses=127.0.0.1" start >/dev/null
for _ in $(seq 300); do [ "$(sql "$restored_port" 'SELECT pg_is_in_recovery()')" = f ] && break; sleep 0.1; done
t3=$(now)
echo "== restored to T and promoted in $(took "$t2" "$t3") (port $restored_port)"

got_orders=$(sql "$restored_port" 'SELECT count(*) FROM oms_orders')
got_notes=$(sql "$restored_port" "SELECT count(*) FROM oms_timeline WHERE actor = 'drill'")
got_stock=$(sql "$restored_port" 'SELECT sum(on_hand) FROM inv_balances')
got_timeline=$(sql "$restored_port" 'SELECT count(*) FROM oms_timeline')
echo "restored: $got_orders orders, $got_timeline timeline rows ($got_notes of them after the backup), $got_stock units on hand"
status=0
[ "$got_orders" = "$orders" ] || { echo "FAIL: orders $got_orders, expected $orders"; status=1; }
[ "$got_notes" = "$notes" ] || { echo "FAIL: notes written after the backup $got_notes, expected $notes"; status=1; }
[ "$got_timeline" = "$timeline" ] || { echo "FAIL: timeline $got_timeline rows, expected $timeline (the mistake replayed?)"; status=1; }
[ "$got_stock" = "$stock" ] || { echo "FAIL: on hand $got_stock, expected $stock"; status=1; }
flask_on "$restored_port" inventory verify && flask_on "$restored_port" oms verify || status=1
[ $status = 0 ] && echo "PITR drill passed: the database at T, the mistake not replayed, ledger and orders verified"
exit $status
