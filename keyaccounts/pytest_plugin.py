"""Fixtures every app's tests share: the personas, services and the browser.

Loaded from pytest.ini (`-p keyaccounts.pytest_plugin`). Services and the browser
are skipped on a developer's machine that lacks them, with the reason and the
command that fixes it; under CI (`CI=true`) a missing one fails the test instead.
"""

import contextlib
import os
import shutil
from types import SimpleNamespace

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI: a test that needs a service never silently passes there."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"CI requires this: {reason}", pytrace=False)
    pytest.skip(reason)


# --- personas ---------------------------------------------------------------------------
# The visibility rule, told as people (cf. healthchecks' Alice, Bob and Charlie):
#   alice    rep on the East team, owns `account`
#   bob      rep on the East team, on the account team of `account`
#   carol    rep on the East team, neither owner nor on the account team
#   charlie  rep on the West team
#   manager  manages the East team        other_manager manages the West team
#   admin    superuser


@pytest.fixture
def personas(db):
    from accounts.models import AccountTeamRole
    from accounts.tests.factories import (
        AccountFactory,
        SalesTeamFactory,
        TeamMemberFactory,
        UserFactory,
    )

    # Every persona has a fixed name: a random one (Faker) could contain a word the
    # visibility tests look for on 404 pages ("Alice"), and the header shows it, or
    # match a search meant for someone else ("Carolyn" for "carol").
    manager = UserFactory(username="manager", first_name="Mona", last_name="Manager")
    other_manager = UserFactory(username="other_manager", first_name="Otto", last_name="West")
    east = SalesTeamFactory(name="East", manager=manager)
    west = SalesTeamFactory(name="West", manager=other_manager)
    alice = UserFactory(username="alice", sales_team=east, first_name="Amy", last_name="Lin")
    bob = UserFactory(username="bob", sales_team=east, first_name="Ben", last_name="Bao")
    carol = UserFactory(username="carol", sales_team=east, first_name="Carol", last_name="Chen")
    charlie = UserFactory(
        username="charlie", sales_team=west, first_name="Charlie", last_name="Wang"
    )
    admin = UserFactory(
        username="admin", is_superuser=True, is_staff=True, first_name="Ada", last_name="Root"
    )
    account = AccountFactory(name="Alice's Customer Co", owner=alice)
    TeamMemberFactory(account=account, user=bob, role=AccountTeamRole.PRESALES)
    charlies_account = AccountFactory(name="Charlie's Customer Co", owner=charlie)
    return SimpleNamespace(
        alice=alice,
        bob=bob,
        carol=carol,
        charlie=charlie,
        manager=manager,
        other_manager=other_manager,
        admin=admin,
        east=east,
        west=west,
        account=account,
        charlies_account=charlies_account,
    )


