"""Reads of complaints, always from the visibility rule; one definition of each breach.

A response breach "open now": still not answered (status open) past `respond_by`. A
resolution breach open now: not resolved (open or answered) past `resolve_by`. The
reminder scan, the list's `breached` filter and the dashboard's numbers all use these,
so a number and the list it links to cannot disagree.
"""

import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts.selectors import of_visible_accounts

from .models import OPEN_STATUSES, UNRESOLVED_STATUSES, Complaint, ComplaintStatus

COMPLAINT_ORDER = ("-received_at", "-pk")
RESOLVE_AVERAGE_DAYS = 90  # the dashboard's average time to resolve looks this far back


def complaints_visible_to(user, *, deleted: bool = False) -> QuerySet[Complaint]:
    rows = Complaint.all_objects if deleted else Complaint.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def response_breached(now: datetime.datetime) -> Q:
    return Q(status=ComplaintStatus.OPEN, respond_by__lt=now)


def resolution_breached(now: datetime.datetime) -> Q:
    return Q(status__in=UNRESOLVED_STATUSES, resolve_by__lt=now)


def breach_filter(kind: str, now: datetime.datetime) -> Q:
    """`kind`: "response", "resolution" or "any"."""
    if kind == "response":
        return response_breached(now)
    if kind == "resolution":
        return resolution_breached(now)
    return response_breached(now) | resolution_breached(now)


def open_complaints(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return complaints.filter(status__in=OPEN_STATUSES)


def resolved_since(complaints: QuerySet[Complaint], since: datetime.datetime) -> QuerySet:
    """Resolved (or since closed) at or after `since`: the average time to resolve."""
    return complaints.filter(resolved_at__gte=since, resolution_working_days__isnull=False)


def resolve_average_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=RESOLVE_AVERAGE_DAYS)


def complaint_numbers(complaints: QuerySet[Complaint], *, now: datetime.datetime) -> dict:
    """Open complaints, breaches open now and the average working days to resolve over
    the last RESOLVE_AVERAGE_DAYS: one query."""
    since = resolve_average_since(now)
    recent = Q(resolved_at__gte=since, resolution_working_days__isnull=False)
    numbers = complaints.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        response_breaches=Count("pk", filter=response_breached(now)),
        resolution_breaches=Count("pk", filter=resolution_breached(now)),
        any_breaches=Count("pk", filter=breach_filter("any", now)),
        resolved_recently=Count("pk", filter=recent),
        average_days=Avg("resolution_working_days", filter=recent),
    )
    average = numbers["average_days"]
    if average is not None:
        numbers["average_days"] = Decimal(average).quantize(Decimal("0.1"))
    return numbers


def account_open_complaints(*, account, limit: int = 5) -> list[Complaint]:
    return list(
        open_complaints(account.complaints.all())
        .select_related("assignee")
        .order_by(*COMPLAINT_ORDER)[:limit]
    )


def now_local() -> datetime.datetime:
    return timezone.now()
