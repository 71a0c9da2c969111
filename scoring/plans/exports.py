"""Account plans and their actions as spreadsheets (keyaccounts.exports.registry)."""

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyaccounts.exports import registry
from keyaccounts.exports.columns import ACCOUNT_NAME, NUMBER, TEXT, Column, RecordColumns
from keyaccounts.exports.listing import Listing

from . import selectors
from .api.filters import AccountPlanFilter, PlanActionFilter
from .models import AccountPlan, PlanAction

PLANS = RecordColumns(
    AccountPlan,
    (
        # An account's plan list: the account, the period, sales so far against the
        # target, actions done and overdue, the owner; then the rest of the plan.
        Column("account"),
        ACCOUNT_NAME,
        Column("period_kind"),
        Column("period_start"),
        Column("sales_target"),
        Column("sales_actual", label=_("Sales so far (CNY)"), kind=NUMBER, importable=False),
        Column("share_target"),
        Column("actions_done", label=_("Actions done"), kind=NUMBER, importable=False),
        Column("actions_overdue", label=_("Actions overdue"), kind=NUMBER, importable=False),
        Column("owner"),
        Column("summary"),
        Column("notes"),
        Column("external_id"),
    ),
)

PLAN_ACTIONS = RecordColumns(
    PlanAction,
    (
        Column("account"),
        ACCOUNT_NAME,
        Column(
            "plan_period",
            label=_("Plan period"),
            kind=TEXT,
            value=lambda action: action.plan.period_label,
            related=("plan",),
            importable=False,
        ),
        Column("what"),
        Column("owner"),
        Column("due_on"),
        Column("done_on"),
        Column("factor_key"),
        Column("notes"),
        Column("external_id"),
    ),
)


def plan_listing(request, data: QueryDict):

    queryset = selectors.with_progress(
        selectors.plans_visible_to(request.user), today=timezone.localdate()
    )
    filterset = AccountPlanFilter(data or None, queryset=queryset, request=request)
    plans = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(
        plans.order_by("account__name", "account_id", *selectors.PLAN_ORDER), [filterset]
    )


def plan_action_listing(request, data: QueryDict):

    queryset = selectors.plan_actions_visible_to(request.user)
    filterset = PlanActionFilter(data or None, queryset=queryset, request=request)
    actions = filterset.qs  # a value it cannot read is left out (the form says so)
    return Listing(actions.order_by(*selectors.ACTION_ORDER), [filterset])


def register() -> None:
    registry.register(
        registry.ExportType("plans", _("Account plans"), PLANS, plan_listing), order=80
    )
    registry.register(
        registry.ExportType("plan-actions", _("Plan actions"), PLAN_ACTIONS, plan_action_listing),
        order=90,
    )
