"""Saving a visit nudges the account's scan after commit, and never fails for the queue."""

import datetime
import logging
import time
from contextlib import contextmanager

import pytest
from django.utils import timezone

from keyaccounts import tasks as keyaccounts_tasks
from keyaccounts.celery import app
from visits.models import Notification, NotificationKind, Visit, VisitStatus
from visits.services import visit_save

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def _forget_broker_connections() -> None:
    """Drop the app's pooled broker connections, as Celery does after a fork, so the next
    publish connects to whatever `broker_url` says now."""
    app._pool = None
    app.amqp._producer_pool = None
    keyaccounts_tasks._broker_down_until.clear()  # and what it learnt about brokers


@contextmanager
def broker(url: str):
    """Tasks are published (not run inline) to the broker at `url` while inside."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    _forget_broker_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_broker_connections()


def record_visit(personas, **fields):
    now = timezone.now()
    return visit_save(
        by=personas.alice,
        account=personas.account,
        status=VisitStatus.DONE,
        occurred_at=now - datetime.timedelta(hours=2),
        follow_up_due=timezone.localdate(now),
        purpose="Quarterly review",
        **fields,
    )


def test_a_saved_visit_nudges_the_scan_of_its_account_after_commit(
    personas, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks() as callbacks:
        visit = record_visit(personas)
        assert not Notification.objects.exists()  # nothing runs inside the transaction

    # the reminders' nudge, and the scoring app's (the account's score reads its visits)
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()  # the commit: the tasks run inline (no broker configured)

    notification = Notification.objects.get()
    assert (notification.kind, notification.visit, notification.recipient) == (
        NotificationKind.FOLLOW_UP_DUE,
        visit,
        personas.alice,
    )
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def test_saving_a_visit_succeeds_when_the_broker_is_down(
    personas, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="keyaccounts.tasks")
    with broker(DEAD_BROKER):
        with django_capture_on_commit_callbacks() as callbacks:
            visit = record_visit(personas)
        assert caplog.records == []  # nothing was sent before the commit

        started = time.monotonic()
        for callback in callbacks:
            callback()  # the commit: publishing fails, and is only logged
        elapsed = time.monotonic() - started

    assert Visit.objects.filter(pk=visit.pk).exists()
    assert len(callbacks) == 2  # the reminders' nudge and the rescore's
    # The first nudge tries the broker; the second, a moment later, does not try again.
    assert [r.getMessage() for r in caplog.records if r.name == "keyaccounts.tasks"] == [
        "could not enqueue scoring.tasks.rescore_pending: the broker did not take it",
        "the broker did not answer a moment ago; visits.tasks.reminders_for_account not enqueued",
    ]
    assert "refused" in caplog.text.lower(), caplog.text  # it really tried that broker
    assert elapsed < 10, f"a dead broker held the save for {elapsed:.1f} s"
    assert not Notification.objects.exists()  # the periodic scan will make it, not this


def test_the_dead_broker_is_forgotten_afterwards(personas, django_capture_on_commit_callbacks):
    with broker(DEAD_BROKER):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        record_visit(personas)

    assert Notification.objects.filter(kind=NotificationKind.FOLLOW_UP_DUE).count() == 1


def test_an_import_of_visits_nudges_the_scan_of_those_visits_only(
    personas, django_capture_on_commit_callbacks
):
    """An import writes visits set-based (no visit_save): after the commit the scan runs
    for the imported visits and their accounts, not for every account. An overdue
    follow-up elsewhere waits for the periodic scan."""
    from accounts.tests.factories import AccountFactory
    from keyaccounts.tests.imports_files import csv_file, import_file

    now = timezone.now()
    elsewhere = AccountFactory(name="Elsewhere Co", owner=personas.alice)
    overdue = Visit.objects.create(
        account=elsewhere,
        owner=personas.alice,
        status=VisitStatus.DONE,
        occurred_at=now - datetime.timedelta(days=20),
        follow_up_due=timezone.localdate(now) - datetime.timedelta(days=13),
        purpose="Not imported",
    )
    took_place = timezone.localtime(now - datetime.timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    rows = [["Account", "Took place", "Purpose"], [personas.account.name, took_place, "Imported"]]
    with django_capture_on_commit_callbacks(execute=True):
        result = import_file("visits", csv_file(rows), personas.alice)
    assert [row.status for row in result.rows] == ["create"]

    imported = Visit.objects.get(purpose="Imported")
    reminded = set(Notification.objects.values_list("visit_id", "kind"))
    assert (imported.pk, NotificationKind.FOLLOW_UP_DUE) in reminded
    assert not Notification.objects.filter(visit=overdue).exists()
