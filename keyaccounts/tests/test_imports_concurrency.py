"""Imports next to other writers, on PostgreSQL (separate connections, real row locks).

Every versioned write takes the change counter's lock and keeps it until it commits
(that keeps the changes feed gap-free in commit order). An import checks its rows
first, holding no lock, and takes the counter only for its short write: so a save by
someone else goes through while an import of thousands of rows is being checked, and
waits only while the import writes."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import translation

from accounts.models import Account
from keyaccounts.events import record_changed
from keyaccounts.imports.engine import PROGRESS_EVERY
from keyaccounts.pytest_plugin import in_threads
from keyaccounts.tests.imports_files import csv_file, import_file

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT = 30  # seconds any thread waits for another before the test fails


def run(content: bytes, by, progress=None):
    with translation.override("en"):
        return import_file("accounts", content, by, progress=progress)


def a_file(account: Account, new: int = 300) -> bytes:
    rows = [["Name", "Industry", "Region"], [account.name, account.industry, "Imported"]]
    rows += [[f"Concurrent Co {n}", "Energy", "North"] for n in range(new)]
    return csv_file(rows)


def save_within(seconds: float, pk: int, **changes) -> float:
    """Save the account with `changes` as a form would, giving up (OperationalError) if
    a lock makes it wait longer than `seconds`; returns how long it took."""
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
        account = Account.objects.get(pk=pk)
        for name, value in changes.items():
            setattr(account, name, value)
        account.save()  # takes the change counter's lock
    return time.monotonic() - started


def test_another_writer_saves_while_an_import_checks_its_rows(require_postgres, personas):
    checking, checked_by_other = threading.Event(), threading.Event()

    def progress(done, total):
        if not checking.is_set():  # the first report comes from the check of the rows
            checking.set()
            assert checked_by_other.wait(WAIT)

    def importer():
        return run(a_file(personas.account), personas.alice, progress)

    def other_writer():
        try:
            assert checking.wait(WAIT)
            return save_within(3, personas.charlies_account.pk, region="Saved meanwhile")
        finally:
            checked_by_other.set()

    result, took = in_threads(importer, other_writer)

    assert took < 3  # not blocked: the save would have given up at 3 s
    assert result.ok and result.counts["create"] == 300 and result.counts["update"] == 1
    assert Account.objects.get(pk=personas.charlies_account.pk).region == "Saved meanwhile"
    assert Account.objects.filter(name__startswith="Concurrent Co ").count() == 300


def test_another_writer_waits_while_an_import_writes(require_postgres, personas):
    """The write itself still holds the counter: the changes feed stays in commit order."""
    writing, tried = threading.Event(), threading.Event()

    def while_writing(sender, **kwargs):
        if not writing.is_set():
            writing.set()
            assert tried.wait(WAIT)

    def importer():
        record_changed.connect(while_writing, dispatch_uid="test-import-writing")
        try:
            return run(a_file(personas.account, new=3), personas.alice)
        finally:
            record_changed.disconnect(dispatch_uid="test-import-writing")

    def other_writer():
        try:
            assert writing.wait(WAIT)
            save_within(1, personas.charlies_account.pk, region="Too early")
        except OperationalError as exc:
            return type(exc.__cause__).__name__
        finally:
            tried.set()
        return "saved"

    result, outcome = in_threads(importer, other_writer)

    assert outcome == "LockNotAvailable"
    assert result.ok
    assert Account.objects.get(pk=personas.charlies_account.pk).region != "Too early"


def test_a_record_saved_while_the_import_checks_is_checked_again_not_overwritten(
    require_postgres, personas
):
    account = personas.account
    checking, saved = threading.Event(), threading.Event()
    reports = []

    def progress(done, total):
        reports.append(done)
        if not checking.is_set():
            checking.set()
            assert saved.wait(WAIT)

    def importer():
        return run(a_file(account), personas.alice, progress)

    def other_writer():
        try:
            assert checking.wait(WAIT)
            save_within(3, account.pk, notes="Saved while the file was checked")
        finally:
            saved.set()

    result, _took = in_threads(importer, other_writer)

    assert result.ok
    account = Account.objects.get(pk=account.pk)
    assert (account.region, account.notes) == ("Imported", "Saved while the file was checked")
    assert account.version == 3
    assert reports.count(PROGRESS_EVERY) == 2  # the rows were checked a second time