@pytest.fixture
def login(client):
    """`login(user)` signs the test client in as that user and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- services ------------------------------------------------------------------------


@pytest.fixture
def require_postgres(db):
    from django.db import connection

    need(
        connection.vendor == "postgresql",
        "needs PostgreSQL: set DATABASE_URL=postgres://... (.ci/run does)",
    )


# --- the browser ---------------------------------------------------------------------
# Playwright drives the Debian Chromium; it never downloads a browser of its own.


@pytest.fixture
def browser(request, monkeypatch):
    """Chromium, started per test: Playwright's sync API keeps an event loop running in
    this thread while it is open, so Django's async-safety check is relaxed for exactly
    that time (the test body's database calls are still synchronous and safe) and never
    leaks into later tests or subprocesses such as `check --deploy`.

    Every context it opens blocks the app's service worker unless the test is marked
    `service_worker`: the worker keeps the rep's pages in the background, requests beside
    the test's own (on SQLite the live server shares one database connection between its
    threads; an accessibility walk once hung CI on it)."""
    need(
        os.path.exists(CHROMIUM) or shutil.which("chromium") is not None,
        f"needs Chromium at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei",
    )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The service worker's own requests go through `context.route` too, so a test can
    # take the network away from it (`context.set_offline` alone leaves its fetches
    # online): keyaccounts/tests/test_offline_browser.py.
    monkeypatch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        workers = "allow" if request.node.get_closest_marker("service_worker") else "block"
        new_context = browser.new_context

        def new_context_blocking_workers(*args, **kwargs):
            kwargs.setdefault("service_workers", workers)
            return new_context(*args, **kwargs)

        browser.new_context = new_context_blocking_workers
        yield browser
        # Django keeps separate connections while an event loop runs: close the ones
        # opened in that time now, or they outlive the test and PostgreSQL refuses to
        # drop the test database at the end of the run.
        from django.db import connections

        connections.close_all()
        browser.close()


class _OneRequestAtATime:
    """A WSGI app that lets one request at a time into `app`, from its call until its
    response is closed (a streamed body reads the database too)."""

    def __init__(self, app, lock):
        self.app, self.lock = app, lock

    def __call__(self, environ, start_response):
        self.lock.acquire()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _ReleasedOnClose(body, self.lock)


class _ReleasedOnClose:
    def __init__(self, body, lock):
        self.body, self.lock, self.released = body, lock, False

    def __iter__(self):
        return iter(self.body)

    def close(self):
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            if not self.released:
                self.released = True
                self.lock.release()


def _serialise_sqlite_live_server() -> None:
    """With an in-memory SQLite database the live server's request threads all use the
    test's one connection (Django shares it: the database exists in that connection
    only), and two queries on it at once can deadlock for good — a page and a fetch of
    the browser's at the same moment once held CI until its time ran out. Requests stay
    on threads (keep-alive connections need them) but enter Django one at a time.
    PostgreSQL, where each thread has its own connection, is left concurrent."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class OneRequestAtATimeServer(ThreadedWSGIServer):
        def set_app(self, application):
            if self.connections_override:  # pytest-django passes them for in-memory SQLite
                application = _OneRequestAtATime(application, threading.Lock())
            super().set_app(application)

    LiveServerThread.server_class = OneRequestAtATimeServer


def pytest_configure(config):
    _serialise_sqlite_live_server()
    # Every statement kept compiled is checked against the ORM's own for the real values.
    from keyaccounts import statements

    statements.VERIFY = True


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab at phone width, its base URL the live server (the app's
    service worker blocked unless the test is marked `service_worker`: `browser`)."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


# --- Celery: tasks run inline, or in a real worker when a test asks for one ------------
# Every test runs tasks eagerly (inline, errors propagate), even when REDIS_URL is set,
# so no test leaves a message in a queue that nobody reads. A test that takes the
# `celery_worker_process` fixture gets a real `celery worker` subprocess on Redis
# instead, pointed at this test's PostgreSQL database; with SQLite it cannot be done
# (pytest-django's SQLite test database lives in memory, in this process only).

