"""Each notification's email: sent once, to someone who can read it, retried a few times."""

import datetime
import os
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from visits.models import Notification, NotificationKind
from visits.reminders import (
    EMAIL_MAX_ATTEMPTS,
    message_id,
    notification_emails_send,
    notification_path,
    notification_text,
)
from visits.tests.factories import NotificationFactory, VisitFactory
from visits.tests.slow_email_backend import message_files

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
FAILING_ADDRESSES = {"alice@example.com"}


class FailingForSomeBackend(LocmemBackend):
    """Locmem, except that a message to one of FAILING_ADDRESSES raises like SMTP would."""

    def send_messages(self, messages):
        for message in messages:
            if FAILING_ADDRESSES & set(message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"mailbox busy")})
        return super().send_messages(messages)


def notification_for(user, account, **fields):
    visit = VisitFactory(account=account, owner=user)
    return NotificationFactory(visit=visit, recipient=user, **fields)


def test_each_email_is_sent_once_even_when_the_sender_runs_twice(personas, mailoutbox):
    first = notification_for(personas.alice, personas.account)
    second = notification_for(personas.charlie, personas.charlies_account)

    assert notification_emails_send() == 2
    assert notification_emails_send() == 0

    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "charlie@example.com"]
    assert {m.extra_headers["Message-ID"] for m in mailoutbox} == {
        f"<notification-{first.pk}@keyaccounts>",
        f"<notification-{second.pk}@keyaccounts>",
    }
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 0


def test_the_email_names_the_account_and_links_to_the_visit(personas, mailoutbox, settings):
    settings.SITE_URL = "https://crm.example.com/"
    notification = notification_for(personas.alice, personas.account)

    notification_emails_send()

    (message,) = mailoutbox
    assert "Alice's Customer Co" in message.subject
    assert "Follow-up due" in message.subject
    assert "Alice's Customer Co" in message.body
    assert f"https://crm.example.com{notification_path(notification)}" in message.body
    assert message.message()["Message-ID"] == message_id(notification)
    assert "\n" not in message.subject


def test_the_email_is_in_the_recipients_language(personas, mailoutbox, settings):
    settings.SITE_URL = "http://10.0.0.5:8080"
    personas.alice.language = "zh-hans"
    personas.alice.save()
    notification_for(personas.alice, personas.account)
    notification_for(personas.charlie, personas.charlies_account)  # no choice: the site's

    notification_emails_send()

    by_person = {message.to[0]: message for message in mailoutbox}
    chinese, english = by_person["alice@example.com"], by_person["charlie@example.com"]
    assert "回访到期" in chinese.subject
    assert "请在 keyaccounts 中查看详情：http://10.0.0.5:8080/" in chinese.body
    assert "Follow-up due" in english.subject
    assert "Open it in keyaccounts: http://10.0.0.5:8080/" in english.body


def test_someone_without_an_email_address_gets_the_notification_but_no_email(personas, mailoutbox):
    personas.alice.email = ""
    personas.alice.save()
    silent = notification_for(personas.alice, personas.account)
    notification_for(personas.charlie, personas.charlies_account)

    assert notification_emails_send() == 1

    assert [m.to for m in mailoutbox] == [["charlie@example.com"]]
    silent.refresh_from_db()
    assert silent.email_sent_at is None and silent.email_attempts == 0


def test_an_inactive_recipient_gets_no_email(personas, mailoutbox):
    notification_for(personas.alice, personas.account)
    personas.alice.is_active = False
    personas.alice.save()

    assert notification_emails_send() == 0
    assert mailoutbox == []


def test_no_email_about_an_account_the_recipient_can_no_longer_see(personas, mailoutbox):
    notification = notification_for(personas.alice, personas.account)
    personas.account.owner = personas.charlie  # reassigned to another team's rep
    personas.account.save()

    assert notification_emails_send() == 0
    assert notification_emails_send() == 0

    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert notification.email_attempts == EMAIL_MAX_ATTEMPTS  # settled, not retried
    assert "can no longer see" in notification.email_error


