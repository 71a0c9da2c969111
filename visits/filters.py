"""The development-record list's search and filters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.picker import AccountPickerFilter
from accounts.selectors import accounts_visible_to

from .models import DevelopmentRecord, DevelopmentResult

REVIEWED_CHOICES = [("yes", _("Reviewed")), ("no", _("Not reviewed yet"))]


class DevelopmentRecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    result = django_filters.ChoiceFilter(label=_("Result"), choices=DevelopmentResult.choices)
    reviewed = django_filters.ChoiceFilter(
        label=_("Review"), choices=REVIEWED_CHOICES, method="filter_reviewed"
    )
    # Picked by name from the user's accounts (a text box with suggestions, never a list).
    account = AccountPickerFilter(
        label=_("Account"), queryset=lambda request: accounts_visible_to(request.user)
    )

    class Meta:
        model = DevelopmentRecord
        fields = ["q", "result", "reviewed", "account"]

    def __init__(self, *args, request, **kwargs):
        # Required: the account picker offers the accounts of `request.user`.
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(account__name__icontains=value)
            | Q(summary__icontains=value)
            | Q(remarks__icontains=value)
        )

    def filter_reviewed(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(reviewed_on__isnull=False)
        if value == "no":
            return queryset.filter(reviewed_on__isnull=True)
        return queryset
