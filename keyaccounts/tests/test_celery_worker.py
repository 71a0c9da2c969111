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
