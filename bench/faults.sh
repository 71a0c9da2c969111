#!/bin/sh
# The load + faults run of issue 12 (bench/faults.py, docs/reliability.md): gunicorn,
# PostgreSQL, Redis, a Celery worker and beat of the run's own on 127.0.0.1, a bounded
# load of reps, managers and sync clients, and each fault once while it runs.
#   bench/faults.sh              100,000 accounts (the benchmark's size), 45 s per phase
#   bench/faults.sh --quick      200 accounts, 20 s per phase: that the command works
#   bench/faults.sh --no-write   print the table, leave docs/reliability.md alone
# Ports: --pg-port 5440, --redis-port 6390, --http-port 8470; --workdir (emptied first).
set -eu
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/faults.py "$@"
