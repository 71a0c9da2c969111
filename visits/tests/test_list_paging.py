"""An account's visit timeline, the development records and the notifications page by
keyset (keyaccounts.paging): "Next" lists every row the user may see exactly once in
the list's order, ties broken by the id, "Previous" walks back through the same pages,
and a deep page runs the queries of the first. Expected orders are worked out here in
plain Python from the rows the test made."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from keyaccounts.tests.paging_helpers import first_and_deep_query_counts, walk_both_ways
from visits.models import DevelopmentRecord, Notification, Visit, VisitStatus
from visits.tests.factories import (
    DevelopmentRecordFactory,
    NotificationFactory,
    PlannedVisitFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

SIZE = 3


def flatten(pages: list[list]) -> list:
    return [pk for page in pages for pk in page]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("visits.views.PAGE_SIZE", SIZE)


def test_the_timeline_pages_newest_first_ties_by_id(personas, login, small_pages):
    now = timezone.now().replace(microsecond=0)
    same_moment = now - datetime.timedelta(days=4)
    made = [
        VisitFactory(account=personas.account, occurred_at=same_moment),
        PlannedVisitFactory(account=personas.account, planned_at=now + datetime.timedelta(days=2)),
        VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=9)),
        VisitFactory(account=personas.account, occurred_at=same_moment),
        PlannedVisitFactory(account=personas.account, planned_at=same_moment),
        VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=1)),
        VisitFactory(account=personas.account, occurred_at=same_moment),
        VisitFactory(account=personas.account, occurred_at=now - datetime.timedelta(days=30)),
    ]
    cancelled = PlannedVisitFactory(account=personas.account, status=VisitStatus.CANCELLED)
    binned = VisitFactory(account=personas.account)
    Visit.objects.filter(pk=binned.pk).update(deleted_at=now)
    VisitFactory(account=personas.charlies_account)  # another account's

    forward, backward = walk_both_ways(
        login(personas.alice), reverse("visits:account_visits", args=[personas.account.pk])
    )

    when = {v.pk: v.occurred_at or v.planned_at for v in made}
    assert flatten(forward) == sorted(when, key=lambda pk: (when[pk], pk), reverse=True)
    assert backward == forward
    assert cancelled.pk not in flatten(forward) and binned.pk not in flatten(forward)
    assert [len(page) for page in forward] == [3, 3, 2]


def test_the_development_records_page_newest_prepared_first(personas, login, small_pages):
    today = timezone.localdate()
    days = [0, 3, 0, 7, 3, 0, 12]  # days ago each was prepared: ties on 0 and 3
    mine = [
        DevelopmentRecordFactory(
            account=personas.account, prepared_on=today - datetime.timedelta(days=n)
        )
        for n in days
    ]
    DevelopmentRecordFactory(account=personas.charlies_account)  # another team's
    binned = DevelopmentRecordFactory(account=personas.account)
    DevelopmentRecord.objects.filter(pk=binned.pk).update(deleted_at=timezone.now())

    client = login(personas.alice)
    forward, backward = walk_both_ways(client, reverse("visits:record_list"))

    prepared = {r.pk: r.prepared_on for r in mine}
    assert flatten(forward) == sorted(prepared, key=lambda pk: (prepared[pk], pk), reverse=True)
    assert backward == forward
    assert "7 records" in client.get(reverse("visits:record_list")).content.decode()
    first, deep = first_and_deep_query_counts(client, reverse("visits:record_list"))
    assert first == deep


def test_the_records_filters_stay_on_every_page(personas, login, small_pages):
    for _ in range(5):
        DevelopmentRecordFactory(account=personas.account, summary="Won with the coach")
    DevelopmentRecordFactory(account=personas.account, summary="Lost on price")

    forward, _ = walk_both_ways(
        login(personas.alice), reverse("visits:record_list"), {"q": "coach"}
    )

    assert [len(page) for page in forward] == [3, 2]


def test_notifications_page_newest_first_only_mine(personas, login, small_pages):
    visit = VisitFactory(account=personas.account)
    moment = timezone.now() - datetime.timedelta(hours=5)
    mine = []
    for index in range(7):
        notification = NotificationFactory(visit=visit, due_date=datetime.date(2026, 1, index + 1))
        mine.append(notification)
        if index % 2:  # four made at the same moment
            Notification.objects.filter(pk=notification.pk).update(created_at=moment)
    NotificationFactory(visit=visit, recipient=personas.bob)  # bob's, on the same visit
    NotificationFactory(visit=VisitFactory(account=personas.charlies_account))

    client = login(personas.alice)
    forward, backward = walk_both_ways(client, reverse("visits:notifications"))

    created = dict(
        Notification.objects.filter(pk__in=[n.pk for n in mine]).values_list("pk", "created_at")
    )
    assert flatten(forward) == sorted(created, key=lambda pk: (created[pk], pk), reverse=True)
    assert backward == forward
    first, deep = first_and_deep_query_counts(client, reverse("visits:notifications"))
    assert first == deep


def test_the_timeline_deep_page_costs_the_first_pages_queries(personas, login, small_pages):
    for days_ago in range(1, 9):
        visit = VisitFactory(
            account=personas.account,
            occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
        )
        visit.attendees.set([personas.bob])
    url = reverse("visits:account_visits", args=[personas.account.pk])

    first, deep = first_and_deep_query_counts(login(personas.alice), url)

    assert first == deep
