import django_filters
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import IdFilter, SyncFilterSet
from opportunities.models import Opportunity, OpportunityKind


class OpportunityFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    stage = IdFilter(field_name="stage_id", label=_("Stage id"))
    owner = IdFilter(field_name="owner_id", label=_("Owner's user id"))
    kind = django_filters.ChoiceFilter(choices=OpportunityKind.choices)
    expected_close_after = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="gte",
        label=_("Expected to close on or after"),
    )
    expected_close_before = django_filters.DateFilter(
        field_name="expected_close_date",
        lookup_expr="lte",
        label=_("Expected to close on or before"),
    )

    # `account_grade` is added after `expected_close_before` by scoring
    # (scoring/list_filters.py, `keyaccounts.listfilters`).
    class Meta:
        model = Opportunity
        fields = [
            "account",
            "stage",
            "owner",
            "kind",
            "expected_close_after",
            "expected_close_before",
            "updated_after",
        ]
