"""The account list's search and filters; the API's filters (api/filters.py) share the search.

The dashboard drills down to the account list with these parameters (`grade`, `stage`,
`close_month`, `team`, `owner`, `gap`, `moved`, `top`), so each is the same rule as the
dashboard's number it comes from. The list's own filters are declared here; those about
what the apps above know are added by them (`keyaccounts.listfilters`): the grade, its
move this week, the largest accounts and money risk (`scoring.list_filters`), an open
deal's stage and closing month (`opportunities.list_filters`), and the coverage gap "no
contact within its rhythm" (`visits.list_filters`). Every filter narrows the queryset it
is given, the user's visible accounts.
"""

import calendar
import datetime
import re

import django_filters
from django import forms
from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _

from keyaccounts import listfilters
from keyaccounts.listfilters import SEARCH_MAX_LENGTH
from keyaccounts.paging import keyset_page

from .groups import group_members
from .models import Account, AccountStatus, BuyingRole, Contact, Industry, SalesTeam
from .options import account_options
from .picker import AccountPickerFilter, UserPickerFilter
from .search import name_holds
from .selectors import accounts_visible_to, teams_of, users_pickable_by, with_ids

# The coverage gaps of the account's own buying center; `visits` adds "lapsed".
GAPS = {
    "no_decider": (_("No decider"), lambda accounts: accounts.filter(has_decider=False)),
    "no_coach": (_("No coach"), lambda accounts: accounts.filter(has_coach=False)),
    # 人事变动
    "key_person_left": (
        _("Key person left, role unfilled"),
        lambda accounts: accounts.filter(key_person_gap=True),
    ),
}
GAP_CHOICES = [(value, label) for value, (label, _narrow) in GAPS.items()]


# A search's matching accounts up to this many are read as ids first (`search_accounts`).
SEARCH_IDS_UP_TO = 5000


def search_accounts(queryset, value: str):
    """The account search, for the list page and the API: name, region or external ID,
    or the name of one of its contacts.

    Written as the union of two id sets, not as one `OR`: PostgreSQL guesses that half the
    rows pass an `OR` holding a subquery, and so walked the whole name index of the
    company for a manager's first page of a search (1 s at 100,000 accounts). Each set is
    read from the accounts given (`queryset`: the user's visible ones), so a rep's or a
    manager's search looks at the contacts of their own accounts, never at every contact
    whose name holds the text; a superuser's reads the matching names through the trigram
    indexes on `UPPER(name)` (accounts migration 0006), or through the names' characters
    for a text of one or two characters (`accounts.search`, migration 0015).

    The matching ids are read once, here, when there are at most `SEARCH_IDS_UP_TO`: a
    list page reads its rows and counts them, and as a subquery the union was evaluated
    for each (three times for a manager's page: 85 ms each at 100,000 accounts). More
    matches than that (a short text in the whole company) stay a subquery."""
    value = value.strip()
    if not value:
        return queryset
    # A text too short for a trigram is found through the names' characters (search.py).
    using = queryset.db
    holds = (
        name_holds("name", value, using=using)
        | Q(external_id__iexact=value)
        | name_holds("region", value, using=using)
    )
    own = queryset.filter(holds)
    contacts = Contact.objects.filter(name_holds("name", value, using=using))
    by_contact = contacts.filter(account__in=queryset.order_by().values("pk"))
    own_ids = own.order_by().values_list("pk", flat=True)
    contact_ids = by_contact.order_by().values_list("account_id", flat=True)
    # UNION ALL, so that reading stops at the bound (a UNION removes the duplicates of
    # every match first: a superuser's short search read them all to keep 5,001); an
    # account found both ways counts twice here, which can only send it to the subquery.
    found = list(own_ids.union(contact_ids, all=True)[: SEARCH_IDS_UP_TO + 1])
    if len(found) <= SEARCH_IDS_UP_TO:
        return with_ids(queryset, sorted(set(found)))
    # So many match (a short text in the whole company: "华" is in most regions' names)
    # that a page's rows come soon in the list's order, each account checked as it is
    # read: the union of every match was read whole for each page and count (0.6 s).
    return queryset.filter(holds | Exists(contacts.filter(account_id=OuterRef("pk"))))


