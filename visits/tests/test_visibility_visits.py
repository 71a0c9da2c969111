"""The one visibility rule on every visit, record, team and notification page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ContactFactory
from keyaccounts.pytest_plugin import assert_not_found_for, assert_pages_open_for
from visits.models import DevelopmentRecord, Notification, Visit
from visits.tests.factories import (
    DevelopmentRecordFactory,
    NotificationFactory,
    PlannedVisitFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def alices_pages(personas):
    """Every page and form about alice's account's visits and records (GET and POST)."""
    account = personas.account
    done = VisitFactory(account=account, talking_points="Secret talk")
    planned = PlannedVisitFactory(account=account)
    record = DevelopmentRecordFactory(
        account=account, result="failure", summary="Secret summary", closed_on=timezone.localdate()
    )
    visit_form = {
        "occurred_at": "2020-01-01T10:00",
        "method": "phone",
        "talking_points": "Hijack",
        "version": done.version,
    }
    record_form = {"started_on": "2020-01-01", "result": "in_progress", "summary": "Hijack"}
    follow_up = {
        "followed_up_on": "2020-01-02",
        "follow_up_method": "phone",
        "follow_up_feedback": "x",
    }
    return [
        ("get", reverse("visits:create", args=[account.pk]), None),
        ("post", reverse("visits:create", args=[account.pk]), visit_form),
        ("get", reverse("visits:account_visits", args=[account.pk]), None),
        ("get", reverse("visits:detail", args=[done.pk]), None),
        ("get", reverse("visits:edit", args=[done.pk]), None),
        ("post", reverse("visits:edit", args=[done.pk]), visit_form),
        ("post", reverse("visits:follow_up", args=[done.pk]), follow_up),
        ("post", reverse("visits:cancel", args=[planned.pk]), None),
        ("get", reverse("visits:record_create", args=[account.pk]), None),
        ("post", reverse("visits:record_create", args=[account.pk]), record_form),
        ("get", reverse("visits:record_detail", args=[record.pk]), None),
        ("get", reverse("visits:record_edit", args=[record.pk]), None),
        ("post", reverse("visits:record_edit", args=[record.pk]), record_form),
        ("post", reverse("visits:record_review", args=[record.pk]), None),
    ]


def snapshot():
    return (
        list(Visit.objects.order_by("pk").values()),
        list(DevelopmentRecord.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("outsider", ["carol", "charlie", "other_manager"])
def test_every_visit_and_record_page_answers_404_to_those_who_cannot_see_the_account(
    personas, login, outsider
):
    pages = alices_pages(personas)
    before = snapshot()
    assert_not_found_for(login(getattr(personas, outsider)), pages)
    assert snapshot() == before


@pytest.mark.parametrize("insider", ["alice", "bob", "manager", "admin"])
def test_those_who_see_the_account_open_its_visit_and_record_pages(personas, login, insider):
    assert_pages_open_for(login(getattr(personas, insider)), alices_pages(personas))


@pytest.mark.parametrize("outsider", ["carol", "charlie", "other_manager"])
def test_lists_never_show_what_the_user_cannot_see(personas, login, outsider):
    visit = VisitFactory(account=personas.account, follow_up_due=timezone.localdate())
    visit.contacts.set([ContactFactory(account=personas.account, name="Hidden Contact")])
    DevelopmentRecordFactory(account=personas.account, summary="Secret summary")
    client = login(getattr(personas, outsider))
    for url in [
        reverse("visits:my_week"),
        reverse("visits:record_list"),
        reverse("visits:record_list") + "?q=Alice",
        reverse("visits:notifications"),
        reverse("visits:start"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "Alice&#x27;s" not in html and "Secret" not in html, url
        assert "Hidden Contact" not in html, url


def test_a_visit_of_a_visible_account_cannot_be_given_a_hidden_accounts_contact(personas, login):
    visit = VisitFactory(account=personas.account)
    theirs = ContactFactory(account=personas.charlies_account)
    response = login(personas.alice).post(
        reverse("visits:edit", args=[visit.pk]),
        {
            "occurred_at": timezone.localtime(visit.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "contacts": [theirs.pk],
            "version": visit.version,
        },
    )
    assert response.status_code == 200
    assert not visit.contacts.exists()


def test_a_rep_never_sees_or_touches_another_users_notifications(personas, login):
    theirs = NotificationFactory(visit=VisitFactory(account=personas.account))  # alice's
    client = login(personas.bob)  # on the account team, still not his reminder
    assert theirs not in client.get(reverse("visits:notifications")).context["page"].object_list
    response = client.post(reverse("visits:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    client.post(reverse("visits:notifications_read_all"))
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "charlie"])
def test_the_team_page_is_not_found_for_reps(personas, login, who):
    assert login(getattr(personas, who)).get(reverse("visits:team")).status_code == 404


@pytest.mark.parametrize("who", ["manager", "other_manager", "admin"])
def test_the_team_page_opens_for_managers(personas, login, who):
    assert login(getattr(personas, who)).get(reverse("visits:team")).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/my-week/",
        "/visits/new/",
        "/visits/1/",
        "/accounts/1/visits/new/",
        "/development-records/",
        "/development-records/1/",
        "/team/",
        "/notifications/",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
