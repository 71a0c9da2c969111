"""Money risk (回款风险): receivables by age, the credit limit and the flags they raise.

Where an account has invoices on record (scoring.receivables: imported from the ERP or
typed in), they are the truth: each invoice's open amount (amount − paid) ages from its
own due date (`invoice_ageing`), and the receivables are their sum. An account without
invoices has only month-end balances (`MonthlySales.receivables`), aged the way a finance
team does when it has balances and no invoices — first in, first out: the latest
month-end balance is taken to be the most recent months' sales, newest first (each month
takes at most its own sales). Each month's part falls due at the month's end plus the
account's payment terms (`Account.payment_terms_days`, else
`settings.DEFAULT_PAYMENT_TERMS_DAYS`), and ages from that due date to today into
current (not yet due), 1–30, 31–60, 61–90 and over 90 days overdue. A balance larger
than all the sales on record is older than the record: that rest counts as over 90
days overdue. The balance is the one at the end of the latest month recorded up to the
current one — the same as the dashboard's receivables (`scoring.selectors.with_sales`).

`ageing` and `invoice_ageing` are the rule, pure. `money_for_accounts` reads it for a
page of accounts (two queries: the invoices' sums by age, the months); `with_money` is
the same rule as SQL annotations (the invoices' sums where an account has invoices),
for the account list's filters and the dashboard, where the accounts are too many to
read: "more than X days overdue" is `max(0, balance − sales of the months due on or
after today − X)`, which the FIFO allocation gives month by month.
`tests/test_money.py` checks that the two agree.

An account is flagged when it is over its credit limit (the receivables exceed it) or
has money over 90 days overdue; either flag puts a deal's move to a closing stage
behind a manager's approval (`money_gate`, registered in `opportunities.gates`).
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyaccounts.text import join_words

from ..models import MonthlySales
from ..receivables import selectors as invoices
from ..window import BUCKETS, MONEY, sales_window

ZERO = Decimal("0")

# The account list's `money` filter.
MONEY_FILTER_CHOICES = [
    ("overdue", gettext_lazy("Money overdue")),
    ("over_90", gettext_lazy("Money over 90 days overdue")),
    ("over_limit", gettext_lazy("Over its credit limit")),
]


@dataclass(frozen=True)
class Buckets:
    current: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    over_90: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.current + self.overdue

    @property
    def overdue(self) -> Decimal:
        return self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90

    def rows(self) -> list[dict]:
        """(key, label, amount) in order, for a table."""
        return [
            {"key": key, "label": label, "amount": getattr(self, key)}
            for key, label, _low, _high in BUCKETS
        ]


# Where an account's ageing comes from.
FROM_INVOICES, FROM_MONTH_END = "invoices", "month_end"


@dataclass(frozen=True)
class Money:
    """One account's money risk."""

    terms_days: int
    terms_set: bool  # False: the default terms apply
    credit_limit: Decimal | None
    buckets: Buckets = field(default_factory=Buckets)
    source: str = FROM_MONTH_END  # FROM_INVOICES: aged invoice by invoice

    @property
    def from_invoices(self) -> bool:
        return self.source == FROM_INVOICES

    @property
    def receivables(self) -> Decimal:
        return self.buckets.total

    @property
    def overdue(self) -> Decimal:
        return self.buckets.overdue

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.receivables > self.credit_limit

    @property
    def over_90(self) -> bool:
        return self.buckets.over_90 > 0

    @property
    def flagged(self) -> bool:
        return self.over_limit or self.over_90


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def default_terms() -> int:
    return settings.DEFAULT_PAYMENT_TERMS_DAYS


def bucket_of(days_overdue: int) -> str:
    for key, _label, low, high in BUCKETS:
        if (low is None or days_overdue > low) and (high is None or days_overdue <= high):
            return key
    raise AssertionError(days_overdue)  # pragma: no cover - the buckets cover every int


def ageing(months: Iterable, *, terms_days: int, today: datetime.date) -> Buckets:
    """Receivables by age from month-end figures, first in first out (module docstring).

    `months`: rows with `month` (a first day), `sales` and `receivables` — model
    instances or (month, sales, receivables) tuples, any order; months after the current
    one are left out."""
    _start, end = sales_window(today)
    rows = []
    for row in months:
        month, sales, receivables = (
            row if isinstance(row, tuple) else (row.month, row.sales, row.receivables)
        )
        if month < end:
            rows.append((month, Decimal(sales or 0), Decimal(receivables or 0)))
    if not rows:
        return Buckets()
    rows.sort(key=lambda r: r[0], reverse=True)
    left = rows[0][2]  # the latest month-end balance
    amounts = defaultdict(Decimal)
    for month, sales, _receivables in rows:
        if left <= 0:
            break
        part = min(left, sales)
        if part > 0:
            due = month_end(month) + datetime.timedelta(days=terms_days)
            amounts[bucket_of((today - due).days)] += part
            left -= part
    if left > 0:
        amounts["over_90"] += left  # older than the sales on record
    return Buckets(**amounts)


