#!/bin/sh
# The benchmark of issue 9 on PostgreSQL (bench/README.md): rescoring, then every page and
# API case over HTTP beside its hand-written SQL floor, written into docs/benchmarks.md.
#   bench/run.sh                  100,000 accounts (seeding takes a long while)
#   bench/run.sh --small          2,000 accounts: a quick check
#   bench/run.sh --reuse          measure the existing keyaccounts_bench again, no reseeding
#   bench/run.sh --only pages     pages and API only (--only scoring: rescoring only)
#   bench/run.sh --iterations 50  timed requests per case; --memory: 10,000 more, RSS
#   bench/run.sh --no-write       print only; --rounds 3, --no-explain: rescoring options
# Sizes: BENCH_ACCOUNTS, BENCH_CONTACTS, BENCH_VISITS, BENCH_OPPORTUNITIES, BENCH_REPS,
# BENCH_TEAMS, BENCH_SEED. PostgreSQL: BENCH_PG_HOST, BENCH_PG_PORT, BENCH_PG_USER;
# BENCH_DATABASE: another throwaway database than keyaccounts_bench.
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/run.py "$@"
