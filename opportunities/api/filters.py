import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filters import GRADE_CHOICES
from keyaccounts.api.filters import IdFilter, SyncFilterSet
from opportunities.models import Opportunity, OpportunityKind
from scoring.selectors import grade_filter


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

    account_grade = django_filters.MultipleChoiceFilter(
        choices=GRADE_CHOICES,
        method="filter_account_grade",
        label=_("The account's grade; repeat for several; none: not graded yet"),
    )

    class Meta:
        model = Opportunity
        fields = [
            "account",
            "stage",
            "owner",
            "kind",
            "expected_close_after",
            "expected_close_before",
            "account_grade",
            "updated_after",
        ]

    def filter_account_grade(self, queryset, name, value):
        return queryset.filter(grade_filter(value, prefix="account__"))
