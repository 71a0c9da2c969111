"""GET /healthz/: each part the app depends on, 200 while the app can serve; the details
for staff and a monitor's token only, anyone else the statuses alone.

Redis stopped: test_redis_down.py; the database stopped (503): test_database_outage.py.
"""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from keyaccounts.celery import app
from visits.tasks import reminders_scan

pytestmark = pytest.mark.django_db

RUN_KEY = "keyaccounts:periodic-run:{}"
TOKEN = "monitor-secret-3f9a"


@pytest.fixture(autouse=True)
def monitor_token(settings):
    settings.HEALTHZ_TOKEN = TOKEN


def details(client):
    """/healthz/ as a monitor that sends the token."""
    return client.get("/healthz/", HTTP_X_HEALTHZ_TOKEN=TOKEN)


@pytest.fixture
def with_a_broker():
    """As with REDIS_URL: tasks are queued for a worker, and beat schedules them (the
    broker itself is not asked in these tests: the memory transport)."""
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, "memory://"
    cache.clear()
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved


def test_without_redis_every_part_is_ok_and_tasks_run_inline(client):
    response = details(client)

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["database"]["ms"] >= 0
    assert body["cache"] == {"status": "ok", "shared": False}
    assert body["broker"] == {"status": "inline"}
    assert body["beat"] == {"status": "inline"}


def test_a_periodic_task_that_ran_is_the_last_beat_run(client, with_a_broker, settings):
    before = timezone.now()
    reminders_scan.apply()  # as a worker runs what beat sent: the task_postrun signal

    beat = details(client).json()["beat"]

    scan = beat["tasks"]["visits.tasks.reminders_scan"]
    assert scan["status"] == "ok" and scan["last_state"] == "SUCCESS"
    assert before <= datetime.datetime.fromisoformat(scan["last_run"]) <= timezone.now()
    assert beat["last_run"] == scan["last_run"]
    never_ran = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - {
        "visits.tasks.reminders_scan"
    }
    assert {beat["tasks"][name]["status"] for name in never_ran} == {"unknown"}
    assert beat["status"] == "ok"


def test_a_periodic_task_overdue_by_more_than_its_period_makes_beat_late(client, with_a_broker):
    # Every 5 minutes; last seen 11 minutes ago, so due 6 minutes ago.
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    cache.set(
        RUN_KEY.format("scoring.tasks.rescore_pending"),
        {"at": long_ago.isoformat(), "state": "SUCCESS"},
        None,
    )

    response = details(client)

    body = response.json()
    assert response.status_code == 200  # the app still serves
    assert body["status"] == "degraded"
    assert body["beat"]["status"] == "late"
    assert body["beat"]["tasks"]["scoring.tasks.rescore_pending"]["status"] == "late"


def test_a_nightly_task_that_ran_last_night_is_not_late(client, with_a_broker, settings):
    nightly = timezone.localtime().replace(
        hour=settings.SCORING_NIGHTLY_HOUR, minute=0, second=5, microsecond=0
    )
    if nightly > timezone.localtime():
        nightly -= datetime.timedelta(days=1)
    cache.set(
        RUN_KEY.format("scoring.tasks.rescore_all"),
        {"at": nightly.isoformat(), "state": "SUCCESS"},
        None,
    )

    tasks = details(client).json()["beat"]["tasks"]

    assert tasks["scoring.tasks.rescore_all"]["status"] == "ok"


# --- who sees what ------------------------------------------------------------------------

PARTS = {"status", "database", "cache", "broker", "beat"}


def test_anyone_gets_only_the_statuses(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": {"status": "ok"},
        "cache": {"status": "ok"},
        "broker": {"status": "ok"},
        "beat": {"status": "ok"},
    }


def test_anyone_learns_a_part_is_degraded_but_not_why_or_how_much(client, with_a_broker):
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    cache.set(
        RUN_KEY.format("scoring.tasks.rescore_pending"),
        {"at": long_ago.isoformat(), "state": "SUCCESS"},
        None,
    )

    response = client.get("/healthz/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["beat"] == {"status": "degraded"}
    assert set(body) == PARTS
    assert "rescore" not in response.content.decode()
    assert long_ago.isoformat()[:16] not in response.content.decode()


@pytest.mark.parametrize("header", [None, "", "wrong", TOKEN + "x", TOKEN.upper()])
def test_a_missing_or_wrong_token_gets_only_the_statuses(client, header):
    headers = {} if header is None else {"HTTP_X_HEALTHZ_TOKEN": header}

    body = client.get("/healthz/", **headers).json()

    assert all(body[part] == {"status": "ok"} for part in PARTS - {"status"}), body


def test_no_token_is_accepted_when_none_is_set(client, settings):
    settings.HEALTHZ_TOKEN = ""

    body = client.get("/healthz/", HTTP_X_HEALTHZ_TOKEN="").json()

    assert body["database"] == {"status": "ok"}


def test_staff_and_the_monitor_see_the_details_and_a_rep_does_not(client, personas):
    assert "ms" in details(client).json()["database"]
    client.force_login(personas.alice)
    assert client.get("/healthz/").json()["database"] == {"status": "ok"}
    client.force_login(personas.admin)  # staff
    assert "ms" in client.get("/healthz/").json()["database"]
