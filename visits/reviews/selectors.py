"""Reads of review meetings and their follow-ups, always from the visibility rule."""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Account, AccountAccess, User
from accounts.selectors import accounts_visible_to, of_visible_accounts

from .models import ReviewFollowUp, ReviewMeeting, ReviewStatus
from .periods import PeriodKind, period_by_grade, period_of

REVIEW_ORDER = ("-scheduled_for", "-pk")
MISSING_ORDER = ("name", "pk")
FOLLOW_UP_ORDER = ("due_on", "pk")


def reviews_visible_to(user, *, deleted: bool = False) -> QuerySet[ReviewMeeting]:
    rows = ReviewMeeting.all_objects if deleted else ReviewMeeting.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def review_follow_ups_visible_to(user, *, deleted: bool = False) -> QuerySet[ReviewFollowUp]:
    rows = ReviewFollowUp.all_objects if deleted else ReviewFollowUp.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def account_reviews(*, account) -> QuerySet[ReviewMeeting]:
    """An account's reviews, newest first, for a list (constant queries)."""
    return (
        ReviewMeeting.objects.filter(account=account)
        .select_related("scheduled_by")
        .order_by(*REVIEW_ORDER)
    )


def users_seeing_account(*, account, users) -> set[int]:
    """The ids among `users` (active) who may see `account`: superusers, and those the
    access table gives it to. One query."""
    ids = [u.pk for u in users]
    if not ids:
        return set()
    return set(
        User.objects.filter(pk__in=ids, is_active=True)
        .filter(
            Q(is_superuser=True)
            | Exists(AccountAccess.objects.filter(user=OuterRef("pk"), account=account))
        )
        .values_list("pk", flat=True)
    )


def live_in_period(period) -> QuerySet[ReviewMeeting]:
    """Reviews not cancelled whose meeting date falls in `period` (any account)."""
    start, end = period.bounds()
    return ReviewMeeting.objects.exclude(status=ReviewStatus.CANCELLED).filter(
        scheduled_for__gte=start, scheduled_for__lt=end
    )


def accounts_missing_review(
    *, user, today: datetime.date, accounts: QuerySet | None = None
) -> QuerySet[Account]:
    """The A and B accounts (by `REVIEW_PERIOD_BY_GRADE`) in view of `user` with no review
    scheduled or held in their current period — half-yearly for A, yearly for B. One
    query, an EXISTS per period kind. `accounts`: a narrower scope (the dashboard's)."""
    scope = accounts if accounts is not None else accounts_visible_to(user)
    by_grade = period_by_grade()
    if not by_grade:
        return scope.none()
    missing = Q()
    for kind in (PeriodKind.HALF, PeriodKind.YEAR):
        grades = [grade for grade, k in by_grade.items() if k == kind]
        if not grades:
            continue
        held = live_in_period(period_of(kind, today)).filter(account=OuterRef("pk"))
        missing |= Q(score__grade__in=grades) & ~Exists(held)
    return scope.filter(missing)


def upcoming_reviews_between(
    *, user, start: datetime.datetime, until: datetime.datetime
) -> QuerySet[ReviewMeeting]:
    """Reviews scheduled from `start` until `until` at accounts `user` sees, that they
    own (the account or the meeting) or attend."""
    mine = Q(account__owner=user) | Q(scheduled_by=user) | Q(attendees=user)
    ids = (
        reviews_visible_to(user)
        .filter(status=ReviewStatus.SCHEDULED, scheduled_for__gte=start, scheduled_for__lt=until)
        .filter(mine)
        .values("pk")
    )
    return (
        ReviewMeeting.objects.filter(pk__in=ids)
        .select_related("account")
        .order_by("scheduled_for", "pk")
    )


def open_follow_ups_of(*, user) -> QuerySet[ReviewFollowUp]:
    """`user`'s open review follow-ups at accounts they see, soonest due first."""
    return (
        review_follow_ups_visible_to(user)
        .filter(owner=user, done_on__isnull=True)
        .select_related("account", "review")
        .order_by(*FOLLOW_UP_ORDER)
    )
