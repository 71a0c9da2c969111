"""Demo account plans (called from `seed_demo` after scoring's demo, so that the monthly
sales exist, and after the access table is rebuilt: the services check who sees what).

For rep1's A and B demo accounts (at most four): a plan for the current year with a
sales target near last year's sales grown by a tenth, two or three advantages with their
evidence, and three actions — one done, one overdue, one due later. Run twice, it adds
nothing (an account with a plan for the year is left alone)."""

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, User
from keyaccounts.history.context import history_context
from scoring.models import MonthlySales

from . import services
from .models import AccountPlan, Advantage, PeriodKind

MAX_PLANS = 4

# Evidence as a key-account manager would write it (seed 001 §3).
EVIDENCE = [
    # 降低综合采购成本
    (Advantage.LOWER_COST, "备件集中供应：客户库存中我方备件减少了三分之一。"),
    # 提高工作效率
    (Advantage.EFFICIENCY, "通过采购门户下单：从五天缩短到一天。"),
    # 解决方案
    (Advantage.SOLUTION, "今年春天我方工程师解决了三号线的停线问题。"),
]


def create_demo_plans(*, seed: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    made = {"plans": 0, "actions": 0}
    rep = User.objects.filter(username="rep1").first()
    if rep is None:
        return made
    start = datetime.date(today.year, 1, 1)
    accounts = list(
        Account.objects.filter(
            owner=rep, external_id__startswith=ACCOUNT_PREFIX, score__grade__in=["A", "B"]
        )
        .exclude(pk__in=AccountPlan.all_objects.filter(period_start=start).values("account_id"))
        .order_by("score__grade", "pk")[:MAX_PLANS]
    )
    if AccountPlan.all_objects.filter(account__owner=rep, period_start=start).exists():
        return made
    last_year = dict(
        MonthlySales.objects.filter(
            account__in=accounts,
            month__gte=datetime.date(today.year - 1, 1, 1),
            month__lt=start,
        )
        .values("account")
        .annotate(total=Sum("sales"))
        .values_list("account", "total")
    )
    with history_context(origin="system", user=rep):
        for index, account in enumerate(accounts):
            base = last_year.get(account.pk) or Decimal("1000000")
            plan = services.plan_create(
                by=rep,
                account=account,
                period_kind=PeriodKind.YEAR,
                period_start=start,
                sales_target=(Decimal(base) * Decimal("1.1")).quantize(Decimal("1000")),
                share_target=Decimal("35") if index % 2 == 0 else None,
                summary="保住客户，并提高我方在二厂的份额。",
                advantages=dict(EVIDENCE[: 2 + index % 2]),
            )
            made["plans"] += 1
            actions = [
                ("与采购部开一次综合成本研讨会", today - datetime.timedelta(days=30), True),
                ("拜会新任厂长", today - datetime.timedelta(days=3), False),
                ("提交二厂方案", today + datetime.timedelta(days=21), False),
            ]
            for what, due, done in actions[: 3 if index == 0 else 2 + (index % 2)]:
                if index > 0 and not done and due < today:
                    due = today + datetime.timedelta(days=7)  # one overdue action in all
                services.action_create(
                    by=rep,
                    plan=plan,
                    what=what,
                    owner=rep,
                    due_on=due,
                    done_on=due if done else None,
                )
                made["actions"] += 1
    return made


def summary(made: dict) -> str:
    return (
        f"  created {made['plans']} account plans with {made['actions']} actions"
        " (one overdue, for rep1)"
    )
