"""bench/faults.sh: a bounded load with each fault injected once (issue 12).

    bench/faults.sh                  100,000 accounts, 45 s phases (10 min on a quiet 2-core box)
    bench/faults.sh --quick          200 accounts, 20 s per phase: that the command works
    bench/faults.sh --phase 60       seconds of load before and after each fault
    bench/faults.sh --no-write       print the table, leave docs/reliability.md alone

Everything runs on 127.0.0.1, on parts of the run's own, in --workdir: a PostgreSQL
cluster (initdb; port 5440), a redis-server (port 6390, in memory only), gunicorn with 2
sync workers (port 8470), one Celery worker (prefork, one child) and Celery beat, all with
`bench.faults_settings` (DEBUG off; reminder emails written one file per message). The
database `keyaccounts_faults` is seeded with `manage.py seed_demo` at the size asked for;
the seed's own reminders are made and marked sent first, so every reminder of the run
comes from a visit the run posted.

The load (threads, standard library HTTP): reps sign in on the login page and, in a
loop, open "my week" and an account, record a visit through the visit form (GET the form,
POST it with its CSRF and one-time form token; a follow-up due today, so the visit makes
a reminder at once) or log a follow-up on one of their seeded visits; managers open the
dashboard, the team page and their week; sync clients pull the changes feeds of visits
and accounts with an API token. A POST that meets a 5xx or a dropped connection is sent
again, the same form with the same token, as a browser's user would, for up to 60 s.

Faults, one at a time, each after a quiet `--phase` of load (before) and followed by
`--phase / 3` seconds (during: from the fault until that long after the part answered
again) and `--phase` (after): Redis restarted; PostgreSQL restarted
(`pg_ctl restart -m fast`); the Celery worker SIGKILLed (its process group, while it holds
a message) and started again; one gunicorn worker SIGKILLed (the master starts another).
Then the load stops and the run waits (up to 150 s) for every reminder of the run's
visits to be sent.

Each posted visit carries a marker in its purpose ("faultrun <run> <fault> ..."), so at the
end the database says how many of the visits a rep posted (and was told were saved) are
there, and how many twice; the email files say how many reminders were sent, and how
many twice. The table goes into docs/reliability.md between its markers; --json writes
the figures for a test (keyaccounts/tests/test_faults_harness.py runs --quick in CI).
"""

import argparse
import collections
import datetime
import glob
import html.parser
import http.client
import http.cookies
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is a package of the project
    sys.path.insert(0, str(ROOT))

from bench.scoring_bench import LARGE  # noqa: E402 - after the path it needs

DATABASE = "keyaccounts_faults"
PASSWORD = "demo12345"  # seed_demo's demo users
DOCS = ROOT / "docs" / "reliability.md"
START = "<!-- faults:results:start -->"
END = "<!-- faults:results:end -->"

