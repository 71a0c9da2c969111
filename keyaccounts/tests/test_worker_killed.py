"""A Celery worker killed (SIGKILL) in the middle of a task: its work is finished by the
next worker within 2 minutes, with nothing done twice (issue 12, docs/reliability.md).

Measured with the project's own settings, not a shortened redelivery: the worker runs
`keyaccounts.test_settings` (the production CELERY_* values) and its visibility timeout is
not overridden. The worker mails through `visits/tests/slow_email_backend.py` (one file
per message sent), so a reminder sent twice shows as two files with one Message-ID.
"""

import signal
import time

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from keyaccounts.pytest_plugin import CeleryWorkerProcess, worker_on_redis_server
from visits.models import Notification
from visits.reminders import message_id
from visits.tasks import reminders_scan
from visits.tests.factories import VisitFactory
from visits.tests.slow_email_backend import message_files

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PROMISED_SECONDS = 120
REMINDERS = 60
BLOCK_AFTER = 20  # killed while sending the 21st email of 60


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def celery_worker_env(request, mail_dir):
    return {
        "TEST_EMAIL_BACKEND": "visits.tests.slow_email_backend.EmailBackend",
        "TEST_EMAIL_DIR": str(mail_dir),
        **getattr(request, "param", {}),
    }


def wait_for(condition, timeout: float, what: str, *workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {w.hostname} ---\n{w.log()}" for w in workers)
    pytest.fail(f"{what} within {timeout:.0f} s; worker logs:\n{logs}", pytrace=False)


def all_sent_once(mail_dir) -> bool:
    sent = Notification.objects.filter(email_sent_at__isnull=False).count()
    return sent == REMINDERS and len(message_files(mail_dir)) == REMINDERS


def assert_each_reminder_sent_exactly_once(mail_dir) -> None:
    notifications = list(Notification.objects.all())
    keys = {(n.kind, n.object_key, n.due_date, n.recipient_id) for n in notifications}
    assert len(notifications) == len(keys) == REMINDERS, "a reminder was made twice"
    assert all(n.email_sent_at is not None for n in notifications)
    assert message_files(mail_dir) == {message_id(n): 1 for n in notifications}, (
        "an email went out twice, or not at all"
    )


def due_follow_ups(personas, count: int) -> None:
    today = timezone.localdate()
    for _ in range(count):
        VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=today)


def test_the_settings_promise_redelivery_within_two_minutes():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    # The sweep that hands back a dead worker's message runs every few seconds.
    assert options["visibility_timeout"] + options["unacked_restore_interval"] < 110


@pytest.mark.parametrize(
    "celery_worker_env",
    [{"TEST_EMAIL_BLOCK_AFTER": str(BLOCK_AFTER), "TEST_EMAIL_DELAY": "0.01"}],
    indirect=True,
)
def test_a_scan_whose_worker_is_killed_is_finished_by_the_next_within_two_minutes(
    personas, celery_worker_process, mail_dir
):
    worker = celery_worker_process
    due_follow_ups(personas, REMINDERS)

    reminders_scan.delay()
    wait_for(
        lambda: (mail_dir / "blocked").exists(),
        60,
        f"the worker did not reach email {BLOCK_AFTER + 1}",
        worker,
    )
    assert Notification.objects.count() == REMINDERS
    assert Notification.objects.filter(email_sent_at__isnull=False).count() == BLOCK_AFTER

    assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
    killed_at = time.monotonic()
    worker.start()  # another worker: beat's next scan is 15 minutes away

    wait_for(
        lambda: all_sent_once(mail_dir),
        PROMISED_SECONDS,
        "the killed scan's reminders were not all sent",
        worker,
    )
    finished_after = time.monotonic() - killed_at
    assert finished_after < PROMISED_SECONDS
    time.sleep(3)  # a late duplicate, if any, would land now
    assert_each_reminder_sent_exactly_once(mail_dir)
    print(f"the killed scan was finished {finished_after:.1f} s after the kill")


