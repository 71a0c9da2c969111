import django_filters
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import BooleanFilter, IdFilter, IsoDateTimeFilter, SyncFilterSet
from visits.models import DevelopmentRecord, DevelopmentResult, Visit, VisitStatus


class VisitFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    owner = IdFilter(field_name="owner_id", label=_("Logged by (user id)"))
    status = django_filters.ChoiceFilter(choices=VisitStatus.choices)
    occurred_after = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", label=_("Took place at or after")
    )
    occurred_before = IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", label=_("Took place before")
    )

    class Meta:
        model = Visit
        fields = [
            "account",
            "owner",
            "status",
            "occurred_after",
            "occurred_before",
            "updated_after",
        ]


class DevelopmentRecordFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    prepared_by = IdFilter(field_name="prepared_by_id", label=_("Prepared by (user id)"))
    result = django_filters.ChoiceFilter(choices=DevelopmentResult.choices)
    reviewed = BooleanFilter(
        method="filter_reviewed", label=_("true: reviewed by the manager; false: not yet")
    )
    prepared_after = django_filters.DateFilter(
        field_name="prepared_on", lookup_expr="gte", label=_("Prepared on or after")
    )
    prepared_before = django_filters.DateFilter(
        field_name="prepared_on", lookup_expr="lte", label=_("Prepared on or before")
    )

    class Meta:
        model = DevelopmentRecord
        fields = [
            "account",
            "prepared_by",
            "result",
            "reviewed",
            "prepared_after",
            "prepared_before",
            "updated_after",
        ]

    def filter_reviewed(self, queryset, name, value):
        return queryset.filter(reviewed_on__isnull=not value)
