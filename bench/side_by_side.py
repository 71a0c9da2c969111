"""Two checkouts of the project served side by side, their pages requested in turn: an A/B
measure of a change over HTTP, as production serves it.

Measures taken one after the other drift on a shared machine (the page cache, other
work), and a page measured in-process can move the other way from the same page under
gunicorn (docs/benchmarks.md, "2026-12-02, late"). This starts gunicorn (2 sync workers,
`bench.server_settings`, as bench/pages_bench.py does) from each checkout on the same
database at once, signs the persona in on both, and requests each path from A and B
alternately (A first on even rounds, B first on odd ones), after a few untimed requests.

    git worktree add /tmp/before HEAD~3 && ln -s "$PWD/.venv" /tmp/before/.venv
    .venv/bin/python bench/side_by_side.py --before /tmp/before --user manager \\
        /pipeline/ /accounts/ -n 40

Prints, per path, each side's p50 and p95 in ms and the change of the p50. The database
is `keyaccounts_bench` (`BENCH_DATABASE`), seeded by bench/run.sh.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages_bench  # noqa: E402
from bench.http_load import Session  # noqa: E402
from bench.scoring_bench import environment  # noqa: E402


def serve(root: Path, env: dict, name: str) -> pages_bench.Server:
    pages_bench.ROOT = root  # the checkout gunicorn runs in (its cwd)
    server = pages_bench.Server(
        dict(env, PYTHONPATH=str(root)),
        pages_bench.free_port(),
        Path(f"/tmp/bench-side-by-side-{name}.log"),
    )
    server.start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, type=Path, help="the other checkout")
    parser.add_argument("--user", default="rep1", help="a persona of the seeded data")
    parser.add_argument("-n", type=int, default=40, help="timed requests per side and path")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    env = environment()
    env["DJANGO_SETTINGS_MODULE"] = "bench.server_settings"
    env["API_THROTTLE_RATE"] = "1000000/min"
    env["REDIS_URL"] = os.environ.get("BENCH_CACHE_REDIS_URL", "redis://127.0.0.1:6379/11")
    sides = {"before": args.before.resolve(), "after": ROOT}
    servers = {}
    try:
        for name, root in sides.items():
            servers[name] = serve(root, env, name)
        sessions = {}
        for name, server in servers.items():
            sessions[name] = Session(server.base, args.user, pages_bench.PASSWORD)
            sessions[name].sign_in()
        print(f"{args.user}: before = {sides['before']}, after = {sides['after']}")
        for path in args.paths:
            times = {name: [] for name in servers}
            for name in servers:
                for _ in range(args.warmup):
                    sessions[name].request("GET", path)
            for round_ in range(args.n):
                order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
                for name in order:
                    started = time.perf_counter()
                    status, _body = sessions[name].request("GET", path)
                    times[name].append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        raise SystemExit(f"{name} {path}: {status}")
            p50 = {name: statistics.median(t) for name, t in times.items()}
            p95 = {name: sorted(t)[max(0, int(len(t) * 0.95) - 1)] for name, t in times.items()}
            change = (p50["after"] / p50["before"] - 1) * 100
            print(
                f"  {path}: before p50 {p50['before']:.1f} p95 {p95['before']:.1f}, "
                f"after p50 {p50['after']:.1f} p95 {p95['after']:.1f} ({change:+.0f} % p50)",
                flush=True,
            )
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
