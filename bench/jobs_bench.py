"""Benchmark of asynchronous bulk jobs on PostgreSQL: 20,000 accounts as JSON lines.

    .venv/bin/python bench/jobs_bench.py                  # 20,000 accounts
    .venv/bin/python bench/jobs_bench.py --rows 2000      # a quicker check
    .venv/bin/python bench/jobs_bench.py --rows 1000 --profile   # cProfile the first job
    .venv/bin/python bench/jobs_bench.py --rows 1000 --per-item  # without the set-based path

Drops and creates the throwaway database `keyaccounts_jobs_bench` (BENCH_DATABASE names
another; never one of development or CI), migrates, and creates a rep. Then, as that
rep, POSTs `--rows` accounts as one JSON-lines body to `/api/v1/jobs/?type=accounts`
(the test client, in this process; DEBUG off, bench/settings.py) three times:

  created:   every line a new account;
  unchanged: the same body again (every item equal to its record: nothing written);
  updated:   every line with another region (every item an update).

Each job is timed from the POST to its end, run in this process as a worker of the
`jobs` queue would (below).
Each line of the output is one job: its counts, seconds and records per second (the
issue's target: 2,000 per second).
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.import_bench import recreate_database  # noqa: E402
from bench.scoring_bench import pg  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "keyaccounts_jobs_bench")
TARGET_PER_SECOND = 2000
REGIONS = ["East China", "华南", "North China", "西南", "Central China"]
INDUSTRIES = ["manufacturing", "finance", "technology", "energy", "logistics"]


# With Redis (the default: db 10, emptied before and after, no worker consumes it) the
# job's run and what it hands on go to queues; the bench then runs the job in this
# process, as a worker of the `jobs` queue would, and times POST plus run. The work each
# item hands on (rescoring its account, webhook deliveries) stays queued, as it would
# for other workers in production. BENCH_REDIS_URL="" runs all of it inline instead.
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")


def flush_redis() -> None:
    if REDIS:
        import redis

        redis.Redis.from_url(REDIS).flushdb()


def environment() -> dict:
    conn = pg()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    if REDIS:
        env["REDIS_URL"] = REDIS
    env["DATABASE_URL"] = f"postgres://{conn['user']}@{conn['host']}:{conn['port']}/{DATABASE}"
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def body(rows: int, *, region_offset: int = 0) -> bytes:
    """`rows` accounts, one JSON object per line, with distinct names."""
    lines = []
    for number in range(rows):
        lines.append(
            json.dumps(
                {
                    "external_id": f"ERP-{number:07d}",
                    "name": f"Bench Customer {number:07d} Ltd",
                    "industry": INDUSTRIES[number % len(INDUSTRIES)],
                    "region": REGIONS[(number + region_offset) % len(REGIONS)],
                    "employees": 50 + number % 5000,
                },
                ensure_ascii=False,
            )
        )
    return ("\n".join(lines) + "\n").encode()


def post_job(client, payload: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/jobs/?type=accounts", payload, content_type="application/x-ndjson"
    )
    seconds = time.perf_counter() - started
    if response.status_code != 202:
        sys.exit(f"POST /api/v1/jobs/ answered {response.status_code}: {response.content[:500]}")
    if REDIS:
        from keyaccounts.integrations.jobs.services import bulk_job_run

        started = time.perf_counter()
        bulk_job_run(job_id=response.json()["id"])  # as the `jobs` worker would
        seconds += time.perf_counter() - started
    job = client.get(response["Location"]).json()
    return seconds, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="Accounts per job.")
    parser.add_argument("--profile", action="store_true", help="cProfile the first job.")
    parser.add_argument(
        "--per-item",
        action="store_true",
        help="Write every item alone (BULK_JOBS_SET_BASED off): the path before the "
        "set-based one, for comparison.",
    )
    options = parser.parse_args()
    env = environment()
    recreate_database(env, DATABASE)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("REDIS_URL", None)
    if REDIS:
        os.environ["REDIS_URL"] = REDIS
    flush_redis()
    import django

    django.setup()
    from django.conf import settings
    from rest_framework.test import APIClient

    settings.BULK_JOBS_SET_BASED = not options.per_item

    from accounts.models import SalesTeam, User

    manager = User.objects.create_user("bench_manager", "bench_manager@example.com")
    team = SalesTeam.objects.create(name="Bench team", manager=manager)
    rep = User.objects.create_user("bench_rep", "bench_rep@example.com", sales_team=team)
    client = APIClient()
    client.force_authenticate(rep)
    path = "item by item" if options.per_item else "set-based where it may"
    print(f"{options.rows:,} accounts per job ({path}), PostgreSQL database {DATABASE}", flush=True)
    runs = [
        ("created", body(options.rows)),
        ("unchanged", body(options.rows)),
        ("updated", body(options.rows, region_offset=1)),
    ]
    print(
        "| job | created | updated | unchanged | failed | seconds | records/s | "
        f"target {TARGET_PER_SECOND:,}/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for number, (name, payload) in enumerate(runs):
        if options.profile and number == 0:
            profiler = cProfile.Profile()
            profiler.enable()
            seconds, job = post_job(client, payload)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        else:
            seconds, job = post_job(client, payload)
        rate = job["processed"] / seconds
        met = (
            "met"
            if rate >= TARGET_PER_SECOND
            else f"**no** ({TARGET_PER_SECOND / rate:.0f}× short)"
        )
        print(
            f"| {name} | {job['created']} | {job['updated']} | {job['unchanged']} | "
            f"{job['failed']} | {seconds:.1f} | {rate:,.0f} | {met} |",
            flush=True,
        )
        if job["status"] != "done":
            sys.exit(f"the job ended {job['status']}: {job['message']}")
    flush_redis()


if __name__ == "__main__":
    main()
