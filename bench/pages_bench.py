"""Issue 9's pages and API cases over real HTTP, each beside its hand-written SQL floor.

    .venv/bin/python bench/pages_bench.py                 # measure keyaccounts_bench
    .venv/bin/python bench/pages_bench.py --iterations 10 --cases "account list"
    .venv/bin/python bench/pages_bench.py --memory        # and 10,000 requests, RSS

Usually started by bench/run.sh (bench/README.md). The database must be seeded already
(`seed_demo`; bench/run.sh does it). What it does:

1. ANALYZE; if no notification exists yet, one reminder scan (what beat runs every 15
   minutes), so the notifications page has rows.
2. Starts gunicorn with 2 sync workers on a free port in 8300-8399 with
   `bench.server_settings` (DEBUG off; Celery tasks queued, not run inline; every
   response says its number of SQL statements in `X-Bench-Queries`).
3. Signs in `rep1`, `manager` and `admin` (the login form, and the API token endpoint).
4. Builds the cases of bench/cases.py for them (which account, deal, search, deep page,
   changes cursor and bulk items: found in the data, untimed).
5. For each case: `--warmup` untimed rounds, then `--iterations` timed rounds of one
   request followed by its floor (interleaved, so both see the same machine load). One
   client, one request at a time. Queries: the server's header of the timed requests.
   On the first round, the ids the page lists are compared with the floor's.
6. Reads the gunicorn workers' resident memory (/proc) before the first case and after
   the last; `--memory` then sends 10,000 more requests (the GET cases in turn) and
   reports it every 1,000.
7. Runs `rescore_pending` once (the worker's part of the bulk upsert's writes), stops
   gunicorn, prints the table and writes it into docs/benchmarks.md between
   `<!-- bench:results:start -->` and `<!-- bench:results:end -->`, the previous run
   kept beside it (`--no-write`: print only; `--docs FILE`: another file).

Exit status 0 when every case answered as expected (the table says whether the targets
were met), 1 otherwise. Never touches any database but the benchmark's (BENCH_DATABASE,
default keyaccounts_bench; the names of development and CI are refused).
"""

import argparse
import datetime
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cases as C  # noqa: E402
from bench.http_load import Session  # noqa: E402
from bench.scoring_bench import DATABASE, PROTECTED, environment, pg, table  # noqa: E402
from keyaccounts.postgres import SESSION_OPTIONS  # noqa: E402

PASSWORD = "demo12345"  # seed_demo's demo users
PORTS = range(8300, 8400)
QUERY_HEADER = "X-Bench-Queries"
SQL_HEADER = "X-Bench-SQL-Microseconds"
CHANGES_PAGE = 500
BULK_ITEMS = 500
BULK_ITERATIONS = 10  # at most, after one warm-up: each writes BULK_ITEMS deals
MAX_RATIO = 3.0  # the issue: within 3x of the floor
# The framework's floor (bench/urls.py): reference cases, no target.
EMPTY_PAGE = "the framework's floor: an empty page"
EMPTY_ANSWER = "the framework's floor: an empty API answer"
WHOLE_COMPANY_MS = 500.0  # the issue: the superuser's dashboard under 500 ms
START = "<!-- bench:results:start -->"
PREVIOUS = "<!-- bench:results:previous -->"
END = "<!-- bench:results:end -->"
LATEST_HEADING = "### Latest run"
PREVIOUS_HEADING = "### Previous run"


# --- the server -------------------------------------------------------------------------------


def free_port(ports=PORTS) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {ports.start}-{ports.stop - 1}")


class Server:
    """gunicorn, 2 sync workers, started and stopped by the benchmark."""

    def __init__(self, env: dict, port: int, log: Path, workers: int = 2):
        self.env, self.port, self.log, self.workers_wanted = env, port, log, workers
        self.process = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "keyaccounts.wsgi",
            *("--workers", str(self.workers_wanted), "--bind", f"127.0.0.1:{self.port}"),
            *("--timeout", "300", "--graceful-timeout", "10", "--no-control-socket"),
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited while starting:\n{self.tail()}")
            if len(self.worker_pids()) == self.workers_wanted and self._healthy():
                return
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def _healthy(self) -> bool:
        import http.client

        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/healthz/")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def worker_pids(self) -> list[int]:
        """The master's children: its workers."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if self.process is not None and ppid == self.process.pid:
                pids.append(int(pid))
        return sorted(pids)

    def rss(self) -> dict[int, float]:
        """Each worker's resident set size in MiB (VmRSS)."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return sizes

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


# --- the floor's connection -------------------------------------------------------------------


class Floor:
    """psycopg2, autocommit, with the planner settings the app's connections have
    (`keyaccounts.postgres.SESSION_OPTIONS`); a floor's time is execute + fetch +
    encoding the rows as JSON with the standard library."""

    def __init__(self, database: str):
        import psycopg2

        conn = pg()
        self.connection = psycopg2.connect(
            host=conn["host"],
            port=conn["port"],
            user=conn["user"],
            dbname=database,
            options=SESSION_OPTIONS,
        )
        self.connection.autocommit = True

    def run(self, sql: str, params: dict) -> tuple[float, list]:
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else []
        json.dumps(rows, default=str)
        return time.perf_counter() - started, rows

    def one(self, sql: str, params: dict | None = None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params or {})
            return cursor.fetchone()

    def all(self, sql: str, params: dict | None = None) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params or {})
            return cursor.fetchall()


# --- requests ---------------------------------------------------------------------------------


