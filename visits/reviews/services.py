"""Writes for review meetings and their follow-ups. Pages, the API and the demo call these."""

import datetime

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to, is_manager
from accounts.services import check_restorer
from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.tasks import enqueue_on_commit
from keyaccounts.text import join_words
from visits.models import Notification, NotificationKind

from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from .periods import PeriodKind, period_kind_for_grade, period_of
from .selectors import users_seeing_account

# What a review's minutes are made of (review_record_minutes' keyword arguments).
MINUTES_FIELDS = (
    "held_on",
    "place",
    "said_about_us",
    "said_about_our_people",
    "agreed_changes",
    "satisfaction",
    "notes",
)
SCHEDULE_FIELDS = ("scheduled_for", "period_kind", "place", "agenda", "external_id")


def _check_visible(by: User, account: Account) -> None:
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("You cannot hold reviews with this account."), code="not_found")


def account_grade(account: Account) -> str | None:
    return Account.all_objects.filter(pk=account.pk).values_list("score__grade", flat=True).first()


def _set_period(review: ReviewMeeting) -> None:
    """The period follows the meeting's date; its kind, when not chosen, the grade."""
    if not review.period_kind:
        review.period_kind = period_kind_for_grade(account_grade(review.account))
    if review.scheduled_for and review.period_kind in PeriodKind.values:
        review.period_start = period_of(
            review.period_kind, timezone.localdate(review.scheduled_for)
        ).start


def _check_one_per_period(review: ReviewMeeting) -> None:
    if review.status == ReviewStatus.CANCELLED or not review.period_start:
        return
    other = (
        ReviewMeeting.objects.filter(
            account_id=review.account_id,
            period_kind=review.period_kind,
            period_start=review.period_start,
        )
        .exclude(status=ReviewStatus.CANCELLED)
        .exclude(pk=review.pk)
        .first()
    )
    if other is not None:
        raise ApplicationError(
            _(
                "%(account)s already has a review for %(period)s (%(date)s). Reschedule "
                "that one, or cancel it first."
            )
            % {
                "account": review.account.name,
                "period": review.period_label,
                "date": f"{timezone.localtime(other.scheduled_for):%Y-%m-%d}",
            },
            code="duplicate_period",
            extra={"review": other.pk},
        )


@transaction.atomic
def review_schedule(
    *,
    by: User,
    account: Account,
    scheduled_for: datetime.datetime,
    period_kind: str = "",
    place: str = "",
    agenda: str = "",
    external_id: str | None = None,
) -> ReviewMeeting:
    """Schedule a review with the customer: one per account and period (a year, or a
    half-year for A accounts, from the meeting's date); refused when the period already
    has one that is not cancelled."""
    _check_visible(by, account)
    if scheduled_for is None:
        raise ValidationError({"scheduled_for": _("Give the date and time of the meeting.")})
    review = ReviewMeeting(
        account=account,
        scheduled_by=by,
        scheduled_for=scheduled_for,
        period_kind=period_kind or "",
        place=place or "",
        agenda=agenda or "",
        external_id=external_id or None,
        status=ReviewStatus.SCHEDULED,
    )
    _set_period(review)
    _check_one_per_period(review)
    review.full_clean(exclude=["contacts", "attendees"])
    review.save()
    _nudge(review)
    return review


def _nudge(review: ReviewMeeting) -> None:
    """Once committed, scan the account's reminders (a meeting within the reminder days
    is reminded of now, not at the next periodic scan)."""
    from visits.tasks import reminders_for_account

    enqueue_on_commit(reminders_for_account, review.account_id)


@transaction.atomic
def review_update(
    *, review: ReviewMeeting, by: User, expected_version: int | None = None, **fields
) -> ReviewMeeting:
    """Reschedule a scheduled review or change its place and agenda. A new date gets a
    new reminder; a date in another period moves it there (if that period is free)."""
    _check_visible(by, review.account)
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields are not changed by rescheduling: %(names)s.")
            % {"names": join_words(sorted(unknown))}
        )
    stored = ReviewMeeting.objects.filter(pk=review.pk).values_list("status", flat=True).first()
    for name, value in fields.items():
        setattr(review, name, value if value is not None or name == "external_id" else "")
    if stored != ReviewStatus.SCHEDULED:
        if review.unchanged_against_stored(router.db_for_write(ReviewMeeting)):
            return review  # sent back as it is: nothing to say
        raise ApplicationError(
            _("Only a scheduled review can be rescheduled; this one is %(status)s.")
            % {"status": ReviewStatus(stored).label if stored else "?"},
            code="protected",
        )
    _set_period(review)
    _check_one_per_period(review)
    review.full_clean(exclude=["contacts", "attendees"])
    review.save(expected_version=expected_version)
    if review.saved_changes:
        _nudge(review)
    return review


