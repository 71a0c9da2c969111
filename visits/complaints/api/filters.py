import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import BooleanFilter, IdFilter, IsoDateTimeFilter, SyncFilterSet
from visits.complaints.filters import BREACH_CHOICES
from visits.complaints.models import OPEN_STATUSES, Complaint, ComplaintSeverity, ComplaintStatus
from visits.complaints.selectors import breach_filter


class ComplaintApiFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    assignee = IdFilter(field_name="assignee_id", label=_("Assignee (user id)"))
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    severity = django_filters.ChoiceFilter(choices=ComplaintSeverity.choices)
    open = BooleanFilter(method="filter_open", label=_("true: not closed yet"))
    breached = django_filters.ChoiceFilter(
        choices=BREACH_CHOICES,
        method="filter_breached",
        label=_("Past its deadline to answer (response), to resolve (resolution) or either, now"),
    )
    received_after = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("Received at or after")
    )
    received_before = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("Received before")
    )

    class Meta:
        model = Complaint
        fields = [
            "account",
            "assignee",
            "status",
            "severity",
            "open",
            "breached",
            "received_after",
            "received_before",
            "updated_after",
        ]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_breached(self, queryset, name, value):
        return queryset.filter(breach_filter(value, timezone.now())) if value else queryset
