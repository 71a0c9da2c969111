"""Rescoring with real services: a Celery worker on Redis, and two runs racing on PostgreSQL."""

import threading
import time

import pytest
from django.db import connection

from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.pytest_plugin import in_threads
from scoring import services
from scoring.models import AccountScore, GradeChange, RescoreRequest

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def wait_until(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_rescores_a_changed_account_once_for_a_burst(personas, celery_worker_process):
    account = AccountFactory(owner=personas.alice)  # committed: the worker is nudged
    for _ in range(5):  # a burst of changes, each its own transaction
        ContactFactory(account=account)

    graded = wait_until(lambda: AccountScore.objects.filter(account=account).exists())
    assert graded, celery_worker_process.log()
    assert wait_until(lambda: not RescoreRequest.objects.filter(account=account).exists())
    # the burst coalesced: one first grade, however many runs the nudges caused
    assert GradeChange.objects.filter(account=account).count() == 1


def test_two_pending_runs_at_once_take_disjoint_requests(require_postgres):
    accounts = [AccountFactory(owner=AccountFactory().owner) for _ in range(6)]
    # Written directly: `rescore_request` outside a transaction would run them at once.
    AccountScore.objects.all().delete()
    RescoreRequest.objects.bulk_create(RescoreRequest(account=a) for a in accounts)

    # The first run holds its rows (SELECT ... FOR UPDATE) until the second has run.
    held, release = threading.Event(), threading.Event()
    original = services.rescore
    results = {}

    def slow_rescore(ids, **kwargs):
        if threading.current_thread().name == "first":
            held.set()
            release.wait(10)
        return original(ids, **kwargs)

    services.rescore = slow_rescore
    try:

        def first():
            threading.current_thread().name = "first"
            results["first"] = services.rescore_pending()

        def second():
            held.wait(10)
            results["second"] = services.rescore_pending()  # skips the locked rows
            release.set()

        in_threads(first, second)
    finally:
        services.rescore = original

    assert results["second"] == {"scored": 0, "written": 0, "changed": 0}
    assert results["first"]["scored"] == 6
    assert AccountScore.objects.filter(account__in=accounts).count() == 6
    assert not RescoreRequest.objects.exists()
    assert connection.vendor == "postgresql"
