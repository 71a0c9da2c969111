"""A Celery worker survives a Redis restart while it holds messages (issue 12,
docs/reliability.md "A Redis restart under a busy worker").

kombu 5.7's Redis transport ended such a worker ("Unrecoverable error: AttributeError:
'NoneType' object has no attribute 'hostname'") when it lost Redis while holding an
unacknowledged message and waiting in BRPOP for more, as a prefork worker does when it
runs a task and has a free pool process, or holds an ETA/countdown/retry message.
`keyaccounts/celery_compat.py` guards that; this test fails without the guard (the worker
exits at the restart).

The worker runs the production CELERY_* settings (`keyaccounts.test_settings`) in a
prefork pool of two processes (Celery's default is one per CPU) or of one, on a
redis-server of the test's own that the test kills (SIGKILL) and starts again, empty;
it mails through `visits/tests/slow_email_backend.py` (one file per message sent), so an
email sent twice shows as two files.
"""

import subprocess
import time
from unittest import mock

import pytest
from celery import Celery
from django.utils import timezone

from keyaccounts.pytest_plugin import CeleryWorkerProcess, need, worker_on_redis_server
from visits.models import Notification
from visits.reminders import message_id
from visits.tasks import reminders_scan
from visits.tests.factories import VisitFactory
from visits.tests.slow_email_backend import message_files

REMINDERS = 6
EMAIL_SECONDS = 1.5  # the scan takes about 9 s: Redis restarts in the middle of it


def wait_for(condition, timeout: float, what: str, worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout:.0f} s; worker log:\n{worker.log(120)}", pytrace=False)


def test_the_guard_is_installed_on_kombus_redis_channel():
    """Building a Redis pool for a channel whose connection is closed raises a connection
    error (recoverable) instead of an AttributeError (fatal to the worker)."""
    import redis
    from kombu.transport import redis as kombu_redis

    from keyaccounts import celery_compat

    guarded = kombu_redis.Channel._connparams
    assert getattr(guarded, celery_compat.GUARD_MARK, False), "keyaccounts.celery applies it"
    assert celery_compat.apply() and kombu_redis.Channel._connparams is guarded  # once
    channel = object.__new__(kombu_redis.Channel)  # no broker needed for this part
    for closed in (None, type("ClosedConnection", (), {"client": None})()):
        channel.connection = closed
        with pytest.raises(redis.exceptions.ConnectionError):
            channel._connparams()


class TwoProcessWorker(CeleryWorkerProcess):
    """`CeleryWorkerProcess` with a prefork pool of two: while one process runs a task,
    the worker waits in BRPOP for more with that task's message unacknowledged."""

    def start(self, timeout: float = 30) -> None:
        popen = subprocess.Popen

        def two_processes(command, **options):
            command = ["--concurrency=2" if a == "--concurrency=1" else a for a in command]
            assert "--concurrency=2" in command
            return popen(command, **options)

        with mock.patch("subprocess.Popen", two_processes):
            super().start(timeout)


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def worker_processes() -> int:
    """How many pool processes the worker has (a test overrides it by parametrizing)."""
    return 2


@pytest.fixture
def worker_on_own_redis(transactional_db, redis_server, tmp_path, mail_dir, worker_processes):
    """A prefork worker, and this process's Celery app, on `redis_server` (to restart)."""
    from django.db import connection

    need(
        connection.vendor == "postgresql",
        "needs PostgreSQL (DATABASE_URL=postgres://...): a worker process cannot share "
        f"SQLite's in-memory test database (database: {connection.vendor})",
    )
    worker_cls = {1: CeleryWorkerProcess, 2: TwoProcessWorker}[worker_processes]
    with worker_on_redis_server(
        redis_server, tmp_path, mail_dir=mail_dir, email_delay=EMAIL_SECONDS,
        worker_cls=worker_cls, log_lines=200,
    ) as worker:  # fmt: skip
        yield worker


def restart(redis_server) -> None:
    redis_server.stop()  # SIGKILL: the worker's connections drop with its messages unacked
    time.sleep(1)
    redis_server.start()  # empty: no persistence


def assert_alive_and_taking_work(worker, redis_url: str) -> None:
    """The worker lived through the restart (no supervisor here to start it again) and,
    connected to the new Redis, takes new work. This process's pooled connections died
    with Redis: it asks through a fresh app."""
    assert worker.is_alive(), f"the worker exited at the Redis restart:\n{worker.log(120)}"
    assert "Unrecoverable error" not in worker.log(2000)
    probe = Celery("probe", broker=redis_url, backend=redis_url, set_as_current=False)
    try:
        replies = probe.control.ping(destination=[worker.hostname], timeout=10)
        assert any(worker.hostname in reply for reply in replies), worker.log(120)
        assert probe.send_task("keyaccounts.ping", queue="default").get(timeout=30) == "pong"
    finally:
        probe.close()
    assert worker.is_alive()


@pytest.mark.services  # PostgreSQL and Redis: .ci/run step 5
@pytest.mark.django_db(transaction=True)
def test_a_worker_holding_messages_survives_a_redis_restart_and_finishes_its_work(
    personas, redis_server, worker_on_own_redis, mail_dir
):
    import redis

    worker = worker_on_own_redis
    today = timezone.localdate()
    for _ in range(REMINDERS):
        VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=today)
    broker = redis.Redis.from_url(redis_server.url)

    # A scan under way in one pool process; the worker holds its message unacknowledged
    # and, with the other process free, waits in BRPOP for more.
    reminders_scan.delay()
    wait_for(lambda: len(message_files(mail_dir)) >= 1, 60, "the scan did not start", worker)
    assert broker.hlen("unacked") == 1
    broker.close()
    assert len(message_files(mail_dir)) < REMINDERS, "the scan ended before Redis restarted"

    restart(redis_server)

    # The scan the worker was running is finished: every reminder is emailed, each once.
    wait_for(
        lambda: len(message_files(mail_dir)) >= REMINDERS,
        60,
        "the scan under way at the restart did not finish",
        worker,
    )
    time.sleep(2 * EMAIL_SECONDS)  # a duplicate, if any, would land now
    notifications = list(Notification.objects.all())
    assert len(notifications) == REMINDERS
    assert all(n.email_sent_at is not None for n in notifications)
    assert message_files(mail_dir) == {message_id(n): 1 for n in notifications}

    assert_alive_and_taking_work(worker, redis_server.url)


@pytest.mark.services  # PostgreSQL and Redis: .ci/run step 5
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("worker_processes", [1])
def test_a_worker_holding_a_countdown_message_survives_a_redis_restart(
    redis_server, worker_on_own_redis
):
    """The load run's case: a worker of one process, idle but for a rescoring nudge it
    holds until its countdown (`scoring.services._nudge`) — unacknowledged, while
    it waits in BRPOP for more. (The nudge itself is dropped with the connection and Redis
    restarted empty; beat's next rescore_pending does its work: docs/scaling.md.)"""
    import redis

    from scoring.tasks import rescore_pending

    worker = worker_on_own_redis
    broker = redis.Redis.from_url(redis_server.url)
    rescore_pending.apply_async(countdown=600)
    wait_for(lambda: broker.hlen("unacked") == 1, 30, "the worker did not take the nudge", worker)
    broker.close()
    time.sleep(0.5)  # back in BRPOP

    restart(redis_server)
    time.sleep(3)  # the worker reconnects (or, unguarded, has exited by now)
    assert_alive_and_taking_work(worker, redis_server.url)
