"""Money risk on the pages: the account page's "Money" section, the account list's money
flags on each row, the closing gate.

Registered from `ScoringConfig.ready()` (`register`), so neither the account pages nor
the deals import scoring.
"""

from django.utils import timezone

from keyaccounts import sections

from ..receivables.hooks import account_invoices
from .risk import attach_money, money_for_accounts, money_gate, money_gate_for_accounts


def account_money_section(request, *, account, today=None, **page_data) -> dict:
    """The account page's "Money" section: terms, limit, receivables by age, flags, and
    where the ageing comes from; an account with invoices lists its open ones. Two
    queries either way: the invoices' sums, then the months or the open invoices."""
    today = today or timezone.localdate()
    money = money_for_accounts([account], today=today)[account.pk]
    # Aged from invoices: their open ones (one query, in place of the months' that
    # money_for_accounts then skips), with links to the invoice pages.
    invoices = account_invoices(account, today=today) if money.from_invoices else None
    return {"account": account, "money": money, "rows": money.buckets.rows(), "invoices": invoices}


def register() -> None:
    from opportunities.gates import register_closing_gate

    register_closing_gate(money_gate, for_accounts=money_gate_for_accounts)
    sections.register(
        "account",
        template="scoring/includes/money_section.html",
        context=account_money_section,
        order=60,
    )
    # The account list's overdue amounts and money flags, on each row.
    sections.register_rows("account_list", attach_money)
