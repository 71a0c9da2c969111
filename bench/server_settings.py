"""Settings of the gunicorn server that bench/pages_bench.py measures over HTTP.

`bench.settings` (DEBUG off), and four differences: three so that a request costs what it
costs in production, one that adds what the cases are read against:

- Celery tasks are queued, not run inline. Without REDIS_URL the project runs them
  inline (`CELERY_TASK_ALWAYS_EAGER`), so a write's after-commit nudge (a rescore of the
  changed accounts) would run inside the request and be timed with it; in production a
  worker runs it. Here they go to Celery's in-process memory transport, where nothing
  consumes them: what they would have done stays recorded in the database (rescore
  requests; the benchmark runs `rescore_pending` once at the end, as a worker would).
- the cache is Redis (`BENCH_CACHE_REDIS_URL`, db 11 by default), as it is for several web
  processes in production: the page snapshots of the dashboard and the analytics
  (keyaccounts/snapshots/) are on only with a shared cache;
- the URLs are the project's and two answers that do no work of their own
  (`bench.urls`): the framework's floor, measured beside the cases;
- `bench.querycount.QueryCountMiddleware` comes first and answers each request's number
  of SQL statements in the `X-Bench-Queries` header.

A request that fails logs its traceback (gunicorn's log; `bench.settings` silences it for
the in-process pages). The API's per-user throttle is raised by the benchmark's environment
(`API_THROTTLE_RATE`), so thousands of requests from one user measure the work, not the
limit.
"""

from bench.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
