"""A small, bounded HTTP load against a running keyaccounts server (docs/scaling.md).

    python bench/http_load.py --base http://127.0.0.1:8765 --user rep1 \
        --concurrency 4 --requests 200 /my-week/ /accounts/ /api/v1/accounts/

Signs in once per client thread (the login form for pages, a token for /api/ paths),
then, for each path in turn, sends `--requests` GETs from `--concurrency` threads at
once, and prints a Markdown table: requests, errors, p50/p95/p99 in ms and requests per
second over the wall time of that path's run. `--mix` instead sends the paths round
robin in one run (what a crowd of users does) and adds one "mix" row. Standard library
only; it never runs longer than `--requests` requests per row, so it is safe on a shared
machine. Use a server of your own on a free port (never 8000).

With `--gunicorn-pid MASTER --database NAME` (Linux, same machine) it also reports the
CPU time one request costs: the gunicorn workers' (the master's children) and the
PostgreSQL backends' serving database NAME, from /proc, before and after each row
(`--replica-pid STANDBY_POSTMASTER`: the standby's backends in a column of their own). On a
machine shared with other work that is the steadier number: latency grows with the
load, CPU per request much less, and cores ÷ CPU per request is what a machine holds.
"""

import argparse
import http.client
import http.cookies
import json
import os
import re
import statistics
import threading
import time
import urllib.parse


class Session:
    """One client: a keep-alive connection, the session cookie, or an API token."""

    def __init__(self, base: str, user: str, password: str):
        url = urllib.parse.urlsplit(base)
        # As long as gunicorn lets a request run (bench/pages_bench.py: --timeout 300): on
        # a machine shared with other work, a slow request is a result, not a crash.
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        self.cookies: dict[str, str] = {}
        self.token = None
        self.headers = None  # the last response's headers
        self.user, self.password = user, password

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        self.headers = response.headers
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            self.cookies.update({key: morsel.value for key, morsel in cookie.items()})
        return response.status, data

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": self.user, "password": self.password, "csrfmiddlewaretoken": token}
        ).encode()
        status, _ = self.request(
            "POST",
            "/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "/login/"},
        )
        if status != 302:
            raise SystemExit(f"signing in as {self.user} answered {status}")
        status, answer = self.request(
            "POST",
            "/api/v1/auth/token/",
            json.dumps({"username": self.user, "password": self.password}).encode(),
            {"Content-Type": "application/json"},
        )
        if status != 200:
            raise SystemExit(f"the token endpoint answered {status}")
        self.token = json.loads(answer)["token"]

    def get(self, path: str) -> int:
        if path.startswith("/api/"):
            saved, self.cookies = self.cookies, {}
            try:
                status, _ = self.request(
                    "GET", path, headers={"Authorization": f"Token {self.token}"}
                )
            finally:
                self.cookies = saved
            return status
        status, _ = self.request("GET", path)
        return status


def cpu_seconds(gunicorn_pid: int | None, database: str | None, replica_pid: int | None):
    """(app, primary, replica) CPU seconds used so far by gunicorn's workers and by the
    PostgreSQL backends connected to `database` (their command line names it): those
    whose parent is the standby's postmaster `replica_pid` count as the replica's."""
    if gunicorn_pid is None:
        return 0.0, 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    app = db = replica = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        used = (int(stat[11]) + int(stat[12])) / tick  # utime + stime
        if int(stat[1]) == gunicorn_pid:  # ppid: a worker of this master
            app += used
        elif database and cmdline.startswith("postgres: ") and f" {database} " in cmdline:
            if int(stat[1]) == replica_pid:
                replica += used
            else:
                db += used
    return app, db, replica


def run(sessions, paths: list[str], total: int) -> tuple[list[float], int, float]:
    """`total` GETs spread over the sessions' threads; (latencies in s, errors, wall s)."""
    latencies, errors, lock = [], [0], threading.Lock()
    counter = iter(range(total))

    def client(session):
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            path = paths[n % len(paths)]
            started = time.perf_counter()
            status = session.get(path)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                if status != 200:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


def measured(args, sessions, paths: list[str], total: int) -> tuple:
    before = cpu_seconds(args.gunicorn_pid, args.database, args.replica_pid)
    latencies, errors, wall = run(sessions, paths, total)
    after = cpu_seconds(args.gunicorn_pid, args.database, args.replica_pid)
    cpu = [(a - b) / len(latencies) for a, b in zip(after, before, strict=True)]
    return latencies, errors, wall, cpu


def row(name: str, latencies: list[float], errors: int, wall: float, cpu, replica=False) -> str:
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    line = (
        f"| {name} | {len(ms)} | {errors} | {statistics.median(ms):.0f} | {q[94]:.0f} "
        f"| {q[98]:.0f} | {len(ms) / wall:.1f} |"
    )
    if cpu is not None:
        line += f" {cpu[0] * 1000:.1f} | {cpu[1] * 1000:.1f} |"
        if replica:
            line += f" {cpu[2] * 1000:.1f} |"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--user", default="rep1")
    parser.add_argument("--password", default="demo12345")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100, help="per row (at most 5000)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed GETs per path first")
    parser.add_argument("--mix", action="store_true", help="one run over all paths")
    parser.add_argument("--gunicorn-pid", type=int, help="the master's pid: CPU per request")
    parser.add_argument("--database", help="the database name, for its backends' CPU")
    parser.add_argument("--replica-pid", type=int, help="the standby's postmaster pid")
    args = parser.parse_args()
    total = min(args.requests, 5000)

    sessions = [Session(args.base, args.user, args.password) for _ in range(args.concurrency)]
    for session in sessions:
        session.sign_in()
    for path in args.paths:
        for _ in range(args.warmup):
            sessions[0].get(path)

    print(f"{args.user}, {args.concurrency} client(s), {total} requests per row\n")
    header = "| path | requests | errors | p50 ms | p95 ms | p99 ms | req/s |"
    if args.gunicorn_pid:
        header += " app CPU ms/req | db CPU ms/req |"
        if args.replica_pid:
            header += " replica CPU ms/req |"
    print(header)
    replica = bool(args.replica_pid)
    print("|---" * (header.count("|") - 1) + "|")
    if args.mix:
        latencies, errors, wall, cpu = measured(args, sessions, args.paths, total)
        name = "mix: " + " ".join(args.paths)
        print(row(name, latencies, errors, wall, cpu if args.gunicorn_pid else None, replica))
    else:
        for path in args.paths:
            latencies, errors, wall, cpu = measured(args, sessions, [path], total)
            print(row(path, latencies, errors, wall, cpu if args.gunicorn_pid else None, replica))


if __name__ == "__main__":
    main()
