"""Benchmark of rescoring and the pages that read scores, on PostgreSQL.

    .venv/bin/python bench/scoring_bench.py            # 100,000 accounts (takes a while)
    .venv/bin/python bench/scoring_bench.py --small    # 2,000 accounts: a quick check
    .venv/bin/python bench/scoring_bench.py --reuse    # measure again, no reseeding

Drops and creates the throwaway database `keyaccounts_bench` (psql as postgres on
127.0.0.1, trust auth), migrates, seeds it with `seed_demo` at the size asked for,
runs ANALYZE, then measures:

  (a) the full rescoring `rescore()` of every account, in rounds (--rounds, default 1)
      of four runs: from no scores at all (every account gets its first grade: one
      score row and one grade change each), twice with nothing changed, and once the
      next day (`today` one day on, as the nightly run meets it on a quiet day);
  (b) one account's rescore, `rescore([id])`, for 20 different accounts;
  (c) the managers' dashboard (URL name "scoring:dashboard") through django.test.Client,
      as `manager` and as `rep1`: one warm-up, then 10 timed requests, and the number of
      SQL queries of one request; skipped with a message when the URL does not exist;
  (d) the account list `/accounts/` as `manager` (and as `rep1`), the same way;
  (e) the reminder scan of every account (`reminders_scan()`, what beat runs every 15
      minutes): the first after the seed, which makes every reminder due, then twice
      with nothing new due; in one transaction rolled back at the end, so what follows
      sees the data as seeded;

and EXPLAIN (ANALYZE, BUFFERS) of the input query of one chunk of 2,000 accounts.
The pages are measured first, on the data exactly as seeded (with its grade history),
then (b), then (a), which replaces the scores and the grade history.

Sizes come from --small or the defaults below, each overridable by an environment
variable: BENCH_ACCOUNTS, BENCH_CONTACTS, BENCH_VISITS, BENCH_OPPORTUNITIES, BENCH_REPS,
BENCH_TEAMS, BENCH_SEED. BENCH_DATABASE names another throwaway database than
keyaccounts_bench (never one of development or CI). BENCH_PG_HOST / BENCH_PG_PORT /
BENCH_PG_USER say where PostgreSQL is. REDIS_URL is removed, so Celery tasks run
inline (there are none to run: the seed writes with bulk inserts, which send no signals;
the script checks that no rescore request was left behind).

Never touches any database but keyaccounts_bench (or the one BENCH_DATABASE names).
"""

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_DATABASE: another throwaway database, so that two checkouts can be measured side
# by side without dropping each other's data.
DATABASE = os.environ.get("BENCH_DATABASE", "keyaccounts_bench")
PROTECTED = {"keyaccounts", "test_keyaccounts", "keyaccounts_apifuzz", "postgres"}
LARGE = {
    "accounts": 100_000,
    "contacts": 500_000,
    "visits": 1_000_000,
    "opportunities": 200_000,
    "reps": 500,
    "teams": 50,
    "seed": 42,
}
SMALL = {
    "accounts": 2_000,
    "contacts": 10_000,
    "visits": 20_000,
    "opportunities": 4_000,
    "reps": 20,
    "teams": 3,
    "seed": 42,
}
SINGLE_RUNS = 20
PAGE_RUNS = 10
EXPLAIN_CHUNK = 2000
SLOW_FULL_RESCORE = 60.0  # seconds: above this, the report points at the EXPLAIN below


def pg() -> dict:
    return {
        "host": os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
        "port": os.environ.get("BENCH_PG_PORT", "5432"),
        "user": os.environ.get("BENCH_PG_USER", "postgres"),
    }


def psql(sql: str, database: str = "postgres") -> str:
    conn = pg()
    command = ["psql", "-h", conn["host"], "-p", conn["port"], "-U", conn["user"]]
    command += ["-d", database, "-v", "ON_ERROR_STOP=1", "-Atqc", sql]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


def sizes(small: bool) -> dict:
    base = SMALL if small else LARGE
    return {key: int(os.environ.get(f"BENCH_{key.upper()}", value)) for key, value in base.items()}


