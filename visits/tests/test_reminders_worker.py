"""Reminders through a real broker and a real `celery worker`, killed mid-batch and restarted.

The worker sends mail through `visits/tests/slow_email_backend.py`: one file per message
sent, so a message sent twice would show as two files with the same Message-ID.
"""

import signal
import time

import pytest
from celery.result import AsyncResult, EagerResult
from django.utils import timezone

from visits.models import Notification
from visits.reminders import message_id
from visits.tasks import reminders_scan
from visits.tests.factories import VisitFactory
from visits.tests.slow_email_backend import message_files

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BLOCK_AFTER = 15  # the worker is killed while sending the 16th email of 40
REDELIVERY_AFTER = 4  # seconds: the worker's visibility timeout in these tests


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def celery_worker_env(request, mail_dir):
    """The worker mails into files; an unacknowledged task comes back after a few
    seconds instead of an hour. A test adds more with indirect parametrisation."""
    return {
        "TEST_EMAIL_BACKEND": "visits.tests.slow_email_backend.EmailBackend",
        "TEST_EMAIL_DIR": str(mail_dir),
        "CELERY_VISIBILITY_TIMEOUT": str(REDELIVERY_AFTER),
        **getattr(request, "param", {}),
    }


def wait_for(condition, timeout: float, what: str, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} within {timeout:.0f} s; worker log:\n{worker.log()}", pytrace=False)


def test_a_scan_sent_through_the_broker_makes_the_notification_and_its_email(
    personas, celery_worker_process, mail_dir
):
    visit = VisitFactory(
        account=personas.account, owner=personas.alice, follow_up_due=timezone.localdate()
    )

    result = reminders_scan.delay()

    assert isinstance(result, AsyncResult) and not isinstance(result, EagerResult)
    wait_for(
        lambda: Notification.objects.filter(visit=visit, email_sent_at__isnull=False).exists(),
        30,
        "no notification with its email sent",
        celery_worker_process,
    )
    assert result.get(timeout=10) == {"created": 1, "emailed": 1}
    notification = Notification.objects.get()
    assert notification.recipient == personas.alice
    assert message_files(mail_dir) == {message_id(notification): 1}
    (mail,) = mail_dir.glob("*.eml")
    assert "alice@example.com" in mail.read_text() and personas.account.name in mail.read_text()


@pytest.mark.parametrize(
    "celery_worker_env",
    [{"TEST_EMAIL_BLOCK_AFTER": str(BLOCK_AFTER), "TEST_EMAIL_DELAY": "0.01"}],
    indirect=True,
)
def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_sends_nothing_twice(
    personas, celery_worker_process, celery_worker_env, mail_dir
):
    worker = celery_worker_process
    today = timezone.localdate()
    for _ in range(40):
        VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=today)

    result = reminders_scan.delay()
    wait_for(
        lambda: (mail_dir / "blocked").exists(),
        30,
        f"the worker did not reach email {BLOCK_AFTER + 1}",
        worker,
    )
    # Mid-batch: 40 reminders made, 15 emails sent and committed, the 16th in flight.
    assert Notification.objects.count() == 40
    assert Notification.objects.filter(email_sent_at__isnull=False).count() == BLOCK_AFTER
    assert len(message_files(mail_dir)) == BLOCK_AFTER

    assert worker.stop(signal.SIGKILL) == -signal.SIGKILL
    killed_at = time.monotonic()
    worker.restart()

    # No new message is sent: the broker hands the killed worker's unacknowledged task
    # to the new worker (acks_late), which finishes the batch.
    assert result.get(timeout=60) == {"created": 0, "emailed": 40 - BLOCK_AFTER}
    redelivered_after = time.monotonic() - killed_at

    notifications = list(Notification.objects.all())
    keys = {(n.kind, n.object_key, n.due_date, n.recipient_id) for n in notifications}
    assert len(notifications) == len(keys) == 40
    assert all(n.email_sent_at is not None and n.email_attempts == 0 for n in notifications)
    sends = message_files(mail_dir)
    assert sends == {message_id(n): 1 for n in notifications}, "an email went out twice"
    print(f"redelivered and finished {redelivered_after:.1f} s after the kill")
