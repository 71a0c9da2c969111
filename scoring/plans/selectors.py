"""Reads of account plans, always through the visibility rule."""

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.models import Account, AccountTeamMember, User
from accounts.selectors import of_visible_accounts
from keyaccounts import statements
from scoring.models import MonthlySales

from .models import AccountPlan, PeriodKind, PlanAction, period_start_for

# The order of a plan's actions and of a person's action list (index planaction_*_idx).
ACTION_ORDER = ("due_on", "id")
PLAN_ORDER = ("-period_start", "-id")


def plans_visible_to(user, *, deleted: bool = False) -> QuerySet[AccountPlan]:
    rows = AccountPlan.all_objects if deleted else AccountPlan.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def plan_actions_visible_to(user, *, deleted: bool = False) -> QuerySet[PlanAction]:
    rows = PlanAction.all_objects if deleted else PlanAction.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def with_progress(plans: QuerySet[AccountPlan], *, today: datetime.date) -> QuerySet:
    """Annotate each plan with `sales_actual` (its account's monthly sales over the
    period's months up to this one), `actions_done`, `actions_overdue` and
    `actions_total` (live actions): one query for any number of plans."""
    sales = (
        MonthlySales.objects.filter(
            account=OuterRef("account"),
            month__gte=OuterRef("period_start"),
            month__lte=OuterRef("period_end"),
        )
        .filter(month__lte=today)
        .order_by()
        .values("account")
        .annotate(total=Sum("sales"))
        .values("total")
    )
    money = DecimalField(max_digits=18, decimal_places=2)

    def count(condition: Q):
        return Coalesce(
            Subquery(
                PlanAction.objects.filter(condition, plan=OuterRef("pk"))
                .order_by()
                .values("plan")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        )

    return plans.annotate(
        sales_actual=Coalesce(
            Subquery(sales, output_field=money), Value(Decimal("0")), output_field=money
        ),
        actions_total=count(Q()),
        actions_done=count(Q(done_on__isnull=False)),
        actions_overdue=count(Q(done_on__isnull=True, due_on__lt=today)),
    )


def months_elapsed(plan: AccountPlan, today: datetime.date) -> int:
    """How many of the period's months have begun by `today` (0 before it starts)."""
    if today < plan.period_start:
        return 0
    last = min(month_start(today), month_start(plan.period_end))
    return (last.year - plan.period_start.year) * 12 + last.month - plan.period_start.month + 1


def progress(plan: AccountPlan, *, today: datetime.date) -> dict:
    """The plan's progress from an annotated plan (`with_progress`): no query."""
    actual = plan.sales_actual or Decimal("0")
    target = plan.sales_target
    percent = round(actual * 100 / target, 1) if target else None
    months = months_elapsed(plan, today)
    share = None
    purchases = getattr(plan.account, "category_purchases", None)
    if purchases and months:
        # category_purchases: the customer's yearly purchases of our category, 10k CNY.
        expected = Decimal(purchases) * 10000 * months / 12
        share = round(actual * 100 / expected, 1) if expected else None
    return {
        "sales_actual": actual,
        "sales_target": target,
        "percent": percent,
        "months_elapsed": months,
        # Before the period starts there is no share yet, whatever the account says.
        "starts_on": plan.period_start if today < plan.period_start else None,
        "share_actual": share,
        "share_target": plan.share_target,
        "actions_total": plan.actions_total,
        "actions_done": plan.actions_done,
        "actions_overdue": plan.actions_overdue,
        "actions_open": plan.actions_total - plan.actions_done,
    }


def current_plan(account: Account, *, today: datetime.date) -> AccountPlan | None:
    """The live plan whose period holds `today` (a half-year plan before a year plan), its
    `account` the one given (`progress` reads it: not read again)."""

    def build(pk):
        plans = AccountPlan.objects.filter(
            account_id=pk, period_start__lte=today, period_end__gte=today
        )
        return with_progress(plans, today=today).order_by("-period_start", "-period_kind", "-id")[
            :1
        ]

    # Compiled once per process and day (its progress counts from `today`).
    found = statements.prepared(
        "plans.current_plan", build, values={"pk": account.pk}, variant=(today,)
    )
    plan = found[0] if found else None
    if plan is not None:
        plan.account = account
    return plan


def default_period(today: datetime.date) -> tuple[str, datetime.date]:
    return PeriodKind.YEAR, period_start_for(today, PeriodKind.YEAR)


def team_user_ids(account) -> set[int]:
    """Who may own an action or a plan of `account`: its owner and its account team."""
    ids = set(AccountTeamMember.objects.filter(account=account).values_list("user_id", flat=True))
    ids.add(account.owner_id)
    return ids


def team_users(account) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk=account.owner_id) | Q(account_memberships__account=account), is_active=True
    ).distinct()


def actions_of(user, *, today: datetime.date, due: str = "") -> QuerySet[PlanAction]:
    """`user`'s own open plan actions at accounts they can see: `due="overdue"` before
    today, `"week"` up to the end of this week (overdue included), else all open."""
    actions = plan_actions_visible_to(user).filter(owner=user, done_on__isnull=True)
    if due == "overdue":
        actions = actions.filter(due_on__lt=today)
    elif due == "week":
        actions = actions.filter(due_on__lte=end_of_week(today))
    return actions


def end_of_week(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=6 - today.weekday())
