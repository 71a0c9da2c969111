"""Celery: inline in tests by default; a real worker on Redis when a test asks for one."""

import signal

import pytest
from celery.result import AsyncResult, EagerResult

from keyaccounts.celery import ping


def test_tasks_run_inline_unless_a_test_asks_for_a_worker():
    result = ping.delay()

    assert isinstance(result, EagerResult)
    assert result.get() == "pong"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_answers_a_task_sent_through_redis(celery_worker_process):
    result = ping.delay()

    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    assert result.get(timeout=30) == "pong"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_can_be_restarted_and_answers_again(celery_worker_process):
    worker = celery_worker_process
    first_pid = worker.pid

    assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
    assert not worker.is_alive()

    worker.restart()

    assert worker.is_alive() and worker.pid != first_pid
    assert ping.delay().get(timeout=30) == "pong"


# --- queues: one per kind of work, so each can get workers of its own ----------------

QUEUES = {"default", "reminders", "scoring", "imports", "webhooks", "jobs"}


def queue_of(task_name: str) -> str:
    from keyaccounts.celery import app

    return app.amqp.router.route({}, task_name)["queue"].name


def test_a_worker_started_without_queues_consumes_every_queue():
    from keyaccounts.celery import app

    assert set(app.amqp.queues) == QUEUES
    assert app.conf.task_default_queue == "default"


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("visits.tasks.reminders_scan", "reminders"),
        ("visits.tasks.reminders_for_account", "reminders"),
        ("scoring.tasks.rescore_pending", "scoring"),
        ("scoring.tasks.rescore_all", "scoring"),
        ("keyaccounts.tasks.idempotency_keys_purge", "default"),
        ("keyaccounts.tasks.recycle_bin_purge", "default"),
        ("keyaccounts.tasks.snapshots_purge", "default"),
        ("keyaccounts.tasks.snapshots_refresh", "default"),
        ("keyaccounts.ping", "default"),
        # How an import's and a webhook delivery's tasks are to be named (settings).
        ("scoring.tasks.import_sales", "imports"),
        ("accounts.imports.run", "imports"),
        ("keyaccounts.tasks.webhook_deliver", "webhooks"),
        ("keyaccounts.webhooks.deliver", "webhooks"),
        ("keyaccounts.integrations.tasks.job_run", "jobs"),
        ("keyaccounts.integrations.tasks.job_resume_stalled", "jobs"),
        ("keyaccounts.integrations.tasks.job_purge", "jobs"),
    ],
)
def test_each_task_goes_to_the_queue_of_its_kind(task_name, queue):
    assert queue_of(task_name) == queue


def test_every_task_of_the_project_has_a_queue_a_worker_consumes():
    from keyaccounts.celery import app

    app.loader.import_default_modules()  # what a worker does at start: every tasks.py
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert "scoring.tasks.rescore_all" in ours and "visits.tasks.reminders_scan" in ours
    assert {name: queue_of(name) for name in ours if queue_of(name) not in QUEUES} == {}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_test_worker_answers_on_every_queue(celery_worker_process):
    for queue in sorted(QUEUES):
        assert ping.apply_async(queue=queue).get(timeout=30) == "pong", queue


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_for_one_queue_leaves_the_others_to_their_workers(
    celery_worker_process,
):
    import redis
    from celery.exceptions import TimeoutError as CeleryTimeout
    from django.conf import settings

    worker = celery_worker_process
    worker.stop()
    worker.queues = "scoring"
    worker.start()

    assert ping.apply_async(queue="scoring").get(timeout=30) == "pong"
    waiting = ping.apply_async(queue="default")
    with pytest.raises(CeleryTimeout):
        waiting.get(timeout=3)
    # Still queued in Redis (a list named after the queue) for a worker of `default`.
    assert redis.Redis.from_url(settings.REDIS_URL).llen("default") == 1


def test_the_tasks_services_publish_by_name_are_known_to_a_web_process():
    """Scoring's and the import's services publish their tasks by name (the tasks import
    the services, never the other way round). A web process starts no worker, so
    Celery's autodiscovery never runs there: each app's ready() registers them, or a
    nudge would fail with NotRegistered. Checked in a fresh process, which imports
    nothing but what Django's setup does."""
    import os
    import subprocess
    import sys

    from scoring.services import RESCORE_ALL, RESCORE_PENDING

    names = [RESCORE_PENDING, RESCORE_ALL, "keyaccounts.tasks.import_run"]
    code = (
        "import sys, django; django.setup()\n"
        "from keyaccounts.celery import app\n"
        "print(' '.join(name for name in sys.argv[1:] if name not in app.tasks))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "keyaccounts.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code, *names], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []  # none missing


def test_publishing_by_a_name_no_task_has_says_so_and_raises_nothing(caplog):
    """A nudge never raises (keyaccounts.tasks.publish): a name nobody registered is
    logged as an error and answers False, as a broker that is down does."""
    from keyaccounts.tasks import publish

    assert publish("keyaccounts.tasks.no_such_task") is False
    assert "no task is registered as keyaccounts.tasks.no_such_task" in caplog.text
    assert publish("keyaccounts.ping") is True  # a registered name: run inline here