def environment() -> dict:
    conn = pg()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # Celery eager; no broker, no shared cache
    env["DATABASE_URL"] = f"postgres://{conn['user']}@{conn['host']}:{conn['port']}/{DATABASE}"
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def manage(env: dict, *args: str) -> float:
    """Run manage.py with `args`, its output passed through; returns the seconds taken."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --- the measurements (in-process, after django.setup()) ---------------------------------


def machine() -> dict:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0]
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "CPUs (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "RAM": memory,
        "PostgreSQL": version.split(" on ")[0],
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "OS": platform.platform(),
        "load average (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def row_counts() -> dict:
    from accounts.models import Account, Contact
    from opportunities.models import Opportunity
    from scoring.models import (
        AccountScore,
        Assessment,
        GradeChange,
        MonthlySales,
        RescoreRequest,
    )
    from visits.models import Visit

    models = [
        Account,
        Contact,
        Visit,
        Opportunity,
        Assessment,
        MonthlySales,
        AccountScore,
        GradeChange,
        RescoreRequest,
    ]
    return {model.__name__: model.objects.count() for model in models}


def analyze() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


SCORE_TABLES = ["scoring_accountscore", "scoring_gradechange"]


FIRST, SAME, NEXT_DAY = "from no scores", "nothing changed", "the next day"


def full_rescores(rounds: int) -> list[dict]:
    """Each round: a run from no scores (everything new), two with nothing changed, and
    one the next day (`today` one day on: what the nightly run meets on a quiet day).

    The seeded scores and grade history are set aside first and put back afterwards, so
    the database is as seeded again (and `--reuse` measures the same pages)."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from scoring.services import rescore

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        for name in SCORE_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS bench_saved_{name}")
            cursor.execute(f"CREATE TABLE bench_saved_{name} AS TABLE {name}")
    runs = []
    try:
        for round_ in range(rounds):
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(SCORE_TABLES)}")
                cursor.execute(f"ANALYZE {', '.join(SCORE_TABLES)}")
            for kind, options in [
                (FIRST, {}),
                (SAME, {}),
                (SAME, {}),
                (NEXT_DAY, {"today": tomorrow}),
            ]:
                started = time.perf_counter()
                result = rescore(**options)
                seconds = time.perf_counter() - started
                runs.append({"seconds": seconds, "kind": kind, **result})
                print(f"  round {round_ + 1}, {kind}: {seconds:.1f} s, {result}", flush=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(SCORE_TABLES)}")
            for name in SCORE_TABLES:
                cursor.execute(f"INSERT INTO {name} SELECT * FROM bench_saved_{name}")
                cursor.execute(f"DROP TABLE bench_saved_{name}")
            cursor.execute(f"VACUUM ANALYZE {', '.join(SCORE_TABLES)}")
    return runs


def single_rescores() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Account
    from scoring.services import rescore

    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    sample = random.Random(0).sample(ids, min(SINGLE_RUNS, len(ids)))
    times = []
    for account_id in sample:
        started = time.perf_counter()
        rescore([account_id])
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        rescore([sample[0]])
    return {"times": times, "queries": len(queries.captured_queries)}


def reminder_scans() -> list[dict]:
    """(e): each scan's seconds and how many reminders it made; rolled back."""
    from django.db import transaction

    from visits.reminders import reminders_scan

    class Undo(Exception):
        pass

    runs = []
    try:
        with transaction.atomic():
            for kind in ("first", "again", "again"):
                started = time.perf_counter()
                made = reminders_scan()
                runs.append({"kind": kind, "seconds": time.perf_counter() - started, "made": made})
            raise Undo
    except Undo:
        pass
    return runs


