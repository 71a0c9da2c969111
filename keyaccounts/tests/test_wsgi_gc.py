"""The WSGI entry point freezes what the process loads once (keyaccounts/wsgi.py): what
importing the project made, and what the first requests loaded, so that Python's full
collections stop walking it on every tenth request. Run in a child process: freezing is
for the whole process, and the test run keeps Python's defaults."""

import json
import subprocess
import sys
import textwrap

from django.conf import settings

CHILD = textwrap.dedent(
    """
    import gc, json, os
    assert gc.get_freeze_count() == 0
    from keyaccounts import wsgi
    from django.core.signals import request_finished
    at_import = gc.get_freeze_count()
    kept = []
    for i in range(wsgi.FREEZE_AFTER):
        before = gc.get_freeze_count()
        kept.append([[i] for i in range(1000)])  # what a request loads and keeps
        request_finished.send(sender=None)
    after = gc.get_freeze_count()
    kept.append([[i] for i in range(1000)])
    request_finished.send(sender=None)
    print(json.dumps({"import": at_import, "before_last": before, "after": after,
                      "later": gc.get_freeze_count()}))
    """
)


def _child(script: str, *args: str) -> dict:
    """What `script`, run in a process of its own, printed last (JSON)."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings", "PATH": ""},
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_entry_point_freezes_what_it_loads_then_what_the_first_requests_load():
    counts = _child(CHILD)
    assert counts["import"] > 10_000  # the project's modules, models, apps
    # Nothing more until the last of the first requests has been answered…
    assert counts["before_last"] == counts["import"]
    # …then what they loaded and kept, once.
    assert counts["after"] >= counts["import"] + 20_000
    assert counts["later"] == counts["after"]


FULL = textwrap.dedent(
    """
    import gc, json, sys
    full = []
    gc.callbacks.append(
        lambda phase, info: full.append(1) if phase == "stop" and info["generation"] == 2 else None
    )

    def request():
        # What a changes page of 500 records holds until it is answered, 100,000 objects,
        # in cycles (a DRF serializer and its fields, an account and its score).
        held = []
        for i in range(100_000):
            row = [i]
            row.append(row)
            held.append(row)
        return len(held)

    if sys.argv[1] == "python":
        gc.freeze()  # frozen as the entry point does, with Python's thresholds
    else:
        from django.core.signals import request_finished
        from keyaccounts import wsgi
        if sys.argv[1] == "entry, nothing between":
            request_finished.disconnect(dispatch_uid="keyaccounts-gc-between")
    during = []
    for _ in range(5):
        full.clear()
        request()
        during.append(len(full))
        if sys.argv[1] != "python":
            request_finished.send(sender=None)  # answered: the handler's signal
    left = sum(1 for o in gc.get_objects() if type(o) is list and len(o) == 2 and o[1] is o)
    print(json.dumps({"during": during, "left": left}))
    """
)


def test_full_collections_run_between_requests_not_during_them():
    python = _child(FULL, "python")
    entry = _child(FULL, "entry")
    nothing_between = _child(FULL, "entry, nothing between")
    # Frozen with Python's thresholds, each request of 100,000 objects paid a full
    # collection (walking all it held); behind the entry point, none.
    assert min(python["during"]) >= 1
    assert entry["during"] == [0] * 5
    # What the requests left in cycles is collected after they are answered: at most the
    # last request's is waiting. Without the collection between requests, all of it.
    assert entry["left"] <= 100_000
    assert nothing_between["left"] >= 400_000
