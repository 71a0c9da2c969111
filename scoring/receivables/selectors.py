"""Reads of invoice receivables, always from the visibility rule; and the invoice side of
the money rule (scoring.money.risk), in Python and as SQL, defined once here.

An invoice's open amount is `amount − paid_amount`; it is `days` overdue when
`today − due_on = days > 0`. The buckets are scoring.money.risk's: current (not yet due),
1–30, 31–60, 61–90, over 90 days overdue.
"""

import datetime
from decimal import Decimal

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from accounts.selectors import of_visible_accounts

from ..window import BUCKETS
from .models import Receivable

RECEIVABLE_ORDER = ("due_on", "pk")
MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0")

OPEN = Q(amount__gt=F("paid_amount"))
OPEN_AMOUNT = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=MONEY)

# The ageing buckets' keys and bounds are scoring.money.risk's (defined in scoring.window).
BUCKET_KEYS = tuple(key for key, _label, _low, _high in BUCKETS)
BOUNDS = {key: (low, high) for key, _label, low, high in BUCKETS}


def receivables_visible_to(user, *, deleted: bool = False) -> QuerySet[Receivable]:
    rows = Receivable.all_objects if deleted else Receivable.objects
    return of_visible_accounts(rows, user, deleted=deleted)


def open_receivables(rows: QuerySet[Receivable]) -> QuerySet[Receivable]:
    return rows.filter(OPEN)


def due_before(today: datetime.date, days: int) -> datetime.date:
    """Due before this date: more than `days` days overdue on `today`."""
    return today - datetime.timedelta(days=days)


def bucket_q(key: str, today: datetime.date) -> Q:
    """The invoices of bucket `key` on `today`, by due date (open or not): more than
    `low` and at most `high` days overdue (no bound where None)."""
    low, high = BOUNDS[key]
    q = Q()
    if low is not None:
        q &= Q(due_on__lt=due_before(today, low))
    if high is not None:
        q &= Q(due_on__gte=due_before(today, high))
    return q


def overdue_q(key: str, today: datetime.date) -> Q:
    """A list filter: "overdue" (more than 0 days), "over_90", or one bucket key."""
    if key == "overdue":
        return OPEN & Q(due_on__lt=today)
    return OPEN & bucket_q(key, today)


def invoice_buckets(account_ids, *, today: datetime.date) -> dict[int, dict]:
    """{account id: {bucket key: open amount}} for each account with any live invoice
    (paid ones too: an account whose invoices are all paid owes 0). One query."""
    sums = {
        key: Coalesce(
            Sum(OPEN_AMOUNT, filter=OPEN & bucket_q(key, today)), Value(ZERO), output_field=MONEY
        )
        for key in BUCKET_KEYS
    }
    rows = (
        Receivable.objects.filter(account_id__in=list(account_ids))
        .order_by()
        .values("account_id")
        .annotate(**sums)
    )
    return {row.pop("account_id"): row for row in rows}


# --- the same in SQL, per account (OuterRef("pk") is the account) ------------------------


def has_invoices():
    """The account has a live invoice on record: its money is aged from invoices."""
    return Exists(Receivable.objects.filter(account=OuterRef("pk")))


def open_sum(*, overdue_days: int | None = None, today: datetime.date | None = None):
    """The account's open invoice amounts (more than `overdue_days` overdue on `today`,
    when given), 0 when none."""
    rows = Receivable.objects.filter(OPEN, account=OuterRef("pk"))
    if overdue_days is not None:
        rows = rows.filter(due_on__lt=due_before(today, overdue_days))
    total = rows.order_by().values("account").annotate(total=Sum(OPEN_AMOUNT)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def open_per_account(accounts: QuerySet) -> QuerySet:
    """(account, value) rows: each account with invoices and its open amount, GROUP BY
    (the dashboard's concentration of receivables)."""
    return (
        Receivable.objects.filter(account__in=accounts)
        .order_by()
        .values("account")
        .annotate(value=Coalesce(Sum(OPEN_AMOUNT, filter=OPEN), Value(ZERO), output_field=MONEY))
    )
