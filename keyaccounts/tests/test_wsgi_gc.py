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
