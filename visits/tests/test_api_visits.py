"""/api/v1/visits/: logging visits through the API keeps the pages' rules."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory, ContactFactory
from visits.models import Visit
from visits.tests.factories import PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_a_recorded_visit_gets_its_follow_up_due_a_week_later(personas, api):
    contact = ContactFactory(account=personas.account)
    occurred = timezone.now() - datetime.timedelta(hours=2)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "done",
            "occurred_at": occurred.isoformat(),
            "contacts": [contact.pk],
            "attendees": [personas.bob.pk],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == personas.alice.pk
    assert body["contacts"] == [contact.pk]
    assert body["attendees"] == [personas.bob.pk]
    expected_due = timezone.localdate(occurred) + datetime.timedelta(days=7)
    assert body["follow_up_due"] == expected_due.isoformat()


def test_a_recorded_visit_needs_its_date_and_not_in_the_future(personas, api):
    client = api(personas.alice)

    undated = client.post("/api/v1/visits/", {"account": personas.account.pk, "status": "done"})
    future = client.post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "done",
            "occurred_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
        },
    )

    assert undated.status_code == future.status_code == 400
    assert "occurred_at" in undated.json()["errors"]
    assert "occurred_at" in future.json()["errors"]
    assert not Visit.objects.exists()


def test_contacts_met_must_be_of_the_visits_account(personas, api):
    other = AccountFactory(owner=personas.alice)
    stranger = ContactFactory(account=other)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "contacts": [stranger.pk],
        },
    )

    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]


def test_contacts_one_cannot_see_are_refused_like_unknown_ones(personas, api):
    hidden = ContactFactory(account=personas.charlies_account)

    response = api(personas.alice).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "contacts": [hidden.pk],
        },
    )

    assert response.status_code == 400
    assert "contacts" in response.json()["errors"]
    assert "does not exist" in " ".join(response.json()["errors"]["contacts"])


def test_a_visit_cannot_be_logged_at_an_account_one_cannot_see(personas, api):
    response = api(personas.charlie).post(
        "/api/v1/visits/",
        {
            "account": personas.account.pk,
            "status": "planned",
            "planned_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert "account" in response.json()["errors"]


def test_patching_other_fields_keeps_the_contacts_and_attendees(personas, api):
    contact = ContactFactory(account=personas.account)
    visit = PlannedVisitFactory(account=personas.account)
    visit.contacts.set([contact])
    visit.attendees.set([personas.bob])

    response = api(personas.alice).patch(f"/api/v1/visits/{visit.pk}/", {"purpose": "Pilot"})

    assert response.status_code == 200
    assert response.json()["contacts"] == [contact.pk]
    assert response.json()["attendees"] == [personas.bob.pk]


def test_the_follow_up_is_read_only_here(personas, api):
    visit = VisitFactory(account=personas.account)

    response = api(personas.alice).patch(
        f"/api/v1/visits/{visit.pk}/",
        {"followed_up_on": "2020-01-01", "follow_up_feedback": "typed by hand"},
    )

    assert response.status_code == 200
    assert response.json()["followed_up_on"] is None
    assert response.json()["follow_up_feedback"] == ""


def at(year, month, day) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "planned"}, {"planned"}),
        ({"occurred_after": "2026-01-10T00:00:00Z"}, {"recent"}),
        ({"occurred_before": "2026-01-10T00:00:00Z"}, {"old"}),
    ],
)
def test_visit_filters(personas, api, query, expected):
    visits = {
        "planned": PlannedVisitFactory(account=personas.account),
        "recent": VisitFactory(account=personas.account, occurred_at=at(2026, 1, 20)),
        "old": VisitFactory(account=personas.account, occurred_at=at(2026, 1, 2)),
    }
    VisitFactory(account=personas.charlies_account)

    response = api(personas.alice).get("/api/v1/visits/", query)

    assert {r["id"] for r in response.json()["results"]} == {visits[k].pk for k in expected}


def test_visits_filter_by_account_and_owner(personas, api):
    visit = VisitFactory(account=personas.account)
    client = api(personas.manager)

    by_account = client.get("/api/v1/visits/", {"account": personas.account.pk}).json()
    by_owner = client.get("/api/v1/visits/", {"owner": personas.bob.pk}).json()

    assert [r["id"] for r in by_account["results"]] == [visit.pk]
    assert by_owner["results"] == []


def test_a_list_of_visits_costs_the_same_queries_at_any_page_size(personas, api):
    for _ in range(50):
        visit = VisitFactory(account=personas.account)
        visit.contacts.set([ContactFactory(account=personas.account)])
        visit.attendees.set([personas.bob])
    client = api(personas.alice)
    client.get("/api/v1/visits/")

    counts = []
    for size in (2, 50):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/visits/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(captured))

    assert counts[0] == counts[1]
