import django_filters
from django.utils.translation import gettext_lazy as _

from keyaccounts.api.filters import BooleanFilter, IdFilter, SyncFilterSet
from scoring.plans.models import AccountPlan, PeriodKind, PlanAction


class AccountPlanFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    owner = IdFilter(field_name="owner_id", label=_("Plan owner (user id)"))
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices)
    period_start = django_filters.DateFilter(field_name="period_start", label=_("Period starts"))

    class Meta:
        model = AccountPlan
        fields = ["account", "owner", "period_kind", "period_start", "updated_after"]


class PlanActionFilter(SyncFilterSet):
    account = IdFilter(field_name="account_id", label=_("Account id"))
    plan = IdFilter(field_name="plan_id", label=_("Plan id"))
    owner = IdFilter(field_name="owner_id", label=_("Owner (user id)"))
    done = BooleanFilter(method="filter_done", label=_("true: done; false: still open"))
    due_before = django_filters.DateFilter(
        field_name="due_on", lookup_expr="lt", label=_("Due before")
    )

    class Meta:
        model = PlanAction
        fields = ["account", "plan", "owner", "done", "due_before", "updated_after"]

    def filter_done(self, queryset, name, value):
        return queryset.filter(done_on__isnull=not value)