@pytest.mark.parametrize(
    "celery_worker_env",
    [{"TEST_EMAIL_DELAY": "0.15", "CELERY_VISIBILITY_TIMEOUT": "4"}],
    indirect=True,
)
def test_a_task_redelivered_while_it_still_runs_is_not_run_beside_it(
    personas, celery_worker_process, celery_worker_env, mail_dir, tmp_path
):
    # The scan takes about 9 s; Redis hands its message to the second worker after 4 s.
    first = celery_worker_process
    due_follow_ups(personas, REMINDERS)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second = CeleryWorkerProcess(first.app, first.env, second_dir)
    second.start()
    try:
        reminders_scan.delay()
        wait_for(lambda: all_sent_once(mail_dir), 90, "the reminders were not sent", first, second)
        # The second worker was handed the message while the first ran it, and waited.
        wait_for(
            lambda: (
                "still running in another worker" in second.log(400)
                or "still running in another worker" in first.log(400)
            ),
            30,
            "no worker was handed the running task's message",
            first,
            second,
        )

        time.sleep(5)  # a copy run beside the first would send its emails again
        assert_each_reminder_sent_exactly_once(mail_dir)
    finally:
        second.stop(timeout=15)
        print(f"--- second worker log ---\n{second.log()}")


# --- Redis restarted under a worker that holds a message ---------------------------------


@pytest.fixture
def worker_on_own_redis(transactional_db, redis_server, tmp_path, mail_dir):
    """A worker and the app on `redis_server` (a Redis of the test's own, to restart)."""
    from django.db import connection

    need_postgres = connection.vendor == "postgresql"
    if not need_postgres:
        pytest.skip("needs PostgreSQL: a worker process cannot share SQLite's test database")
    with worker_on_redis_server(
        redis_server, tmp_path, mail_dir=mail_dir, email_delay=4, log_lines=120
    ) as worker:
        yield worker


def test_a_worker_that_holds_a_message_when_redis_restarts_works_on_once_supervised(
    personas, redis_server, worker_on_own_redis, mail_dir
):
    """Redis restarts (empty) while a worker holds a message. Kombu 5.7 could end the
    worker then; `keyaccounts/celery_compat.py` guards it (test_worker_redis_restart.py
    proves the worker lives), and production still runs workers under a supervisor, so
    this test does what the supervisor would if it exited. Whether the worker lived or
    was restarted, it takes new work, and the email of the follow-up is sent exactly once."""
    import redis

    worker = worker_on_own_redis
    VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=timezone.localdate())
    broker = redis.Redis.from_url(redis_server.url)
    reminders_scan.delay()  # its email takes 4 s: the worker holds the message meanwhile
    wait_for(lambda: broker.hlen("unacked") > 0, 30, "the worker did not take the task", worker)

    redis_server.stop()  # SIGKILL: the worker's connection drops with the message unacked
    time.sleep(1)
    redis_server.start()  # empty: no persistence
    time.sleep(8)
    if not worker.is_alive():  # the supervisor's part: start it again
        print(f"the worker exited with Redis (restarted):\n{worker.log(40)}")
        worker.app._pool = None  # this process's pooled connections died with Redis
        worker.app.amqp._producer_pool = None
        worker.start()
    # This process's pooled connections died with Redis: ask through a fresh app.
    probe = Celery("probe", broker=redis_server.url, set_as_current=False)
    replies = probe.control.ping(destination=[worker.hostname], timeout=10)
    assert any(worker.hostname in reply for reply in replies), worker.log(120)
    # It works again: a new scan is run, and the one email was sent once.
    probe.send_task("visits.tasks.reminders_scan", queue="reminders")
    wait_for(lambda: len(message_files(mail_dir)) >= 1, 60, "no email was sent", worker)
    time.sleep(6)
    assert set(message_files(mail_dir).values()) == {1}