SERVICE_FIXTURES = {"celery_worker_process", "require_postgres", "redis_server"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test that uses a service fixture is a `services` test even if nobody marked it,
    so `-m "not services"` (the SQLite pass of .ci/run) leaves it out."""
    for item in items:
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session", autouse=True)
def _celery_tasks_run_inline():
    from keyaccounts.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port(ports) -> int:
    """The first of `ports` nothing listens on at 127.0.0.1 (fails the test if none)."""
    import socket

    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {ports}", pytrace=False)


class RedisServer:
    """A throwaway `redis-server` of a test's own, in memory only (no dump, no AOF), on
    127.0.0.1: `stop()` kills it as a crash would (SIGKILL), `start()` brings it back
    on the same port, empty."""

    def __init__(self, binary: str, port: int, workdir):
        self.binary, self.port, self.workdir = binary, port, workdir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self, timeout: float = 15) -> None:
        import subprocess
        import time

        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
                *("--loglevel", "warning"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not _redis_answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"redis-server on port {self.port} did not start", pytrace=False)
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    """A `RedisServer` on a free port in 8550-8599, started; stopped at teardown. Skipped
    without redis-server on a developer's machine, failed under CI."""
    binary = shutil.which("redis-server")
    need(binary is not None, "needs redis-server: apt-get install redis-server")
    server = RedisServer(binary, free_port(range(8550, 8600)), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def worker_on_redis_server(
    redis_server, workdir, *, mail_dir, email_delay: float, worker_cls=None, log_lines: int = 120
):
    """A prefork worker, and this process's Celery app, on `redis_server` (a Redis of the
    test's own, to restart), emails written slowly to `mail_dir`; the app's broker put
    back after. Needs the test database on PostgreSQL (the caller checks)."""
    from django.db import connection

    from keyaccounts.celery import app

    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager)
    app.conf.broker_url = app.conf.result_backend = redis_server.url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_server.url,
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "TEST_EMAIL_BACKEND": "visits.tests.slow_email_backend.EmailBackend",
        "TEST_EMAIL_DIR": str(mail_dir),
        "TEST_EMAIL_DELAY": str(email_delay),
    }
    worker = (worker_cls or CeleryWorkerProcess)(app, env, workdir)
    worker.pool = "prefork"
    try:
        worker.start()
        yield worker
    finally:
        worker.stop(timeout=15)
        app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = saved
        app._pool = None
        app.amqp._producer_pool = None
        print(f"--- celery worker {worker.hostname} log ---\n{worker.log(log_lines)}")


def _database_url(settings_dict: dict) -> str:
    """The URL of the database this connection uses (inside a test: the test database)."""
    from urllib.parse import quote, urlencode

    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    name = quote(settings_dict["NAME"], safe="")
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{credentials}{host}{port}/{name}{query}"


def _reset_broker(app, redis_url: str) -> None:
    """Drop queued and unacknowledged messages, so no task from an earlier test (say one
    whose worker a test SIGKILLed) is delivered to this test's worker."""
    import redis

    app.control.purge()
    redis.Redis.from_url(redis_url).delete("unacked", "unacked_index", "unacked_mutex")


