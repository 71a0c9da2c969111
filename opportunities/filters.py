"""The pipeline board's search and filters; the account's grade is added by scoring
(scoring/list_filters.py, `keyaccounts.listfilters`)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.picker import AccountPickerFilter, UserPickerFilter
from accounts.search import name_holds
from accounts.selectors import accounts_visible_to, users_pickable_by, with_ids
from keyaccounts.listfilters import SEARCH_MAX_LENGTH, readable

from .models import Opportunity, OpportunityKind

# A superuser's search: matching deals up to this many are read as ids first.
SEARCH_IDS_UP_TO = 1000


def search_deals(queryset, value: str, *, whole_company: bool = False):
    """The board's search: deals among `queryset` (the user's visible ones) whose name or
    account's name holds `value`, or whose external ID is it (any case).

    Among a person's own deals (a rep's hundreds, a manager's thousands) one `OR` is
    read through their accounts. Among the whole company's (`whole_company`: a
    superuser), that `OR` across the account made every column walk all 200,000 deals
    for a text no deal holds (1 s): the matches are read first as the union of three id
    sets, each through its index (the names' characters, `accounts.search`; the
    accounts' names, then their deals; the upper-cased external ID), up to
    `SEARCH_IDS_UP_TO`, and the columns and totals read those ids. More matches than
    that stay one `OR`: a column's first cards then come soon."""
    value = value.strip()
    if not value:
        return queryset
    using = queryset.db
    anywhere = queryset.filter(
        Q(name__icontains=value) | Q(account__name__icontains=value) | Q(external_id__iexact=value)
    )
    if not whole_company:
        return anywhere
    accounts = Account.objects.filter(name_holds("name", value, using=using)).values("pk")
    parts = [
        name_holds("name", value, using=using, trigram=False),  # deals have no trigram index
        Q(account__in=accounts),
        Q(external_id__iexact=value),
    ]
    sets = [queryset.filter(part).order_by().values_list("pk", flat=True) for part in parts]
    found = list(sets[0].union(*sets[1:], all=True)[: SEARCH_IDS_UP_TO + 1])
    if len(found) <= SEARCH_IDS_UP_TO:
        return with_ids(queryset, sorted(set(found)))
    return anywhere


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
    # Picked by name among the people of the user's teams and from the user's accounts
    # (text boxes with suggestions, never a list).
    owner = UserPickerFilter(
        label=_("Owner"), queryset=lambda request: users_pickable_by(request.user)
    )
    account = AccountPickerFilter(
        label=_("Account"), queryset=lambda request: accounts_visible_to(request.user)
    )
    close_month = django_filters.DateFilter(
        label=_("Expected to close in"),
        method="filter_close_month",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month", "placeholder": "YYYY-MM"}, format="%Y-%m"),
        error_messages={"invalid": _("Enter a month as YYYY-MM, for example 2027-03.")},
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OpportunityKind.choices)

    class Meta:
        model = Opportunity
        fields = ["q", "owner", "account", "close_month", "kind"]

    def search(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return search_deals(queryset, value, whole_company=bool(user and user.is_superuser))

    def filter_close_month(self, queryset, name, value):
        return queryset.filter(
            expected_close_date__year=value.year, expected_close_date__month=value.month
        )

    def narrows(self) -> bool:
        """Whether a filter that leaves deals out is set (one it can read): the board
        shows every deal its person may see otherwise."""
        return any(value not in (None, "", []) for value in readable(self).values())

    def month_chosen(self) -> bool:
        return bool(readable(self).get("close_month"))
