"""In-app reminders: the bell's count, the list, marking read; each user's own only."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from visits.models import Notification, NotificationKind
from visits.tests.factories import NotificationFactory, VisitFactory

pytestmark = pytest.mark.django_db

LIST = reverse("visits:notifications")


@pytest.fixture
def alices(personas):
    visit = VisitFactory(account=personas.account)
    older = NotificationFactory(visit=visit)
    Notification.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    newer = NotificationFactory(visit=visit, kind=NotificationKind.FOLLOW_UP_OVERDUE)
    read = NotificationFactory(
        visit=visit, kind=NotificationKind.FOLLOW_UP_ESCALATION, read_at=timezone.now()
    )
    Notification.objects.filter(pk=read.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=5)
    )
    return [newer, older, read]


@pytest.fixture
def charlies(personas):
    return NotificationFactory(visit=VisitFactory(account=personas.charlies_account))


def test_the_bell_shows_the_unread_count_on_every_page(personas, login, alices, charlies):
    client = login(personas.alice)
    for url in [LIST, reverse("accounts:list"), reverse("visits:my_week")]:
        assert 'data-unread="2"' in client.get(url).content.decode(), url
    assert 'data-unread="0"' in login(personas.bob).get(LIST).content.decode()


def test_the_count_costs_one_query_and_none_when_anonymous(personas, login, client, alices):
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("login"))
    assert not [q for q in ctx.captured_queries if "visits_notification" in q["sql"]]
    login(personas.alice)
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("accounts:list"))
    assert len([q for q in ctx.captured_queries if "visits_notification" in q["sql"]]) == 1


def test_the_bell_stops_counting_at_99_and_says_more(personas, login, alices):
    """A manager with hundreds unread: the bell reads "99+" and the count's read stops
    at 100 rows (a LIMIT in the query); at exactly 99 it is 99."""
    from visits.context_processors import BELL_LIMIT

    def more(n):
        for _ in range(n):
            NotificationFactory(visit=VisitFactory(account=personas.account))

    more(BELL_LIMIT - 2)  # 2 unread already: 99 in all
    client = login(personas.alice)
    html = client.get(LIST).content.decode()
    assert 'data-unread="99"' in html and '<span class="count">99</span>' in html
    more(30)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("visits:my_week")).content.decode()
    assert '<span class="count">99+</span>' in html
    assert "More than 99 unread reminders" in html
    (count,) = [
        q["sql"]
        for q in ctx.captured_queries
        if "visits_notification" in q["sql"] and "COUNT" in q["sql"]
    ]
    assert "LIMIT 100" in count


def test_the_list_shows_only_my_notifications_newest_first(personas, login, alices, charlies):
    response = login(personas.alice).get(LIST)
    assert list(response.context["page"].object_list) == alices
    html = response.content.decode()
    assert html.count('class="notification unread"') == 2
    assert "Alice&#x27;s Customer Co" in html
    assert "Charlie" not in html
    assert alices[0].visit.get_absolute_url() in html


def test_a_contact_lapsed_reminder_links_to_the_account(personas, login):
    NotificationFactory(
        visit=None,
        account=personas.account,
        recipient=personas.alice,
        kind=NotificationKind.CONTACT_LAPSED,
        object_key=f"account:{personas.account.pk}",
        due_date=timezone.localdate(),
    )
    html = login(personas.alice).get(LIST).content.decode()
    assert f'href="{personas.account.get_absolute_url()}"' in html


def test_marking_one_read(personas, login, alices):
    client = login(personas.alice)
    response = client.post(reverse("visits:notification_read", args=[alices[0].pk]))
    assert response.status_code == 302
    alices[0].refresh_from_db()
    assert alices[0].read_at is not None
    assert 'data-unread="1"' in client.get(LIST).content.decode()


def test_marking_all_read(personas, login, alices, charlies):
    client = login(personas.alice)
    client.post(reverse("visits:notifications_read_all"))
    assert not Notification.objects.filter(recipient=personas.alice, read_at__isnull=True)
    charlies.refresh_from_db()
    assert charlies.read_at is None  # someone else's stay as they are


def test_someone_elses_notification_is_not_found(personas, login, charlies):
    for who in ["alice", "manager", "other_manager"]:
        client = login(getattr(personas, who))
        response = client.post(reverse("visits:notification_read", args=[charlies.pk]))
        assert response.status_code == 404, who
    charlies.refresh_from_db()
    assert charlies.read_at is None


def test_marking_read_is_post_only_and_odd_pages_are_fine(personas, login, alices):
    client = login(personas.alice)
    assert client.get(reverse("visits:notification_read", args=[alices[0].pk])).status_code == 405
    assert client.get(LIST, {"page": "abc"}).status_code == 200
    assert client.get(LIST, {"page": "9999"}).status_code == 200


def test_the_list_runs_the_same_number_of_queries_for_2_or_25(personas, login):
    client = login(personas.alice)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        NotificationFactory(visit=VisitFactory(account=personas.account))
    few = count()
    for _ in range(23):
        NotificationFactory(visit=VisitFactory(account=personas.account))
    assert count() == few


def test_reminders_about_an_account_given_to_someone_else_leave_the_list(personas, login, alices):
    url = reverse("visits:notifications")
    assert len(login(personas.alice).get(url).context["page"].object_list) == len(alices)
    personas.account.owner = personas.carol
    personas.account.save()
    response = login(personas.alice).get(url)
    assert list(response.context["page"].object_list) == []
    assert response.context["header"]["unread_notifications"] == 0
