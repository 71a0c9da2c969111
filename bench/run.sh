#!/bin/sh
# Benchmark of rescoring and the score pages on PostgreSQL (bench/README.md).
#   bench/run.sh            100,000 accounts (seeding takes a long while)
#   bench/run.sh --small    2,000 accounts: a quick check
#   bench/run.sh --reuse    measure the existing keyaccounts_bench again, no reseeding
#   bench/run.sh --rounds 3 three rounds of full rescores; --no-explain: no EXPLAIN
# Sizes: BENCH_ACCOUNTS, BENCH_CONTACTS, BENCH_VISITS, BENCH_OPPORTUNITIES, BENCH_REPS,
# BENCH_TEAMS, BENCH_SEED. PostgreSQL: BENCH_PG_HOST, BENCH_PG_PORT, BENCH_PG_USER;
# BENCH_DATABASE: another throwaway database than keyaccounts_bench.
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/scoring_bench.py "$@"
