"""The REVIEW_DUE reminder (once, however often the scan runs; a new date, a new one) and
the A/B accounts missing a review, against a plain Python computation."""

import datetime

import pytest
from django.utils import timezone

from accounts.selectors import accounts_visible_to
from accounts.tests.factories import AccountFactory
from visits.models import Notification, NotificationKind
from visits.reminders import notification_path, notification_text, reminders_scan
from visits.reviews import services
from visits.reviews.models import ReviewMeeting, ReviewStatus
from visits.reviews.periods import period_of
from visits.reviews.selectors import accounts_missing_review

from .factories import ReviewMeetingFactory
from .test_services import at, pin

pytestmark = pytest.mark.django_db


def test_review_due_once_with_the_scan_run_twice(personas, settings):
    settings.REVIEW_REMINDER_DAYS = 7
    now = timezone.now()
    soon = services.review_schedule(
        by=personas.bob,
        account=personas.account,
        scheduled_for=now + datetime.timedelta(days=3),
        period_kind="year",
    )
    # Too far ahead for a reminder yet; and a cancelled one gets none.
    ReviewMeetingFactory(
        account=personas.account,
        scheduled_for=now + datetime.timedelta(days=30),
        period_kind="half",
        period_start=datetime.date(1999, 1, 1),
    )
    ReviewMeetingFactory(
        account=personas.charlies_account,
        scheduled_for=now + datetime.timedelta(days=2),
        status=ReviewStatus.CANCELLED,
    )
    assert reminders_scan(now=now) >= 1
    reminders_scan(now=now)
    due = Notification.objects.filter(kind=NotificationKind.REVIEW_DUE)
    assert list(due.values_list("object_key", "recipient__username", "due_date")) == [
        (f"review:{soon.pk}", "alice", timezone.localdate(soon.scheduled_for))
    ]
    note = due.get()
    assert personas.account.name in notification_text(note)
    assert notification_path(note) == f"/reviews/{soon.pk}/"
    # Rescheduled: a new reminder for the new date.
    services.review_update(
        review=ReviewMeeting.objects.get(pk=soon.pk),
        by=personas.alice,
        scheduled_for=soon.scheduled_for + datetime.timedelta(days=1),
    )
    reminders_scan(now=now)
    reminders_scan(now=now)
    assert due.count() == 2
    # Held: its reminders are settled (read).
    services.review_cancel(review=ReviewMeeting.objects.get(pk=soon.pk), by=personas.alice)
    assert not due.filter(read_at__isnull=True).exists()


def test_missing_reviews_follow_grade_period_and_visibility(personas):
    today = timezone.localdate()
    half = period_of("half", today)
    year = period_of("year", today)
    owners = [personas.alice, personas.bob, personas.charlie]
    accounts = []
    for i, (grade, has) in enumerate(
        [
            ("A", None),  # no review: missing
            ("A", "half"),  # a review this half: fine
            ("A", "other_half"),  # only in the other half of the year: missing
            ("B", "other_half"),  # B is yearly: a review anywhere this year counts
            ("B", None),  # missing
            ("B", "cancelled"),  # a cancelled review does not count
            ("C", None),  # C is not required
            (None, None),  # nor an ungraded account
        ]
        * 2
    ):
        account = AccountFactory(owner=owners[i % 3])
        if grade:
            pin(account, grade, personas.admin)
        if has in ("half", "cancelled"):
            when = at(half.start + datetime.timedelta(days=1))
        elif has == "other_half":
            other = half.start.replace(month=7 if half.start.month == 1 else 1)
            when = at(other + datetime.timedelta(days=1))
        if has:
            ReviewMeetingFactory(
                account=account,
                scheduled_for=when,
                status=ReviewStatus.CANCELLED if has == "cancelled" else ReviewStatus.HELD,
                held_on=None if has == "cancelled" else timezone.localdate(when),
            )
        accounts.append((account, grade, has))

    def expected(user):
        visible = set(accounts_visible_to(user).values_list("pk", flat=True))
        out = set()
        for account, grade, has in accounts:
            if account.pk not in visible or grade not in ("A", "B"):
                continue
            if grade == "A":
                fine = has == "half"
            else:
                fine = has in ("half", "other_half") and year.contains(today)
            if not fine:
                out.add(account.pk)
        return out

    for user in [personas.alice, personas.manager, personas.charlie, personas.admin]:
        got = set(accounts_missing_review(user=user, today=today).values_list("pk", flat=True))
        assert got == expected(user), user.username
    assert expected(personas.admin)  # the world has some


def test_missing_reviews_page_and_dashboard_count(personas, login, django_assert_num_queries):
    pin(personas.account, "A", personas.manager)
    client = login(personas.manager)
    page = client.get("/reviews/missing/")
    assert page.status_code == 200
    assert f"/accounts/{personas.account.pk}/reviews/new/" in page.content.decode()
    assert f"/accounts/{personas.charlies_account.pk}/" not in page.content.decode()
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200
    assert 'data-tile="reviews-missing"' in dashboard.content.decode()
    ReviewMeetingFactory(account=personas.account, scheduled_for=timezone.now())
    again = client.get("/reviews/missing/").content.decode()
    assert f"/accounts/{personas.account.pk}/reviews/new/" not in again


