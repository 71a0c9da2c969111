import django_filters
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import IdFilter, IsoDateTimeFilter, SyncFilterSet
from visits.models import Visit, VisitStatus


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
