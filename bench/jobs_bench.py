"""Benchmark of asynchronous bulk jobs on PostgreSQL: 20,000 accounts as JSON lines.

    .venv/bin/python bench/jobs_bench.py                  # 20,000 accounts
    .venv/bin/python bench/jobs_bench.py --type contacts  # 20,000 contacts (2,000 accounts)
    .venv/bin/python bench/jobs_bench.py --type visits    # 20,000 visits (2,000 accounts)
    .venv/bin/python bench/jobs_bench.py --type opportunities   # 20,000 deals
    .venv/bin/python bench/jobs_bench.py --rows 2000      # a quicker check
    .venv/bin/python bench/jobs_bench.py --rows 1000 --profile   # cProfile the first job
    .venv/bin/python bench/jobs_bench.py --rows 1000 --per-item  # without the set-based path
    .venv/bin/python bench/jobs_bench.py --phases      # where each job's seconds go
    .venv/bin/python bench/jobs_bench.py --repeat 5    # min/median/max of five of each

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
issue's target: 2,000 per second). With `--repeat N` the three jobs run N times, each
time with accounts of their own (the table grows by `--rows` each time), and a last
table gives each job's min, median and max.
"""

import argparse
import cProfile
import datetime
import json
import os
import pstats
import statistics
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
TITLES = ["总经理", "Chief engineer", "采购经理", "IT director", "设备科长"]
ROLES = ["decider", "evaluator", "user", "purchaser", "other"]
PER_ACCOUNT = 10  # contacts, visits or deals per account loaded first
METHODS = ["in_person", "phone", "presentation"]
PURPOSES = ["介绍方案", "Technical exchange", "报价", "Contract review", "回访"]


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


