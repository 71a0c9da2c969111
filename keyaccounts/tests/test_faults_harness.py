"""The load + faults command keeps working (issue 12: "Load and faults, measured").

`bench/faults.sh --quick` is run whole on parts of its own (a PostgreSQL cluster made
with initdb, a redis-server, gunicorn, a Celery worker and beat, on free ports) at a tiny
size, with short phases, and writes its table into a scratch copy of docs/reliability.md
(never the real one). The test checks the run's promises that do not depend on the
machine's speed: every fault was injected and answered again, every visit a rep was told
was saved is saved once, every reminder of those visits was made once and its email sent
once (the one in hand when PostgreSQL restarts too), and no request ever answered 500.
Latencies are bench/'s to report, not a test's.
"""

import datetime
import glob
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from bench.faults import END, START, follow_up_form, hidden_inputs, visit_form, write_results
from keyaccounts.pytest_plugin import free_port, need
from visits.models import Notification, NotificationKind, Visit
from visits.reminders import reminders_scan
from visits.tests.factories import VisitFactory

ROOT = Path(__file__).resolve().parent.parent.parent
FAULTS = ["redis", "postgres", "celery", "gunicorn"]


@pytest.mark.services
def test_the_quick_run_injects_every_fault_and_loses_and_repeats_nothing(tmp_path):
    have_pg = bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    need(
        have_pg and shutil.which("redis-server") is not None,
        "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and redis-server",
    )
    need(os.geteuid() != 0 or shutil.which("runuser") is not None, "as root, needs runuser")
    docs = tmp_path / "reliability.md"
    docs.write_text("# Reliability\n\n## Load and faults, measured\n\nIntro.\n")
    figures = tmp_path / "figures.json"
    # Not under pytest's tmp_path: the cluster runs as postgres, who must reach its files.
    workdir = Path(tempfile.mkdtemp(prefix="keyaccounts-faults-")) / "run"
    command = [
        *(str(ROOT / "bench" / "faults.sh"), "--quick", "--phase", "15"),
        *("--workdir", str(workdir), "--docs", str(docs), "--json", str(figures)),
        *("--pg-port", str(free_port(range(5440, 5450)))),
        *("--redis-port", str(free_port(range(6390, 6400)))),
        *("--http-port", str(free_port(range(8470, 8480)))),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    workdir.parent.chmod(0o755)
    try:
        run = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200
        )
    finally:
        shutil.rmtree(workdir.parent, ignore_errors=True)
    output = (run.stdout + run.stderr)[-6000:]
    assert run.returncode == 0, output

    result = json.loads(figures.read_text())
    assert set(result["faults"]) == set(FAULTS), output
    assert result["load_failures"] == [], output
    for slug in FAULTS:
        fault = result["faults"][slug]
        assert fault["posted"] > 0 and fault["confirmed"] > 0, (slug, output)
        # Told "saved" means saved, once; a refused form is not a lost visit.
        assert fault["visits_saved"] >= fault["confirmed"], (slug, output)
        assert fault["visits_twice"] == 0, (slug, output)
        assert fault["reminders_made"] == fault["reminders_due"] == fault["visits_saved"]
        assert fault["reminders_twice"] == 0, (slug, output)
        # Not even the email in hand when PostgreSQL restarts: its mark is retried until
        # the database answers again (visits/reminders.py).
        assert fault["emails_twice"] == 0, (slug, output)
        assert "500" not in fault["errors"], (slug, output)
    assert result["lost"] == 0, output
    assert result["reminders_unsent"] == 0, output
    # The PostgreSQL restart is seen by the users as 503s (with Retry-After), never a 500.
    written = docs.read_text()
    assert written.startswith("# Reliability\n\n## Load and faults, measured\n\nIntro.\n")
    table = written.split(START)[1].split(END)[0]
    for name in ("Redis restart", "PostgreSQL restart", "Celery worker SIGKILL"):
        assert f"| {name} |" in table
    assert "| gunicorn worker SIGKILL |" in table
    assert "load average" in table


# --- the pieces that need no server ------------------------------------------------------


def test_the_visit_the_harness_posts_is_what_the_form_accepts(personas, login, client):
    login(personas.alice)
    path = f"/accounts/{personas.account.pk}/visits/new/"
    form = visit_form(
        hidden_inputs(client.get(path).content), "faultrun 1 redis alice 1", timezone.localtime()
    )
    assert client.post(path, form).status_code == 302
    visit = Visit.objects.get(purpose="faultrun 1 redis alice 1")
    assert visit.follow_up_due == timezone.localdate()
    # The same form again (a retry after a lost answer) saves nothing more.
    assert client.post(path, form).status_code == 302
    assert Visit.objects.filter(purpose="faultrun 1 redis alice 1").count() == 1
    # The visit makes its reminder at once: a follow-up due today.
    reminders_scan()
    assert (
        Notification.objects.filter(visit=visit, kind=NotificationKind.FOLLOW_UP_DUE).count() == 1
    )


def test_the_follow_up_the_harness_posts_is_what_the_form_accepts(personas, login, client):
    visit = VisitFactory(
        account=personas.account,
        owner=personas.alice,
        follow_up_due=timezone.localdate() + datetime.timedelta(days=3),
    )
    login(personas.alice)
    form = follow_up_form(
        hidden_inputs(client.get(f"/visits/{visit.pk}/").content), "1", timezone.localdate()
    )
    assert client.post(f"/visits/{visit.pk}/follow-up/", form).status_code == 302
    visit.refresh_from_db()
    assert visit.followed_up_on == timezone.localdate()


def test_the_table_goes_between_the_markers_and_replaces_the_last():
    first = write_results("# Reliability\n\nIntro.\n", "### Latest run: one\n")
    assert first.startswith("# Reliability\n\nIntro.\n") and "### Latest run: one" in first
    second = write_results(first + "\n## After\n", "### Latest run: two\n")
    inside = second.split(START)[1].split(END)[0]
    assert "two" in inside and "one" not in inside
    assert second.endswith("\n## After\n")
