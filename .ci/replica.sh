#!/usr/bin/env bash
# The replica tests (pytest -m replica: keyaccounts/tests/test_replica.py) against a real
# PostgreSQL streaming replica, made here and removed at the end.
#
#   .ci/replica.sh [pytest arguments ...]     e.g. --junitxml=report.xml, -x, -k dashboard
#
# A primary and its standby of their own, beside the machine's PostgreSQL (whose
# pg_hba.conf allows no replication), as docs/scaling.md describes for production:
# `initdb` a primary, allow replication from 127.0.0.1, `pg_basebackup -R -X stream` a
# standby from it, start both. pytest creates its test database on the primary; it
# streams to the standby under the same name, which the `replica` connection reads.
# Run by .ci/run (before the PostgreSQL suite) and `make replica`; as root (PostgreSQL
# runs as the postgres user) or as postgres. Both servers are stopped and their folders
# removed on exit, however the run ends.
#
# REPLICA_PRIMARY_PORT (5434) and REPLICA_STANDBY_PORT (5435): both on 127.0.0.1, and
# refused if something answers there already. REDIS_URL: the settings require one with a
# replica (read-your-writes marks; the tests themselves keep their cache in memory);
# default redis://127.0.0.1:6379/15. PG_BIN: PostgreSQL's binaries (default: the newest
# /usr/lib/postgresql/*/bin).
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
PRIMARY_PORT="${REPLICA_PRIMARY_PORT:-5434}"
STANDBY_PORT="${REPLICA_STANDBY_PORT:-5435}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

fail() { printf '\nreplica: %s\n' "$*" >&2; exit 1; }
[ -x "$PG_BIN/pg_basebackup" ] || fail "no PostgreSQL binaries in '$PG_BIN' (set PG_BIN)"
[ -x .venv/bin/pytest ] || fail ".venv is missing: run make test (or make replica) first"

if [ "$(id -un)" = postgres ]; then
    as_postgres() { "$@"; }
else
    [ "$(id -u)" -eq 0 ] || fail "run as root or as postgres"
    as_postgres() { runuser -u postgres -- "$@"; }
fi
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PRIMARY_PORT" "$STANDBY_PORT"; do
    if port_taken "$port"; then
        fail "something answers on 127.0.0.1:$port already (another replica run?): set REPLICA_PRIMARY_PORT / REPLICA_STANDBY_PORT"
    fi
done

WORK="$(mktemp -d /tmp/keyaccounts-replica.XXXXXX)"
[ "$(id -un)" = postgres ] || chown postgres: "$WORK"
chmod 700 "$WORK"
cleanup() {
    local status=$? node
    trap - EXIT
    set +e
    for node in standby primary; do
        if [ -f "$WORK/$node/postmaster.pid" ]; then
            as_postgres "$PG_BIN/pg_ctl" -D "$WORK/$node" -m fast -w -t 30 stop >/dev/null \
                || as_postgres "$PG_BIN/pg_ctl" -D "$WORK/$node" -m immediate stop >/dev/null
        fi
    done
    if [ "$status" -ne 0 ]; then
        for node in primary standby; do
            [ -f "$WORK/$node.log" ] && { echo "--- $node.log (last lines) ---"; tail -n 20 "$WORK/$node.log"; }
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

# start <node> <port>: the server in $WORK/<node>, on 127.0.0.1 only, socket in $WORK.
start() {
    as_postgres "$PG_BIN/pg_ctl" -D "$WORK/$1" -l "$WORK/$1.log" -w -t 60 \
        -o "-p $2 -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
}

echo "replica: primary on 127.0.0.1:$PRIMARY_PORT, standby on 127.0.0.1:$STANDBY_PORT ($WORK)"
as_postgres "$PG_BIN/initdb" -D "$WORK/primary" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
echo "host replication all 127.0.0.1/32 trust" >>"$WORK/primary/pg_hba.conf"
start primary "$PRIMARY_PORT"
as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$WORK/standby" -R -X stream
start standby "$STANDBY_PORT"

in_recovery=""
for _ in $(seq 60); do
    in_recovery="$(psql -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -tAc 'SELECT pg_is_in_recovery()' 2>/dev/null || true)"
    [ "$in_recovery" = t ] && break
    sleep 1
done
[ "$in_recovery" = t ] || fail "the standby on $STANDBY_PORT did not come up in recovery"
streaming="$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -tAc 'SELECT count(*) FROM pg_stat_replication')"
echo "replica: standby in recovery, $streaming streaming connection(s) on the primary"

# CI=true: a replica test that found no replica fails instead of skipping.
CI=true \
    DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/keyaccounts" \
    DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$STANDBY_PORT/keyaccounts" \
    REDIS_URL="$REDIS_URL" \
    .venv/bin/pytest -m replica "$@"