def invoice_ageing(rows: Iterable, *, today: datetime.date) -> Buckets:
    """Receivables by age from invoices: each one's open amount (amount − paid) in the
    bucket of its days overdue (today − due date). `rows`: objects with `due_on`,
    `amount` and `paid_amount`, or (due_on, amount, paid_amount) tuples."""
    amounts = defaultdict(Decimal)
    for row in rows:
        due_on, amount, paid = (
            row if isinstance(row, tuple) else (row.due_on, row.amount, row.paid_amount)
        )
        left = Decimal(amount or 0) - Decimal(paid or 0)
        if left > 0:
            amounts[bucket_of((today - due_on).days)] += left
    return Buckets(**amounts)


def money_of(
    account, months: Iterable, *, today: datetime.date, invoice_buckets: dict | None = None
) -> Money:
    """`invoice_buckets`: the account's open invoice amounts by age
    (`receivables.selectors.invoice_buckets`), when it has invoices; else None and the
    month-end balances are aged."""
    terms = account.payment_terms_days
    terms_days = default_terms() if terms is None else terms
    if invoice_buckets is not None:
        buckets, source = Buckets(**invoice_buckets), FROM_INVOICES
    else:
        buckets, source = ageing(months, terms_days=terms_days, today=today), FROM_MONTH_END
    return Money(
        terms_days=terms_days,
        terms_set=terms is not None,
        credit_limit=account.credit_limit,
        buckets=buckets,
        source=source,
    )


def money_for_accounts(accounts: Iterable, *, today: datetime.date | None = None) -> dict:
    """{account id: Money} for accounts already read (a page of them): two queries (the
    invoices' sums by age; the months of the accounts without invoices)."""
    today = today or timezone.localdate()
    accounts = list(accounts)
    by_invoice = invoices.invoice_buckets([a.pk for a in accounts], today=today)
    _start, end = sales_window(today)
    months = defaultdict(list)
    rest = [a.pk for a in accounts if a.pk not in by_invoice]
    if rest:
        rows = MonthlySales.objects.filter(account_id__in=rest, month__lt=end).values_list(
            "account_id", "month", "sales", "receivables"
        )
        for account_id, month, sales, receivables in rows.order_by():
            months[account_id].append((month, sales, receivables))
    return {
        a.pk: money_of(a, months[a.pk], today=today, invoice_buckets=by_invoice.get(a.pk))
        for a in accounts
    }


def attach_money(accounts: Iterable, *, today: datetime.date | None = None) -> None:
    """Set `account.money` (a Money) on each of a page of accounts: two queries."""
    accounts = list(accounts)
    found = money_for_accounts(accounts, today=today)
    for account in accounts:
        account.money = found[account.pk]


# --- the same rule in SQL --------------------------------------------------------------


def _first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _balance(end: datetime.date):
    return (
        MonthlySales.objects.filter(account=OuterRef("pk"), month__lt=end)
        .order_by("-month")
        .values("receivables")[:1]
    )


def _sales_since(first: datetime.date, end: datetime.date):
    return Coalesce(
        Subquery(
            MonthlySales.objects.filter(account=OuterRef("pk"), month__gte=first, month__lt=end)
            .order_by()
            .values("account")
            .annotate(total=Sum("sales"))
            .values("total"),
            output_field=MONEY,
        ),
        Value(ZERO),
        output_field=MONEY,
    )


def _recent_sales(terms: list[int], days: int, today: datetime.date, end: datetime.date):
    """The sales of the months not more than `days` overdue, by the account's terms: one
    CASE arm per terms value in use (a handful), so each arm's cut-off is a constant."""

    def since(t: int) -> datetime.date:
        return _first_of_month(today - datetime.timedelta(days=days + t))

    default = default_terms()
    arms = [When(payment_terms_days=t, then=_sales_since(since(t), end)) for t in terms]
    return Case(*arms, default=_sales_since(since(default), end), output_field=MONEY)


def terms_in_use(accounts: QuerySet) -> list[int]:
    """The payment terms (days) `accounts` have, each once, in order: `with_money`'s
    CASE has an arm for each."""
    return sorted(
        t
        for t in accounts.order_by()
        .filter(payment_terms_days__isnull=False)
        .values_list("payment_terms_days", flat=True)
        .distinct()
    )


