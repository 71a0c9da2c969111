"""Review meetings: scheduling, one per period, minutes, cancel, delete and restore, and
their follow-ups — through the real services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import account_delete, account_restore
from accounts.tests.factories import ContactFactory, UserFactory
from keyaccounts.exceptions import ApplicationError
from scoring.services import grade_pin
from visits.reviews import services
from visits.reviews.models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from visits.reviews.periods import PeriodKind, period_of

pytestmark = pytest.mark.django_db


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def pin(account, grade, by):
    grade_pin(
        account=account,
        by=by,
        grade=grade,
        reason="test",
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )


def test_period_follows_the_grade_and_the_meeting_date(personas):
    pin(personas.account, "A", personas.manager)
    day = datetime.date(2026, 9, 15)
    review = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=at(day)
    )
    assert (review.period_kind, review.period_start) == ("half", datetime.date(2026, 7, 1))
    assert review.period_label == "2026 H2"
    pin(personas.account, "B", personas.manager)
    other = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=at(datetime.date(2027, 3, 1))
    )
    assert (other.period_kind, other.period_start) == ("year", datetime.date(2027, 1, 1))


def test_one_live_review_per_account_and_period(personas):
    day = timezone.localdate() + datetime.timedelta(days=3)
    first = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=at(day), period_kind="year"
    )
    with pytest.raises(ApplicationError) as refused:
        services.review_schedule(
            by=personas.bob, account=personas.account, scheduled_for=at(day, 15), period_kind="year"
        )
    assert refused.value.code == "duplicate_period"
    assert refused.value.extra["review"] == first.pk
    # A cancelled review frees its period.
    services.review_cancel(review=first, by=personas.alice, reason="they asked to move it")
    again = services.review_schedule(
        by=personas.bob, account=personas.account, scheduled_for=at(day, 15), period_kind="year"
    )
    assert again.status == ReviewStatus.SCHEDULED
    assert ReviewMeeting.objects.filter(account=personas.account).count() == 2


def test_scheduling_needs_a_visible_account(personas):
    with pytest.raises(ApplicationError) as refused:
        services.review_schedule(
            by=personas.charlie, account=personas.account, scheduled_for=timezone.now()
        )
    assert refused.value.code == "not_found"
    assert not ReviewMeeting.objects.exists()


def test_reschedule_moves_the_period_and_keeps_one_per_period(personas):
    this_year = timezone.localdate().year
    a = services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=at(datetime.date(this_year + 1, 2, 1)),
        period_kind="year",
    )
    b = services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=at(datetime.date(this_year + 2, 2, 1)),
        period_kind="year",
    )
    with pytest.raises(ApplicationError):
        services.review_update(
            review=b, by=personas.alice, scheduled_for=at(datetime.date(this_year + 1, 5, 1))
        )
    moved = services.review_update(
        review=ReviewMeeting.objects.get(pk=a.pk),
        by=personas.alice,
        scheduled_for=at(datetime.date(this_year + 3, 5, 1)),
    )
    assert moved.period_start == datetime.date(this_year + 3, 1, 1)
    assert moved.version == 2


def _held(personas, **extra):
    contact = ContactFactory(account=personas.account)
    review = services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.now() - datetime.timedelta(hours=2),
    )
    return services.review_record_minutes(
        review=review,
        by=personas.alice,
        held_on=timezone.localdate(),
        contacts=[contact],
        attendees=[personas.alice, personas.bob],
        said_about_us="Deliveries late twice in spring.",
        said_about_our_people="Bob answers fast; the engineer should visit more often.",
        agreed_changes="Monthly delivery report.",
        satisfaction=4,
        **extra,
    )


def test_minutes_make_the_review_held_with_both_sides(personas):
    review = _held(personas)
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    assert set(review.attendees.values_list("username", flat=True)) == {"alice", "bob"}
    assert review.contacts.count() == 1
    # One history entry for the minutes, with the people as they are now.
    assert review.history.count() == 2


def test_minutes_refuse_outsiders_foreign_contacts_and_the_future(personas):
    review = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=timezone.now()
    )
    foreign = ContactFactory(account=personas.charlies_account)
    left = UserFactory(sales_team=personas.east, is_active=False)
    with pytest.raises(ValidationError) as refused:
        services.review_record_minutes(
            review=review,
            by=personas.alice,
            held_on=timezone.localdate() + datetime.timedelta(days=2),
            contacts=[foreign],
            attendees=[personas.charlie, left],
            said_about_us="",
        )
    errors = refused.value.message_dict
    assert set(errors) == {"held_on", "contacts", "attendees", "said_about_us"}
    assert "charlie" in errors["attendees"][0].lower() or "Charlie" in errors["attendees"][0]
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED
    with pytest.raises(ValidationError) as empty:
        services.review_record_minutes(
            review=review, by=personas.alice, held_on=timezone.localdate(), said_about_us="x"
        )
    assert {"contacts", "attendees"} <= set(empty.value.message_dict)


def test_cancel_only_a_scheduled_review(personas):
    review = _held(personas)
    with pytest.raises(ApplicationError):
        services.review_cancel(review=review, by=personas.alice)


def test_follow_ups_need_a_held_review_and_an_owner_who_sees_the_account(personas):
    scheduled = services.review_schedule(
        by=personas.alice,
        account=personas.account,
        scheduled_for=timezone.now() + datetime.timedelta(days=400),
        period_kind=PeriodKind.YEAR,
    )
    due = timezone.localdate() + datetime.timedelta(days=10)
    with pytest.raises(ApplicationError):
        services.follow_up_create(
            review=scheduled, by=personas.alice, what="x", owner=personas.bob, due_on=due
        )
    review = _held(personas)
    with pytest.raises(ValidationError) as refused:
        services.follow_up_create(
            review=review, by=personas.alice, what="x", owner=personas.charlie, due_on=due
        )
    assert "owner" in refused.value.message_dict
    follow_up = services.follow_up_create(
        review=review, by=personas.alice, what="Report", owner=personas.bob, due_on=due
    )
    assert follow_up.account_id == personas.account.pk
    done = services.follow_up_done(follow_up=follow_up, by=personas.bob)
    assert done.done_on == timezone.localdate()
    with pytest.raises(ApplicationError):
        services.follow_up_done(follow_up=done, by=personas.bob)


def test_delete_takes_the_follow_ups_and_restore_brings_them_back(personas):
    review = _held(personas)
    services.follow_up_create(
        review=review,
        by=personas.alice,
        what="Report",
        owner=personas.bob,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    deletion = services.review_delete(review=review, by=personas.alice)
    assert deletion.counts == {"reviews.reviewfollowup": 1}
    assert not ReviewMeeting.objects.exists() and not ReviewFollowUp.objects.exists()
    # While it is in the bin, the period is free; a new review there blocks the restore.
    blocker = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=review.scheduled_for
    )
    deleted = ReviewMeeting.all_objects.get(pk=review.pk)
    with pytest.raises(ApplicationError) as refused:
        services.review_restore(review=deleted, by=personas.alice)
    assert refused.value.code == "duplicate_period"
    services.review_cancel(review=blocker, by=personas.alice)
    services.review_restore(review=deleted, by=personas.alice)
    assert ReviewMeeting.objects.filter(pk=review.pk).exists()
    assert ReviewFollowUp.objects.filter(review=review).count() == 1


def test_only_the_scheduler_owner_or_a_manager_deletes(personas):
    review = services.review_schedule(
        by=personas.bob, account=personas.account, scheduled_for=timezone.now()
    )
    with pytest.raises(ApplicationError):
        services.review_delete(review=review, by=personas.carol)
    services.review_delete(review=review, by=personas.manager)


def test_an_account_deletion_takes_its_reviews_along(personas):
    review = _held(personas)
    services.follow_up_create(
        review=review,
        by=personas.alice,
        what="Report",
        owner=personas.alice,
        due_on=timezone.localdate() + datetime.timedelta(days=5),
    )
    deletion = account_delete(account=personas.account, by=personas.manager)
    assert deletion.counts["reviews.reviewmeeting"] == 1
    assert deletion.counts["reviews.reviewfollowup"] == 1
    assert not ReviewMeeting.objects.exists()
    personas.account.refresh_from_db()
    account_restore(account=personas.account, by=personas.manager)
    assert ReviewMeeting.objects.filter(pk=review.pk).exists()
    assert ReviewFollowUp.objects.count() == 1


def test_period_of():
    assert period_of("half", datetime.date(2026, 6, 30)).end == datetime.date(2026, 7, 1)
    assert period_of("half", datetime.date(2026, 7, 1)).end == datetime.date(2027, 1, 1)
    assert period_of("year", datetime.date(2026, 7, 1)).start == datetime.date(2026, 1, 1)


def test_a_merge_takes_the_reviews_along_unless_two_live_ones_share_a_period(personas):
    from accounts.services import account_merge
    from accounts.tests.factories import AccountFactory

    twin = AccountFactory(owner=personas.alice, name="Alice's Customer Twin")
    day = timezone.localdate() + datetime.timedelta(days=3)
    theirs = services.review_schedule(
        by=personas.alice, account=twin, scheduled_for=at(day), period_kind="year"
    )
    ours = services.review_schedule(
        by=personas.alice, account=personas.account, scheduled_for=at(day), period_kind="year"
    )
    with pytest.raises(ApplicationError) as refused:
        account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    assert refused.value.code == "invalid"
    assert theirs.period_label in refused.value.message
    # Nothing of the refused merge is kept.
    theirs.refresh_from_db()
    twin.refresh_from_db()
    assert theirs.account_id == twin.pk and twin.merged_into_id is None

    services.review_cancel(review=ours, by=personas.alice)
    follow_up = ReviewFollowUp.objects.create(
        review=theirs, account=twin, what="Send the report", owner=personas.alice, due_on=day
    )
    version = theirs.version
    account_merge(survivor=personas.account, merged=twin, by=personas.manager, values={})
    theirs.refresh_from_db()
    follow_up.refresh_from_db()
    assert theirs.account_id == follow_up.account_id == personas.account.pk
    assert theirs.version == version + 1  # a new version: sync clients learn of the move