FULL = dict(LARGE)  # the benchmark's size (issue 9, docs/benchmarks.md)
QUICK = {
    "accounts": 200,
    "contacts": 1_000,
    "visits": 2_000,
    "opportunities": 400,
    "reps": 10,
    "teams": 2,
    "seed": 42,
}
FAULTS = [
    ("redis", "Redis restart"),
    ("postgres", "PostgreSQL restart"),
    ("celery", "Celery worker SIGKILL"),
    ("gunicorn", "gunicorn worker SIGKILL"),
]
RETRY_FOR_SECONDS = 60  # a POST that meets a 5xx or a dropped connection: sent again
DRAIN_SECONDS = 150  # after the load: how long every reminder has to be sent
REMINDER_SCAN_SECONDS = 60  # beat's reminder scan during the run (production: 15 min)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if not found or not os.path.exists(f"{found[-1]}/pg_ctl"):
        raise SystemExit("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)")
    return found[-1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll `condition` until it is true; return when (monotonic), or stop the run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return time.monotonic()
        except Exception:  # noqa: BLE001 - not answering yet
            pass
        time.sleep(interval)
    raise SystemExit(f"{what} within {timeout:.0f} s")


# --- the parts --------------------------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster of the run's own (initdb), on 127.0.0.1:`port`."""

    def __init__(self, workdir: Path, port: int):
        self.bin, self.port = pg_bin(), port
        self.work = workdir / "pg"
        self.data = self.work / "data"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            as_postgres([f"{self.bin}/{command[0]}", *command[1:]]),
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if check and done.returncode:
            raise SystemExit(f"{command[0]} exited with {done.returncode}:\n{done.stderr}")
        return done

    def init(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        os.chmod(self.work, 0o700)
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()

    def ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.work} -c listen_addresses=127.0.0.1"
        self.run(
            *("pg_ctl", "-D", str(self.data), "-l", f"{self.work}/server.log", "-w", "-t", "120"),
            *("-o", options, *extra, action),
        )

    def start(self) -> None:
        self.ctl("start")

    def restart(self) -> None:
        self.ctl("restart", "-m", "fast")

    def answers(self) -> bool:
        return (
            self.run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode
            == 0
        )

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run(
                "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop", check=False
            )
        shutil.rmtree(self.work, ignore_errors=True)


class Redis:
    """A redis-server of the run's own, in memory only: a restart empties it."""

    def __init__(self, workdir: Path, port: int):
        self.work, self.port = workdir, port
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.work)),
                *("--loglevel", "warning"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_until(self.answers, 15, f"redis-server on port {self.port} did not answer")

    def answers(self) -> bool:
        import socket

        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    def command(self, *words: str) -> bytes:
        import socket

        request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(request.encode())
            return conn.recv(4096)

    def unacked(self) -> int:
        """Messages a worker has taken and not acknowledged (Celery's Redis transport)."""
        answer = self.command("HLEN", "unacked")
        return int(answer[1:].split(b"\r\n")[0]) if answer.startswith(b":") else 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


class Process:
    """A child process in a session of its own (so its whole group can be killed)."""

    def __init__(self, name: str, command: list[str], env: dict, logfile: Path):
        self.name, self.command, self.env, self.logfile = name, command, env, logfile
        self.process = None

    def start(self) -> None:
        with open(self.logfile, "ab") as out:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
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

    def kill_group(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill_group()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- the load ---------------------------------------------------------------------------


class FormInputs(html.parser.HTMLParser):
    """The hidden inputs of a page (CSRF token, form token, version) by name."""

    def __init__(self):
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.hidden[attrs["name"]] = attrs.get("value") or ""


def hidden_inputs(page: bytes) -> dict[str, str]:
    parser = FormInputs()
    parser.feed(page.decode("utf-8", errors="replace"))
    return parser.hidden


class Record:
    """Every request of the run: when it started, how long it took, what it answered."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, float, str, str]] = []  # start, seconds, label, outcome

    def add(self, started: float, seconds: float, label: str, outcome: str) -> None:
        with self.lock:
            self.rows.append((started, seconds, label, outcome))


class Client:
    """One user: a keep-alive connection, cookies, maybe an API token; every request is
    recorded (a dropped or refused connection as `conn`)."""

    def __init__(self, base: str, username: str, record: Record):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.username, self.record = username, record
        self.connection = None
        self.cookies: dict[str, str] = {}
        self.token = None
        self.headers = None

    def request(self, method: str, path: str, body=None, headers=None, label=None):
        """(status, body), or (None, b"") after a connection error."""
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.record.add(started, time.monotonic() - started, label or path, "conn")
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return None, b""
        self.headers = response.headers
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
        self.record.add(started, time.monotonic() - started, label or path, str(response.status))
        return response.status, data

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login/", label="login")
        token = hidden_inputs(page).get("csrfmiddlewaretoken")
        form = urllib.parse.urlencode(
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        status, _ = self.request("POST", "/login/", form, FORM_HEADERS, label="login")
        if status != 302:
            raise SystemExit(f"signing in as {self.username} answered {status}")

    def get_token(self) -> None:
        body = json.dumps({"username": self.username, "password": PASSWORD}).encode()
        headers = {"Content-Type": "application/json"}
        status, answer = self.request("POST", "/api/v1/auth/token/", body, headers, label="token")
        if status != 200:
            raise SystemExit(f"the token endpoint answered {status} for {self.username}")
        self.token = json.loads(answer)["token"]


def visit_form(hidden: dict, marker: str, now: datetime.datetime) -> dict:
    """The visit form as a rep fills it in: a visit that took place a few minutes ago
    (`now`: the site's local time), `marker` as its purpose, a follow-up due today (so the
    visit makes a reminder at once); `hidden`: the page's CSRF and form tokens."""
    return {
        **hidden,
        "occurred_at": (now - datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "method": "in_person",
        "place": "their office",
        "purpose": marker,
        "talking_points": "load and faults run",
        "customer_views": "interested",
        "customer_attitude": "supporter",
        "next_steps": "call back",
        "follow_up_due": now.date().isoformat(),
    }


def follow_up_form(hidden: dict, run_id: str, today: datetime.date) -> dict:
    return {
        **hidden,
        "followed_up_on": today.isoformat(),
        "follow_up_method": "phone",
        "follow_up_feedback": f"faultrun {run_id} follow-up",
    }


FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Referer": "/"}


class Load:
    """The users' threads, the current fault (its slug goes into each visit's marker) and
    what the reps posted."""

    def __init__(self, base: str, run_id: str, people: dict, record: Record):
        self.base, self.run_id, self.people, self.record = base, run_id, people, record
        self.stop = threading.Event()
        self.fault = "warmup"
        self.lock = threading.Lock()
        # per fault slug: visits posted (intents), confirmed (a redirect after the POST),
        # refused (an answer that was neither), follow-ups posted and confirmed
        self.counts = collections.defaultdict(collections.Counter)
        self.threads: list[threading.Thread] = []
        self.failures: list[str] = []

    def count(self, what: str, fault: str | None = None) -> None:
        with self.lock:
            self.counts[fault or self.fault][what] += 1

    def start(self) -> None:
        targets = [(self.rep, rep) for rep in self.people["reps"]]
        targets += [(self.manager, name) for name in self.people["managers"]]
        targets += [(self.sync, name) for name in self.people["sync"]]
        for target, name in targets:
            thread = threading.Thread(target=self._guard, args=(target, name), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _guard(self, target, name) -> None:
        try:
            target(name)
        except BaseException as exc:  # noqa: BLE001 - reported at the end, never silent
            self.failures.append(f"{name}: {type(exc).__name__}: {exc}")

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(RETRY_FOR_SECONDS + 40)

    def pause(self, low: float, high: float) -> None:
        self.stop.wait(random.uniform(low, high))

    # --- reps

    def rep(self, username: str) -> None:
        client = Client(self.base, username, self.record)
        self._signed_in(client)
        mine = self.people["accounts"][username]
        open_visits = list(self.people["open_visits"][username])
        random.shuffle(open_visits)
        seq = 0
        while not self.stop.is_set():
            client.request("GET", "/my-week/", label="my week")
            account = random.choice(mine)
            client.request("GET", f"/accounts/{account}/", label="account page")
            if open_visits and random.random() < 0.3:
                self.follow_up(client, open_visits.pop())
            else:
                seq += 1
                self.post_visit(client, account, seq)
            self.pause(0.5, 1.5)

    def _signed_in(self, client: Client) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.sign_in()
                return
            except (SystemExit, AttributeError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def _post_until_answered(self, client: Client, path: str, form: dict, label: str):
        """POST `form`; after a 5xx or a dropped connection, the same form again (its
        one-time token makes a second save impossible) until an answer or the deadline."""
        body = urllib.parse.urlencode(form).encode()
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            status, page = client.request("POST", path, body, FORM_HEADERS, label=label)
            if status is not None and status < 500:
                return status, page
            if time.monotonic() > deadline:
                return status, page
            retry_after = (client.headers.get("Retry-After") if status else None) or "1"
            time.sleep(min(float(retry_after) if retry_after.isdigit() else 1.0, 2.0))

    def post_visit(self, client: Client, account: int, seq: int) -> None:
        fault = self.fault
        status, page = client.request("GET", f"/accounts/{account}/visits/new/", label="visit form")
        if status != 200:
            return  # nothing posted: the form did not open
        marker = f"faultrun {self.run_id} {fault} {client.username} {seq}"
        form = visit_form(hidden_inputs(page), marker, datetime.datetime.now())
        self.count("posted", fault)
        status, _ = self._post_until_answered(
            client, f"/accounts/{account}/visits/new/", form, "visit save"
        )
        self.count("confirmed" if status == 302 else "refused", fault)
        if status != 302:
            self.count(f"refused {status or 'conn'}", fault)

    def follow_up(self, client: Client, visit: int) -> None:
        fault = self.fault
        status, page = client.request("GET", f"/visits/{visit}/", label="visit page")
        if status != 200:
            return
        form = follow_up_form(hidden_inputs(page), self.run_id, datetime.date.today())
        self.count("follow-ups posted", fault)
        status, _ = self._post_until_answered(
            client, f"/visits/{visit}/follow-up/", form, "follow-up save"
        )
        if status == 302:
            self.count("follow-ups confirmed", fault)

    # --- managers and sync clients

    def manager(self, username: str) -> None:
        client = Client(self.base, username, self.record)
        self._signed_in(client)
        pages = [("/dashboard/", "dashboard"), ("/team/", "team"), ("/my-week/", "my week")]
        while not self.stop.is_set():
            path, label = random.choice(pages)
            client.request("GET", path, label=label)
            self.pause(1.0, 2.0)

    def sync(self, username: str) -> None:
        client = Client(self.base, username, self.record)
        deadline = time.monotonic() + 60
        while client.token is None:
            try:
                client.get_token()
            except SystemExit:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        cursors = {"visits": "", "accounts": ""}
        while not self.stop.is_set():
            for kind, cursor in list(cursors.items()):
                path = f"/api/v1/{kind}/changes/?since={urllib.parse.quote(cursor)}&limit=200"
                status, body = client.request("GET", path, label=f"API {kind} changes")
                if status == 200:
                    cursors[kind] = json.loads(body).get("next_cursor") or cursor
                elif status == 410:
                    cursors[kind] = ""
            self.pause(0.5, 1.5)


# --- the run ----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Run:
    def __init__(self, args):
        self.args = args
        self.size = QUICK if args.quick else FULL
        self.phase = args.phase or (20 if args.quick else 45)
        self.workdir = Path(args.workdir)
        self.run_id = time.strftime("%H%M%S")
        self.mail_dir = self.workdir / "mail"
        self.cluster = Cluster(self.workdir, args.pg_port)
        self.redis = Redis(self.workdir, args.redis_port)
        self.base = f"http://127.0.0.1:{args.http_port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.faults_settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{args.pg_port}/{DATABASE}",
            "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "API_THROTTLE_RATE": "100000/min",
            "REMINDER_SCAN_INTERVAL_SECONDS": str(REMINDER_SCAN_SECONDS),
            "TEST_EMAIL_DIR": str(self.mail_dir),
            "TEST_EMAIL_DELAY": "0.05",
        }
        python = sys.executable
        self.gunicorn = Process(
            "gunicorn",
            [
                *(python, "-m", "gunicorn", "keyaccounts.wsgi", "--workers", "2"),
                *("--bind", f"127.0.0.1:{args.http_port}", "--timeout", "60"),
                *("--graceful-timeout", "10", "--no-control-socket", "--log-level", "warning"),
            ],
            self.env,
            self.workdir / "gunicorn.log",
        )
        celery = [python, "-m", "celery", "-A", "keyaccounts"]
        self.worker = Process(
            "worker",
            [
                *celery,
                *("worker", "--pool=prefork", "--concurrency=1", "--loglevel=info"),
                *("--hostname", f"faults-{self.run_id}@%h", "--without-gossip", "--without-mingle"),
            ],
            self.env,
            self.workdir / "worker.log",
        )
        self.beat = Process(
            "beat",
            [
                *celery,
                "beat",
                "--loglevel=warning",
                "--schedule",
                str(self.workdir / "beat-schedule"),
            ],
            self.env,
            self.workdir / "beat.log",
        )
        self.record = Record()
        self.windows: dict[str, dict] = {}  # slug -> before/down/up/during_end/after_end
        self.notes: dict[str, str] = {}

    # --- setup

    def prepare(self) -> None:
        marker = self.workdir / ".keyaccounts-faults"
        if self.workdir.exists() and any(self.workdir.iterdir()) and not marker.exists():
            raise SystemExit(f"{self.workdir} is not empty and not a faults run's: refusing")
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        self.workdir.chmod(0o755)  # the cluster's own directory in it belongs to postgres
        marker.touch()
        self.mail_dir.mkdir()
        log(f"PostgreSQL cluster in {self.cluster.work}, port {self.cluster.port}")
        self.cluster.init()
        self.cluster.run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.cluster.port), "-U", "postgres", DATABASE
        )
        self.redis.start()
        manage = [sys.executable, "manage.py"]
        started = time.monotonic()
        subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        options = [f"--{key}={value}" for key, value in self.size.items()]
        log(f"seed_demo {' '.join(options)}")
        subprocess.run(
            [*manage, "seed_demo", *options],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.seed_seconds = time.monotonic() - started
        log(f"migrated and seeded in {self.seed_seconds:.0f} s")
        os.environ.update(self.env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        self.people = self.settle_and_pick()

    def settle_and_pick(self) -> dict:
        """Make the seed's reminders and mark them sent (the run counts only its own), and
        pick the users of the load with their accounts and open follow-ups."""
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.utils import timezone

        from accounts.models import SalesTeam
        from accounts.selectors import accounts_visible_to
        from visits.models import Notification, Visit, VisitStatus
        from visits.reminders import reminders_scan

        reminders_scan()
        settled = Notification.objects.filter(email_sent_at__isnull=True).update(
            email_sent_at=timezone.now()
        )
        log(f"the seed's {settled} reminders marked sent")
        User = get_user_model()
        teams = list(SalesTeam.objects.select_related("manager").order_by("pk")[:2])
        reps = [
            u.username for u in User.objects.filter(username__in=["rep1", "rep2", "rep3", "rep4"])
        ]
        people = {
            "reps": reps,
            "managers": [t.manager.username for t in teams if t.manager_id],
            "sync": [u.username for u in User.objects.filter(username__in=["rep5", "rep6"])],
            "accounts": {},
            "open_visits": {},
        }
        for username in reps:
            user = User.objects.get(username=username)
            people["accounts"][username] = list(
                accounts_visible_to(user)
                .filter(owner=user)
                .order_by("pk")
                .values_list("pk", flat=True)[:30]
            )
            people["open_visits"][username] = list(
                Visit.objects.filter(
                    owner=user,
                    status=VisitStatus.DONE,
                    followed_up_on__isnull=True,
                    follow_up_due__isnull=False,
                    deleted_at__isnull=True,
                )
                .order_by("-pk")
                .values_list("pk", flat=True)[:200]
            )
        connection.close()
        return people

    def start_parts(self) -> None:
        self.gunicorn.start()
        wait_until(
            lambda: len(self.gunicorn.children()) == 2 and self.http_ok("/healthz/"),
            90,
            f"gunicorn did not answer:\n{self.gunicorn.tail()}",
        )
        self.start_worker()
        self.beat.start()

    def start_worker(self) -> float:
        size = self.worker.logfile.stat().st_size if self.worker.logfile.exists() else 0
        self.worker.start()

        def ready() -> bool:
            with open(self.worker.logfile, "rb") as f:
                f.seek(size)
                return b" ready." in f.read()

        return wait_until(ready, 90, f"the Celery worker did not start:\n{self.worker.tail()}", 0.2)

    def http_ok(self, path: str) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.args.http_port, timeout=5)
        try:
            connection.request("GET", path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    # --- the faults: each returns (down at, answering again at)

    def fault_redis(self):
        down = time.monotonic()
        self.redis.stop()
        self.redis.start()
        return down, time.monotonic()

    def fault_postgres(self):
        down = time.monotonic()
        self.cluster.restart()
        return down, wait_until(self.cluster.answers, 60, "PostgreSQL did not come back")

    def fault_celery(self):
        # Kill it while it holds a message (a reminder task under way), if it gets one soon.
        try:
            wait_until(lambda: self.redis.unacked() > 0, 15, "no message in flight", 0.05)
        except SystemExit:
            pass
        held = self.redis.unacked()
        down = time.monotonic()
        self.worker.kill_group()
        self.notes["celery"] = f"{held} message(s) held by the worker when it was killed"
        return down, self.start_worker()

    def fault_gunicorn(self):
        victim = self.gunicorn.children()[0]
        down = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        up = wait_until(
            lambda: (
                len(set(self.gunicorn.children()) - {victim}) == 2 and self.http_ok("/healthz/")
            ),
            60,
            "gunicorn did not start a new worker",
        )
        return down, up

    def worker_check(self, slug: str, when: str) -> None:
        """A Celery worker that exited by itself is noted and started again, as the
        process supervisor of a deployment would (systemd's Restart=always)."""
        if self.worker.alive():
            return
        code = self.worker.process.returncode
        note = f"the Celery worker exited by itself (status {code}) {when} this fault; restarted"
        log(note)
        self.notes[slug] = "; ".join(filter(None, [self.notes.get(slug), note]))
        self.start_worker()

    def go(self) -> dict:
        load = Load(self.base, self.run_id, self.people, self.record)
        log(
            f"load: {len(self.people['reps'])} reps, {len(self.people['managers'])} managers, "
            f"{len(self.people['sync'])} sync clients; {self.phase} s per phase"
        )
        self.load_before = load_average()
        load.start()
        time.sleep(min(10, self.phase / 2))  # signing in, warming up: not counted
        for slug, name in FAULTS:
            load.fault = slug
            window = {"before": time.monotonic()}
            time.sleep(self.phase)
            log(f"{name}")
            window["down"], window["up"] = getattr(self, f"fault_{slug}")()
            log(f"{name}: answering again after {window['up'] - window['down']:.1f} s")
            window["during_end"] = window["up"] + self.phase / 3
            time.sleep(max(0.0, window["during_end"] - time.monotonic()))
            self.worker_check(slug, "during")
            time.sleep(self.phase)
            window["after_end"] = time.monotonic()
            self.worker_check(slug, "after")
            self.windows[slug] = window
        load.fault = "cooldown"
        load.finish()
        self.load_after = load_average()
        if load.failures:
            log("load threads that stopped: " + "; ".join(load.failures))
        self.counts = load.counts
        self.failures = load.failures
        return self.drain()

    def drain(self) -> dict:
        """Wait until every reminder of the run's saved visits is sent; then count."""
        from django.db import connection

        started = time.monotonic()
        deadline = started + DRAIN_SECONDS
        while True:
            figures = self.count()
            pending = sum(f["reminders_due"] - f["reminders_sent"] for f in figures.values())
            if pending <= 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        connection.close()
        self.drain_seconds = time.monotonic() - started
        return figures

    def count(self) -> dict:
        """Per fault: visits saved and twice, reminders due (one per saved visit), made,
        sent, and sent twice (email files per Message-ID)."""
        from django.db.models import Count

        from visits.models import Notification, NotificationKind, Visit
        from visits.reminders import message_id
        from visits.tests.slow_email_backend import message_files

        prefix = f"faultrun {self.run_id} "
        visits = Visit.objects.filter(purpose__startswith=prefix)
        per_marker = visits.values("purpose").annotate(n=Count("pk"))
        emails = message_files(self.mail_dir)
        figures = {}
        for slug, _name in [*FAULTS, ("warmup", ""), ("cooldown", "")]:
            markers = [row for row in per_marker if row["purpose"].split()[2] == slug]
            mine = visits.filter(purpose__startswith=f"{prefix}{slug} ")
            notes = list(
                Notification.objects.filter(visit__in=mine, kind=NotificationKind.FOLLOW_UP_DUE)
            )
            per_visit = collections.Counter(n.visit_id for n in notes)
            figures[slug] = {
                "visits_saved": len(markers),
                "visits_twice": sum(1 for row in markers if row["n"] > 1),
                "reminders_due": mine.count(),
                "reminders_made": len(per_visit),
                "reminders_twice": sum(1 for n in per_visit.values() if n > 1),
                "reminders_sent": sum(1 for n in notes if n.email_sent_at is not None),
                "emails_twice": sum(1 for n in notes if emails.get(message_id(n), 0) > 1),
            }
        return figures

    # --- the report

    def stats(self, start: float, end: float):
        rows = [r for r in self.record.rows if start <= r[0] < end]
        return rows, percentile([r[1] for r in rows if r[3] not in ("conn",)], 95)

    def report(self, figures: dict) -> tuple[str, dict]:
        lines = [
            "| fault | requests before / during / after | errors by kind "
            "| p95 before / during / after (ms) | visits posted / confirmed / saved "
            "| reminders due / sent | duplicates |",
            "|---|---|---|---|---|---|---|",
        ]
        summary = {"faults": {}, "lost": 0, "duplicates": 0, "errors_outside_down": 0}
        for slug, name in FAULTS:
            w = self.windows[slug]
            before, p_before = self.stats(w["before"], w["down"])
            during, p_during = self.stats(w["down"], w["during_end"])
            after, p_after = self.stats(w["during_end"], w["after_end"])
            errors = collections.Counter()
            where = collections.Counter()  # (answer, request label): for the JSON
            outside = 0
            for started, seconds, label, outcome in before + during + after:
                if outcome == "conn" or outcome.startswith("5"):
                    errors[outcome] += 1
                    where[f"{outcome} {label}"] += 1
                    # "while down": sent before the part answered again (+1 s to settle)
                    if not (started + seconds >= w["down"] - 0.5 and started <= w["up"] + 1.0):
                        outside += 1
                elif outcome.startswith("4") and outcome not in ("404", "410"):
                    errors[outcome] += 1
            kinds = (
                ", ".join(
                    f"{'connection' if k == 'conn' else k} ×{n}" for k, n in sorted(errors.items())
                )
                or "none"
            )
            if outside:
                kinds += f" (**{outside} outside the {w['up'] - w['down']:.1f} s down**)"
            elif errors:
                kinds += f" (all within the {w['up'] - w['down']:.1f} s down)"
            c = self.counts.get(slug, collections.Counter())
            f = figures[slug]
            lost = max(0, c["confirmed"] - f["visits_saved"])
            twice = f["visits_twice"] + f["reminders_twice"] + f["emails_twice"]
            note = self.notes.get(slug)
            cell = lambda p: "–" if p is None else f"{p * 1000:.0f}"  # noqa: E731
            lines.append(
                f"| {name} | {len(before)} / {len(during)} / {len(after)} | {kinds} "
                f"| {cell(p_before)} / {cell(p_during)} / {cell(p_after)} "
                f"| {c['posted']} / {c['confirmed']} / {f['visits_saved']}"
                f"{f' (**{lost} lost**)' if lost else ''} "
                f"| {f['reminders_due']} / {f['reminders_sent']} "
                f"| {twice if twice else 0}{f' ({note})' if note else ''} |"
            )
            summary["faults"][slug] = {
                "requests": [len(before), len(during), len(after)],
                "errors": dict(errors),
                "errors_outside_down": outside,
                "errors_where": dict(where),
                "down_seconds": round(w["up"] - w["down"], 1),
                "posted": c["posted"],
                "confirmed": c["confirmed"],
                "refused": c["refused"],
                **f,
            }
            summary["lost"] += lost
            summary["duplicates"] += twice
            summary["errors_outside_down"] += outside
        unsent = sum(f["reminders_due"] - f["reminders_sent"] for f in figures.values())
        summary["reminders_unsent"] = unsent
        summary["load_failures"] = self.failures
        size = ", ".join(f"{v:,} {k}" for k, v in self.size.items() if k != "seed")
        total = len(self.record.rows)
        text = "\n".join(
            [
                f"### Latest run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
                "",
                f"`{' '.join(['bench/faults.sh', *sys.argv[1:]])}`: {size} (seeded in "
                f"{self.seed_seconds:.0f} s); {len(self.people['reps'])} reps, "
                f"{len(self.people['managers'])} managers, {len(self.people['sync'])} sync "
                f"clients; {self.phase} s before and after each fault, {self.phase / 3:.0f} s "
                f"during (from the fault until that long after the part answered again); "
                f"{total:,} requests in all. {os.cpu_count()} cores; load average (1, 5, "
                f"15 minutes) {self.load_before} at the start, {self.load_after} at the end "
                f"(the run's own parts included: a load well above the cores means other "
                f"work shared the machine, and the latencies are that machine's).",
                "",
                *lines,
                "",
                f"After the load: every reminder of the run's visits sent "
                f"{'within' if not unsent else 'not within'} {self.drain_seconds:.0f} s"
                f"{'' if not unsent else f' ({unsent} unsent)'}. Visits posted in warm-up and "
                "cool-down are in no row. Lost: "
                f"{summary['lost']}; duplicated: {summary['duplicates']}; 5xx or dropped "
                f"connections outside the seconds a part was down: "
                f"{summary['errors_outside_down']}.",
            ]
        )
        return text, summary

    def teardown(self) -> None:
        for part in (self.beat, self.worker, self.gunicorn):
            part.stop()
        self.redis.stop()
        if (self.workdir / ".keyaccounts-faults").exists():  # never a directory not ours
            self.cluster.remove()


def write_results(text: str, block: str) -> str:
    """`text` (docs/reliability.md) with `block` between the markers (added at the end
    of the document when it has none)."""
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _inside, tail = rest.split(END, 1)
    return f"{head}{START}\n{block.strip()}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 accounts, 20 s phases")
    parser.add_argument("--phase", type=float, help="seconds of load before and after each fault")
    parser.add_argument("--workdir", default="/tmp/keyaccounts-faults", help="(emptied first)")
    parser.add_argument("--pg-port", type=int, default=5440)
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--http-port", type=int, default=8470)
    parser.add_argument("--no-write", action="store_true", help="leave docs/reliability.md")
    parser.add_argument("--docs", help="write the table into this file instead")
    parser.add_argument("--json", help="write the figures here too (for a test)")
    parser.add_argument("--keep", action="store_true", help="keep --workdir's logs afterwards")
    args = parser.parse_args()

    run = Run(args)
    try:
        run.prepare()
        run.start_parts()
        figures = run.go()
        text, summary = run.report(figures)
    finally:
        run.teardown()
        if not args.keep and (run.workdir / ".keyaccounts-faults").exists():
            shutil.rmtree(run.workdir, ignore_errors=True)
    print("\n" + text + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if not args.no_write:
        docs = Path(args.docs) if args.docs else DOCS
        docs.write_text(write_results(docs.read_text(encoding="utf-8"), text), encoding="utf-8")
        log(f"written into {docs}")
    return 0 if not run.failures else 1


if __name__ == "__main__":
    sys.exit(main())
