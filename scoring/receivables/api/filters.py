import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import IdFilter, SyncFilterSet
from scoring.receivables.filters import OVERDUE_CHOICES, STATUS_CHOICES
from scoring.receivables.models import Receivable
from scoring.receivables.selectors import OPEN, overdue_q


class ReceivableApiFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
        label=_("open: something is still owed; paid: paid in full"),
    )
    overdue = django_filters.ChoiceFilter(
        choices=OVERDUE_CHOICES,
        method="filter_overdue",
        label=_(
            "Open invoices past their due date today (overdue), not yet due (current), or "
            "in one ageing bucket (days_1_30, days_31_60, days_61_90, over_90)"
        ),
    )
    due_from = django_filters.DateFilter(
        field_name="due_on", lookup_expr="gte", label=_("Due on or after")
    )
    due_to = django_filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label=_("Due on or before")
    )
    external_id = django_filters.CharFilter(
        field_name="external_id", label=_("Your system's key, exactly")
    )

    class Meta:
        model = Receivable
        fields = [
            "account",
            "status",
            "overdue",
            "due_from",
            "due_to",
            "external_id",
            "updated_after",
        ]

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(OPEN)
        if value == "paid":
            return queryset.exclude(OPEN)
        return queryset

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q(value, timezone.localdate())) if value else queryset
