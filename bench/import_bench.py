"""Benchmark of spreadsheet imports on PostgreSQL: `manage.py import_records` at 50,000 rows.

    .venv/bin/python bench/import_bench.py                 # 50,000 rows per file
    .venv/bin/python bench/import_bench.py --rows 5000     # a quicker check
    .venv/bin/python bench/import_bench.py --profile accounts --rows 5000
                                                           # cProfile one import instead

Drops and creates the throwaway database `keyaccounts_import_c` (BENCH_DATABASE names
another; never one of development or CI), migrates, and creates the people the files
name: a manager and 20 reps in two sales teams (`bench_manager`, `bench_rep01`, …), the
accounts owned by the reps. Then writes, in a temporary directory, an accounts file and
a contacts file of `--rows` rows each (two contacts per account, the second reporting to
the first), as XLSX and as CSV, and times `manage.py import_records … --as bench_manager`
as a user runs it (a process of its own, start-up included):

  accounts: dry run of the CSV, dry run of the XLSX, the XLSX for real (every row a new
            account), the CSV again (every row unchanged), and a CSV with one changed
            cell per row (every row an update);
  contacts: dry run of the CSV, dry run of the XLSX, the XLSX for real (new contacts),
            the CSV again (unchanged);
  deals:    dry run of the XLSX, the XLSX for real (new deals, at stages from Qualify
            to Negotiation, half named in Chinese), the CSV again (unchanged).

`--only deals` (or accounts, contacts) times that type's runs only, after importing
what they need (the accounts CSV) untimed.

Each line of the table is one run: its file, what the command reported, and the
seconds. The target (issue 10) is 120 s for any 50,000-row file. `--profile KIND`
(accounts, contacts or visits) instead imports one file in this process under cProfile
and prints the 40 most expensive functions (cumulative time): where the time goes.

The work an import hands on — the rescoring of the accounts it wrote, the reminder scan
after visits — goes to Celery, as in production: REDIS_URL is BENCH_REDIS_URL (default
redis://127.0.0.1:6379/12, emptied before and after; no worker consumes it), so the
command is timed without it. BENCH_REDIS_URL="" runs those tasks inline instead, inside
the timed command (as bench/scoring_bench.py does).
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scoring_bench import machine, pg, psql  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "keyaccounts_import_c")
PROTECTED = {
    "keyaccounts",
    "test_keyaccounts",
    "keyaccounts_apifuzz",
    "postgres",
    "keyaccounts_bench",
}
MANAGER = "bench_manager"
REPS = 20
TARGET_SECONDS = 120

INDUSTRIES = ["Manufacturing", "制造", "Finance", "科技", "Energy", "物流", "Healthcare"]
STATUSES = ["Prospect", "开发中", "Active customer", "Dormant"]
REGIONS = ["East China", "华南", "North China", "西南", "Central China"]
ROLES = ["Decider", "评估者", "User", "采购执行者", "Other / not yet known"]
ATTITUDES = ["Strong supporter", "支持", "Neutral", "怀疑", "Unknown"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def flush_redis() -> None:
    if REDIS:
        import redis

        redis.Redis.from_url(REDIS).flushdb()


def environment() -> dict:
    conn = pg()
    env = dict(os.environ)
    env.pop("REDIS_URL", None)  # without BENCH_REDIS_URL: Celery eager, no shared cache
    if REDIS:
        env["REDIS_URL"] = REDIS
    env["DATABASE_URL"] = f"postgres://{conn['user']}@{conn['host']}:{conn['port']}/{DATABASE}"
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --- the files ----------------------------------------------------------------------------


def credit_code(number: int) -> str:
    from accounts.duplicates import CREDIT_CODE_ALPHABET, credit_code_check_char

    body, value = "", number
    for _position in range(8):
        body = CREDIT_CODE_ALPHABET[value % 31] + body
        value //= 31
    first17 = "91310000M" + body
    return first17 + credit_code_check_char(first17)


def account_rows(count: int, *, region_offset: int = 0) -> list[list]:
    rnd = random.Random(42)
    header = ["External ID", "Name", "Unified social credit code", "Industry", "Status",
              "Owner", "Employees", "Annual revenue (10k CNY)", "Region", "Website"]  # fmt: skip
    rows = [header]
    for number in range(1, count + 1):
        name = (
            f"测试{number}号精密制造有限公司"
            if number % 2
            else f"Bench Works {number:06d} Co., Ltd."
        )
        rows.append(
            [
                f"BENCH-A{number:06d}",
                name,
                credit_code(number) if number % 3 else None,
                INDUSTRIES[number % len(INDUSTRIES)],
                STATUSES[number % len(STATUSES)],
                f"bench_rep{number % REPS + 1:02d}",
                rnd.randint(10, 50_000),
                round(rnd.uniform(100, 900_000), 2),
                REGIONS[(number + region_offset) % len(REGIONS)],
                f"https://www.example{number}.com" if number % 5 == 0 else None,
            ]
        )
    return rows


def contact_rows(count: int) -> list[list]:
    rnd = random.Random(7)
    header = ["Account", "External ID", "Name", "Title", "Phone", "Email", "Buying role",
              "Coach (internal champion)", "Attitude to us", "Reports to"]  # fmt: skip
    rows = [header]
    for number in range(1, count + 1):
        account = (number + 1) // 2
        boss = None
        if number % 2 == 0:
            boss = f"BENCH-C{number - 1:06d}"  # the account's first contact
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
        rows.append(
            [
                f"BENCH-A{account:06d}",
                f"BENCH-C{number:06d}",
                f"{name}{number}",
                "总经理" if number % 2 else "工程师",
                f"13{number:09d}",
                f"c{number}@example.com",
                ROLES[number % len(ROLES)],
                "是" if number % 7 == 0 else "否",
                ATTITUDES[number % len(ATTITUDES)],
                boss,
            ]
        )
    return rows


def visit_rows(count: int) -> list[list]:
    import datetime

    header = ["Account", "External ID", "Took place", "Method", "Purpose", "Customer contacts met"]
    rows = [header]
    start = datetime.datetime(2025, 1, 6, 9, 0)
    for number in range(1, count + 1):
        account = (number + 1) // 2
        at = start + datetime.timedelta(hours=number % 2000, minutes=number % 60)
        rows.append(
            [
                f"BENCH-A{account:06d}",
                f"BENCH-V{number:06d}",
                at.strftime("%Y-%m-%d %H:%M"),
                "当面拜访" if number % 3 else "Phone",
                f"Visit {number}",
                f"BENCH-C{2 * account - 1:06d}",
            ]
        )
    return rows


DEAL_STAGES = ["Qualify", "需求分析", "Solution design and presentation", "招投标", "Negotiation"]


def deal_rows(count: int) -> list[list]:
    rnd = random.Random(11)
    header = ["Account", "External ID", "Name", "Kind", "Owner", "Amount", "Currency",
              "Expected close date", "Stage"]  # fmt: skip
    rows = [header]
    for number in range(1, count + 1):
        account = (number + 1) // 2
        rows.append(
            [
                f"BENCH-A{account:06d}",
                f"BENCH-D{number:06d}",
                f"产线升级项目{number}" if number % 2 else f"Line upgrade {number:06d}",
                "New customer" if number % 3 else "expansion",
                f"bench_rep{account % REPS + 1:02d}",
                round(rnd.uniform(10_000, 5_000_000), 2),
                "CNY",
                f"2026-{number % 12 + 1:02d}-{number % 28 + 1:02d}",
                DEAL_STAGES[number % len(DEAL_STAGES)],
            ]
        )
    return rows


def write_csv(rows: list[list], path: Path) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def write_xlsx(rows: list[list], path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


# --- the database -------------------------------------------------------------------------


def recreate_database(env: dict, database: str = DATABASE) -> None:
    """Drop, create and migrate `database` (never one of PROTECTED); bench/jobs_bench.py
    uses it too."""
    if database in PROTECTED or not re.fullmatch(r"[a-z_][a-z0-9_]*", database):
        sys.exit(f"Refusing to drop {database!r}: name a throwaway database in BENCH_DATABASE.")
    print(f"database {database}: drop, create, migrate", flush=True)
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )


def create_people() -> None:
    """A manager and the reps of two sales teams: the owners the files name."""
    from accounts.models import SalesTeam, User

    manager = User.objects.create_user(MANAGER, f"{MANAGER}@example.com", first_name="Mona")
    teams = [SalesTeam.objects.create(name=f"Bench team {n}", manager=manager) for n in (1, 2)]
    for number in range(1, REPS + 1):
        User.objects.create_user(
            f"bench_rep{number:02d}",
            f"bench_rep{number:02d}@example.com",
            sales_team=teams[number % 2],
        )


def import_records(env: dict, kind: str, path: Path, *extra: str) -> tuple[float, str]:
    """(seconds, the command's summary line) of one `manage.py import_records` run."""
    command = [sys.executable, "manage.py", "import_records", kind, str(path), "--as", MANAGER]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    lines = (done.stdout + done.stderr).strip().splitlines()
    summary = next((line for line in reversed(lines) if " rows: " in line), lines[-1:] or "")
    # Status 1 is rows rejected (a summary says so) or a crash (a traceback, no summary).
    if done.returncode not in (0, 1) or not isinstance(summary, str):
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        sys.exit(f"import_records {kind} {path.name} failed ({done.returncode})")
    return seconds, summary if isinstance(summary, str) else " ".join(summary)


def profile(kind: str, path: Path) -> None:
    """Import `path` in this process under cProfile; print where the time went."""
    from django.core.management import call_command

    profiler = cProfile.Profile()
    out = io.StringIO()
    started = time.perf_counter()
    profiler.enable()
    try:
        call_command("import_records", kind, str(path), "--as", MANAGER, stdout=out)
    except Exception as exc:  # noqa: BLE001 - the report shows it
        print(f"import_records stopped: {exc}")
    profiler.disable()
    print(f"{kind}: {time.perf_counter() - started:.1f} s; {out.getvalue().splitlines()[-1:]}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000, help="Rows per file.")
    parser.add_argument("--profile", choices=["accounts", "contacts", "visits", "opportunities"])
    parser.add_argument(
        "--only", choices=["accounts", "contacts", "deals"], help="Time one type's runs only."
    )
    options = parser.parse_args()
    env = environment()
    recreate_database(env)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")})
    os.environ.pop("REDIS_URL", None)
    if REDIS:
        os.environ["REDIS_URL"] = REDIS
    flush_redis()
    import django

    django.setup()
    create_people()
    rows = options.rows
    with tempfile.TemporaryDirectory(prefix="import_bench_") as directory:
        folder = Path(directory)
        started = time.perf_counter()
        makers = {
            "accounts.csv": lambda path: write_csv(account_rows(rows), path),
            "accounts.xlsx": lambda path: write_xlsx(account_rows(rows), path),
            "accounts-changed.csv": lambda path: write_csv(
                account_rows(rows, region_offset=1), path
            ),
            "contacts.csv": lambda path: write_csv(contact_rows(rows), path),
            "contacts.xlsx": lambda path: write_xlsx(contact_rows(rows), path),
            "deals.csv": lambda path: write_csv(deal_rows(rows), path),
            "deals.xlsx": lambda path: write_xlsx(deal_rows(rows), path),
        }
        wanted = {  # the files the runs asked for read, and the accounts they need
            None: set(makers),
            "accounts": {"accounts.csv", "accounts.xlsx", "accounts-changed.csv"},
            "contacts": {"accounts.csv", "contacts.csv", "contacts.xlsx"},
            "deals": {"accounts.csv", "deals.csv", "deals.xlsx"},
        }[options.only]
        if options.profile:
            wanted = set(makers)
        files = {name: make(folder / name) for name, make in makers.items() if name in wanted}
        print(f"files of {rows:,} rows written in {time.perf_counter() - started:.1f} s")
        if options.profile:
            from django.db import connections

            if options.profile != "accounts":
                connections.close_all()
                import_records(env, "accounts", files["accounts.csv"])
            if options.profile == "visits":
                import_records(env, "contacts", files["contacts.csv"])
                files["visits.csv"] = write_csv(visit_rows(rows), folder / "visits.csv")
            files["opportunities.csv"] = files["deals.csv"]
            profile(options.profile, files[f"{options.profile}.csv"])
            return
        from django.db import connections

        connections.close_all()
        runs = [
            ("accounts", "accounts.csv", "--dry-run"),
            ("accounts", "accounts.xlsx", "--dry-run"),
            ("accounts", "accounts.xlsx", None),
            ("accounts", "accounts.csv", None),
            ("accounts", "accounts-changed.csv", None),
            ("contacts", "contacts.csv", "--dry-run"),
            ("contacts", "contacts.xlsx", "--dry-run"),
            ("contacts", "contacts.xlsx", None),
            ("contacts", "contacts.csv", None),
            ("opportunities", "deals.xlsx", "--dry-run"),
            ("opportunities", "deals.xlsx", None),
            ("opportunities", "deals.csv", None),
        ]
        if options.only:
            kind = "opportunities" if options.only == "deals" else options.only
            if kind != "accounts":
                import_records(env, "accounts", files["accounts.csv"])
                print("accounts.csv imported (untimed)", flush=True)
            runs = [run for run in runs if run[0] == kind]
        results = []
        for kind, name, flag in runs:
            seconds, summary = import_records(env, kind, files[name], *([flag] if flag else []))
            print(
                f"{kind:13} {name:22} {flag or 'import':10} {seconds:7.1f} s  {summary}",
                flush=True,
            )
            results.append((kind, name, flag or "import", seconds, summary))
    flush_redis()
    print()
    for key, value in machine().items():  # the load average: other work on the machine
        print(f"{key}: {value}")
    print(f"tasks handed on: {'queued in ' + REDIS if REDIS else 'run inline'}")
    print(f"| file ({rows:,} rows) | run | seconds | the command's summary |")
    print("|---|---|---:|---|")
    for _kind, name, mode, seconds, summary in results:
        print(f"| {name} | {mode} | {seconds:.1f} | {summary} |")
    slow = [r for r in results if r[3] > TARGET_SECONDS]
    if rows >= 50_000:
        print(f"\ntarget: every run under {TARGET_SECONDS} s: {'MISSED' if slow else 'met'}")


if __name__ == "__main__":
    main()