def _queries(client, url, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_missing_page_queries_constant(personas, login):
    client = login(personas.manager)
    for _ in range(2):
        pin(AccountFactory(owner=personas.alice), "B", personas.admin)
    small = _queries(client, "/reviews/missing/", None)
    for _ in range(8):
        pin(AccountFactory(owner=personas.bob), "A", personas.admin)
    assert _queries(client, "/reviews/missing/", None) == small


def test_the_dashboard_count_follows_its_filters_and_costs_constant_queries(personas, login):
    import re

    client = login(personas.manager)
    for owner in (personas.alice, personas.bob):
        pin(AccountFactory(owner=owner), "A", personas.admin)

    def count(query=""):
        page = client.get(f"/dashboard/{query}").content.decode()
        found = re.search(r'data-tile="reviews-missing"><strong>(\d+)', page)
        return int(found.group(1))

    assert count() == 2
    assert count(f"?owner={personas.bob.pk}") == 1
    link = client.get(f"/dashboard/?owner={personas.bob.pk}").content.decode()
    assert f"/reviews/missing/?owner={personas.bob.pk}" in link
    listed = client.get(f"/reviews/missing/?owner={personas.bob.pk}").content.decode()
    assert listed.count("/reviews/new/") == 1
    few = _queries(client, "/dashboard/", None)
    for _ in range(5):
        pin(AccountFactory(owner=personas.alice), "B", personas.admin)
    assert _queries(client, "/dashboard/", None) == few
    assert count() == 7


def test_scheduling_a_meeting_this_week_reminds_at_once(
    personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_schedule(
            by=personas.bob,
            account=personas.account,
            scheduled_for=timezone.now() + datetime.timedelta(days=2),
        )
    note = Notification.objects.get(kind=NotificationKind.REVIEW_DUE)
    assert note.object_key == f"review:{review.pk}" and note.recipient == personas.alice


def test_an_overdue_review_follow_up_reminds_its_owner_once(personas):
    from .factories import ReviewFollowUpFactory

    today = timezone.localdate()
    late = ReviewFollowUpFactory(
        review__account=personas.account,
        owner=personas.bob,
        due_on=today - datetime.timedelta(days=2),
    )
    review = late.review
    ReviewFollowUpFactory(  # done: no reminder
        review=review,
        owner=personas.bob,
        due_on=today - datetime.timedelta(days=2),
        done_on=today - datetime.timedelta(days=1),
    )
    ReviewFollowUpFactory(review=review, owner=personas.bob, due_on=today)  # not due yet
    reminders_scan()
    reminders_scan()
    overdue = Notification.objects.filter(kind=NotificationKind.REVIEW_FOLLOW_UP_OVERDUE)
    assert list(overdue.values_list("object_key", "recipient__username", "due_date")) == [
        (f"reviewfollowup:{late.pk}", "bob", late.due_on)
    ]
    note = overdue.get()
    assert personas.account.name in notification_text(note)
    assert notification_path(note) == f"/review-follow-ups/{late.pk}/edit/"
    # A new due date that passes again: a new reminder.
    ReviewFollowUpFactory._meta.model.objects.filter(pk=late.pk).update(
        due_on=today - datetime.timedelta(days=1)
    )
    reminders_scan()
    assert overdue.count() == 2


def test_the_missing_reviews_export_as_the_page_lists_them(personas, login):
    """The managers' list exports as accounts (the account list's gap "no review in its
    period", with the list's filters): the same accounts, and the account list's filter
    lists them too."""
    from keyaccounts.tests.export_links import export_link, exported_records

    client = login(personas.manager)
    missing = [AccountFactory(owner=owner, name=f"Missing {owner}") for owner in (
        personas.alice, personas.bob)]  # fmt: skip
    for account in missing:
        pin(account, "A", personas.admin)
    held = AccountFactory(owner=personas.bob, name="Reviewed Co")
    pin(held, "B", personas.admin)
    ReviewMeetingFactory(account=held, scheduled_for=timezone.now())

    def exported(url: str) -> list[str]:
        link = export_link(client.get(url).content.decode(), "accounts")
        return sorted(row["Name"] for row in exported_records(client, link))

    def listed(url: str) -> list[str]:
        return sorted(a.name for a in client.get(url).context["page"].object_list)

    assert exported("/reviews/missing/") == listed("/reviews/missing/")
    assert "Reviewed Co" not in exported("/reviews/missing/")
    by_bob = f"/reviews/missing/?owner={personas.bob.pk}"
    assert exported(by_bob) == listed(by_bob) == [missing[1].name]
    assert listed("/accounts/?gap=no_review") == listed("/reviews/missing/")
