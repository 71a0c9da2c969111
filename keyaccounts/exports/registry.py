"""The record types that can be exported, each with the rows its list page shows.

One registry for the export view (`/export/<type>/`) and `manage.py export_records`:
a type names its columns (`columns.py`) and how its rows are found — the list page's
selector (so the visibility rule), FilterSet and ordering, read off the page's view.
Each app registers its own types from its `ready()` (`register(ExportType(…), order=…)`:
`visits/exports.py`, `opportunities/exports.py`, `scoring/exports.py`, the plans',
receivables', reviews' and complaints' `exports.py`); the accounts', contacts', team
members' and the recycle bin's are here (`register_own`). What each holds:

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

from . import columns
from .columns import RecordColumns
from .listing import Listing


def chosen_accounts(request, data) -> AccountFilter:
    """The account list's filters over the user's accounts (a type under an account)."""
    return AccountFilter(data or None, queryset=account_list(user=request.user), request=request)


def of_chosen_accounts(rows: QuerySet, accounts: AccountFilter) -> QuerySet:
    """`rows` of the accounts chosen by the account list's filters (all when none is given)."""
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
    accounts = chosen_accounts(request, data)
    contacts = ContactFilter(
        data or None, queryset=contacts_visible_to(request.user), request=request
    )
    rows = contacts.qs
    rows = of_chosen_accounts(rows, accounts)
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
    accounts = chosen_accounts(request, data)
    members = TeamMemberExportFilter(
        data or None, queryset=team_members_visible_to(request.user), request=request
    )
    rows = members.qs
    rows = of_chosen_accounts(rows, accounts)
    order = ("account__name", "account_id", "role", "user__username", "pk")
    return Listing(rows.order_by(*order), [accounts, members])


def recycle_bin_listing(request, data: QueryDict) -> Listing:
    queryset = deletions_visible_to(request.user)
    filterset = DeletionFilter(data or None, queryset=queryset, request=request)
    rows = filterset.qs
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


# Each type's name → the type, in the order the types were registered at (`register`).
TYPES: dict[str, ExportType] = {}
_order: dict[str, int] = {}


def register(export: ExportType, *, order: int) -> None:
    """Add `export` (its app's, from `AppConfig.ready()`); `order` places it among the
    others (the command's list of types). Registering its name again replaces it."""
    _order[export.name] = order
    TYPES[export.name] = export
    ordered = sorted(TYPES.values(), key=lambda each: _order[each.name])
    TYPES.clear()
    TYPES.update((each.name, each) for each in ordered)


def register_own() -> None:
    """The types of `accounts` and of the recycle bin (from `keyaccounts.apps`)."""
    register(ExportType("accounts", _("Accounts"), columns.ACCOUNTS, account_listing), order=10)
    register(ExportType("contacts", _("Contacts"), columns.CONTACTS, contact_listing), order=20)
    register(
        ExportType(
            "team-members", _("Account team members"), columns.TEAM_MEMBERS, team_member_listing
        ),
        order=50,
    )
    register(
        ExportType("recycle-bin", _("Recycle bin"), columns.RECYCLE_BIN, recycle_bin_listing),
        order=150,
    )
