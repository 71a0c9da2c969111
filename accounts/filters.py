"""The account list's search and filters; the API's filters (api/filters.py) share the search.

The dashboard drills down to the account list with these parameters (`grade`, `stage`,
`close_month`, `team`, `owner`, `gap`, `moved`, `top`), so each is the same rule as the
dashboard's number it comes from: the scoring selectors, `visits.selectors` for the
contact rhythm. Every filter narrows the queryset it is given, the user's visible accounts.
"""

import calendar
import datetime
import re

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from keyaccounts.paging import keyset_page
from opportunities.models import Stage
from scoring.inputs import open_opportunities
from scoring.models import Grade
from scoring.money.risk import MONEY_FILTER_CHOICES, money_filter
from scoring.selectors import accounts_moved, grade_filter, top_accounts
from visits.selectors import accounts_with_lapsed_contact

from .groups import group_members
from .models import Account, AccountStatus, Contact, Industry, SalesTeam
from .picker import AccountPickerFilter, UserPickerFilter
from .selectors import accounts_visible_to, regions_of, teams_of, users_pickable_by, with_ids

GAP_CHOICES = [
    ("no_decider", _("No decider")),
    ("no_coach", _("No coach")),
    ("lapsed", _("No contact within its rhythm")),
    ("key_person_left", _("Key person left, role unfilled")),  # 人事变动
]

UNGRADED = "none"  # the `grade` and `moved` value for an account not graded (yet)
GRADE_CHOICES = [*Grade.choices, (UNGRADED, _("Not graded yet"))]

# `top`: the N accounts with the most sales (last 12 months) or receivables.
TOP = {
    "sales5": ("sales_12m", 5),
    "sales1": ("sales_12m", 1),
    "receivables5": ("receivables", 5),
    "receivables1": ("receivables", 1),
    "overdue5": ("money_overdue", 5),
    "overdue1": ("money_overdue", 1),
}
TOP_CHOICES = [
    ("sales5", _("Top 5 by sales, last 12 months")),
    ("sales1", _("Top account by sales, last 12 months")),
    ("receivables5", _("Top 5 by receivables")),
    ("receivables1", _("Top account by receivables")),
    ("overdue5", _("Top 5 by overdue receivables")),
    ("overdue1", _("Top account by overdue receivables")),
]


def _grade_label(grade: str):
    return _("not graded") if grade == UNGRADED else grade