def json_lines(items: list[dict]) -> bytes:
    """The items as a JSON-lines body, one object per line."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode()


def contacts_body(rows: int, accounts: list[int], *, offset: int = 0, batch: int = 0) -> bytes:
    """`rows` contacts, one JSON object per line, spread over `accounts` (ids), each with
    a phone number and email address of its own (no likely duplicates); `offset`
    n: another title for each (every item an update)."""
    lines = []
    for number in range(rows):
        lines.append(
            {
                "external_id": f"C-{batch}-{number:07d}",
                "account": accounts[number % len(accounts)],
                "name": f"联系人 {batch}-{number:07d}",
                "title": TITLES[(number + offset) % len(TITLES)],
                "buying_role": ROLES[number % len(ROLES)],
                "phone": f"139{batch:02d}{number:06d}",
                "email": f"c{batch}-{number}@example.com",
            }
        )
    return json_lines(lines)


def visits_body(rows: int, accounts: list[int], *, offset: int = 0, batch: int = 0) -> bytes:
    """`rows` recorded visits, one JSON object per line, spread over `accounts` (ids),
    each at a time of its own in the past year; `offset` n: another purpose for
    each (every item an update)."""
    start = datetime.datetime(2025, 12, 1, 8, tzinfo=datetime.UTC)
    lines = []
    for number in range(rows):
        lines.append(
            {
                "external_id": f"V-{batch}-{number:07d}",
                "account": accounts[number % len(accounts)],
                "status": "done",
                "occurred_at": (start + datetime.timedelta(minutes=number)).isoformat(),
                "method": METHODS[number % len(METHODS)],
                "purpose": PURPOSES[(number + offset) % len(PURPOSES)],
                "customer_attitude": "supporter",
            }
        )
    return json_lines(lines)


def deals_body(rows: int, accounts: list[int], *, offset: int = 0, batch: int = 0) -> bytes:
    """`rows` deals, one JSON object per line, spread over `accounts` (ids), in the
    first stage (none given); `offset` n: another amount for each (every item an
    update)."""
    lines = []
    for number in range(rows):
        lines.append(
            {
                "external_id": f"D-{batch}-{number:07d}",
                "account": accounts[number % len(accounts)],
                "name": f"项目 {batch}-{number:07d}",
                "amount": f"{100000 + 1000 * ((number + offset) % 50)}.00",
                "expected_close_date": "2027-06-30",
            }
        )
    return json_lines(lines)


def body(rows: int, accounts=(), *, offset: int = 0, batch: int = 0) -> bytes:
    """`rows` accounts, one JSON object per line, with distinct names; `batch` n: other
    accounts than batch 0's (a repetition's own)."""
    lines = []
    for number in range(rows):
        lines.append(
            {
                "external_id": f"ERP-{batch}-{number:07d}",
                "name": f"Bench Customer {batch}-{number:07d} Ltd",
                "industry": INDUSTRIES[number % len(INDUSTRIES)],
                "region": REGIONS[(number + offset) % len(REGIONS)],
                "employees": 50 + number % 5000,
            }
        )
    return json_lines(lines)


# What each record type's jobs post: `make(rows, accounts, offset=0, batch=0)`, offset 1
# changing one field of every item.
BODIES = {
    "accounts": body,
    "contacts": contacts_body,
    "visits": visits_body,
    "opportunities": deals_body,
}


# --phases: the functions a set-based chunk goes through, timed (wall clock, nested ones
# inside their callers' time) by wrapping them where they are looked up.
PHASES = [
    ("keyaccounts.integrations.jobs.services", "bulk_job_create", "the POST's job and chunks"),
    ("keyaccounts.integrations.jobs.services", "write_chunk", "chunks written (all of it)"),
    ("keyaccounts.api.setbased", "write_set_based", "  set-based (all of it)"),
    ("keyaccounts.api.setbased", "_rows", "serializer fields"),
    ("accounts.imports", "AccountKind.prepare", "import: prepare (reads)"),
    ("accounts.imports", "AccountKind.gather", "import: gather"),
    ("accounts.imports", "AccountKind.check_row", "import: check rows"),
    ("keyaccounts.api.setbased", "_prepare", "contacts: their accounts read"),
    ("accounts.imports", "ContactKind.gather", "contacts: gather (reads)"),
    ("keyaccounts.imports.lookups", "Records.prefetch", "  records named (reads)"),
    ("keyaccounts.imports.lookups", "Records.prefetch_alike", "  alike keys (reads)"),
    ("accounts.imports", "ContactKind.check_row", "contacts: check rows"),
    ("visits.imports", "VisitKind.gather", "visits: gather (reads)"),
    ("opportunities.imports", "OpportunityKind.gather", "deals: gather (reads)"),
    ("opportunities.imports", "OpportunityKind.check_row", "deals: check rows"),
    ("visits.imports", "VisitKind.check_row", "visits: check rows"),
    ("keyaccounts.imports.writing", "check_fresh", "freshness check"),
    ("keyaccounts.imports.writing", "check_visible", "visibility check"),
    ("keyaccounts.imports.writing", "write", "write (all of it)"),
    ("keyaccounts.imports.writing", "_insert", "  new rows (COPY)"),
    ("keyaccounts.imports.writing", "_update", "  changed rows (UPDATE)"),
    ("keyaccounts.imports.writing", "_history", "  history rows"),
    ("accounts.access", "access_refresh_for_accounts", "  access table"),
    ("keyaccounts.imports.writing", "_write_parts", "  parts"),
    ("keyaccounts.imports.writing", "_touch_accounts", "  accounts touched"),
    ("keyaccounts.imports.writing", "records_changed", "  changes feed, webhooks"),
    ("keyaccounts.imports.writing", "records_imported.send", "  imported signal (rescoring)"),
    ("keyaccounts.integrations.jobs.services", "_chunk_done", "chunk's results stored"),
    ("django.db.backends.base.base", "BaseDatabaseWrapper.commit", "commits"),
]


def time_phases() -> dict[str, float]:
    import functools
    import importlib

    spent: dict[str, float] = {}

    def timed(label, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        return wrapper

    for module_name, path, label in PHASES:
        owner = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        if not hasattr(owner, name):
            continue  # renamed: left out of the table
        if owner.__class__ is type:
            setattr(owner, name, timed(label, owner.__dict__[name]))
        else:
            setattr(owner, name, timed(label, getattr(owner, name)))
    return spent


def post_job(client, payload: bytes, record_type: str = "accounts") -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/jobs/?type={record_type}", payload, content_type="application/x-ndjson"
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


def load_accounts(client, count: int, batch: int) -> list[int]:
    """`count` new accounts of the rep (batch `batch`'s), loaded by a job, untimed: the
    accounts a contacts' job names, by id."""
    from accounts.models import Account

    _seconds, job = post_job(client, body(count, batch=batch))
    if job["status"] != "done" or job["created"] != count:
        sys.exit(f"loading {count} accounts ended {job['status']}: {job['message']}")
    prefix = f"ERP-{batch}-"
    return list(
        Account.objects.filter(external_id__startswith=prefix)
        .order_by("external_id")
        .values_list("pk", flat=True)
    )


def verdict(rate: float) -> str:
    if rate >= TARGET_PER_SECOND:
        return "met"
    return f"**no** ({1 - rate / TARGET_PER_SECOND:.0%} short)"


def run_job(options, client, name: str, payload: bytes, spent, *, profile: bool) -> float:
    """Post one job, print its line (and its phases); returns its records per second."""
    if options.analyze:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        seconds, job = post_job(client, payload, options.type)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime"))
        stats.print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "30")))
    else:
        if spent is not None:
            spent.clear()
        seconds, job = post_job(client, payload, options.type)
    rate = job["processed"] / seconds
    print(
        f"| {name} | {job['created']} | {job['updated']} | {job['unchanged']} | "
        f"{job['failed']} | {seconds:.1f} | {rate:,.0f} | {verdict(rate)} |",
        flush=True,
    )
    if spent:
        phases = "; ".join(
            f"{label.strip()} {spent[label]:.2f} s" for _m, _p, label in PHASES if label in spent
        )
        print(f"  {phases}")
    if job["status"] != "done":
        sys.exit(f"the job ended {job['status']}: {job['message']}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="Records per job.")
    parser.add_argument(
        "--type",
        choices=["accounts", "contacts", "visits", "opportunities"],
        default="accounts",
        help="What the jobs load. contacts, visits, opportunities: each repetition first "
        "loads (untimed) one account for every 10 of them, then times their jobs (new, the "
        "same again, each changed: a contact's title, a visit's purpose, a deal's amount).",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one job.")
    parser.add_argument(
        "--profile-job",
        choices=["created", "unchanged", "updated"],
        default="created",
        help="The job --profile profiles (of the first repetition).",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="Run the three jobs this many times, each time with accounts of its own, and "
        "end with each job's min/median/max (this machine's speed varies by a quarter "
        "from one minute to the next).",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE the database before each job (what autovacuum does within a minute "
        "of a load), so that no job plans against the statistics of an empty database.",
    )
    parser.add_argument(
        "--phases", action="store_true", help="Seconds of each job in each step of a chunk."
    )
    parser.add_argument(
        "--per-item",
        action="store_true",
        help="Write every item alone (BULK_SET_BASED off): the path before the "
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

    settings.BULK_SET_BASED = not options.per_item
    spent = time_phases() if options.phases else None

    from accounts.models import SalesTeam, User

    manager = User.objects.create_user("bench_manager", "bench_manager@example.com")
    team = SalesTeam.objects.create(name="Bench team", manager=manager)
    rep = User.objects.create_user("bench_rep", "bench_rep@example.com", sales_team=team)
    client = APIClient()
    client.force_authenticate(rep)
    path = "item by item" if options.per_item else "set-based where it may"
    print(
        f"{options.rows:,} {options.type} per job ({path}), PostgreSQL database {DATABASE}",
        flush=True,
    )
    print(
        "| job | created | updated | unchanged | failed | seconds | records/s | "
        f"target {TARGET_PER_SECOND:,}/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    rates: dict[str, list[float]] = {}
    for batch in range(options.repeat):
        make, accounts = BODIES[options.type], ()
        if options.type != "accounts":
            accounts = load_accounts(client, max(options.rows // PER_ACCOUNT, 1), batch)
        runs = [
            ("created", make(options.rows, accounts, batch=batch)),
            ("unchanged", make(options.rows, accounts, batch=batch)),
            ("updated", make(options.rows, accounts, offset=1, batch=batch)),
        ]
        for name, payload in runs:
            rate = run_job(
                options,
                client,
                name,
                payload,
                spent,
                profile=options.profile and name == options.profile_job and batch == 0,
            )
            rates.setdefault(name, []).append(rate)
    if options.repeat > 1:
        print(f"\n{options.repeat} runs of each job (a repetition loads accounts of its own):")
        print(f"| job | min records/s | median | max | target {TARGET_PER_SECOND:,}/s (median) |")
        print("|---|---:|---:|---:|---|")
        for name, values in rates.items():
            median = statistics.median(values)
            print(
                f"| {name} | {min(values):,.0f} | {median:,.0f} | {max(values):,.0f} | "
                f"{verdict(median)} |"
            )
    flush_redis()


if __name__ == "__main__":
    main()