def send(session: Session, method: str, path: str, *, api: bool, body: bytes | None = None):
    """(seconds, status, body, queries): one request as the persona, with their session
    cookie (pages) or API token (api)."""
    headers = {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    saved = session.cookies
    if api:
        headers["Authorization"] = f"Token {session.token}"
        session.cookies = {}
    try:
        started = time.perf_counter()
        status, data = session.request(method, path, body=body, headers=headers)
        seconds = time.perf_counter() - started
    finally:
        if api:
            session.cookies = saved
    queries = session.headers.get(QUERY_HEADER) if session.headers else None
    return seconds, status, data, int(queries) if queries and queries.isdigit() else None


def statements_seconds(session: Session) -> float | None:
    """The time the last request spent in its SQL statements, as its server measured it
    (`X-Bench-SQL-Microseconds`, bench/querycount.py), in seconds."""
    spent = session.headers.get(SQL_HEADER) if session.headers else None
    return int(spent) / 1_000_000 if spent and spent.isdigit() else None


def next_link(body: bytes) -> str | None:
    """The href of the page's rel="next" link, if any (the shared pagination markup)."""
    for tag in re.findall(rb"<a\b[^>]*>", body):
        if re.search(rb'\brel="next"', tag):
            href = re.search(rb'\bhref="([^"]*)"', tag)
            if href:
                return href.group(1).decode().replace("&amp;", "&")
    return None


def prev_link(body: bytes) -> str | None:
    for tag in re.findall(rb"<a\b[^>]*>", body):
        if re.search(rb'\brel="prev"', tag):
            href = re.search(rb'\bhref="([^"]*)"', tag)
            if href:
                return href.group(1).decode().replace("&amp;", "&")
    return None


def absolute(path: str, href: str) -> str:
    return href if href.startswith("/") else path.split("?", 1)[0] + href


def deepest_page(session: Session, path: str, page_size: int, max_pages: int = 400):
    """(url, rows before it) of the last page of a list: by `?page=` numbers, the page
    past the end (the paginator answers the last one) and its rel="prev" link; by
    cursors, following rel="next" links (at most `max_pages`)."""
    _s, status, body, _q = send(session, "GET", path, api=False)
    link = next_link(body) if status == 200 else None
    if link is None:
        return path, 0
    if re.search(r"[?&]page=\d+", link):
        past = re.sub(r"([?&]page=)\d+", r"\g<1>999999999", absolute(path, link))
        _s, status, body, _q = send(session, "GET", past, api=False)
        previous = prev_link(body) if status == 200 else None
        number = re.search(r"[?&]page=(\d+)", previous or "")
        last = int(number.group(1)) + 1 if number else 1
        url = re.sub(r"([?&]page=)\d+", rf"\g<1>{last}", absolute(path, link))
        return url, (last - 1) * page_size
    url, pages = path, 1
    while link is not None and pages < max_pages:
        url = absolute(path, link)
        _s, status, body, _q = send(session, "GET", url, api=False)
        pages += 1
        link = next_link(body) if status == 200 else None
    return url, (pages - 1) * page_size


# --- the cases, found in the data -----------------------------------------------------------


def analytics_period(today, start_of_day) -> dict:
    """The analytics page's default period and its months, as the floor's parameters."""
    from scoring.analytics import forms, selectors

    start = today - datetime.timedelta(days=forms.DEFAULT_DAYS)
    months = selectors.month_starts(selectors.Scope(start=start, end=today), today)
    return {
        "start": start,
        "end": today,
        "begin": start_of_day(start),
        "until": start_of_day(today + datetime.timedelta(days=1)),
        "first_month": months[0],
        "last_month": months[-1],
        "after_month": selectors.month_end(months[-1]) + datetime.timedelta(days=1),
    }


def constants() -> dict:
    """The numbers the pages use (page sizes, windows, rhythms), read from the app."""
    from django.conf import settings
    from django.utils import timezone

    import accounts.views
    import opportunities.views
    import scoring.dashboard.figures
    import scoring.selectors
    import visits.heatmap_views
    import visits.sections
    import visits.views
    from keyaccounts import paging
    from keyaccounts.api import pagination

    now = timezone.now()
    today = timezone.localdate(now)

    def start_of_day(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    this_month = today.replace(day=1)
    sales_start, sales_end = scoring.selectors.sales_window(today)
    rhythms = settings.CONTACT_RHYTHM_DAYS
    return {
        "now": now,
        "today": today,
        "tz": settings.TIME_ZONE,
        "currencies": settings.CURRENCY_RATES_TO_CNY,
        "rhythm_a": rhythms["A"],
        "rhythm_b": rhythms["B"],
        "rhythm_c": rhythms["C"],
        "rhythm_d": rhythms["D"],
        "list_size": getattr(accounts.views, "PAGE_SIZE", 25),
        "timeline": visits.sections.TIMELINE_SIZE,
        "records_size": getattr(visits.views, "PAGE_SIZE", 25),
        "heat_map_size": visits.heatmap_views.PAGE_SIZE,
        "analytics": analytics_period(today, start_of_day),
        "api_size": pagination.DEFAULT_PAGE_SIZE,
        # Lists count their rows up to a bound (keyaccounts.paging, the API's pagination):
        # the floors count as far, one more meaning "more than".
        "count_bound": paging.COUNT_LIMIT + 1,
        "api_count_bound": pagination.COUNT_LIMIT + 1,
        "per_column": opportunities.views.CARDS_PER_COLUMN,
        "closed_since": today - datetime.timedelta(days=opportunities.views.CLOSED_RECENT_DAYS),
        "my_week": my_week_params(today, now),
        "this_month": this_month,
        "forecast_end": C.add_months(this_month, scoring.dashboard.figures.FORECAST_MONTHS),
        "moved_since": scoring.selectors.movement_since(now),
        "sales_start": sales_start,
        "sales_end": sales_end,
        "compliance_since": today
        - datetime.timedelta(days=scoring.dashboard.figures.COMPLIANCE_DAYS),
        "week_ago": today - datetime.timedelta(days=7),
    }


def my_week_params(today: datetime.date, now: datetime.datetime) -> dict:
    """The groups of my week (`bench.cases.my_week_floor`), from what the page uses."""
    import scoring.plans.hooks
    import scoring.plans.selectors as plans
    import visits.complaints.sections as complaints
    import visits.reviews.sections as reviews
    import visits.selectors as week
    import visits.views

    if scoring.plans.hooks.MY_WEEK_SHOWN != reviews.SHOWN:  # the floor's `sections_shown`
        raise SystemExit("my week's plan actions and reviews now show different numbers")

    def day(n: int) -> datetime.date:
        return today + datetime.timedelta(days=n)

    windows = {name: week.planned_window(name, today=today) for name in week.PLANNED_GROUPS}
    return {
        "unrecorded_start": windows["unrecorded"][0],
        "today_start": windows["today"][0],
        "tomorrow_start": windows["week"][0],
        "week_end": windows["later"][0],
        "today": today,
        "tomorrow": day(week.FOLLOW_UP_GROUPS["soon"][1]),
        "day_after_tomorrow": day(week.FOLLOW_UP_GROUPS["week"][0]),
        "week_last": day(week.FOLLOW_UP_GROUPS["week"][1]),
        "shown": visits.views.SHOWN,
        "overdue_shown": visits.views.OVERDUE_SHOWN,
        "count_limit": week.FOLLOW_UP_COUNT_LIMIT + 1,
        # The sections the apps add (their modules' own numbers).
        "reviews_until": now + datetime.timedelta(days=reviews.MY_WEEK_DAYS),
        "sections_shown": reviews.SHOWN,
        "complaints_shown": complaints.MY_WEEK_SHOWN,
        "plans_week_end": plans.end_of_week(today),
        "approvals_shown": 6,
    }


def personas(floor: Floor) -> dict[str, C.Persona]:
    found = {}
    for username in C.PERSONAS:
        row = floor.one(
            "SELECT u.id, u.is_superuser, EXISTS (SELECT 1 FROM accounts_salesteam t"
            " WHERE t.manager_id = u.id) FROM accounts_user u WHERE u.username = %(u)s",
            {"u": username},
        )
        if row is None:
            raise SystemExit(f"no user {username}: is the database seeded (seed_demo)?")
        found[username] = C.Persona(username, row[0], row[1], row[2])
    return found


def pick(floor: Floor, rep: C.Persona) -> dict:
    """The records the single-record cases open: the rep's busiest account (most visits),
    its latest contact and visit, the rep's deal with the longest stage history, a
    development record, and a search word (the start of a middle account's name)."""
    uid = {"uid": rep.id}
    access = "JOIN accounts_accountaccess x ON x.account_id = a.id AND x.user_id = %(uid)s"
    account = floor.one(
        f"SELECT a.id FROM accounts_account a {access} WHERE a.deleted_at IS NULL"
        " AND a.owner_id = %(uid)s ORDER BY (SELECT count(*) FROM visits_visit v"
        " WHERE v.account_id = a.id AND v.deleted_at IS NULL) DESC, a.id LIMIT 1",
        uid,
    )
    if account is None:
        raise SystemExit(f"{rep.username} owns no account: is the database seeded?")
    of_account = {"account": account[0]}
    contact = floor.one(
        "SELECT id FROM accounts_contact WHERE account_id = %(account)s"
        " AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        of_account,
    )
    visit = floor.one(
        "SELECT id FROM visits_visit WHERE account_id = %(account)s AND deleted_at IS NULL"
        " ORDER BY id DESC LIMIT 1",
        of_account,
    )
    deal = floor.one(
        f"SELECT o.id FROM opportunities_opportunity o JOIN accounts_account a"
        f" ON a.id = o.account_id {access} WHERE o.deleted_at IS NULL AND a.deleted_at IS NULL"
        " ORDER BY (SELECT count(*) FROM opportunities_stagechange c"
        " WHERE c.opportunity_id = o.id) DESC, o.id LIMIT 1",
        uid,
    )
    record = floor.one(
        f"SELECT r.id FROM visits_developmentrecord r JOIN accounts_account a"
        f" ON a.id = r.account_id {access} WHERE r.deleted_at IS NULL AND a.deleted_at IS NULL"
        " ORDER BY r.id LIMIT 1",
        uid,
    )
    names = [
        name
        for (name,) in floor.all(
            f"SELECT a.name FROM accounts_account a {access} WHERE a.deleted_at IS NULL"
            " ORDER BY a.name, a.id",
            uid,
        )
    ]
    word = names[len(names) // 2][:2] if names else "a"
    return {
        "account": account[0],
        "contact": contact and contact[0],
        "visit": visit and visit[0],
        "deal": deal and deal[0],
        "record": record and record[0],
        "word": word,
    }


def changes_cursor(floor: Floor, session: Session, persona: C.Persona, kind: str, params: dict):
    """A cursor in the middle of what the persona may sync of `kind`, with a full page
    (or everything, when there is less) after it: the API's own `next_cursor` after
    reading that far from the start. Returns it, and the floor's (change number, id) of
    it (a cursor is `<epoch>-<number>[-<id>]`, or a bare number before issue 11), and why
    the page is the first one instead when the API refused a cursor on the way."""
    t = C.API_TYPES[kind][1]
    rows = C.api_rows(persona, kind, "", bare=True)
    visible = floor.one(C.with_visible(persona, f"SELECT count(*) FROM ({rows}) {t}"), params)[0]
    wanted = max(0, min(visible - CHANGES_PAGE, visible // 2))
    cursor, read, refused = "", 0, ""
    while read < wanted:
        limit = min(1000, wanted - read)
        since = f"&since={_quote(cursor)}" if cursor else ""
        _s, status, body, _q = send(
            session, "GET", f"/api/v1/{kind}/changes/?limit={limit}{since}", api=True
        )
        if status != 200:
            refused = f"HTTP {status} {json.loads(body).get('code', '')}".strip()
            break
        page = json.loads(body)
        read += sum(len(page.get(key) or []) for key in ("results", "deleted", "removed"))
        cursor = page["next_cursor"]
        if not page.get("has_more"):
            break
    if cursor and not refused:  # the page measured must be one the API serves
        _s, status, body, _q = send(
            session, "GET", f"/api/v1/{kind}/changes/?limit=1&since={_quote(cursor)}", api=True
        )
        if status != 200:
            refused = f"HTTP {status} {json.loads(body).get('code', '')}".strip()
    if refused:
        cursor = ""
    # epoch-number[-id][_issued][.feed] (keyaccounts/feed/reader.py CURSOR_RE)
    parts = re.fullmatch(
        r"(?:[0-9a-f]+-)?([0-9]+)(?:-([0-9]+))?(?:_[0-9]+)?(?:\.[0-9a-f]{4})?", cursor or "0"
    )
    seq, id_ = (int(parts[1]), int(parts[2] or C.LAST_ID)) if parts else (0, C.LAST_ID)
    return cursor, seq, id_, refused


# What a deal's item leaves out of the API's answer: its id and version (an integration
# names its records by external_id, and a version read once would be stale after the
# first timed write: every later request answered 500 version conflicts, which is what
# the runs before 2026-12-02 night timed), the fields only the server sets, and the
# parts (contacts, team, competitors, ticks), which an ERP does not keep.
BULK_LEFT_OUT = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "account_grade",
        "discount_ceiling",
        "discount_over_ceiling",
        "probability_is_custom",
        "closed_on",
        "checked_criteria",
        "contacts",
        "team",
        "competitors",
    }
)


def bulk_items(session: Session, count: int) -> list[dict]:
    """`count` of the persona's deals that have an external_id, as the API gives them by
    id without `BULK_LEFT_OUT`: what an integration keyed by external_id sends."""
    items, path = [], "/api/v1/opportunities/?ordering=id&page_size=200"
    while len(items) < count:
        _s, status, body, _q = send(session, "GET", path, api=True)
        if status != 200:
            break
        data = json.loads(body)
        for deal in data["results"]:
            if deal.get("external_id"):
                item = {key: value for key, value in deal.items() if key not in BULK_LEFT_OUT}
                if not deal.get("probability_is_custom"):
                    item.pop("probability", None)  # given, a probability sticks
                items.append(item)
        if not data.get("next"):
            break
        path = _path_of(data["next"])
    return items[:count]


def _path_of(url: str) -> str:
    """The path and query of an absolute link the API gave (its `next`)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def deepest_api_page(session: Session, path: str, max_pages: int = 100):
    """(url, rows before it, the last row before it) of the last page of an API list
    reached by following `next` (at most `max_pages`): how a client reads a list deep."""
    url, before, last, pages = path, 0, None, 1
    _s, status, body, _q = send(session, "GET", path, api=True)
    data = json.loads(body) if status == 200 else {}
    while data.get("next") and pages < max_pages:
        before += len(data["results"])
        last = data["results"][-1]
        url = _path_of(data["next"])
        _s, status, body, _q = send(session, "GET", url, api=True)
        data = json.loads(body) if status == 200 else {}
        pages += 1
    return url, before, last


def with_amounts(items: list[dict], plus: int) -> tuple[bytes, dict]:
    """The bulk body with each amount raised by `plus`, and the floor's parameters that
    write the same amounts."""
    changed = [{**item, "amount": str(Decimal(item["amount"]) + plus)} for item in items]
    params = {
        "external_ids": [item["external_id"] for item in changed],
        "amounts": [item["amount"] for item in changed],
    }
    return json.dumps(changed).encode(), params


def build_cases(
    floor: Floor, sessions: dict, people: dict, k: dict, bulk: int = BULK_ITEMS
) -> list[C.Case]:
    rep, manager, admin = people[C.REP], people[C.MANAGER], people[C.ADMIN]
    chosen = pick(floor, rep)
    common = {key: k[key] for key in ("tz", "today", "now")}
    common |= {key: k[key] for key in ("rhythm_a", "rhythm_b", "rhythm_c", "rhythm_d")}
    common |= {key: k[key] for key in ("count_bound", "api_count_bound")}
    cases: list[C.Case] = []

    def add(name, persona, path, sql, params=None, **options):
        cases.append(
            C.Case(
                name,
                persona,
                path,
                sql,
                {"uid": persona.id, **common, **(params or {})},
                **options,
            )
        )

    # The framework's floor (bench/urls.py): what a page and an API answer cost with no
    # work of their own, for each persona the cases below are sent as.
    for persona in (rep, manager, admin):
        add(EMPTY_PAGE, persona, "/bench/empty-page/", C.NOTHING_FLOOR, reference=True)
    for persona in (rep, manager):
        add(
            EMPTY_ANSWER,
            persona,
            "/api/v1/bench/empty/",
            C.NOTHING_FLOOR,
            api=True,
            reference=True,
        )
    accounts_link = r'href="/accounts/(\d+)/"'
    for persona in (rep, manager):
        add(
            "my week",
            persona,
            "/my-week/",
            C.my_week_floor(persona),
            k["my_week"],
        )
    for persona in (rep, manager, admin):
        add(
            "account list, page 1",
            persona,
            "/accounts/",
            C.account_list_floor(persona),
            {"limit": k["list_size"]},
            check_rows=accounts_link,
        )
    for persona in (rep, manager):
        url, before = deepest_page(sessions[persona.username], "/accounts/", k["list_size"])
        params = {"limit": k["list_size"]}
        after = ""
        if before:
            boundary = floor.one(
                C.account_list_floor(persona).replace("LIMIT %(limit)s", "OFFSET %(skip)s LIMIT 1"),
                {"uid": persona.id, "skip": before - 1, "count_bound": k["count_bound"]},
            )
            params |= {"after_name": boundary[1], "after_id": boundary[0]}
            after = C.AFTER
        add(
            "account list, deep page",
            persona,
            url,
            C.account_list_floor(persona, after=after),
            params,
            check_rows=accounts_link,
            note=f"{before:,} rows before it" if before else "only one page",
        )
    word = chosen["word"]
    for persona in (rep, manager):
        add(
            "account list, search",
            persona,
            f"/accounts/?q={_quote(word)}",
            C.account_list_floor(persona, C.SEARCH),
            {"limit": k["list_size"], "q": word, "like": f"%{word}%"},
            check_rows=accounts_link,
            note=f"q={word}",
        )
        add(
            "account list, grade A",
            persona,
            "/accounts/?grade=A",
            C.account_list_floor(persona, C.GRADE),
            {"limit": k["list_size"], "grades": ["A"]},
            check_rows=accounts_link,
        )
    for persona in (rep, manager):
        add(
            "account page",
            persona,
            f"/accounts/{chosen['account']}/",
            C.account_page_floor(persona),
            {"pk": chosen["account"], "timeline": k["timeline"]},
        )
    for persona in (rep, manager, admin):
        add(
            "pipeline board",
            persona,
            "/pipeline/",
            C.board_floor(persona),
            {"per_column": k["per_column"], "closed_since": k["closed_since"]},
            check_rows=r'href="/pipeline/(\d+)/"',
        )
    if chosen["deal"]:
        for persona in (rep, manager):
            add(
                "deal page",
                persona,
                f"/pipeline/{chosen['deal']}/",
                C.deal_page_floor(persona),
                {"pk": chosen["deal"]},
            )
    dashboard = {
        key: k[key]
        for key in (
            "this_month",
            "forecast_end",
            "moved_since",
            "sales_start",
            "sales_end",
            "compliance_since",
            "week_ago",
        )
    }
    dashboards = (
        (rep, "dashboard"),
        (manager, "dashboard, team"),
        (admin, "dashboard, whole company"),
    )
    for persona, name in dashboards:
        add(
            name,
            persona,
            "/dashboard/",
            C.dashboard_floor(persona, k["currencies"]),
            dashboard,
            target_ms=WHOLE_COMPANY_MS if persona.superuser else 150.0,
        )
    # The same figures computed now (`?refresh=1`, answered with a redirect to the page):
    # what the first view costs after SNAPSHOT_SECONDS, after the person saved something
    # or what they may see changed (keyaccounts/snapshots/). The cases above read the
    # snapshot the first of their untimed requests kept.
    for persona, name in dashboards:
        add(
            f"{name}, computed now",
            persona,
            "/dashboard/?refresh=1",
            C.dashboard_floor(persona, k["currencies"]),
            dashboard,
            target_ms=WHOLE_COMPANY_MS if persona.superuser else 150.0,
            status=302,
        )
    for persona in (rep, manager):
        add(
            "development records",
            persona,
            "/development-records/",
            C.records_page_floor(persona),
            {"limit": k["records_size"]},
            check_rows=r'href="/development-records/(\d+)/"',
        )
        add(
            "notifications",
            persona,
            "/notifications/",
            C.notifications_floor(persona),
            {"limit": k["records_size"]},
            check_rows=r'data-notification="(\d+)"',
        )
    # Issue 14's relationship heat-map: a page of accounts with their buying centers,
    # kept (as the dashboard), then computed now (`?refresh=1`, answered with a redirect).
    for computed in (False, True):
        for persona in (rep, manager):
            add(
                "relationship heat-map" + (", computed now" if computed else ""),
                persona,
                "/relationships/?refresh=1" if computed else "/relationships/",
                C.heat_map_floor(persona),
                {"limit": k["heat_map_size"]},
                check_rows=None if computed else r'<tr data-account="(\d+)"',
                status=302 if computed else 200,
            )
    # Issue 14's win/loss analytics, the default period (a year): every table at once.
    for computed in (False, True):  # kept (as the dashboard), then computed now
        for persona in (rep, manager, admin):
            add(
                "win/loss analytics"
                + (", whole company" if persona.superuser else "")
                + (", computed now" if computed else ""),
                persona,
                "/analytics/?refresh=1" if computed else "/analytics/",
                C.analytics_floor(persona, k["currencies"]),
                k["analytics"],
                target_ms=WHOLE_COMPANY_MS if persona.superuser else 150.0,
                status=302 if computed else 200,
            )
    # The API, with the persona's token. Lists: page 1 in the API's default order (only
    # development records' is total; the others' ties make the row check unfair).
    exact = {"development-records"}
    for persona in (rep, manager):
        for kind in C.API_TYPES:
            add(
                f"API {kind} list",
                persona,
                f"/api/v1/{kind}/",
                C.api_list_floor(persona, kind),
                {"limit": k["api_size"]},
                api=True,
                check_rows="json" if kind in exact else None,
            )
    # A deep page of the API's accounts, reached as a client reads on: by `next`.
    for persona in (rep, manager):
        url, before, last = deepest_api_page(
            sessions[persona.username], f"/api/v1/accounts/?page_size={k['api_size']}"
        )
        params = {"limit": k["api_size"]}
        where = ""
        if last:
            params |= {"after_name": last["name"], "after_id": last["id"]}
            where = "AND (a.name, a.id) > (%(after_name)s, %(after_id)s)"
        add(
            "API accounts list, deep page",
            persona,
            url,
            C.api_list_floor(persona, "accounts", where),
            params,
            api=True,
            note=f"{before:,} rows before it" if before else "only one page",
        )
    records = {
        "accounts": chosen["account"],
        "contacts": chosen["contact"],
        "visits": chosen["visit"],
        "development-records": chosen["record"],
        "opportunities": chosen["deal"],
    }
    for kind, pk in records.items():
        if pk:
            add(
                f"API {kind} record",
                rep,
                f"/api/v1/{kind}/{pk}/",
                C.api_record_floor(rep, kind),
                {"pk": pk},
                api=True,
            )
    # The changes feed of issue 11 (keyaccounts/feed/) has a user's exits and grants;
    # before it, the type's tombstones.
    per_user = floor.one("SELECT to_regclass('keyaccounts_feedexit') IS NOT NULL")[0]
    for kind in C.API_TYPES:
        cursor, seq, id_, refused = changes_cursor(
            floor, sessions[manager.username], manager, kind, {"uid": manager.id, **common}
        )
        since = f"since={_quote(cursor)}&" if cursor else ""
        note = "the middle of the feed" if cursor else "from the start"
        if refused:
            note += f": a cursor in the middle answered {refused}"
        add(
            f"API {kind} changes, {CHANGES_PAGE}",
            manager,
            f"/api/v1/{kind}/changes/?{since}limit={CHANGES_PAGE}",
            C.api_changes_floor(manager, kind, per_user),
            {"since": seq, "since_id": id_, "limit": CHANGES_PAGE},
            api=True,
            note=note,
        )
    items = bulk_items(sessions[manager.username], bulk)
    if items:
        note = f"{len(items)} deals, each amount changed; at most {BULK_ITERATIONS} timed"
        add(
            f"API opportunities bulk upsert, {len(items)}",
            manager,
            "/api/v1/opportunities/bulk/",
            C.bulk_floor(manager),
            api=True,
            method="POST",
            body=lambda n, items=items: with_amounts(items, n % 2)[0],
            floor_params_for=lambda n, items=items: with_amounts(items, n % 2)[1],
            note=note,
            max_iterations=BULK_ITERATIONS,
        )
        cases[-1].restore = lambda items=items: with_amounts(items, 0)[0]
        cases[-1].answer_check = lambda data, items=items: _bulk_answer_check(data, len(items))
        cases[-1].precheck = lambda session=sessions[manager.username], items=items: _bulk_precheck(
            session, items
        )
    return cases


def _bulk_answer_check(data: bytes, count: int) -> str:
    """Every timed request changes every amount: it must answer all `updated`."""
    answer = json.loads(data)
    if answer.get("updated") == count:
        return ""
    counts = {key: answer.get(key) for key in ("updated", "unchanged", "failed")}
    return f"the bulk upsert answered {counts}, not {count} updated"


def _bulk_precheck(session, items) -> str:
    """Send the deals back unchanged (the upsert must answer all `unchanged`): run just
    before the bulk case, after every page case, since it is the manager's write and a
    write makes their page snapshots old (keyaccounts/snapshots/)."""
    body, _params = with_amounts(items, 0)
    path = "/api/v1/opportunities/bulk/"
    _s, status, answer, _q = send(session, "POST", path, api=True, body=body)
    if status == 200 and json.loads(answer).get("unchanged") != len(items):
        return "; WARNING: sending them back unchanged did not answer all `unchanged`"
    return ""


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value)


# --- measuring ------------------------------------------------------------------------------


def choose_floor(case: C.Case, floor: Floor, tries: int = 3) -> None:
    """Of the case's floor and the same statement with the visible accounts left to the
    planner (`cases.inlined`), keep the faster (median of `tries`, untimed). Both must
    give the same rows; the bulk upsert's floor writes, so it is left as it is."""
    other = C.inlined(case.floor_sql)
    if other == case.floor_sql or case.method != "GET":
        return
    params = dict(case.floor_params)
    timings = {}
    rows = {}
    for sql in (case.floor_sql, other):
        runs = [floor.run(sql, params) for _ in range(tries)]
        timings[sql] = statistics.median(seconds for seconds, _rows in runs)
        rows[sql] = runs[0][1]
    if len(rows[other]) != len(rows[case.floor_sql]):
        raise SystemExit(f"{case.label}: the two forms of its floor disagree")
    if timings[other] < timings[case.floor_sql]:
        case.floor_sql = other
        case.floor_form = "planner's join"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(case: C.Case, session: Session, floor: Floor, iterations: int, warmup: int) -> dict:
    result = {"case": case, "times": [], "floors": [], "queries": [], "sql": [], "error": None}
    sent = 0
    if case.max_iterations is not None:
        iterations, warmup = min(iterations, case.max_iterations), min(warmup, 1)
    for n in range(1, warmup + iterations + 1):
        body = case.body(n) if case.body else None
        params = dict(case.floor_params)
        if case.floor_params_for:
            params |= case.floor_params_for(n)
        seconds, status, data, queries = send(
            session, case.method, case.path, api=case.api, body=body
        )
        spent = statements_seconds(session)
        sent = n
        if status != case.status:
            first = data.decode(errors="replace").strip().splitlines()[:1]
            result["error"] = f"HTTP {status}" + (f": {first[0][:120]}" if first else "")
            break
        wrong = case.answer_check(data) if getattr(case, "answer_check", None) else ""
        if wrong:  # a 200 that did not do what the case times
            result["error"] = wrong
            break
        floor_seconds, rows = floor.run(case.floor_sql, params)
        if n == 1:
            result["bytes"] = len(data)
            result["rows"] = len(rows)
            if case.check_rows:
                page = C.page_ids(case.check_rows, data)
                ids = [row[0] for row in rows if row[0] is not None]
                result["same_rows"] = set(page) == set(ids) and len(page) == len(ids)
                result["page_rows"] = len(page)
        if n > warmup:
            result["times"].append(seconds)
            result["floors"].append(floor_seconds)
            if queries is not None:
                result["queries"].append(queries)
            if spent is not None:
                result["sql"].append(spent)
    restore = getattr(case, "restore", None)
    if restore and sent % 2 == 1:  # the last request changed every amount: put them back
        send(session, case.method, case.path, api=case.api, body=restore())
    return result


def summary(result: dict) -> dict:
    case = result["case"]
    if result["error"] or not result["times"]:
        return {"error": result["error"] or "no timed request"}
    times, floors = result["times"], result["floors"]
    p50, floor50 = statistics.median(times), statistics.median(floors)
    p95 = percentile(times, 95)
    ratio = p50 / floor50 if floor50 else float("inf")
    queries = sorted(set(result["queries"]))
    return {
        "p50": p50,
        "p95": p95,
        "p99": percentile(times, 99),
        "rate": len(times) / sum(times),
        "floor50": floor50,
        "ratio": ratio,
        "met": None if case.reference else p95 * 1000 < case.target_ms and ratio <= MAX_RATIO,
        "sql50": statistics.median(result["sql"]) if result.get("sql") else None,
        "queries": (
            "?"
            if not queries
            else str(queries[0])
            if len(queries) == 1
            else f"{queries[0]}–{queries[-1]}"
        ),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def rows_cell(result: dict) -> str:
    rows = result.get("rows")
    if rows is None:
        return "–"
    cell = f"{rows:,}"
    if result.get("same_rows") is False:
        cell += f" (page: {result.get('page_rows', 0):,}!)"
    return cell


def _framework_p50(results: list[dict], series: str) -> dict[tuple[str, bool], float]:
    """The median of `series` ("times", "sql") of the framework's floor, by (persona, API
    or page), where it was measured."""
    medians = {}
    for result in results:
        case = result["case"]
        if case.reference and not result["error"] and result.get(series):
            medians[(case.persona.username, case.api)] = statistics.median(result[series])
    return medians


def framework_floors(results: list[dict]) -> dict[tuple[str, bool], float]:
    """The framework's floor (p50, seconds) by (persona, API or page), as measured."""
    return _framework_p50(results, "times")


def framework_statements(results: list[dict]) -> dict[tuple[str, bool], float]:
    """The framework's floor's own statements (the session, the user, a page's bell), p50
    seconds, by (persona, API or page)."""
    return _framework_p50(results, "sql")


def least_ratio(result: dict, floors: dict, spent: dict) -> float | None:
    """The ratio to its floor that the case would have if nothing but the framework and its
    own SQL statements took time: the framework's floor (its persona's, page or API) plus
    the case's statements beyond the framework's own, over the case's floor. Over
    `MAX_RATIO`, no work on the page's Python can meet the target: only fewer or cheaper
    statements can. None where not measured."""
    case, s = result["case"], summary(result)
    key = (case.persona.username, case.api)
    if case.reference or "error" in s or s["sql50"] is None or not s["floor50"]:
        return None
    if key not in floors or key not in spent:
        return None
    return (floors[key] + max(0.0, s["sql50"] - spent[key])) / s["floor50"]


def gap_rows(results: list[dict]) -> list[list[str]]:
    """For each case whose target is not met: by how much (the p50 its floor allows, the
    milliseconds over it; the p95 over its limit) and where the time goes (the framework's
    floor, the case's own statements beyond the framework's, the rest: the case's Python,
    its templates or serializers), with what would have to go to meet the target: its
    Python where the framework and its statements fit within the floor's 3×, fewer or
    cheaper statements where they alone do not (`least_ratio`), nothing of its own where
    the framework alone does not; for a case within 3× but over its p95 limit, how much
    of it its statements are."""
    floors, spent = framework_floors(results), framework_statements(results)
    rows = []
    for result in results:
        case, s = result["case"], summary(result)
        if case.reference or s.get("met") is not False:
            continue
        key = (case.persona.username, case.api)
        allowed = MAX_RATIO * s["floor50"]
        over = max(0.0, s["p50"] - allowed)
        late = max(0.0, s["p95"] * 1000 - case.target_ms)
        framework = floors.get(key)
        own = None if s["sql50"] is None or key not in spent else max(0.0, s["sql50"] - spent[key])
        rest = None if framework is None or own is None else max(0.0, s["p50"] - framework - own)
        least = least_ratio(result, floors, spent)
        if least is None:
            why = "not measured"
        elif framework > MAX_RATIO * s["floor50"]:
            why = f"the framework: alone {framework / s['floor50']:.1f}× the floor"
        elif least > MAX_RATIO:
            why = f"statements: the framework and its own SQL alone {least:.1f}× the floor"
        elif over:
            why = f"its Python: {ms(over)} of its {ms(rest)} ms"
        else:
            why = f"its p95: its own statements {ms(own)} of its {ms(s['p50'])} ms p50"
        rows.append(
            [
                case.name,
                case.persona.username,
                ms(s["p50"]),
                ms(allowed),
                ms(over) if over else "–",
                f"{100 * over / s['p50']:.0f} %" if over else "–",
                f"{late:.1f}" if late else "–",
                "–" if framework is None else ms(framework),
                "–" if own is None else ms(own),
                "–" if rest is None else ms(rest),
                why,
            ]
        )
    return rows


GAP_HEADER = [
    "case",
    "persona",
    "p50 ms",
    "p50 allowed ms (3× floor)",
    "over by ms",
    "share of p50",
    "p95 over its limit by ms",
    "the framework ms",
    "its own statements ms",
    "the rest ms",
    "what would have to go",
]


def beyond_framework(result: dict, floors: dict) -> str:
    """The case's p50 less the framework's floor for its persona and kind, divided by the
    case's floor: how much more than its rows the case's own work costs."""
    case, s = result["case"], summary(result)
    framework = floors.get((case.persona.username, case.api))
    if case.reference or "error" in s or framework is None or not s["floor50"]:
        return "–"
    return f"{max(0.0, s['p50'] - framework) / s['floor50']:.1f}"


def results_table(results: list[dict]) -> str:
    floors = framework_floors(results)
    header = [
        "case",
        "persona",
        "queries",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "req/s",
        "floor p50 ms",
        "ratio p50/floor",
        "target met",
        "rows",
        "KB",
        "(p50 − framework) / floor",
        "statements p50 ms",
        "(framework + statements) / floor",
    ]
    spent = framework_statements(results)
    lines = []
    for result in results:
        case, s = result["case"], summary(result)
        name = case.name + (f" ({case.note})" if case.note else "")
        if "error" in s:
            lines.append([name, case.persona.username, "–", *["–"] * 6, s["error"], *["–"] * 5])
            continue
        target = "–" if s["met"] is None else "yes" if s["met"] else "**no**"
        if case.target_ms != 150.0 and not case.reference:
            target += f" (p95 < {case.target_ms:.0f})"
        lines.append(
            [
                name,
                case.persona.username,
                s["queries"],
                ms(s["p50"]),
                ms(s["p95"]),
                ms(s["p99"]),
                f"{s['rate']:.1f}",
                ms(s["floor50"]),
                f"{s['ratio']:.1f}",
                target,
                rows_cell(result),
                f"{result.get('bytes', 0) / 1024:.0f}",
                beyond_framework(result, floors),
                "–" if s["sql50"] is None else ms(s["sql50"]),
                "–" if (least := least_ratio(result, floors, spent)) is None else f"{least:.1f}",
            ]
        )
    return table(lines, header)


def memory_run(server: Server, sessions: dict, cases: list[C.Case], total: int, every: int):
    """`total` more requests, the GET cases in turn; each worker's RSS every `every`."""
    gets = [case for case in cases if case.method == "GET" and case.status == 200]
    rows = [["0", *(f"{v:.1f}" for v in server.rss().values())]]
    if not gets:
        return rows, ["requests"], 0
    errors = 0
    for n in range(1, total + 1):
        case = gets[(n - 1) % len(gets)]
        _s, status, _d, _q = send(
            sessions[case.persona.username], case.method, case.path, api=case.api
        )
        errors += status != 200
        if n % every == 0:
            sizes = server.rss()
            rows.append([f"{n:,}", *(f"{v:.1f}" for v in sizes.values())])
            shown = ", ".join(f"{v:.1f}" for v in sizes.values())
            print(f"  {n:,} requests: RSS {shown} MiB", flush=True)
    width = max(len(row) for row in rows) - 1
    header = ["requests", *(f"worker {i + 1} MiB" for i in range(width))]
    return rows, header, errors


# --- the report -----------------------------------------------------------------------------


def git_state() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "?"
    if not head:
        return "? (not a git checkout)"
    return f"`{head}`" + (" with uncommitted changes" if dirty else "")


def row_counts(floor: Floor) -> str:
    tables = [
        ("accounts", "accounts_account"),
        ("contacts", "accounts_contact"),
        ("visits", "visits_visit"),
        ("deals", "opportunities_opportunity"),
        ("reps and managers", "accounts_user"),
        ("sales teams", "accounts_salesteam"),
    ]
    counts = []
    for label, name in tables:
        counts.append(f"{floor.one(f'SELECT count(*) FROM {name}')[0]:,} {label}")
    return ", ".join(counts)


def report(args, results, machine, data, run: dict, memory, when) -> str:
    """The Markdown block of one run. `run`: the workers' RSS ("rss_start", "rss_end") and
    the load average ("load_start", "load_end") around the cases."""

    def total(sizes):
        return sum(sizes.values())

    rss_start, rss_end = run["rss_start"], run["rss_end"]
    lines = [
        f"{LATEST_HEADING}: {when:%Y-%m-%d %H:%M} UTC, `{args.label}`",
        "",
        f"Commit {git_state()}; database `{DATABASE}`: {data}.",
        f"gunicorn {gunicorn_version()}, 2 sync workers, `bench.server_settings`; one client,"
        f" {args.iterations} timed requests per case after {args.warmup} untimed, each followed"
        ' by its floor. Times in ms; "queries" from the server (`X-Bench-Queries`);'
        " target: p95 under 150 ms (the whole company's dashboard: 500 ms) and p50 at most"
        f' {MAX_RATIO:g}× the floor\'s; "rows": the floor\'s rows ("!": the page listed'
        ' other ids). "The framework\'s floor": a page and an API answer that do no work of'
        ' their own (`bench/urls.py`), no target; "(p50 − framework) / floor": a case\'s'
        " p50 less that floor (its persona's, page or API), divided by the case's floor;"
        ' "statements": the time the server spent in the case\'s SQL statements'
        " (`X-Bench-SQL-Microseconds`), and the last column the ratio the case would have"
        " if nothing but the framework's floor and its own statements took time.",
        "",
        results_table(results),
        "",
        f"Load average (1 min) at the first case {run['load_start']:.2f}, after the last"
        f" {run['load_end']:.2f}: other work on the machine slows both the"
        " requests and their floors.",
        "",
        "Server memory, the workers' RSS: "
        + ", ".join(f"{v:.1f}" for v in rss_start.values())
        + f" MiB before the first case (total {total(rss_start):.1f}), "
        + ", ".join(f"{v:.1f}" for v in rss_end.values())
        + f" MiB after the last (total {total(rss_end):.1f}).",
    ]
    inlined = sum(1 for result in results if result["case"].floor_form)
    lines += [
        "",
        f"Floors: {inlined} of {len(results)} ran faster with the visible accounts left to"
        " the planner than read first, and were measured so (`cases.with_visible`).",
    ]
    measured = [result for result in results if not result["case"].reference]
    met = sum(1 for result in measured if summary(result).get("met"))
    lines += ["", f"Targets met by {met} of {len(measured)} cases."]
    floors, spent = framework_floors(results), framework_statements(results)
    beyond = [
        result
        for result in measured
        if summary(result).get("met") is False
        and (least := least_ratio(result, floors, spent)) is not None
        and least > MAX_RATIO
    ]
    if beyond:
        lines += [
            "",
            f"Of the {len(measured) - met} not met, {len(beyond)} cannot be met by any work on"
            " their Python (the last column over"
            f" {MAX_RATIO:g}): the framework's floor and the case's own SQL statements"
            " (their time inside `execute`, as the server measured it) already take more"
            f" than {MAX_RATIO:g}× the floor; only fewer or cheaper statements would"
            " bring them within it.",
        ]
    gaps = gap_rows(results)
    if gaps:
        lines += [
            "",
            'The cases not met, the gap and why (p50s: "the framework" is its persona\'s'
            ' floor, page or API; "its own statements" the case\'s statements beyond the'
            " framework's own; \"the rest\" what is left of the p50: the case's Python,"
            " templates or serializers, and the wire):",
            "",
            table(gaps, GAP_HEADER),
        ]
    if memory:
        rows, header, errors = memory
        lines += [
            "",
            f"Memory over {rows[-1][0]} more requests (the GET cases in turn, {errors} not 200):",
            "",
            table(rows, header),
        ]
    lines += ["", "Machine:", "", table([[key, value] for key, value in machine.items()], ["", ""])]
    return "\n".join(lines) + "\n"


def gunicorn_version() -> str:
    try:
        import gunicorn

        return gunicorn.__version__
    except ImportError:
        return "?"


def write_results(text: str, block: str) -> str:
    """`text` (docs/benchmarks.md) with `block` as the latest run between the markers and
    the run that was latest before it kept as the previous run (older ones dropped). No
    markers yet: a section with them is added at the end."""
    if START not in text or END not in text:
        text = text.rstrip("\n") + (
            f"\n\n## Pages and API against their floors\n\n{START}\n{PREVIOUS}\n{END}\n"
        )
    head, rest = text.split(START, 1)
    inside, tail = rest.split(END, 1)
    latest = inside.split(PREVIOUS, 1)[0].strip()
    if latest.startswith(LATEST_HEADING):
        previous = PREVIOUS_HEADING + latest[len(LATEST_HEADING) :]
    else:
        previous = "_No earlier run recorded._"
    return f"{head}{START}\n{block.strip()}\n\n{PREVIOUS}\n{previous}\n{END}{tail}"


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case first")
    parser.add_argument("--cases", help="only the cases whose name contains this text")
    parser.add_argument("--memory", action="store_true", help="then 10,000 requests, RSS")
    parser.add_argument("--memory-requests", type=int, default=10_000, help="RSS every tenth")
    parser.add_argument("--bulk-items", type=int, default=BULK_ITEMS, help="deals per bulk upsert")
    parser.add_argument("--port", type=int, help="gunicorn's port (default: free in 8300-8399)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--label", default="bench/pages_bench.py", help="how it was run")
    args = parser.parse_args()
    if DATABASE in PROTECTED or not re.fullmatch(r"[a-z_][a-z0-9_]*", DATABASE):
        sys.exit(f"refusing to use the database {DATABASE}")

    env = environment()
    env["DJANGO_SETTINGS_MODULE"] = "bench.server_settings"
    env["API_THROTTLE_RATE"] = "1000000/min"
    # A shared cache, as production's web processes have (Redis, emptied first): the page
    # snapshots need it and are off without it (keyaccounts/snapshots/).
    # BENCH_CACHE_REDIS_URL="" measures without one.
    cache_url = os.environ.get("BENCH_CACHE_REDIS_URL", "redis://127.0.0.1:6379/11")
    if cache_url:
        import redis

        redis.Redis.from_url(cache_url).flushdb()
        env["REDIS_URL"] = cache_url
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    import django

    django.setup()
    from django.db import connection

    from bench.scoring_bench import machine

    floor = Floor(DATABASE)
    print(f"Pages and API against their floors, database {DATABASE}", flush=True)
    floor.run("ANALYZE", {})
    if floor.one("SELECT count(*) FROM visits_notification")[0] == 0:
        from visits.reminders import reminders_scan

        print(f"  one reminder scan (untimed): {reminders_scan()} notifications", flush=True)
    info = machine()
    connection.close()
    k = constants()
    people = personas(floor)
    data = row_counts(floor)

    log = Path(os.environ.get("BENCH_GUNICORN_LOG", f"/tmp/bench-gunicorn-{DATABASE}.log"))
    server = Server(env, args.port or free_port(), log)
    server.start()
    print(f"  gunicorn on {server.base}, workers {server.worker_pids()} (log: {log})", flush=True)
    results, memory, bulk_ran = [], None, False
    try:
        sessions = {}
        for username in C.PERSONAS:
            sessions[username] = Session(server.base, username, PASSWORD)
            try:
                sessions[username].sign_in()
            except SystemExit as error:  # its cases answer 401/403, each reported
                print(f"  signing in {username}: {error}", flush=True)
        cases = build_cases(floor, sessions, people, k, args.bulk_items)
        if args.cases:
            cases = [case for case in cases if args.cases.lower() in case.name.lower()]
        run = {"rss_start": server.rss(), "load_start": os.getloadavg()[0]}
        for case in cases:
            session = sessions[case.persona.username]
            choose_floor(case, floor)
            if case.precheck is not None:
                case.note += case.precheck()
            result = measure(case, session, floor, args.iterations, args.warmup)
            results.append(result)
            bulk_ran |= case.method == "POST"
            s = summary(result)
            if "error" in s:
                print(f"  {case.label}: {s['error']}", flush=True)
            else:
                check = {True: "", False: " ROWS DIFFER", None: ""}[result.get("same_rows")]
                print(
                    f"  {case.label}: p50 {ms(s['p50'])} ms, p95 {ms(s['p95'])} ms, floor"
                    f" {ms(s['floor50'])} ms ({s['ratio']:.1f}×), {s['queries']} queries,"
                    f" {result.get('rows', 0)} rows, {result.get('bytes', 0) / 1024:.0f} KB{check}"
                    + (f"; floor: {case.floor_form}" if case.floor_form else ""),
                    flush=True,
                )
        run |= {"rss_end": server.rss(), "load_end": os.getloadavg()[0]}
        if args.memory and cases:
            print(f"\nMemory: {args.memory_requests:,} requests", flush=True)
            every = max(1, args.memory_requests // 10)
            memory = memory_run(server, sessions, cases, args.memory_requests, every)
    finally:
        server.stop()
    if bulk_ran:
        from scoring.services import rescore_pending

        print(f"  rescore_pending after the bulk writes (untimed): {rescore_pending()}")
        connection.close()

    block = report(
        args,
        results,
        info,
        data,
        run,
        memory,
        datetime.datetime.now(datetime.UTC),
    )
    print("\n" + block)
    if not args.no_write and results:
        docs = Path(args.docs)
        docs.write_text(write_results(docs.read_text(), block))
        print(f"Written to {docs}")
    failed = [r for r in results if r["error"] or not r["times"]]
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
