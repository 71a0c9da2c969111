"""The number of SQL statements each request ran and their time, in response headers
(bench only).

`bench/server_settings.py` puts this middleware first, so that it counts every statement
of the request: the session and user lookups of the middleware below it, the view, the
template rendering. It wraps each database connection's `execute` for the duration of
the request (`connection.execute_wrapper`, the hook Django's CaptureQueriesContext rests
on, without keeping the SQL text) and answers `X-Bench-Queries: <n>` and
`X-Bench-SQL-Microseconds: <µs>`, the time spent inside those statements' `execute`
(for psycopg2's client-side cursors: sending, the database's work and receiving every
row; not converting the rows to Python values, done as they are fetched, nor what a
server-side cursor fetches later: a lower bound of the statements' cost). The benchmark
(bench/pages_bench.py) reads the headers of the requests it times, so the count and the
time are those of the very requests measured, on the real server.
"""

import time
from contextlib import ExitStack

from django.db import connections

HEADER = "X-Bench-Queries"
SQL_HEADER = "X-Bench-SQL-Microseconds"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0
        spent = 0.0

        def counted(execute, sql, params, many, context):
            nonlocal count, spent
            count += 1
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent += time.perf_counter() - started

        with ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(counted))
            response = self.get_response(request)
        response[HEADER] = str(count)
        response[SQL_HEADER] = str(round(spent * 1_000_000))
        return response
