"""Visits, development records and the reminders as spreadsheets: their columns and the
rows their pages list (registered into `keyaccounts.exports.registry` from `ready()`)."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import IdFilter
from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, NUMBER, TEXT, Column, RecordColumns
from keyaccounts.exports.listing import Listing
from keyaccounts.listfilters import readable

from . import worklists
from .api.filters import VisitFilter
from .filters import DevelopmentRecordFilter
from .models import DevelopmentRecord, Notification, Visit, VisitStatus
from .reminders import notification_text
from .selectors import (
    FOLLOW_UP_ORDER,
    PLANNED_ORDER,
    RECORD_ORDER,
    TIMELINE_ORDER,
    development_records_visible_to,
    notifications_of,
    visits_visible_to,
    with_development_totals,
)

VISITS = RecordColumns(
    Visit,
    (
        # An account's visit timeline: when, status, method, who, whom, what next.
        Column("account"),
        ACCOUNT_NAME,
        Column("status"),
        Column("planned_at"),
        Column("occurred_at"),
        Column("method"),
        Column("owner"),
        Column("contacts"),
        Column("attendees"),
        Column("place"),
        Column("duration_minutes"),
        Column("purpose"),
        Column("preparation"),
        Column("pre_visit_call_held"),
        Column("talking_points"),
        Column("customer_views"),
        Column("customer_attitude"),
        Column("next_steps"),
        Column("follow_up_due"),
        Column("followed_up_on"),
        Column("follow_up_method"),
        Column("follow_up_feedback"),
        Column("followed_up_by"),
        Column("external_id"),
    ),
)


def visits_with_first(*paths: str, extra: tuple[Column, ...] = ()) -> RecordColumns:
    """A visit's columns with a list's own first (what its page shows), `extra` after
    them (computed ones of its own), then the rest of the visit's as `VISITS` orders
    them, the account's name beside it."""
    first = [column for path in paths for column in VISITS.columns if column.path == path]
    rest = [column for column in VISITS.columns if column not in first]
    return RecordColumns(Visit, tuple(first + list(extra) + rest))


# My open follow-ups: the account, the follow-up's due date, the visit's date, whom we met.
FOLLOW_UPS = visits_with_first(
    "account", "account.name", "follow_up_due", "occurred_at", "contacts"
)
# My planned visits: when, the account, whom we mean to meet, why.
PLANNED_VISITS = visits_with_first(
    "planned_at", "status", "method", "account", "account.name", "contacts", "purpose"
)

DEVELOPMENT_RECORDS = RecordColumns(
    DevelopmentRecord,
    (
        # The development records list: account, period, result, contacts (visits and
        # their time), prepared, reviewed.
        Column("account"),
        ACCOUNT_NAME,
        Column("started_on"),
        Column("closed_on"),
        Column("result"),
        Column("contact_count", label=_("Contacts"), kind=NUMBER, importable=False),
        Column("total_minutes", label=_("duration (minutes)"), kind=NUMBER, importable=False),
        Column("prepared_by"),
        Column("prepared_on"),
        Column("reviewed_by"),
        Column("reviewed_on"),
        Column("review_comment"),
        Column("summary"),
        Column("remarks"),
        Column("external_id"),
    ),
)

NOTIFICATIONS = RecordColumns(
    Notification,
    (
        Column("kind"),
        Column("account"),
        ACCOUNT_NAME,
        Column(
            "text",
            label=_("What"),
            kind=TEXT,
            value=notification_text,
            related=("account", "visit__owner"),
            importable=False,
        ),
        Column("due_date"),
        Column("created_at"),
        Column("read_at"),
    ),
)


class VisitExportFilter(VisitFilter):
    """The visits API's filters beside the account list's: `owner` there is whose
    accounts, so the visit's logger is `logged_by` here."""

    owner = None
    logged_by = IdFilter(field_name="owner_id", label=_("Logged by (user id)"))

    class Meta(VisitFilter.Meta):
        fields = [
            "account",
            "logged_by",
            "status",
            "occurred_after",
            "occurred_before",
            "updated_after",
        ]


def visit_listing(request, data: QueryDict) -> Listing:
    accounts = registry.chosen_accounts(request, data)
    visits = VisitExportFilter(
        data or None, queryset=visits_visible_to(request.user), request=request
    )
    rows = visits.qs
    if not readable(visits).get("status"):
        rows = rows.exclude(status=VisitStatus.CANCELLED)
    rows = registry.of_chosen_accounts(rows, accounts)
    return Listing(rows.order_by(*TIMELINE_ORDER), [accounts, visits])


def development_record_listing(request, data: QueryDict) -> Listing:
    queryset = with_development_totals(
        development_records_visible_to(request.user), today=timezone.localdate()
    )
    filterset = DevelopmentRecordFilter(data or None, queryset=queryset, request=request)
    records = filterset.qs
    return Listing(records.order_by(*RECORD_ORDER), [filterset])


def follow_up_listing(request, data: QueryDict) -> Listing:
    rows, form = worklists.follow_ups(user=request.user, data=data, today=timezone.localdate())
    return Listing(rows.order_by(*FOLLOW_UP_ORDER), [form])


def planned_visit_listing(request, data: QueryDict) -> Listing:
    rows, form = worklists.planned(user=request.user, data=data, today=timezone.localdate())
    return Listing(rows.order_by(*PLANNED_ORDER), [form])


def notification_listing(request, data: QueryDict) -> Listing:
    return Listing(notifications_of(request.user))


def register() -> None:
    registry.register(registry.ExportType("visits", _("Visits"), VISITS, visit_listing), order=30)
    registry.register(
        registry.ExportType("follow-ups", _("Open follow-ups"), FOLLOW_UPS, follow_up_listing),
        order=32,
    )
    registry.register(
        registry.ExportType(
            "planned-visits", _("Planned visits"), PLANNED_VISITS, planned_visit_listing
        ),
        order=34,
    )
    registry.register(
        registry.ExportType(
            "development-records",
            _("Development records"),
            DEVELOPMENT_RECORDS,
            development_record_listing,
        ),
        order=70,
    )
    registry.register(
        registry.ExportType(
            "notifications", _("Notifications"), NOTIFICATIONS, notification_listing
        ),
        order=140,
    )