def test_a_failing_email_is_recorded_does_not_block_the_others_and_stops_after_5_tries(
    personas, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingForSomeBackend"
    failing = notification_for(personas.alice, personas.account)
    fine = notification_for(personas.charlie, personas.charlies_account)

    assert notification_emails_send() == 1  # the failing one is tried once per run

    failing.refresh_from_db()
    fine.refresh_from_db()
    assert fine.email_sent_at is not None
    assert failing.email_sent_at is None and failing.email_attempts == 1
    assert "SMTPRecipientsRefused" in failing.email_error and "mailbox busy" in failing.email_error

    for _ in range(10):
        notification_emails_send()
    failing.refresh_from_db()
    assert failing.email_attempts == EMAIL_MAX_ATTEMPTS == 5
    assert [m.to for m in mailoutbox] == [["charlie@example.com"]]

    # Once the server takes mail again, a notification still under the limit goes out.
    FAILING_ADDRESSES.clear()
    try:
        Notification.objects.filter(pk=failing.pk).update(email_attempts=4)
        assert notification_emails_send() == 1
    finally:
        FAILING_ADDRESSES.add("alice@example.com")


def test_the_limit_leaves_the_rest_to_the_next_run(personas, mailoutbox):
    for _ in range(3):
        notification_for(personas.alice, personas.account)

    assert notification_emails_send(limit=2) == 2
    assert notification_emails_send(limit=2) == 1
    assert len(mailoutbox) == 3


# --- the text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (NotificationKind.FOLLOW_UP_DUE, "Follow up with"),
        (NotificationKind.FOLLOW_UP_OVERDUE, "is overdue"),
        (NotificationKind.FOLLOW_UP_ESCALATION, "has not followed up"),
        (NotificationKind.CONTACT_LAPSED, "No recorded contact"),
    ],
)
def test_the_text_says_what_is_due_and_names_the_account(personas, kind, words):
    visit = VisitFactory(account=personas.account, owner=personas.alice)
    recipient = personas.manager if kind == NotificationKind.FOLLOW_UP_ESCALATION else None
    notification = NotificationFactory(
        visit=None if kind == NotificationKind.CONTACT_LAPSED else visit,
        account=personas.account,
        recipient=recipient or personas.alice,
        kind=kind,
        object_key=f"visit:{visit.pk}",
        due_date=timezone.localdate() - DAY,
    )

    text = notification_text(notification)

    assert words in text and "Alice's Customer Co" in text
    if kind == NotificationKind.FOLLOW_UP_ESCALATION:
        assert str(personas.alice) in text


# --- two sender processes on SQLite (development: `make run`'s loop and a nudge) -----------

SETUP = """
from django.core.management import call_command
from django.utils import timezone
from visits.reminders import reminders_scan
from visits.tests.factories import VisitFactory
call_command("migrate", verbosity=0)
for _ in range(20):
    VisitFactory(follow_up_due=timezone.localdate())
assert reminders_scan() == 20
"""
SEND = "from visits.reminders import notification_emails_send as send; print(send())"
# A guard against a process that hangs, not a time the test asserts: migrating a new
# database takes half a minute, and minutes on a machine busy with other work.
HANG = 600


@pytest.mark.django_db(databases=[])  # its own database file, in two other processes
def test_two_sender_processes_on_sqlite_take_turns_and_send_each_email_once(tmp_path):
    """SQLite has no row locks: without the sender's write lock, both processes took the
    same rows and most emails went out twice."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keyaccounts.test_settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TEST_EMAIL_BACKEND": "visits.tests.slow_email_backend.EmailBackend",
        "TEST_EMAIL_DIR": str(mail_dir),
        "TEST_EMAIL_DELAY": "0.02",
    }
    root = Path(__file__).resolve().parents[2]

    def python(code):
        return subprocess.Popen(
            [sys.executable, "-c", f"import django; django.setup()\n{code}"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    setup = python(SETUP)
    assert setup.wait(HANG) == 0, setup.stderr.read()
    senders = [python(SEND), python(SEND)]
    outputs = [sender.communicate(timeout=HANG) for sender in senders]

    assert [s.returncode for s in senders] == [0, 0], outputs
    assert sum(int(out) for out, _ in outputs) == 20
    sends = message_files(mail_dir)
    assert len(sends) == 20 and set(sends.values()) == {1}, "an email went out twice"
