"""My week's planned visits: the first of each group on the page, how many there are, and
the list of all of them (`/my-week/planned/`), a page at a time, through the one
visibility rule."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.tests.paging_helpers import pages, rows_of
from visits import views
from visits.services import visit_delete
from visits.tests.factories import PlannedVisitFactory, VisitFactory

pytestmark = pytest.mark.django_db

MY_WEEK = reverse("visits:my_week")
LIST = reverse("visits:planned")


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def plan(account, when, **fields):
    return PlannedVisitFactory(account=account, planned_at=when, **fields)


def test_my_week_lists_the_first_of_each_group_and_links_to_the_rest(personas, login, monkeypatch):
    monkeypatch.setattr(views, "SHOWN", 3)
    today = timezone.localdate()
    account = personas.account
    unrecorded = [plan(account, at(today - days(10 - i))) for i in range(5)]
    today_rows = [plan(account, at(today, 8 + i)) for i in range(4)]
    week = [plan(account, at(today + days(1 + i))) for i in range(6)]
    later = [plan(account, at(today + days(8 + i))) for i in range(2)]
    plan(account, at(today - days(15)))  # planned too long ago for my week
    client = login(personas.alice)

    response = client.get(MY_WEEK)
    context = response.context
    assert context["unrecorded"] == unrecorded[:3]
    assert context["planned_today"] == today_rows[:3]
    assert context["planned_later"] == week[:3]
    assert context["planned_counts"] == {"unrecorded": 5, "today": 4, "week": 6, "later": 2}
    html = response.content.decode()
    for group, count in [("unrecorded", 5), ("today", 4), ("week", 6)]:
        more = html.split(f'data-more="planned-{group}"')[1].split("</p>")[0]
        assert f'href="{LIST}?when={group}"' in more
        assert f"3 of {count} shown: see them all" in more
    assert f'data-visit="{week[3].pk}"' not in html
    later_link = html.split('data-more="planned-later"')[1].split("</p>")[0]
    assert (
        f'href="{LIST}?when=later"' in later_link and "2 more planned after this week" in later_link
    )

    # Each link leads to every one of its group, a page at a time, soonest first.
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for group, expected in [
        ("unrecorded", unrecorded),
        ("today", today_rows),
        ("week", week),
        ("later", later),
    ]:
        assert rows_of(pages(client, LIST, {"when": group})) == expected, group
    assert rows_of(pages(client, LIST)) == unrecorded + today_rows + week + later


def test_a_group_that_fits_has_no_link_to_the_rest(personas, login):
    today = timezone.localdate()
    plan(personas.account, at(today + days(2)))
    html = login(personas.alice).get(MY_WEEK).content.decode()
    assert 'data-more="planned-week"' not in html
    assert 'data-more="planned-later"' not in html


def test_the_list_holds_what_the_user_logged_or_goes_to_and_may_see(personas, login):
    today = timezone.localdate()
    mine = plan(personas.account, at(today + days(1)))
    going_along = plan(personas.account, at(today + days(2)), owner=personas.bob)
    going_along.attendees.set([personas.alice])
    plan(personas.account, at(today + days(3)), owner=personas.bob)  # bob's alone
    # Charlie's account is not alice's to see, even though she was asked along.
    hidden = plan(personas.charlies_account, at(today + days(1)), owner=personas.charlie)
    hidden.attendees.set([personas.alice])
    VisitFactory(account=personas.account)  # recorded: not planned
    cancelled = plan(personas.account, at(today + days(4)))
    cancelled.status = "cancelled"
    cancelled.save()
    binned = plan(personas.account, at(today + days(5)))
    visit_delete(visit=binned, by=personas.alice)  # in the recycle bin
    binned_by_bob = plan(personas.account, at(today + days(5)), owner=personas.bob)
    binned_by_bob.attendees.set([personas.alice])
    visit_delete(visit=binned_by_bob, by=personas.bob)

    client = login(personas.alice)
    assert rows_of(pages(client, LIST)) == [mine, going_along]
    week = client.get(MY_WEEK).context
    assert week["planned_later"] == [mine, going_along]
    assert week["planned_counts"]["week"] == 2


def test_each_group_starts_at_midnight_of_its_first_day(personas, login):
    today = timezone.localdate()

    def midnight(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    second = datetime.timedelta(seconds=1)
    too_early = plan(personas.account, midnight(today - days(14)) - second)
    first_missed = plan(personas.account, midnight(today - days(14)))
    last_missed = plan(personas.account, midnight(today) - second)
    first_today = plan(personas.account, midnight(today))
    first_this_week = plan(personas.account, midnight(today + days(1)))
    last_this_week = plan(personas.account, midnight(today + days(8)) - second)
    first_later = plan(personas.account, midnight(today + days(8)))
    client = login(personas.alice)

    week = client.get(MY_WEEK).context
    assert week["unrecorded"] == [first_missed, last_missed]
    assert week["planned_today"] == [first_today]
    assert week["planned_later"] == [first_this_week, last_this_week]
    assert week["planned_counts"]["later"] == 1
    for group, expected in [
        ("unrecorded", [first_missed, last_missed]),
        ("today", [first_today]),
        ("week", [first_this_week, last_this_week]),
        ("later", [first_later]),
    ]:
        assert rows_of(pages(client, LIST, {"when": group})) == expected, group
    assert too_early not in rows_of(pages(client, LIST))


def test_a_visit_planned_before_today_offers_to_record_its_outcome(personas, login):
    today = timezone.localdate()
    forgotten = plan(personas.account, at(today - days(2)))
    coming = plan(personas.account, at(today + days(2)))
    html = login(personas.alice).get(LIST).content.decode()
    record = reverse("visits:edit", args=[forgotten.pk]) + "?status=done"
    item = html.split(f'data-visit="{forgotten.pk}"')[1].split("</li>")[0]
    assert f'href="{record}&amp;next={LIST}"' in item  # saving comes back to this list
    # Its name says which visit, starting with what the button shows (WCAG 2.5.3).
    assert 'aria-label="Record the outcome of the visit planned ' in item
    item = html.split(f'data-visit="{coming.pk}"')[1].split("</li>")[0]
    assert "?status=done" not in item


def test_an_unknown_group_shows_all_with_a_message(personas, login):
    mine = plan(personas.account, at(timezone.localdate() + days(1)))
    response = login(personas.alice).get(LIST, {"when": "<b>someday</b>"})
    assert response.status_code == 200
    assert response.context["page"].object_list == [mine]
    html = response.content.decode()
    assert "There is no group of planned visits called" in html
    assert "<b>someday</b>" not in html


def test_the_list_and_my_week_run_no_more_queries_for_many_than_for_few(personas, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    client = login(personas.alice)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for group in range(3):
        plan(personas.account, at(today + days(group - 1)))
    count(MY_WEEK), count(LIST)  # what is kept after the first view (the best next actions)
    few = count(MY_WEEK), count(LIST)
    for i in range(40):
        other = AccountFactory(owner=personas.alice)
        plan(other, at(today + days(i % 9 - 1), 9 + i % 8))
    assert count(MY_WEEK) == few[0]
    # The list reads the rows with a plan, then (only when the page is not full) those
    # without one (`keyset_page`: a nullable first key is read as two segments).
    assert count(LIST) <= few[1]


def test_an_empty_list_says_so_and_offers_to_plan_one(personas, login):
    html = login(personas.alice).get(LIST).content.decode()
    assert "No visit is planned here." in html
    assert f'href="{reverse("visits:start")}?status=planned"' in html