def _check_minutes(review: ReviewMeeting, contacts, attendees, today: datetime.date) -> None:
    errors = minutes_problems(
        account=review.account,
        held_on=review.held_on,
        contacts=contacts,
        attendees=attendees,
        said_about_us=review.said_about_us,
        today=today,
    )
    if errors:
        raise ValidationError(errors)


def minutes_problems(
    *,
    account: Account,
    held_on: datetime.date | None,
    contacts,
    attendees,
    said_about_us: str,
    today: datetime.date,
) -> dict[str, str]:
    """What is wrong with a review's minutes, by field, all at once: the day it was held
    (given, not in the future), who attended on both sides (the account's contacts; our
    people who see the account), what the customer said about us. The minutes form asks
    it too, so a person is told everything in one round."""
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Give the date the meeting was held.")
    elif held_on > today:
        errors["held_on"] = _(
            "A meeting cannot be held in the future. Record the minutes after it, or "
            "correct the date."
        )
    if not contacts:
        errors["contacts"] = _("Tick at least one of the customer's people who attended.")
    else:
        foreign = [c for c in contacts if c.account_id != account.pk]
        if foreign:
            errors["contacts"] = _(
                "%(names)s is not a contact of %(account)s. Choose people from this "
                "account's buying center."
            ) % {"names": join_words(c.name for c in foreign), "account": account.name}
    if not attendees:
        errors["attendees"] = _("Give at least one of our people who attended.")
    else:
        seeing = users_seeing_account(account=account, users=attendees)
        outside = [u for u in attendees if u.pk not in seeing]
        if outside:
            errors["attendees"] = _(
                "%(names)s cannot see %(account)s: choose people of the account's team, "
                "its owner or their manager (and only those who can still log in)."
            ) % {"names": join_words(outside), "account": account.name}
    if not (said_about_us or "").strip():
        errors["said_about_us"] = _(
            "Write down what the customer said about our products and service."
        )
    return errors


def _set_people(review: ReviewMeeting, *, contacts: list, attendees: list) -> bool:
    """Set who attended; True if that changed anything (no history entries of their
    own: the review's save writes one entry with the people as they are now)."""
    changed = False
    for relation, people in ((review.contacts, contacts), (review.attendees, attendees)):
        wanted = {person.pk for person in people}
        if set(relation.values_list("pk", flat=True)) != wanted:
            changed = True
            review.skip_history_when_saving = True
            try:
                relation.set(people)
            finally:
                del review.skip_history_when_saving
    return changed


@transaction.atomic
def review_record_minutes(
    *,
    review: ReviewMeeting,
    by: User,
    contacts=(),
    attendees=(),
    expected_version: int | None = None,
    today: datetime.date | None = None,
    **minutes,
) -> ReviewMeeting:
    """Record (or correct) the minutes: the review is then held. Attendees on our side
    must be people who can see the account, on theirs the account's contacts."""
    today = today or timezone.localdate()
    _check_visible(by, review.account)
    if review.status == ReviewStatus.CANCELLED:
        raise ApplicationError(
            _("This review was cancelled: schedule a new one to record its minutes."),
            code="protected",
        )
    unknown = set(minutes) - set(MINUTES_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields are not part of the minutes: %(names)s.")
            % {"names": join_words(sorted(unknown))}
        )
    contacts, attendees = list(contacts), list(attendees)
    for name, value in minutes.items():
        setattr(
            review, name, "" if value is None and name not in ("held_on", "satisfaction") else value
        )
    review.status = ReviewStatus.HELD
    _check_minutes(review, contacts, attendees, today)
    review.full_clean(exclude=["contacts", "attendees"])
    people_changed = _set_people(review, contacts=contacts, attendees=attendees)
    review.save(expected_version=expected_version, touch=people_changed)
    _settle_reminders(review)
    return review


def _settle_reminders(review: ReviewMeeting) -> None:
    """A held or cancelled meeting's reminders leave everyone's unread count."""
    Notification.objects.filter(
        kind=NotificationKind.REVIEW_DUE, object_key=f"review:{review.pk}", read_at__isnull=True
    ).update(read_at=timezone.now())


@transaction.atomic
def review_cancel(
    *, review: ReviewMeeting, by: User, reason: str = "", expected_version: int | None = None
) -> ReviewMeeting:
    """Cancel a scheduled review; its period is free for another."""
    _check_visible(by, review.account)
    if review.status != ReviewStatus.SCHEDULED:
        raise ApplicationError(_("Only a scheduled review can be cancelled."), code="protected")
    review.status = ReviewStatus.CANCELLED
    review.cancelled_reason = (reason or "").strip()[:300]
    review.full_clean(exclude=["contacts", "attendees"])
    review.save(expected_version=expected_version)
    _settle_reminders(review)
    return review


def review_delete_check(*, review: ReviewMeeting, by: User) -> None:
    """Who scheduled it, the account's owner, or a manager moves a review to the bin."""
    if by.pk not in (review.scheduled_by_id, review.account.owner_id) and not is_manager(by):
        raise ApplicationError(
            _("Only who scheduled it, the account's owner or a manager can delete this review."),
            code="permission_denied",
        )


