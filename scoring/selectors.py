"""Reads of the scoring app that other apps' lists, filters and the dashboard share.

Each concept is defined once here as a queryset expression, so a dashboard's number
and the list of accounts it drills down to are the same rule.
"""

import datetime

from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from accounts.selectors import of_visible_accounts

from .models import GradeChange, MonthlySales
from .receivables import selectors as invoices
from .receivables.models import Receivable
from .window import MONEY, sales_window

MOVEMENT_DAYS = 7
# The monthly sales list's order, newest month first, then by account: the
# (-month, account, id) index reads a page.
SALES_ORDER = ("-month", "account_id", "pk")


def monthly_sales_visible_to(user) -> QuerySet[MonthlySales]:
    """The monthly sales of the accounts `user` may see: the sales list and its export."""
    return of_visible_accounts(MonthlySales.objects.all(), user)


def grade_at(moment: datetime.datetime):
    """The account's grade at `moment` (its latest change at or before it), or None."""
    return Subquery(
        GradeChange.objects.filter(account=OuterRef("pk"), changed_at__lte=moment)
        .order_by("-changed_at", "-pk")
        .values("to_grade")[:1]
    )


def movement_since(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=MOVEMENT_DAYS)


def with_grade_movement(accounts: QuerySet, now: datetime.datetime | None = None) -> QuerySet:
    """Annotate `grade_before` (a week ago; "" if ungraded then) and `grade_now`."""
    return accounts.annotate(
        grade_before=Coalesce(grade_at(movement_since(now)), Value("")),
        grade_now=Coalesce("score__grade", Value("")),
    )


def accounts_moved(
    accounts: QuerySet, from_grade: str, to_grade: str, now: datetime.datetime | None = None
) -> QuerySet:
    """Accounts graded `from_grade` a week ago ("" = not graded then) and `to_grade` now."""
    return (
        with_grade_movement(accounts, now)
        .filter(grade_before=from_grade, grade_now=to_grade)
        .exclude(grade_before=to_grade)
    )


def with_sales(accounts: QuerySet, today: datetime.date | None = None) -> QuerySet:
    """Annotate `sales_12m` (sales of the last 12 months) and `receivables`: the open
    amounts of its invoices where the account has invoices (scoring.receivables), else
    the balance at the end of the latest month recorded; both 0 when nothing is recorded."""
    start, end = sales_window(today)
    sales = (
        MonthlySales.objects.filter(account=OuterRef("pk"), month__gte=start, month__lt=end)
        .order_by()
        .values("account")
        .annotate(total=Sum("sales"))
        .values("total")
    )
    receivables = (
        MonthlySales.objects.filter(account=OuterRef("pk"), month__lt=end)
        .order_by("-month")
        .values("receivables")[:1]
    )
    return accounts.annotate(
        sales_12m=Coalesce(Subquery(sales, output_field=MONEY), Value(0), output_field=MONEY),
        receivables=Case(
            When(
                Exists(Receivable.objects.filter(account=OuterRef("pk"))), then=invoices.open_sum()
            ),
            default=Coalesce(
                Subquery(receivables, output_field=MONEY), Value(0), output_field=MONEY
            ),
            output_field=MONEY,
        ),
    )


def top_accounts(
    accounts: QuerySet, *, by: str, n: int, today: datetime.date | None = None
) -> QuerySet:
    """The `n` accounts with the largest `by` ("sales_12m", "receivables" or
    "money_overdue": `scoring.money.risk`) above zero, largest first (ties by id)."""
    if by.startswith("money_"):
        from .money.risk import with_money  # money reads no selectors: no circle

        return with_money(accounts, today).filter(**{f"{by}__gt": 0}).order_by(f"-{by}", "pk")[:n]
    return with_sales(accounts, today).filter(**{f"{by}__gt": 0}).order_by(f"-{by}", "pk")[:n]


def _sales_per_account(accounts: QuerySet, today: datetime.date | None):
    """(account, value) rows of the last 12 months' sales, one per account: GROUP BY."""
    start, end = sales_window(today)
    return (
        MonthlySales.objects.filter(account__in=accounts, month__gte=start, month__lt=end)
        .values("account")
        .annotate(value=Sum("sales"))
    )


def _month_end_receivables_per_account(accounts: QuerySet, today: datetime.date | None):
    """(account, value) rows: the receivables of each account without invoices in its
    latest month recorded up to this one (as `with_sales`), picked by a window function
    in one pass."""
    _start, end = sales_window(today)
    return (
        MonthlySales.objects.filter(account__in=accounts, month__lt=end)
        .filter(~Exists(Receivable.objects.filter(account=OuterRef("account"))))
        .annotate(
            newest=Window(RowNumber(), partition_by=[F("account_id")], order_by=F("month").desc())
        )
        .filter(newest=1)
        .annotate(value=F("receivables"))
        .values("account", "value")
    )


def concentration(accounts: QuerySet, today: datetime.date | None = None) -> dict:
    """Share of the last 12 months' sales and of receivables held by the top 1 and top 5.

    {"sales": {"total", "top1", "top5", "top1_share", "top5_share"}, "receivables": {...}};
    shares are fractions (0..1) or None when the total is 0. Set-based: the per-account
    values are grouped in the database, and only the largest five come back.
    """
    result = {}
    for key, parts in (
        ("sales", [_sales_per_account(accounts, today)]),
        # An account's receivables come from its invoices or else from its month-end
        # balances (`with_sales`): the two sets do not overlap; the top five of each,
        # merged, hold the top five of all.
        (
            "receivables",
            [
                invoices.open_per_account(accounts),
                _month_end_receivables_per_account(accounts, today),
            ],
        ),
    ):
        # No filter on `value` here: the receivables' newest-month pick is a window
        # function, and Django applies other filters before it (a zero in the newest
        # month would let an older month through).
        top, total = [], 0
        for rows in parts:
            found = [
                row["value"] for row in rows.order_by("-value", "account")[:5] if row["value"] > 0
            ]
            if found:
                top += found
                total += rows.aggregate(total=Sum("value"))["total"] or 0
        top = sorted(top, reverse=True)[:5]
        top1 = top[0] if top else 0
        top5 = sum(top, 0)
        result[key] = {
            "total": total or 0,
            "top1": top1,
            "top5": top5,
            "top1_share": (top1 / total) if total else None,
            "top5_share": (top5 / total) if total else None,
        }
    return result


def grade_filter(grades, prefix: str = "") -> Q:
    """`score__grade` in `grades`; "none" stands for accounts not graded yet. `prefix`
    reaches the account from another model (e.g. "account__" for opportunities)."""
    grades = list(grades)
    q = Q(**{f"{prefix}score__grade__in": [g for g in grades if g != "none"]})
    if "none" in grades:
        q |= Q(**{f"{prefix}score__isnull": True})
    return q
