"""Visits, development records and the reminders as spreadsheets: their columns and the
rows their pages list (registered into `keyaccounts.exports.registry` from `ready()`)."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from accounts.filters import AccountFilter, account_list_ordering
from accounts.models import Account, BuyingRole
from accounts.selectors import account_list_and_total
from keyaccounts.api.filters import IdFilter
from keyaccounts.exports import registry
from keyaccounts.exports.columns import (
    ACCOUNT_NAME,
    BOOLEAN,
    DATE,
    NUMBER,
    TEXT,
    Column,
    RecordColumns,
)
from keyaccounts.exports.listing import Listing
from keyaccounts.listfilters import readable

from . import heatmap, worklists
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


# --- the relationship heat-map ------------------------------------------------------------


def _role_columns(column, label) -> list[Column]:
    """A role's (or the coach's) four columns: who speaks for it (the one met last, "+n"
    for the others in it), their attitude, the day they were last met, and how long ago
    that is against the account's rhythm."""

    def cell(account):
        return account.heat.cells[column]

    def who(account):
        found = cell(account)
        if found.contact is None:
            return None
        name = found.contact["name"]
        return f"{name} (+{found.more})" if found.more else name

    def attitude(account):
        found = cell(account)
        return str(found.attitude_label) if found.contact else None

    def met_on(account):
        return cell(account).met_on

    def how_long(account):
        found = cell(account)
        return str(heatmap.FRESHNESS_LABELS[found.freshness]) if found.contact else None

    def labelled(text):
        return lazy(lambda: text % {"role": label}, str)()

    details = [
        ("attitude", _("%(role)s: attitude"), TEXT, attitude),
        ("met_on", _("%(role)s: last met"), DATE, met_on),
        ("freshness", _("%(role)s: how recently"), TEXT, how_long),
    ]
    return [
        Column(f"heat_{column}", label=label, kind=TEXT, value=who, importable=False),
        *(
            Column(
                f"heat_{column}_{key}",
                label=labelled(text),
                kind=kind,
                value=read,
                importable=False,
            )
            for key, text, kind, read in details
        ),
    ]


def _level_column(key) -> Column:
    """A multi-level check of an A or B account: met in its rhythm or not (empty for
    other accounts, which are not checked)."""

    def ok(account):
        check = next((c for c in account.heat.checks if c.key == key), None)
        return None if check is None else check.ok

    return Column(
        f"heat_{key}", label=heatmap.LEVEL_LABELS[key], kind=BOOLEAN, value=ok, importable=False
    )


HEAT_MAP = RecordColumns(
    Account,
    (
        # The page's columns: the grade, the account, its rep, each buying role and the
        # coach, the level checks; then the account's key.
        Column("score.grade", label=_("Grade"), importable=False),
        Column("name", label=_("Account"), importable=False),
        Column("owner", importable=False),
        *(
            column
            for role in heatmap.COLUMNS
            for column in _role_columns(role, BuyingRole(role).label)
        ),
        *_role_columns(heatmap.COACH, _("Coach")),
        *(_level_column(key) for key, _role, _ours in heatmap.LEVELS),
        Column("external_id", importable=False),
    ),
)


def _heat(accounts: list) -> None:
    """Each account's cells and checks (`heatmap.heat_map_rows`: four queries a chunk)."""
    for row in heatmap.heat_map_rows(accounts):
        row.account.heat = row


def heat_map_listing(request, data: QueryDict) -> Listing:
    """The heat-map's accounts, as its page lists them (the account list's filters and
    order), each with its cells."""
    visible, _total = account_list_and_total(user=request.user, flags=False)
    visible = visible.defer("score__contributions")
    filterset = AccountFilter(data or None, queryset=visible, request=request)
    accounts = filterset.qs if filterset.is_bound else visible
    rows = accounts.order_by(*account_list_ordering(accounts))
    return Listing(rows, [filterset], prepare=_heat)


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
        registry.ExportType("heat-map", _("Relationship heat-map"), HEAT_MAP, heat_map_listing),
        order=38,
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
