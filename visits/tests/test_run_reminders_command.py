"""`manage.py run_reminders`: one run by hand, or the loop `make run` keeps beside the server."""

import _thread
import io
import logging
import os
import signal
import threading

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from visits.management.commands import run_reminders
from visits.models import Notification
from visits.tests.factories import VisitFactory


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("run_reminders", *args, stdout=out, **options)
    return out.getvalue()


def sigterm_self_soon(delay: float = 0.3) -> threading.Timer:
    """SIGTERM this process once the command has its handler in place (if it never does,
    interrupt the test instead of letting SIGTERM end the whole test run)."""

    def fire():
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            _thread.interrupt_main()
        else:
            os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Timer(delay, fire)
    timer.start()
    return timer


@pytest.mark.django_db
def test_one_run_makes_the_reminders_sends_their_emails_and_says_how_many(personas, mailoutbox):
    VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=timezone.localdate())

    assert run() == "1 reminders created, 1 emails sent\n"
    assert run() == "0 reminders created, 0 emails sent\n"
    assert Notification.objects.count() == 1 and len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_loop_runs_until_sigterm_and_then_exits_cleanly(personas, mailoutbox):
    VisitFactory(account=personas.account, owner=personas.alice, follow_up_due=timezone.localdate())
    before = signal.getsignal(signal.SIGTERM)
    timer = sigterm_self_soon()

    output = run(every=0.05)

    timer.join()
    assert output.splitlines() == [
        "Reminders: a scan every 0.05 s (stop with Ctrl-C or SIGTERM)",
        "1 reminders created, 1 emails sent",  # later rounds find nothing and stay quiet
        "Reminders: stopped",
    ]
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is given back


@pytest.mark.django_db(transaction=True)
def test_the_loop_survives_a_failing_run_and_logs_it(monkeypatch, caplog):
    calls = []

    def scan():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        os.kill(os.getpid(), signal.SIGTERM)  # the second run works; then stop
        return 0

    monkeypatch.setattr(run_reminders, "reminders_scan", scan)
    caplog.set_level(logging.ERROR)

    output = run(every=0.01)

    assert len(calls) == 2
    assert "reminder run failed" in caplog.text and "database went away" in caplog.text
    assert output.endswith("Reminders: stopped\n")


def test_every_must_be_positive():
    with pytest.raises(CommandError, match="greater than 0"):
        run(every=0)
