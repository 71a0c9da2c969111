"""Account plans and their actions as synced record types, for the sync contract tests
(keyaccounts/tests/api_records.py adds them to RECORD_TYPES)."""

import datetime
import itertools
from decimal import Decimal

_years = itertools.count(2100)  # each plan its own period: one live plan per period


def make_plan(personas, **fields):
    from scoring.plans.models import AccountPlan

    fields.setdefault("period_start", datetime.date(next(_years), 1, 1))
    fields.setdefault("sales_target", Decimal("100000"))
    fields.setdefault("owner", personas.alice)
    plan = AccountPlan(account=personas.account, **fields)
    plan.save()
    return plan


def make_action(personas, **fields):
    from scoring.plans.models import PlanAction

    plan = fields.pop("plan", None) or make_plan(personas)
    fields.setdefault("what", "Cost workshop")
    fields.setdefault("owner", personas.alice)
    fields.setdefault("due_on", datetime.date(2030, 1, 1))
    action = PlanAction(plan=plan, account=plan.account, **fields)
    action.save()
    return action


def plan_record_types(RecordType) -> list:
    from scoring.plans.models import AccountPlan, PlanAction
    from scoring.plans.selectors import plan_actions_visible_to, plans_visible_to

    return [
        RecordType(
            name="plans",
            model=AccountPlan,
            make=make_plan,
            payload=lambda p: {
                "account": p.account.pk,
                "period_start": f"{next(_years)}-01-01",
                "sales_target": "500000.00",
                "advantages": [{"kind": "solution", "evidence": "Fixes their line"}],
            },
            change={"summary": "Grow the share in the second plant"},
            field="summary",
            visible_to=plans_visible_to,
            bulk=False,
        ),
        RecordType(
            name="plan-actions",
            model=PlanAction,
            make=make_action,
            payload=lambda p: {
                "plan": make_plan(p).pk,
                "what": "Workshop on total cost",
                "due_on": "2030-03-31",
            },
            change={"notes": "With their plant manager"},
            field="notes",
            visible_to=plan_actions_visible_to,
            bulk=False,
        ),
    ]


def plan_records(account, tag: str) -> dict:
    """A plan and an action under `account`, by API name (the feed tests' `fill`)."""
    from scoring.plans.models import AccountPlan, PlanAction

    plan = AccountPlan(
        account=account,
        owner=account.owner,
        period_start=datetime.date(next(_years), 1, 1),
        sales_target=Decimal("1000"),
        external_id=f"{tag}-P",
    )
    plan.save()
    action = PlanAction(
        plan=plan,
        account=account,
        owner=account.owner,
        what="Workshop",
        due_on=datetime.date(2030, 1, 1),
        external_id=f"{tag}-P",
    )
    action.save()
    return {"plans": plan.pk, "plan-actions": action.pk}


def _edit_url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


# The edit pages, by API name (test_no_op_writes' EDIT_PAGES).
PLAN_EDIT_PAGES = {
    "plans": (lambda r: _edit_url("plans:edit", r.account_id, r.pk), {}),
    "plan-actions": (lambda r: _edit_url("plans:action_edit", r.pk), {}),
}


def example_plan(account):
    """The plan the plan-action import's example row names ("2026" at ERP-0001)."""
    from scoring.plans.models import AccountPlan

    plan = AccountPlan(
        account=account,
        owner=account.owner,
        period_start=datetime.date(2026, 1, 1),
        sales_target=Decimal("1000"),
    )
    plan.save()
    return plan
