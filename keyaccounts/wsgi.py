"""The WSGI entry point (gunicorn, runserver).

Garbage collection: Python's full collection walks every object the process holds
that may be in a cycle — a worker's modules, models, URL patterns and compiled
templates, about 190,000 objects — and ran every ten or so requests, adding 50–90 ms to
that request (the API's deal list at 100,000 accounts: p50 45 ms, p95 136 ms). What the
process loads once is moved out of the collector's sight (`gc.freeze()`): what importing
the project made, here, and what the first requests load (the URL resolver, templates),
after the `FREEZE_AFTER`-th request has been answered. Only this entry point does it: a
test run or a management command keeps Python's defaults.

With the process frozen, the oldest generation holds almost nothing, so Python's rule
that holds a full collection back until a quarter as many objects as it holds are
waiting no longer holds it back: a full collection ran after every ten collections of
the middle generation (about 70,000 objects made and kept), two or three times in a
changes page of 500 deals, each walking every object the request still held (9.8 ms a
request on average, 30 ms when it ran). So the full collection waits for the request to
be answered: after a response has been sent, when ten or more collections of the middle
generation have run since the last full one (Python's own cadence), the worker collects
(`_collect_between_requests`), walking only what the requests left behind. During a
request only `FULL_AFTER` of them force one (700,000 objects made and kept: a request
larger than any page). What a request made holds itself in cycles (a DRF serializer
and its fields, an account and its score), so what it leaves is garbage that only a
full collection frees: without the collection between requests the workers grew from
140 to 240 MiB.
"""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

application = get_wsgi_application()

FREEZE_AFTER = 20  # requests answered before the second freeze
FULL_AFTER = 100  # collections of the middle generation that force a full one in a request
FULL_BETWEEN = 10  # …that make one due after the response (Python's own threshold)
_answered = 0


def _freeze_when_warm(**kwargs) -> None:
    """After the FREEZE_AFTER-th request of this process has been answered (its response
    sent): collect what is garbage, then freeze what is left, once."""
    global _answered
    _answered += 1
    if _answered >= FREEZE_AFTER:
        request_finished.disconnect(_freeze_when_warm, dispatch_uid="keyaccounts-gc-freeze")
        gc.collect()
        gc.freeze()


def _collect_between_requests(**kwargs) -> None:
    """After a response has been sent: the full collection, when it is due."""
    if gc.get_count()[2] >= FULL_BETWEEN:
        gc.collect()


gc.freeze()
gc.set_threshold(*gc.get_threshold()[:2], FULL_AFTER)
request_finished.connect(_freeze_when_warm, dispatch_uid="keyaccounts-gc-freeze")
request_finished.connect(_collect_between_requests, dispatch_uid="keyaccounts-gc-between")
