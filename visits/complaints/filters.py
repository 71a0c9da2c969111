"""The complaint list's search and filters (pages, the export and the API)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Industry
from accounts.picker import AccountPickerFilter, UserPickerFilter
from accounts.selectors import accounts_visible_to, teams_of, users_pickable_by
from keyaccounts.listfilters import SEARCH_MAX_LENGTH

from .models import OPEN_STATUSES, Complaint, ComplaintSeverity, ComplaintStatus
from .selectors import breach_filter, resolve_average_since

BREACH_CHOICES = [
    ("response", _("Not answered in time")),
    ("resolution", _("Not resolved in time")),
    ("any", _("Either")),
]


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ComplaintStatus.choices)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=ComplaintSeverity.choices)
    # Picked by name (text boxes with suggestions, never a list).
    account = AccountPickerFilter(
        label=_("Account"), queryset=lambda request: accounts_visible_to(request.user)
    )
    assignee = UserPickerFilter(
        label=_("Assignee"), queryset=lambda request: users_pickable_by(request.user)
    )
    breached = django_filters.ChoiceFilter(
        label=_("Service level breached now"), choices=BREACH_CHOICES, method="filter_breached"
    )
    open = django_filters.BooleanFilter(
        label=_("Open only (not closed)"),
        method="filter_open",
        widget=forms.CheckboxInput,
    )
    resolved_recently = django_filters.BooleanFilter(
        label=_("Resolved in the last 90 days"),
        method="filter_resolved_recently",
        widget=forms.CheckboxInput,
    )
    # The dashboard's scope (accounts/scope.py), under the same names, so its
    # numbers link here with its filters unchanged: the account's owner, the owner's
    # team, the account's industry and region.
    owner = UserPickerFilter(
        label=_("Account owner"),
        field_name="account__owner",
        queryset=lambda request: users_pickable_by(request.user),
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Team"),
        field_name="account__owner__sales_team",
        queryset=lambda request: teams_of(request.user),
    )
    industry = django_filters.ChoiceFilter(
        label=_("Industry"), field_name="account__industry", choices=Industry.choices
    )
    region = django_filters.CharFilter(label=_("Region"), field_name="account__region")

    class Meta:
        model = Complaint
        fields = [
            "q",
            "status",
            "severity",
            "account",
            "assignee",
            "breached",
            "open",
            "resolved_recently",
            "owner",
            "team",
            "industry",
            "region",
        ]

    def __init__(self, *args, request, **kwargs):
        # Required: the pickers offer the accounts and people of `request.user`.
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(account__name__icontains=value)
            | Q(description__icontains=value)
            | Q(external_id__iexact=value)
        )

    def filter_breached(self, queryset, name, value):
        return queryset.filter(breach_filter(value, timezone.now())) if value else queryset

    def filter_open(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset

    def filter_resolved_recently(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            resolved_at__gte=resolve_average_since(timezone.now()),
            resolution_working_days__isnull=False,
        )