class MonthField(forms.CharField):
    """A month as YYYY-MM, cleaned to (its first day, its last day)."""

    default_error_messages = {"invalid": _("Give a month as YYYY-MM, for example 2025-03.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{2})", value)
        try:
            year, month = int(match[1]), int(match[2])
            first = datetime.date(year, month, 1)
        except (TypeError, ValueError):  # no match, month 13, year 0
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return first, first.replace(day=calendar.monthrange(year, month)[1])


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class AccountOrderingFilter(django_filters.OrderingFilter):
    """Accounts not graded yet sort after the graded ones, in either direction and on
    every database (PostgreSQL would put NULL first when descending)."""

    NULLS_LAST = {"score__score", "score__grade"}

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        name = value.removeprefix("-")
        if name not in self.NULLS_LAST:
            return value
        return (
            F(name).desc(nulls_last=True) if value.startswith("-") else F(name).asc(nulls_last=True)
        )


def account_list_ordering(accounts) -> list:
    """The account list's order, for its pages (keyset: `keyaccounts.paging`) and its
    export: the sort chosen with `ordering` (by name without one), then the id in the
    same direction, so that ties keep a stable order and one index per sort — (name, id),
    (updated_at, id), (region, id), the score's (grade, account), (score, account) —
    reads a page forwards or backwards."""
    chosen = [f for f in accounts.query.order_by if f not in ("pk", "-pk")] or ["name"]
    first = chosen[0]
    descending = first.descending if isinstance(first, OrderBy) else first.startswith("-")
    return [*chosen, "-pk" if descending else "pk"]


def account_list_page(
    request, filterset, accounts, *, size: int, total: int | None = None, say_lost_place=True
):
    """The page of `accounts` (an `account_list`, filtered by `filterset`) that the
    request asks for, in the list's order (`account_list_ordering`), with its count
    bounded at 1,000; the list's flags (contacts, decider, coach, key person gone)
    computed for the page's rows only (`ids_first`: for the whole list, PostgreSQL would
    hash every coach of the company). The account list's and the heat-map's pages.
    `total`: how many accounts the unfiltered list has, when known without a count
    (`account_list_and_total`): the count, unless a filter narrows it (`narrows`).
    `say_lost_place`: as `keyset_page`'s."""
    return keyset_page(
        request,
        accounts,
        account_list_ordering(accounts),
        size=size,
        count=True,
        ids_first=True,
        known_count=None if narrows(filterset) else total,
        say_lost_place=say_lost_place,
    )


def narrows(filterset) -> bool:
    """Whether a filter the request set leaves out rows: any filter with a value it can
    read (one it cannot read is left out, as `filterset.qs` leaves it), but the sort
    order."""
    return any(
        value not in EMPTY_VALUES
        for name, value in listfilters.readable(filterset).items()
        if name != "ordering"
    )


class AccountFilter(listfilters.AddedFilters, django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
    industry = django_filters.ChoiceFilter(label=_("Industry"), choices=Industry.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AccountStatus.choices)
    team = django_filters.ModelChoiceFilter(
        label=_("Team"), field_name="owner__sales_team", queryset=SalesTeam.objects.none()
    )
    # Picked by name among the people of the user's teams (a text box, never a list).
    owner = UserPickerFilter(
        label=_("Owner"), queryset=lambda request: users_pickable_by(request.user)
    )
    region = django_filters.ChoiceFilter(label=_("Region"), choices=[])
    # Group customers: the account picked (one the user sees) and all its subsidiaries.
    group = AccountPickerFilter(
        label=_("Group"),
        queryset=lambda request: accounts_visible_to(request.user),
        method="filter_group",
    )
    gap = django_filters.ChoiceFilter(
        label=_("Coverage gap"), choices=GAP_CHOICES, method="filter_gap"
    )
    ordering = AccountOrderingFilter(
        label=_("Sort by"),
        fields=[
            ("name", "name"),
            ("updated_at", "updated"),
            ("region", "region"),
            ("score__grade", "grade"),
            ("score__score", "score"),
        ],
        # Each direction named here: django-filter's own "… (descending)" stays English
        # in Chinese (its catalogue is for zh_CN only).
        field_labels={
            "name": _("Name, A to Z"),
            "-name": _("Name, Z to A"),
            "updated_at": _("Updated, oldest first"),
            "-updated": _("Updated, newest first"),
            "region": _("Region, A to Z"),
            "-region": _("Region, Z to A"),
            "score__grade": _("Grade, A first"),
            "-grade": _("Grade, D first"),
            "score__score": _("Score, lowest first"),
            "-score": _("Score, highest first"),
        },
    )

    class Meta:
        model = Account
        fields = ["q", "industry", "status", "owner", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer the teams the user is on or manages, and the regions among the accounts
        # the user can already see (kept: `accounts.options`).
        user = self.request.user if self.request is not None else None
        self.filters["team"].queryset = teams_of(user).order_by("name")
        regions = account_options(user=user, accounts=self.queryset).regions
        self.filters["region"].extra["choices"] = [(r, r) for r in regions]

    def search(self, queryset, name, value):
        return search_accounts(queryset, value)

    def filter_gap(self, queryset, name, value):
        own = GAPS.get(value)
        narrow = own[1] if own else listfilters.narrowing(self.filters[name], value)
        return queryset if narrow is None else narrow(queryset)

    def filter_group(self, queryset, name, value):
        return queryset.filter(pk__in=group_members(value.pk))


class YesNoAny(forms.Select):
    """A yes/no filter whose empty choice means "either" (Django's NullBooleanSelect
    calls it "Unknown"), sending the API's values: true, false."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])

    def format_value(self, value):
        if value in (True, "true", "True"):
            return ["true"]
        return ["false"] if value in (False, "false", "False") else [""]


YES_NO_ANY = YesNoAny


class AccountContactsFilter(django_filters.FilterSet):
    """An account's contacts page: by buying role, coach, still at the company. The same
    parameter names and values as the contacts' API and export filters (`ContactFilter`),
    so the page's Export link writes the contacts it lists."""

    buying_role = django_filters.ChoiceFilter(
        label=_("Buying role"), choices=BuyingRole.choices, empty_label=_("Any")
    )
    is_coach = django_filters.BooleanFilter(label=_("Coach"), widget=YesNoAny)
    is_active = django_filters.BooleanFilter(label=_("Still at the company"), widget=YesNoAny)

    class Meta:
        model = Contact
        fields = ["buying_role", "is_coach", "is_active"]