@transaction.atomic
def review_delete(
    *, review: ReviewMeeting, by: User, expected_version: int | None = None
) -> Deletion:
    """Move a review and its follow-ups to the recycle bin."""
    review_delete_check(review=review, by=by)
    deletion = soft_delete(
        root=review, by=by, along=[review.follow_ups.all()], expected_version=expected_version
    )
    _settle_reminders(review)
    return deletion


@transaction.atomic
def review_restore(*, review: ReviewMeeting, by: User) -> list:
    """Bring a review back with its follow-ups; refused while its account is in the bin
    or while its period has another review now."""
    check_restorer(by=by, record=review)
    if review.status != ReviewStatus.CANCELLED:
        _check_one_per_period(review)
    return record_restore(record=review, by=by)


# --- follow-ups -------------------------------------------------------------------------


def _check_follow_up(follow_up: ReviewFollowUp, review: ReviewMeeting) -> None:
    errors = {}
    if follow_up.owner_id is not None:
        if not users_seeing_account(account=review.account, users=[follow_up.owner]):
            errors["owner"] = _(
                "%(name)s cannot see %(account)s: give it to someone on the account's "
                "team, its owner or their manager."
            ) % {"name": follow_up.owner, "account": review.account.name}
    if follow_up.due_on and review.held_on and follow_up.due_on < review.held_on:
        errors["due_on"] = _("A follow-up cannot be due before the meeting (%(date)s).") % {
            "date": review.held_on.isoformat()
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def follow_up_create(
    *,
    review: ReviewMeeting,
    by: User,
    what: str,
    owner: User,
    due_on: datetime.date,
    note: str = "",
    external_id: str | None = None,
) -> ReviewFollowUp:
    """A follow-up agreed at a held review, given to someone who sees the account."""
    _check_visible(by, review.account)
    if review.status != ReviewStatus.HELD:
        raise ApplicationError(
            _("Follow-ups come out of a held meeting: record its minutes first."),
            code="not_held",
        )
    follow_up = ReviewFollowUp(
        review=review,
        account_id=review.account_id,
        what=what,
        owner=owner,
        due_on=due_on,
        note=note or "",
        external_id=external_id or None,
    )
    follow_up.full_clean()
    _check_follow_up(follow_up, review)
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_update(
    *,
    follow_up: ReviewFollowUp,
    by: User,
    expected_version: int | None = None,
    today: datetime.date | None = None,
    **fields,
) -> ReviewFollowUp:
    """Change what, who, when, the note, or set/clear its done date."""
    today = today or timezone.localdate()
    review = follow_up.review
    _check_visible(by, review.account)
    for name, value in fields.items():
        if name not in ("what", "owner", "due_on", "note", "done_on", "external_id"):
            raise ApplicationError(_("%(name)s cannot be changed here.") % {"name": name})
        setattr(follow_up, name, value)
    follow_up.note = follow_up.note or ""
    if follow_up.done_on and follow_up.done_on > today:
        raise ValidationError({"done_on": _("The done date cannot be in the future.")})
    follow_up.full_clean()
    _check_follow_up(follow_up, review)
    follow_up.save(expected_version=expected_version)
    return follow_up


def follow_up_done(
    *, follow_up: ReviewFollowUp, by: User, done_on: datetime.date | None = None
) -> ReviewFollowUp:
    today = timezone.localdate()
    if follow_up.done_on is not None:
        raise ApplicationError(_("This follow-up is already done."), code="protected")
    return follow_up_update(follow_up=follow_up, by=by, done_on=done_on or today, today=today)


def follow_up_reopen(*, follow_up: ReviewFollowUp, by: User) -> ReviewFollowUp:
    """Marked done by mistake, or not done after all: open again, its due date as it was
    (overdue again if it has passed; the history keeps the day it was marked done)."""
    if follow_up.done_on is None:
        raise ApplicationError(_("This follow-up is still open."), code="protected")
    return follow_up_update(follow_up=follow_up, by=by, done_on=None)


@transaction.atomic
def follow_up_delete(
    *, follow_up: ReviewFollowUp, by: User, expected_version: int | None = None
) -> Deletion:
    _check_visible(by, follow_up.account)
    return soft_delete(root=follow_up, by=by, expected_version=expected_version)


def follow_up_restore(*, follow_up: ReviewFollowUp, by: User) -> list:
    """Refused while its review (or account) is in the recycle bin: restore that."""
    review = ReviewMeeting.all_objects.get(pk=follow_up.review_id)
    if review.deleted_at is not None and follow_up.deletion_id != review.deletion_id:
        raise ApplicationError(
            _("Its review meeting is in the recycle bin: restore the review first."),
            code="account_deleted",
        )
    check_restorer(by=by, record=follow_up)
    return record_restore(record=follow_up, by=by)
