"""An account plan with an action, for the route walk's world."""

import datetime
from decimal import Decimal

from django.utils import timezone


def add_plan(records, *, rep, team: str) -> None:
    from scoring.plans.models import Advantage
    from scoring.plans.services import action_create, plan_create

    today = timezone.localdate()
    records.plan = plan_create(
        by=rep,
        account=records.account,
        period_start=datetime.date(today.year, 1, 1),
        sales_target=Decimal("100000"),
        external_id=f"{team}-p",
        advantages={Advantage.SOLUTION: "Fixes their line"},
    )
    records.plan_action = action_create(
        by=rep,
        plan=records.plan,
        what="Cost workshop",
        owner=rep,
        due_on=today - datetime.timedelta(days=1),
        external_id=f"{team}-pa",
    )
