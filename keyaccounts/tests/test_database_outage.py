"""PostgreSQL restarted under a running server: while it is down, pages answer a plain 503
page in the user's language and the API its JSON error, both with Retry-After, and the
health check says the database is down; once it is back the same server process answers
200 again, without a restart.

A PostgreSQL cluster of the test's own (initdb + pg_ctl on a free port in 8560-8569, as
.ci/replica.sh makes its clusters) and a gunicorn of production's settings
(outage_settings.py: DEBUG off, connections kept for CONN_MAX_AGE with health checks) on
a free port in 8570-8599. Needs PostgreSQL's server binaries and, as root, the postgres
user to run them.
"""

import glob
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from keyaccounts.pytest_plugin import free_port, need

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found and os.path.exists(f"{found[-1]}/pg_ctl") else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    def __init__(self, pg_bin: str, port: int):
        self.pg_bin, self.port = pg_bin, port
        self.work = tempfile.mkdtemp(prefix="keyaccounts-outage-")
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        os.chmod(self.work, 0o700)
        self.data = f"{self.work}/data"

    def run(self, *command: str) -> None:
        subprocess.run(
            _as_postgres([f"{self.pg_bin}/{command[0]}", *command[1:]]),
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )

    def init(self) -> None:
        self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "outage")

    def start(self) -> None:
        self.run(
            *("pg_ctl", "-D", self.data, "-l", f"{self.work}/server.log", "-w", "-t", "60"),
            *("-o", f"-p {self.port} -k {self.work} -c listen_addresses=127.0.0.1", "start"),
        )

    def stop(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if os.path.exists(f"{self.data}/postmaster.pid"):
            subprocess.run(
                _as_postgres([f"{self.pg_bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"]),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.work, ignore_errors=True)


class Server:
    """gunicorn, one sync worker, against the cluster."""

    def __init__(self, env: dict, port: int, workdir: Path):
        self.env, self.port, self.workdir = env, port, workdir
        self.process = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with open(self.workdir / "gunicorn.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    *(str(gunicorn), "keyaccounts.wsgi", "--bind", f"127.0.0.1:{self.port}"),
                    *("--workers", "1", "--timeout", "60", "--log-level", "warning"),
                ],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log()}", pytrace=False)
            try:
                self.get("/login/")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer:\n{self.log()}", pytrace=False)

    def workers(self) -> set[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in path.read_text().split()}

    def get(self, path: str, **headers):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def log(self) -> str:
        path = self.workdir / "gunicorn.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
from accounts.models import User
user = User.objects.create_user("alice", password="pw-for-the-outage-test")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(Token.objects.create(user=user).key, session.session_key)
"""


@pytest.fixture
def outage(tmp_path):
    pg_bin = _pg_bin()
    need(
        pg_bin is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None),
        "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and, as root, runuser",
    )
    cluster = Cluster(pg_bin, free_port(range(8560, 8570)))
    server = None
    try:
        cluster.init()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"REDIS_URL", "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="keyaccounts.tests.outage_settings",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{cluster.port}/outage",
            DEBUG="0",
            SECRET_KEY="outage-test-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            CONN_MAX_AGE="60",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        made = subprocess.run(
            [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True
        )
        token, session = made.stdout.decode().split()[-2:]
        server = Server(env, free_port(range(8570, 8600)), tmp_path)
        server.start()
        yield cluster, server, {"token": token, "session": session}
    finally:
        if server is not None:
            server.stop()
        cluster.remove()


def test_a_database_restart_answers_503_with_retry_after_then_recovers_by_itself(outage):
    cluster, server, login = outage
    page = {"Cookie": f"sessionid={login['session']}", "Accept-Language": "zh-hans"}
    api = {"Authorization": f"Token {login['token']}", "Accept": "application/json"}

    # Up: the page and the API answer, and the worker keeps its database connection.
    assert server.get("/my-week/", **page)[0] == 200
    assert server.get("/api/v1/accounts/", **api)[0] == 200
    workers = server.workers()

    cluster.stop()

    status, headers, body = server.get("/my-week/", **page)
    assert status == 503, body[:500]
    assert int(headers["Retry-After"]) > 0
    assert '<html lang="zh-hans">' in body  # the user's language
    assert "<h1>" in body and "/static/css/app.css" in body
    status, headers, body = server.get("/api/v1/accounts/", **api)
    assert status == 503, body[:500]
    assert int(headers["Retry-After"]) > 0
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "service_unavailable"
    status, _headers, body = server.get("/healthz/")
    assert status == 503
    assert json.loads(body)["status"] == "down"
    assert json.loads(body)["database"]["status"] == "degraded"  # anyone: no details

    cluster.start()

    # The first request after the restart is served: the stale connection is replaced.
    assert server.get("/my-week/", **page)[0] == 200
    assert server.get("/api/v1/accounts/", **api)[0] == 200
    status, _headers, body = server.get("/healthz/")
    assert status == 200 and json.loads(body)["database"]["status"] == "ok"
    assert server.workers() == workers  # the same worker process throughout
    assert server.process.poll() is None
