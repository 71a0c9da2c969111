#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema with Schemathesis: no 5xx, every
# answer's status, headers and body as the schema says.
#
#   .ci/schemathesis.sh                 a fresh SQLite database in a temporary directory
#   FUZZ_DATABASE_URL=postgres://... .ci/schemathesis.sh
#                                       that database (it is migrated and seeded: give
#                                       an empty, throwaway one)
#
# Starts gunicorn on 127.0.0.1:$FUZZ_PORT (default: a free port) with demo data, signs in as
# rep1 for a token, runs `schemathesis run` twice (config: .ci/schemathesis.toml: every
# check, every phase) — the examples, coverage and fuzzing phases, then the stateful one
# alone — and stops the server by its pid. Bounded twice: FUZZ_MAX_TIME seconds (default
# 480) and FUZZ_STATEFUL_TIME (default 240; 0: no stateful run) are Schemathesis' own
# budgets for the two runs — it stops generating when one is spent and still writes its
# reports (fuzzing and stateful repeat while time is left, so each run takes about that
# long); FUZZ_TIMEOUT (default 900) is a net that kills a run, report lost, should it
# hang. FUZZ_MAX_EXAMPLES (default 30) per operation and cycle.
# FUZZ_JUNIT_XML=<file>: also write JUnit XML reports, one test case per API operation:
# <file> and, for the stateful run, <file without .xml>-stateful.xml (.ci/run sums every
# report up with the pytest runs').
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."

PY=.venv/bin/python
# A free port unless one is given: another server on the machine must never be the target.
PORT="${FUZZ_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
BASE="http://127.0.0.1:$PORT"
WORKDIR="$(mktemp -d)"
PIDFILE="$WORKDIR/gunicorn.pid"

stop() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -rf "$WORKDIR"
}
trap stop EXIT

# The server's environment: development settings, inline tasks, no throttling or sign-in
# lockout in the way (the fuzzer's wrong passwords would lock its address out).
export DATABASE_URL="${FUZZ_DATABASE_URL:-sqlite:///$WORKDIR/fuzz.sqlite3}"
# LOG_LEVEL=ERROR: the thousands of 400s and 404s the fuzzer is meant to get are no news
# (Django logs them as warnings); a 500 is still logged.
export DEBUG=1 CONN_MAX_AGE=0 LOG_LEVEL=ERROR
export API_THROTTLE_RATE=1000000/min API_ANON_THROTTLE_RATE=1000000/min
export LOGIN_FAILURE_LIMIT=1000000 LOGIN_FAILURE_LIMIT_PER_ADDRESS=1000000
unset REDIS_URL

$PY manage.py migrate --noinput >/dev/null
$PY manage.py seed_demo --accounts 20 --contacts 80 --visits 60 >/dev/null

# No request-line limit: the fuzzer sends query strings longer than gunicorn's default
# 4094 bytes, and the answer must come from the API (400 for the bad values), not a 414
# from the server in front of it. Production keeps gunicorn's limit (README).
.venv/bin/gunicorn keyaccounts.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 \
    --limit-request-line 0 \
    --pid "$PIDFILE" --log-level warning --error-logfile "$WORKDIR/gunicorn.log" &
server_up() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && curl -fsS "$BASE/healthz/" >/dev/null 2>&1; }
for _ in $(seq 60); do server_up && break; sleep 0.5; done
server_up || { cat "$WORKDIR/gunicorn.log"; echo "the API server did not start"; exit 1; }

TOKEN="$(curl -fsS -X POST "$BASE/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d '{"username": "rep1", "password": "demo12345"}' | $PY -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

# The report .ci/run counts: its console summary ends in a pytest-like "== 2 warnings in
# 198s ==" line with no pass or fail count in it, which the landing would read as the
# closing line of a test runner that ran no test; it is printed as "Schemathesis: 2
# warnings in 198s" instead (the report has the counts).
report=() stateful_report=()
if [ -n "${FUZZ_JUNIT_XML:-}" ]; then
    report=(--report-junit-path "$FUZZ_JUNIT_XML")
    stateful_report=(--report-junit-path "${FUZZ_JUNIT_XML%.xml}-stateful.xml")
fi

unframe_closing_line() { sed -u -E 's/^=+ (.* in [0-9.]+s) =+$/Schemathesis: \1/'; }

# One worker: Schemathesis' workers are threads, and on CPython 3.11.7 two threads that
# ast.parse at once (Hypothesis does, to describe its filters) share the AST module's
# recursion counter and fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905), a crash of the fuzzer, not of the API.
#
# Two runs: the examples, coverage and fuzzing phases, then the stateful phase alone with
# a budget of its own (FUZZ_STATEFUL_TIME). In one run `--max-time` is the whole run's:
# fuzzing repeats until it is spent, and the stateful phase — sequences along the
# schema's links: a record created, then read, changed, deleted by its id and by its
# external id with the create's ETag — got the last seconds of it.
timeout "${FUZZ_TIMEOUT:-900}" .venv/bin/schemathesis --config-file .ci/schemathesis.toml \
    run "$BASE/api/v1/schema/" \
    -H "Authorization: Token $TOKEN" \
    --phases examples,coverage,fuzzing \
    --max-examples "${FUZZ_MAX_EXAMPLES:-30}" --max-time "${FUZZ_MAX_TIME:-480}" \
    --seed 1 --workers 1 \
    --report-dir "$WORKDIR/report" "${report[@]}" 2>&1 | unframe_closing_line &&
    status=0 || status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ] && [ "${FUZZ_STATEFUL_TIME:-240}" -gt 0 ]; then
    timeout "${FUZZ_TIMEOUT:-900}" .venv/bin/schemathesis --config-file .ci/schemathesis.toml \
        run "$BASE/api/v1/schema/" \
        -H "Authorization: Token $TOKEN" \
        --phases stateful \
        --max-examples "${FUZZ_MAX_EXAMPLES:-30}" --max-time "${FUZZ_STATEFUL_TIME:-240}" \
        --seed 1 --workers 1 \
        --report-dir "$WORKDIR/report-stateful" "${stateful_report[@]}" 2>&1 |
        unframe_closing_line && status=0 || status=${PIPESTATUS[0]}
fi
if [ "$status" -ne 0 ]; then
    echo "--- gunicorn log ---"
    tail -n 100 "$WORKDIR/gunicorn.log" || true
    [ "$status" -eq 124 ] && echo "Schemathesis did not finish within ${FUZZ_TIMEOUT:-900} s"
fi
exit "$status"
