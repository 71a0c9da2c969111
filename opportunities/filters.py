"""The pipeline board's search and filters."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filters import GRADE_CHOICES
from accounts.models import User
from accounts.picker import AccountPickerFilter
from accounts.selectors import accounts_visible_to
from scoring.selectors import grade_filter

from .models import Opportunity, OpportunityKind
from .selectors import pipeline_owners


class OpportunityFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    # Picked by name from the user's accounts (a text box with suggestions, never a list).
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
    grade = django_filters.MultipleChoiceFilter(
        label=_("Account grade"),
        choices=GRADE_CHOICES,
        method="filter_grade",
        widget=forms.SelectMultiple(attrs={"size": len(GRADE_CHOICES)}),
    )

    class Meta:
        model = Opportunity
        fields = ["q", "owner", "account", "close_month", "kind", "grade"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only the owners of deals the user can already see.
        user = self.request.user if self.request is not None else None
        self.filters["owner"].queryset = pipeline_owners(self.queryset, user=user)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(account__name__icontains=value)
            | Q(external_id__iexact=value)
        )

    def filter_grade(self, queryset, name, value):
        return queryset.filter(grade_filter(value, prefix="account__"))

    def filter_close_month(self, queryset, name, value):
        return queryset.filter(
            expected_close_date__year=value.year, expected_close_date__month=value.month
        )

    def month_chosen(self) -> bool:
        return self.is_bound and self.is_valid() and bool(self.form.cleaned_data.get("close_month"))