class CeleryWorkerProcess:
    """A real `celery worker` subprocess (solo pool unless `pool` says, one task at a time).

    It consumes every queue (settings: CELERY_TASK_QUEUES), as `make worker` does; set
    `queues` ("scoring,imports") before `start()` for a worker of some queues only.
    `stop(signal.SIGKILL)` kills it the hard way, as a crash would; `restart()` starts a
    new one under the same name; `log()` is what it printed.
    """

    def __init__(self, app, env: dict, workdir):
        import socket
        import uuid

        self.app = app
        self.env = env
        self.hostname = f"keyaccounts-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        self.pidfile = workdir / "celery-worker.pid"
        self.logfile = workdir / "celery-worker.log"
        self.process = None
        self.queues: str | None = None
        self.pool = "solo"  # or "prefork" (one child), as production runs it

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self, lines: int = 60) -> str:
        if not self.logfile.exists():
            return ""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def start(self, timeout: float = 30) -> None:
        import signal
        import subprocess
        import sys
        import time

        if self.is_alive():
            raise RuntimeError(f"worker {self.hostname} is already running")
        self.pidfile.unlink(missing_ok=True)
        command = [
            *(sys.executable, "-m", "celery", "-A", "keyaccounts", "worker"),
            *(f"--pool={self.pool}", "--concurrency=1", "--loglevel=warning"),
            *("--hostname", self.hostname, "--pidfile", str(self.pidfile)),
            *("--without-gossip", "--without-mingle"),
            *(("--queues", self.queues) if self.queues else ()),
        ]
        with open(self.logfile, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_alive():
                pytest.fail(
                    f"celery worker exited with {self.process.returncode} while starting:\n"
                    f"{self.log()}",
                    pytrace=False,
                )
            replies = self.app.control.ping(destination=[self.hostname], timeout=0.5)
            if any(self.hostname in reply for reply in replies):
                return
        self.stop(signal.SIGKILL)
        pytest.fail(
            f"celery worker did not answer a ping within {timeout:.0f} s:\n{self.log()}",
            pytrace=False,
        )

    def stop(self, sig: int | None = None, timeout: float = 30) -> int | None:
        """Send `sig` (default SIGTERM: a warm shutdown) and wait for the worker to exit,
        SIGKILLing it after `timeout`. Returns its exit code (negative: that signal)."""
        import signal
        import subprocess

        sig = signal.SIGTERM if sig is None else sig
        if self.process is None:
            return None
        if self.is_alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def restart(self, timeout: float = 30) -> None:
        self.stop()
        self.start(timeout)


@pytest.fixture
def celery_worker_env() -> dict:
    """Extra environment variables for the `celery_worker_process` subprocess; override
    this fixture in a test module (e.g. to give the worker a file-writing email backend)."""
    return {}


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path, celery_worker_env):
    """A real Celery worker on Redis, sharing this test's PostgreSQL database.

    Data a test writes is committed (the fixture makes the test transactional), so the
    worker sees it. While the worker runs, `.delay()` sends through Redis instead of
    running inline. The worker is stopped at teardown; its log is printed then, so a
    failing test shows it. `celery_worker_env` adds to its environment.
    """
    from django.conf import settings
    from django.db import connection

    from keyaccounts.celery import app

    redis_url = getattr(settings, "REDIS_URL", "") or ""
    need(
        connection.vendor == "postgresql" and bool(redis_url) and _redis_answers(redis_url),
        "needs PostgreSQL+Redis: set DATABASE_URL=postgres://... and REDIS_URL=redis://... "
        "with both answering (.ci/run does); a worker process cannot share SQLite's "
        f"in-memory test database (database: {connection.vendor}, "
        f"REDIS_URL: {redis_url or 'unset'})",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        **celery_worker_env,
    }
    _reset_broker(app, redis_url)
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = CeleryWorkerProcess(app, env, tmp_path)
    try:
        worker.start()
        yield worker
    finally:
        worker.stop(timeout=15)
        app.conf.task_always_eager = saved_eager
        _reset_broker(app, redis_url)
        print(f"--- celery worker {worker.hostname} log ---\n{worker.log()}")


def browser_log_in(page, username: str, *, lands_on: str = "/my-week/") -> None:
    """Sign in through the login form as a persona (password from the factories) and
    wait for the page it lands on: "my week" unless `lands_on` names another path."""
    import re

    from playwright.sync_api import expect

    page.goto("/login/" if lands_on == "/my-week/" else f"/login/?next={lands_on}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(lands_on) + "$"))
    # The address changes when the page starts to arrive: wait for it whole, its deferred
    # scripts run (a click on the board's "Move…" before board.js had run followed the
    # link to the plain page, once in a CI run under load).
    page.wait_for_load_state("load")


# --- the REST API ----------------------------------------------------------------------


@pytest.fixture
def api():
    """`api(user)`: a DRF APIClient signed in as that user with a real token;
    `api()`: one without credentials."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def _api(user=None):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return _api


def in_threads(*targets):
    """Run each target in its own thread, all released together; return their results."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's own connections

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def assert_not_found_for(client, pages, *, hidden_words=("Alice", "Secret")) -> None:
    """Every (method, url, data) in `pages` answers 404 to this client, and the 404 page
    names nothing it hides. Pages of every app's visibility tests go through this."""
    for method, url, data in pages:
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 404, (method, url)
        html = response.content.decode()
        assert not any(word in html for word in hidden_words), url


def assert_pages_open_for(client, pages) -> None:
    """Every GET among `pages` answers 200 to this client."""
    for method, url, _data in pages:
        if method == "get":
            assert client.get(url).status_code == 200, url


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_site_language():
    """LocaleMiddleware activates a request's language for the thread and leaves it
    there: a test that asked for a Chinese page must not make the next test Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