# `moved`: "B>A" = graded B a week ago and A now; "none>C" = first graded C this week.
MOVED_CHOICES = [
    (f"{before}>{after}", format_lazy("{} → {}", _grade_label(before), _grade_label(after)))
    for before, _label in GRADE_CHOICES
    for after, _label2 in GRADE_CHOICES
    if before != after
]


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
    indexes on `UPPER(name)` (accounts migration 0006) when the text is long enough.

    The matching ids are read once, here, when there are at most `SEARCH_IDS_UP_TO`: a
    list page reads its rows and counts them, and as a subquery the union was evaluated
    for each (three times for a manager's page: 85 ms each at 100,000 accounts). More
    matches than that (a short text in the whole company) stay a subquery."""
    value = value.strip()
    if not value:
        return queryset
    own = queryset.filter(
        Q(name__icontains=value) | Q(external_id__iexact=value) | Q(region__icontains=value)
    )
    by_contact = Contact.objects.filter(
        account__in=queryset.order_by().values("pk"), name__icontains=value
    )
    own_ids = own.order_by().values_list("pk", flat=True)
    contact_ids = by_contact.order_by().values_list("account_id", flat=True)
    # UNION ALL, so that reading stops at the bound (a UNION removes the duplicates of
    # every match first: a superuser's short search read them all to keep 5,001); an
    # account found both ways counts twice here, which can only send it to the subquery.
    found = list(own_ids.union(contact_ids, all=True)[: SEARCH_IDS_UP_TO + 1])
    if len(found) <= SEARCH_IDS_UP_TO:
        return with_ids(queryset, sorted(set(found)))
    return queryset.filter(pk__in=own_ids.union(contact_ids))


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


def account_list_page(request, accounts, *, size: int):
    """The page of `accounts` (an `account_list`, filtered) that the request asks for, in
    the list's order (`account_list_ordering`), with its count bounded at 1,000; the
    list's flags (contacts, decider, coach, key person gone) computed for the page's rows
    only (`ids_first`: for the whole list, PostgreSQL would hash every coach of the
    company). The account list's and the heat-map's pages."""
    return keyset_page(
        request, accounts, account_list_ordering(accounts), size=size, count=True, ids_first=True
    )


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    grade = django_filters.MultipleChoiceFilter(
        label=_("Grade"),
        choices=GRADE_CHOICES,
        method="filter_grade",
        widget=forms.SelectMultiple(attrs={"size": len(GRADE_CHOICES)}),
    )
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
    stage = django_filters.ChoiceFilter(
        label=_("Has an open deal at stage"), choices=[], method="filter_stage"
    )
    close_month = MonthFilter(
        label=_("Has an open deal closing in"),
        method="filter_close_month",
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    gap = django_filters.ChoiceFilter(
        label=_("Coverage gap"), choices=GAP_CHOICES, method="filter_gap"
    )
    moved = django_filters.ChoiceFilter(
        label=_("Grade moved this week"), choices=MOVED_CHOICES, method="filter_moved"
    )
    top = django_filters.ChoiceFilter(
        label=_("Largest accounts"), choices=TOP_CHOICES, method="filter_top"
    )
    # Money risk (scoring/money/risk.py): overdue, over 90 days overdue, over the credit limit.
    money = django_filters.ChoiceFilter(
        label=_("Money risk"), choices=MONEY_FILTER_CHOICES, method="filter_money"
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
        # the user can already see.
        user = self.request.user if self.request is not None else None
        self.filters["team"].queryset = teams_of(user).order_by("name")
        regions = regions_of(self.queryset, user=user)
        self.filters["region"].extra["choices"] = [(r, r) for r in regions]
        self.filters["stage"].extra["choices"] = [
            (stage.key, str(stage))
            for stage in Stage.objects.filter(is_won=False, is_lost=False).order_by("order")
        ]

    def filter_queryset(self, queryset):
        # "Top 5" ranks within everything else the list is narrowed to, so it comes last.
        queryset = super().filter_queryset(queryset)
        top = self.form.cleaned_data.get("top")
        if top:
            by, n = TOP[top]
            queryset = queryset.filter(pk__in=top_accounts(queryset, by=by, n=n).values("pk"))
        return queryset

    def search(self, queryset, name, value):
        return search_accounts(queryset, value)

    def filter_grade(self, queryset, name, value):
        return queryset.filter(grade_filter(value))

    def filter_stage(self, queryset, name, value):
        deals = open_opportunities().filter(account=OuterRef("pk"), stage__key=value)
        return queryset.filter(Exists(deals))

    def filter_close_month(self, queryset, name, value):
        first, last = value
        deals = open_opportunities().filter(
            account=OuterRef("pk"), expected_close_date__range=(first, last)
        )
        return queryset.filter(Exists(deals))

    def filter_gap(self, queryset, name, value):
        if value == "no_decider":
            return queryset.filter(has_decider=False)
        if value == "no_coach":
            return queryset.filter(has_coach=False)
        if value == "key_person_left":
            return queryset.filter(key_person_gap=True)
        if value == "lapsed":
            lapsed = accounts_with_lapsed_contact(user=None, now=timezone.now())
            return queryset.filter(pk__in=lapsed.values("pk"))
        return queryset

    def filter_group(self, queryset, name, value):
        return queryset.filter(pk__in=group_members(value.pk))

    def filter_moved(self, queryset, name, value):
        before, after = ("" if grade == UNGRADED else grade for grade in value.split(">", 1))
        return accounts_moved(queryset, before, after)

    def filter_money(self, queryset, name, value):
        return money_filter(queryset, value)

    def filter_top(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset
