"""The invoice list's search and filters (pages, the export and the API)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.picker import AccountPickerFilter
from accounts.selectors import accounts_visible_to
from keyaccounts.listfilters import SEARCH_MAX_LENGTH, date_range_form

from .models import Receivable
from .selectors import OPEN, overdue_q

STATUS_CHOICES = [
    ("open", _("Open (not fully paid)")),  # 未结清
    ("paid", _("Paid")),  # 已结清
]

OVERDUE_CHOICES = [
    ("overdue", _("Overdue")),  # 逾期
    ("current", _("Not yet due")),  # 未到期
    ("days_1_30", _("1–30 days overdue")),
    ("days_31_60", _("31–60 days overdue")),
    ("days_61_90", _("61–90 days overdue")),
    ("over_90", _("Over 90 days overdue")),  # 逾期90天以上
]


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


ReceivableFilterForm = date_range_form(
    "due_from",
    "due_to",
    _("The end of the due-date range (%(end)s) is before its start (%(start)s)."),
)


class ReceivableFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(max_length=SEARCH_MAX_LENGTH, label=_("Search"), method="search")
    # Picked by name (a text box with suggestions, never a list); `?account=12` links.
    account = AccountPickerFilter(
        label=_("Account"), queryset=lambda request: accounts_visible_to(request.user)
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status"
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"), choices=OVERDUE_CHOICES, method="filter_overdue"
    )
    due_from = django_filters.DateFilter(
        label=_("Due on or after"),
        field_name="due_on",
        lookup_expr="gte",
        widget=_date_input(),
    )
    due_to = django_filters.DateFilter(
        label=_("Due on or before"),
        field_name="due_on",
        lookup_expr="lte",
        widget=_date_input(),
    )

    class Meta:
        model = Receivable
        fields = ["q", "account", "status", "overdue", "due_from", "due_to"]
        form = ReceivableFilterForm

    def __init__(self, *args, request, **kwargs):
        # Required: the account picker offers the accounts of `request.user`.
        super().__init__(*args, request=request, **kwargs)

    def search(self, queryset, name, value):
        """The invoice number (发票号) or the account's name, part of either; an external
        ID exactly."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(invoice_number__icontains=value)
            | Q(account__name__icontains=value)
            | Q(external_id__iexact=value)
        )

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(OPEN)
        if value == "paid":
            return queryset.exclude(OPEN)
        return queryset

    def filter_overdue(self, queryset, name, value):
        """Open invoices overdue (any), not yet due, or in one ageing bucket, on today's
        date in the site's time zone."""
        return queryset.filter(overdue_q(value, timezone.localdate())) if value else queryset
