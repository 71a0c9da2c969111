"""Two scans, or two senders, at the same time (PostgreSQL): nothing twice, nothing lost."""

import datetime
import threading
import time

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import AccountFactory, SalesTeamFactory, UserFactory
from keyaccounts.pytest_plugin import in_threads
from visits.models import Notification
from visits.reminders import notification_emails_send, reminders_scan
from visits.tests.factories import VisitFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)
KEY = ("kind", "object_key", "due_date", "recipient_id")


class SlowLocmemBackend(LocmemBackend):
    """Locmem (its outbox is one list for all threads), 20 ms a message like a real server,
    so two senders really overlap."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)


def make_due_reminders(now, count=20) -> int:
    """`count` owners, each with a follow-up due today and one overdue past escalation, on
    an account not visited for 100 days: 4 reminders each."""
    today = timezone.localdate(now)
    team = SalesTeamFactory(manager=UserFactory())
    for _ in range(count):
        account = AccountFactory(owner=UserFactory(sales_team=team))
        VisitFactory(account=account, occurred_at=now - 100 * DAY, follow_up_due=today)
        VisitFactory(account=account, occurred_at=now - 100 * DAY, follow_up_due=today - 5 * DAY)
    return 4 * count


def assert_each_reminder_once(expected: int) -> None:
    keys = list(Notification.objects.values_list(*KEY))
    assert len(keys) == len(set(keys)) == expected


def test_two_scans_at_the_same_time_make_each_reminder_once(require_postgres):
    now = timezone.now()
    expected = make_due_reminders(now)

    for _ in range(5):  # several rounds: the race is real, make it happen more than once
        Notification.objects.all().delete()
        results = in_threads(lambda: reminders_scan(now=now), lambda: reminders_scan(now=now))

        assert_each_reminder_once(expected)
        assert sum(results) == expected  # and each scan counted only its own inserts


def test_a_scan_racing_an_uncommitted_one_waits_for_it_and_then_inserts_nothing(
    require_postgres,
):
    """Deterministic: the first scan inserts in a transaction that stays open until the
    second scan is seen waiting on its rows; then it commits, and the second scan, which
    could not see those rows when it looked, finds them taken at insert time."""
    now = timezone.now()
    expected = make_due_reminders(now, count=5)
    first_inserted = threading.Event()

    def first():
        with transaction.atomic():
            created = reminders_scan(now=now)
            first_inserted.set()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until the other scan blocks on our rows
                with connection.cursor() as cursor:
                    # Activity is a snapshot per transaction unless cleared.
                    cursor.execute("SELECT pg_stat_clear_snapshot()")
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO%'"
                    )
                    if cursor.fetchone()[0]:
                        break
                time.sleep(0.05)
            else:
                raise AssertionError("the second scan never waited for the first")
        return created

    def second():
        assert first_inserted.wait(timeout=20)
        return reminders_scan(now=now)

    results = in_threads(first, second)

    assert results == [expected, 0]
    assert_each_reminder_once(expected)


def test_two_senders_at_the_same_time_send_each_email_once(require_postgres, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.SlowLocmemBackend"
    now = timezone.now()
    expected = make_due_reminders(now, count=8)
    reminders_scan(now=now)

    results = in_threads(notification_emails_send, notification_emails_send)

    message_ids = [m.extra_headers["Message-ID"] for m in mailoutbox]
    assert len(message_ids) == len(set(message_ids)) == expected
    assert sum(results) == expected
    assert all(results), f"both senders should have sent some (skip locked): {results}"
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()