def page(path: str, username: str) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    try:
        warm = client.get(path)
    except Exception as error:  # noqa: BLE001 - a broken page is a result, not the end
        first_line = str(error).splitlines()[0] if str(error) else ""
        return {"error": f"{type(error).__name__}: {first_line}"}
    if warm.status_code != 200:
        return {"error": f"HTTP {warm.status_code}"}
    times = []
    for _ in range(PAGE_RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return {"times": times, "queries": len(queries.captured_queries), "bytes": len(warm.content)}


def dashboard_path() -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("scoring:dashboard")
    except NoReverseMatch:
        return None


def explain_inputs() -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of scoring.inputs' query for the first 2,000 accounts,
    the chunk as the full rescore reads it (a primary-key range)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Account
    from scoring.inputs import account_inputs
    from scoring.services import active_model, model_spec

    spec = model_spec(active_model())
    bounds = list(Account.objects.order_by("pk").values_list("pk", flat=True)[:EXPLAIN_CHUNK])
    if not bounds:
        return "(no accounts)"
    accounts = Account.objects.filter(pk__gte=bounds[0], pk__lte=bounds[-1])
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        list(account_inputs(accounts, spec.sources, timezone.localdate()))
        seconds = time.perf_counter() - started
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    return f"-- the query ({seconds:.2f} s from Python)\n{sql}\n\n-- its plan\n{plan}"


def table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def measure(args, size: dict, seed_seconds: float | None, migrate_seconds: float | None):
    import django

    django.setup()

    from django.conf import settings

    assert settings.DATABASES["default"]["NAME"] == DATABASE, settings.DATABASES["default"]
    assert not settings.DEBUG

    info = machine()
    print("\n## Machine\n")
    print(table([[key, value] for key, value in info.items()], ["", ""]))

    analyze_seconds = analyze()
    counts = row_counts()
    print("\n## Data\n")
    print(table([[name, f"{n:,}"] for name, n in counts.items()], ["table", "rows"]))
    if counts["RescoreRequest"]:
        print(
            f"\nWARNING: {counts['RescoreRequest']} rescore requests are waiting: something"
            " in the seed wrote row by row (signals). The numbers below include no such work."
        )

    results = []  # [measure, runs, each, median, queries, notes]

    print("\n(c) and (d): pages, on the data as seeded", flush=True)
    dashboard = dashboard_path()
    pages = []
    if dashboard is None:
        print(
            "  (c) SKIPPED: reverse('scoring:dashboard') does not resolve; the dashboard"
            " page does not exist yet in this checkout."
        )
        results.append(["(c) dashboard", "–", "–", "–", "–", "skipped: no URL 'scoring:dashboard'"])
    else:
        pages += [("(c) dashboard", dashboard, "manager"), ("(c) dashboard", dashboard, "rep1")]
    pages += [
        ("(d) account list", "/accounts/", "manager"),
        ("(d) account list", "/accounts/", "rep1"),
    ]
    for label, path, username in pages:
        result = page(path, username)
        if "error" in result:
            print(f"  {label} {path} as {username}: {result['error']}")
            results.append([f"{label} as {username}", "–", "–", "–", "–", result["error"]])
            continue
        times = result["times"]
        print(
            f"  {label} {path} as {username}: median {ms(median(times))} ms,"
            f" {result['queries']} queries",
            flush=True,
        )
        results.append(
            [
                f"{label} `{path}` as {username}",
                str(len(times)),
                ", ".join(ms(t) for t in times) + " ms",
                f"**{ms(median(times))} ms**",
                str(result["queries"]),
                f"after 1 warm-up; {result['bytes'] / 1024:.0f} KiB of HTML",
            ]
        )

    print("\n(e) the reminder scan", flush=True)
    scans = reminder_scans()
    for kind, note in [
        ("first", "the first after the seed: every reminder due is made"),
        ("again", "nothing new is due: what most of beat's runs cost"),
    ]:
        these = [run for run in scans if run["kind"] == kind]
        print(f"  {kind}: " + ", ".join(f"{run['seconds']:.2f} s" for run in these), flush=True)
        results.append(
            [
                f"(e) `reminders_scan()` of every account, {kind}",
                str(len(these)),
                ", ".join(f"{run['seconds']:.2f}" for run in these) + " s",
                f"**{median([run['seconds'] for run in these]):.2f} s**",
                "–",
                f"{note}: {these[-1]['made']:,} made",
            ]
        )

    print("\n(b) one account's rescore", flush=True)
    single = single_rescores()
    times = single["times"]
    print(f"  median {ms(median(times))} ms, {single['queries']} queries", flush=True)
    results.insert(
        0,
        [
            "(b) `rescore([id])`, 20 different accounts",
            str(len(times)),
            f"min {ms(min(times))}, max {ms(max(times))} ms",
            f"**{ms(median(times))} ms**",
            str(single["queries"]),
            "nothing changed (the account is already graded)",
        ],
    )

    plan = None
    if not args.no_explain:
        print("\nEXPLAIN ANALYZE of the input query (2,000 accounts)", flush=True)
        plan = explain_inputs()

    print("\n(a) full rescoring", flush=True)
    runs = full_rescores(args.rounds)
    notes = {
        FIRST: "every account gets its first score row and grade change",
        SAME: "nothing changed since the run before",
        NEXT_DAY: "`rescore(today=tomorrow)`: only what the calendar moved changes",
    }
    for position, kind in enumerate([FIRST, SAME, NEXT_DAY]):
        these = [run for run in runs if run["kind"] == kind]
        last = these[-1]
        written = f"{last['written']:,} written, " if "written" in last else ""
        results.insert(
            position,
            [
                f"(a) `rescore()` of every account, {kind}",
                str(len(these)),
                ", ".join(f"{run['seconds']:.1f}" for run in these) + " s",
                f"**{median([run['seconds'] for run in these]):.1f} s**",
                "–",
                f"{notes[kind]}: {last['scored']:,} scored, {written}"
                f"{last['changed']:,} grade changes",
            ],
        )

    print("\n## Results\n")
    shown = ", ".join(f"--{key} {value}" for key, value in size.items())
    print(f"Data: `seed_demo {shown}`" + (" (reused)" if args.reuse else ""))
    if migrate_seconds is not None:
        print(f"migrate: {migrate_seconds:.1f} s")
    if seed_seconds is not None:
        print(f"seed_demo (with its own first rescore): {seed_seconds:.1f} s")
    print(f"ANALYZE: {analyze_seconds:.1f} s")
    print()
    print(table(results, ["measure", "runs", "each", "median", "SQL queries", "notes"]))
    if max(run["seconds"] for run in runs) > SLOW_FULL_RESCORE:
        print(f"\nA full rescore took over {SLOW_FULL_RESCORE:.0f} s: see the plan below.")
    if plan:
        print("\n## EXPLAIN (ANALYZE, BUFFERS): input query, one chunk of 2,000 accounts\n")
        print("```\n" + plan + "\n```")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="2,000 accounts: a quick check")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the existing keyaccounts_bench again"
    )
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    parser.add_argument(
        "--migrate-only",
        action="store_true",
        help="apply this checkout's migrations to the database, measure nothing",
    )
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="recreate and seed the database, measure nothing (bench/run.sh --only pages)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="rounds of full rescores (each: from no scores, nothing changed twice, the next"
        " day); default 1",
    )
    args = parser.parse_args()
    # A guard for whoever edits DATABASE or sets BENCH_DATABASE (the name goes into SQL).
    if DATABASE in PROTECTED or not re.fullmatch(r"[a-z_][a-z0-9_]*", DATABASE):
        sys.exit(f"refusing to use the database {DATABASE}")

    size = sizes(args.small)
    env = environment()
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    migrate_seconds = seed_seconds = None
    if args.migrate_only:
        print(f"migrate: {manage(env, 'migrate', '--noinput', '-v', '0'):.1f} s", flush=True)
        return
    if not args.reuse:
        print(f"Recreating the database {DATABASE}", flush=True)
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        migrate_seconds = manage(env, "migrate", "-v", "0")
        options = [f"--{key}={value}" for key, value in size.items()]
        print(f"seed_demo {' '.join(options)}", flush=True)
        seed_seconds = manage(env, "seed_demo", *options)
        print(f"migrate: {migrate_seconds:.1f} s, seed_demo: {seed_seconds:.1f} s", flush=True)
    if args.seed_only:
        return
    measure(args, size, seed_seconds, migrate_seconds)


if __name__ == "__main__":
    main()
