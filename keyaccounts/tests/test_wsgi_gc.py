"""The WSGI entry point freezes what the process loads once (keyaccounts/wsgi.py): what
importing the project made, and what the first requests loaded, so that Python's full
collections stop walking it on every tenth request. Run in a child process: freezing is
for the whole process, and the test run keeps Python's defaults."""

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


def test_the_entry_point_freezes_what_it_loads_then_what_the_first_requests_load():
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings", "PATH": ""},
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    import json

    counts = json.loads(result.stdout.strip().splitlines()[-1])
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
        # What a changes page of 500 records holds until it is answered: 200,000 objects.
        held = [[i] for i in range(200_000)]
        return len(held)

    if sys.argv[1] == "entry":
        from keyaccounts import wsgi  # noqa: F401
    else:
        gc.freeze()  # frozen as the entry point does, with Python's thresholds
    full.clear()
    request()
    during = len(full)
    # Requests that leave cycles behind: the oldest generation is still collected.
    for _ in range(20):
        for _ in range(50_000):
            a = []
            a.append(a)
    left = sum(1 for o in gc.get_objects() if type(o) is list and len(o) == 1 and o[0] is o)
    print(json.dumps({"during": during, "after": len(full), "left": left}))
    """
)


def _full_collections(mode):
    result = subprocess.run(
        [sys.executable, "-c", FULL, mode],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings", "PATH": ""},
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_large_request_runs_no_full_collection_yet_cycles_are_still_collected():
    python = _full_collections("python")
    entry = _full_collections("entry")
    # Frozen with Python's thresholds, one request of 200,000 objects paid full
    # collections (each walking all it held); behind the entry point, none.
    assert python["during"] >= 2
    assert entry["during"] == 0
    # A million cycles left behind: full collections ran, and fewer were left waiting
    # than were made.
    assert entry["after"] >= 1
    assert entry["left"] < 1_000_000 // 2