def with_money(
    accounts: QuerySet, today: datetime.date | None = None, *, terms: list[int] | None = None
) -> QuerySet:
    """Annotate `money_receivables` (the latest balance), `money_overdue` (more than 0
    days overdue) and `money_over_90` (more than 90), as `ageing` computes them.
    `terms`: those of `terms_in_use(accounts)` or more (read from `accounts` if not
    given)."""
    today = today or timezone.localdate()
    _start, end = sales_window(today)
    if terms is None:
        terms = terms_in_use(accounts)
    balance = Coalesce(Subquery(_balance(end), output_field=MONEY), Value(ZERO), output_field=MONEY)

    def either(from_invoices, from_months):
        return Case(
            When(money_from_invoices=True, then=from_invoices),
            default=from_months,
            output_field=MONEY,
        )

    return (
        accounts.annotate(money_from_invoices=invoices.has_invoices())
        .annotate(money_receivables=either(invoices.open_sum(), balance))
        .annotate(
            money_overdue=either(
                invoices.open_sum(overdue_days=0, today=today),
                Greatest(
                    balance - _recent_sales(terms, 0, today, end), Value(ZERO), output_field=MONEY
                ),
            ),
            money_over_90=either(
                invoices.open_sum(overdue_days=90, today=today),
                Greatest(
                    balance - _recent_sales(terms, 90, today, end), Value(ZERO), output_field=MONEY
                ),
            ),
        )
    )


def money_filter(accounts: QuerySet, value: str, today: datetime.date | None = None) -> QuerySet:
    """The account list's `money` filter: over_limit, over_90 or overdue."""
    if value not in {"over_limit", "over_90", "overdue"}:
        return accounts
    annotated = with_money(accounts, today)
    if value == "over_limit":
        matched = annotated.filter(
            Q(credit_limit__isnull=False), money_receivables__gt=F("credit_limit")
        )
    elif value == "over_90":
        matched = annotated.filter(money_over_90__gt=0)
    else:
        matched = annotated.filter(money_overdue__gt=0)
    return accounts.filter(pk__in=matched.order_by().values("pk"))


def overdue_concentration(accounts: QuerySet, today: datetime.date | None = None) -> dict:
    """Top-1 and top-5 shares of the overdue receivables, in the shape of
    `scoring.selectors.concentration`'s parts: two queries (the terms in use; the top
    five, each with the total over every overdue account, a window sum)."""
    rows = with_money(accounts, today).filter(money_overdue__gt=0)
    top = list(
        rows.annotate(overdue_total=Window(Sum("money_overdue"), output_field=MONEY))
        .order_by("-money_overdue", "pk")
        .values_list("money_overdue", "overdue_total")[:5]
    )
    total = top[0][1] if top else ZERO
    top = [value for value, _total in top]
    top1 = top[0] if top else ZERO
    top5 = sum(top, ZERO)
    return {
        "total": total or ZERO,
        "top1": top1,
        "top5": top5,
        "top1_share": (top1 / total) if total else None,
        "top5_share": (top5 / total) if total else None,
    }


# --- the approval gate -------------------------------------------------------------------


def flag_reasons(account, money: Money) -> list[str]:
    """The money flags of `account` in words, for a refusal or a page."""
    from keyaccounts.amounts import money as fmt

    reasons = []
    if money.over_limit:
        reasons.append(
            _("%(account)s is over its credit limit (%(owed)s owed, limit %(limit)s)")
            % {
                "account": account,
                "owed": fmt(money.receivables),
                "limit": fmt(money.credit_limit),
            }
        )
    if money.over_90:
        reasons.append(
            _("%(account)s has %(amount)s over 90 days overdue")
            % {"account": account, "amount": fmt(money.buckets.over_90)}
        )
    return reasons


def _gate_text(reasons: list[str]) -> str:
    return _("%(reasons)s: a manager must approve this move.") % {
        "reasons": join_words(reasons, reasons=True)
    }


def money_gate_for_accounts(accounts) -> dict[int, str]:
    """`money_gate` for many accounts read already (an import): one query."""
    found = money_for_accounts(accounts)
    reasons = {}
    for account in accounts:
        flags = flag_reasons(account, found[account.pk])
        if flags:
            reasons[account.pk] = _gate_text(flags)
    return reasons


def money_gate(opportunity, stage) -> str | None:
    """`opportunities.gates` closing gate: the reason a manager must approve the move of
    a deal at a flagged account, or None."""
    account = opportunity.account
    money = money_for_accounts([account])[account.pk]
    reasons = flag_reasons(account, money)
    if not reasons:
        return None
    return _gate_text(reasons)
