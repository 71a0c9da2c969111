"""The pipeline board's search and filters; the account's grade is added by scoring
(scoring/list_filters.py, `keyaccounts.listfilters`)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.picker import AccountPickerFilter, UserPickerFilter
from accounts.selectors import accounts_visible_to, users_pickable_by

from .models import Opportunity, OpportunityKind


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
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
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(account__name__icontains=value)
            | Q(external_id__iexact=value)
        )

    def filter_close_month(self, queryset, name, value):
        return queryset.filter(
            expected_close_date__year=value.year, expected_close_date__month=value.month
        )

    def narrows(self) -> bool:
        """Whether a valid filter is set (leaving deals out): the board shows every deal
        its person may see otherwise, invalid filters included."""
        if not (self.is_bound and self.is_valid()):
            return False
        return any(value not in (None, "", []) for value in self.form.cleaned_data.values())

    def month_chosen(self) -> bool:
        return self.is_bound and self.is_valid() and bool(self.form.cleaned_data.get("close_month"))
