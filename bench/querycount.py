"""The number of SQL statements each request ran, in a response header (bench only).

`bench/server_settings.py` puts this middleware first, so that it counts every statement
of the request: the session and user lookups of the middleware below it, the view, the
template rendering. It wraps each database connection's `execute` for the duration of
the request (`connection.execute_wrapper`, the hook Django's CaptureQueriesContext rests
on, without keeping the SQL text) and answers `X-Bench-Queries: <n>`. The benchmark
(bench/pages_bench.py) reads the header of the requests it times, so the count is that
of the very requests measured, on the real server.
"""

from contextlib import ExitStack

from django.db import connections

HEADER = "X-Bench-Queries"


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(counted))
            response = self.get_response(request)
        response[HEADER] = str(count)
        return response
