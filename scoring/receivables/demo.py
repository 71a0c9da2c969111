"""Demo invoices (应收账款, 发票级), called from `seed_demo` once the access table is
rebuilt (the services check who sees what) and after the money demo
(scoring/money/demo.py).

Three of rep1's demo accounts with sales on record get invoices numbered as a Chinese
VAT invoice is ("FP2026xxxx"):

- one with an invoice over 90 days overdue, a third paid: its money is flagged (over 90
  days), so moving a deal there to a closing stage asks for a manager's approval, as the
  money demo's account does;
- one with several invoices, not yet due and 1–30 days overdue, one of them partly paid;
- one whose invoices are all paid: it owes nothing.

Six invoices, each recorded through the service with what was paid of it (as an ERP
import brings it): a fixed number of queries at any size of the demo.

An account with invoices is aged from them instead of its month-end balances
(scoring.money.risk), so these three are chosen among rep1's accounts whose month-end story
is not one to keep: never one flagged by its month-end balances (the money demo's
account over its credit limit, or one old debt of the sales demo), and those without a
credit limit first (an invoice's amount then cannot put the account over it). What
changes: these three accounts' receivables (and the dashboard's totals of them) are their
invoices' open amounts, no longer their month-end balances.

Deterministic for a seed, with dates fixed relative to today; run twice, it adds nothing
(rep1's accounts that have invoices are left alone).
"""

import datetime
import random
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.demo import ACCOUNT_PREFIX
from accounts.models import Account, User
from keyaccounts.history.context import history_context
from scoring.models import MonthlySales

from . import services
from .models import Receivable

CANDIDATES = 40  # rep1's accounts looked at, by external ID: a fixed number of reads
NOTES = {
    "late": "客户资金紧张，财务总监答应下月初先付一部分。",  # the customer is short of cash
    "partly": "已收到首付款，余款按合同验收后支付。",  # the down payment is in
    "paid": "银行承兑汇票，已到账。",  # paid by a bank acceptance bill
}


def create_demo_invoices(*, seed: int, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    made = {"invoices": 0, "late": 0, "current": 0, "paid": 0}
    rep = User.objects.filter(username="rep1").first()
    if rep is None or Receivable.all_objects.filter(account__owner=rep).exists():
        return made
    accounts = _accounts_to_invoice(rep, today)
    if len(accounts) < 3:
        return made
    rng = random.Random(f"{seed}:invoices")
    numbers = _numbers(rng, today)
    late_at, current_at, paid_at = accounts
    # Each invoice is recorded with what was paid of it, as an ERP import brings it: one
    # write each (a payment recorded afterwards would be a second), so the demo costs a
    # fixed and small number of queries.
    with history_context(origin="system", user=rep):
        # Over 90 days overdue: a third paid, 20 days after it was due.
        terms = services.terms_of(late_at)
        issued = today - datetime.timedelta(days=120 + terms)
        amount = _amount(rng, 150, 400)
        _invoice(
            rep,
            late_at,
            next(numbers),
            issued_on=issued,
            amount=amount,
            paid=(amount / 3).quantize(Decimal(1)),
            paid_on=issued + datetime.timedelta(days=terms + 20),
            note=NOTES["late"],
        )
        made["late"] += 1
        made["invoices"] += 1
        # Several: due in 15 days, and 10 and 25 days overdue (that one 30 % paid).
        terms = services.terms_of(current_at)
        for due_in in (15, -10, -25):
            amount = _amount(rng, 30, 180)
            partly = due_in == -25
            _invoice(
                rep,
                current_at,
                next(numbers),
                issued_on=min(today + datetime.timedelta(days=due_in - terms), today),
                amount=amount,
                paid=(amount * Decimal("0.3")).quantize(Decimal(1)) if partly else Decimal(0),
                paid_on=today - datetime.timedelta(days=20) if partly else None,
                note=NOTES["partly"] if partly else "",
            )
            made["invoices"] += 1
        made["current"] += 1
        # All paid, each a few days before or after its due date.
        terms = services.terms_of(paid_at)
        for back, late_by in ((150, -3), (60, 4)):
            issued = today - datetime.timedelta(days=back)
            amount = _amount(rng, 50, 250)
            _invoice(
                rep,
                paid_at,
                next(numbers),
                issued_on=issued,
                amount=amount,
                paid=amount,
                paid_on=min(issued + datetime.timedelta(days=terms + late_by), today),
                note=NOTES["paid"] if back == 60 else "",
            )
            made["invoices"] += 1
        made["paid"] += 1
    return made


def _accounts_to_invoice(rep: User, today: datetime.date) -> list[Account]:
    """Three of rep1's demo accounts with sales on record whose month-end balances raise
    no flag, those without a credit limit first, by external ID. Three queries."""
    from scoring.money.risk import money_for_accounts

    candidates = list(
        Account.objects.filter(owner=rep, external_id__startswith=ACCOUNT_PREFIX)
        .filter(Exists(MonthlySales.objects.filter(account=OuterRef("pk"), sales__gt=0)))
        .order_by("external_id")[:CANDIDATES]
    )
    money = money_for_accounts(candidates, today=today)
    quiet = [a for a in candidates if not money[a.pk].flagged]
    quiet.sort(key=lambda a: (a.credit_limit is not None, a.external_id))
    return quiet[:3]


def _numbers(rng: random.Random, today: datetime.date):
    """Invoice numbers as on a VAT invoice: FP, the year, four digits, rising."""
    number = rng.randint(1000, 6000)
    while True:
        number += rng.randint(1, 40)
        yield f"FP{today.year}{number:04d}"


def _amount(rng: random.Random, low: int, high: int) -> Decimal:
    """Thousands of CNY, between `low` and `high` thousand."""
    return Decimal(rng.randint(low, high) * 1000)


def _invoice(
    rep, account, number, *, issued_on, amount, paid=Decimal(0), paid_on=None, note=""
) -> Receivable:
    # The due date: the issue date plus the account's terms (the service's default).
    return services.receivable_create(
        by=rep,
        account=account,
        invoice_number=number,
        issued_on=issued_on,
        due_on=None,
        amount=amount,
        paid_amount=paid,
        paid_on=paid_on,
        note=note,
    )


def summary(made: dict) -> str:
    return (
        f"  created {made['invoices']} invoices for rep1's accounts: {made['late']} with an"
        f" invoice over 90 days overdue, {made['current']} with invoices current and 1–30 days"
        f" overdue, {made['paid']} fully paid"
    )
