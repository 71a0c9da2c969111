from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from keyaccounts.api.filters import FILTER_BACKENDS
from keyaccounts.api.sync import SyncViewSetMixin
from scoring.plans import selectors, services
from visits.selectors import local_today

from .filters import AccountPlanFilter, PlanActionFilter
from .serializers import AccountPlanSerializer, PlanActionSerializer


@extend_schema_view(
    list=extend_schema(summary="Account plans (大客户计划) at the accounts you can see")
)
@extend_schema(tags=["account plans"])
class AccountPlanViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """Account plans (大客户计划): per account and period (a year, or a half-year from
    January 1 or July 1), the sales target, the share-of-purchases target, the advantages
    with their evidence, and read-only progress. One live plan per account and period."""

    serializer_class = AccountPlanSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AccountPlanFilter
    ordering_fields = ["period_start", "created_at", "updated_at", "id"]
    ordering = ["-period_start", "-id"]
    idempotent_actions = {"create"}

    def get_queryset(self):
        plans = selectors.plans_visible_to(self.request.user).select_related("account")
        return selectors.with_progress(plans, today=local_today()).prefetch_related("advantages")

    def perform_destroy(self, instance, *, expected_version=None):
        services.plan_delete(plan=instance, by=self.request.user, expected_version=expected_version)

    def get_restore_queryset(self):
        return selectors.plans_visible_to(self.request.user, deleted=True).select_related("account")

    def perform_restore(self, instance):
        services.plan_restore(plan=instance, by=self.request.user)


@extend_schema_view(list=extend_schema(summary="Actions of the account plans you can see"))
@extend_schema(tags=["plan actions"])
class PlanActionViewSet(SyncViewSetMixin, viewsets.ModelViewSet):
    """What is to be done for an account plan: who (the account owner or someone on its
    team), by when, done when, and the risk-table factor it moves. An open action past its
    due date is reminded to its owner once per due date."""

    serializer_class = PlanActionSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = PlanActionFilter
    ordering_fields = ["due_on", "done_on", "created_at", "updated_at", "id"]
    ordering = ["due_on", "id"]
    idempotent_actions = {"create"}

    def get_queryset(self):
        return selectors.plan_actions_visible_to(self.request.user).select_related(
            "plan__account", "account"
        )

    def perform_destroy(self, instance, *, expected_version=None):
        services.action_delete(
            action=instance, by=self.request.user, expected_version=expected_version
        )

    def get_restore_queryset(self):
        return selectors.plan_actions_visible_to(self.request.user, deleted=True).select_related(
            "plan", "account"
        )

    def perform_restore(self, instance):
        services.action_restore(action=instance, by=self.request.user)
