"""bench/run.sh: the whole benchmark of issue 9, or a part of it (bench/README.md).

    bench/run.sh                     seed 100,000 accounts, rescoring, then pages and API
    bench/run.sh --small             2,000 accounts: a quick check
    bench/run.sh --reuse             measure the existing database again, no reseeding
    bench/run.sh --only pages        pages and API only (seeding first unless --reuse)
    bench/run.sh --only scoring      rescoring and its two in-process pages only
    bench/run.sh --iterations 50     timed requests per page or API case (default 30)
    bench/run.sh --memory            after the cases, 10,000 requests and the server's RSS
    bench/run.sh --no-write          print the results, leave docs/benchmarks.md alone

Two steps, each its own process: bench/scoring_bench.py (creates and seeds the database
unless --reuse; measures rescoring) and bench/pages_bench.py (gunicorn, every page and API
case beside its floor; writes the table into docs/benchmarks.md). The exit status is the
first failing step's.
"""

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="2,000 accounts: a quick check")
    parser.add_argument("--reuse", action="store_true", help="measure the existing database")
    parser.add_argument("--only", choices=["pages", "scoring"], help="one part only")
    # rescoring (bench/scoring_bench.py)
    parser.add_argument("--rounds", type=int, help="rounds of full rescores (default 1)")
    parser.add_argument("--no-explain", action="store_true", help="no EXPLAIN ANALYZE")
    # pages and API (bench/pages_bench.py)
    parser.add_argument("--iterations", type=int, help="timed requests per case (30)")
    parser.add_argument("--warmup", type=int, help="untimed requests per case first (2)")
    parser.add_argument("--cases", help="only the cases whose name contains this text")
    parser.add_argument("--memory", action="store_true", help="and 10,000 requests, RSS")
    parser.add_argument("--memory-requests", type=int, help="instead of 10,000")
    parser.add_argument("--bulk-items", type=int, help="deals per bulk upsert (500)")
    parser.add_argument("--port", type=int, help="gunicorn's port (default: free in 8300-8399)")
    parser.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md")
    parser.add_argument("--docs", help="write the results into this file instead")
    args = parser.parse_args()

    python = sys.executable
    scoring = [python, "bench/scoring_bench.py"]
    scoring += ["--small"] * args.small + ["--reuse"] * args.reuse
    scoring += ["--no-explain"] * args.no_explain
    scoring += ["--rounds", str(args.rounds)] if args.rounds else []
    steps = []
    if args.reuse:  # the schema of this checkout (a new index, say) on the data there
        steps.append([python, "bench/scoring_bench.py", "--migrate-only"])
    if args.only != "pages":
        steps.append(scoring)
    elif not args.reuse:
        steps.append([*scoring, "--seed-only"])
    if args.only != "scoring":
        label = " ".join(["bench/run.sh", *sys.argv[1:]])
        pages = [python, "bench/pages_bench.py", "--label", label]
        options = ("iterations", "warmup", "cases", "memory_requests", "bulk_items", "port", "docs")
        for option in options:
            value = getattr(args, option)
            if value is not None:
                pages += [f"--{option.replace('_', '-')}", str(value)]
        pages += ["--memory"] * args.memory + ["--no-write"] * args.no_write
        steps.append(pages)
    for step in steps:
        print(f"\n$ {' '.join(step[1:])}", flush=True)
        status = subprocess.run(step, cwd=ROOT).returncode
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
