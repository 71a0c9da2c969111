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
request on average, 30 ms when it ran). The oldest generation is collected after
`FULL_AFTER` collections of the middle one instead: what a request leaves in cycles is
still collected, once per 700,000 objects made and kept.
"""

import gc
import os

from django.core.signals import request_finished
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

application = get_wsgi_application()

FREEZE_AFTER = 20  # requests answered before the second freeze
FULL_AFTER = 100  # collections of the middle generation before a full one (Python: 10)
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


gc.freeze()
gc.set_threshold(*gc.get_threshold()[:2], FULL_AFTER)
request_finished.connect(_freeze_when_warm, dispatch_uid="keyaccounts-gc-freeze")
