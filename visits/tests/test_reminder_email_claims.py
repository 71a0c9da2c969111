"""A reminder email is claimed before it is sent and marked sent after (visits/reminders.py):
a sender still at work keeps its email, a dead sender's email is taken again once its
claim runs out, and a database connection lost just after the send does not make the
email go out twice."""

import datetime
import logging
import time

import psycopg2
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import DataError, connection
from django.utils import timezone

from keyaccounts.locks import advisory_key
from visits import reminders
from visits.models import Notification
from visits.reminders import claim_seconds, notification_emails_send
from visits.tests.factories import NotificationFactory, VisitFactory

SECOND = datetime.timedelta(seconds=1)


def notification_for(user, account, **fields):
    visit = VisitFactory(account=account, owner=user)
    return NotificationFactory(visit=visit, recipient=user, **fields)


def other_connection():
    database = django_settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"],
        host=database["HOST"],
        port=database["PORT"],
    )
    other.autocommit = True
    return other


def wait_until_ended(pid: int, cursor) -> None:
    """PostgreSQL ends a session asynchronously (a closed connection, a terminated
    backend): its locks are let go only once its process is gone."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        if cursor.fetchone() is None:
            return
        time.sleep(0.05)
    raise AssertionError(f"the database session {pid} did not end")


def advisory_locks_held() -> int:
    """The advisory locks this test's own database session holds (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_an_email_claimed_by_a_sender_that_is_gone_is_sent_by_the_next_run(personas, mailoutbox):
    claimed = timezone.now() - 5 * SECOND
    notification = notification_for(personas.alice, personas.account, email_claimed_at=claimed)

    if connection.vendor == "postgresql":
        # Nobody holds its lock: the claimer's session ended with the server up, so it
        # died; the email goes at once, not after the claim runs out.
        assert notification_emails_send() == 1
    else:
        # SQLite has no session locks: a claim is left alone until it runs out.
        assert notification_emails_send() == 0
        assert mailoutbox == []
        Notification.objects.filter(pk=notification.pk).update(
            email_claimed_at=timezone.now() - (claim_seconds() + 1) * SECOND
        )
        assert notification_emails_send() == 1
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]
    notification.refresh_from_db()
    assert notification.email_sent_at is not None and notification.email_claimed_at is None
    assert notification_emails_send() == 0
    assert advisory_locks_held() == 0  # each claim's lock let go


@pytest.mark.django_db(transaction=True)
def test_an_email_a_living_sender_holds_is_left_to_it_however_long_it_takes(
    require_postgres, personas, mailoutbox
):
    notification = notification_for(personas.alice, personas.account)
    other = notification_for(personas.charlie, personas.charlies_account)
    # Another sender, alive, claimed it ten minutes ago and still holds its lock (a slow
    # mail server): the claim's age does not matter while its sender lives.
    sender = other_connection()
    sender_pid = sender.get_backend_pid()
    try:
        with sender.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s)",
                [advisory_key(reminders._email_lock(notification.pk))],
            )
            cursor.execute(
                "UPDATE visits_notification SET email_claimed_at = now() - interval '10 min'"
                " WHERE id = %s",
                [notification.pk],
            )
        assert notification_emails_send() == 1  # the other one only
        assert [m.to for m in mailoutbox] == [["charlie@example.com"]]
    finally:
        sender.close()  # the sender dies: its lock goes with its session
    with connection.cursor() as cursor:
        wait_until_ended(sender_pid, cursor)

    assert notification_emails_send() == 1
    assert sorted(m.extra_headers["Message-ID"] for m in mailoutbox) == sorted(
        [reminders.message_id(notification), reminders.message_id(other)]
    )
    assert notification_emails_send() == 0
    assert advisory_locks_held() == 0


@pytest.mark.django_db(transaction=True)
def test_an_email_claimed_before_the_database_restarted_waits_until_its_claim_runs_out(
    require_postgres, personas, mailoutbox, settings
):
    """Its lock went with the restart, and its sender may be alive, retrying its mark."""
    notification = notification_for(personas.alice, personas.account)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE visits_notification SET email_claimed_at ="
            " pg_postmaster_start_time() - interval '1 second' WHERE id = %s",
            [notification.pk],
        )
        cursor.execute("SELECT extract(epoch FROM now() - pg_postmaster_start_time())")
        server_age = float(cursor.fetchone()[0])

    settings.REMINDER_EMAIL_CLAIM_SECONDS = int(server_age) + 3600  # not run out yet
    assert notification_emails_send() == 0
    assert mailoutbox == [] and advisory_locks_held() == 0

    settings.REMINDER_EMAIL_CLAIM_SECONDS = 1  # run out: claimed over a second ago
    assert notification_emails_send() == 1
    assert len(mailoutbox) == 1 and advisory_locks_held() == 0


@pytest.mark.django_db(transaction=True)
def test_a_claim_that_fails_in_its_transaction_lets_its_lock_go(
    require_postgres, personas, mailoutbox, monkeypatch
):
    notification = notification_for(personas.alice, personas.account)

    def refused(user):
        with connection.cursor() as cursor:  # a statement error: the transaction aborts
            cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr(reminders, "accounts_visible_to", refused)
    with pytest.raises(DataError):
        notification_emails_send()
    assert advisory_locks_held() == 0
    notification.refresh_from_db()
    assert notification.email_claimed_at is None  # rolled back with the transaction

    monkeypatch.undo()
    assert notification_emails_send() == 1
    assert advisory_locks_held() == 0


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server does not answer")


@pytest.mark.django_db
def test_a_failed_send_gives_its_claim_back_for_the_next_run(personas, mailoutbox, settings):
    notification = notification_for(personas.alice, personas.account)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    assert notification_emails_send() == 0
    notification.refresh_from_db()
    assert notification.email_attempts == 1 and notification.email_claimed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notification_emails_send() == 1  # at once, not after a claim runs out
    assert len(mailoutbox) == 1


class DroppingBackend(LocmemBackend):
    """Takes the message, then ends the sender's database session from another
    connection, as a PostgreSQL restart or a failover would, before the mark."""

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        pid = connection.connection.get_backend_pid()
        other = other_connection()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                assert cursor.fetchone() == (True,)
                # The signal is asynchronous: the session is gone before the mark is tried.
                wait_until_ended(pid, cursor)
        finally:
            other.close()
        return sent


@pytest.mark.django_db(transaction=True)
def test_an_email_sent_as_the_database_connection_drops_is_marked_sent_and_not_sent_again(
    require_postgres, personas, mailoutbox, settings, caplog
):
    notification = notification_for(personas.alice, personas.account)
    other = notification_for(personas.charlie, personas.charlies_account)
    settings.EMAIL_BACKEND = f"{__name__}.DroppingBackend"

    with caplog.at_level(logging.WARNING, logger="visits.reminders"):
        assert notification_emails_send(limit=1) == 1
    assert any("recording it again" in r.getMessage() for r in caplog.records)

    notification.refresh_from_db()
    assert notification.email_sent_at is not None and notification.email_claimed_at is None
    # The next runs send the other one only, even long after any claim would have run out.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.update(email_claimed_at=None)
    assert notification_emails_send() == 1
    assert notification_emails_send() == 0
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        [f"<notification-{notification.pk}@keyaccounts>", f"<notification-{other.pk}@keyaccounts>"]
    )
