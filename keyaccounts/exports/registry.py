"""The record types that can be exported, each with the rows its list page shows.

One registry for the export view (`/export/<type>/`) and `manage.py export_records`:
a type names its columns (`columns.py`) and how its rows are found — the list page's
selector (so the visibility rule), FilterSet and ordering, read off the page's view:

- accounts: `accounts.views.account_list_view` (AccountFilter, its `ordering`, then pk);
- contacts: there is no contact list; the contacts of the visible accounts, narrowed by
  the account list's filters (which accounts) and the contacts API's (`account`,
  `buying_role`, `is_coach`, `is_active`, `updated_after`), by account and name;
- visits: the same over the visits API's filters, where the visit's own logger is
  `logged_by` (`owner` is the account list's: whose accounts); cancelled visits only
  when asked for by `status`, as an account's timeline leaves them out; newest first;
- deals: the pipeline board (`opportunities.views.board_view`): its filters, won and
  lost deals of the last 90 days unless a close month is chosen, by stage, then
  expected close date, as the columns show them;
- team members: there is no list of them either; the team members of the visible
  accounts, narrowed like the contacts by the account list's filters and their own
  (`account`, `user`, `role`), by account name, role and username;
- monthly sales: the sales list (`scoring.table.views.sales_list_view`: its
  MonthlySalesFilter, newest month first);
- development records, notifications, the recycle bin: their list pages.

A page leaves out a filter it cannot read and says so on the form; the export given the
same query string does the same, so that it holds what the page shows.
`Listing.problems()` reports them instead, for the command, which refuses to guess.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.api.filters import ContactFilter
from accounts.filters import AccountFilter, account_list_ordering
from accounts.groups import account_parent_seen
from accounts.models import AccountTeamMember, AccountTeamRole
from accounts.selectors import account_list, contacts_visible_to, team_members_visible_to
from keyaccounts.api.filters import IdFilter
from keyaccounts.recyclebin.filters import DeletionFilter
from keyaccounts.recyclebin.selectors import BIN_ORDER, deletions_visible_to
from opportunities.filters import OpportunityFilter
from opportunities.selectors import board_deals, opportunities_visible_to
from opportunities.views import CLOSED_RECENT_DAYS
from scoring.plans import exports as plan_exports
from scoring.receivables import exports as receivable_exports
from scoring.selectors import SALES_ORDER, monthly_sales_visible_to
from scoring.table.forms import MonthlySalesFilter
from visits.api.filters import VisitFilter
from visits.complaints import exports as complaint_exports
from visits.filters import DevelopmentRecordFilter
from visits.models import VisitStatus
from visits.reviews import exports as review_exports
from visits.selectors import (
    RECORD_ORDER,
    TIMELINE_ORDER,
    development_records_visible_to,
    notifications_of,
    visits_visible_to,
    with_development_totals,
)

from . import columns
from .columns import RecordColumns
from .listing import Listing


def _bound(filterset) -> bool:
    return filterset.is_bound and filterset.is_valid()


def _chosen_accounts(request, data) -> AccountFilter:
    return AccountFilter(data or None, queryset=account_list(user=request.user), request=request)


def _of_chosen_accounts(rows: QuerySet, accounts: AccountFilter) -> QuerySet:
    # As the account list reads its filters: one it cannot read is left out.
    return rows.filter(account__in=accounts.qs.values("pk")) if accounts.is_bound else rows


def account_listing(request, data: QueryDict) -> Listing:
    queryset = account_list(user=request.user)
    filterset = AccountFilter(data or None, queryset=queryset, request=request)
    accounts = filterset.qs if filterset.is_bound else queryset
    # The score's explanation is no column: leave the largest field of the row behind.
    rows = accounts.order_by(*account_list_ordering(accounts)).defer("score__contributions")
    # A parent company is written only when the user sees it (columns.ACCOUNTS).
    rows = rows.annotate(parent_seen=account_parent_seen(request.user))
    return Listing(rows, [filterset])


def contact_listing(request, data: QueryDict) -> Listing:
    accounts = _chosen_accounts(request, data)
    contacts = ContactFilter(
        data or None, queryset=contacts_visible_to(request.user), request=request
    )
    rows = contacts.qs if _bound(contacts) else contacts.queryset
    rows = _of_chosen_accounts(rows, accounts)
    return Listing(rows.order_by("account__name", "account_id", "name", "pk"), [accounts, contacts])


class TeamMemberExportFilter(django_filters.FilterSet):
    """A team's own filters beside the account list's: which account, who, what role."""

    account = IdFilter(field_name="account_id", label=_("Account id"))
    user = IdFilter(field_name="user_id", label=_("Team member (user id)"))
    role = django_filters.ChoiceFilter(label=_("Role"), choices=AccountTeamRole.choices)

    class Meta:
        model = AccountTeamMember
        fields = ["account", "user", "role"]


def team_member_listing(request, data: QueryDict) -> Listing:
    accounts = _chosen_accounts(request, data)
    members = TeamMemberExportFilter(
        data or None, queryset=team_members_visible_to(request.user), request=request
    )
    rows = members.qs if _bound(members) else members.queryset
    rows = _of_chosen_accounts(rows, accounts)
    order = ("account__name", "account_id", "role", "user__username", "pk")
    return Listing(rows.order_by(*order), [accounts, members])


def monthly_sales_listing(request, data: QueryDict) -> Listing:
    queryset = monthly_sales_visible_to(request.user)
    filterset = MonthlySalesFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs if _bound(filterset) else queryset
    return Listing(rows.order_by(*SALES_ORDER), [filterset])


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
    accounts = _chosen_accounts(request, data)
    visits = VisitExportFilter(
        data or None, queryset=visits_visible_to(request.user), request=request
    )
    rows = visits.qs if _bound(visits) else visits.queryset
    if not (_bound(visits) and visits.form.cleaned_data.get("status")):
        rows = rows.exclude(status=VisitStatus.CANCELLED)
    rows = _of_chosen_accounts(rows, accounts)
    return Listing(rows.order_by(*TIMELINE_ORDER), [accounts, visits])


def deal_listing(request, data: QueryDict) -> Listing:
    visible = opportunities_visible_to(request.user)
    filterset = OpportunityFilter(data or None, queryset=visible, request=request)
    deals = filterset.qs if _bound(filterset) else visible
    closed_since = (
        None
        if filterset.month_chosen()
        else timezone.localdate() - datetime.timedelta(days=CLOSED_RECENT_DAYS)
    )
    rows = board_deals(deals, closed_since=closed_since)
    return Listing(rows.order_by("stage__order", "expected_close_date", "pk"), [filterset])


def development_record_listing(request, data: QueryDict) -> Listing:
    queryset = with_development_totals(
        development_records_visible_to(request.user), today=timezone.localdate()
    )
    filterset = DevelopmentRecordFilter(data or None, queryset=queryset, request=request)
    records = filterset.qs if _bound(filterset) else queryset
    return Listing(records.order_by(*RECORD_ORDER), [filterset])


def notification_listing(request, data: QueryDict) -> Listing:
    return Listing(notifications_of(request.user))


def recycle_bin_listing(request, data: QueryDict) -> Listing:
    queryset = deletions_visible_to(request.user)
    filterset = DeletionFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs if _bound(filterset) else queryset
    return Listing(rows.order_by(*BIN_ORDER), [filterset])


@dataclass(frozen=True)
class ExportType:
    """A record type as a file: `name` in the URL, the command and the file name."""

    name: str
    label: str | Promise  # the sheet's title
    columns: RecordColumns
    listing: Callable[..., Listing]  # (request, data: QueryDict) → the list's rows

    def filename(self, extension: str, day: datetime.date) -> str:
        return f"{self.name}-{day.isoformat()}.{extension}"


TYPES = {
    export.name: export
    for export in (
        ExportType("accounts", _("Accounts"), columns.ACCOUNTS, account_listing),
        ExportType("contacts", _("Contacts"), columns.CONTACTS, contact_listing),
        ExportType("visits", _("Visits"), columns.VISITS, visit_listing),
        ExportType("deals", _("Deals"), columns.DEALS, deal_listing),
        ExportType(
            "team-members", _("Account team members"), columns.TEAM_MEMBERS, team_member_listing
        ),
        ExportType(
            "monthly-sales", _("Monthly sales"), columns.MONTHLY_SALES, monthly_sales_listing
        ),
        ExportType(
            "development-records",
            _("Development records"),
            columns.DEVELOPMENT_RECORDS,
            development_record_listing,
        ),
        ExportType("plans", _("Account plans"), plan_exports.PLANS, plan_exports.plan_listing),
        ExportType(
            "plan-actions",
            _("Plan actions"),
            plan_exports.PLAN_ACTIONS,
            plan_exports.plan_action_listing,
        ),
        ExportType(
            "reviews", _("Review meetings"), review_exports.REVIEWS, review_exports.review_listing
        ),
        ExportType(
            "review-follow-ups",
            _("Review follow-ups"),
            review_exports.REVIEW_FOLLOW_UPS,
            review_exports.review_follow_up_listing,
        ),
        ExportType(
            "complaints",
            _("Complaints"),
            complaint_exports.COMPLAINTS,
            complaint_exports.complaint_listing,
        ),
        ExportType(
            "receivables",
            _("Invoice receivables"),  # 应收账款（发票）
            receivable_exports.RECEIVABLES,
            receivable_exports.receivable_listing,
        ),
        ExportType(
            "notifications", _("Notifications"), columns.NOTIFICATIONS, notification_listing
        ),
        ExportType("recycle-bin", _("Recycle bin"), columns.RECYCLE_BIN, recycle_bin_listing),
    )
}
