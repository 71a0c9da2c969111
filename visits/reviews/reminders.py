"""The review meetings' reminders, in the one reminder scan (visits.reminders).

REVIEW_DUE: to the account's active owner, `REVIEW_REMINDER_DAYS` before a scheduled
meeting, due on the meeting's local date — a rescheduled meeting gets a new reminder,
and a scan run twice adds nothing (the unique key kind, object, due date, recipient).

REVIEW_FOLLOW_UP_OVERDUE: to a review follow-up's active owner, once its due date has
passed and it is still open, due on that date (a new due date, a new reminder); the
follow-up shows in their week too (the "my_week" section).
"""

import datetime

from django.conf import settings
from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Cast, Concat, TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from visits.models import Notification, NotificationKind
from visits.reminders import insert_pages

from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus


def reminder_days() -> int:
    return getattr(settings, "REVIEW_REMINDER_DAYS", 7)


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def review_due_scan(*, now, today, account_ids) -> int:
    """One REVIEW_DUE per scheduled meeting within the next `REVIEW_REMINDER_DAYS` days
    (and today), to its account's active owner."""
    reviews = ReviewMeeting.objects.filter(
        status=ReviewStatus.SCHEDULED,
        scheduled_for__gte=_start_of_day(today),
        scheduled_for__lt=_start_of_day(today + datetime.timedelta(days=reminder_days() + 1)),
        account__owner__is_active=True,
        account__deleted_at__isnull=True,
    )
    if account_ids is not None:
        reviews = reviews.filter(account_id__in=list(account_ids))
    rows = reviews.annotate(
        day=TruncDate("scheduled_for", tzinfo=timezone.get_current_timezone()),
        owner_pk=F("account__owner"),
    )
    exists = Notification.objects.filter(
        kind=NotificationKind.REVIEW_DUE,
        object_key=_key(OuterRef("pk")),
        due_date=OuterRef("day"),
        recipient=OuterRef("owner_pk"),
    )
    rows = rows.filter(~Exists(exists)).values_list("pk", "account_id", "owner_pk", "day")
    return insert_pages(
        rows,
        lambda pk, account_id, owner_pk, day: Notification(
            kind=NotificationKind.REVIEW_DUE,
            object_key=f"review:{pk}",
            due_date=day,
            recipient_id=owner_pk,
            account_id=account_id,
        ),
    )


def follow_up_overdue_scan(*, now, today, account_ids) -> int:
    """One REVIEW_FOLLOW_UP_OVERDUE per open, live follow-up past its due date, to its
    active owner, due on its due date."""
    follow_ups = ReviewFollowUp.objects.filter(
        done_on__isnull=True,
        due_on__lt=today,
        owner__is_active=True,
        review__deleted_at__isnull=True,
        account__deleted_at__isnull=True,
    )
    if account_ids is not None:
        follow_ups = follow_ups.filter(account_id__in=list(account_ids))
    exists = Notification.objects.filter(
        kind=NotificationKind.REVIEW_FOLLOW_UP_OVERDUE,
        object_key=Concat(Value("reviewfollowup:"), Cast(OuterRef("pk"), output_field=CharField())),
        due_date=OuterRef("due_on"),
        recipient=OuterRef("owner"),
    )
    rows = follow_ups.filter(~Exists(exists)).values_list("pk", "account_id", "owner", "due_on")
    return insert_pages(
        rows,
        lambda pk, account_id, owner_pk, due_on: Notification(
            kind=NotificationKind.REVIEW_FOLLOW_UP_OVERDUE,
            object_key=f"reviewfollowup:{pk}",
            due_date=due_on,
            recipient_id=owner_pk,
            account_id=account_id,
        ),
    )


def follow_up_overdue_text(notification) -> str:
    return _(
        "A follow-up agreed in the review meeting with %(account)s was due on %(due)s and "
        "is still open."
    ) % {
        "account": notification.account.name,
        "due": formats.date_format(notification.due_date, "DATE_FORMAT"),
    }


def follow_up_overdue_path(notification) -> str:
    _kind, _sep, pk = notification.object_key.partition(":")
    try:
        return reverse("reviews:follow_up_edit", args=[int(pk)])
    except (ValueError, NoReverseMatch):
        return reverse("accounts:detail", args=[notification.account_id])


def _key(pk_ref):
    """ "review:<pk>" in SQL, to match the notifications' object_key."""
    return Concat(Value("review:"), Cast(pk_ref, output_field=CharField()))


def review_due_text(notification) -> str:
    return _(
        "Review meeting with %(account)s on %(due)s: prepare what to ask about our products, "
        "service and people."
    ) % {
        "account": notification.account.name,
        "due": formats.date_format(notification.due_date, "DATE_FORMAT"),
    }


def review_due_path(notification) -> str:
    _kind, _sep, pk = notification.object_key.partition(":")
    try:
        return reverse("reviews:detail", args=[int(pk)])
    except (ValueError, NoReverseMatch):
        return reverse("accounts:detail", args=[notification.account_id])
