"""The review pages: schedule, minutes, follow-ups, cancel, the sections on the account
page and my week; 404 outside the visibility rule; constant queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import ContactFactory
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus

from .factories import ReviewFollowUpFactory, ReviewMeetingFactory

pytestmark = pytest.mark.django_db


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_schedule_then_record_minutes_then_follow_up(personas, login):
    client = login(personas.alice)
    contact = ContactFactory(account=personas.account)
    when = timezone.now() - datetime.timedelta(hours=3)
    answer = client.post(
        f"/accounts/{personas.account.pk}/reviews/new/",
        {"scheduled_for": local(when), "period_kind": "year", "place": "Their office"},
    )
    review = ReviewMeeting.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/reviews/{review.pk}/"
    assert client.get(f"/reviews/{review.pk}/").status_code == 200
    form = client.get(f"/reviews/{review.pk}/minutes/")
    assert form.status_code == 200
    # Satisfaction not asked says so, not Django's "---------".
    assert "---------" not in form.content.decode()
    assert '<option value="" selected>— not asked —</option>' in form.content.decode()
    answer = client.post(
        f"/reviews/{review.pk}/minutes/",
        {
            "version": review.version,
            "held_on": timezone.localdate().isoformat(),
            "contacts": [contact.pk],
            "attendees": [personas.alice.pk, personas.bob.pk],
            "said_about_us": "Good service; invoices late.",
            "said_about_our_people": "Bob is helpful.",
            "satisfaction": "4",
            "agreed_changes": "Invoices by the 5th.",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    answer = client.post(
        f"/reviews/{review.pk}/follow-ups/new/",
        {
            "what": "Invoices by the 5th",
            "owner": personas.bob.pk,
            "due_on": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
        },
    )
    assert answer.status_code == 302
    follow_up = ReviewFollowUp.objects.get()
    assert follow_up.owner == personas.bob
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "Invoices by the 5th" in page
    assert client.post(f"/review-follow-ups/{follow_up.pk}/done/").status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_on == timezone.localdate()
    assert client.get(f"/reviews/{review.pk}/history/").status_code == 200
    assert client.get(f"/review-follow-ups/{follow_up.pk}/history/").status_code == 200


def test_bad_input_is_a_field_error_never_a_500(personas, login):
    client = login(personas.alice)
    answer = client.post(
        f"/accounts/{personas.account.pk}/reviews/new/", {"scheduled_for": "tomorrow"}
    )
    assert answer.status_code == 200
    assert not ReviewMeeting.objects.exists()
    review = ReviewMeetingFactory(account=personas.account)
    answer = client.post(
        f"/reviews/{review.pk}/minutes/",
        {"version": review.version, "held_on": "2999-01-01", "said_about_us": "x"},
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "future" in body and "at least one" in body
    answer = client.post(f"/reviews/{review.pk}/follow-ups/new/", {"what": ""})
    assert answer.status_code == 400


def test_a_second_review_in_the_period_is_refused_on_the_form(personas, login):
    client = login(personas.alice)
    review = ReviewMeetingFactory(account=personas.account)
    answer = client.post(
        f"/accounts/{personas.account.pk}/reviews/new/",
        {"scheduled_for": local(review.scheduled_for), "period_kind": "year"},
    )
    assert answer.status_code == 200
    assert "already has a review" in answer.content.decode()
    assert ReviewMeeting.objects.count() == 1


def test_cancel_and_delete(personas, login):
    client = login(personas.alice)
    review = ReviewMeetingFactory(account=personas.account)
    assert client.get(f"/reviews/{review.pk}/cancel/").status_code == 200
    assert client.post(f"/reviews/{review.pk}/cancel/", {"reason": "moved"}).status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.CANCELLED
    assert client.get(f"/reviews/{review.pk}/delete/").status_code == 200
    assert client.post(f"/reviews/{review.pk}/delete/").status_code == 302
    assert not ReviewMeeting.objects.exists()


def test_outsiders_get_404_everywhere(personas, login):
    review = ReviewMeetingFactory(account=personas.account)
    follow_up = ReviewFollowUpFactory(review__account=personas.account, review__period_kind="half")
    client = login(personas.charlie)
    for url in [
        f"/accounts/{personas.account.pk}/reviews/",
        f"/accounts/{personas.account.pk}/reviews/new/",
        f"/reviews/{review.pk}/",
        f"/reviews/{review.pk}/edit/",
        f"/reviews/{review.pk}/minutes/",
        f"/reviews/{review.pk}/cancel/",
        f"/reviews/{review.pk}/history/",
        f"/reviews/{review.pk}/delete/",
        f"/review-follow-ups/{follow_up.pk}/edit/",
        f"/review-follow-ups/{follow_up.pk}/history/",
        f"/review-follow-ups/{follow_up.pk}/delete/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/reviews/{review.pk}/cancel/",
        f"/reviews/{review.pk}/delete/",
        f"/reviews/{review.pk}/follow-ups/new/",
        f"/review-follow-ups/{follow_up.pk}/done/",
        f"/review-follow-ups/{follow_up.pk}/reopen/",
        f"/review-follow-ups/{follow_up.pk}/delete/",
    ]:
        assert client.post(url).status_code == 404, url
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED and review.deleted_at is None


def test_a_follow_up_marked_done_by_mistake_is_opened_again(personas, login):
    """ "Not done" on the review's page: open again, overdue again when its day has
    passed, and the history keeps the day it was marked done."""
    follow_up = ReviewFollowUpFactory(
        review__account=personas.account,
        review__held_on=timezone.localdate() - datetime.timedelta(days=30),
        due_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    client = login(personas.alice)
    page = f"/reviews/{follow_up.review.pk}/"
    reopen = f"/review-follow-ups/{follow_up.pk}/reopen/"
    assert reopen not in client.get(page).content.decode()  # open: nothing to reopen
    assert client.post(f"/review-follow-ups/{follow_up.pk}/done/").status_code == 302
    html = client.get(page).content.decode()
    assert reopen in html and "Not done" in html
    answer = client.post(reopen, follow=True)
    assert "Follow-up open again." in answer.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.done_on is None
    row = answer.content.decode().split(f'id="follow-up-{follow_up.pk}"')[1].split("</tr>")[0]
    assert "Overdue" in row and "Mark done" in row
    assert [entry.done_on for entry in follow_up.history.order_by("history_id")] == [
        None,
        timezone.localdate(),
        None,
    ]
    again = client.post(reopen, follow=True).content.decode()  # a second tab's click
    assert "This follow-up is still open." in again


def test_account_page_section_says_what_is_missing_then_the_review(personas, login):
    client = login(personas.alice)
    page = client.get(f"/accounts/{personas.account.pk}/").content.decode()
    assert 'id="review"' in page and "No review for" in page
    ReviewMeetingFactory(account=personas.account, scheduled_for=timezone.now())
    page = client.get(f"/accounts/{personas.account.pk}/").content.decode()
    assert "No review for" not in page and "Open the review" in page


def test_my_week_shows_upcoming_reviews_and_open_follow_ups(personas, login):
    ReviewMeetingFactory(
        account=personas.account, scheduled_for=timezone.now() + datetime.timedelta(days=3)
    )
    follow_up = ReviewFollowUpFactory(
        review__account=personas.account,
        review__period_kind="half",
        owner=personas.bob,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    alice_week = login(personas.alice).get("/my-week/").content.decode()
    assert 'id="reviews"' in alice_week
    bob_week = login(personas.bob).get("/my-week/").content.decode()
    assert follow_up.what in bob_week and "Overdue" in bob_week


def test_pages_cost_constant_queries(personas, login):
    client = login(personas.alice)
    review = ReviewFollowUpFactory(review__account=personas.account).review
    urls = [
        f"/accounts/{personas.account.pk}/reviews/",
        f"/reviews/{review.pk}/",
        "/my-week/",
        f"/accounts/{personas.account.pk}/",
    ]
    before = [count_queries(client, url) for url in urls]
    for i in range(6):
        ReviewMeetingFactory(
            account=personas.account,
            period_kind="half",
            period_start=datetime.date(2000 + i, 1, 1),
            scheduled_for=timezone.now() + datetime.timedelta(days=1 + i),
        )
        ReviewFollowUpFactory(review=review, account=personas.account, owner=personas.alice)
    assert [count_queries(client, url) for url in urls] == before


def test_the_recycle_bin_lists_and_restores_a_review(personas, login):
    from keyaccounts.recyclebin.models import Deletion

    review = ReviewFollowUpFactory(review__account=personas.account).review
    client = login(personas.alice)
    assert client.post(f"/reviews/{review.pk}/delete/").status_code == 302
    deletion = Deletion.objects.get(object_id=review.pk, model="reviews.reviewmeeting")
    page = client.get("/recycle-bin/").content.decode()
    assert "Review meeting" in page and "1 review follow-up" in page
    assert client.post(f"/recycle-bin/{deletion.pk}/restore/").status_code == 302
    assert ReviewMeeting.objects.filter(pk=review.pk).exists()
    assert ReviewFollowUp.objects.filter(review=review).exists()


def test_rescheduling_into_another_period_says_the_period_left_has_no_review(personas, login):
    from django.contrib.messages import get_messages

    review = ReviewMeetingFactory(account=personas.account, period_kind="half")
    before = review.period_label
    later = timezone.localtime(review.scheduled_for) + datetime.timedelta(days=200)
    client = login(personas.alice)

    response = client.post(
        f"/reviews/{review.pk}/edit/",
        {
            "scheduled_for": later.strftime("%Y-%m-%dT%H:%M"),
            "period_kind": "half",
            "place": "",
            "agenda": "",
            "version": review.version,
        },
    )

    review.refresh_from_db()
    assert response.status_code == 302
    assert review.period_label != before
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        f"The review is now {review.period_label}'s" in m and f"{before} has no review" in m
        for m in said
    ), said


def test_minutes_with_several_problems_are_told_all_at_once(personas, login):
    """A day in the future, nobody ticked on either side and nothing written of what
    they said: every field's problem in one answer, not one after another."""
    review = ReviewMeetingFactory(account=personas.account, scheduled_for=timezone.now())
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    answer = login(personas.alice).post(
        f"/reviews/{review.pk}/minutes/",
        {"held_on": tomorrow.isoformat(), "version": review.version},
    )
    errors = answer.context["form"].errors
    assert set(errors) >= {"held_on", "contacts", "attendees", "said_about_us"}, errors
    assert "cannot be held in the future" in errors["held_on"][0]
    assert "Tick at least one" in errors["contacts"][0]
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED
